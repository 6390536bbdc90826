package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"rollcall/app"
)

// The LAN listener lets pupils' tablets on the school Wi-Fi reach the sign-up
// pages of a laptop: a second net.Listener whose handler serves only the
// public part of the one route table (/api/public/..., /healthz), the
// frontend's static files and its public pages. No admin route is reachable
// through it, in the desktop window (where the admin routes ask for nobody)
// as under serve.

// DefaultPublicAddr is where "Open sign-up on this network" listens.
const DefaultPublicAddr = "0.0.0.0:8081"

// publicPages are the first path segments of the frontend's public pages.
var publicPages = []string{"join", "link", "signin", "account", "invite", "verify", "reset"}

// PublicStatus describes the LAN listener.
type PublicStatus struct {
	Open bool `json:"open"`
	// Addr is the address it listens on, e.g. 0.0.0.0:8081.
	Addr string `json:"addr,omitempty"`
	// URLs are the addresses to type on the network: one per LAN IP.
	URLs []string `json:"urls"`
}

type lanListener struct {
	mu   sync.Mutex
	hs   *http.Server
	addr *net.TCPAddr
}

// PublicHandler serves only public routes, for the LAN listener. Its Host
// check accepts the IP the connection came in on (so a laptop that joins
// another network or gets a new address keeps working) besides the names
// Handler accepts.
func (s *Server) PublicHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/public/", s.api)
	mux.Handle("GET /healthz", s.api)
	mux.HandleFunc("GET "+RootCAPath, s.serveRootCA)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.error(w, r, app.Errorf(app.ENOTFOUND, "There is no API route %s %s on the sign-up address.", r.Method, r.URL.Path))
	})
	mux.HandleFunc("/", s.publicPage)
	return s.recoverPanics(s.secureHeaders(s.checkLANHost(s.crossOrigin().Handler(s.routeDeadlines(mux)))))
}

// publicPage serves the frontend's files and, for a public page, its
// index.html; everything else is 404. The root leads to the code box.
func (s *Server) publicPage(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	first, _, _ := strings.Cut(p, "/")
	switch {
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		s.error(w, r, app.Errorf(app.ENOTFOUND, "Not found."))
	case p == "":
		http.Redirect(w, r, "/join", http.StatusFound)
	case s.cfg.Assets == nil:
		http.NotFound(w, r)
	case path.Ext(p) != "" || slices.Contains(publicPages, first):
		spa(s.cfg.Assets).ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

// StartPublic opens the LAN listener on addr (DefaultPublicAddr when empty).
// Opening it again on the same address is not an error.
func (s *Server) StartPublic(addr string) (PublicStatus, error) {
	if addr == "" {
		addr = DefaultPublicAddr
	}
	s.lan.mu.Lock()
	defer s.lan.mu.Unlock()
	if s.lan.hs != nil { // already open: say where
		return s.publicStatusLocked(), nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return PublicStatus{}, app.Errorf(app.ECONFLICT, "Sign-up could not be opened on %s: %v. Another program may use that port.", addr, err)
	}
	hs := s.HTTPServer(s.PublicHandler())
	s.lan.hs, s.lan.addr = hs, ln.Addr().(*net.TCPAddr)
	limited := limitConns(ln, s.cfg.MaxConnsPerAddr, s.log)
	serve := hs.Serve
	if s.cfg.TLS != nil {
		hs.TLSConfig = s.cfg.TLS.Clone()
		serve = func(ln net.Listener) error { return hs.ServeTLS(ln, "", "") }
	}
	go func() {
		if err := serve(limited); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("sign-up listener stopped", "addr", addr, "err", err)
		}
	}()
	s.log.Info("sign-up open on the network", "addr", ln.Addr().String(), "urls", s.publicStatusLocked().URLs)
	return s.publicStatusLocked(), nil
}

// StopTimeout is how long StopPublic lets requests under way finish.
const StopTimeout = 2 * time.Second

// StopPublic closes the LAN listener: it stops accepting at once, closes
// idle connections, and waits up to StopTimeout for requests under way (a
// sign-up being written) before it cuts the rest. When it returns nothing
// runs through the listener any more, so the database may be closed.
func (s *Server) StopPublic() error {
	s.lan.mu.Lock()
	hs := s.lan.hs
	s.lan.hs, s.lan.addr = nil, nil
	s.lan.mu.Unlock()
	if hs == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), StopTimeout)
	defer cancel()
	err := hs.Shutdown(ctx)
	if cerr := hs.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = nil // the stragglers were cut, as they should be
	}
	s.log.Info("sign-up closed on the network")
	return err
}

