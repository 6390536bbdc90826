// Package httpapi is Rollcall's one HTTP API. The desktop window mounts it
// in-process through Wails' asset-server middleware; `rollcall serve` puts
// it behind a TCP listener with the web protections a network needs. No
// business rule lives here: every handler decodes, calls *app.App, encodes.
package httpapi

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"

	"rollcall/app"
)

// MaxBodyBytes caps every JSON request body.
const MaxBodyBytes = 1 << 20

// Mode says which shell the API runs in.
type Mode int

const (
	// Serve: a network server; admins sign in, Host and Origin are checked.
	Serve Mode = iota
	// Desktop: in-process in the desktop window; the person at the laptop is the admin.
	Desktop
)

// Config configures a Server.
type Config struct {
	App  *app.App
	Mode Mode
	// Assets is the built frontend (frontend/dist) served under Serve.
	Assets fs.FS
	// AllowedHosts are host names or IPs (no port) accepted in the Host header
	// besides loopback names and the hosts of organizations' public addresses.
	AllowedHosts []string
	// LocalToken, when set, lets a request bearing it download a backup and
	// create an admin: `rollcall backup` and `rollcall admin create` use it
	// while `serve` holds the file open. serve keeps it in a 0600 note beside
	// the database, so it grants nothing its reader could not do to the file.
	LocalToken string
	// Backup writes a consistent copy of the database, telling size its
	// length first (store.DB.WriteBackup).
	Backup func(w io.Writer, size func(int64)) (int64, error)
	Log    *slog.Logger
	// PublicAddr is where "Open sign-up on this network" listens
	// (DefaultPublicAddr when empty).
	PublicAddr string
	// Timeouts bound slow clients (DefaultTimeouts for zero fields).
	Timeouts Timeouts
	// RootCA is the local certificate authority's root (PEM), offered at
	// RootCAPath for devices to install; nil without one.
	RootCA []byte
	// TLS, when set, makes the LAN listener serve HTTPS with it, as serve does.
	TLS *tls.Config
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; from anyone else they are ignored.
	TrustedProxies []netip.Prefix
	// MaxConnsPerAddr caps the connections one address holds open on the
	// LAN listener (DefaultMaxConnsPerAddr when 0).
	MaxConnsPerAddr int
	// Issuer is the OpenID provider's fixed public address; empty takes it
	// from each request's (allow-listed) Host.
	Issuer string
}

// Server is the HTTP API and, under Serve, the static frontend.
type Server struct {
	cfg Config
	app *app.App
	log *slog.Logger
	api *http.ServeMux
	// lan is the sign-up listener on the school network (lan.go).
	lan lanListener
	// oidc is the OpenID provider (oidc.go).
	oidc oidcProvider
	// scim is the directory's SCIM endpoint (scim.go), served by Handler only.
	scim *http.ServeMux
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Server{cfg: cfg, app: cfg.App, log: cfg.Log, api: http.NewServeMux()}
	s.routes()
	s.scim = s.scimRoutes()
	return s
}

