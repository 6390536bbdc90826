// Package pdftext draws text into gofpdf documents with the embedded fonts
// (app/fonts), switching font per run of script, so that every PDF Rollcall
// prints (slips, class sheets, posters) handles names alike: DejaVu Sans,
// Droid Sans Fallback for Chinese and Japanese, and a red placeholder for
// letters it cannot print right. It also measures, shrinks to fit, shortens
// and wraps text.
package pdftext

import (
	"bytes"
	"strings"
	"time"

	"github.com/jung-kurt/gofpdf"

	"rollcall/app/fonts"
)

// Font faces.
const (
	Sans  = "sans"  // DejaVu Sans
	Bold  = "bold"  // DejaVu Sans Bold
	Mono  = "mono"  // DejaVu Sans Mono Bold: passwords and codes, where 0/O and 1/l/I differ
	droid = "droid" // Droid Sans Fallback: Chinese and Japanese letters
)

// Placeholder is printed, in red, for letters no embedded font has (Hangul,
// for instance), so a missing letter is never a silent empty box.
const Placeholder = "[?]"

// Doc is a gofpdf document (in mm) with the embedded fonts and text drawn
// per run of script: DejaVu where it has the letters, Droid Sans Fallback
// where it does not, the Placeholder where neither does (or where the
// script needs shaping or right-to-left order, which gofpdf lacks).
type Doc struct {
	PDF      *gofpdf.Fpdf
	fallback bool // Droid is registered (only when a text needs it)
}

// New starts a portrait document on paper size "A4" or "Letter", with no
// margins and no automatic page breaks; now, when set, is its creation time.
func New(size string, now time.Time) (*Doc, error) {
	pdf := gofpdf.New("P", "mm", size, "")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCreator("Rollcall", true)
	if !now.IsZero() {
		pdf.SetCreationDate(now)
	}
	// gofpdf writes into the font bytes it is given while subsetting: each
	// document gets its own copy, so documents can be made concurrently.
	pdf.AddUTF8FontFromBytes(Sans, "", bytes.Clone(fonts.Sans))
	pdf.AddUTF8FontFromBytes(Bold, "", bytes.Clone(fonts.SansBold))
	pdf.AddUTF8FontFromBytes(Mono, "", bytes.Clone(fonts.MonoBold))
	return &Doc{PDF: pdf}, pdf.Error()
}

// face returns the family for a run printed in style face.
func (d *Doc) face(face string, run fonts.Run) string {
	switch run.Font {
	case fonts.InFallback:
		if !d.fallback {
			d.PDF.AddUTF8FontFromBytes(droid, "", bytes.Clone(fonts.Fallback))
			d.fallback = true
		}
		return droid
	case fonts.InNone:
		return Bold
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

// Width is the printed width of s in face at size points, in mm.
func (d *Doc) Width(face string, size float64, s string) float64 {
	w := 0.0
	for _, r := range runs(s) {
		d.PDF.SetFont(d.face(face, r), "", size)
		w += d.PDF.GetStringWidth(runText(r))
	}
	return w
}

// Text draws s with its baseline at (x, y) in the colour grey (0 black,
// 255 white); it returns the width drawn.
func (d *Doc) Text(x, y float64, face string, size float64, grey int, s string) float64 {
	start := x
	for _, r := range runs(s) {
		d.PDF.SetFont(d.face(face, r), "", size)
		if r.Font == fonts.InNone {
			d.PDF.SetTextColor(200, 0, 0)
		} else {
			d.PDF.SetTextColor(grey, grey, grey)
		}
		t := runText(r)
		d.PDF.Text(x, y, t)
		x += d.PDF.GetStringWidth(t)
	}
	return x - start
}

// Fit returns the largest size from max down to min (in half points) at
// which s is at most w wide, or min.
func (d *Doc) Fit(face string, max, min, w float64, s string) float64 {
	size := max
	for size > min && d.Width(face, size, s) > w {
		size -= 0.5
	}
	return size
}

// Ellipsize shortens s with "…" until it is at most w wide.
func (d *Doc) Ellipsize(face string, size, w float64, s string) string {
	if d.Width(face, size, s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && d.Width(face, size, string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return strings.TrimSpace(string(r)) + "…"
}

// PtToMM converts a font size in points to millimetres.
func PtToMM(pt float64) float64 { return pt * 25.4 / 72 }

// Wrap breaks s into lines at most w wide. A line may break before any
// rune in breakBefore (for a login: before '@' and '.', which then starts
// the next line) and after a space; a piece still too wide is broken
// between any two letters, so no line is ever wider than w.
func (d *Doc) Wrap(face string, size, w float64, s, breakBefore string) []string {
	if d.Width(face, size, s) <= w {
		return []string{s}
	}
	// A login email reads best broken once, before its '@'.
	if at := strings.LastIndex(s, "@"); at > 0 && strings.ContainsRune(breakBefore, '@') &&
		d.Width(face, size, s[:at]) <= w && d.Width(face, size, s[at:]) <= w {
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
		if line != "" && d.Width(face, size, strings.TrimRight(line+p, " ")) > w {
			lines = append(lines, strings.TrimRight(line, " "))
			line = ""
		}
		line += p
		// A piece wider than the line on its own: cut it letter by letter.
		for d.Width(face, size, strings.TrimRight(line, " ")) > w {
			r := []rune(line)
			n := len(r) - 1
			for n > 1 && d.Width(face, size, string(r[:n])) > w {
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

// FitLines picks the largest size from max down to min (in half points)
// at which s fits on one line of width w; failing that, for a login, the
// largest at which it breaks once before its '@'; failing that, s wrapped
// at min. It returns the size and the lines.
func (d *Doc) FitLines(face string, max, min, w float64, s, breakBefore string) (float64, []string) {
	for size := max; size >= min; size -= 0.5 {
		if d.Width(face, size, s) <= w {
			return size, []string{s}
		}
	}
	if strings.ContainsRune(breakBefore, '@') {
		for size := max; size >= min; size -= 0.5 {
			if l := d.Wrap(face, size, w, s, breakBefore); len(l) == 2 && strings.HasPrefix(l[1], "@") {
				return size, l
			}
		}
	}
	return min, d.Wrap(face, min, w, s, breakBefore)
}
