package app_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"rollcall/app"
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
