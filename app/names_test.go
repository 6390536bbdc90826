package app_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"rollcall/app"
	"rollcall/app/apptest"
)

// FuzzParseNames: whatever is pasted, every person comes from a real line,
// in order, with one of the known forms and no line breaks or tabs inside a
// field.
func FuzzParseNames(f *testing.F) {
	for _, s := range []string{
		"Ada Lovelace\nLovelace, Ada\nada.l\n", "First name\tLast name\nAda\tLovelace\tada\tpw-12345678\n",
		"\ufeff\r\n\r\n,,,\n\t\t\t\t\n", "Łukasz Żółć\r\nΑθηνά\n李 小龍", ", \n ,x\nx,\n",
	} {
		f.Add(s)
	}
	forms := map[string]bool{app.FormFirstLast: true, app.FormLastFirst: true, app.FormColumns: true, app.FormUsername: true}
	f.Fuzz(func(t *testing.T, text string) {
		people := app.ParseNames(text)
		lines := strings.Count(text, "\n") + 1
		last := 0
		for _, p := range people {
			if p.Line <= last || p.Line > lines {
				t.Fatalf("line %d after %d of %d", p.Line, last, lines)
			}
			last = p.Line
			if !forms[p.Form] {
				t.Fatalf("form %q", p.Form)
			}
			for _, v := range []string{p.FirstName, p.LastName, p.Username, p.Password} {
				if strings.ContainsAny(v, "\n\t") {
					t.Fatalf("field %q holds a line break or tab", v)
				}
				if utf8.ValidString(text) && !utf8.ValidString(v) {
					t.Fatalf("invalid UTF-8 %q from valid input", v)
				}
			}
		}
	})
}

// One reading of a name in one cell, wherever it comes from.
func TestSplitName(t *testing.T) {
	for in, want := range map[string][2]string{
		"Ada Lovelace":              {"Ada", "Lovelace"},
		"Lovelace, Ada":             {"Ada", "Lovelace"},
		"  Lovelace ,  Ada  ":       {"Ada", "Lovelace"},
		"Ada King Lovelace":         {"Ada King", "Lovelace"},
		"Fatima Zahra El Amrani":    {"Fatima Zahra", "El Amrani"},
		"Ludwig van der Berg":       {"Ludwig", "van der Berg"},
		"Maria de la Cruz":          {"Maria", "de la Cruz"},
		"Omar bin Abdullah":         {"Omar", "bin Abdullah"},
		"Van Morrison":              {"Van", "Morrison"},
		"De Van Berg":               {"De", "Van Berg"},
		"van Rossum, Guido":         {"Guido", "van Rossum"},
		"Ada":                       {"Ada", ""},
		"":                          {"", ""},
		"Jose\u0301 Gonza\u0301lez": {"José", "González"}, // stored NFC
	} {
		if f, l := app.SplitName(in); f != want[0] || l != want[1] {
			t.Errorf("SplitName(%q) = %q, %q; want %q, %q", in, f, l, want[0], want[1])
		}
	}
}

// One word that is no username — a name in a script without spaces
// (李小龍), or a capitalised name — is a first name whose username is made
// from it, in ASCII, and not marked as typed; a word in lower-case ASCII
// is still taken as a username.
func TestOneWordNames(t *testing.T) {
	for in, want := range map[string]app.NameLine{
		"李小龍":   {Line: 1, Form: app.FormFirstLast, FirstName: "李小龍"},
		"Emma":  {Line: 1, Form: app.FormFirstLast, FirstName: "Emma"},
		"ada.l": {Line: 1, Form: app.FormUsername, FirstName: "ada.l", Username: "ada.l"},
		"emma2": {Line: 1, Form: app.FormUsername, FirstName: "emma2", Username: "emma2"},
	} {
		if got := app.ParseNames(in); len(got) != 1 || got[0] != want {
			t.Errorf("ParseNames(%q) = %+v, want %+v", in, got, want)
		}
	}
	a := apptest.New(t).App
	ctx := app.WithActor(context.Background(), app.DesktopActor)
	org := mustOrg(t, a, &app.Organization{Name: "Maple"})
	p, err := a.PreviewAccounts(ctx, org.Slug, app.AccountBatch{People: app.ParseNames("李小龍")})
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Rows[0]; r.Username != "lixiaolong" || !r.UsernameGenerated || len(r.Problems) > 0 {
		t.Errorf("李小龍: username %q, generated %v, problems %v; want lixiaolong, generated", r.Username, r.UsernameGenerated, r.Problems)
	}
}

// A name pasted twice is a warning on the second line (it is still
// created, with a number); a typed username says the person is meant.
func TestRepeatedLineWarns(t *testing.T) {
	a := apptest.New(t).App
	ctx := app.WithActor(context.Background(), app.DesktopActor)
	org := mustOrg(t, a, &app.Organization{Name: "Maple"})
	p, err := a.PreviewAccounts(ctx, org.Slug, app.AccountBatch{People: app.ParseNames("Emma Smith\nLiam Jones\nemma  SMITH\nEmma\tSmith\temma.s2")})
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows[0].Warnings != nil || p.Rows[1].Warnings != nil || p.Rows[3].Warnings != nil {
		t.Errorf("warnings on the first, another and a typed-username line: %v %v %v", p.Rows[0].Warnings, p.Rows[1].Warnings, p.Rows[3].Warnings)
	}
	if w := p.Rows[2].Warnings["first_name"]; !strings.Contains(w, "same name as line 1") || p.Rows[2].Username != "emma.smith2" || p.Problems != 0 {
		t.Errorf("the repeated line: warning %q, username %q, problems %d", w, p.Rows[2].Username, p.Problems)
	}

	// An import file: the same, said of rows.
	ip, err := a.PreviewImport(ctx, org.Slug, importFile(row(2, "first_name=Emma", "last_name=Smith"), row(3, "first_name=Emma", "last_name=Smith")), app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rows := ip.Rows
	if rows[0].Status != app.RowCreate || rows[1].Status != app.RowWarning || !strings.Contains(rows[1].Warnings["first_name"], "same name as row 2") {
		t.Errorf("import rows: %+v", rows)
	}
}
