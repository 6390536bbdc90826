package fonts_test

import (
	"testing"

	"rollcall/app/fonts"
)

func TestCovers(t *testing.T) {
	for _, s := range []string{"Łukasz Żółć", "Ольга Иванова", "Αθηνά", "Jürgen Müller", "Çağla Şahin", "Þóra"} {
		if !fonts.Covers(s) {
			t.Errorf("Covers(%q) = false", s)
		}
	}
	for _, s := range []string{"李小龍", "김민준", "さくら"} {
		if fonts.Covers(s) {
			t.Errorf("Covers(%q) = true; DejaVu has no CJK", s)
		}
	}
}

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
		if got := fonts.Printable(s); got != want {
			t.Errorf("Printable(%q) = %v, want %v", s, got, want)
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
