package fonts_test

import (
	"testing"

	"rollcall/app/fonts"
)

func TestRuns(t *testing.T) {
	got := fonts.Runs("Li 李 小龍 (3B)")
	want := []fonts.Run{{"Li ", fonts.InSans}, {"李 小龍 ", fonts.InFallback}, {"(3B)", fonts.InSans}}
	if len(got) != len(want) {
		t.Fatalf("Runs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Runs = %v, want %v", got, want)
		}
	}
	// DejaVu has Arabic and Hebrew letters, but gofpdf neither orders them
	// right to left nor joins them: no font prints them.
	for s, want := range map[string]bool{"Łukasz": true, "さくら 李": true, "김민준": false, "Kim 김민준": false,
		"محمد علي": false, "נועה כהן": false, "Noa נועה": false, "ܐܕܝ": false, "ދިވެހި": false, "ߒߞߏ": false, "प्रिया शर्मा": false, "தமிழ்": false} {
		if got := printable(s); got != want {
			t.Errorf("printable(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestRunsRightToLeft(t *testing.T) {
	got := fonts.Runs("Noa כהן (3B)")
	want := []fonts.Run{{"Noa ", fonts.InSans}, {"כהן ", fonts.InNone}, {"(3B)", fonts.InSans}}
	if len(got) != len(want) {
		t.Fatalf("Runs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Runs = %v, want %v", got, want)
		}
	}
}

// printable reports whether every letter of s is in some font that prints
// it right, as the slips and posters decide.
func printable(s string) bool {
	for _, r := range fonts.Runs(s) {
		if r.Font == fonts.InNone {
			return false
		}
	}
	return true
}
