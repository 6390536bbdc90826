package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"rollcall/app"
	"rollcall/app/keyfile"
	"rollcall/app/mail"
	"rollcall/app/mail/mailtest"
	"rollcall/store"
)

// clock is an injected clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const relayPassword = "Relay-Secret-Pa55word"

type mailEnv struct {
	a     *app.App
	db    *store.DB
	clock *clock
	srv   *mailtest.Server
	org   *app.Organization
	key   string
}

// newMailEnv is an app with an injected clock, a key file, a real go-smtp
// server (STARTTLS + AUTH) and an organization whose relay points at it.
func newMailEnv(t testing.TB, opts mailtest.Options) *mailEnv {
	t.Helper()
	a, db := newApp(t)
	c := &clock{t: time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)}
	a.Now = c.Now
	key := filepath.Join(t.TempDir(), "secret.key")
	a.Secrets = keyfile.New(key)
	a.Log = nil
	env := &mailEnv{a: a, db: db, clock: c, key: key}
	if opts.TLS == "" {
		opts = mailtest.Options{TLS: mailtest.StartTLS, Username: "relay-user", Password: relayPassword}
	}
	if opts.Addr != "skip" {
		s, err := mailtest.Start(opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		env.srv = s
		a.Mailer = &mail.Mailer{RootCAs: s.Pool, CommandTimeout: 5 * time.Second}
	}
	env.org = mustOrg(t, a, &app.Organization{Name: "Maple Primary", Slug: "maple", PublicURL: "https://rollcall.maple.example"})
	if env.srv != nil {
		env.setRelay(t, env.srv.Host, env.srv.Port, opts.TLS)
	}
	return env
}

