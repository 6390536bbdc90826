package app_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"rollcall/app"
)

func TestSignUpOrgCode(t *testing.T) {
	ctx := context.Background()
	a, org, _ := newSignUpApp(t)
	g3, _ := a.CreateGroup(ctx, org.ID, &app.Group{Name: "3B"})
	staff, _ := a.CreateGroup(ctx, org.ID, &app.Group{Name: "Staff", Kind: app.GroupDepartment})
	code, _ := a.InviteCodeOf(ctx, org.ID, "")

	t.Run("DefaultGroup", func(t *testing.T) {
		a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true, DefaultGroup: "3B"}})
		info, err := a.CodeInfo(ctx, code.Display(), "ip")
		if err != nil || info.Organization != "Maple Primary" || len(info.Groups) != 1 || info.Groups[0] != "3B" || info.Choices != nil {
			t.Fatalf("info %+v, %v", info, err)
		}
		res, err := a.SignUpWithCode(ctx, code.Code, pupil("Default"), "ip")
		if err != nil || len(res.Groups) != 1 || res.Groups[0] != "3B" {
			t.Fatalf("%+v, %v", res, err)
		}
	})

	t.Run("ChooseGroup", func(t *testing.T) {
		a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true, ChooseGroup: true}})
		info, _ := a.CodeInfo(ctx, code.Code, "ip")
		if len(info.Choices) != 2 {
			t.Fatalf("choices %+v", info.Choices)
		}
		if _, err := a.SignUpWithCode(ctx, code.Code, pupil("NoChoice"), "ip"); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("no group chosen: %v", err)
		}
		f := pupil("Teacher")
		f.Group = staff.ID
		res, err := a.SignUpWithCode(ctx, code.Code, f, "ip")
		if err != nil || res.Groups[0] != "Staff" {
			t.Fatalf("%+v, %v", res, err)
		}
		u, _ := a.Store.UserByLogin(ctx, "ada.teacher")
		if u.AccountType != app.TypeTeacher {
			t.Fatalf("a department's default type: %q", u.AccountType)
		}
		_ = g3
	})

	t.Run("LoginRequired", func(t *testing.T) {
		a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true, Login: app.LoginBoth}})
		_, err := a.SignUpWithCode(ctx, code.Code, pupil("NoMail"), "ip")
		if e, ok := err.(*app.Error); !ok || e.Details["email"] == "" {
			t.Fatalf("email required: %v", err)
		}
		a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}})
	})

	t.Run("PasswordPolicy", func(t *testing.T) {
		f := pupil("Weak")
		f.Password = "short"
		_, err := a.SignUpWithCode(ctx, code.Code, f, "ip")
		if e, ok := err.(*app.Error); !ok || e.Details["password"] == "" {
			t.Fatalf("weak password: %v", err)
		}
	})

	t.Run("Taken", func(t *testing.T) {
		// The username must be said; an email only "cannot be used".
		_, err := a.SignUpWithCode(ctx, code.Code, pupil("Default"), "ip")
		if app.ErrorCode(err) != app.ECONFLICT || err.Error() != "This username is taken. Choose another." {
			t.Fatalf("username taken: %v", err)
		}
		f := pupil("Mail1")
		f.Email = "ada@maple.example"
		if _, err := a.SignUpWithCode(ctx, code.Code, f, "ip"); err != nil {
			t.Fatal(err)
		}
		f = pupil("Mail2")
		f.Email = "ADA@maple.example"
		_, err = a.SignUpWithCode(ctx, code.Code, f, "ip")
		if app.ErrorCode(err) != app.ECONFLICT || strings.Contains(err.Error(), "ada@") || strings.Contains(err.Error(), "belongs") {
			t.Fatalf("email taken says too much: %v", err)
		}
	})
}