func (s *Server) routes() {
	m := s.api
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok")
	})
	// Public: setup, sign-in.
	m.HandleFunc("GET /api/setup", notViaProxy(s.getSetup))
	m.HandleFunc("POST /api/setup", notViaProxy(s.postSetup))
	m.HandleFunc("GET /api/session", s.getSession)
	m.HandleFunc("POST /api/session", s.postSession)
	m.HandleFunc("DELETE /api/session", s.deleteSession)
	m.Handle("GET /api/signin-holds", s.admin(s.listSignInHolds))
	m.Handle("DELETE /api/signin-holds/{account}", s.admin(s.deleteSignInHold))

	// Admin.
	m.Handle("GET /api/organizations", s.admin(s.listOrganizations))
	m.Handle("POST /api/organizations", s.admin(s.createOrganization))
	m.Handle("GET /api/organizations/{org}", s.admin(s.getOrganization))
	m.Handle("PATCH /api/organizations/{org}", s.admin(s.updateOrganization))

	m.Handle("GET /api/organizations/{org}/groups", s.admin(s.listGroups))
	m.Handle("POST /api/organizations/{org}/groups", s.admin(s.createGroup))
	m.Handle("GET /api/organizations/{org}/groups/{group}", s.admin(s.getGroup))
	m.Handle("PATCH /api/organizations/{org}/groups/{group}", s.admin(s.updateGroup))
	m.Handle("DELETE /api/organizations/{org}/groups/{group}", s.admin(s.deleteGroup))

	m.Handle("GET /api/organizations/{org}/users", s.admin(s.listUsers))
	m.Handle("POST /api/organizations/{org}/users", s.admin(s.createUser))
	m.Handle("GET /api/organizations/{org}/users/{user}", s.admin(s.getUser))
	m.Handle("PATCH /api/organizations/{org}/users/{user}", s.admin(s.updateUser))
	m.Handle("DELETE /api/organizations/{org}/users/{user}", s.admin(s.deleteUser))
	m.Handle("POST /api/organizations/{org}/users/{user}/deactivate", s.admin(s.setUserStatus(app.StatusDeactivated)))
	m.Handle("POST /api/organizations/{org}/users/{user}/activate", s.admin(s.setUserStatus(app.StatusActive)))
	m.Handle("POST /api/organizations/{org}/users/bulk", s.admin(s.bulkUsers))
	m.Handle("PUT /api/organizations/{org}/users/{user}/roles", s.admin(s.putUserRoles))
	m.Handle("GET /api/organizations/{org}/labels", s.admin(s.listLabels))

	m.Handle("GET /api/backup", s.localOrAdmin(s.getBackup))
	m.Handle("POST /api/admins", s.localOrAdmin(s.createAdmin))
	s.adminRoutes(m)
	s.sessionRoutes(m)
	s.twoStepRoutes(m)
	s.backupRoutes(m)
	s.rolloverRoutes(m)
	s.jobRoutes(m)
	s.accountRoutes(m)
	s.lifecycleRoutes(m)
	s.smtpRoutes(m)
	s.smsRoutes(m)
	s.ssoRoutes(m)
	s.invitationRoutes(m)
	s.outboxRoutes(m)
	s.portalRoutes(m)
	s.passwordResetRoutes(m)
	s.badgeRoutes(m)
	s.inviteCodeRoutes(m)
	s.inviteLinkRoutes(m)
	s.signUpRoutes(m)
	s.lanRoutes(m)
	s.importRoutes(m)
	s.exportRoutes(m)
	s.auditRoutes(m)
	s.oidcRoutes(m)
	s.scimAdminRoutes(m)

	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.error(w, r, app.Errorf(app.ENOTFOUND, "There is no API route %s %s.", r.Method, r.URL.Path))
	})
}

// API returns the /api/ and /healthz handler alone, as the desktop window
// mounts it. Under Desktop no sign-in is asked for.
func (s *Server) API() http.Handler { return s.recoverPanics(s.secureHeaders(s.routeDeadlines(s.api))) }

// Handler returns the whole site for `serve`: Host allow-list, cross-origin
// protection, security headers, the API and the frontend.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", s.api)
	mux.Handle("/healthz", s.api)
	mux.HandleFunc("GET "+RootCAPath, s.serveRootCA)
	// The OpenID provider's protocol endpoints, beside the API.
	mux.HandleFunc("/oidc/", s.serveOIDC)
	mux.HandleFunc("GET /.well-known/openid-configuration", s.serveOIDC)
	// The directory's provisioning endpoint (bearer token, never a cookie).
	mux.Handle("/scim/v2/", s.scim)
	if s.cfg.Assets != nil {
		mux.Handle("/", spa(s.cfg.Assets))
	}
	// secureHeaders is outermost so that the answers of the host check and
	// of the cross-origin protection carry the headers too (no-store, nosniff).
	return s.recoverPanics(s.fromProxy(s.secureHeaders(s.checkHost(s.crossOrigin().Handler(s.routeDeadlines(mux))))))
}

