package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
)

func TestNormalizeCode(t *testing.T) {
	ok := map[string]string{
		"K7QM-3XRD":   "K7QM3XRD",
		"k7qm3xrd":    "K7QM3XRD",
		" k7qm 3xrd ": "K7QM3XRD",
		"K7QM–3XRD":   "K7QM3XRD", // an en dash from a word processor
		"0123-4567":   "01234567",
	}
	for in, want := range ok {
		if got, err := app.NormalizeCode(in); err != nil || got != want {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{
		"K7QM-3XRO":  "no letter O",
		"K7QM-3XRI":  "no letter I",
		"K7QM-3XRl":  "no letter L",
		"K7QM-3XRU":  "no letter U",
		"K7QM-3XR":   "8 characters",
		"K7QM-3XRDD": "8 characters",
		"K7QM-3XR!":  "only the letters",
		"K7QM-3XRÄ":  "only the letters",
		"":           "8 characters",
	}
	for in, want := range bad {
		_, err := app.NormalizeCode(in)
		if app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.Error(), want) {
			t.Errorf("NormalizeCode(%q) = %v; want EINVALID mentioning %q", in, err, want)
		}
	}
}

func TestGenerateCode(t *testing.T) {
	seen := map[string]bool{}
	counts := map[rune]int{}
	for range 20_000 {
		c, err := app.GenerateCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := app.NormalizeCode(app.FormatCode(c)); err != nil || n != c {
			t.Fatalf("code %q does not survive its display form: %q, %v", c, n, err)
		}
		if strings.ContainsAny(c, "ILOU") {
			t.Fatalf("code %q has a look-alike letter", c)
		}
		if seen[c] {
			t.Fatalf("code %q repeated within 20,000", c)
		}
		seen[c] = true
		for _, r := range c {
			counts[r]++
		}
	}
	// 40 bits: all 32 characters used about evenly (160,000 draws, 5,000 each).
	if len(counts) != 32 {
		t.Fatalf("only %d characters used", len(counts))
	}
	for r, n := range counts {
		if n < 4500 || n > 5500 {
			t.Errorf("character %c drawn %d times, want about 5,000", r, n)
		}
	}
	// 5 bytes of randomness make the whole code.
	c, _ := app.GenerateCode(bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff, 0xff}))
	if c != "ZZZZZZZZ" {
		t.Fatalf("all ones = %q", c)
	}
}

func newSignUpApp(t *testing.T) (*app.App, *app.Organization, *apptest.Clock) {
	t.Helper()
	e := apptest.New(t)
	a, clk := e.App, e.Clock
	clk.Set(time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC))
	org := mustOrg(t, a, &app.Organization{Name: "Maple Primary"})
	on := true
	if _, err := a.UpdateOrganization(context.Background(), org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: on}}); err != nil {
		t.Fatal(err)
	}
	return a, org, clk
}

func pupil(n string) app.SignUpForm {
	return app.SignUpForm{FirstName: "Ada", LastName: n, Username: "ada." + strings.ToLower(n), Password: "correct horse 42"}
}

