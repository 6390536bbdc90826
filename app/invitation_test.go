package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
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
	"rollcall/app/apptest"
	"rollcall/app/keyfile"
	"rollcall/app/mail"
	"rollcall/app/mail/mailtest"
	"rollcall/store"

	bolt "go.etcd.io/bbolt"
)

// clock is an injected clock the test moves by hand.
const relayPassword = "Relay-Secret-Pa55word"

type mailEnv struct {
	a     *app.App
	db    *store.DB
	clock *apptest.Clock
	srv   *mailtest.Server
	org   *app.Organization
	key   string
}

// newMailEnv is an app with an injected clock, a key file, a real go-smtp
// server (STARTTLS + AUTH) and an organization whose relay points at it.
func newMailEnv(t testing.TB, opts mailtest.Options) *mailEnv {
	t.Helper()
	e := apptest.New(t)
	a, db, c := e.App, e.DB, e.Clock
	c.Set(time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC))
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
	for _, lang := range app.Languages {
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
	for i, lang := range app.Languages {
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
	acc, err := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: tokens["ann@maple.example"], FirstName: "Ann", LastName: "Other", Password: "long enough 42"})
	if err != nil || acc.Login != "ann@maple.example" {
		t.Fatalf("accepted: %+v %v", acc, err)
	}
	u := acc.User
	if u.Status != app.StatusActive || u.AccountType != "teacher" || len(u.Groups) != 1 || u.Labels[0] != "autumn 2026" || u.DeleteOn != "2027-07-31" {
		t.Fatalf("accepted: %+v %v", u, err)
	}
	if _, tok, err := env.a.SignInUser(ctx, "ann@maple.example", "long enough 42", "192.0.2.1"); err != nil || tok == "" {
		t.Fatalf("sign in after accept: %v", err)
	}
	// Ann's link, used, now offers the sign-in (her account is active);
	// once the account is deactivated it is a bad link like any other.
	if _, err := env.a.InvitationByToken(ctx, tokens["ann@maple.example"]); app.ErrorCode(err) != app.ECONFLICT || !strings.Contains(app.ErrorMessage(err), "sign in") {
		t.Fatalf("used link of an active account: %v", err)
	}
	if _, err := env.a.SetUserStatus(ctx, "maple", u.ID, app.StatusDeactivated); err != nil {
		t.Fatal(err)
	}
	if _, err := env.a.InvitationByToken(ctx, tokens["ann@maple.example"]); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("used link of a deactivated account: %v", err)
	}
	if _, err := env.a.SetUserStatus(ctx, "maple", u.ID, app.StatusActive); err != nil {
		t.Fatal(err)
	}
	// Mo moves from Oak with his password.
	info, err = env.a.InvitationByToken(ctx, tokens["mo@oak.example"])
	if err != nil || info.Mode != app.ModeJoin || info.NeedPassword || !info.NeedCurrentPassword {
		t.Fatalf("join page: %+v %v", info, err)
	}
	if acc, err = env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: tokens["mo@oak.example"], CurrentPassword: "Original-pass-1"}); err != nil || acc.User.OrgID != env.org.ID || acc.User.ID != moving.ID {
		t.Fatalf("join: %+v %v", acc, err)
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
	for _, e := range []error{err2, err3} {
		if e == nil || e.Error() != err.Error() {
			t.Fatalf("bad links answer differently: %q vs %q", e, err)
		}
	}
	// A used link is the one exception: its account is active, so it
	// offers the sign-in (only the holder of the mail has its token).
	if _, err4 := env.a.InvitationByToken(ctx, ta); app.ErrorCode(err4) != app.ECONFLICT {
		t.Fatalf("used link: %v", err4)
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
	// The invited account went with its invitation: nothing to resend.
	if _, err := env.a.ResendInvitation(ctx, "maple", idA); app.ErrorCode(err) != app.ENOTFOUND {
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

// The database file holds neither a raw token nor the relay password: read
// while a mail still waits in the outbox (its token sealed there), and again
// after it went.
func TestNoSecretsInDatabase(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	env.invite(t, app.InviteRequest{Addresses: "a@maple.example b@maple.example"})
	env.deliver(t)
	var tokens []string
	for _, m := range env.srv.Messages() {
		tokens = append(tokens, parseMail(t, m).token)
	}
	// One more waits: the relay answers 451 for now.
	env.srv.FailWith(func(string) error { return &smtp.SMTPError{Code: 451, Message: "later"} })
	res := env.invite(t, app.InviteRequest{Addresses: "c@maple.example"})
	env.deliver(t)
	waiting := storedMessage(t, env, res.Invited[0].MessageID)
	if waiting.Status != app.MessageQueued || len(waiting.SealedToken) == 0 {
		t.Fatalf("the message is not waiting with its sealed token: %+v", waiting)
	}
	whileWaiting, err := os.ReadFile(env.db.Path)
	if err != nil {
		t.Fatal(err)
	}
	env.srv.FailWith(nil)
	env.clock.Add(time.Hour)
	env.deliver(t)
	all := env.srv.Messages()
	last := parseMail(t, all[len(all)-1])
	if last.to != "c@maple.example" || last.token == "" {
		t.Fatalf("the waiting mail did not go: %+v", last)
	}
	tokens = append(tokens, last.token)
	after, err := os.ReadFile(env.db.Path)
	if err != nil {
		t.Fatal(err)
	}
	for name, raw := range map[string][]byte{"while a mail waited": whileWaiting, "after": after} {
		for _, secret := range append(tokens, relayPassword) {
			if secret == "" || bytes.Contains(raw, []byte(secret)) {
				t.Fatalf("the database file %s contains %q", name, secret)
			}
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
	if res, err := env.a.TestSMTP(ctx, "maple", "it@maple.example"); err != nil || !res.OK {
		t.Fatal(res, err)
	} else if sv := res.Localized("sv"); sv.Headline != "Reläet tog emot testmeddelandet till it@maple.example." || !strings.HasPrefix(sv.Message, "Kontrollera") {
		t.Errorf("in Swedish: %+v", sv)
	}
	if len(env.srv.Messages()) != 1 {
		t.Fatal("no test message")
	}
	env.srv.FailWith(func(string) error {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relaying denied"}
	})
	// A refusal is a result, not an error: the app says what the server said.
	res, err := env.a.TestSMTP(ctx, "maple", "it@maple.example")
	if err != nil || res.OK || !strings.Contains(res.Message, "550 5.7.1 Relaying denied") || res.Headline != "The relay refused the message." {
		t.Fatalf("refused: %+v %v", res, err)
	}
	// In the asker's language; the server's own reply stays as it said it.
	if fi := res.Localized("fi"); fi.Headline != "Välityspalvelin hylkäsi viestin." || fi.Message != res.Message {
		t.Errorf("in Finnish: %+v", fi)
	}
	wrong := "nope"
	env.a.SetSMTP(ctx, "maple", app.SMTPUpdate{Password: &wrong})
	res, err = env.a.TestSMTP(ctx, "maple", "it@maple.example")
	if err != nil || res.OK || !strings.Contains(res.Message, "535 5.7.8 Authentication credentials invalid") || res.Headline != "The relay refused the sign-in." {
		t.Fatalf("auth: %+v %v", res, err)
	}
	// A bad request is an error.
	if _, err := env.a.TestSMTP(ctx, "maple", "not an address"); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("bad address: %v", err)
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

// Only literal loopback addresses and exactly "localhost" count as this
// computer: any other name is whatever a resolver says.
func TestLoopbackByAddress(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true, "[::1]": true,
		"relay.localhost": false, "localhost.": false, "localhost.maple.example": false, "evil.localhost": false,
		"192.0.2.1": false, "0.0.0.0": false, "::": false, "": false,
	} {
		if got := app.IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
	env := newMailEnv(t, mailtest.Options{TLS: mailtest.Plain, Addr: "skip"})
	_, err := env.a.SetSMTP(context.Background(), "maple", app.SMTPUpdate{Host: ptr("relay.localhost"), Port: ptr(25),
		Security: ptr(app.SecurityNone), From: ptr("Maple <no-reply@maple.example>")})
	if app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("none to relay.localhost: %v", err)
	}
}

// The stored relay password is for one account on one relay: changing the
// host, port or username drops it unless a new one comes with the change.
func TestRelayPasswordStaysWithItsRelay(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{TLS: mailtest.Plain, Addr: "skip"})
	ctx := context.Background()
	set := func(upd app.SMTPUpdate) *app.SMTPView {
		t.Helper()
		v, err := env.a.SetSMTP(ctx, "maple", upd)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	reset := func() {
		set(app.SMTPUpdate{Host: ptr("smtp.maple.example"), Port: ptr(587), Security: ptr(app.SecurityStartTLS),
			Username: ptr("relay-user"), Password: ptr(relayPassword), From: ptr("Maple <no-reply@maple.example>")})
	}
	for name, upd := range map[string]app.SMTPUpdate{
		"host":     {Host: ptr("smtp.attacker.example")},
		"port":     {Port: ptr(2525)},
		"username": {Username: ptr("someone-else")},
	} {
		reset()
		if v := set(upd); v.PasswordSet {
			t.Errorf("the password followed a new %s", name)
		}
	}
	reset()
	if v := set(app.SMTPUpdate{Host: ptr("SMTP.maple.example"), From: ptr("Maple Primary <no-reply@maple.example>")}); !v.PasswordSet {
		t.Error("the password was dropped though the relay is the same")
	}
	if v := set(app.SMTPUpdate{Host: ptr("smtp2.maple.example"), Password: ptr("New-Relay-Pa55")}); !v.PasswordSet {
		t.Error("a new password given with the new host was dropped")
	}
}

func TestUserSignIn(t *testing.T) {
	a := apptest.New(t).App
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
	// With the right password the person is told the account is switched
	// off (that reveals nothing to a guesser); with a wrong one, the usual answer.
	_, _, errDeact := a.SignInUser(ctx, "ada", "long enough 42", "192.0.2.1")
	if app.ErrorCode(errDeact) != app.EFORBIDDEN || !strings.Contains(errDeact.Error(), "switched off") {
		t.Fatalf("deactivated, right password: %v", errDeact)
	}
	if _, _, err := a.SignInUser(ctx, "ada", "wrong password 2", "192.0.2.1"); err == nil || err.Error() != errNone.Error() {
		t.Fatalf("deactivated, wrong password: %v", err)
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

// The username and the email address are two names of one account: they
// share one limit, also when the guesses come from many addresses at once.
func TestUserSignInLimitPerAccount(t *testing.T) {
	a := apptest.New(t).App
	ctx := context.Background()
	mustOrg(t, a, &app.Organization{Name: "Maple", Slug: "maple"})
	if _, err := a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Ada", Username: "ada", Email: "ada@maple.example"}, Password: "long enough 42"}); err != nil {
		t.Fatal(err)
	}
	t.Run("aliases", func(t *testing.T) {
		for i := range 5 {
			a.SignInUser(ctx, "ada", "bad", fmt.Sprintf("192.0.2.%d", i))
			a.SignInUser(ctx, "ADA@maple.example", "bad", fmt.Sprintf("198.51.100.%d", i))
		}
		if _, _, err := a.SignInUser(ctx, "ada@maple.example", "long enough 42", "203.0.113.1"); app.ErrorCode(err) != app.ETOOMANY {
			t.Fatalf("after 5 + 5 failures by username and email: %v", err)
		}
	})
	app.ForgetSignIns(a)
	t.Run("parallel", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[string]int{}
		for i := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				login := "ada"
				if i%2 == 1 {
					login = "ada@maple.example"
				}
				_, _, err := a.SignInUser(ctx, login, fmt.Sprint("guess ", i), fmt.Sprintf("192.0.2.%d", i))
				mu.Lock()
				codes[app.ErrorCode(err)]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if codes[app.EUNAUTHORIZED] != app.FreeFailures || codes[app.ETOOMANY] != 30-app.FreeFailures {
			t.Fatalf("30 parallel guesses: %v; want %d checked, the rest refused", codes, app.FreeFailures)
		}
		if _, _, err := a.SignInUser(ctx, "ada", "long enough 42", "203.0.113.2"); app.ErrorCode(err) != app.ETOOMANY {
			t.Fatalf("the right password after the limit: %v", err)
		}
	})
	app.ForgetSignIns(a)
	t.Run("unknown logins answer alike", func(t *testing.T) {
		for range 10 {
			a.SignInUser(ctx, "nobody", "bad", "192.0.2.200")
		}
		_, _, err := a.SignInUser(ctx, "nobody", "bad", "192.0.2.201")
		if app.ErrorCode(err) != app.ETOOMANY {
			t.Fatalf("11th guess at an unknown login: %v", err)
		}
	})
	app.ForgetSignIns(a)
	t.Run("password change per address", func(t *testing.T) {
		// Many accounts, one address guessing their current passwords.
		var toks []string
		for i := range app.AddressFailures + 1 {
			name := fmt.Sprint("pupil", i)
			if _, err := a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "P", Username: name}, Password: "long enough 42"}); err != nil {
				t.Fatal(err)
			}
			_, tok, err := a.SignInUser(ctx, name, "long enough 42", "192.0.2.50")
			if err != nil {
				t.Fatal(err)
			}
			toks = append(toks, tok)
		}
		for i := range app.AddressFailures {
			if _, err := a.ChangeMyPassword(ctx, toks[i], "wrong", "new password 99", "192.0.2.66"); app.ErrorCode(err) != app.EINVALID {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		if _, err := a.ChangeMyPassword(ctx, toks[app.AddressFailures], "wrong", "new password 99", "192.0.2.66"); app.ErrorCode(err) != app.ETOOMANY {
			t.Fatalf("guess %d from one address: %v", app.AddressFailures+1, err)
		}
		// The sign-in count of the address is its own.
		if _, _, err := a.SignInUser(ctx, "pupil0", "long enough 42", "192.0.2.66"); err != nil {
			t.Fatalf("sign-in from the address: %v", err)
		}
	})
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

// blockRcpt makes the relay hold the next RCPT until the test lets it go
// with the answer (nil accepts): a message is then "sending" for as long as
// the test needs.
func blockRcpt(srv *mailtest.Server) (entered <-chan struct{}, answer chan<- error) {
	in, out := make(chan struct{}), make(chan error)
	var once sync.Once
	srv.FailWith(func(string) error {
		block := false
		once.Do(func() { block = true })
		if !block {
			return nil
		}
		close(in)
		return <-out
	})
	return in, out
}

func storedMessage(t *testing.T, env *mailEnv, id string) *app.OutboxMessage {
	t.Helper()
	msgs, err := env.db.OutboxMessages(context.Background(), env.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.ID == id {
			return m
		}
	}
	return nil
}

// A cancel or a resend made while the worker is sending the message is not
// undone by the worker's write-back, and an erased token is not restored.
func TestCancelAndResendWhileSending(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		answer error // the relay's answer to the held RCPT
		resend bool
	}{
		{"cancel, then the relay says 451", &smtp.SMTPError{Code: 451, Message: "try later"}, false},
		{"cancel, then the relay accepts", nil, false},
		{"resend, then the relay accepts", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newMailEnv(t, mailtest.Options{})
			res := env.invite(t, app.InviteRequest{Addresses: "a@maple.example"})
			inv := res.Invited[0]
			entered, answer := blockRcpt(env.srv)
			done := make(chan error)
			go func() { _, err := env.a.DeliverDue(ctx); done <- err }()
			<-entered
			if m := storedMessage(t, env, inv.MessageID); m.Status != app.MessageSending {
				t.Fatalf("while held: %s", m.Status)
			}
			var err error
			if tc.resend {
				_, err = env.a.ResendInvitation(ctx, "maple", inv.ID)
			} else {
				_, err = env.a.CancelInvitation(ctx, "maple", inv.ID)
			}
			if err != nil {
				t.Fatal(err)
			}
			answer <- tc.answer
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			m := storedMessage(t, env, inv.MessageID)
			got, _ := env.a.Invitations(ctx, "maple", app.InvitationFilter{State: app.InvitationCancelled})
			if !tc.resend {
				// The invited account was purged with its invitation and
				// mail; the worker's write-back does not bring them back.
				if m != nil || len(got) != 0 {
					t.Fatalf("after the worker's write-back: message %+v, invitations %d", m, len(got))
				}
			} else if m == nil || m.Status != app.MessageCancelled || len(m.SealedToken) != 0 || m.To != "" {
				t.Fatalf("the old message after the worker's write-back: %+v", m)
			}
			got, _ = env.a.Invitations(ctx, "maple", app.InvitationFilter{})
			if tc.resend {
				// The new message may have gone in the same run (it was due at once).
				if len(got) != 1 || got[0].MessageID == inv.MessageID || got[0].Delivery == app.MessageCancelled {
					t.Fatalf("invitation after resend: %+v", *got[0])
				}
				env.deliver(t)
				all := env.srv.Messages()
				last := parseMail(t, all[len(all)-1]).token
				if _, err := env.a.InvitationByToken(ctx, last); err != nil {
					t.Fatalf("the new link: %v", err)
				}
				return
			}
			if next, _ := env.db.NextDue(ctx); !next.IsZero() {
				t.Fatalf("the cancelled message is back in the queue (due %v)", next)
			}
			env.clock.Add(time.Hour)
			before := len(env.srv.Messages())
			env.deliver(t)
			if n := len(env.srv.Messages()) - before; n != 0 {
				t.Fatalf("%d mails after the cancel", n)
			}
		})
	}
}

// bucketsHolding lists every bucket of a consistent copy of the database
// whose keys or values contain one of the strings.
func bucketsHolding(t *testing.T, db *store.DB, needles ...string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "copy.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.WriteBackup(f, nil)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var hits []string
	bdb.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				for _, n := range needles {
					if bytes.Contains(k, []byte(n)) || bytes.Contains(v, []byte(n)) {
						hits = append(hits, fmt.Sprintf("%s: %s", name, n))
					}
				}
				return nil
			})
		})
	})
	return hits
}