func TestApproval(t *testing.T) {
	ctx := context.Background()
	a, org, _ := newSignUpApp(t)
	a.CreateGroup(ctx, org.ID, &app.Group{Name: "3B"})
	on, off := true, false
	code, _ := a.UpdateInviteCode(ctx, org.ID, "3B", app.InviteCodeUpdate{RequireApproval: &on})
	if info, _ := a.CodeInfo(ctx, code.Code, "ip"); !info.Approval {
		t.Fatal("info does not say approval is needed")
	}
	var names []string
	for i := range 4 {
		n := fmt.Sprintf("P%d", i)
		res, err := a.SignUpWithCode(ctx, code.Code, pupil(n), "ip")
		if err != nil || res.Status != app.StatusPending {
			t.Fatalf("%+v, %v", res, err)
		}
		names = append(names, n)
	}
	queue, err := a.PendingSignUps(ctx, org.Slug)
	if err != nil || len(queue) != 4 || queue[0].Source != "code "+code.Display() || queue[0].Groups[0] != "3B" {
		t.Fatalf("queue %+v, %v", queue, err)
	}
	total, fromCode, _ := a.PendingCount(ctx, org.ID, code.Code)
	if total != 4 || fromCode != 4 {
		t.Fatalf("count %d/%d", total, fromCode)
	}

	// Approve one, reject one, then all of the rest.
	if n, err := a.ApproveSignUps(ctx, org.ID, []string{queue[0].User.ID}, false); err != nil || n != 1 {
		t.Fatalf("approve: %d, %v", n, err)
	}
	u, _ := a.Store.UserByLogin(ctx, "ada.p0")
	if u.Status != app.StatusActive {
		t.Fatalf("approved status %q", u.Status)
	}
	if n, err := a.RejectSignUps(ctx, org.ID, []string{queue[1].User.ID, queue[0].User.ID}, false); err != nil || n != 1 {
		t.Fatalf("reject (the approved one is skipped): %d, %v", n, err)
	}
	if _, err := a.Store.UserByLogin(ctx, "ada.p1"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("rejected account still there: %v", err)
	}
	if taken, _ := a.Store.UsernameTaken(ctx, "ada.p1"); taken {
		t.Fatal("rejected username still claimed")
	}
	if n, err := a.RejectSignUps(ctx, org.ID, nil, true); err != nil || n != 2 {
		t.Fatalf("reject all: %d, %v", n, err)
	}
	page, _ := a.Users(ctx, org.ID, app.UserFilter{})
	if page.Total != 1 {
		t.Fatalf("%d users left, want the 1 approved", page.Total)
	}
	// The rejected person can sign up again with the same username.
	a.UpdateInviteCode(ctx, org.ID, "3B", app.InviteCodeUpdate{RequireApproval: &off})
	if res, err := a.SignUpWithCode(ctx, code.Code, pupil("P1"), "ip"); err != nil || res.Status != app.StatusActive {
		t.Fatalf("after approval switched off: %+v, %v", res, err)
	}
	if n, _ := a.ApproveSignUps(ctx, org.ID, nil, true); n != 0 {
		t.Fatalf("approve all on an empty queue: %d", n)
	}
}

