package qr_test

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jung-kurt/gofpdf"

	"rollcall/app/qr"
)

const url = "https://rollcall.maple.example/signin?username=lukasz.zolc"

// zbarimg decodes a QR image the way a phone would; the test needs the
// zbar-tools package.
func zbarimg(t *testing.T, path string) string {
	t.Helper()
	if _, err := exec.LookPath("zbarimg"); err != nil {
		t.Fatal("zbarimg not installed: apt-get install zbar-tools")
	}
	out, err := exec.Command("zbarimg", "--quiet", "--raw", path).Output()
	if err != nil {
		t.Fatalf("zbarimg %s: %v", path, err)
	}
	return strings.TrimSpace(string(out))
}

func TestPNG(t *testing.T) {
	b, err := qr.PNG(url, 256)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() != 256 {
		t.Fatalf("png: %v, %v", img.Bounds(), err)
	}
	p := filepath.Join(t.TempDir(), "code.png")
	os.WriteFile(p, b, 0o600)
	if got := zbarimg(t, p); got != url {
		t.Fatalf("decoded %q, want %q", got, url)
	}
}

func TestSVG(t *testing.T) {
	b, err := qr.SVG(url)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("<svg")) || !bytes.Contains(b, []byte(`shape-rendering="crispEdges"`)) {
		t.Fatalf("svg = %.100s", b)
	}
}

// The vector code in a PDF, rendered as a printer would, decodes.
func TestDrawPDF(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Fatal("pdftoppm not installed: apt-get install poppler-utils")
	}
	pdf := gofpdf.New("P", "mm", "A4", "")
	pdf.AddPage()
	if err := qr.DrawPDF(pdf, url, 20, 20, 40); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := pdf.OutputFileAndClose(filepath.Join(dir, "code.pdf")); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", "100", filepath.Join(dir, "code.pdf"), filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	if got := zbarimg(t, filepath.Join(dir, "page-1.png")); got != url {
		t.Fatalf("decoded %q, want %q", got, url)
	}
}

func BenchmarkDrawPDF(b *testing.B) {
	pdf := gofpdf.New("P", "mm", "A4", "")
	pdf.AddPage()
	for range b.N {
		qr.DrawPDF(pdf, url, 20, 20, 40)
	}
}
