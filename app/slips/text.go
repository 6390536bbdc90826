package slips

import (
	"bytes"
	"strings"
	"time"

	"github.com/jung-kurt/gofpdf"

	"rollcall/app/fonts"
)

// Font faces used on slips and sheets.
const (
	sans  = "sans"  // DejaVu Sans
	bold  = "bold"  // DejaVu Sans Bold
	mono  = "mono"  // DejaVu Sans Mono Bold: passwords, where 0/O and 1/l/I differ
	droid = "droid" // Droid Sans Fallback: Chinese and Japanese letters
)

// Placeholder is printed, in red, for letters no embedded font has (Hangul,
// for instance), so a missing letter is never a silent empty box.
const Placeholder = "[?]"

// doc is a gofpdf document with the embedded fonts and text drawn per run
// of script: DejaVu where it has the letters, Droid Sans Fallback where it
// does not, the Placeholder where neither does.
type doc struct {
	pdf      *gofpdf.Fpdf
	fallback bool // Droid is registered (only when a text needs it)
}

func newDoc(paper string, now time.Time) (*doc, error) {
	size := "A4"
	if paper == PaperLetter {
		size = "Letter"
	}
	pdf := gofpdf.New("P", "mm", size, "")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCreator("Rollcall", true)
	if !now.IsZero() {
		pdf.SetCreationDate(now)
	}
	// gofpdf writes into the font bytes it is given while subsetting: each
	// document gets its own copy, so documents can be made concurrently.
	pdf.AddUTF8FontFromBytes(sans, "", bytes.Clone(fonts.Sans))
	pdf.AddUTF8FontFromBytes(bold, "", bytes.Clone(fonts.SansBold))
	pdf.AddUTF8FontFromBytes(mono, "", bytes.Clone(fonts.MonoBold))
	return &doc{pdf: pdf}, pdf.Error()
}

// face returns the family for a run printed in style face.
func (d *doc) face(face string, run fonts.Run) string {
	switch run.Font {
	case fonts.InFallback:
		if !d.fallback {
			d.pdf.AddUTF8FontFromBytes(droid, "", bytes.Clone(fonts.Fallback))
			d.fallback = true
		}
		return droid
	case fonts.InNone:
		return bold
	}
	return face
}

func runs(s string) []fonts.Run {
	// Plain ASCII, the common case, needs no lookup.
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return fonts.Runs(s)
		}
	}
	return []fonts.Run{{Text: s, Font: fonts.InSans}}
}

func runText(r fonts.Run) string {
	if r.Font == fonts.InNone {
		// Keep the spaces that end the run: "김민준 Kim" → "[?] Kim".
		return Placeholder + r.Text[len(strings.TrimRight(r.Text, " \u00a0")):]
	}
	return r.Text
}

// width is the printed width of s in face at size points, in mm.
func (d *doc) width(face string, size float64, s string) float64 {
	w := 0.0
	for _, r := range runs(s) {
		d.pdf.SetFont(d.face(face, r), "", size)
		w += d.pdf.GetStringWidth(runText(r))
	}
	return w
}

// text draws s with its baseline at (x, y) in the colour grey (0 black,
// 255 white); it returns the width drawn.
func (d *doc) text(x, y float64, face string, size float64, grey int, s string) float64 {
	start := x
	for _, r := range runs(s) {
		d.pdf.SetFont(d.face(face, r), "", size)
		if r.Font == fonts.InNone {
			d.pdf.SetTextColor(200, 0, 0)
		} else {
			d.pdf.SetTextColor(grey, grey, grey)
		}
		t := runText(r)
		d.pdf.Text(x, y, t)
		x += d.pdf.GetStringWidth(t)
	}
	return x - start
}

// fit returns the largest size from max down to min (in half points) at
// which s is at most w wide, or min.
func (d *doc) fit(face string, max, min, w float64, s string) float64 {
	size := max
	for size > min && d.width(face, size, s) > w {
		size -= 0.5
	}
	return size
}

// ellipsize shortens s with "…" until it is at most w wide.
func (d *doc) ellipsize(face string, size, w float64, s string) string {
	if d.width(face, size, s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && d.width(face, size, string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return strings.TrimSpace(string(r)) + "…"
}

// ptToMM converts a font size in points to millimetres.
func ptToMM(pt float64) float64 { return pt * 25.4 / 72 }

// wrap breaks s into lines at most w wide. A line may break before any
// rune in breakBefore (for a login: before '@' and '.', which then starts
// the next line) and after a space; a piece still too wide is broken
// between any two letters, so no line is ever wider than w.
func (d *doc) wrap(face string, size, w float64, s, breakBefore string) []string {
	if d.width(face, size, s) <= w {
		return []string{s}
	}
	// A login email reads best broken once, before its '@'.
	if at := strings.LastIndex(s, "@"); at > 0 && strings.ContainsRune(breakBefore, '@') &&
		d.width(face, size, s[:at]) <= w && d.width(face, size, s[at:]) <= w {
		return []string{s[:at], s[at:]}
	}
	// Pieces: the text between break points.
	var pieces []string
	start := 0
	for i, r := range s {
		if i > start && strings.ContainsRune(breakBefore, r) {
			pieces = append(pieces, s[start:i])
			start = i
		} else if r == ' ' {
			pieces = append(pieces, s[start:i+1])
			start = i + 1
		}
	}
	if start < len(s) {
		pieces = append(pieces, s[start:])
	}
	var lines []string
	line := ""
	for _, p := range pieces {
		if line != "" && d.width(face, size, strings.TrimRight(line+p, " ")) > w {
			lines = append(lines, strings.TrimRight(line, " "))
			line = ""
		}
		line += p
		// A piece wider than the line on its own: cut it letter by letter.
		for d.width(face, size, strings.TrimRight(line, " ")) > w {
			r := []rune(line)
			n := len(r) - 1
			for n > 1 && d.width(face, size, string(r[:n])) > w {
				n--
			}
			lines = append(lines, string(r[:n]))
			line = string(r[n:])
		}
	}
	if strings.TrimSpace(line) != "" {
		lines = append(lines, strings.TrimRight(line, " "))
	}
	return lines
}

// fitLines picks the largest size from max down to min (in half points)
// at which s fits on one line of width w; failing that, for a login, the
// largest at which it breaks once before its '@'; failing that, s wrapped
// at min. It returns the size and the lines.
func (d *doc) fitLines(face string, max, min, w float64, s, breakBefore string) (float64, []string) {
	for size := max; size >= min; size -= 0.5 {
		if d.width(face, size, s) <= w {
			return size, []string{s}
		}
	}
	if strings.ContainsRune(breakBefore, '@') {
		for size := max; size >= min; size -= 0.5 {
			if l := d.wrap(face, size, w, s, breakBefore); len(l) == 2 && strings.HasPrefix(l[1], "@") {
				return size, l
			}
		}
	}
	return min, d.wrap(face, min, w, s, breakBefore)
}
