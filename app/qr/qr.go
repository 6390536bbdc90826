// Package qr draws QR codes (github.com/skip2/go-qrcode) as PNG, as SVG and
// as vector squares inside a gofpdf page — sharper on paper, smaller and
// faster than embedding a PNG.
package qr

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/jung-kurt/gofpdf"
	qrcode "github.com/skip2/go-qrcode"
)

// Quiet is the width of the white margin around a code, in modules, that
// scanners need (ISO/IEC 18004 asks for 4).
const Quiet = 4

// Matrix returns the code's modules without the quiet zone: true is dark.
// Error correction is Medium (15 %), enough for a printed, handled slip.
func Matrix(content string) ([][]bool, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr code for %q: %w", content, err)
	}
	q.DisableBorder = true
	return q.Bitmap(), nil
}

// PNG renders the code with its quiet zone as a size×size pixel PNG.
func PNG(content string, size int) ([]byte, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr code for %q: %w", content, err)
	}
	return q.PNG(size)
}

// SVG renders the code with its quiet zone as a scalable SVG image whose
// unit is one module; runs of dark modules become one rectangle each.
func SVG(content string) ([]byte, error) {
	m, err := Matrix(content)
	if err != nil {
		return nil, err
	}
	n := len(m) + 2*Quiet
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	eachRun(m, func(x, y, w int) { fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+Quiet, y+Quiet, w, w) })
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}

// DrawPDF draws the code as filled squares at (x, y) with the given side
// (page units), quiet zone included, on a white background.
func DrawPDF(pdf *gofpdf.Fpdf, content string, x, y, side float64) error {
	m, err := Matrix(content)
	if err != nil {
		return err
	}
	DrawMatrixPDF(pdf, m, x, y, side)
	return nil
}

// DrawMatrixPDF draws a code from Matrix as DrawPDF does, so that a caller
// printing many codes can compute the matrices on all cores first. The
// dark runs become one path filled once, written directly in PDF operators
// (much faster than a gofpdf Rect per run).
func DrawMatrixPDF(pdf *gofpdf.Fpdf, m [][]bool, x, y, side float64) {
	module := side / float64(len(m)+2*Quiet)
	pdf.SetFillColor(255, 255, 255)
	pdf.Rect(x, y, side, side, "F")
	pdf.SetFillColor(0, 0, 0)
	k := pdf.GetConversionRatio()
	_, pageH := pdf.GetPageSize()
	ox, oy := x+Quiet*module, y+Quiet*module
	num := func(b []byte, v float64) []byte { return strconv.AppendFloat(b, v, 'f', 2, 64) }
	b := make([]byte, 0, 16<<10)
	eachRun(m, func(cx, cy, w int) {
		b = num(b, (ox+float64(cx)*module)*k)
		b = append(b, ' ')
		b = num(b, (pageH-(oy+float64(cy)*module))*k)
		b = append(b, ' ')
		b = num(b, float64(w)*module*k)
		b = append(b, ' ')
		b = num(b, -module*k)
		b = append(b, " re\n"...)
	})
	b = append(b, 'f')
	pdf.RawWriteStr(string(b))
}

// eachRun calls fn for every horizontal run of dark modules.
func eachRun(m [][]bool, fn func(x, y, w int)) {
	for y, row := range m {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fn(start, y, x-start)
		}
	}
}