func TestInviteCodeLifecycle(t *testing.T) {
	ctx := context.Background()
	a, org, clk := newSignUpApp(t)
	g, err := a.CreateGroup(ctx, org.ID, &app.Group{Name: "3B"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.InviteCodeOf(ctx, org.Slug, "3B")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := a.InviteCodeOf(ctx, org.Slug, g.ID)
	if again.Code != c.Code || c.GroupID != g.ID {
		t.Fatalf("second call made another code: %q, %q", c.Code, again.Code)
	}
	orgCode, _ := a.InviteCodeOf(ctx, org.Slug, "")
	if orgCode.Code == c.Code || orgCode.GroupID != "" {
		t.Fatalf("org code %+v", orgCode)
	}

	t.Run("GroupCodeJoinsOrgAndGroup", func(t *testing.T) {
		// typed lower case without the dash
		res, err := a.SignUpWithCode(ctx, strings.ToLower(c.Code), pupil("One"), "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != app.StatusActive || res.Organization != "Maple Primary" || len(res.Groups) != 1 || res.Groups[0] != "3B" {
			t.Fatalf("result %+v", res)
		}
		page, _ := a.Users(ctx, org.ID, app.UserFilter{Group: g.ID})
		if page.Total != 1 || page.Users[0].CreatedVia != app.ViaInviteCode || page.Users[0].InviteCode != c.Code || page.Users[0].AccountType != app.TypeStudent {
			t.Fatalf("users %+v", page.Users[0])
		}
	})

	t.Run("Regenerate", func(t *testing.T) {
		n, err := a.RegenerateInviteCode(ctx, org.Slug, "3B")
		if err != nil {
			t.Fatal(err)
		}
		if n.Code == c.Code || n.Uses != 0 {
			t.Fatalf("regenerated %+v", n)
		}
		_, err = a.SignUpWithCode(ctx, c.Code, pupil("Two"), "10.0.0.1")
		if app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("old code still works: %v", err)
		}
		c = n
	})

	t.Run("Disable", func(t *testing.T) {
		off, on := true, false
		if _, err := a.UpdateInviteCode(ctx, org.Slug, "3B", app.InviteCodeUpdate{Disabled: &off}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SignUpWithCode(ctx, c.Code, pupil("Three"), "10.0.0.2"); app.ErrorCode(err) != app.EFORBIDDEN || !strings.Contains(err.Error(), "switched off") {
			t.Fatalf("disabled code: %v", err)
		}
		a.UpdateInviteCode(ctx, org.Slug, "3B", app.InviteCodeUpdate{Disabled: &on})
	})

	t.Run("Expiry", func(t *testing.T) {
		at := clk.Now().Add(time.Hour)
		if _, err := a.UpdateInviteCode(ctx, org.Slug, "3B", app.InviteCodeUpdate{ExpiresAt: &at}); err != nil {
			t.Fatal(err)
		}
		clk.Set(at.Add(-time.Second))
		if _, err := a.SignUpWithCode(ctx, c.Code, pupil("Four"), "10.0.0.3"); err != nil {
			t.Fatalf("at expiry−1s: %v", err)
		}
		clk.Set(at.Add(time.Second))
		if _, err := a.SignUpWithCode(ctx, c.Code, pupil("Five"), "10.0.0.3"); app.ErrorCode(err) != app.EFORBIDDEN || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("at expiry+1s: %v", err)
		}
		if _, err := a.UpdateInviteCode(ctx, org.Slug, "3B", app.InviteCodeUpdate{ExpiresAt: &at}); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("expiry in the past accepted: %v", err)
		}
		if _, err := a.UpdateInviteCode(ctx, org.Slug, "3B", app.InviteCodeUpdate{ClearExpiry: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SignUpWithCode(ctx, c.Code, pupil("Five"), "10.0.0.3"); err != nil {
			t.Fatalf("after clearing expiry: %v", err)
		}
	})

	t.Run("MaxUses", func(t *testing.T) {
		cur, _ := a.InviteCodeOf(ctx, org.Slug, "3B")
		max := cur.Uses + 1
		if _, err := a.UpdateInviteCode(ctx, org.Slug, "3B", app.InviteCodeUpdate{MaxUses: &max}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SignUpWithCode(ctx, c.Code, pupil("Six"), "10.0.0.4"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SignUpWithCode(ctx, c.Code, pupil("Seven"), "10.0.0.4"); app.ErrorCode(err) != app.EFORBIDDEN || !strings.Contains(err.Error(), "used as often") {
			t.Fatalf("past max uses: %v", err)
		}
	})

	t.Run("SignUpClosed", func(t *testing.T) {
		if _, err := a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: false}}); err != nil {
			t.Fatal(err)
		}
		defer a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}})
		if _, err := a.SignUpWithCode(ctx, orgCode.Code, pupil("Eight"), "10.0.0.5"); app.ErrorCode(err) != app.EFORBIDDEN || !strings.Contains(err.Error(), "closed") {
			t.Fatalf("closed sign-up: %v", err)
		}
	})

	t.Run("DeletedGroupTakesItsCode", func(t *testing.T) {
		g2, _ := a.CreateGroup(ctx, org.ID, &app.Group{Name: "4C"})
		c2, _ := a.InviteCodeOf(ctx, org.ID, g2.ID)
		if err := a.DeleteGroup(ctx, org.ID, g2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SignUpWithCode(ctx, c2.Code, pupil("Nine"), "10.0.0.6"); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("code of a deleted group: %v", err)
		}
	})
}