// Deleting a user deletes their invitations and waiting mails with them:
// nothing is sent to them afterwards and nothing of theirs stays in any
// bucket, also when the deletion comes while their mail is being sent, and
// for a join invitation from another organization.
func TestDeletedUserIsNotMailed(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	mustOrg(t, env.a, &app.Organization{Name: "Oak Academy", Slug: "oak"})
	oakUser, err := env.a.CreateUser(ctx, "oak", app.UserCreate{User: app.User{FirstName: "Cy", Email: "cy@oak.example"}, Password: "long enough 42"})
	if err != nil {
		t.Fatal(err)
	}
	res := env.invite(t, app.InviteRequest{Addresses: "ann@maple.example bo@maple.example cy@oak.example"})
	if len(res.Invited) != 3 || res.Invited[2].Mode != app.ModeJoin {
		t.Fatalf("invited: %+v", res)
	}
	if err := env.a.DeleteUser(ctx, "maple", res.Invited[0].UserID); err != nil {
		t.Fatal(err)
	}
	if err := env.a.DeleteUser(ctx, "oak", oakUser.ID); err != nil {
		t.Fatal(err)
	}
	if n := env.deliver(t); n != 1 {
		t.Fatalf("sent %d, want 1 (bo only)", n)
	}
	for _, m := range env.srv.Messages() {
		if m.To[0] != "bo@maple.example" {
			t.Fatalf("mailed %v", m.To)
		}
	}
	if hits := bucketsHolding(t, env.db, "ann@maple.example", "cy@oak.example", res.Invited[0].ID, res.Invited[2].ID); len(hits) > 0 {
		t.Fatalf("left in the file: %v", hits)
	}

	// Deleted while the worker is sending: its write-back does not bring the message back.
	res = env.invite(t, app.InviteRequest{Addresses: "dee@maple.example"})
	entered, answer := blockRcpt(env.srv)
	done := make(chan error)
	go func() { _, err := env.a.DeliverDue(ctx); done <- err }()
	<-entered
	if err := env.a.DeleteUser(ctx, "maple", res.Invited[0].UserID); err != nil {
		t.Fatal(err)
	}
	answer <- &smtp.SMTPError{Code: 451, Message: "try later"}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if hits := bucketsHolding(t, env.db, "dee@maple.example", res.Invited[0].MessageID); len(hits) > 0 {
		t.Fatalf("left in the file after a delete during the send: %v", hits)
	}
}

