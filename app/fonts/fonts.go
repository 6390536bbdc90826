// Package fonts embeds the TrueType fonts Rollcall prints with, so a PDF
// looks the same on every machine: DejaVu Sans (Latin, Greek, Cyrillic and
// more) and DejaVu Sans Mono Bold for passwords, where 0/O and 1/l/I differ.
// Names DejaVu cannot print (Chinese, Japanese) fall back to Droid Sans
// Fallback, switched per run of text (Runs). DejaVu's licence is in
// LICENSE-DejaVu.txt, Droid's in LICENSE-Droid.txt.
//
// Give gofpdf a copy (bytes.Clone(fonts.Sans)), never these slices: its
// AddUTF8FontFromBytes writes into the bytes while subsetting, which would
// corrupt the fonts for every later PDF and race with concurrent ones.
package fonts

import (
	_ "embed"
	"sync"
	"unicode"

	"golang.org/x/image/font/sfnt"
)

var (
	//go:embed DejaVuSans.ttf
	Sans []byte
	//go:embed DejaVuSans-Bold.ttf
	SansBold []byte
	//go:embed DejaVuSansMono-Bold.ttf
	MonoBold []byte
	// Fallback is Droid Sans Fallback Full: Han ideographs, kana and CJK
	// punctuation, but not Hangul. It has one weight.
	//go:embed DroidSansFallbackFull.ttf
	Fallback []byte
)

func mustParse(b []byte, name string) func() *sfnt.Font {
	return sync.OnceValue(func() *sfnt.Font {
		f, err := sfnt.Parse(b)
		if err != nil {
			panic("fonts: embedded " + name + " does not parse: " + err.Error())
		}
		return f
	})
}

var (
	parsed         = mustParse(Sans, "DejaVu Sans")
	parsedFallback = mustParse(Fallback, "Droid Sans Fallback")
)

func has(f *sfnt.Font, buf *sfnt.Buffer, r rune) bool {
	if r == ' ' || r == '\u00a0' {
		return true
	}
	i, err := f.GlyphIndex(buf, r)
	return err == nil && i != 0
}

// Which font a run of text is printed in.
const (
	InSans     = iota // DejaVu Sans (or its bold)
	InFallback        // Droid Sans Fallback
	InNone            // no embedded font has these letters (e.g. Hangul)
)

// Run is a stretch of text printed in one font.
type Run struct {
	Text string
	Font int // InSans, InFallback or InNone
}

// Runs splits s into runs of the first embedded font that can print each
// letter: DejaVu Sans, else Droid Sans Fallback, else none — and none for
// a letter of a script that needs shaping or right-to-left order. Spaces stay in
// the run they follow, so "李 小龍" is one fallback run.
func Runs(s string) []Run {
	sans, fb := parsed(), parsedFallback()
	var buf sfnt.Buffer
	var out []Run
	for _, r := range s {
		font := InNone
		switch {
		case (r == ' ' || r == '\u00a0') && len(out) > 0:
			font = out[len(out)-1].Font
		case NeedsShaping(r):
			// DejaVu has Arabic and Hebrew letters, but gofpdf draws them
			// left to right, unjoined: a name would print wrong, silently.
		case has(sans, &buf, r):
			font = InSans
		case has(fb, &buf, r):
			font = InFallback
		}
		if n := len(out); n > 0 && out[n-1].Font == font {
			out[n-1].Text += string(r)
		} else {
			out = append(out, Run{Text: string(r), Font: font})
		}
	}
	return out
}

// shaped are the scripts gofpdf cannot print correctly: written right to
// left (it does not reorder) or needing contextual shaping or reordering
// of letters (it does not shape).
var shaped = []*unicode.RangeTable{
	unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana, unicode.Nko,
	unicode.Samaritan, unicode.Mandaic, unicode.Adlam, unicode.Mongolian,
	unicode.Devanagari, unicode.Bengali, unicode.Gurmukhi, unicode.Gujarati, unicode.Oriya,
	unicode.Tamil, unicode.Telugu, unicode.Kannada, unicode.Malayalam, unicode.Sinhala,
	unicode.Tibetan, unicode.Myanmar, unicode.Khmer, unicode.Lao, unicode.Thai,
	unicode.Balinese, unicode.Javanese,
}

// NeedsShaping reports whether r belongs to a script that needs bidi
// reordering or shaping (Arabic, Hebrew, Syriac, Thaana, N'Ko, the Indic
// scripts, ...): Runs marks it as printable in no font.
func NeedsShaping(r rune) bool {
	return r >= 0x0590 && unicode.In(r, shaped...) ||
		r >= 0xFB1D && r <= 0xFDFF || r >= 0xFE70 && r <= 0xFEFF // Hebrew and Arabic presentation forms
}