func TestInviteLink(t *testing.T) {
	ctx := context.Background()
	a, org, clk := newSignUpApp(t)
	a.CreateGroup(ctx, org.ID, &app.Group{Name: "Staff", Kind: app.GroupDepartment})
	// Invite links work whether or not self-sign-up is on.
	a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{}})
	exp := clk.t.Add(24 * 3600e9)
	nl, err := a.CreateInviteLink(ctx, org.Slug, app.InviteLinkCreate{Name: "Staff day", AccountType: "teacher", Groups: []string{"Staff"},
		Password: "maple-staff", ExpiresAt: &exp, MaxUses: 3, AutoAccept: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(nl.Token) < 22 || nl.Link.TokenHash != app.TokenHash(nl.Token) || nl.Link.HasPassword != true || !strings.HasPrefix(nl.Link.PasswordHash, "$argon2id$") {
		t.Fatalf("link %+v", nl.Link)
	}
	info, err := a.LinkInfo(ctx, nl.Token, "ip")
	if err != nil || !info.LinkPassword || info.Approval || info.Groups[0] != "Staff" {
		t.Fatalf("info %+v, %v", info, err)
	}

	t.Run("Password", func(t *testing.T) {
		f := pupil("Wrong")
		f.LinkPassword = "maple-stuff"
		if _, err := a.SignUpWithLink(ctx, nl.Token, f, "ip"); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("wrong link password: %v", err)
		}
		f.LinkPassword = "maple-staff"
		res, err := a.SignUpWithLink(ctx, nl.Token, f, "ip")
		if err != nil || res.Status != app.StatusActive || res.Groups[0] != "Staff" {
			t.Fatalf("%+v, %v", res, err)
		}
		u, _ := a.Store.UserByLogin(ctx, "ada.wrong")
		if u.AccountType != app.TypeTeacher || u.CreatedVia != app.ViaSignUp || u.InviteLink != nl.Link.ID {
			t.Fatalf("user %+v", u)
		}
		l, _ := a.InviteLink(ctx, org.ID, nl.Link.ID)
		if l.Uses != 1 {
			t.Fatalf("uses %d", l.Uses)
		}
	})

	t.Run("NoAutoAccept", func(t *testing.T) {
		nl2, _ := a.CreateInviteLink(ctx, org.Slug, app.InviteLinkCreate{Name: "Parents"})
		res, err := a.SignUpWithLink(ctx, nl2.Token, pupil("Parent"), "ip")
		if err != nil || res.Status != app.StatusPending {
			t.Fatalf("%+v, %v", res, err)
		}
		q, _ := a.PendingSignUps(ctx, org.ID)
		if len(q) != 1 || q[0].Source != "link Parents" {
			t.Fatalf("queue %+v", q)
		}
	})

	t.Run("RenewAndRevoke", func(t *testing.T) {
		renewed, err := a.RenewInviteLink(ctx, org.ID, nl.Link.ID)
		if err != nil {
			t.Fatal(err)
		}
		f := pupil("Old")
		f.LinkPassword = "maple-staff"
		if _, err := a.SignUpWithLink(ctx, nl.Token, f, "ip2"); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("old address after renewal: %v", err)
		}
		if _, err := a.CheckInviteLinkToken(ctx, org.ID, nl.Link.ID, nl.Token); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("old token accepted for a QR code: %v", err)
		}
		if _, err := a.RevokeInviteLink(ctx, org.ID, nl.Link.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SignUpWithLink(ctx, renewed.Token, f, "ip2"); app.ErrorCode(err) != app.EFORBIDDEN {
			t.Fatalf("revoked link: %v", err)
		}
		links, _ := a.InviteLinks(ctx, org.ID)
		if len(links) != 2 || links[1].RevokedAt == nil || links[1].Uses != 1 {
			t.Fatalf("links %+v", links)
		}
	})

	t.Run("Expiry", func(t *testing.T) {
		nl3, _ := a.CreateInviteLink(ctx, org.Slug, app.InviteLinkCreate{ExpiresAt: &exp, AutoAccept: true})
		clk.t = exp.Add(-1e9)
		if _, err := a.LinkInfo(ctx, nl3.Token, "ip3"); err != nil {
			t.Fatalf("at expiry−1s: %v", err)
		}
		clk.t = exp.Add(1e9)
		if _, err := a.SignUpWithLink(ctx, nl3.Token, pupil("Late"), "ip3"); app.ErrorCode(err) != app.EFORBIDDEN {
			t.Fatalf("at expiry+1s: %v", err)
		}
	})
}

