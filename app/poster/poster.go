// Package poster prints a sign-up poster for a wall: one page (A4 or
// Letter) with a large QR code, the class or organization name, the short
// address, the code to type and one line of instructions.
package poster

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"rollcall/app"
	"rollcall/app/pdftext"
	"rollcall/app/qr"
)

// PDF renders the poster.
func PDF(p app.Poster) ([]byte, error) {
	size := "A4"
	if strings.EqualFold(p.Paper, app.PaperLetter) {
		size = "Letter"
	} else if p.Paper != "" && !strings.EqualFold(p.Paper, app.PaperA4) {
		return nil, fmt.Errorf("unknown paper %q (a4 or letter)", p.Paper)
	}
	d, err := pdftext.New(size, time.Time{})
	if err != nil {
		return nil, err
	}
	pdf := d.PDF
	tx := app.TextsFor(p.Language)
	pdf.SetTitle(tx.T("pdf.poster.title", "Title", p.Title), true)
	pdf.AddPage()
	w, h := pdf.GetPageSize()
	const margin = 16.0

	// A thick frame so the poster reads as one thing on a busy wall.
	pdf.SetDrawColor(20, 20, 20)
	pdf.SetLineWidth(1.2)
	pdf.Rect(8, 8, w-16, h-16, "D")

	// center draws text centred in a line of height 1.2 × pt whose top is
	// y, shrunk to fit the width (not below 10 pt), each script in its font.
	center := func(y float64, face string, pt float64, text string, gray int) {
		pt = d.Fit(face, pt, 10, w-2*margin, text)
		text = d.Ellipsize(face, pt, w-2*margin, text)
		lineH := pdftext.PtToMM(pt) * 1.2
		d.Text((w-d.Width(face, pt, text))/2, y+lineH/2+0.3*pdftext.PtToMM(pt), face, pt, gray, text)
	}

	y := 18.0
	if p.Subtitle != "" {
		center(y, pdftext.Sans, 18, p.Subtitle, 80)
		y += 10
	}
	center(y, pdftext.Bold, 48, p.Title, 0)
	y += 22
	center(y, pdftext.Bold, 20, tx.T("pdf.poster.scan"), 20)
	y += 9
	if p.Code != "" {
		center(y, pdftext.Sans, 16, tx.T("pdf.poster.orType"), 60)
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

	center(y, pdftext.Sans, 14, tx.T("pdf.poster.address"), 90)
	y += 7
	center(y, pdftext.Bold, 26, p.Address, 0)
	y += 14
	if p.Code != "" {
		center(y, pdftext.Sans, 14, tx.T("pdf.poster.code"), 90)
		y += 6
		center(y, pdftext.Mono, 60, p.Code, 0)
	}
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