// Stopping the worker (serve's Ctrl+C, closing the desktop window) while the
// relay sits on a DATA answer ends it within a second; the message goes
// back to the queue for the next start.
func TestOutboxStopsPromptly(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{TLS: mailtest.StartTLS, Username: "relay-user", Password: relayPassword, Delay: 5 * time.Second})
	res := env.invite(t, app.InviteRequest{Addresses: "a@maple.example"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { env.a.RunOutbox(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for storedMessage(t, env, res.Invited[0].MessageID).Status != app.MessageSending {
		if time.Now().After(deadline) {
			t.Fatal("the worker never claimed the message")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // into the DATA wait
	cancel()
	stopped := time.Now()
	select {
	case <-done:
	case <-time.After(4 * time.Second):
		t.Fatal("the worker still waits for the relay 4 s after the stop")
	}
	if d := time.Since(stopped); d > time.Second {
		t.Fatalf("the worker stopped %v after the stop", d)
	}
	// Not a failure of the relay: queued as it was, due at once after a restart.
	if m := storedMessage(t, env, res.Invited[0].MessageID); m.Status != app.MessageQueued || len(m.SealedToken) == 0 ||
		m.Attempts != 0 || m.NextAttempt.After(env.clock.Now()) {
		t.Fatalf("the interrupted message: %s, token %v, attempts %d, next %v", m.Status, len(m.SealedToken) > 0, m.Attempts, m.NextAttempt)
	}
}

// A run that keeps failing (here: no mailer) is not retried in a tight
// loop: the worker waits 1 s, doubling up to a minute, and a good run
// goes back to the normal schedule. The worker's timer is injected, so
// the test sleeps not at all.
func TestOutboxBacksOffAfterErrors(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	env.a.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	env.invite(t, app.InviteRequest{Addresses: "a@maple.example"})
	mailer := env.a.Mailer
	env.a.Mailer = nil
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	fired := make(chan time.Time)
	close(fired)
	env.a.Timer = func(d time.Duration) (<-chan time.Time, func()) {
		waits = append(waits, d)
		env.clock.Add(d)
		switch len(waits) {
		case 8:
			env.a.Mailer = mailer // the failure is mended
		case 10:
			cancel()
		}
		return fired, func() {}
	}
	env.a.RunOutbox(ctx)
	s := time.Second
	want := []time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 60 * s, 60 * s, app.OutboxPoll, app.OutboxPoll}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	if len(env.srv.Messages()) != 1 {
		t.Fatal("the mail was not sent once the mailer was back")
	}
}

// Join invitations: an account another organization deactivated is not
// invited (reported) and cannot be moved by an invitation sent before the
// deactivation; once an account has moved, the old organization's pending
// link for it stops working.
func TestJoinInvitations(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	oak := mustOrg(t, env.a, &app.Organization{Name: "Oak Academy", Slug: "oak", PublicURL: "https://rollcall.maple.example"})
	host, port, sec := env.srv.Host, env.srv.Port, mailtest.StartTLS
	if _, err := env.a.SetSMTP(ctx, "oak", app.SMTPUpdate{Host: &host, Port: &port, Security: &sec, Username: ptr("relay-user"),
		Password: ptr(relayPassword), From: ptr("Oak <no-reply@oak.example>")}); err != nil {
		t.Fatal(err)
	}
	tokenFor := func(addr string) string {
		t.Helper()
		env.deliver(t)
		msgs := env.srv.Messages()
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].To[0] == addr {
				return parseMail(t, msgs[i]).token
			}
		}
		t.Fatalf("no mail to %s", addr)
		return ""
	}

	t.Run("the old organization's link stops working", func(t *testing.T) {
		oakRes, err := env.a.Invite(ctx, "oak", app.InviteRequest{Addresses: "cy@oak.example", Mode: app.ModeCreate})
		if err != nil {
			t.Fatal(err)
		}
		oakLink := tokenFor("cy@oak.example")
		res := env.invite(t, app.InviteRequest{Addresses: "cy@oak.example"})
		if res.Invited[0].Mode != app.ModeJoin {
			t.Fatalf("mode %s", res.Invited[0].Mode)
		}
		if _, err := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: tokenFor("cy@oak.example"), Password: "long enough 42"}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.a.InvitationByToken(ctx, oakLink); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("Oak's link after the move to Maple: %v", err)
		}
		if _, err := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: oakLink, Password: "another one 77"}); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("accepting Oak's link after the move: %v", err)
		}
		inv, _ := env.a.Store.Invitation(ctx, oak.ID, oakRes.Invited[0].ID)
		if inv.Status != app.InvitationCancelled {
			t.Fatalf("Oak's invitation: %s", inv.Status)
		}
		u, _ := env.a.Store.UserByLogin(ctx, "cy@oak.example")
		if u.OrgID != env.org.ID || u.Status != app.StatusActive {
			t.Fatalf("the account: org %s status %s", u.OrgID, u.Status)
		}
	})

	t.Run("a deactivated account is not moved", func(t *testing.T) {
		u, err := env.a.CreateUser(ctx, "oak", app.UserCreate{User: app.User{FirstName: "Dee", Email: "dee@oak.example"}, Password: "long enough 42"})
		if err != nil {
			t.Fatal(err)
		}
		env.invite(t, app.InviteRequest{Addresses: "dee@oak.example"})
		link := tokenFor("dee@oak.example")
		if _, err := env.a.SetUserStatus(ctx, "oak", u.ID, app.StatusDeactivated); err != nil {
			t.Fatal(err)
		}
		_, err = env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: link})
		if app.ErrorCode(err) != app.EFORBIDDEN || !strings.Contains(err.Error(), "deactivated") {
			t.Fatalf("accepting a join of a deactivated account: %v", err)
		}
		got, _ := env.a.Store.User(ctx, "", u.ID)
		if got.Status != app.StatusDeactivated || got.OrgID != oak.ID {
			t.Fatalf("the account: org %s status %s", got.OrgID, got.Status)
		}
		// Inviting it again says so, and sends nothing.
		before := len(env.srv.Messages())
		res := env.invite(t, app.InviteRequest{Addresses: "dee@oak.example"})
		env.deliver(t)
		if len(res.Invited) != 0 || len(res.Invalid) != 1 || !strings.Contains(res.Invalid[0].Reason, "deactivated") || len(env.srv.Messages()) != before {
			t.Fatalf("invite of a deactivated account: %+v", res)
		}
	})
}

