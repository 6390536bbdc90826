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