func (e *mailEnv) setRelay(t testing.TB, host string, port int, security string) {
	t.Helper()
	user, pass := "relay-user", relayPassword
	_, err := e.a.SetSMTP(context.Background(), "maple", app.SMTPUpdate{Host: &host, Port: &port, Security: &security,
		Username: &user, Password: &pass, From: ptr("Maple Primary <no-reply@maple.example>")})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *mailEnv) invite(t testing.TB, req app.InviteRequest) *app.InviteResult {
	t.Helper()
	res, err := e.a.Invite(context.Background(), "maple", req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (e *mailEnv) deliver(t testing.TB) int {
	t.Helper()
	n, err := e.a.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var linkRe = regexp.MustCompile(`https://rollcall\.maple\.example/invite/([A-Za-z0-9_-]+)`)

type parsedMail struct {
	subject, from, to, text, html, token, lang string
}

func parseMail(t testing.TB, r mailtest.Received) parsedMail {
	t.Helper()
	mr, err := gomail.CreateReader(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatal(err)
	}
	var p parsedMail
	p.subject, _ = mr.Header.Subject()
	from, _ := mr.Header.AddressList("From")
	to, _ := mr.Header.AddressList("To")
	if len(from) == 1 {
		p.from = from[0].String()
	}
	if len(to) == 1 {
		p.to = to[0].Address
	}
	p.lang = mr.Header.Get("Content-Language")
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part.Body)
		ct, _, _ := part.Header.(*gomail.InlineHeader).ContentType()
		if ct == "text/plain" {
			p.text = string(b)
		} else if ct == "text/html" {
			p.html = string(b)
		}
	}
	if m := linkRe.FindStringSubmatch(p.text); m != nil {
		p.token = m[1]
	}
	return p
}

func TestInvitationMailInEveryLanguage(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	want := map[string]struct{ subject, body, expires string }{
		"en": {"You are invited to Maple Primary", "invites you to Maple Primary", "15 September 2026"},
		"fi": {"Sinut on kutsuttu: Maple Primary", "kutsuu sinut organisaatioon Maple Primary", "15.9.2026"},
		"sv": {"Du är inbjuden till Maple Primary", "bjuder in dig till Maple Primary", "2026-09-15"},
		"de": {"Einladung zu Maple Primary", "lädt Sie zu Maple Primary ein", "15.09.2026"},
	}
	for _, lang := range app.MailLanguages {
		env.invite(t, app.InviteRequest{Addresses: fmt.Sprintf("Tea Teacher <tea.%s@maple.example>", lang), Language: lang, InvitedBy: "Principal Rowan"})
	}
	env.invite(t, app.InviteRequest{Addresses: "create.fi@maple.example", Language: "fi-FI", Mode: app.ModeCreate})
	if n := env.deliver(t); n != 5 {
		t.Fatalf("delivered %d, want 5", n)
	}
	got := env.srv.Messages()
	if len(got) != 5 {
		t.Fatalf("server received %d", len(got))
	}
	for i, lang := range app.MailLanguages {
		p := parseMail(t, got[i])
		w := want[lang]
		if p.subject != w.subject || p.to != "tea."+lang+"@maple.example" || p.from != `"Maple Primary" <no-reply@maple.example>` || p.lang != lang {
			t.Errorf("%s: subject %q to %q from %q lang %q", lang, p.subject, p.to, p.from, p.lang)
		}
		for _, part := range []string{p.text, p.html} {
			if !strings.Contains(part, w.body) || !strings.Contains(part, "Principal Rowan") || !strings.Contains(part, w.expires) || !strings.Contains(part, "Tea") {
				t.Errorf("%s: a part lacks the body, inviter, name or expiry:\n%s", lang, part)
			}
		}
		if p.token == "" || !strings.Contains(p.html, `href="https://rollcall.maple.example/invite/`+p.token+`"`) {
			t.Fatalf("%s: no link in both parts:\n%s\n%s", lang, p.text, p.html)
		}
		page, err := env.a.InvitationByToken(context.Background(), p.token)
		if err != nil || page.Organization != "Maple Primary" || page.Mode != app.ModeInvite || page.FirstName != "Tea" {
			t.Errorf("%s: the link opens %+v, %v", lang, page, err)
		}
		if got[i].Auth != "relay-user" {
			t.Errorf("not signed in to the relay")
		}
	}
	p := parseMail(t, got[4])
	if p.subject != "Käyttäjätunnuksesi: Maple Primary" || !strings.Contains(p.text, "Kirjaudut sähköpostiosoitteellasi create.fi@maple.example osoitteessa https://rollcall.maple.example/signin") {
		t.Errorf("create mode, Finnish: %q\n%s", p.subject, p.text)
	}
	// One connection for the run.
	if n := env.srv.Connections(); n != 1 {
		t.Errorf("%d connections for one run, want 1", n)
	}
}

func TestInviteModesAndAddresses(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	other := mustOrg(t, env.a, &app.Organization{Name: "Oak School", Slug: "oak"})
	moving, err := env.a.CreateUser(ctx, "oak", app.UserCreate{User: app.User{FirstName: "Mo", LastName: "Ving", Email: "mo@oak.example"}, Password: "Original-pass-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Al", LastName: "Ready", Email: "al@maple.example"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.a.CreateGroup(ctx, "maple", &app.Group{Name: "Staff", Kind: app.GroupDepartment}); err != nil {
		t.Fatal(err)
	}
	res := env.invite(t, app.InviteRequest{
		Addresses:   "ann@maple.example, bob@maple.example; \"Lovelace, Ada\" <ada@maple.example>\nAL@maple.example mo@oak.example not-an-address ann@maple.example",
		AccountType: "teacher", Groups: []string{"Staff"}, Label: "autumn 2026", DeleteOn: "2027-07-31",
	})
	if len(res.Invited) != 4 || len(res.AlreadyMember) != 1 || res.AlreadyMember[0] != "AL@maple.example" || len(res.Invalid) != 1 {
		t.Fatalf("result: %d invited, already %v, invalid %v", len(res.Invited), res.AlreadyMember, res.Invalid)
	}
	modes := map[string]string{}
	for _, inv := range res.Invited {
		modes[inv.Email] = inv.Mode
	}
	if modes["mo@oak.example"] != app.ModeJoin || modes["ada@maple.example"] != app.ModeInvite {
		t.Fatalf("modes %v", modes)
	}
	env.deliver(t)
	tokens := map[string]string{}
	for _, r := range env.srv.Messages() {
		p := parseMail(t, r)
		tokens[p.to] = p.token
	}
	if len(tokens) != 4 {
		t.Fatalf("mailed %v", tokens)
	}
	// Invited accounts wait in Users as "invited", with the group and label.
	page, _ := env.a.Users(ctx, "maple", app.UserFilter{Status: app.StatusInvited})
	if page.Total != 3 {
		t.Fatalf("%d invited users, want 3", page.Total)
	}
	// Ada's name came from the paste; she only sets a password.
	info, err := env.a.InvitationByToken(ctx, tokens["ada@maple.example"])
	if err != nil || info.NeedName || info.FirstName != "Ada" || info.LastName != "Lovelace" || !info.NeedPassword {
		t.Fatalf("ada: %+v %v", info, err)
	}
	// Ann gives her name and a password that meets the policy.
	if _, err := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: tokens["ann@maple.example"], FirstName: "Ann", Password: "short"}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("weak password: %v", err)
	}
	if _, err := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: tokens["ann@maple.example"], Password: "long enough 42"}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("no name: %v", err)
	}
	u, err := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: tokens["ann@maple.example"], FirstName: "Ann", LastName: "Other", Password: "long enough 42"})
	if err != nil || u.Status != app.StatusActive || u.AccountType != "teacher" || len(u.Groups) != 1 || u.Labels[0] != "autumn 2026" || u.DeleteOn != "2027-07-31" {
		t.Fatalf("accepted: %+v %v", u, err)
	}
	if _, tok, err := env.a.SignInUser(ctx, "ann@maple.example", "long enough 42", "192.0.2.1"); err != nil || tok == "" {
		t.Fatalf("sign in after accept: %v", err)
	}
	// Mo moves from Oak with his password.
	info, err = env.a.InvitationByToken(ctx, tokens["mo@oak.example"])
	if err != nil || info.Mode != app.ModeJoin || info.NeedPassword {
		t.Fatalf("join page: %+v %v", info, err)
	}
	if u, err = env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: tokens["mo@oak.example"]}); err != nil || u.OrgID != env.org.ID || u.ID != moving.ID {
		t.Fatalf("join: %+v %v", u, err)
	}
	if _, _, err := env.a.SignInUser(ctx, "mo@oak.example", "Original-pass-1", "192.0.2.1"); err != nil {
		t.Fatalf("the moved account lost its password: %v", err)
	}
	if p, _ := env.a.Users(ctx, "oak", app.UserFilter{}); p.Total != 0 {
		t.Fatalf("Oak still has %d users", p.Total)
	}
	_ = other
	// Accepted invitations leave the list.
	list, _ := env.a.Invitations(ctx, "maple", app.InvitationFilter{})
	if len(list) != 2 {
		t.Fatalf("%d invitations listed, want 2", len(list))
	}
	for _, inv := range list {
		if inv.State != app.InvitationPending || inv.Delivery != app.MessageSent || inv.SentAt == nil {
			t.Errorf("%s: state %s delivery %s", inv.Email, inv.State, inv.Delivery)
		}
	}
}

