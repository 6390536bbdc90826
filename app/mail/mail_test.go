package mail_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"rollcall/app"
	"rollcall/app/mail"
	"rollcall/app/mail/mailtest"
)

func startServer(t *testing.T, opts mailtest.Options) *mailtest.Server {
	t.Helper()
	s, err := mailtest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func relay(s *mailtest.Server, security string) *app.RelayConfig {
	return &app.RelayConfig{Host: s.Host, Port: s.Port, Security: security,
		From: netmail.Address{Name: "Maple Primary", Address: "no-reply@maple.example"}}
}

func message(to netmail.Address) *app.Message {
	return &app.Message{
		From: netmail.Address{Name: "Maple Primary", Address: "no-reply@maple.example"}, To: to,
		Subject: "Tervetuloa — Välkommen", Date: time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC),
		Text: "Hei Äiti,\nhttps://rollcall.maple.example/invite/abc\n", HTML: "<p>Hei <b>Äiti</b></p>",
		Headers: map[string]string{"Auto-Submitted": "auto-generated"},
	}
}

func send(t *testing.T, m *mail.Mailer, rc *app.RelayConfig, msg *app.Message) error {
	t.Helper()
	c, err := m.Dial(context.Background(), rc)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Send(context.Background(), msg)
}

// parse reads a received message back: headers, the text and HTML parts.
func parse(t *testing.T, data []byte) (h gomail.Header, text, html string) {
	t.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, data)
	}
	h = r.Header
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p.Body)
		ct, _, _ := p.Header.(*gomail.InlineHeader).ContentType()
		switch ct {
		case "text/plain":
			text = string(b)
		case "text/html":
			html = string(b)
		}
	}
	return h, text, html
}

func TestDeliver(t *testing.T) {
	tests := []struct {
		name, tls, security string
		mechs               []string
		user                string
	}{
		{"plain to loopback", mailtest.Plain, app.SecurityNone, nil, ""},
		{"plain to loopback with AUTH", mailtest.Plain, app.SecurityNone, nil, "relay-user"},
		{"STARTTLS with AUTH PLAIN", mailtest.StartTLS, app.SecurityStartTLS, []string{"PLAIN"}, "relay-user"},
		{"STARTTLS with AUTH LOGIN", mailtest.StartTLS, app.SecurityStartTLS, []string{"LOGIN"}, "relay-user"},
		{"implicit TLS with AUTH PLAIN", mailtest.Implicit, app.SecurityTLS, []string{"PLAIN"}, "relay-user"},
		{"implicit TLS with AUTH LOGIN", mailtest.Implicit, app.SecurityTLS, []string{"LOGIN"}, "relay-user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, mailtest.Options{TLS: tt.tls, Username: tt.user, Password: "s3cret pass", Mechanisms: tt.mechs})
			rc := relay(s, tt.security)
			rc.Username, rc.Password = tt.user, "s3cret pass"
			m := &mail.Mailer{RootCAs: s.Pool}
			if err := send(t, m, rc, message(netmail.Address{Name: "Äiti Virtanen", Address: "aiti@home.example"})); err != nil {
				t.Fatal(err)
			}
			got := s.Messages()
			if len(got) != 1 {
				t.Fatalf("received %d messages", len(got))
			}
			if got[0].Auth != tt.user {
				t.Errorf("signed in as %q, want %q", got[0].Auth, tt.user)
			}
			if len(got[0].To) != 1 || got[0].To[0] != "aiti@home.example" || got[0].From != "no-reply@maple.example" {
				t.Errorf("envelope %q → %q", got[0].From, got[0].To)
			}
			h, text, html := parse(t, got[0].Data)
			if subj, _ := h.Subject(); subj != "Tervetuloa — Välkommen" {
				t.Errorf("subject %q", subj)
			}
			to, _ := h.AddressList("To")
			if len(to) != 1 || to[0].Name != "Äiti Virtanen" {
				t.Errorf("To %v", to)
			}
			if !strings.Contains(text, "https://rollcall.maple.example/invite/abc") || !strings.Contains(html, "<b>Äiti</b>") {
				t.Errorf("parts: %q / %q", text, html)
			}
			if h.Get("Auto-Submitted") != "auto-generated" {
				t.Errorf("Auto-Submitted %q", h.Get("Auto-Submitted"))
			}
		})
	}
}

