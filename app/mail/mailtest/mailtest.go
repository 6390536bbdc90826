// Package mailtest runs a real SMTP server (emersion/go-smtp) on
// 127.0.0.1:0 for tests: plain, STARTTLS or implicit TLS with a generated
// certificate, AUTH PLAIN and LOGIN, scripted failures, and a record of what
// it received. It is a normal package so the app, API, command-line and
// browser tests share it.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// TLS modes of the test server.
const (
	Plain    = "none"
	StartTLS = "starttls"
	Implicit = "tls"
)

// Options configure a Server.
type Options struct {
	// TLS is Plain, StartTLS or Implicit.
	TLS string
	// Username and Password, when set, are required (AUTH PLAIN and LOGIN offered).
	Username, Password string
	// Mechanisms limits the offered AUTH mechanisms (default PLAIN and LOGIN).
	Mechanisms []string
	// Addr to listen on; default 127.0.0.1:0.
	Addr string
	// Delay before each answer to DATA (to time the client's limits).
	Delay time.Duration
	// DropInData makes the server close the connection after reading the
	// first bytes of a message, without answering DATA (a relay that
	// restarts or a network that breaks mid-message).
	DropInData bool
}

// Received is one message the server accepted.
type Received struct {
	From string
	To   []string
	Data []byte
	// Auth is the username the client signed in with, "" if none.
	Auth string
}

// Server is a running test SMTP server.
type Server struct {
	Addr string
	Host string
	Port int
	// CAPEM is the PEM of the certificate authority that signed the server's
	// certificate (for 127.0.0.1 and localhost); Pool holds it.
	CAPEM []byte
	Pool  *x509.CertPool

	srv  *smtp.Server
	opts Options
	ln   net.Listener

	mu        sync.Mutex
	received  []Received
	authTries int
	conns     int
	// fail returns an error for a recipient, or nil.
	fail func(rcpt string) error
}

// Start starts a server; Close stops it.
func Start(opts Options) (*Server, error) {
	if opts.TLS == "" {
		opts.TLS = Plain
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	s := &Server{opts: opts}
	cert, caPEM, err := certificate()
	if err != nil {
		return nil, err
	}
	s.CAPEM = caPEM
	s.Pool = x509.NewCertPool()
	s.Pool.AppendCertsFromPEM(caPEM)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}}

	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.MaxRecipients = 50
	s.srv.AllowInsecureAuth = opts.TLS == Plain
	raw, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, err
	}
	var ln net.Listener = &countingListener{Listener: raw, s: s}
	switch opts.TLS {
	case StartTLS:
		s.srv.TLSConfig = tlsCfg
	case Implicit:
		ln = tls.NewListener(ln, tlsCfg)
	}
	s.ln = ln
	s.Addr = ln.Addr().String()
	tcp := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = tcp.IP.String(), tcp.Port
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// FailWith makes the server answer RCPT with fn's error (nil accepts);
// smtp.SMTPError values give the codes, e.g. 451 or 550.
func (s *Server) FailWith(fn func(rcpt string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = fn
}

// Messages returns what was received so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// AuthAttempts counts AUTH commands the server saw.
func (s *Server) AuthAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authTries
}

type countingListener struct {
	net.Listener
	s *Server
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.s.mu.Lock()
		l.s.conns++
		l.s.mu.Unlock()
	}
	return c, err
}

// Connections counts TCP connections accepted.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// WaitMessages waits until n messages arrived or the timeout passed.
func (s *Server) WaitMessages(n int, timeout time.Duration) []Received {
	deadline := time.Now().Add(timeout)
	for {
		m := s.Messages()
		if len(m) >= n || time.Now().After(deadline) {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type session struct {
	s    *Server
	conn *smtp.Conn
	from string
	to   []string
	user string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	if ss.s.opts.Mechanisms != nil {
		return ss.s.opts.Mechanisms
	}
	return []string{sasl.Plain, sasl.Login}
}

func (ss *session) check(user, pass string) error {
	if user != ss.s.opts.Username || pass != ss.s.opts.Password {
		return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
	}
	ss.user = user
	return nil
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	ss.s.mu.Lock()
	ss.s.authTries++
	ss.s.mu.Unlock()
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error { return ss.check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: ss.check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.Username != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	fail := ss.s.fail
	ss.s.mu.Unlock()
	if fail != nil {
		if err := fail(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	if ss.s.opts.DropInData {
		io.ReadFull(r, make([]byte, 64))
		ss.conn.Conn().Close()
		return io.ErrUnexpectedEOF
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.opts.Delay > 0 {
		time.Sleep(ss.s.opts.Delay)
	}
	ss.s.mu.Lock()
	ss.s.received = append(ss.s.received, Received{From: ss.from, To: ss.to, Data: b, Auth: ss.user})
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN (go-sasl has only the client).
type loginServer struct {
	step       int
	user       string
	check      func(user, pass string) error
	initialRsp bool
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if response != nil && len(response) > 0 {
			l.user = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(response)
		l.step++
		return []byte("Password:"), false, nil
	case 2:
		l.step++
		return nil, true, l.check(l.user, string(response))
	}
	return nil, false, errors.New("unexpected response")
}

// SilentServer accepts connections and never greets: for greeting timeouts.
type SilentServer struct {
	Addr string
	ln   net.Listener
	mu   sync.Mutex
	cs   []net.Conn
}

// StartSilent starts a server that never says a word.
func StartSilent() (*SilentServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &SilentServer{Addr: ln.Addr().String(), ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.cs = append(s.cs, c)
			s.mu.Unlock()
		}
	}()
	return s, nil
}

// Close stops the silent server and drops its connections.
func (s *SilentServer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.cs {
		c.Close()
	}
	return s.ln.Close()
}

// certificate makes a CA and a server certificate for 127.0.0.1 and localhost.
func certificate() (tls.Certificate, []byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Rollcall test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caPEM, nil
}

// Header returns a header field of a received message (raw, unfolded).
func (r Received) Header(name string) string {
	head, _, _ := bytes.Cut(r.Data, []byte("\r\n\r\n"))
	var val string
	found := false
	for _, line := range strings.Split(string(head), "\r\n") {
		if found && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) {
			val += line
			continue
		}
		if found {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, name) {
			val, found = strings.TrimSpace(v), true
		}
	}
	return val
}