func TestInviteNeedsPublicURLAndRelay(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	if _, err := env.a.UpdateOrganization(ctx, "maple", app.OrganizationUpdate{PublicURL: ptr("")}); err != nil {
		t.Fatal(err)
	}
	_, err := env.a.Invite(ctx, "maple", app.InviteRequest{Addresses: "a@maple.example"})
	if app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.Error(), "no public address") {
		t.Fatalf("no public URL: %v", err)
	}
	mustOrg(t, env.a, &app.Organization{Name: "Birch", Slug: "birch", PublicURL: "https://birch.example"})
	_, err = env.a.Invite(ctx, "birch", app.InviteRequest{Addresses: "a@birch.example"})
	if app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.Error(), "No mail relay") {
		t.Fatalf("no relay: %v", err)
	}
	if p, _ := env.a.Users(ctx, "maple", app.UserFilter{}); p.Total != 0 {
		t.Fatal("a refused invitation left an account")
	}
}

func TestParseAddresses(t *testing.T) {
	got, bad := app.ParseAddresses("a@x.example,b@x.example;c@x.example d@x.example\n" +
		"Ada Lovelace <ada@x.example>, \"Hopper, Grace\" <grace@x.example>;\te@x.example Ed Wood <ed@x.example>\r\n" +
		"mailto <> junk A@X.EXAMPLE 'f@x.example'")
	var addrs []string
	for _, a := range got {
		addrs = append(addrs, a.Name+"|"+a.Address)
	}
	want := "Ada Lovelace|ada@x.example Hopper, Grace|grace@x.example |e@x.example Ed Wood|ed@x.example |a@x.example |b@x.example |c@x.example |d@x.example |f@x.example"
	if strings.Join(addrs, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(addrs, " "), want)
	}
	if len(bad) != 2 || bad[0].Text != "mailto <>" || bad[1].Text != "junk" {
		t.Errorf("bad: %+v", bad)
	}
}

