// Package mail is Rollcall's SMTP adapter: it implements app.Mailer over
// emersion/go-smtp and writes messages with emersion/go-message. It decides
// how to reach a relay safely (implicit TLS, STARTTLS that must be offered,
// plain only to loopback; certificates verified; no AUTH before TLS) and
// turns every failure into an *app.DeliveryError that says what the server
// said and whether retrying can help.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"rollcall/app"
)

// Mailer connects to SMTP relays. The zero value uses the default timeouts.
type Mailer struct {
	// DialTimeout bounds the TCP connect and, for implicit TLS, the handshake.
	DialTimeout time.Duration
	// CommandTimeout bounds the greeting and each command's answer.
	CommandTimeout time.Duration
	// DataTimeout bounds the answer after the message body.
	DataTimeout time.Duration
	// LocalName is the name given in EHLO; default "localhost".
	LocalName string
	// RootCAs, when set, replaces the system's trusted roots (tests).
	RootCAs *x509.CertPool
	// NetDial, when set, opens the TCP connection instead of net.Dialer
	// (tests: to reach an address other than the one the name gives).
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Default timeouts: long enough for a slow school relay, short enough that a
// silent one is noticed in the outbox within a minute.
const (
	DefaultDialTimeout    = 15 * time.Second
	DefaultCommandTimeout = 30 * time.Second
	DefaultDataTimeout    = 2 * time.Minute
)

func (m *Mailer) timeouts() (dial, cmd, data time.Duration) {
	dial, cmd, data = m.DialTimeout, m.CommandTimeout, m.DataTimeout
	if dial <= 0 {
		dial = DefaultDialTimeout
	}
	if cmd <= 0 {
		cmd = DefaultCommandTimeout
	}
	if data <= 0 {
		data = DefaultDataTimeout
	}
	return
}

func (m *Mailer) tlsConfig(r *app.RelayConfig) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: r.Host, MinVersion: tls.VersionTLS12}
	if m.RootCAs != nil {
		cfg.RootCAs = m.RootCAs
	}
	if r.CAFile != "" {
		// One message whatever went wrong (no such file, a directory, no
		// permission, no certificate in it): the settings page must not
		// become a way to learn which files exist on the server.
		unreadable := fmt.Errorf("could not read the CA file %s as PEM certificates; check the path and that Rollcall may read it", r.CAFile)
		pem, err := os.ReadFile(r.CAFile)
		if err != nil {
			return nil, unreadable
		}
		pool := cfg.RootCAs
		if pool == nil {
			if pool, err = x509.SystemCertPool(); err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
		} else {
			pool = pool.Clone()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, unreadable
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// Dial implements app.Mailer.
func (m *Mailer) Dial(ctx context.Context, r *app.RelayConfig) (app.MailConn, error) {
	dialT, cmdT, dataT := m.timeouts()
	if r.Security == app.SecurityNone && !app.IsLoopbackHost(r.Host) {
		return nil, &app.DeliveryError{Stage: app.StageTLS, Reply: "unencrypted mail is allowed only to a relay on this computer"}
	}
	var tlsCfg *tls.Config
	if r.Security != app.SecurityNone { // no TLS, so no CA file to read
		var err error
		if tlsCfg, err = m.tlsConfig(r); err != nil {
			return nil, &app.DeliveryError{Stage: app.StageTLS, Reply: err.Error(), Err: err}
		}
	}
	dctx, cancel := context.WithTimeout(ctx, dialT)
	defer cancel()
	dial := m.NetDial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	conn, err := dial(dctx, "tcp", r.Addr())
	// The name said "this computer"; the address reached must say so too
	// before anything goes over the connection unencrypted.
	loopback := err == nil && isLoopbackAddr(conn.RemoteAddr())
	if err == nil && r.Security == app.SecurityNone && !loopback {
		conn.Close()
		return nil, &app.DeliveryError{Stage: app.StageTLS, Reply: fmt.Sprintf("unencrypted mail is allowed only to a relay on this computer, and %s reached %s", r.Host, conn.RemoteAddr())}
	}
	if err == nil && r.Security == app.SecurityTLS {
		tc := tls.Client(conn, tlsCfg)
		if err = tc.HandshakeContext(dctx); err != nil {
			conn.Close()
		}
		conn = tc
	}
	if err != nil {
		stage := app.StageConnect
		var ce *tls.CertificateVerificationError
		if errors.As(err, &ce) || isTLSError(err) {
			stage = app.StageTLS
		}
		return nil, &app.DeliveryError{Stage: stage, Reply: describe(err), Err: err}
	}
	// go-smtp gives the greeting and the commands before STARTTLS its
	// default 5-minute limit; the clamp shortens every deadline it sets to
	// cmdT until the client is ours to configure.
	cc := &clampConn{Conn: conn, limit: cmdT}
	// When ctx ends (the app stops) the connection gets StopGrace more, so
	// a slow relay cannot hold up the shutdown.
	defer context.AfterFunc(ctx, cc.stop)()
	local := m.LocalName
	if local == "" {
		local = "localhost"
	}
	c := smtp.NewClient(cc)
	c.CommandTimeout, c.SubmissionTimeout = cmdT, dataT
	fail := func(stage string, err error) (app.MailConn, error) {
		c.Close()
		return nil, classify(stage, err)
	}
	// The greeting and EHLO, each under CommandTimeout.
	if err := c.Hello(local); err != nil {
		return fail(app.StageConnect, err)
	}
	if r.Security == app.SecurityStartTLS {
		// Refused when the relay's EHLO answer does not list STARTTLS,
		// before anything else is said.
		if ok, _ := c.Extension("STARTTLS"); !ok {
			c.Close()
			err := errors.New("the relay does not offer STARTTLS, so the connection would not be encrypted; Rollcall refuses to send the password or any mail over it (check the port: 587 for STARTTLS, 465 for TLS)")
			return nil, &app.DeliveryError{Stage: app.StageTLS, Reply: err.Error(), Err: err}
		}
		// go-smtp upgrades only a client it makes itself, which begins by
		// reading a greeting: it gets the one already read again, then
		// says EHLO anew (allowed at any time) and sends STARTTLS.
		c, err = smtp.NewClientStartTLS(&greetedConn{Conn: cc, greeting: strings.NewReader("220 greeted already\r\n")}, tlsCfg)
		if err != nil {
			return nil, classify(app.StageTLS, err)
		}
		c.CommandTimeout, c.SubmissionTimeout = cmdT, dataT
		// EHLO over TLS (the handshake happens here).
		if err := c.Hello(local); err != nil {
			return fail(app.StageTLS, err)
		}
	}
	cc.limit = 0
	if r.Username != "" {
		if _, secure := c.TLSConnectionState(); !secure && !loopback {
			return fail(app.StageAuth, errors.New("refusing to sign in over an unencrypted connection"))
		}
		var auth sasl.Client
		switch {
		case c.SupportsAuth(sasl.Plain):
			auth = sasl.NewPlainClient("", r.Username, r.Password)
		case c.SupportsAuth(sasl.Login):
			auth = sasl.NewLoginClient(r.Username, r.Password)
		default:
			return fail(app.StageAuth, errors.New("the relay offers neither AUTH PLAIN nor AUTH LOGIN (leave the username empty if it needs no sign-in)"))
		}
		if err := c.Auth(auth); err != nil {
			return fail(app.StageAuth, err)
		}
	}
	return &session{c: c, cc: cc}, nil
}

// isLoopbackAddr reports whether a connection's remote address is a loopback IP.
func isLoopbackAddr(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

func isTLSError(err error) bool {
	var rec tls.RecordHeaderError
	var alert tls.AlertError
	var unk x509.UnknownAuthorityError
	var host x509.HostnameError
	var inv x509.CertificateInvalidError
	return errors.As(err, &rec) || errors.As(err, &alert) || errors.As(err, &unk) || errors.As(err, &host) || errors.As(err, &inv)
}

// classify turns an SMTP or network error into an *app.DeliveryError: a 5xx
// answer during sending is permanent, everything else temporary.
func classify(stage string, err error) error {
	var de *app.DeliveryError
	if errors.As(err, &de) {
		return de
	}
	if isTLSError(err) {
		stage = app.StageTLS
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		reply := fmt.Sprintf("%d", se.Code)
		if se.EnhancedCode != smtp.NoEnhancedCode && se.EnhancedCode != (smtp.EnhancedCode{}) {
			reply += fmt.Sprintf(" %d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		}
		if se.Message != "" {
			reply += " " + se.Message
		}
		return &app.DeliveryError{Stage: stage, Permanent: stage == app.StageSend && !se.Temporary(), Reply: reply, Code: se.Code, Err: err}
	}
	return &app.DeliveryError{Stage: stage, Reply: describe(err), Err: err}
}

// describe words a network error for a person.
func describe(err error) string {
	var ne net.Error
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return "the host name " + dns.Name + " was not found: check the relay's name (" + err.Error() + ")"
	case errors.As(err, &ne) && ne.Timeout():
		return "no answer within the time limit (" + err.Error() + ")"
	case errors.Is(err, syscallECONNREFUSED):
		return "connection refused (" + err.Error() + ")"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscallECONNRESET) || errors.Is(err, syscallEPIPE):
		return "the relay closed the connection without answering (" + err.Error() + ")"
	}
	return err.Error()
}

type session struct {
	c  *smtp.Client
	cc *clampConn
}

// Send implements app.MailConn. When ctx ends during the exchange the relay
// has StopGrace to answer; after that Send returns (a temporary failure)
// and the connection is spent.
func (s *session) Send(ctx context.Context, m *app.Message) error {
	defer context.AfterFunc(ctx, s.cc.stop)()
	var buf bytes.Buffer
	if err := Write(&buf, m); err != nil {
		return &app.DeliveryError{Stage: app.StageSend, Permanent: true, Reply: "the message could not be written: " + err.Error(), Err: err}
	}
	if err := s.c.Mail(m.From.Address, nil); err != nil {
		return classify(app.StageSend, err)
	}
	if err := s.c.Rcpt(m.To.Address, nil); err != nil {
		s.c.Reset()
		return classify(app.StageSend, err)
	}
	w, err := s.c.Data()
	if err != nil {
		s.c.Reset()
		return classify(app.StageSend, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		w.Close()
		return classify(app.StageSend, err)
	}
	if err := w.Close(); err != nil {
		return classify(app.StageSend, err)
	}
	return nil
}

// Close implements app.MailConn.
func (s *session) Close() error {
	if err := s.c.Quit(); err != nil {
		s.c.Close()
		return nil // the message was accepted already; a rude goodbye is no failure
	}
	return nil
}

// Write writes m as a MIME message: multipart/alternative with a text and an
// HTML part. Addresses are encoded with net/mail; a header value holding a
// line break is refused by go-message, so no field can be injected.
func Write(w *bytes.Buffer, m *app.Message) error {
	var h gomail.Header
	h.SetDate(m.Date)
	h.SetAddressList("From", []*gomail.Address{{Name: m.From.Name, Address: m.From.Address}})
	h.SetAddressList("To", []*gomail.Address{{Name: m.To.Name, Address: m.To.Address}})
	if strings.ContainsAny(m.Subject, "\r\n") {
		return errors.New("the subject holds a line break")
	}
	h.SetSubject(m.Subject)
	if err := h.GenerateMessageIDWithHostname(domainOf(m.From.Address)); err != nil {
		return err
	}
	for k, v := range m.Headers {
		if strings.ContainsAny(k, ":\r\n ") || strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("the header %q holds a line break", k)
		}
		h.Set(k, v)
	}
	mw, err := gomail.CreateWriter(w, h)
	if err != nil {
		return err
	}
	tw, err := mw.CreateInline()
	if err != nil {
		return err
	}
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		var ph gomail.InlineHeader
		ph.SetContentType(part.typ, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := tw.CreatePart(ph)
		if err != nil {
			return err
		}
		if _, err := pw.Write([]byte(part.body)); err != nil {
			return err
		}
		if err := pw.Close(); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return mw.Close()
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return addr[i+1:]
	}
	return "localhost"
}

// greetedConn hands a new client the greeting the connection already gave.
type greetedConn struct {
	net.Conn
	greeting *strings.Reader
}

func (g *greetedConn) Read(p []byte) (int, error) {
	if g.greeting.Len() > 0 {
		return g.greeting.Read(p)
	}
	return g.Conn.Read(p)
}

// StopGrace is how long an exchange under way may still take once its
// context has ended: enough for a relay's usual answer (so a message it is
// accepting is not cut off and sent twice), short enough that a stop never
// waits for a slow one.
const StopGrace = 500 * time.Millisecond

// clampConn shortens every non-zero deadline set on it to at most limit from
// now (when limit > 0). Once stopped, no deadline lies beyond the stop time
// plus StopGrace, also the ones go-smtp sets before each command.
type clampConn struct {
	net.Conn
	limit  time.Duration
	stopAt atomic.Int64 // UnixNano of the final deadline; 0 while running
}

// stop limits the connection to StopGrace from now, for good.
func (c *clampConn) stop() {
	at := time.Now().Add(StopGrace)
	c.stopAt.Store(at.UnixNano())
	c.Conn.SetDeadline(at)
}

func (c *clampConn) SetDeadline(t time.Time) error {
	if n := c.stopAt.Load(); n != 0 {
		if at := time.Unix(0, n); t.IsZero() || t.After(at) {
			t = at
		}
	} else if c.limit > 0 && !t.IsZero() {
		if max := time.Now().Add(c.limit); t.After(max) {
			t = max
		}
	}
	return c.Conn.SetDeadline(t)
}