// recoverPanics answers a request whose handler panicked with a 500 error
// (and logs the panic) instead of letting net/http drop the connection,
// which a browser shows as a network failure with no reason. A panic after
// the answer has begun can only end the connection, as before.
func (s *Server) recoverPanics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &startedWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler || sw.started {
				panic(p)
			}
			s.log.Error("request panicked", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			s.error(w, r, app.Errorf(app.EINTERNAL, "Something went wrong inside Rollcall. The details were written to its log."))
		}()
		h.ServeHTTP(sw, r)
	})
}

// startedWriter notes whether the answer's header was sent.
type startedWriter struct {
	http.ResponseWriter
	started bool
}

func (w *startedWriter) WriteHeader(code int) { w.started = true; w.ResponseWriter.WriteHeader(code) }
func (w *startedWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (deadlines, flush).
func (w *startedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) crossOrigin() *http.CrossOriginProtection {
	cop := http.NewCrossOriginProtection()
	// The provider's back-channel endpoints authenticate with a client
	// secret or a bearer token, never a cookie: an app's page may call them.
	// So does the directory's SCIM endpoint (app/httpapi/scim.go).
	for _, p := range []string{"/oidc/token", "/oidc/userinfo", "/oidc/revoke", "/oidc/introspect", "/scim/v2/"} {
		cop.AddInsecureBypassPattern(p)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.error(w, r, app.Errorf(app.EFORBIDDEN, "Cross-origin request refused."))
	}))
	return cop
}

// contentSecurityPolicy allows only Rollcall's own scripts; user data is
// never markup.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"frame-ancestors 'none'; form-action 'self'"

func (s *Server) secureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		// Token pages (an invitation link) are never cached; Referrer-Policy above keeps the token from leaking.
		if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/invite/") || strings.HasPrefix(r.URL.Path, "/verify/") || strings.HasPrefix(r.URL.Path, "/reset/") || strings.HasPrefix(r.URL.Path, "/scim/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// checkHost refuses requests whose Host is not ours, against DNS rebinding.
func (s *Server) checkHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Context(), r.Host) {
			s.error(w, r, app.Errorf(app.EINVALID, "Unknown host %q. Start Rollcall with --allow-host for the names it is reached by.", r.Host))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) hostAllowed(ctx context.Context, hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, h := range s.cfg.AllowedHosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	orgs, err := s.app.Organizations(ctx)
	if err != nil {
		return false
	}
	for _, o := range orgs {
		if u, err := url.Parse(o.PublicURL); err == nil && o.PublicURL != "" && strings.EqualFold(u.Hostname(), host) {
			return true
		}
	}
	return false
}

type ctxKey int

const adminKey ctxKey = iota

// adminFrom returns the signed-in admin that s.admin put in the request's
// context; nil in the desktop window and for the local token.
func adminFrom(ctx context.Context) *app.Admin {
	adm, _ := ctx.Value(adminKey).(*app.Admin)
	return adm
}

// admin wraps a handler that needs an admin: under Serve a signed-in one,
// looked up once and put in the request's context (see adminFrom).
func (s *Server) admin(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Mode != Desktop {
			adm, err := s.app.AdminBySession(r.Context(), sessionToken(r))
			if err != nil {
				s.error(w, r, err)
				return
			}
			ctx := context.WithValue(r.Context(), adminKey, adm)
			r = r.WithContext(app.WithActor(ctx, app.AdminActor(adm)))
		} else {
			r = r.WithContext(app.WithActor(r.Context(), app.DesktopActor))
		}
		h(w, r)
	})
}

// localOrAdmin lets an admin or the holder of the local token through.
func (s *Server) localOrAdmin(h http.HandlerFunc) http.Handler {
	adm := s.admin(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok && s.cfg.LocalToken != "" && subtle.ConstantTimeCompare([]byte(bearer), []byte(s.cfg.LocalToken)) == 1 {
			h(w, r.WithContext(app.WithActor(r.Context(), app.CLIActor)))
			return
		}
		adm.ServeHTTP(w, r)
	})
}