// A 451 is retried once after the backoff, then sent.
func TestOutbox451Then250(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	var mu sync.Mutex
	calls := 0
	env.srv.FailWith(func(string) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted, try again"}
		}
		return nil
	})
	env.invite(t, app.InviteRequest{Addresses: "grey@maple.example"})
	if n := env.deliver(t); n != 0 {
		t.Fatal("sent despite 451")
	}
	msgs, sum, _ := env.a.Outbox(context.Background(), "maple")
	m := msgs[0]
	if m.Status != app.MessageQueued || m.Attempts != 1 || !strings.Contains(m.LastError, "451 4.7.1 Greylisted") || sum.Waiting != 1 {
		t.Fatalf("after 451: %+v", m)
	}
	if wait := m.NextAttempt.Sub(env.clock.Now()); wait < 20*time.Second || wait > time.Minute {
		t.Fatalf("first retry in %v, want within a minute", wait)
	}
	if n := env.deliver(t); n != 0 {
		t.Fatal("retried before the backoff")
	}
	env.clock.Add(time.Minute)
	if n := env.deliver(t); n != 1 {
		t.Fatalf("after the backoff: sent %d", n)
	}
	if got := env.srv.Messages(); len(got) != 1 || calls != 2 {
		t.Fatalf("%d messages after %d RCPTs", len(got), calls)
	}
}

// A 550 marks the message failed with the server's words, shown on the invitation.
func TestOutbox550(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	env.srv.FailWith(func(string) error {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	})
	env.invite(t, app.InviteRequest{Addresses: "nobody@maple.example"})
	env.deliver(t)
	env.clock.Add(time.Hour)
	env.deliver(t)
	msgs, sum, _ := env.a.Outbox(context.Background(), "maple")
	if msgs[0].Status != app.MessageFailed || msgs[0].Attempts != 1 || !strings.Contains(msgs[0].LastError, "550 5.1.1 No such user here") || sum.Failed != 1 {
		t.Fatalf("after 550: %+v", msgs[0])
	}
	list, _ := env.a.Invitations(context.Background(), "maple", app.InvitationFilter{})
	if list[0].Delivery != app.MessageFailed || !strings.Contains(list[0].DeliveryError, "No such user here") {
		t.Fatalf("invitation shows %q %q", list[0].Delivery, list[0].DeliveryError)
	}
	// Retry now puts it back in the queue; with the address fixed on the server it goes.
	env.srv.FailWith(nil)
	if n, err := env.a.RetryOutbox(context.Background(), "maple", ""); err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	if n := env.deliver(t); n != 1 {
		t.Fatalf("retried: sent %d", n)
	}
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// The relay refuses connections, then comes up: delivered once, and the
// banner's state follows.
func TestOutboxRelayDownThenUp(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{TLS: mailtest.Plain, Addr: "skip"})
	env.a.Mailer = &mail.Mailer{CommandTimeout: 5 * time.Second}
	port := freePort(t)
	env.setRelay(t, "127.0.0.1", port, app.SecurityNone)
	env.invite(t, app.InviteRequest{Addresses: "a@maple.example b@maple.example"})
	down := env.clock.Now()
	env.deliver(t)
	_, sum, _ := env.a.Outbox(context.Background(), "maple")
	if !sum.Relay.Unreachable || !sum.Relay.Since.Equal(down) || sum.Waiting != 2 || !strings.Contains(sum.Relay.Error, "connection refused") {
		t.Fatalf("summary while down: %+v", sum)
	}
	env.clock.Add(2 * time.Minute)
	env.deliver(t) // still down: the "since" stays
	_, sum, _ = env.a.Outbox(context.Background(), "maple")
	if !sum.Relay.Since.Equal(down) {
		t.Fatalf("since moved: %v", sum.Relay.Since)
	}
	s, err := mailtest.Start(mailtest.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), Username: "relay-user", Password: relayPassword})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	env.clock.Add(5 * time.Minute)
	if n := env.deliver(t); n != 2 {
		msgs, sum, _ := env.a.Outbox(context.Background(), "maple")
		t.Fatalf("sent %d after the relay came up: %+v %+v", n, msgs[0], sum)
	}
	env.clock.Add(time.Hour)
	env.deliver(t)
	if got := s.Messages(); len(got) != 2 {
		t.Fatalf("received %d, want 2 (once each)", len(got))
	}
	_, sum, _ = env.a.Outbox(context.Background(), "maple")
	if sum.Relay.Unreachable || sum.Sent != 2 || sum.Waiting != 0 {
		t.Fatalf("summary after: %+v", sum)
	}
}

