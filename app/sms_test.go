package app_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/keyfile"
	"rollcall/app/sms"
	"rollcall/app/sms/smstest"
)

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		raw, region, want string
		ok                bool
	}{
		{"", "", "", true},
		{"+358 40 123 4567", "", "+358401234567", true},
		{"+358 (0)40 123-4567", "", "+358401234567", true},
		{"+44 7911 123456", "FI", "+447911123456", true},
		{"040 123 4567", "FI", "+358401234567", true},
		{"07911 123456", "GB", "+447911123456", true},
		{"040 123 4567", "", "", false},               // no country: write it with +
		{"0049 30 5550156", "", "+49305550156", true}, // 00 for + (as spreadsheet exports write it)
		{"call me", "FI", "", false},
		{"+1 555", "", "", false},
		{"+358 40 123 4567 ext\n", "", "", false},
	} {
		got, err := app.NormalizePhone(c.raw, c.region)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q, ok %v", c.raw, c.region, got, err, c.want, c.ok)
		}
	}
}

// smsApp is an app whose organization sends SMS through Kannel's sendsms
// shape to a sink, with a public address and open sign-up.
func smsApp(t *testing.T, limit int) (*apptest.Env, *app.Organization, *smstest.Sink) {
	t.Helper()
	sink := smstest.Start()
	t.Cleanup(sink.Close)
	e := apptest.New(t)
	e.App.Secrets = keyfile.New(filepath.Join(t.TempDir(), "secret.key"))
	e.App.SMSSender = &sms.Sender{}
	ctx := context.Background()
	org := mustOrg(t, e.App, &app.Organization{Name: "Maple Primary", PublicURL: "https://rollcall.maple.example", Language: "fi", Country: "FI"})
	on, provider, url, user, secret := true, app.SMSKannel, sink.URL()+"/cgi-bin/sendsms", "rollcall", "gateway-secret-99"
	if _, err := e.App.SetSMS(ctx, org.ID, app.SMSUpdate{Enabled: &on, Provider: &provider, URL: &url, Username: &user, Secret: &secret, DailyLimit: &limit}); err != nil {
		t.Fatal(err)
	}
	return e, org, sink
}

// smsCode finds the code in a sign-up's SMS, in any language (the
// organization of smsApp speaks Finnish).
var smsCode = regexp.MustCompile(`(?i)(?:code is|koodisi on|registreringskod är|registreringskod:|registrierungscode ist|registrierungscode:) ([0-9]{6})`)

