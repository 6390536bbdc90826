package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/keyfile"
	"rollcall/app/sms"
	"rollcall/app/sms/smstest"
)

// Kannel's programs as Debian installs them (package kannel).
const (
	bearerboxPath = "/usr/sbin/bearerbox"
	smsboxPath    = "/usr/sbin/smsbox"
)

// kannel is a real Kannel: a bearerbox whose one SMSC is of type http and
// delivers every message to a local HTTP endpoint (the sink), and an smsbox
// with the sendsms interface Rollcall talks to.
type kannel struct {
	dir, conf            string
	sendsmsPort, boxPort int
	bearerbox, smsbox    *kannelProc
}

// kannelProc is a running Kannel program; done closes when it has ended.
type kannelProc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startKannel writes kannel.conf and starts bearerbox and smsbox on free
// ports within 13400-13419. Without Kannel installed the test is skipped,
// except in CI (CI=true), where that is a failure.
func startKannel(t *testing.T, sinkURL string) *kannel {
	t.Helper()
	for _, p := range []string{bearerboxPath, smsboxPath} {
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing: install Kannel (apt-get install kannel; `make test-tools` does it)", p)
			}
			t.Skipf("Kannel is not installed (%s is missing): apt-get install kannel, or run `make test-tools` as root", p)
		}
	}
	ports := freePorts(t, 13400, 13419, 4)
	k := &kannel{dir: t.TempDir(), boxPort: ports[1], sendsmsPort: ports[3]}
	k.conf = filepath.Join(k.dir, "kannel.conf")
	conf := fmt.Sprintf(`group = core
admin-port = %[1]d
admin-password = kannel-admin-pw
smsbox-port = %[2]d
box-allow-ip = 127.0.0.1
log-file = "%[5]s/bearerbox.log"
log-level = 1

group = smsc
smsc = http
smsc-id = sink
system-type = generic
send-url = "%[6]s/smsc?to=%%p&from=%%P&text=%%b&coding=%%c"
status-success-regex = "Accepted"
port = %[3]d
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = %[2]d
sendsms-port = %[4]d
log-file = "%[5]s/smsbox.log"
log-level = 1

group = sendsms-user
username = rollcall
password = kannel-send-pw
`, ports[0], ports[1], ports[2], ports[3], k.dir, sinkURL)
	if err := os.WriteFile(k.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	k.bearerbox = k.start(t, bearerboxPath, k.boxPort)
	k.startSMSBox(t)
	t.Cleanup(func() {
		k.stop(k.smsbox)
		k.stop(k.bearerbox)
	})
	return k
}