// Temporary failures give up after three days.
func TestOutboxGivesUp(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{TLS: mailtest.Plain, Addr: "skip"})
	env.a.Mailer = &mail.Mailer{}
	env.setRelay(t, "127.0.0.1", freePort(t), app.SecurityNone)
	env.invite(t, app.InviteRequest{Addresses: "a@maple.example"})
	for i := 0; i < 200; i++ {
		env.deliver(t)
		env.clock.Add(30 * time.Minute)
	}
	msgs, _, _ := env.a.Outbox(context.Background(), "maple")
	if msgs[0].Status != app.MessageFailed || !strings.Contains(msgs[0].LastError, "Gave up") {
		t.Fatalf("after 100 h: %+v", msgs[0])
	}
}

// 100 mails queued while the relay is down; the app stops in the middle of
// delivering them and starts again: every mail arrives, none twice.
func TestOutboxSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.db")
	key := filepath.Join(dir, "secret.key")
	port := freePort(t)
	open := func() (*app.App, *store.DB) {
		db, err := store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		a := app.New(db)
		a.Secrets = keyfile.New(key)
		a.Mailer = &mail.Mailer{}
		return a, db
	}
	ctx := context.Background()
	a, db := open()
	if _, err := a.CreateOrganization(ctx, &app.Organization{Name: "Maple", Slug: "maple", PublicURL: "https://rollcall.maple.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetSMTP(ctx, "maple", app.SMTPUpdate{Host: ptr("127.0.0.1"), Port: &port, Security: ptr("none"), From: ptr("m@maple.example")}); err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for i := range 100 {
		addrs = append(addrs, fmt.Sprintf("p%03d@maple.example", i))
	}
	if _, err := a.Invite(ctx, "maple", app.InviteRequest{Addresses: strings.Join(addrs, "\n")}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := mailtest.Start(mailtest.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), Delay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run := func(until func() bool) {
		a, db := open()
		defer db.Close()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { a.RunOutbox(ctx); close(done) }()
		deadline := time.Now().Add(30 * time.Second)
		for !until() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		<-done
	}
	run(func() bool { return len(s.Messages()) >= 30 })
	first := len(s.Messages())
	if first >= 100 {
		t.Fatalf("the first run sent all %d before the stop", first)
	}
	run(func() bool { return len(s.Messages()) >= 100 })
	got := s.WaitMessages(100, time.Second)
	count := map[string]int{}
	for _, m := range got {
		count[m.To[0]]++
	}
	for _, addr := range addrs {
		if count[addr] != 1 {
			t.Errorf("%s received %d times", addr, count[addr])
		}
	}
	if len(got) != 100 {
		t.Fatalf("received %d, want 100 (first run %d)", len(got), first)
	}
	t.Logf("stopped after %d of 100; the restart sent the other %d", first, len(got)-first)
}

func TestTokenExpiry(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	env.invite(t, app.InviteRequest{Addresses: "a@maple.example b@maple.example", ExpiresDays: 14})
	env.deliver(t)
	got := env.srv.Messages()
	ta, tb := parseMail(t, got[0]).token, parseMail(t, got[1]).token
	env.clock.Add(app.DefaultInvitationTTL - time.Second)
	if _, err := env.a.InvitationByToken(ctx, ta); err != nil {
		t.Fatalf("at expiry−1s: %v", err)
	}
	if _, err := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: ta, FirstName: "A", Password: "long enough 42"}); err != nil {
		t.Fatalf("accept at expiry−1s: %v", err)
	}
	env.clock.Add(2 * time.Second)
	_, err := env.a.InvitationByToken(ctx, tb)
	if app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("at expiry+1s: %v", err)
	}
	_, err2 := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: tb, FirstName: "B", Password: "long enough 42"})
	_, err3 := env.a.InvitationByToken(ctx, "no-such-token")
	_, err4 := env.a.InvitationByToken(ctx, ta) // used
	for _, e := range []error{err2, err3, err4} {
		if e == nil || e.Error() != err.Error() {
			t.Fatalf("bad links answer differently: %q vs %q", e, err)
		}
	}
	list, _ := env.a.Invitations(ctx, "maple", app.InvitationFilter{State: app.InvitationExpired})
	if len(list) != 1 || list[0].Email != "b@maple.example" {
		t.Fatalf("expired: %+v", list)
	}
	// Bulk resend of expired ones: a new link that works, the old one still not.
	if n, err := env.a.ResendExpired(ctx, "maple"); err != nil || n != 1 {
		t.Fatalf("resend expired: %d %v", n, err)
	}
	env.deliver(t)
	got = env.srv.Messages()
	tb2 := parseMail(t, got[len(got)-1]).token
	if _, err := env.a.InvitationByToken(ctx, tb2); err != nil || tb2 == tb {
		t.Fatalf("new link: %v", err)
	}
	if _, err := env.a.InvitationByToken(ctx, tb); err == nil {
		t.Fatal("the expired link works again")
	}
}

