package cli

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"rollcall/app"
	"rollcall/app/httpapi"
	"rollcall/app/tlsca"
	"strings"
	"time"
)

// serveInfo is written beside the database while `serve` runs (mode 0600),
// so that `rollcall backup` and `rollcall admin create` can ask the running
// server. Whoever can read it can read and change the database file itself:
// it grants nothing more.
type serveInfo struct {
	Addr  string `json:"addr"`
	Token string `json:"token"`
	PID   int    `json:"pid"`
	// Cert is the server certificate (DER) when serve speaks HTTPS: the
	// local commands pin it instead of checking names against 127.0.0.1.
	Cert []byte `json:"cert,omitempty"`
}

func serveInfoPath(db string) string { return db + ".serve" }

// serveFlags are serve's options beyond the listen addresses.
type serveFlags struct {
	tlsCert, tlsKey, redirectHTTP, trustedProxy string
	tlsLocal                                    bool
}

func (m *Main) runServe(ctx context.Context, args []string) error {
	fs := m.flags("serve", "serve [--addr 127.0.0.1:8080] [--public-addr 0.0.0.0:8081] [--db PATH] [--allow-host NAME,...] [--tls-local | --tls-cert FILE --tls-key FILE] [--redirect-http ADDR] [--trusted-proxy CIDR,...]")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on; loopback by default, 0.0.0.0:8080 exposes it to the network")
	publicAddr := fs.String("public-addr", "", "also serve only the public sign-up pages here, e.g. 0.0.0.0:8081 for pupils' tablets on the school network (off by default)")
	dbp := dbFlag(fs)
	allow := fs.String("allow-host", "", "comma-separated host names the server is reached by, besides localhost and the organizations' public addresses")
	readTimeout := fs.Duration("read-timeout", httpapi.DefaultTimeouts.Read, "how long a client may take to send a request with its body; a slower one is cut off")
	longTimeout := fs.Duration("upload-timeout", httpapi.DefaultTimeouts.Long, "how long an upload (an import file) or a download (a backup, slips) may take")
	issuer := fs.String("oidc-issuer", "", "the OpenID Connect issuer apps are given, e.g. https://rollcall.maple.example (default: the address each request names, from the allowed hosts)")
	maxConns := fs.Int("max-conns-per-addr", httpapi.DefaultMaxConnsPerAddr, "connections one address may hold open on the sign-up listener (--public-addr); a class behind one router shares an address")
	var sf serveFlags
	fs.StringVar(&sf.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM, the chain after the server's own), e.g. the school's")
	fs.StringVar(&sf.tlsKey, "tls-key", "", "the private key (PEM) of --tls-cert")
	fs.BoolVar(&sf.tlsLocal, "tls-local", false, "serve HTTPS with a certificate from Rollcall's own local certificate authority, whose root the school's devices install (download it at /ca.crt)")
	fs.StringVar(&sf.redirectHTTP, "redirect-http", "", "with HTTPS: answer plain HTTP on this address (e.g. 0.0.0.0:80) with a redirect to HTTPS, and serve /ca.crt there")
	fs.StringVar(&sf.trustedProxy, "trusted-proxy", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (ignored from anyone else)")
	backupDir := fs.String("backup-dir", "", "folder of the daily backups and of those taken before a restore or a year-end rollover (default: the database's path + .backups)")
	backupKeep := fs.Int("backup-keep", app.DefaultBackupKeep, "how many backups the backup folder keeps; older ones are removed")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *backupKeep < 1 {
		return usagef("--backup-keep must be at least 1")
	}
	if (sf.tlsCert == "") != (sf.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	if sf.tlsLocal && sf.tlsCert != "" {
		return usagef("choose --tls-local or --tls-cert, not both")
	}
	useTLS := sf.tlsLocal || sf.tlsCert != ""
	if sf.redirectHTTP != "" && !useTLS {
		return usagef("--redirect-http needs HTTPS: --tls-local or --tls-cert and --tls-key")
	}
	proxies, err := parsePrefixes(sf.trustedProxy)
	if err != nil {
		return usagef("--trusted-proxy: %v", err)
	}
	sys, err := m.start(ctx, *dbp, app.BackupSettings{Dir: *backupDir, Keep: *backupKeep})
	if err != nil {
		return err
	}
	defer sys.Close()
	db, a := sys.db, sys.app
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	defer ln.Close()
	token, err := a.NewToken()
	if err != nil {
		return err
	}
	hosts := listenHosts(ln.Addr())
	for _, h := range strings.Split(*allow, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	cfg := httpapi.Config{Mode: httpapi.Serve, AllowedHosts: hosts, LocalToken: token, PublicAddr: *publicAddr,
		Timeouts: httpapi.Timeouts{Read: *readTimeout, Long: *longTimeout}, MaxConnsPerAddr: *maxConns, TrustedProxies: proxies,
		Issuer: strings.TrimSuffix(*issuer, "/")}
	var cert *tls.Certificate
	switch {
	case sf.tlsLocal:
		names := append([]string{"localhost", "127.0.0.1", "::1"}, hosts...)
		names = append(names, listenHostsOf(*publicAddr)...)
		ca, err := tlsca.Load(m.caDir(db.Path), names, time.Now())
		if err != nil {
			return fmt.Errorf("the local certificate authority: %w", err)
		}
		cert, cfg.RootCA = &ca.Leaf, ca.RootPEM
		fmt.Fprintf(m.Stdout, "HTTPS with Rollcall's local certificate authority in %s (root SHA-256 %s).\n", ca.Dir, ca.Fingerprint())
		fmt.Fprintf(m.Stdout, "Install its root on the school's devices once: download it at /ca.crt, or copy %s.\n", filepath.Join(ca.Dir, tlsca.RootCertFile))
	case sf.tlsCert != "":
		c, err := tls.LoadX509KeyPair(sf.tlsCert, sf.tlsKey)
		if err != nil {
			return fmt.Errorf("load the certificate %s with the key %s: %w", sf.tlsCert, sf.tlsKey, err)
		}
		cert = &c
	}
	if cert != nil {
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
	}
	srv := sys.serveAPI(cfg)
	if *publicAddr != "" {
		st, err := srv.StartPublic(*publicAddr)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Sign-up is open on this network at %s (public pages only).\n", strings.Join(st.URLs, ", "))
	}
	note := serveInfo{Addr: ln.Addr().String(), Token: token, PID: os.Getpid()}
	if cert != nil {
		note.Cert = cert.Certificate[0]
	}
	info, _ := json.Marshal(note)
	if _, err := writeFileAtomic(serveInfoPath(db.Path), func(w io.Writer) (int64, error) {
		n, err := w.Write(info)
		return int64(n), err
	}); err != nil {
		return err
	}
	defer os.Remove(serveInfoPath(db.Path))

	hs := srv.HTTPServer(srv.Handler())
	errc := make(chan error, 2)
	scheme := "http"
	if cfg.TLS != nil {
		scheme = "https"
		hs.TLSConfig = cfg.TLS
		go func() { errc <- hs.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- hs.Serve(ln) }()
	}
	if sf.redirectHTTP != "" {
		rln, err := net.Listen("tcp", sf.redirectHTTP)
		if err != nil {
			return fmt.Errorf("listen on %s for the redirect to HTTPS: %w", sf.redirectHTTP, err)
		}
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		rs := srv.HTTPServer(srv.RedirectHandler(port))
		go func() { errc <- rs.Serve(rln) }()
		defer rs.Close()
		fmt.Fprintf(m.Stdout, "Plain HTTP on %s is redirected to HTTPS.\n", rln.Addr())
	}
	url := scheme + "://" + displayAddr(ln.Addr())
	fmt.Fprintf(m.Stdout, "Rollcall is running at %s (database %s). Press Ctrl+C to stop.\n", url, db.Path)
	if p, err := m.keyPath(); err == nil {
		fmt.Fprintf(m.Stdout, "Relay passwords and waiting invitation links are sealed with the key file %s: keep it beside your backups.\n", p)
	}
	if needed, _ := a.SetupNeeded(ctx); needed {
		fmt.Fprintf(m.Stdout, "No admin yet: open %s on this computer to create one, or run `rollcall admin create`.\n", url)
	}
	if m.Listening != nil {
		m.Listening(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(shutdown)
}

// caDir is the folder of the local certificate authority: beside the key
// file, or beside the database when the key file has no place.
func (m *Main) caDir(dbPath string) string {
	if p, err := m.keyPath(); err == nil {
		return filepath.Join(filepath.Dir(p), "local-ca")
	}
	return filepath.Join(filepath.Dir(dbPath), "local-ca")
}

// listenHostsOf is listenHosts for an address not yet listened on ("" for none).
func listenHostsOf(addr string) []string {
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if addr == "" || err != nil {
		return nil
	}
	return listenHosts(tcp)
}

// parsePrefixes reads "10.0.0.1,192.168.0.0/24": addresses or CIDRs.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		} else {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR", f)
		}
	}
	return out, nil
}

// listenHosts returns the IPs the listener is reached by: its own, or every
// interface address when it listens on all of them.
func listenHosts(addr net.Addr) []string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil
	}
	if !tcp.IP.IsUnspecified() {
		return []string{tcp.IP.String()}
	}
	var out []string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			out = append(out, n.IP.String())
		}
	}
	return out
}

// displayAddr is the address to open in a browser: localhost for loopback
// or all-interfaces listeners.
func displayAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if ok && (tcp.IP.IsLoopback() || tcp.IP.IsUnspecified()) {
		return fmt.Sprintf("localhost:%d", tcp.Port)
	}
	return addr.String()
}
