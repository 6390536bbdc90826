package app_test

import (
	"strings"
	"testing"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"rollcall/app"
)

// LoginKey's ASCII shortcut gives what NFKC + case folding gives, for every
// printable ASCII character in every position; other text takes the full
// path (a fullwidth name, the German ß, a Turkish İ).
func TestLoginKeyASCIIShortcut(t *testing.T) {
	full := func(s string) string {
		return norm.NFKC.String(cases.Fold().String(norm.NFKC.String(strings.TrimSpace(s))))
	}
	var all strings.Builder
	for c := byte(0x20); c <= 0x7e; c++ {
		all.WriteByte(c)
	}
	for _, s := range []string{all.String(), "  Ada.Lovelace@Example.ORG ", "PUPIL.one", "a-b_c.d", "ＰＵＰＩＬ.ｏｎｅ", "Straße", "İstanbul", "ÅSA"} {
		if got, want := app.LoginKey(s), full(s); got != want {
			t.Errorf("LoginKey(%q) = %q, want %q", s, got, want)
		}
	}
}
