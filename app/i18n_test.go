package app_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
)

func TestPickLanguage(t *testing.T) {
	for _, c := range []struct {
		tags []string
		want string
	}{
		{nil, "en"},
		{[]string{""}, "en"},
		{[]string{"fi"}, "fi"},
		{[]string{"sv-FI"}, "sv"},
		{[]string{"de-AT"}, "de"},
		{[]string{"pt-BR", "sv"}, "sv"},                 // the person's language is not spoken: the organization's
		{[]string{"", "fi-FI,fi;q=0.9,en;q=0.8"}, "fi"}, // an Accept-Language header
		{[]string{"fr-FR,fr;q=0.9,de;q=0.8"}, "de"},     // the first spoken one in the header
		{[]string{"not a tag", "de"}, "de"},
	} {
		if got := app.PickLanguage(c.tags...); got != c.want {
			t.Errorf("PickLanguage(%q) = %q, want %q", c.tags, got, c.want)
		}
	}
}

func TestCompareNamesSortsByTheLanguage(t *testing.T) {
	people := func() []*app.User {
		return []*app.User{{FirstName: "Åsa", LastName: "Åberg"}, {FirstName: "Zoe", LastName: "Zander"},
			{FirstName: "Anna", LastName: "Andersson"}, {FirstName: "Örjan", LastName: "Öst"}, {FirstName: "Emil", LastName: "Ärlig"}}
	}
	order := func(lang string) []string {
		us := people()
		slices.SortStableFunc(us, app.CompareNames(lang))
		var out []string
		for _, u := range us {
			out = append(out, u.FirstName)
		}
		return out
	}
	// Swedish (and Finnish): å ä ö are letters of their own after z.
	if got, want := strings.Join(order("sv"), " "), "Anna Zoe Åsa Emil Örjan"; got != want {
		t.Errorf("Swedish order %q, want %q", got, want)
	}
	if got, want := strings.Join(order("fi"), " "), "Anna Zoe Åsa Emil Örjan"; got != want {
		t.Errorf("Finnish order %q, want %q", got, want)
	}
	// German and English: ä is an a, å an a, ö an o.
	if got, want := strings.Join(order("de"), " "), "Åsa Anna Emil Örjan Zoe"; got != want {
		t.Errorf("German order %q, want %q", got, want)
	}
	if got := order("en"); slices.Index(got, "Åsa") > slices.Index(got, "Zoe") {
		t.Errorf("English order %q puts Åsa after Zoe", got)
	}
}

func TestDatesInTheLanguage(t *testing.T) {
	d := time.Date(2026, 12, 3, 14, 5, 0, 0, time.UTC)
	for lang, want := range map[string]string{"fi": "3.12.2026 14.05", "sv": "2026-12-03 14:05", "de": "03.12.2026 14:05", "en": "3 December 2026 14:05"} {
		if got := app.TextsFor(lang).DateTime(d); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
}

func TestPluralsFollowTheLanguage(t *testing.T) {
	for _, c := range []struct {
		lang string
		n    int
		want string
	}{{"en", 1, "1 account"}, {"en", 28, "28 accounts"}, {"fi", 1, "1 tili"}, {"fi", 28, "28 tiliä"}, {"sv", 2, "2 konton"}, {"de", 1, "1 Konto"}} {
		if got := app.TextsFor(c.lang).N("pdf.sheet.accounts", c.n); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.lang, c.n, got, c.want)
		}
	}
	if got := app.TextsFor("fi").T("pdf.sheet.page", "Org", "Koulu", "Page", 2); got != "Koulu  ·  sivu 2" {
		t.Errorf("filled message %q", got)
	}
}

// messageUse finds the message ids the Go code asks for: .T("id" and .N("id".
var messageUse = regexp.MustCompile(`\.[TN]\("([a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)+)"`)

// TestEveryCatalogueHasEveryMessage fails when a catalogue misses a message
// the Go code uses, or holds other messages than the English one.
func TestEveryCatalogueHasEveryMessage(t *testing.T) {
	catalogue := map[string]map[string]any{}
	for _, lang := range app.Languages {
		b, err := os.ReadFile(filepath.Join("locales", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s.json: %v", lang, err)
		}
		catalogue[lang] = m
	}
	used := map[string]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range messageUse.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 50 {
		t.Fatalf("found only %d messages used in the Go code: is the pattern still right?", len(used))
	}
	for _, lang := range app.Languages {
		for id, path := range used {
			if _, ok := catalogue[lang][id]; !ok {
				t.Errorf("locales/%s.json misses %q (used in %s)", lang, id, path)
			}
		}
		var extra []string
		for id := range catalogue[lang] {
			if _, ok := catalogue["en"][id]; !ok {
				extra = append(extra, id)
			}
		}
		for id := range catalogue["en"] {
			if _, ok := catalogue[lang][id]; !ok {
				extra = append(extra, "missing "+id)
			}
		}
		sort.Strings(extra)
		if len(extra) > 0 {
			t.Errorf("locales/%s.json and en.json differ: %v", lang, extra)
		}
	}
}

// TestThePortalSpeaksThePersonsLanguage: the account page (and the new
// password screen) name the person's language for the portal to speak;
// without one Rollcall speaks, the organization's.
func TestThePortalSpeaksThePersonsLanguage(t *testing.T) {
	env := apptest.New(t)
	ctx := app.WithActor(context.Background(), app.CLIActor)
	if _, err := env.App.CreateOrganization(ctx, &app.Organization{Name: "Vaahtera", Slug: "vaahtera", Language: "fi"}); err != nil {
		t.Fatal(err)
	}
	const pw = "a-long-pupil-password-1"
	for _, c := range []struct{ login, lang, want string }{{"asa", "sv", "sv"}, {"aino", "", "fi"}, {"omar", "ar", "fi"}} {
		if _, err := env.App.CreateUser(ctx, "vaahtera", app.UserCreate{User: app.User{FirstName: c.login, Username: c.login, Language: c.lang}, Password: pw}); err != nil {
			t.Fatal(err)
		}
		acc, _, err := env.App.SignInToPortal(context.Background(), app.SignIn{Login: c.login, Password: pw, Client: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if acc.Language != c.want {
			t.Errorf("%s (language %q): the portal speaks %q, want %q", c.login, c.lang, acc.Language, c.want)
		}
	}
}