// A server whose certificate is not trusted is refused, unless its CA is
// given as the relay's CA file.
func TestCertificateVerified(t *testing.T) {
	s := startServer(t, mailtest.Options{TLS: mailtest.Implicit})
	rc := relay(s, app.SecurityTLS)
	err := send(t, &mail.Mailer{}, rc, message(netmail.Address{Address: "a@b.example"}))
	var de *app.DeliveryError
	if !errors.As(err, &de) || de.Stage != app.StageTLS || de.Permanent {
		t.Fatalf("untrusted certificate: %v", err)
	}
	if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("message does not say certificate: %v", err)
	}
	ca := filepath.Join(t.TempDir(), "school-ca.pem")
	os.WriteFile(ca, s.CAPEM, 0o600)
	rc.CAFile = ca
	if err := send(t, &mail.Mailer{}, rc, message(netmail.Address{Address: "a@b.example"})); err != nil {
		t.Fatalf("with the CA file: %v", err)
	}
}

// STARTTLS required but not offered: refused before any credentials go out.
func TestStartTLSNotOffered(t *testing.T) {
	s := startServer(t, mailtest.Options{TLS: mailtest.Plain, Username: "u", Password: "p"})
	rc := relay(s, app.SecurityStartTLS)
	rc.Username, rc.Password = "u", "p"
	err := send(t, &mail.Mailer{}, rc, message(netmail.Address{Address: "a@b.example"}))
	var de *app.DeliveryError
	if !errors.As(err, &de) || de.Stage != app.StageTLS || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v", err)
	}
	if n := s.AuthAttempts(); n != 0 {
		t.Fatalf("%d AUTH attempts reached the server", n)
	}
	if len(s.Messages()) != 0 {
		t.Fatal("a message was sent without TLS")
	}
}

// Unencrypted mail to a relay that is not this computer is refused outright.
func TestPlainOnlyToLoopback(t *testing.T) {
	rc := &app.RelayConfig{Host: "smtp.maple.example", Port: 25, Security: app.SecurityNone}
	_, err := (&mail.Mailer{}).Dial(context.Background(), rc)
	if err == nil || !strings.Contains(err.Error(), "only to a relay on this computer") {
		t.Fatalf("err = %v", err)
	}
}

// "localhost" that reaches another computer (a poisoned hosts file, a
// resolver that answers for it) gets neither plaintext mail nor AUTH: the
// address actually reached is checked, not the name.
func TestPlainNeedsALoopbackPeer(t *testing.T) {
	var ip net.IP
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			ip = n.IP
			break
		}
	}
	if ip == nil {
		t.Skip("no non-loopback IPv4 address on this machine")
	}
	s := startServer(t, mailtest.Options{TLS: mailtest.Plain, Addr: net.JoinHostPort(ip.String(), "0"), Username: "u", Password: "p"})
	m := &mail.Mailer{NetDial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, s.Addr) // "localhost" resolves elsewhere
	}}
	rc := &app.RelayConfig{Host: "localhost", Port: s.Port, Security: app.SecurityNone, Username: "u", Password: "p",
		From: netmail.Address{Address: "no-reply@maple.example"}}
	err := send(t, m, rc, message(netmail.Address{Address: "a@b.example"}))
	if err == nil || !strings.Contains(err.Error(), "only to a relay on this computer") {
		t.Fatalf("err = %v", err)
	}
	if s.AuthAttempts() != 0 || len(s.Messages()) != 0 {
		t.Fatalf("%d AUTH attempts, %d messages reached a remote relay in plaintext", s.AuthAttempts(), len(s.Messages()))
	}
	// The same relay reached on loopback works.
	s2 := startServer(t, mailtest.Options{TLS: mailtest.Plain, Username: "u", Password: "p"})
	rc.Host, rc.Port = "localhost", s2.Port
	if err := send(t, &mail.Mailer{}, rc, message(netmail.Address{Address: "a@b.example"})); err != nil {
		t.Fatalf("plain to localhost: %v", err)
	}
}

func TestGreetingTimeout(t *testing.T) {
	s, err := mailtest.StartSilent()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	host, port, _ := net.SplitHostPort(s.Addr)
	rc := &app.RelayConfig{Host: host, Security: app.SecurityStartTLS}
	rc.Port = atoi(port)
	m := &mail.Mailer{CommandTimeout: 300 * time.Millisecond}
	start := time.Now()
	_, err = m.Dial(context.Background(), rc)
	took := time.Since(start)
	var de *app.DeliveryError
	if !errors.As(err, &de) || de.Permanent {
		t.Fatalf("err = %v", err)
	}
	if took > 2*time.Second {
		t.Fatalf("gave up after %v, limit 300ms", took)
	}
	if !strings.Contains(err.Error(), "time") {
		t.Errorf("message does not mention the time limit: %v", err)
	}
	t.Logf("silent server: %v after %v", err, took)
}