// errorStatus maps each domain error code to its one HTTP status.
var errorStatus = map[string]int{
	app.EINVALID:        http.StatusBadRequest,
	app.ENOTFOUND:       http.StatusNotFound,
	app.ECONFLICT:       http.StatusConflict,
	app.EUNAUTHORIZED:   http.StatusUnauthorized,
	app.EFORBIDDEN:      http.StatusForbidden,
	app.ETOOMANY:        http.StatusTooManyRequests,
	app.EPASSWORDCHANGE: http.StatusForbidden,
	app.ESECONDFACTOR:   http.StatusUnauthorized,
	app.EBADGEPIN:       http.StatusUnauthorized,
	app.ETWOSTEPSETUP:   http.StatusForbidden,
	app.EINTERNAL:       http.StatusInternalServerError,
}

// error writes err as {code, message, details}. Internal errors are logged
// and shown with a generic message.
// Messages and details are in the request's language (requestLanguage).
func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	status := errorStatus[app.ErrorCode(err)]
	lang := requestLanguage(r)
	body := app.Error{Code: app.ErrorCode(err), Message: app.LocalizedMessage(err, lang)}
	var e *app.Error
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		status = http.StatusRequestEntityTooLarge
		body = app.Error{Code: app.EINVALID, Message: app.LocalizedMessage(app.ErrRequestTooLarge(), lang)}
	case errors.As(err, &e):
		body.Details = app.LocalizedDetails(err, lang)
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, body)
}

// requestLanguage is the language the request asks for in its
// Accept-Language header (the browser UI sends the language chosen on its
// pages), as app.PickLanguage chooses: errors and import messages come out
// in it.
func requestLanguage(r *http.Request) string {
	return app.PickLanguage(r.Header.Get("Accept-Language"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body of at most MaxBodyBytes into v; unknown fields
// are refused so a misspelt field is not silently ignored.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		var wrongType *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooLarge):
			return err
		case errors.As(err, &wrongType) && wrongType.Field != "":
			return app.FieldError(app.EINVALID, wrongType.Field, "The field %q must be a %s, not a %s.", wrongType.Field, jsonKind(wrongType.Type), wrongType.Value)
		}
		// The body is valid JSON with a field no handler reads: name it, so
		// that a misspelt field is found at once.
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			if field, uerr := strconv.Unquote(name); uerr == nil {
				return app.FieldError(app.EINVALID, field, "The field %q is not known here; remove it or check its spelling.", field)
			}
		}
		return app.Errorf(app.EINVALID, "The request body is not valid JSON: %v.", err)
	}
	if dec.More() {
		return app.Errorf(app.EINVALID, "The request body holds more than one JSON value.")
	}
	return nil
}

// jsonKind names the JSON kind a Go type is decoded from, for messages.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "object"
	}
}

// spa serves the built frontend; unknown paths without a file extension get
// index.html so that client-side routes survive a reload.
func spa(assets fs.FS) http.Handler {
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if p != "" && path.Ext(p) == "" {
			if _, err := fs.Stat(assets, p); err != nil {
				r = r.Clone(r.Context())
				r.URL.Path = "/"
			}
		}
		if strings.HasPrefix(p, "link/") || strings.HasPrefix(p, "invite/") || strings.HasPrefix(p, "verify/") {
			w.Header().Set("Cache-Control", "no-store") // a token is in the address
		}
		if strings.HasPrefix(p, "assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		files.ServeHTTP(w, r)
	})
}

// peerAddr is the client's IP: the connection's peer, or, behind a trusted
// proxy (Config.TrustedProxies), the client the proxy names (fromProxy).
func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// clientAddr is the key for per-address rate limits: an IPv4 client by its
// address; an IPv6 client by its /64, since one device may take any of the
// 2^64 addresses of its network (privacy addresses) and a per-address limit
// would not hold it back.
func clientAddr(r *http.Request) string {
	ip := peerAddr(r)
	switch {
	case !ip.IsValid():
		return r.RemoteAddr
	case ip.Is4():
		return ip.String()
	}
	p, _ := ip.WithZone("").Prefix(64)
	return p.String()
}