// Twenty people press "Sign up" at once with a code that has one use left:
// exactly one account is made.
func TestSignUpConcurrent(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"code", "link"} {
		t.Run(kind, func(t *testing.T) {
			a, org, _ := newSignUpApp(t)
			a.CreateGroup(ctx, org.ID, &app.Group{Name: "3B"})
			one := 1
			code, _ := a.UpdateInviteCode(ctx, org.ID, "3B", app.InviteCodeUpdate{MaxUses: &one})
			nl, _ := a.CreateInviteLink(ctx, org.ID, app.InviteLinkCreate{MaxUses: 1, AutoAccept: true})
			var wg sync.WaitGroup
			errs := make([]error, 20)
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					f := pupil(fmt.Sprintf("C%02d", i))
					if kind == "code" {
						_, errs[i] = a.SignUpWithCode(ctx, code.Display(), f, fmt.Sprintf("10.0.1.%d", i))
					} else {
						_, errs[i] = a.SignUpWithLink(ctx, nl.Token, f, fmt.Sprintf("10.0.1.%d", i))
					}
				}()
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch app.ErrorCode(err) {
				case "":
					ok++
				case app.EFORBIDDEN:
				default:
					t.Errorf("unexpected error: %v", err)
				}
			}
			page, _ := a.Users(ctx, org.ID, app.UserFilter{})
			if ok != 1 || page.Total != 1 {
				t.Fatalf("%d successes, %d accounts; want exactly 1", ok, page.Total)
			}
		})
	}
}