// start runs a Kannel program and waits until it listens on port.
func (k *kannel) start(t *testing.T, path string, port int) *kannelProc {
	t.Helper()
	out, err := os.Create(filepath.Join(k.dir, filepath.Base(path)+".out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, k.conf)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return &kannelProc{cmd, done}
		}
		select {
		case <-done:
			log, _ := os.ReadFile(out.Name())
			t.Fatalf("%s stopped: %s", path, tail(log))
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(out.Name())
			t.Fatalf("%s does not listen on %d: %s", path, port, tail(log))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (k *kannel) startSMSBox(t *testing.T) { k.smsbox = k.start(t, smsboxPath, k.sendsmsPort) }

// stop ends a Kannel program and waits until it has.
func (k *kannel) stop(p *kannelProc) {
	if p == nil {
		return
	}
	p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// freePorts finds n ports of [from, to] that can be listened on now.
func freePorts(t *testing.T, from, to, n int) []int {
	t.Helper()
	var out []int
	for p := from; p <= to && len(out) < n; p++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		out = append(out, p)
	}
	if len(out) < n {
		t.Fatalf("only %d free ports in %d-%d, want %d", len(out), from, to, n)
	}
	return out
}

// TestSMSActivationThroughKannel sends activation links through Rollcall's
// outbox and a real Kannel, whose SMSC delivers to a local endpoint: the
// SMS arrives, its link sets the password once (a second use is refused);
// with the gateway down the SMS waits in the outbox with the reason, is
// tried again after the backoff, and arrives once the gateway is back.
func TestSMSActivationThroughKannel(t *testing.T) {
	sink := smstest.Start()
	defer sink.Close()
	k := startKannel(t, sink.URL())

	e := newEnv(t)
	e.App.Secrets = keyfile.New(filepath.Join(t.TempDir(), "secret.key"))
	e.App.SMSSender = &sms.Sender{Client: &http.Client{Timeout: 10 * time.Second}}
	ctx := context.Background()
	if _, err := e.App.CreateOrganization(ctx, &app.Organization{Name: "Maple Primary", Slug: "maple", PublicURL: "https://rollcall.maple.example"}); err != nil {
		t.Fatal(err)
	}
	on, provider, url, user, secret, from := true, app.SMSKannel, fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/sendsms", k.sendsmsPort), "rollcall", "kannel-send-pw", "Maple"
	if _, err := e.App.SetSMS(ctx, "maple", app.SMSUpdate{Enabled: &on, Provider: &provider, URL: &url, Username: &user, Secret: &secret, From: &from}); err != nil {
		t.Fatal(err)
	}

	activate := func(name, phone string) *app.User {
		t.Helper()
		u, err := e.App.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: name, Username: strings.ToLower(name), Phone: phone}, SendActivation: true})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	confirm := func(token, password string) int {
		t.Helper()
		return e.serve(newRequest(t, "POST", "/api/public/password-reset/confirm", map[string]any{"token": token, "password": password})).Code
	}
	linkIn := func(m smstest.Message) string {
		t.Helper()
		mm := resetLink.FindStringSubmatch(m.Text)
		if mm == nil {
			t.Fatalf("no link in the SMS %q", m.Text)
		}
		return mm[1]
	}

	// 1. Through Kannel to the phone; the link works once.
	ada := activate("Ada", "+358 40 123 4567")
	if ada.Phone != "+358401234567" {
		t.Errorf("phone stored as %q, want E.164 +358401234567", ada.Phone)
	}
	if n, err := e.App.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v; want 1 SMS handed to Kannel", n, err)
	}
	got := sink.Wait(1, 30*time.Second)
	if len(got) != 1 {
		t.Fatalf("the SMSC endpoint got %d messages, want 1; Kannel's log: %s", len(got), kannelLog(k))
	}
	if got[0].To != "+358401234567" || got[0].From != "Maple" {
		t.Errorf("SMS to %q from %q, want to +358401234567 from Maple", got[0].To, got[0].From)
	}
	token := linkIn(got[0])
	if code := confirm(token, "a fine password 1"); code != http.StatusOK {
		t.Fatalf("first use of the SMS link: %d, want 200", code)
	}
	if code := confirm(token, "a fine password 2"); code != http.StatusNotFound {
		t.Fatalf("second use of the SMS link: %d, want 404", code)
	}
	if rec := e.serve(newRequest(t, "POST", "/api/public/signin", map[string]any{"login": "ada", "password": "a fine password 1"})); rec.Code != http.StatusOK {
		t.Fatalf("Ada signs in with the password she set: %d %s", rec.Code, rec.Body)
	}

	// 2. The gateway is down: the SMS waits in the outbox and says why.
	k.stop(k.smsbox)
	activate("Bea", "+358 40 765 4321")
	if n, err := e.App.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("DeliverDue with Kannel down = %d, %v; want 0", n, err)
	}
	msgs, _, err := e.App.Outbox(ctx, "maple")
	if err != nil {
		t.Fatal(err)
	}
	bea := msgs[0]
	if bea.Channel != app.ChannelSMS || bea.Status != app.MessageQueued || bea.Attempts != 1 || !strings.Contains(bea.LastError, "Could not reach the SMS gateway") {
		t.Fatalf("with the gateway down the SMS is %s (channel %q), %d attempts, error %q; want queued after 1 attempt with the reason", bea.Status, bea.Channel, bea.Attempts, bea.LastError)
	}
	if strings.Contains(bea.LastError, "kannel-send-pw") {
		t.Errorf("the outbox shows the gateway's password: %q", bea.LastError)
	}
	// Not due yet: nothing is tried before the backoff.
	if n, _ := e.App.DeliverDue(ctx); n != 0 {
		t.Fatalf("sent %d before the backoff", n)
	}

	// 3. The gateway is back: after the backoff the SMS is delivered.
	k.startSMSBox(t)
	e.Clock.Add(app.DefaultBackoff.First * 2)
	if n, err := e.App.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue with Kannel back = %d, %v; want 1", n, err)
	}
	got = sink.Wait(2, 30*time.Second)
	if len(got) != 2 {
		t.Fatalf("the SMSC endpoint got %d messages, want 2; Kannel's log: %s", len(got), kannelLog(k))
	}
	if got[1].To != "+358407654321" {
		t.Errorf("second SMS to %q", got[1].To)
	}
	if code := confirm(linkIn(got[1]), "a fine password 3"); code != http.StatusOK {
		t.Fatalf("Bea's link after the retry: %d, want 200", code)
	}
	msgs, _, _ = e.App.Outbox(ctx, "maple")
	if msgs[0].Status != app.MessageSent || msgs[0].Attempts != 2 {
		t.Errorf("Bea's SMS is %s after %d attempts, want sent after 2", msgs[0].Status, msgs[0].Attempts)
	}

	// Kannel's password is sealed in the file, never in clear.
	raw, err := os.ReadFile(e.DB.Path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("kannel-send-pw")) {
		t.Error("the database file holds the SMS gateway's password in clear")
	}
}

func kannelLog(k *kannel) string {
	var b strings.Builder
	for _, f := range []string{"bearerbox.log", "smsbox.log"} {
		log, _ := os.ReadFile(filepath.Join(k.dir, f))
		b.WriteString(f + ": " + tail(log) + "\n")
	}
	return b.String()
}