// A sign-up with username and phone makes no account until the code sent
// to the phone is typed; wrong codes are counted and five end the sign-up;
// the right one makes the account, once.
func TestPhoneSignUp(t *testing.T) {
	e, org, sink := smsApp(t, 50)
	a, ctx := e.App, context.Background()
	if _, err := a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true, Login: app.LoginPhone}}); err != nil {
		t.Fatal(err)
	}
	code, err := a.InviteCodeOf(ctx, org.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	form := app.SignUpForm{FirstName: "Pia", Username: "pia", Phone: "040 123 4567", Email: "ignored@home.example", Password: "correct horse 42"}

	t.Run("PhoneRequired", func(t *testing.T) {
		f := form
		f.Phone = ""
		if _, err := a.SignUpWithCode(ctx, code.Code, f, "ip1"); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("without a phone: %v, want EINVALID", err)
		}
	})

	res, err := a.SignUpWithCode(ctx, code.Code, form, "ip1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != app.SignUpVerifyPhone || res.PhoneSignUp == "" || res.Phone != "…4567" {
		t.Fatalf("result %+v: want verify_phone with an ID and the number masked", res)
	}
	if _, err := a.Store.UserByLogin(ctx, "pia"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("an account exists before the code is typed: %v", err)
	}
	if n, err := a.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 || msgs[0].To != "+358401234567" {
		t.Fatalf("SMS %+v, want one to +358401234567 (a local number read in the organization's country)", msgs)
	}
	m := smsCode.FindStringSubmatch(msgs[0].Text)
	if m == nil {
		t.Fatalf("no code in %q", msgs[0].Text)
	}
	wrong := "000000"
	if m[1] == wrong {
		wrong = "111111"
	}
	if _, err := a.VerifyPhoneSignUp(ctx, res.PhoneSignUp, wrong, "ip1"); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("wrong code: %v, want EUNAUTHORIZED", err)
	}
	got, err := a.VerifyPhoneSignUp(ctx, res.PhoneSignUp, m[1], "ip1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != app.StatusActive || got.Login != "pia" {
		t.Fatalf("after the code: %+v", got)
	}
	u, err := a.Store.UserByLogin(ctx, "pia")
	if err != nil || u.Phone != "+358401234567" || u.Email != "" || u.Status != app.StatusActive || !u.HasPassword() {
		t.Fatalf("account %+v, %v: want active, with the phone and password, no email", u, err)
	}
	if _, err := a.VerifyPhoneSignUp(ctx, res.PhoneSignUp, m[1], "ip1"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("the code a second time: %v, want ENOTFOUND", err)
	}

	t.Run("FiveWrongEndIt", func(t *testing.T) {
		f := form
		f.Username, f.Phone = "pia2", "+358 40 765 4321"
		res, err := a.SignUpWithCode(ctx, code.Code, f, "ip2")
		if err != nil {
			t.Fatal(err)
		}
		for i := range app.PhoneCodeAttempts {
			_, err := a.VerifyPhoneSignUp(ctx, res.PhoneSignUp, "99999"+string(rune('0'+i)), "ip2")
			if want := app.EUNAUTHORIZED; i == app.PhoneCodeAttempts-1 {
				want = app.ENOTFOUND
				if app.ErrorCode(err) != want {
					t.Fatalf("wrong code %d: %v, want %s", i+1, err, want)
				}
			}
		}
		if _, err := a.Store.PhoneSignUp(ctx, res.PhoneSignUp); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("the sign-up is still waiting after %d wrong codes", app.PhoneCodeAttempts)
		}
	})

	t.Run("Expired", func(t *testing.T) {
		f := form
		f.Username, f.Phone = "pia3", "+358 40 765 4322"
		res, err := a.SignUpWithCode(ctx, code.Code, f, "ip3")
		if err != nil {
			t.Fatal(err)
		}
		a.DeliverDue(ctx)
		all := sink.Messages()
		m := smsCode.FindStringSubmatch(all[len(all)-1].Text)
		e.Clock.Add(app.PhoneCodeTTL)
		if _, err := a.VerifyPhoneSignUp(ctx, res.PhoneSignUp, m[1], "ip3"); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("the right code at expiry: %v, want ENOTFOUND", err)
		}
	})

	t.Run("EndedAreSwept", func(t *testing.T) {
		f := form
		f.Username, f.Phone = "pia4", "+358 40 765 4323"
		old, err := a.SignUpWithCode(ctx, code.Code, f, "ip4")
		if err != nil {
			t.Fatal(err)
		}
		e.Clock.Add(app.PhoneCodeTTL)
		f.Username, f.Phone = "pia5", "+358 40 765 4324"
		if _, err := a.SignUpWithCode(ctx, code.Code, f, "ip4"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Store.PhoneSignUp(ctx, old.PhoneSignUp); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("an ended sign-up is still stored: %v", err)
		}
	})

	// The database holds neither a code nor the gateway's secret in clear.
	raw, err := os.ReadFile(e.DB.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{m[1], "gateway-secret-99"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the database file holds %q in clear", s)
		}
	}
}

