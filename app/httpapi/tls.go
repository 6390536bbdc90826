package httpapi

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"rollcall/app"
)

// RootCAPath is where the local certificate authority's root is offered for
// download (public: a tablet fetches it before it trusts anything).
const RootCAPath = "/ca.crt"

// serveRootCA answers the root certificate of the local CA, 404 without one.
func (s *Server) serveRootCA(w http.ResponseWriter, r *http.Request) {
	if len(s.cfg.RootCA) == 0 {
		s.error(w, r, app.Errorf(app.ENOTFOUND, "This server has no local certificate authority (start it with --tls-local)."))
		return
	}
	w.Header().Set("Content-Type", "application/x-x509-ca-cert")
	w.Header().Set("Content-Disposition", `attachment; filename="rollcall-root-ca.crt"`)
	w.Write(s.cfg.RootCA)
}

// RedirectHandler answers plain HTTP with a redirect to the same address
// over HTTPS on httpsPort; only the root certificate is served as it is, so
// that a device can fetch it before it trusts the HTTPS server. The Host is
// checked as Handler checks it, so the redirect never leads elsewhere.
func (s *Server) RedirectHandler(httpsPort string) http.Handler {
	return s.secureHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if !localIPIs(r, host) && !s.hostAllowed(r.Context(), r.Host) {
			s.error(w, r, app.Errorf(app.EINVALID, "Unknown host %q.", r.Host))
			return
		}
		if r.URL.Path == RootCAPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			s.serveRootCA(w, r)
			return
		}
		target := "https://" + net.JoinHostPort(host, httpsPort) + r.URL.RequestURI()
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
	}))
}

// proxiedKey marks in a request's context that it came through a trusted proxy.
type proxiedKey struct{}

// viaProxy reports whether the request came through a trusted proxy.
func viaProxy(r *http.Request) bool {
	v, _ := r.Context().Value(proxiedKey{}).(bool)
	return v
}

// fromProxy reads X-Forwarded-For and X-Forwarded-Proto, but only from a
// peer in the trusted proxies: the client's address (what the per-address
// limits count) becomes the right-most address in X-Forwarded-For that is
// not itself a trusted proxy, and "https" makes the request count as secure
// (cookies get Secure). From any other peer the headers are ignored.
func (s *Server) fromProxy(h http.Handler) http.Handler {
	if len(s.cfg.TrustedProxies) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer := peerAddr(r)
		if !s.trusted(peer) {
			h.ServeHTTP(w, r)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), proxiedKey{}, true))
		var hops []string
		for _, v := range r.Header.Values("X-Forwarded-For") {
			hops = append(hops, strings.Split(v, ",")...)
		}
		for i := len(hops) - 1; i >= 0; i-- {
			ip, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // a malformed list: trust nothing further left
			}
			r.RemoteAddr = netip.AddrPortFrom(ip.Unmap(), 0).String()
			if !s.trusted(ip.Unmap()) {
				break
			}
		}
		protos := r.Header.Values("X-Forwarded-Proto")
		if len(protos) > 0 && r.TLS == nil {
			last := protos[len(protos)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if strings.EqualFold(strings.TrimSpace(last), "https") {
				// The proxy ended TLS; the session cookies get Secure,
				// which the handlers decide by r.TLS.
				r.TLS = &tls.ConnectionState{}
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) trusted(ip netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if ip.IsValid() && p.Contains(ip) {
			return true
		}
	}
	return false
}

// notViaProxy hides the peer's address from a handler when the request came
// through a trusted proxy, so that loopback-only pages (the first admin's
// setup) are not reachable through a proxy on the same computer.
func notViaProxy(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if viaProxy(r) {
			r = r.Clone(r.Context())
			r.RemoteAddr = ""
		}
		h(w, r)
	}
}