func TestCodeAttemptLimits(t *testing.T) {
	ctx := context.Background()
	a, org, clk := newSignUpApp(t)
	good, _ := a.InviteCodeOf(ctx, org.ID, "")
	wrong := func(i int) string { c, _ := app.GenerateCode(strings.NewReader(fmt.Sprintf("%05d", i))); return c }

	t.Run("PerIP", func(t *testing.T) {
		for i := range app.CodeFailuresPerIP {
			if _, err := a.CodeInfo(ctx, wrong(i), "10.9.9.9"); app.ErrorCode(err) != app.ENOTFOUND {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
		}
		_, err := a.CodeInfo(ctx, good.Code, "10.9.9.9")
		if app.ErrorCode(err) != app.ETOOMANY || !strings.Contains(err.Error(), "this device") {
			t.Fatalf("attempt %d: %v; want 429", app.CodeFailuresPerIP+1, err)
		}
		if _, err := a.CodeInfo(ctx, good.Code, "10.9.9.10"); err != nil {
			t.Fatalf("another device: %v", err)
		}
		clk.t = clk.t.Add(app.CodeFailureWindow)
		if _, err := a.CodeInfo(ctx, good.Code, "10.9.9.9"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})

	t.Run("Global", func(t *testing.T) {
		clk.t = clk.t.Add(app.CodeFailureWindow)
		for i := range app.CodeFailuresGlobal {
			ip := fmt.Sprintf("10.1.%d.%d", i/200, i%200) // never the same device twice
			if _, err := a.CodeInfo(ctx, wrong(1000+i), ip); app.ErrorCode(err) != app.ENOTFOUND {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
		}
		_, err := a.CodeInfo(ctx, good.Code, "10.2.0.1")
		if app.ErrorCode(err) != app.ETOOMANY || !strings.Contains(err.Error(), "paused") {
			t.Fatalf("after %d failures from as many devices: %v; want 429", app.CodeFailuresGlobal, err)
		}
	})

	t.Run("SignUpsPerCodeMinute", func(t *testing.T) {
		a, org, clk := newSignUpApp(t)
		code, _ := a.InviteCodeOf(ctx, org.ID, "")
		a.SignUpLimits.PerCode = app.NewLimiter(3, 60e9, clk.now)
		for i := range 3 {
			if _, err := a.SignUpWithCode(ctx, code.Code, pupil(fmt.Sprintf("R%d", i)), "ip"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.SignUpWithCode(ctx, code.Code, pupil("R3"), "ip"); app.ErrorCode(err) != app.ETOOMANY {
			t.Fatalf("4th sign-up in a minute: %v", err)
		}
		clk.t = clk.t.Add(60e9)
		if _, err := a.SignUpWithCode(ctx, code.Code, pupil("R3"), "ip"); err != nil {
			t.Fatalf("a minute later: %v", err)
		}
	})
}

func TestJoinWithCode(t *testing.T) {
	ctx := context.Background()
	a, org, _ := newSignUpApp(t)
	g, _ := a.CreateGroup(ctx, org.ID, &app.Group{Name: "Chess club"})
	u, err := a.CreateUser(ctx, org.ID, app.UserCreate{User: app.User{FirstName: "Ada", Username: "ada"}})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := a.InviteCodeOf(ctx, org.ID, g.ID)
	res, err := a.JoinWithCode(ctx, u.ID, code.Display(), "ip")
	if err != nil || len(res.Groups) != 1 || res.Groups[0] != "Chess club" {
		t.Fatalf("%+v, %v", res, err)
	}
	if c, _ := a.InviteCodeOf(ctx, org.ID, g.ID); c.Uses != 1 {
		t.Fatalf("uses %d", c.Uses)
	}
	other := mustOrg(t, a, &app.Organization{Name: "Oak High"})
	a.UpdateOrganization(ctx, other.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}})
	oc, _ := a.InviteCodeOf(ctx, other.ID, "")
	if _, err := a.JoinWithCode(ctx, u.ID, oc.Code, "ip"); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("another organization's code: %v", err)
	}
}

// Guesses sent at the same moment are all counted before any is judged: of
// 30 parallel wrong codes from one device, only the limit's worth are tried.
func TestCodeAttemptsParallel(t *testing.T) {
	ctx := context.Background()
	a, _, _ := newSignUpApp(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := a.CodeInfo(ctx, fmt.Sprintf("ZZZZ%04d", i), "10.7.7.7")
			mu.Lock()
			counts[app.ErrorCode(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[app.ENOTFOUND] != app.CodeFailuresPerIP || counts[app.ETOOMANY] != 30-app.CodeFailuresPerIP {
		t.Fatalf("outcomes %v; want %d not found and the rest refused", counts, app.CodeFailuresPerIP)
	}
}

// "Use invite code" on the user's page needs a user signed in to the
// portal: no session, or an admin's, is refused.
func TestJoinWithCodeAsUser(t *testing.T) {
	ctx := context.Background()
	a, org, _ := newSignUpApp(t)
	g, _ := a.CreateGroup(ctx, org.ID, &app.Group{Name: "Choir"})
	if _, err := a.CreateUser(ctx, org.ID, app.UserCreate{User: app.User{FirstName: "Ada", Username: "ada"}, Password: "portal-pass-42"}); err != nil {
		t.Fatal(err)
	}
	code, _ := a.InviteCodeOf(ctx, org.ID, g.ID)
	_, token, err := a.SignInUser(ctx, "ada", "portal-pass-42", "ip")
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"", "made-up"} {
		if _, err := a.JoinWithCodeAsUser(ctx, tok, code.Code, "ip"); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("token %q: %v", tok, err)
		}
	}
	res, err := a.JoinWithCodeAsUser(ctx, token, code.Display(), "ip")
	if err != nil || len(res.Groups) != 1 || res.Groups[0] != "Choir" {
		t.Fatalf("%+v, %v", res, err)
	}
}

// The raw database file holds neither an invite link's token nor its password.
func TestInviteLinkSecretsNotStored(t *testing.T) {
	ctx := context.Background()
	a, db := newApp(t)
	org := mustOrg(t, a, &app.Organization{Name: "Maple Primary"})
	nl, err := a.CreateInviteLink(ctx, org.ID, app.InviteLinkCreate{Name: "Staff", Password: "link-secret-77"})
	if err != nil {
		t.Fatal(err)
	}
	renewed, _ := a.RenewInviteLink(ctx, org.ID, nl.Link.ID)
	raw, err := os.ReadFile(db.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{nl.Token, renewed.Token, "link-secret-77"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the database file contains %q", secret)
		}
	}
	if !bytes.Contains(raw, []byte(app.TokenHash(renewed.Token))) {
		t.Error("the token's hash is not in the file either: is the file the right one?")
	}
}
