package app_test

import (
	"crypto/rand"
	"strings"
	"testing"

	"rollcall/app"
)

// A property test over 100,000 generated passwords per style: the policy is
// met, no look-alikes in the random style, never a formula trigger first.
func TestGeneratePasswordProperties(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 5_000
	}
	policies := []app.PasswordPolicy{app.DefaultPasswordPolicy, {MinLength: 14, RequireLetter: true, RequireDigit: true, RequireSymbol: true}}
	for _, style := range []string{app.StyleWords, app.StyleRandom} {
		for _, policy := range policies {
			seen := make(map[string]bool, n)
			for range n {
				pw, err := app.GeneratePassword(rand.Reader, style, policy)
				if err != nil {
					t.Fatal(err)
				}
				if err := policy.Check(pw); err != nil {
					t.Fatalf("%s %q breaks the policy %v: %v", style, pw, policy, err)
				}
				if strings.ContainsAny(pw[:1], "=+-@\t\r\n") {
					t.Fatalf("%s %q starts with a formula trigger", style, pw)
				}
				if style == app.StyleRandom && strings.ContainsAny(pw, "0Oo1lIi") {
					t.Fatalf("random %q has a look-alike character", pw)
				}
				seen[pw] = true
			}
			// Collisions are expected for the short words style only.
			if minDistinct := n * 95 / 100; len(seen) < minDistinct {
				t.Errorf("%s: only %d distinct of %d", style, len(seen), n)
			}
		}
	}
}

func TestPasswordBits(t *testing.T) {
	if got := app.PasswordBits(app.StyleRandom, app.DefaultPasswordPolicy); got < 55 {
		t.Errorf("random style: %.1f bits, want ≥ 55", got)
	}
	words := app.PasswordBits(app.StyleWords, app.DefaultPasswordPolicy)
	if words < 20 || words > 40 {
		t.Errorf("words style: %.1f bits", words)
	}
}

// Each word is in the list once: a duplicate would make its passwords more
// likely than PasswordBits says.
func TestWordListUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, w := range app.WordList {
		if seen[w] {
			t.Errorf("%q is in the word list twice", w)
		}
		seen[w] = true
	}
}