// PublicStatusNow reports whether the LAN listener is open and its addresses.
func (s *Server) PublicStatusNow() PublicStatus {
	s.lan.mu.Lock()
	defer s.lan.mu.Unlock()
	return s.publicStatusLocked()
}

// publicStatusLocked works the addresses out again on every call: the
// laptop's IPs change when it joins another network.
func (s *Server) publicStatusLocked() PublicStatus {
	if s.lan.hs == nil {
		return PublicStatus{URLs: []string{}}
	}
	scheme := "http"
	if s.cfg.TLS != nil {
		scheme = "https"
	}
	return PublicStatus{Open: true, Addr: s.lan.addr.String(), URLs: lanURLs(scheme, s.lan.addr)}
}

// lanURLs returns a URL for each IP a listener is reached by:
// its own IP, or for an all-interfaces listener every non-loopback IPv4
// address (private ones first), then IPv6 ones that are not link-local.
func lanURLs(scheme string, tcp *net.TCPAddr) []string {
	port := strconv.Itoa(tcp.Port)
	var ips []net.IP
	if !tcp.IP.IsUnspecified() {
		ips = []net.IP{tcp.IP}
	} else {
		addrs, _ := net.InterfaceAddrs()
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() || n.IP.IsLinkLocalMulticast() {
				continue
			}
			ips = append(ips, n.IP)
		}
		slices.SortStableFunc(ips, func(a, b net.IP) int {
			rank := func(ip net.IP) int {
				switch {
				case ip.To4() != nil && ip.IsPrivate():
					return 0
				case ip.To4() != nil:
					return 1
				}
				return 2
			}
			return rank(a) - rank(b)
		})
	}
	urls := []string{}
	for _, ip := range ips {
		urls = append(urls, scheme+"://"+net.JoinHostPort(ip.String(), port))
	}
	return urls
}

// checkLANHost is checkHost that also accepts the IP address the request's
// connection was accepted on (http.LocalAddrContextKey): whatever address
// the laptop has now, a tablet that reached it by that IP may use it. A
// name that is not allowed (DNS rebinding) is still refused.
func (s *Server) checkLANHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if hh, _, err := net.SplitHostPort(host); err == nil {
			host = hh
		}
		host = strings.Trim(host, "[]")
		if !localIPIs(r, host) && !s.hostAllowed(r.Context(), r.Host) {
			s.error(w, r, app.Errorf(app.EINVALID, "Unknown host %q.", r.Host))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// localIPIs reports whether host is the IP the request came in on.
func localIPIs(r *http.Request, host string) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	tcp, ok := local.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	want, ok := netip.AddrFromSlice(tcp.IP)
	return ok && want.Unmap() == ip.Unmap().WithZone("")
}

// lanRoutes: the admin's switch for the LAN listener.
func (s *Server) lanRoutes(m *http.ServeMux) {
	m.Handle("GET /api/lan", s.admin(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.PublicStatusNow())
	}))
	m.Handle("POST /api/lan", s.admin(s.openLAN))
	m.Handle("DELETE /api/lan", s.admin(func(w http.ResponseWriter, r *http.Request) {
		err := s.app.Record(r.Context(), "lan.close", app.AuditTarget{Kind: "listener", Name: "sign-up on this network"}, "closed", func() error {
			if err := s.StopPublic(); err != nil {
				s.log.Warn("close sign-up listener", "err", err)
			}
			return nil
		})
		if err != nil {
			s.error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, s.PublicStatusNow())
	}))
}

func (s *Server) openLAN(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Addr string `json:"addr"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			s.error(w, r, err)
			return
		}
	}
	if in.Addr == "" {
		in.Addr = s.cfg.PublicAddr
	}
	var st PublicStatus
	err := s.app.Record(r.Context(), "lan.open", app.AuditTarget{Kind: "listener", Name: "sign-up on this network"}, "listening on "+in.Addr,
		func() (err error) { st, err = s.StartPublic(in.Addr); return err })
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// lanURLs are the LAN listener's addresses, the bases QR codes may use
// besides the organization's public address (app.SignUpBases).
func (s *Server) lanURLs() []string { return s.PublicStatusNow().URLs }
