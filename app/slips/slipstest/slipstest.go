// Package slipstest reads printed slips back for tests: the text of a PDF
// (pdftotext) and the QR code of every slip (pdftoppm, then zbarimg on each
// slip cut from the page), as a teacher's printer and a pupil's phone would.
package slipstest

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"rollcall/app/slips"
)

func need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed: apt-get install poppler-utils zbar-tools", tool)
		}
	}
}

// PDFText extracts the text of a PDF in drawing order (pdftotext -raw).
func PDFText(t testing.TB, pdf []byte) string {
	t.Helper()
	need(t, "pdftotext")
	p := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-raw", "-enc", "UTF-8", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// QRCodes renders every page at 150 dpi, as a printer would, cuts it into
// slips, and decodes the QR code of each with zbarimg, as a phone would.
func QRCodes(t testing.TB, pdf []byte, o slips.Options) []string {
	t.Helper()
	need(t, "pdftoppm", "zbarimg")
	dir := t.TempDir()
	p := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", "150", p, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
	var crops []string
	for _, page := range pages {
		f, err := os.Open(page)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		px := func(mm float64) int { return int(mm / 25.4 * 150) }
		for i, c := range slips.Cells(o) {
			r := image.Rect(px(c.X), px(c.Y), px(c.X+c.W), px(c.Y+c.H))
			crop := image.NewGray(r)
			draw.Draw(crop, r, img, r.Min, draw.Src)
			name := fmt.Sprintf("%s-cell%02d.png", strings.TrimSuffix(page, ".png"), i)
			var b bytes.Buffer
			png.Encode(&b, crop)
			os.WriteFile(name, b.Bytes(), 0o600)
			crops = append(crops, name)
		}
	}
	args := append([]string{"--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"}, crops...)
	out, err := exec.Command("zbarimg", args...).Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 4) { // 4: no code found in some crop
		t.Fatalf("zbarimg: %v", err)
	}
	var codes []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			codes = append(codes, l)
		}
	}
	return codes
}

// InsideCells fails the test when a word of the PDF (pdftotext -bbox) is
// not wholly inside one slip of the layout o: text must never run over
// into the next slip or off the label. The cut-lines' scissors are skipped.
func InsideCells(t testing.TB, pdf []byte, o slips.Options) {
	t.Helper()
	need(t, "pdftotext")
	p := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-bbox", "-enc", "UTF-8", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext -bbox: %v", err)
	}
	re := regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
	const tol = 0.5 // pt
	pt := func(mm float64) float64 { return mm / 25.4 * 72 }
	cells := slips.Cells(o)
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		if m[5] == "✂" {
			continue
		}
		var box [4]float64
		for i := range box {
			box[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		inside := false
		for _, c := range cells {
			if box[0] >= pt(c.X)-tol && box[1] >= pt(c.Y)-tol && box[2] <= pt(c.X+c.W)+tol && box[3] <= pt(c.Y+c.H)+tol {
				inside = true
				break
			}
		}
		if !inside {
			t.Errorf("%q at (%.1f, %.1f)–(%.1f, %.1f) pt is not inside one slip", html.UnescapeString(m[5]), box[0], box[1], box[2], box[3])
		}
	}
}