// tokenCounter is the real store, counting look-ups of a link.
type tokenCounter struct {
	app.Store
	mu sync.Mutex
	n  int
}

func (c *tokenCounter) InvitationByToken(ctx context.Context, hash string) (*app.Invitation, *app.User, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.Store.InvitationByToken(ctx, hash)
}

// Accepting looks the link up once before its transaction (not three times),
// and a resend without a key file is refused like an invitation, not a crash.
func TestAcceptLooksUpOnceAndResendNeedsKey(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	res := env.invite(t, app.InviteRequest{Addresses: "a@maple.example b@maple.example"})
	env.deliver(t)
	tok := parseMail(t, env.srv.Messages()[0]).token
	counter := &tokenCounter{Store: env.a.Store}
	env.a.Store = counter
	if _, err := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: tok, FirstName: "A", Password: "long enough 42"}); err != nil {
		t.Fatal(err)
	}
	if counter.n != 1 {
		t.Fatalf("the link was looked up %d times before the transaction, want 1", counter.n)
	}
	env.a.Store = counter.Store

	env.a.Secrets = nil
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("resend without a key file panicked: %v", p)
			}
		}()
		_, err = env.a.ResendInvitation(ctx, "maple", res.Invited[1].ID)
	}()
	if app.ErrorCode(err) != app.EINTERNAL || !strings.Contains(err.Error(), "key file") {
		t.Fatalf("resend without a key file: %v", err)
	}
	inv, _ := env.a.Store.Invitation(ctx, env.org.ID, res.Invited[1].ID)
	if inv.Resends != 0 || inv.MessageID != res.Invited[1].MessageID {
		t.Fatalf("the refused resend changed the invitation: %+v", inv)
	}
	if _, err := env.a.Invite(ctx, "maple", app.InviteRequest{Addresses: "c@maple.example"}); err == nil || !strings.Contains(err.Error(), "key file") {
		t.Fatalf("invite without a key file: %v", err)
	}
}

