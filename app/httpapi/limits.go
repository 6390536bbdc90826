package httpapi

import (
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"sync"
	"time"
)

// Timeouts bound how long a client may take; zero fields take the defaults
// below. A request's body must arrive within Read of its start and its
// answer be written within Write; uploads (an import file) and downloads
// (a backup, slips) get Long for both, set per request through
// http.ResponseController, so a slow client is cut off instead of holding a
// connection open for ever.
type Timeouts struct {
	ReadHeader time.Duration // the request line and headers: 10 s
	Read       time.Duration // the whole request with its body: 30 s
	Write      time.Duration // the answer: 1 min
	Idle       time.Duration // a kept-alive connection between requests: 2 min
	Long       time.Duration // uploads and downloads, reading and writing: 10 min
}

// DefaultTimeouts are the timeouts of a Server whose Config leaves them zero.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: time.Minute,
	Idle: 2 * time.Minute, Long: 10 * time.Minute}

func (t Timeouts) orDefaults() Timeouts {
	d := DefaultTimeouts
	for _, f := range []struct{ v, def *time.Duration }{{&t.ReadHeader, &d.ReadHeader}, {&t.Read, &d.Read},
		{&t.Write, &d.Write}, {&t.Idle, &d.Idle}, {&t.Long, &d.Long}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	if t.ReadHeader > t.Read {
		t.ReadHeader = t.Read
	}
	return t
}

// DefaultMaxConnsPerAddr caps the connections one address holds open on the
// LAN sign-up listener. A whole class behind one router shares an address,
// and a browser opens up to six connections, so the cap is well above a
// class's need and far below what exhausts the laptop.
const DefaultMaxConnsPerAddr = 128

// HTTPServer is an http.Server for h with the Server's timeouts, logging
// to its log; `serve` and the LAN listener use it.
func (s *Server) HTTPServer(h http.Handler) *http.Server {
	t := s.cfg.Timeouts.orDefaults()
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write,
		IdleTimeout: t.Idle, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
}

// longRoutes are the requests that carry or fetch a large body: uploads of an
// import file and downloads of a backup or of generated files.
var longRoutes = regexp.MustCompile(`^(POST /api/organizations/[^/]+/(imports|users/export)|GET /api/backup|POST /api/backups(/.*)?|GET /api/jobs/[^/]+/[a-z-]+|GET /api/organizations/[^/]+/.*(poster|slips|export).*)$`)

// routeDeadlines gives the long routes their longer read and write deadlines.
func (s *Server) routeDeadlines(h http.Handler) http.Handler {
	long := s.cfg.Timeouts.orDefaults().Long
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if longRoutes.MatchString(r.Method + " " + r.URL.Path) {
			rc := http.NewResponseController(w)
			until := time.Now().Add(long)
			rc.SetReadDeadline(until) // ErrNotSupported in the desktop window: nothing to extend
			rc.SetWriteDeadline(until)
		}
		h.ServeHTTP(w, r)
	})
}

// connLimit is a net.Listener that holds at most max connections open per
// remote IP; one more is closed as soon as it is accepted.
type connLimit struct {
	net.Listener
	max int
	log *slog.Logger

	mu   sync.Mutex
	open map[string]int
}

func limitConns(ln net.Listener, max int, log *slog.Logger) net.Listener {
	if max <= 0 {
		max = DefaultMaxConnsPerAddr
	}
	return &connLimit{Listener: ln, max: max, log: log, open: map[string]int{}}
}

func (l *connLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := c.RemoteAddr().String()
		if h, _, err := net.SplitHostPort(ip); err == nil {
			ip = h
		}
		l.mu.Lock()
		full := l.open[ip] >= l.max
		if !full {
			l.open[ip]++
		}
		l.mu.Unlock()
		if full {
			c.Close()
			l.log.Warn("connection refused: too many from one address", "addr", ip, "max", l.max)
			continue
		}
		return &limitedConn{Conn: c, release: func() {
			l.mu.Lock()
			if l.open[ip]--; l.open[ip] <= 0 {
				delete(l.open, ip)
			}
			l.mu.Unlock()
		}}, nil
	}
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
