// Package fonts embeds the TrueType fonts Rollcall prints with, so a PDF
// looks the same on every machine: DejaVu Sans (Latin, Greek, Cyrillic and
// more) and DejaVu Sans Mono Bold for passwords, where 0/O and 1/l/I differ.
// DejaVu's licence is in LICENSE-DejaVu.txt.
package fonts

import (
	_ "embed"
	"sync"

	"golang.org/x/image/font/sfnt"
)

var (
	//go:embed DejaVuSans.ttf
	Sans []byte
	//go:embed DejaVuSans-Bold.ttf
	SansBold []byte
	//go:embed DejaVuSansMono-Bold.ttf
	MonoBold []byte
)

var parsed = sync.OnceValue(func() *sfnt.Font {
	f, err := sfnt.Parse(Sans)
	if err != nil {
		panic("fonts: embedded DejaVu Sans does not parse: " + err.Error())
	}
	return f
})

// Covers reports whether DejaVu Sans has a glyph for every letter of s, so a
// caller can choose a fallback instead of printing empty boxes.
func Covers(s string) bool {
	f := parsed()
	var buf sfnt.Buffer
	for _, r := range s {
		if r == ' ' || r == '\u00a0' {
			continue
		}
		i, err := f.GlyphIndex(&buf, r)
		if err != nil || i == 0 {
			return false
		}
	}
	return true
}