func TestCancelAndResendInvalidate(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	res := env.invite(t, app.InviteRequest{Addresses: "a@maple.example b@maple.example"})
	env.deliver(t)
	got := env.srv.Messages()
	ta, tb := parseMail(t, got[0]).token, parseMail(t, got[1]).token
	idA, idB := res.Invited[0].ID, res.Invited[1].ID

	if _, err := env.a.CancelInvitation(ctx, "maple", idA); err != nil {
		t.Fatal(err)
	}
	if _, err := env.a.InvitationByToken(ctx, ta); err == nil {
		t.Fatal("a cancelled link works")
	}
	if p, _ := env.a.Users(ctx, "maple", app.UserFilter{}); p.Total != 1 {
		t.Fatalf("the cancelled account is still there: %d users", p.Total)
	}
	if _, err := env.a.ResendInvitation(ctx, "maple", idA); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("resend of a cancelled invitation: %v", err)
	}

	inv, err := env.a.ResendInvitation(ctx, "maple", idB)
	if err != nil || inv.Resends != 1 {
		t.Fatalf("resend: %+v %v", inv, err)
	}
	if _, err := env.a.InvitationByToken(ctx, tb); err == nil {
		t.Fatal("the old link works after a resend")
	}
	env.deliver(t)
	got = env.srv.Messages()
	tb2 := parseMail(t, got[len(got)-1]).token
	if _, err := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: tb2, FirstName: "B", Password: "long enough 42"}); err != nil {
		t.Fatalf("new link: %v", err)
	}
	// A resend before the first mail went: only the new link is mailed.
	res = env.invite(t, app.InviteRequest{Addresses: "c@maple.example"})
	if _, err := env.a.ResendInvitation(ctx, "maple", res.Invited[0].ID); err != nil {
		t.Fatal(err)
	}
	before := len(env.srv.Messages())
	env.deliver(t)
	if n := len(env.srv.Messages()) - before; n != 1 {
		t.Fatalf("%d mails for one resent invitation, want 1", n)
	}
}