// Cancelling an invitation that made a new account purges that account as a
// deletion does: no name or address stays in the invitation, its mail or
// the audit log (issue 11, review finding 3).
func TestCancelledInvitationLeavesNoAddress(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	res := env.invite(t, app.InviteRequest{Addresses: "Zoe Quillfeather <zoe.quillfeather@maple.example>"})
	inv := res.Invited[0]
	if _, err := env.a.CancelInvitation(ctx, "maple", inv.ID); err != nil {
		t.Fatal(err)
	}
	if hits := bucketsHolding(t, env.db, "zoe.quillfeather", "Quillfeather", inv.ID); len(hits) > 0 {
		t.Fatalf("left in the file after the cancel: %v", hits)
	}
	page, err := env.a.AuditLog(ctx, "maple", app.AuditFilter{Action: "invitation.cancel"})
	if err != nil || len(page.Entries) != 1 || page.Entries[0].Target.Name != app.DeletedPerson {
		t.Fatalf("audit of the cancel: %+v %v", page, err)
	}
	if n := env.deliver(t); n != 0 {
		t.Fatalf("%d mails after the cancel", n)
	}
}

// A verification mail that is cancelled before it goes (the address was
// changed) keeps no address: a person whose claim moved on leaves nothing
// behind in any organization's outbox (issue 11, review finding 4).
func TestCancelledVerificationMailKeepsNoAddress(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	oakWithRelay(t, env)
	if _, err := env.a.UpdateOrganization(ctx, "oak", app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	c, _ := env.a.InviteCodeOf(ctx, "oak", "")
	res, err := env.a.SignUpWithCode(ctx, c.Code, app.SignUpForm{FirstName: "Val", Username: "val.id", Email: "Val.Oldaddress@Home.example", Password: "Val-pass-123456"}, "10.4.4.4")
	if err != nil || !res.VerifyMailSent {
		t.Fatalf("sign-up: %+v %v", res, err)
	}
	u, _ := env.a.Store.UserByLogin(ctx, "val.id")
	if _, err := env.a.UpdateUser(ctx, "oak", u.ID, app.UserUpdate{Email: ptr("val@new.example")}); err != nil {
		t.Fatal(err)
	}
	if hits := bucketsHolding(t, env.db, "Oldaddress", "oldaddress"); len(hits) > 0 {
		t.Fatalf("the old address is left in %v", hits)
	}
}