// FuzzNormalizeCode: whatever is typed, a code that is accepted is 8
// characters of the alphabet and survives its display form.
func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"K7QM-3XRD", "k7qm3xrd", " K7QM 3XRD ", "K7QM–3XRD", "OOOO-IIII", "", "-", "ÄÖÜ", "k7qm-3xrd-", "\x00K7QM3XRD", strings.Repeat("A", 1000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := app.NormalizeCode(s)
		if err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				t.Fatalf("%q: error %v is not invalid", s, err)
			}
			return
		}
		if len(c) != app.CodeLength {
			t.Fatalf("%q → %q", s, c)
		}
		for _, r := range c {
			if !strings.ContainsRune(app.CodeAlphabet, r) {
				t.Fatalf("%q → %q has %q", s, c, r)
			}
		}
		if again, err := app.NormalizeCode(app.FormatCode(c)); err != nil || again != c {
			t.Fatalf("%q → %q → %q, %v", s, c, again, err)
		}
	})
}

// BenchmarkSignUpWithCode: one pupil's sign-up with a group code, hashing
// with the real argon2id parameters. A class of 30 on one laptop core costs
// 30 × this.
func BenchmarkSignUpWithCode(b *testing.B) {
	ctx := context.Background()
	a := apptest.New(b).App
	a.Hash = app.DefaultHashParams
	org := mustOrg(b, a, &app.Organization{Name: "Maple Primary"})
	a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}})
	g, _ := a.CreateGroup(ctx, org.ID, &app.Group{Name: "3B"})
	code, _ := a.InviteCodeOf(ctx, org.ID, g.ID)
	a.SignUpLimits.PerCode = app.NewLimiter(1<<30, time.Minute, time.Now)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		f := app.SignUpForm{FirstName: "Ada", Username: fmt.Sprintf("ada.%d", i), Password: "correct horse 42"}
		if _, err := a.SignUpWithCode(ctx, code.Code, f, "ip"); err != nil {
			b.Fatal(err)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(per.Microseconds())/1000, "ms/signup")
	b.ReportMetric(float64(per)/float64(19*time.Millisecond), "x_argon2_floor")
	b.Logf("one sign-up: %v (the argon2id hash alone is about 19 ms on the reference machine); a class of 30 in %v on one core", per, 30*per)
}