// 20 browsers accept one link at once: exactly one succeeds.
func TestConcurrentAccept(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	env.invite(t, app.InviteRequest{Addresses: "a@maple.example"})
	env.deliver(t)
	token := parseMail(t, env.srv.Messages()[0]).token
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, notFound := 0, 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := env.a.AcceptInvitation(context.Background(), app.AcceptRequest{Token: token, FirstName: fmt.Sprint("P", i), Password: "long enough 42"})
			mu.Lock()
			defer mu.Unlock()
			switch app.ErrorCode(err) {
			case "":
				ok++
			case app.ENOTFOUND:
				notFound++
			default:
				t.Errorf("unexpected: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || notFound != 19 {
		t.Fatalf("%d successes, %d refusals; want 1 and 19", ok, notFound)
	}
}

// The database file holds neither a raw token nor the relay password, even
// while mails wait in the outbox.
func TestNoSecretsInDatabase(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	env.invite(t, app.InviteRequest{Addresses: "a@maple.example b@maple.example"})
	env.deliver(t)
	var tokens []string
	for _, m := range env.srv.Messages() {
		tokens = append(tokens, parseMail(t, m).token)
	}
	// One more waiting in the outbox (its token sealed).
	env.srv.FailWith(func(string) error { return &smtp.SMTPError{Code: 451, Message: "later"} })
	env.invite(t, app.InviteRequest{Addresses: "c@maple.example"})
	env.deliver(t)
	env.srv.FailWith(nil)
	env.clock.Add(time.Hour)
	env.deliver(t)
	all := env.srv.Messages()
	tokens = append(tokens, parseMail(t, all[len(all)-1]).token)
	raw, err := os.ReadFile(env.db.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range append(tokens, relayPassword) {
		if tok == "" || bytes.Contains(raw, []byte(tok)) {
			t.Fatalf("the database file contains %q", tok)
		}
	}
	// The key file is 0600 and outside the database.
	fi, err := os.Stat(env.key)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi.Mode(), err)
	}
}

func TestTestSMTPReportsServer(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	if err := env.a.TestSMTP(ctx, "maple", "it@maple.example"); err != nil {
		t.Fatal(err)
	}
	if len(env.srv.Messages()) != 1 {
		t.Fatal("no test message")
	}
	env.srv.FailWith(func(string) error {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relaying denied"}
	})
	err := env.a.TestSMTP(ctx, "maple", "it@maple.example")
	if err == nil || !strings.Contains(err.Error(), "550 5.7.1 Relaying denied") {
		t.Fatalf("err = %v", err)
	}
	wrong := "nope"
	env.a.SetSMTP(ctx, "maple", app.SMTPUpdate{Password: &wrong})
	err = env.a.TestSMTP(ctx, "maple", "it@maple.example")
	if err == nil || !strings.Contains(err.Error(), "535 5.7.8 Authentication credentials invalid") {
		t.Fatalf("auth: %v", err)
	}
	v, _ := env.a.SMTP(ctx, "maple")
	if !v.PasswordSet || v.Host != "127.0.0.1" {
		t.Fatalf("view: %+v", v)
	}
	// none to a non-loopback relay is refused when saved.
	if _, err := env.a.SetSMTP(ctx, "maple", app.SMTPUpdate{Host: ptr("smtp.maple.example"), Security: ptr("none")}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("none to a remote relay: %v", err)
	}
}

