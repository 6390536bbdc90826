// Package poster prints a sign-up poster for a wall: one page (A4 or
// Letter) with a large QR code, the class or organization name, the short
// address, the code to type and one line of instructions.
package poster

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/jung-kurt/gofpdf"

	"rollcall/app/fonts"
	"rollcall/app/qr"
)

// Paper sizes.
const (
	A4     = "a4"
	Letter = "letter"
)

// Poster is what one poster shows.
type Poster struct {
	// Title is the group's (or organization's) name, printed largest.
	Title string
	// Subtitle is the organization's name above the title (may be empty).
	Subtitle string
	// URL is what the QR code opens: the base address + /join/CODE or /link/TOKEN.
	URL string
	// Address is the short address printed for typing, e.g. 192.168.1.20:8081/join.
	Address string
	// Code is the code to type as displayed (K7QM-3XRD), empty for a link.
	Code string
	// Paper is A4 (default) or Letter.
	Paper string
}

// ShortAddress drops the scheme from a URL for printing: people type
// 192.168.1.20:8081/join, the browser adds http://.
func ShortAddress(u string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	return strings.TrimRight(s, "/")
}

// PDF renders the poster.
func PDF(p Poster) ([]byte, error) {
	size := "A4"
	if strings.EqualFold(p.Paper, Letter) {
		size = "Letter"
	} else if p.Paper != "" && !strings.EqualFold(p.Paper, A4) {
		return nil, fmt.Errorf("unknown paper %q (a4 or letter)", p.Paper)
	}
	pdf := gofpdf.New("P", "mm", size, "")
	pdf.SetTitle("Sign up: "+p.Title, true)
	pdf.SetCreator("Rollcall", true)
	// gofpdf writes into the bytes it is given: a copy keeps the embedded fonts intact.
	pdf.AddUTF8FontFromBytes("sans", "", bytes.Clone(fonts.Sans))
	pdf.AddUTF8FontFromBytes("sans", "B", bytes.Clone(fonts.SansBold))
	pdf.AddUTF8FontFromBytes("mono", "B", bytes.Clone(fonts.MonoBold))
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddPage()
	w, h := pdf.GetPageSize()
	const margin = 16.0

	// A thick frame so the poster reads as one thing on a busy wall.
	pdf.SetDrawColor(20, 20, 20)
	pdf.SetLineWidth(1.2)
	pdf.Rect(8, 8, w-16, h-16, "D")

	center := func(y float64, family, style string, pt float64, text string, gray int) {
		// shrink to fit the width
		for pt > 10 {
			pdf.SetFont(family, style, pt)
			if pdf.GetStringWidth(text) <= w-2*margin {
				break
			}
			pt -= 1
		}
		pdf.SetFont(family, style, pt)
		pdf.SetTextColor(gray, gray, gray)
		pdf.SetXY(margin, y)
		pdf.CellFormat(w-2*margin, pt*0.3528*1.2, text, "", 0, "C", false, 0, "")
	}

	y := 18.0
	if p.Subtitle != "" {
		center(y, "sans", "", 18, p.Subtitle, 80)
		y += 10
	}
	center(y, "sans", "B", 48, p.Title, 0)
	y += 22
	center(y, "sans", "B", 20, "Scan the code with your tablet or phone camera", 20)
	y += 9
	if p.Code != "" {
		center(y, "sans", "", 16, "or type the address and the code below", 60)
		y += 8
	}
	y += 4

	// The QR code: as large as the page allows with room for the text below.
	below := 60.0
	if p.Code == "" {
		below = 38
	}
	side := min(w-2*margin-20, h-y-below-12)
	if err := qr.DrawPDF(pdf, p.URL, (w-side)/2, y, side); err != nil {
		return nil, err
	}
	y += side + 4

	center(y, "sans", "", 14, "Address", 90)
	y += 7
	center(y, "sans", "B", 26, p.Address, 0)
	y += 14
	if p.Code != "" {
		center(y, "sans", "", 14, "Code", 90)
		y += 6
		center(y, "mono", "B", 60, p.Code, 0)
	}
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
