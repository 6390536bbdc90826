package app_test

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
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
		// Classes are offered, departments only when the admin says so; a
		// group whose own code is off is not offered, and one whose code
		// needs approval makes the account pending.
		a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true, ChooseGroup: true}})
		info, _ := a.CodeInfo(ctx, code.Code, "ip")
		if len(info.Choices) != 1 || info.Choices[0].ID != g3.ID {
			t.Fatalf("choices %+v; want only the class", info.Choices)
		}
		if _, err := a.SignUpWithCode(ctx, code.Code, pupil("NoChoice"), "ip"); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("no group chosen: %v", err)
		}
		f := pupil("Sneaky")
		f.Group = staff.ID
		if _, err := a.SignUpWithCode(ctx, code.Code, f, "ip"); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("a department not on offer: %v", err)
		}
		on, off := true, false
		if _, err := a.UpdateGroup(ctx, org.ID, staff.ID, app.GroupUpdate{SignUpChoice: &on}); err != nil {
			t.Fatal(err)
		}
		a.UpdateInviteCode(ctx, org.ID, staff.ID, app.InviteCodeUpdate{RequireApproval: &on})
		a.UpdateInviteCode(ctx, org.ID, g3.ID, app.InviteCodeUpdate{Disabled: &on})
		info, _ = a.CodeInfo(ctx, code.Code, "ip")
		if len(info.Choices) != 1 || info.Choices[0].ID != staff.ID || !info.Choices[0].Approval {
			t.Fatalf("choices %+v; want Staff (with approval) and not 3B (its code is off)", info.Choices)
		}
		f = pupil("Teacher")
		f.Group = staff.ID
		res, err := a.SignUpWithCode(ctx, code.Code, f, "ip")
		if err != nil || res.Groups[0] != "Staff" || res.Status != app.StatusPending {
			t.Fatalf("%+v, %v", res, err)
		}
		u, _ := a.Store.UserByLogin(ctx, "ada.teacher")
		if u.AccountType != app.TypeTeacher {
			t.Fatalf("a department's default type: %q", u.AccountType)
		}
		f = pupil("Closed")
		f.Group = g3.ID
		if _, err := a.SignUpWithCode(ctx, code.Code, f, "ip"); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("a class whose code is off: %v", err)
		}
		a.UpdateInviteCode(ctx, org.ID, g3.ID, app.InviteCodeUpdate{Disabled: &off})
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
		// A taken username and a taken email get the same answer, naming
		// neither, and each counts as a failed attempt of the device.
		_, byName := a.SignUpWithCode(ctx, code.Code, pupil("Default"), "10.20.0.1")
		f := pupil("Mail1")
		f.Email = "ada@maple.example"
		if _, err := a.SignUpWithCode(ctx, code.Code, f, "10.20.0.1"); err != nil {
			t.Fatal(err)
		}
		f = pupil("Mail2")
		f.Email = "ADA@maple.example"
		_, byMail := a.SignUpWithCode(ctx, code.Code, f, "10.20.0.1")
		if app.ErrorCode(byName) != app.ECONFLICT || byName.Error() != byMail.Error() || strings.Contains(byMail.Error(), "ada@") {
			t.Fatalf("username taken: %v; email taken: %v; want the same answer", byName, byMail)
		}
		var e *app.Error
		if errors.As(byName, &e) && len(e.Details) > 0 {
			t.Fatalf("the answer marks a field: %v", e.Details)
		}
		for i := 2; i < app.CodeFailuresPerIP; i++ {
			a.SignUpWithCode(ctx, code.Code, pupil("Default"), "10.20.0.1")
		}
		if _, err := a.SignUpWithCode(ctx, code.Code, pupil("Fresh"), "10.20.0.1"); app.ErrorCode(err) != app.ETOOMANY {
			t.Fatalf("after %d taken names from one device: %v; want 429", app.CodeFailuresPerIP, err)
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
	if err != nil || len(queue) != 4 || queue[0].Source != "code" || queue[0].SourceName != code.Display() || queue[0].Groups[0] != "3B" {
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
	exp := clk.Now().Add(24 * 3600e9)
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
		if len(q) != 1 || q[0].Source != "link" || q[0].SourceName != "Parents" {
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
		clk.Set(exp.Add(-1e9))
		if _, err := a.LinkInfo(ctx, nl3.Token, "ip3"); err != nil {
			t.Fatalf("at expiry−1s: %v", err)
		}
		clk.Set(exp.Add(1e9))
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
		clk.Add(app.CodeFailureWindow)
		if _, err := a.CodeInfo(ctx, good.Code, "10.9.9.9"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})

	t.Run("Global", func(t *testing.T) {
		clk.Add(app.CodeFailureWindow)
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
		a.SignUpLimits.PerCode = app.NewLimiter(3, 60e9, clk.Now)
		for i := range 3 {
			if _, err := a.SignUpWithCode(ctx, code.Code, pupil(fmt.Sprintf("R%d", i)), "ip"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.SignUpWithCode(ctx, code.Code, pupil("R3"), "ip"); app.ErrorCode(err) != app.ETOOMANY {
			t.Fatalf("4th sign-up in a minute: %v", err)
		}
		clk.Add(60e9)
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
		if _, _, err := a.JoinWithCodeAsUser(ctx, tok, code.Code, "ip", false); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("token %q: %v", tok, err)
		}
	}
	res, _, err := a.JoinWithCodeAsUser(ctx, token, code.Display(), "ip", false)
	if err != nil || len(res.Groups) != 1 || res.Groups[0] != "Choir" {
		t.Fatalf("%+v, %v", res, err)
	}
}

// The raw database file holds neither an invite link's token nor its password.
func TestInviteLinkSecretsNotStored(t *testing.T) {
	ctx := context.Background()
	e := apptest.New(t)
	a, db := e.App, e.DB
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

// hookStore is the real store with a hook run just before UseInviteCode's
// transaction: another change lands between the use case's read and write.
type hookStore struct {
	app.Store
	hook func()
}

func (h *hookStore) UseInviteCode(ctx context.Context, code string, check func(*app.InviteCode) error, u *app.User, change func(*app.User) error, vm *app.VerificationMail) error {
	if f := h.hook; f != nil {
		h.hook = nil
		f()
	}
	return h.Store.UseInviteCode(ctx, code, check, u, change, vm)
}

// A deactivation that lands while a user joins a group with a code is not
// undone by the join writing back the copy it read.
func TestJoinWithCodeKeepsConcurrentChanges(t *testing.T) {
	ctx := context.Background()
	a, org, _ := newSignUpApp(t)
	g, _ := a.CreateGroup(ctx, org.ID, &app.Group{Name: "Chess club"})
	u, err := a.CreateUser(ctx, org.ID, app.UserCreate{User: app.User{FirstName: "Ada", Username: "ada"}})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := a.InviteCodeOf(ctx, org.ID, g.ID)
	a.Store = &hookStore{Store: a.Store, hook: func() {
		if _, err := a.SetUserStatus(ctx, org.ID, u.ID, app.StatusDeactivated); err != nil {
			t.Error(err)
		}
	}}
	if _, err := a.JoinWithCode(ctx, u.ID, code.Display(), "ip"); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("join of an account deactivated meanwhile: %v", err)
	}
	got, _ := a.User(ctx, org.ID, u.ID)
	if got.Status != app.StatusDeactivated {
		t.Fatalf("the join undid the deactivation: %s", got.Status)
	}
}

// Wrong link passwords sent at the same moment from one device are all
// counted before any is checked: of 30, at most the per-device limit are
// checked, the rest refused; the right password still works from elsewhere
// and is not counted.
func TestLinkPasswordGuessesParallel(t *testing.T) {
	ctx := context.Background()
	a, org, _ := newSignUpApp(t)
	nl, err := a.CreateInviteLink(ctx, org.ID, app.InviteLinkCreate{Password: "maple-staff", AutoAccept: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := pupil(fmt.Sprintf("G%02d", i))
			f.LinkPassword = fmt.Sprintf("guess-%02d", i)
			_, err := a.SignUpWithLink(ctx, nl.Token, f, "10.7.7.7")
			mu.Lock()
			counts[app.ErrorCode(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[app.EUNAUTHORIZED] > app.CodeFailuresPerIP || counts[app.EUNAUTHORIZED]+counts[app.ETOOMANY] != 30 {
		t.Fatalf("outcomes %v; want at most %d passwords checked, the rest refused", counts, app.CodeFailuresPerIP)
	}
	f := pupil("Right")
	f.LinkPassword = "maple-staff"
	for i := range 3 { // successes give their attempts back
		f.Username = fmt.Sprintf("ada.right%d", i)
		if _, err := a.SignUpWithLink(ctx, nl.Token, f, "10.7.7.8"); err != nil {
			t.Fatal(err)
		}
	}
}

// Wrong passwords for one link from many devices stop at the link's own
// limit.
func TestLinkPasswordPerLinkLimit(t *testing.T) {
	ctx := context.Background()
	a, org, _ := newSignUpApp(t)
	a.SignUpLimits.Global = app.NewLimiter(10_000, app.CodeFailureWindow, a.Now)
	nl, _ := a.CreateInviteLink(ctx, org.ID, app.InviteLinkCreate{Password: "maple-staff", AutoAccept: true})
	for i := range app.LinkPasswordFailures {
		f := pupil("X")
		f.LinkPassword = "wrong-one"
		if _, err := a.SignUpWithLink(ctx, nl.Token, f, fmt.Sprintf("10.8.%d.1", i)); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	f := pupil("X")
	f.LinkPassword = "maple-staff"
	if _, err := a.SignUpWithLink(ctx, nl.Token, f, "10.9.0.1"); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("after %d wrong passwords from as many devices: %v; want 429", app.LinkPasswordFailures, err)
	}
}

// Withdrawing a link while people sign up with it keeps every use counted,
// and a new address made at the same moment does not undo the withdrawal.
func TestInviteLinkChangesKeepConcurrentOnes(t *testing.T) {
	ctx := context.Background()
	a, org, _ := newSignUpApp(t)
	a.SignUpLimits.PerCode = app.NewLimiter(1000, 60e9, a.Now)
	nl, _ := a.CreateInviteLink(ctx, org.ID, app.InviteLinkCreate{AutoAccept: true})
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			a.SignUpWithLink(ctx, nl.Token, pupil(fmt.Sprintf("L%02d", i)), fmt.Sprintf("10.4.0.%d", i))
		}()
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				a.RenewInviteLink(ctx, org.ID, nl.Link.ID)
			} else if i == 15 {
				a.RevokeInviteLink(ctx, org.ID, nl.Link.ID)
			}
		}()
	}
	wg.Wait()
	l, _ := a.InviteLink(ctx, org.ID, nl.Link.ID)
	page, _ := a.Users(ctx, org.ID, app.UserFilter{})
	if l.Uses != page.Total {
		t.Errorf("the link counts %d uses for %d accounts", l.Uses, page.Total)
	}
	if l.RevokedAt == nil {
		t.Errorf("a renewal undid the withdrawal")
	}
}

// A signed-in user cannot get past a code's approval with "Use invite code":
// the join is refused with a clear message, also when approval is switched
// on while the join is under way; joins count against the per-code limit.
func TestJoinWithCodeApprovalAndLimit(t *testing.T) {
	ctx := context.Background()
	a, org, clk := newSignUpApp(t)
	g, _ := a.CreateGroup(ctx, org.ID, &app.Group{Name: "Chess club"})
	var ids []string
	for i := range 5 {
		u, err := a.CreateUser(ctx, org.ID, app.UserCreate{User: app.User{FirstName: "Ada", Username: fmt.Sprintf("ada%d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	on, off := true, false
	code, _ := a.UpdateInviteCode(ctx, org.ID, g.ID, app.InviteCodeUpdate{RequireApproval: &on})
	_, err := a.JoinWithCode(ctx, ids[0], code.Display(), "ip")
	if app.ErrorCode(err) != app.EFORBIDDEN || !strings.Contains(err.Error(), "approval") {
		t.Fatalf("join with an approval code: %v", err)
	}
	a.UpdateInviteCode(ctx, org.ID, g.ID, app.InviteCodeUpdate{RequireApproval: &off})
	real := a.Store
	a.Store = &hookStore{Store: real, hook: func() {
		a.UpdateInviteCode(ctx, org.ID, g.ID, app.InviteCodeUpdate{RequireApproval: &on})
	}}
	if _, err := a.JoinWithCode(ctx, ids[0], code.Display(), "ip"); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("approval switched on during the join: %v", err)
	}
	if u, _ := a.User(ctx, org.ID, ids[0]); len(u.Groups) != 0 {
		t.Fatalf("joined despite approval: %v", u.Groups)
	}
	a.Store = real
	a.UpdateInviteCode(ctx, org.ID, g.ID, app.InviteCodeUpdate{RequireApproval: &off})
	a.SignUpLimits.PerCode = app.NewLimiter(3, 60e9, clk.Now)
	for i := range 3 {
		if _, err := a.JoinWithCode(ctx, ids[i+1], code.Code, "ip"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.JoinWithCode(ctx, ids[4], code.Code, "ip"); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("4th join in a minute: %v", err)
	}
}

// countingRand counts the reads of 16 bytes (a password salt or a new ID):
// what a sign-up draws only once it is allowed to hash.
type countingRand struct {
	mu sync.Mutex
	n  int
}

func (c *countingRand) Read(p []byte) (int, error) {
	c.mu.Lock()
	if len(p) == 16 {
		c.n++
	}
	c.mu.Unlock()
	return crand.Read(p)
}

// The per-code and per-device sign-up limits are taken before the password
// is hashed: refused sign-ups cost no hash.
func TestSignUpLimitsBeforeHashing(t *testing.T) {
	ctx := context.Background()
	a, org, clk := newSignUpApp(t)
	code, _ := a.InviteCodeOf(ctx, org.ID, "")
	r := &countingRand{}
	a.Rand = r
	a.SignUpLimits.PerCode = app.NewLimiter(3, 60e9, clk.Now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := a.SignUpWithCode(ctx, code.Code, pupil(fmt.Sprintf("H%02d", i)), fmt.Sprintf("10.5.0.%d", i))
			mu.Lock()
			counts[app.ErrorCode(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[""] != 3 || counts[app.ETOOMANY] != 17 || r.n > 2*3 {
		t.Fatalf("outcomes %v, %d salts and IDs drawn; want 3 sign-ups (6 draws), 17 refused before hashing", counts, r.n)
	}

	t.Run("PerDevice", func(t *testing.T) {
		a.SignUpLimits.PerCode = app.NewLimiter(10_000, 60e9, clk.Now)
		a.SignUpLimits.SignUps = app.NewLimiter(2, app.CodeFailureWindow, clk.Now)
		for i := range 2 {
			if _, err := a.SignUpWithCode(ctx, code.Code, pupil(fmt.Sprintf("D%d", i)), "10.6.0.1"); err != nil {
				t.Fatal(err)
			}
		}
		before := r.n
		_, err := a.SignUpWithCode(ctx, code.Code, pupil("D2"), "10.6.0.1")
		if app.ErrorCode(err) != app.ETOOMANY || r.n != before {
			t.Fatalf("3rd sign-up from one device: %v, %d draws", err, r.n-before)
		}
		if _, err := a.SignUpWithCode(ctx, code.Code, pupil("D3"), "10.6.0.2"); err != nil {
			t.Fatalf("another device: %v", err)
		}
	})
}