// Changing a code's settings while people sign up with it never writes back
// an older use count: a code with at most 20 uses makes at most 20 accounts.
func TestUpdateInviteCodeKeepsUses(t *testing.T) {
	ctx := context.Background()
	a, org, _ := newSignUpApp(t)
	a.SignUpLimits.PerCode = app.NewLimiter(1000, time.Minute, a.Now)
	twenty := 20
	code, err := a.UpdateInviteCode(ctx, org.ID, "", app.InviteCodeUpdate{MaxUses: &twenty})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			a.SignUpWithCode(ctx, code.Code, pupil(fmt.Sprintf("U%02d", i)), fmt.Sprintf("10.3.0.%d", i))
		}()
		go func() {
			defer wg.Done()
			off := i%2 == 0
			if _, err := a.UpdateInviteCode(ctx, org.ID, "", app.InviteCodeUpdate{RequireApproval: &off}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	page, _ := a.Users(ctx, org.ID, app.UserFilter{})
	c, _ := a.InviteCodeOf(ctx, org.ID, "")
	if page.Total != 20 || c.Uses != 20 {
		t.Fatalf("%d accounts, %d uses counted on a code with at most 20 uses", page.Total, c.Uses)
	}
}

// A settings change that races a regeneration cannot bring the old code
// back: afterwards only the owner's current code works.
func TestUpdateInviteCodeRacesRegenerate(t *testing.T) {
	ctx := context.Background()
	a, org, _ := newSignUpApp(t)
	first, _ := a.InviteCodeOf(ctx, org.ID, "")
	seen := make(chan string, 100)
	seen <- first.Code
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			c, err := a.RegenerateInviteCode(ctx, org.ID, "")
			if err != nil {
				t.Error(err)
				return
			}
			seen <- c.Code
		}()
		go func() {
			defer wg.Done()
			on := i%2 == 0
			if _, err := a.UpdateInviteCode(ctx, org.ID, "", app.InviteCodeUpdate{Disabled: &on}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(seen)
	cur, _ := a.InviteCodeOf(ctx, org.ID, "")
	working := 0
	for code := range seen {
		if _, err := a.Store.InviteCode(ctx, code); err == nil {
			working++
			if code != cur.Code {
				t.Errorf("the replaced code %s still exists", code)
			}
		}
	}
	if working != 1 {
		t.Fatalf("%d codes exist; want only the current one", working)
	}
}

// Codes come with their organization and group: twenty first reads at once
// all see the same code, and reading makes none.
func TestInviteCodeFirstReadsParallel(t *testing.T) {
	ctx := context.Background()
	a, org, _ := newSignUpApp(t)
	g, _ := a.CreateGroup(ctx, org.ID, &app.Group{Name: "3B"})
	var wg sync.WaitGroup
	got := make([]string, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := ""
			if i%2 == 1 {
				owner = g.ID
			}
			if c, err := a.InviteCodeOf(ctx, org.ID, owner); err == nil {
				got[i] = c.Code
			}
		}()
	}
	wg.Wait()
	for i := range got {
		if got[i] == "" || got[i] != got[i%2] {
			t.Fatalf("read %d gave %q, read %d %q", i, got[i], i%2, got[i%2])
		}
	}
	if codes, _ := a.InviteCodes(ctx, org.ID); len(codes) != 2 || got[0] == got[1] {
		t.Fatalf("%d codes stored; want the organization's and the group's", len(codes))
	}
}

// One rule for posters and addresses, used by the API and the command line.
func TestCodePoster(t *testing.T) {
	ctx := context.Background()
	a, org, _ := newSignUpApp(t)
	g, _ := a.CreateGroup(ctx, org.ID, &app.Group{Name: "3B"})
	if _, err := a.CodePoster(ctx, org.ID, g.ID, nil, "", ""); app.ErrorDetails(err)["base"] == "" {
		t.Fatalf("no public address: %v", err)
	}
	f, err := a.CodePoster(ctx, org.ID, g.ID, []string{"http://192.168.1.20:8081/"}, "", "letter")
	gc, _ := a.InviteCodeOf(ctx, org.ID, g.ID)
	if err != nil || f.Poster.Title != "3B" || f.Poster.Subtitle != "Maple Primary" || f.Poster.URL != "http://192.168.1.20:8081/join/"+gc.Code ||
		f.Poster.Address != "192.168.1.20:8081/join" || f.Name != "code-3b-"+gc.Code {
		t.Fatalf("group poster %+v, %v", f, err)
	}
	a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{PublicURL: ptr("https://rollcall.maple.example")})
	// With sign-up on this network on, its address comes first; the
	// public address is there to choose.
	f, err = a.CodePoster(ctx, org.ID, "", []string{"http://192.168.1.20:8081"}, "", "")
	if err != nil || f.Poster.Title != "Maple Primary" || f.Poster.Subtitle != "" || !strings.HasPrefix(f.Poster.URL, "http://192.168.1.20:8081/join/") {
		t.Fatalf("organization poster %+v, %v", f, err)
	}
	f, err = a.CodePoster(ctx, org.ID, "", []string{"http://192.168.1.20:8081"}, "https://rollcall.maple.example", "")
	if err != nil || !strings.HasPrefix(f.Poster.URL, "https://rollcall.maple.example/join/") {
		t.Fatalf("organization poster on the public address %+v, %v", f, err)
	}
	if _, err := a.CodePoster(ctx, org.ID, "", nil, "https://evil.example", ""); app.ErrorDetails(err)["base"] == "" {
		t.Fatalf("an unknown base: %v", err)
	}
	if _, err := a.CodePoster(ctx, org.ID, "", nil, "", "a3"); app.ErrorDetails(err)["paper"] == "" {
		t.Fatalf("paper a3: %v", err)
	}
}
