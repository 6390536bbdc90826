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
	"net"
	"os"
	"strings"
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
		pem, err := os.ReadFile(r.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read the CA file: %w", err)
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
			return nil, fmt.Errorf("the CA file %s holds no PEM certificate", r.CAFile)
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
	tlsCfg, err := m.tlsConfig(r)
	if err != nil {
		return nil, &app.DeliveryError{Stage: app.StageTLS, Reply: err.Error(), Err: err}
	}
	dctx, cancel := context.WithTimeout(ctx, dialT)
	defer cancel()
	var conn net.Conn
	nd := &net.Dialer{}
	if r.Security == app.SecurityTLS {
		conn, err = (&tls.Dialer{NetDialer: nd, Config: tlsCfg}).DialContext(dctx, "tcp", r.Addr())
	} else {
		conn, err = nd.DialContext(dctx, "tcp", r.Addr())
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
	var c *smtp.Client
	if r.Security == app.SecurityStartTLS {
		c, err = smtp.NewClientStartTLS(cc, tlsCfg)
		if err != nil {
			var se *smtp.SMTPError
			if !errors.As(err, &se) && strings.Contains(err.Error(), "STARTTLS") {
				err = errors.New("the relay does not offer STARTTLS, so the connection would not be encrypted; Rollcall refuses to send the password or any mail over it (check the port: 587 for STARTTLS, 465 for TLS)")
				return nil, &app.DeliveryError{Stage: app.StageTLS, Reply: err.Error(), Err: err}
			}
			return nil, classify(app.StageTLS, err)
		}
	} else {
		c = smtp.NewClient(cc)
	}
	c.CommandTimeout, c.SubmissionTimeout = cmdT, dataT
	cc.limit = 0
	fail := func(stage string, err error) (app.MailConn, error) {
		c.Close()
		return nil, classify(stage, err)
	}
	local := m.LocalName
	if local == "" {
		local = "localhost"
	}
	if err := c.Hello(local); err != nil {
		return fail(app.StageConnect, err)
	}
	// RSET runs the greeting and EHLO first, each under CommandTimeout, and
	// reports their failure.
	if err := c.Reset(); err != nil {
		return fail(app.StageConnect, err)
	}
	if r.Username != "" {
		if _, secure := c.TLSConnectionState(); !secure && !app.IsLoopbackHost(r.Host) {
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
	return &session{c: c}, nil
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
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "no answer within the time limit (" + err.Error() + ")"
	case errors.Is(err, syscallECONNREFUSED):
		return "connection refused (" + err.Error() + ")"
	}
	return err.Error()
}

type session struct {
	c *smtp.Client
}

// Send implements app.MailConn.
func (s *session) Send(ctx context.Context, m *app.Message) error {
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

// clampConn shortens every non-zero deadline set on it to at most limit from
// now (when limit > 0).
type clampConn struct {
	net.Conn
	limit time.Duration
}

func (c *clampConn) SetDeadline(t time.Time) error {
	if c.limit > 0 && !t.IsZero() {
		if max := time.Now().Add(c.limit); t.After(max) {
			t = max
		}
	}
	return c.Conn.SetDeadline(t)
}