func TestUserSignIn(t *testing.T) {
	a, _ := newApp(t)
	ctx := context.Background()
	mustOrg(t, a, &app.Organization{Name: "Maple", Slug: "maple"})
	u, err := a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Ada", Username: "ada", Email: "ada@maple.example"}, Password: "long enough 42"})
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := a.SignInUser(ctx, "ADA", "long enough 42", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if acc, err := a.Account(ctx, tok); err != nil || acc.FirstName != "Ada" || acc.Organization != "Maple" {
		t.Fatalf("account: %+v %v", acc, err)
	}
	_, _, errWrong := a.SignInUser(ctx, "ada", "wrong password 1", "192.0.2.1")
	_, _, errNone := a.SignInUser(ctx, "nobody@maple.example", "long enough 42", "192.0.2.1")
	if errWrong == nil || errNone == nil || errWrong.Error() != errNone.Error() || app.ErrorCode(errWrong) != app.EUNAUTHORIZED {
		t.Fatalf("answers differ: %v / %v", errWrong, errNone)
	}
	// Deactivation ends the session; a deactivated user cannot sign in.
	if _, err := a.SetUserStatus(ctx, "maple", u.ID, app.StatusDeactivated); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Account(ctx, tok); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("session after deactivation: %v", err)
	}
	_, _, errDeact := a.SignInUser(ctx, "ada", "long enough 42", "192.0.2.1")
	if errDeact == nil || errDeact.Error() != errNone.Error() {
		t.Fatalf("deactivated: %v", errDeact)
	}
	a.SetUserStatus(ctx, "maple", u.ID, app.StatusActive)
	// A stronger hash setting rewrites the hash at the next sign-in.
	a.Hash = app.HashParams{Memory: 128, Time: 1, Threads: 1}
	if _, tok, err = a.SignInUser(ctx, "ada", "long enough 42", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	got, _ := a.User(ctx, "maple", u.ID)
	if !strings.Contains(got.PasswordHash, "m=128,") {
		t.Fatalf("not rehashed: %s", got.PasswordHash)
	}
	// Change password: the old one stops working; the new token works.
	if _, err := a.ChangeMyPassword(ctx, tok, "wrong", "new password 99", "192.0.2.1"); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("wrong current: %v", err)
	}
	tok2, err := a.ChangeMyPassword(ctx, tok, "long enough 42", "new password 99", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Account(ctx, tok); err == nil {
		t.Fatal("the old session survived the password change")
	}
	if _, err := a.Account(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.SignInUser(ctx, "ada@maple.example", "new password 99", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	// Limited: the 11th failure answers 429.
	for range 10 {
		a.SignInUser(ctx, "ada", "bad", "192.0.2.9")
	}
	if _, _, err := a.SignInUser(ctx, "ada", "new password 99", "192.0.2.9"); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("after 10 failures: %v", err)
	}
}

// BenchmarkDeliver1000 invites 1,000 addresses in one paste and delivers
// them to a local go-smtp server (STARTTLS + AUTH) over the outbox. Target:
// under 10 s.
func BenchmarkDeliver1000(b *testing.B) {
	for range b.N {
		b.StopTimer()
		env := newMailEnv(b, mailtest.Options{})
		var addrs []string
		for i := range 1000 {
			addrs = append(addrs, fmt.Sprintf("person%04d@maple.example", i))
		}
		b.StartTimer()
		start := time.Now()
		env.invite(b, app.InviteRequest{Addresses: strings.Join(addrs, ", ")})
		invited := time.Since(start)
		n := env.deliver(b)
		took := time.Since(start)
		b.StopTimer()
		if n != 1000 || len(env.srv.Messages()) != 1000 {
			b.Fatalf("delivered %d, received %d", n, len(env.srv.Messages()))
		}
		b.ReportMetric(1000/took.Seconds(), "msgs/s")
		b.ReportMetric(took.Seconds(), "s/1000")
		b.ReportMetric(took.Seconds()/10, "of-target")
		b.Logf("1,000 invitations: invited in %v, delivered by %v (%.0f messages/s, %.0f%% of the 10 s target, %d connection(s))",
			invited.Round(time.Millisecond), took.Round(time.Millisecond), 1000/took.Seconds(), took.Seconds()*10, env.srv.Connections())
	}
}

// FuzzParseAddresses: any paste parses without panicking, and every address
// it returns is a plain, valid, unique address with a name free of line breaks.
func FuzzParseAddresses(f *testing.F) {
	for _, s := range []string{
		"a@x.example, b@x.example", "Ada <ada@x.example>", `"Hopper, Grace" <g@x.example>;`, "<>", "<<a@b.c>>",
		"A\r\nBcc: x@evil.example <a@x.example>", "\ufeffa@x.example\n\n", `"unterminated <a@x.example>`, "x@y@z.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addrs, _ := app.ParseAddresses(s)
		seen := map[string]bool{}
		for _, a := range addrs {
			if strings.ContainsAny(a.Name+a.Address, "\r\n<>") || !strings.Contains(a.Address, "@") || seen[strings.ToLower(a.Address)] {
				t.Fatalf("bad result %+v from %q", a, s)
			}
			seen[strings.ToLower(a.Address)] = true
		}
	})
}