func TestConnectionRefused(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	_, err := (&mail.Mailer{}).Dial(context.Background(), &app.RelayConfig{Host: "127.0.0.1", Port: addr.Port, Security: app.SecurityNone})
	var de *app.DeliveryError
	if !errors.As(err, &de) || de.Stage != app.StageConnect || de.Permanent || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err = %v", err)
	}
}

func TestAuthFailedShowsServerReply(t *testing.T) {
	s := startServer(t, mailtest.Options{TLS: mailtest.StartTLS, Username: "u", Password: "right"})
	rc := relay(s, app.SecurityStartTLS)
	rc.Username, rc.Password = "u", "wrong"
	_, err := (&mail.Mailer{RootCAs: s.Pool}).Dial(context.Background(), rc)
	var de *app.DeliveryError
	if !errors.As(err, &de) || de.Stage != app.StageAuth || !strings.Contains(de.Reply, "535 5.7.8 Authentication credentials invalid") {
		t.Fatalf("err = %v", err)
	}
}

func TestRecipientRefused(t *testing.T) {
	s := startServer(t, mailtest.Options{})
	s.FailWith(func(rcpt string) error {
		if strings.HasPrefix(rcpt, "gone") {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox unavailable"}
		}
		if strings.HasPrefix(rcpt, "busy") {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
		}
		return nil
	})
	c, err := (&mail.Mailer{}).Dial(context.Background(), relay(s, app.SecurityNone))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var de *app.DeliveryError
	err = c.Send(context.Background(), message(netmail.Address{Address: "gone@home.example"}))
	if !errors.As(err, &de) || !de.Permanent || de.Reply != "550 5.1.1 Mailbox unavailable" {
		t.Fatalf("550: %v", err)
	}
	err = c.Send(context.Background(), message(netmail.Address{Address: "busy@home.example"}))
	if !errors.As(err, &de) || de.Permanent || de.Reply != "451 4.3.0 Try again later" {
		t.Fatalf("451: %v", err)
	}
	// The same connection still delivers.
	if err := c.Send(context.Background(), message(netmail.Address{Address: "ok@home.example"})); err != nil {
		t.Fatal(err)
	}
	if n := s.Connections(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
}

// A display name carrying a line break and a Bcc field yields one recipient
// and no Bcc header.
func TestHeaderInjection(t *testing.T) {
	s := startServer(t, mailtest.Options{})
	to := netmail.Address{Name: "A\r\nBcc: x@evil.example", Address: "parent@home.example"}
	msg := message(to)
	msg.From.Name = "Maple\r\nBcc: y@evil.example"
	if err := send(t, &mail.Mailer{}, relay(s, app.SecurityNone), msg); err != nil {
		t.Fatal(err)
	}
	got := s.Messages()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "parent@home.example" {
		t.Fatalf("recipients: %+v", got)
	}
	h, _, _ := parse(t, got[0].Data)
	if h.Has("Bcc") || bytes.Contains(bytes.ToLower(got[0].Data), []byte("\nbcc:")) {
		t.Fatalf("a Bcc header got through:\n%s", got[0].Data)
	}
	// A subject or extra header with a line break is refused, not sent.
	msg = message(netmail.Address{Address: "parent@home.example"})
	msg.Subject = "Hi\r\nBcc: x@evil.example"
	var de *app.DeliveryError
	if err := send(t, &mail.Mailer{}, relay(s, app.SecurityNone), msg); !errors.As(err, &de) || !de.Permanent {
		t.Fatalf("subject with CRLF: %v", err)
	}
	msg = message(netmail.Address{Address: "parent@home.example"})
	msg.Headers["X-Note"] = "a\nBcc: x@evil.example"
	if err := send(t, &mail.Mailer{}, relay(s, app.SecurityNone), msg); !errors.As(err, &de) || !de.Permanent {
		t.Fatalf("header with LF: %v", err)
	}
	if n := len(s.Messages()); n != 1 {
		t.Fatalf("%d messages delivered, want 1", n)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// A relay that takes its time over DATA does not hold up a stop: when the
// context ends, Send returns within a second, as a temporary failure.
func TestSendStopsWithContext(t *testing.T) {
	s := startServer(t, mailtest.Options{TLS: mailtest.StartTLS, Username: "u", Password: "p", Delay: 5 * time.Second})
	rc := relay(s, app.SecurityStartTLS)
	rc.Username, rc.Password = "u", "p"
	ctx, cancel := context.WithCancel(context.Background())
	c, err := (&mail.Mailer{RootCAs: s.Pool}).Dial(ctx, rc)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Send(ctx, message(netmail.Address{Address: "a@b.example"})) }()
	time.Sleep(300 * time.Millisecond) // the relay is sitting on the DATA answer
	cancel()
	stopped := time.Now()
	select {
	case err = <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Send still waits for the relay 3 s after the stop")
	}
	if d := time.Since(stopped); d > time.Second {
		t.Fatalf("Send returned %v after the stop", d)
	}
	var de *app.DeliveryError
	if !errors.As(err, &de) || de.Permanent {
		t.Fatalf("err = %v, want a temporary delivery error", err)
	}
	closed := time.Now()
	c.Close()
	if d := time.Since(closed); d > time.Second {
		t.Fatalf("Close took %v after the stop", d)
	}
}

// A stop during the dial's conversation (a relay that never greets) also
// ends it at once, long before the command time limit.
func TestDialStopsWithContext(t *testing.T) {
	s, err := mailtest.StartSilent()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	host, port, _ := net.SplitHostPort(s.Addr)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = (&mail.Mailer{CommandTimeout: 30 * time.Second}).Dial(ctx, &app.RelayConfig{Host: host, Port: atoi(port), Security: app.SecurityNone})
	if err == nil {
		t.Fatal("dial to a silent relay succeeded")
	}
	if d := time.Since(start); d > 1300*time.Millisecond {
		t.Fatalf("Dial returned %v after start (stop at 300 ms)", d)
	}
}

// A relay name that does not resolve is said in plain words, at the connect stage.
func TestHostNotFound(t *testing.T) {
	m := &mail.Mailer{NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "smtp.nowhere.example", IsNotFound: true}}
	}}
	rc := &app.RelayConfig{Host: "smtp.nowhere.example", Port: 587, Security: app.SecurityStartTLS, From: netmail.Address{Address: "no-reply@maple.example"}}
	err := send(t, m, rc, message(netmail.Address{Address: "a@b.example"}))
	var de *app.DeliveryError
	if !errors.As(err, &de) || de.Stage != app.StageConnect || de.Headline() != "Could not reach the relay" ||
		!strings.Contains(de.Reply, "the host name smtp.nowhere.example was not found") {
		t.Fatalf("err = %#v", err)
	}
}