// The daily limit holds SMS back until midnight, counted, not failed.
func TestSMSDailyLimit(t *testing.T) {
	e, org, sink := smsApp(t, 2)
	a, ctx := e.App, context.Background()
	e.Clock.Set(time.Date(2026, 9, 1, 10, 0, 0, 0, time.Local))
	for _, p := range []string{"+358401230001", "+358401230002", "+358401230003"} {
		if _, err := a.CreateUser(ctx, org.ID, app.UserCreate{User: app.User{FirstName: "P", Username: "p" + p[len(p)-1:], Phone: p}, SendActivation: true}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := a.DeliverDue(ctx); err != nil || n != 2 {
		t.Fatalf("sent %d, %v; want the limit of 2", n, err)
	}
	msgs, _, _ := a.Outbox(ctx, org.ID)
	held := msgs[0]
	for _, m := range msgs {
		if m.Status == app.MessageQueued {
			held = m
		}
	}
	if held.Status != app.MessageQueued || held.Attempts != 0 || !held.NextAttempt.Equal(time.Date(2026, 9, 2, 0, 0, 0, 0, time.Local)) {
		t.Fatalf("the third SMS is %s, %d attempts, next %v (%q); want queued for midnight, no attempt counted", held.Status, held.Attempts, held.NextAttempt, held.LastError)
	}
	v, _ := a.SMS(ctx, org.ID)
	if v.SentToday != 2 {
		t.Errorf("sent today %d, want 2", v.SentToday)
	}
	e.Clock.Set(time.Date(2026, 9, 2, 0, 0, 1, 0, time.Local))
	if n, err := a.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("after midnight sent %d, %v; want 1", n, err)
	}
	if len(sink.Messages()) != 3 {
		t.Errorf("the gateway got %d SMS, want 3", len(sink.Messages()))
	}
}

// A person with an address and a phone gets the activation link both ways
// when the organization mails and sends SMS; the SMS link expires sooner.
func TestActivationByMailAndSMS(t *testing.T) {
	e, org, _ := smsApp(t, 50)
	a, ctx := e.App, context.Background()
	host, port, sec, from := "smtp.maple.example", 587, "starttls", "Maple <no-reply@maple.example>"
	if _, err := a.SetSMTP(ctx, org.ID, app.SMTPUpdate{Host: &host, Port: &port, Security: &sec, From: &from}); err != nil {
		t.Fatal(err)
	}
	u, err := a.CreateUser(ctx, org.ID, app.UserCreate{User: app.User{FirstName: "Ada", Username: "ada", Email: "ada@maple.example", Phone: "+358401234567"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SendActivation(ctx, org.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	msgs, _, _ := a.Outbox(ctx, org.ID)
	got := map[string]string{}
	for _, m := range msgs {
		got[m.Channel] = m.To
	}
	if len(msgs) != 2 || got[""] != "ada@maple.example" || got[app.ChannelSMS] != "+358401234567" {
		t.Fatalf("outbox %v, want a mail to the address and an SMS to the phone", got)
	}
	r, err := a.Store.SMSActivation(ctx, u.ID)
	if err != nil || r.ExpiresAt.Sub(r.CreatedAt) != app.SMSActivationTTL || app.SMSActivationTTL >= app.ActivationTTL {
		t.Fatalf("SMS link %+v, %v: want the shorter expiry", r, err)
	}
	// Without SMS, the mail alone.
	off := false
	if _, err := a.SetSMS(ctx, org.ID, app.SMSUpdate{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SendActivation(ctx, org.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	msgs, _, _ = a.Outbox(ctx, org.ID)
	if len(msgs) != 3 || msgs[0].Channel != "" {
		t.Fatalf("with SMS off: %d messages, newest channel %q; want one more mail", len(msgs), msgs[0].Channel)
	}
}

// The gateway's secret is sealed, shown only as set, and dropped when the
// gateway's address or account changes.
func TestSMSSettings(t *testing.T) {
	e, org, sink := smsApp(t, 50)
	a, ctx := e.App, context.Background()
	s, err := a.Store.SMSSettings(ctx, org.ID)
	if err != nil || len(s.SealedSecret) == 0 || bytes.Contains(s.SealedSecret, []byte("gateway-secret-99")) {
		t.Fatalf("stored %+v, %v: want the secret sealed", s, err)
	}
	v, _ := a.SMS(ctx, org.ID)
	if !v.SecretSet || !v.Configured {
		t.Fatalf("view %+v", v)
	}
	// The test SMS works before SMS is switched on.
	off := false
	if _, err := a.SetSMS(ctx, org.ID, app.SMSUpdate{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	if res, err := a.TestSMS(ctx, org.ID, "040 123 4567"); err != nil || !res.OK {
		t.Fatalf("test SMS with SMS off: %+v, %v", res, err)
	} else if de := res.Localized("de"); de.Headline != "Das Gateway hat die Test-SMS an +358401234567 angenommen." || de.Message != "Prüfen Sie, ob sie auf dem Telefon ankommt." {
		t.Errorf("in German: %+v", de)
	}
	if got := sink.Messages(); len(got) != 1 || got[0].To != "+358401234567" {
		t.Fatalf("the gateway got %+v", got)
	}
	twilio, url := app.SMSTwilio, "http://sms.example"
	if _, err := a.SetSMS(ctx, org.ID, app.SMSUpdate{Provider: &twilio, URL: &url}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("twilio over http to another host: %v, want EINVALID", err)
	}
	url = "http://127.0.0.1:1/cgi-bin/sendsms"
	if v, err = a.SetSMS(ctx, org.ID, app.SMSUpdate{URL: &url}); err != nil || v.SecretSet {
		t.Fatalf("new address: %+v, %v; want the secret dropped", v, err)
	}
	bad := "+358 40"
	if _, err := a.TestSMS(ctx, org.ID, bad); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("test SMS to %q: %v, want EINVALID", bad, err)
	}
}

// Deleting a person takes their SMS with them: the outbox keeps no message
// to their number (their activation links, and the code of their sign-up,
// which was sent before the account existed), as it keeps none to their
// address.
func TestDeleteUserTakesTheirSMS(t *testing.T) {
	e, org, sink := smsApp(t, 50)
	a, ctx := e.App, context.Background()
	if _, err := a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true, Login: app.LoginPhone}}); err != nil {
		t.Fatal(err)
	}
	code, err := a.InviteCodeOf(ctx, org.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.SignUpWithCode(ctx, code.Code, app.SignUpForm{FirstName: "Zeph", Username: "zeph", Phone: "+358401239999", Password: "correct horse 42"}, "ip")
	if err != nil {
		t.Fatal(err)
	}
	a.DeliverDue(ctx)
	m := smsCode.FindStringSubmatch(sink.Messages()[0].Text)
	if _, err := a.VerifyPhoneSignUp(ctx, res.PhoneSignUp, m[1], "ip"); err != nil {
		t.Fatal(err)
	}
	u, err := a.Store.UserByLogin(ctx, "zeph")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SendActivation(ctx, org.ID, u.ID); err != nil { // one waiting
		t.Fatal(err)
	}
	if msgs, _, _ := a.Outbox(ctx, org.ID); len(msgs) != 2 {
		t.Fatalf("%d messages before the deletion, want 2: the test proves nothing", len(msgs))
	}
	if err := a.DeleteUser(ctx, org.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	msgs, _, _ := a.Outbox(ctx, org.ID)
	for _, m := range msgs {
		if m.To == "+358401239999" {
			t.Errorf("after the deletion the outbox holds a %s %s SMS to their number", m.Status, m.Kind)
		}
	}
}

// Twenty tablets typing the right code at once make one account: exactly
// one succeeds, the others find the sign-up ended.
func TestPhoneSignUpCodeConcurrent(t *testing.T) {
	e, org, sink := smsApp(t, 50)
	a, ctx := e.App, context.Background()
	if _, err := a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true, Login: app.LoginPhone}}); err != nil {
		t.Fatal(err)
	}
	code, _ := a.InviteCodeOf(ctx, org.ID, "")
	res, err := a.SignUpWithCode(ctx, code.Code, app.SignUpForm{FirstName: "Ola", Username: "ola", Phone: "+358401230000", Password: "correct horse 42"}, "ip")
	if err != nil {
		t.Fatal(err)
	}
	a.DeliverDue(ctx)
	m := smsCode.FindStringSubmatch(sink.Messages()[0].Text)
	var wg sync.WaitGroup
	var ok, ended atomic.Int32
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := a.VerifyPhoneSignUp(ctx, res.PhoneSignUp, m[1], fmt.Sprintf("192.0.2.%d", i))
			switch app.ErrorCode(err) {
			case "":
				ok.Add(1)
			case app.ENOTFOUND:
				ended.Add(1)
			default:
				t.Errorf("redemption: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || ended.Load() != 19 {
		t.Fatalf("%d succeeded, %d found it ended; want 1 and 19", ok.Load(), ended.Load())
	}
}

// The SMS activation link works until 24 hours after it was made, not a
// second longer.
func TestSMSActivationExpiry(t *testing.T) {
	for _, c := range []struct {
		after time.Duration
		code  string // "": it works
	}{{app.SMSActivationTTL - time.Second, ""}, {app.SMSActivationTTL + time.Second, app.ENOTFOUND}} {
		e, org, sink := smsApp(t, 50)
		a, ctx := e.App, context.Background()
		if _, err := a.CreateUser(ctx, org.ID, app.UserCreate{User: app.User{FirstName: "Ada", Username: "ada", Phone: "+358401234567"}, SendActivation: true}); err != nil {
			t.Fatal(err)
		}
		a.DeliverDue(ctx)
		link := regexp.MustCompile(`/reset/([A-Za-z0-9_-]+)`).FindStringSubmatch(sink.Messages()[0].Text)
		e.Clock.Add(c.after)
		_, err := a.ResetPassword(ctx, link[1], "a fine password 1")
		if app.ErrorCode(err) != c.code {
			t.Errorf("after %s: %v, want %q", c.after, err, c.code)
		}
	}
}

var activationSMS = regexp.MustCompile(`/reset/([A-Za-z0-9_-]+) (?:or code|tai koodi|eller koden|oder Code) ([0-9]{6})`)

// The activation SMS carries a link and a code: the code typed on /signin
// with the username becomes a one-time token for the set-password page and
// stops the link; wrong codes are counted, and five end the code (not the
// link).
func TestActivationCodeOnSignIn(t *testing.T) {
	e, org, sink := smsApp(t, 50)
	a, ctx := e.App, context.Background()
	for _, name := range []string{"ada", "bea"} {
		if _, err := a.CreateUser(ctx, org.ID, app.UserCreate{User: app.User{FirstName: name, Username: name, Phone: "+35840123400" + fmt.Sprint(len(name)+len(sink.Messages()))}, SendActivation: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	msgs := sink.Messages()
	ada, bea := activationSMS.FindStringSubmatch(msgs[0].Text), activationSMS.FindStringSubmatch(msgs[1].Text)
	if ada == nil || bea == nil {
		t.Fatalf("SMS %q, %q: want a link and a code", msgs[0].Text, msgs[1].Text)
	}
	wrong := func(c string) string {
		if c == "000000" {
			return "111111"
		}
		return "000000"
	}

	// Bea's code with Ada's username, an unknown username: one answer.
	for _, login := range []string{"ada", "nobody"} {
		if _, err := a.RedeemActivationCode(ctx, login, bea[2], "ip1"); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("%s with another's code: %v, want EUNAUTHORIZED", login, err)
		}
	}
	token, err := a.RedeemActivationCode(ctx, "ada", ada[2], "ip1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.RedeemActivationCode(ctx, "ada", ada[2], "ip1"); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("the code a second time: %v, want EUNAUTHORIZED", err)
	}
	if _, err := a.ResetPassword(ctx, ada[1], "a fine password 1"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("the SMS link after its code was used: %v, want ENOTFOUND", err)
	}
	if _, err := a.ResetPassword(ctx, token, "a fine password 1"); err != nil {
		t.Fatalf("the token from the code: %v", err)
	}
	if _, err := a.ResetPassword(ctx, token, "a fine password 2"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("the token a second time: %v, want ENOTFOUND", err)
	}

	// Five wrong codes end Bea's code; her link still works.
	for i := range app.ActivationCodeTries {
		if _, err := a.RedeemActivationCode(ctx, "bea", wrong(bea[2]), fmt.Sprintf("ip%d", i+2)); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	if _, err := a.RedeemActivationCode(ctx, "bea", bea[2], "ip9"); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("the right code after %d wrong ones: %v, want EUNAUTHORIZED", app.ActivationCodeTries, err)
	}
	if _, err := a.ResetPassword(ctx, bea[1], "a fine password 3"); err != nil {
		t.Fatalf("Bea's link after her code ended: %v", err)
	}
}

// A number stored before numbers were checked stays as it is when the
// person's other details are saved (the user dialog sends every field); a
// changed number is checked.
func TestUpdateUserKeepsAnOldNumber(t *testing.T) {
	e, org, _ := smsApp(t, 50)
	a, ctx := e.App, context.Background()
	u, err := a.CreateUser(ctx, org.ID, app.UserCreate{User: app.User{FirstName: "Old", Username: "old.number"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB.ChangeUser(ctx, "", u.ID, func(u *app.User) error { u.Phone = "555-0101"; return nil }); err != nil {
		t.Fatal(err)
	}
	old, name := "555-0101", "Olde"
	if got, err := a.UpdateUser(ctx, org.ID, u.ID, app.UserUpdate{FirstName: &name, Phone: &old}); err != nil || got.Phone != old {
		t.Fatalf("saving with the old number: %+v, %v", got, err)
	}
	changed := "+1 555"
	if _, err := a.UpdateUser(ctx, org.ID, u.ID, app.UserUpdate{Phone: &changed}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("a changed number that is no number: %v, want EINVALID", err)
	}
	changed = "040 123 4567" // the organization is in FI
	if got, err := a.UpdateUser(ctx, org.ID, u.ID, app.UserUpdate{Phone: &changed}); err != nil || got.Phone != "+358401234567" {
		t.Fatalf("a changed local number: %+v, %v", got, err)
	}
}

// The organization's country reads numbers written without +: with none,
// they need their country code; a code that is no country is refused.
func TestOrganizationCountryReadsLocalNumbers(t *testing.T) {
	e := apptest.New(t)
	a, ctx := e.App, context.Background()
	org := mustOrg(t, a, &app.Organization{Name: "Oak School", Language: "sv"})
	local := "070 123 45 67"
	u, err := a.CreateUser(ctx, org.ID, app.UserCreate{User: app.User{FirstName: "Åsa", LastName: "Berg", Username: "asa.berg", Phone: local}})
	if app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("a local number without a country: %+v, %v; want EINVALID", u, err)
	}
	for _, bad := range []string{"XX", "Sweden", "S"} {
		if _, err := a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{Country: &bad}); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("country %q: %v, want EINVALID", bad, err)
		}
	}
	se := "se"
	if o, err := a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{Country: &se}); err != nil || o.Country != "SE" {
		t.Fatalf("country se: %+v, %v", o, err)
	}
	u, err = a.CreateUser(ctx, org.ID, app.UserCreate{User: app.User{FirstName: "Åsa", LastName: "Berg", Username: "asa.berg", Phone: local}})
	if err != nil || u.Phone != "+46701234567" {
		t.Fatalf("a Swedish local number: %+v, %v", u, err)
	}
}
