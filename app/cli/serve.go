package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"rollcall/app"
	"rollcall/app/httpapi"
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
}

func serveInfoPath(db string) string { return db + ".serve" }

func (m *Main) runServe(ctx context.Context, args []string) error {
	fs := m.flags("serve", "serve [--addr 127.0.0.1:8080] [--public-addr 0.0.0.0:8081] [--db PATH] [--allow-host NAME,...]")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on; loopback by default, 0.0.0.0:8080 exposes it to the network")
	publicAddr := fs.String("public-addr", "", "also serve only the public sign-up pages here, e.g. 0.0.0.0:8081 for pupils' tablets on the school network (off by default)")
	dbp := dbFlag(fs)
	allow := fs.String("allow-host", "", "comma-separated host names the server is reached by, besides localhost and the organizations' public addresses")
	readTimeout := fs.Duration("read-timeout", httpapi.DefaultTimeouts.Read, "how long a client may take to send a request with its body; a slower one is cut off")
	longTimeout := fs.Duration("upload-timeout", httpapi.DefaultTimeouts.Long, "how long an upload (an import file) or a download (a backup, slips) may take")
	maxConns := fs.Int("max-conns-per-addr", httpapi.DefaultMaxConnsPerAddr, "connections one address may hold open on the sign-up listener (--public-addr); a class behind one router shares an address")
	backupDir := fs.String("backup-dir", "", "folder of the daily backups and of those taken before a restore or a year-end rollover (default: the database's path + .backups)")
	backupKeep := fs.Int("backup-keep", app.DefaultBackupKeep, "how many backups the backup folder keeps; older ones are removed")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *backupKeep < 1 {
		return usagef("--backup-keep must be at least 1")
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
	srv := sys.serveAPI(httpapi.Config{Mode: httpapi.Serve, AllowedHosts: hosts, LocalToken: token, PublicAddr: *publicAddr,
		Timeouts: httpapi.Timeouts{Read: *readTimeout, Long: *longTimeout}, MaxConnsPerAddr: *maxConns})
	if *publicAddr != "" {
		st, err := srv.StartPublic(*publicAddr)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Sign-up is open on this network at %s (public pages only).\n", strings.Join(st.URLs, ", "))
	}
	info, _ := json.Marshal(serveInfo{Addr: ln.Addr().String(), Token: token, PID: os.Getpid()})
	if _, err := writeFileAtomic(serveInfoPath(db.Path), func(w io.Writer) (int64, error) {
		n, err := w.Write(info)
		return int64(n), err
	}); err != nil {
		return err
	}
	defer os.Remove(serveInfoPath(db.Path))

	hs := srv.HTTPServer(srv.Handler())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	url := "http://" + displayAddr(ln.Addr())
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