// Issue 10 #8d: a connection dropped in the middle of DATA is no refusal:
// the admin reads that the connection was cut off, and the message is
// tried again (a temporary failure).
func TestConnectionDroppedInData(t *testing.T) {
	s := startServer(t, mailtest.Options{DropInData: true})
	err := send(t, &mail.Mailer{}, relay(s, app.SecurityNone), message(netmail.Address{Address: "anna@maple.example"}))
	var de *app.DeliveryError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want a DeliveryError", err)
	}
	if de.Permanent {
		t.Errorf("a dropped connection is permanent: %v", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "refused") || !strings.Contains(msg, "cut off") {
		t.Errorf("message = %q, want it to say the connection was cut off, not that the relay refused", msg)
	}
}

// Issue 10 #8c: the CA file's errors do not tell whether a file exists at
// the path (the same words for a missing file, a directory and a file that
// is no certificate), and a relay without TLS never reads it.
func TestCAFileErrorsSayLittle(t *testing.T) {
	s := startServer(t, mailtest.Options{TLS: mailtest.StartTLS})
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notPEM, []byte("just text"), 0o600); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, path := range []string{filepath.Join(dir, "missing.pem"), dir, notPEM} {
		rc := relay(s, app.SecurityStartTLS)
		rc.CAFile = path
		err := send(t, &mail.Mailer{}, rc, message(netmail.Address{Address: "anna@maple.example"}))
		if err == nil {
			t.Fatalf("CA file %s: sent", path)
		}
		msg := strings.ReplaceAll(err.Error(), path, "PATH")
		if !strings.Contains(msg, "could not read the CA file") {
			t.Errorf("CA file %s: %q, want 'could not read the CA file'", path, msg)
		}
		msgs = append(msgs, msg)
	}
	if msgs[0] != msgs[1] || msgs[1] != msgs[2] {
		t.Errorf("the messages tell the cases apart:\n%s", strings.Join(msgs, "\n"))
	}

	// security: none needs no CA file, so a bad one does not stop it.
	plain := startServer(t, mailtest.Options{})
	rc := relay(plain, app.SecurityNone)
	rc.CAFile = filepath.Join(dir, "missing.pem")
	if err := send(t, &mail.Mailer{}, rc, message(netmail.Address{Address: "anna@maple.example"})); err != nil {
		t.Errorf("plain relay with a CA file set: %v", err)
	}
}
