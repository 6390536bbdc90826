package poster_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"rollcall/app"
	"rollcall/app/poster"
)

// render turns page 1 of a PDF into a PNG as a printer would and returns
// the QR code zbarimg reads from it, and the PDF's text.
func render(t *testing.T, pdf []byte) (code, text string, png string) {
	t.Helper()
	for _, tool := range []string{"pdftoppm", "zbarimg", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (apt-get install poppler-utils zbar-tools)", tool)
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "poster.pdf")
	os.WriteFile(in, pdf, 0o600)
	if out, err := exec.Command("pdftoppm", "-png", "-r", "60", "-singlefile", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	png = filepath.Join(dir, "page.png")
	out, err := exec.Command("zbarimg", "--quiet", "--raw", png).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	txt, err := exec.Command("pdftotext", in, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out)), string(txt), png
}

func TestPosterPDF(t *testing.T) {
	for _, paper := range []string{app.PaperA4, app.PaperLetter} {
		t.Run(paper, func(t *testing.T) {
			url := "http://192.168.1.20:8081/join/K7QM3XRD"
			pdf, err := poster.PDF(app.Poster{Title: "Klasse 3B — Łódź", Subtitle: "Maple Primary", URL: url,
				Address: app.ShortAddress("http://192.168.1.20:8081/join"), Code: "K7QM-3XRD", Paper: paper})
			if err != nil {
				t.Fatal(err)
			}
			got, text, png := render(t, pdf)
			if got != url {
				t.Fatalf("QR decodes to %q, want %q", got, url)
			}
			for _, want := range []string{"Klasse 3B — Łódź", "Maple Primary", "192.168.1.20:8081/join", "K7QM-3XRD"} {
				if !strings.Contains(text, want) {
					t.Errorf("poster text lacks %q:\n%s", want, text)
				}
			}
			if dir := os.Getenv("POSTER_OUT"); dir != "" { // to look at it
				b, _ := os.ReadFile(png)
				os.WriteFile(filepath.Join(dir, "poster-"+paper+".png"), b, 0o644)
			}
		})
	}
	if _, err := poster.PDF(app.Poster{Title: "x", URL: "http://x", Paper: "a3"}); err == nil {
		t.Fatal("unknown paper accepted")
	}
}

func TestPosterLink(t *testing.T) {
	url := "https://rollcall.maple.example/link/" + strings.Repeat("Ab9_", 11)
	pdf, err := poster.PDF(app.Poster{Title: "Staff sign-up", URL: url, Address: app.ShortAddress(url)})
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := render(t, pdf); got != url {
		t.Fatalf("QR decodes to %q, want %q", got, url)
	}
}

// A title in Chinese prints in the embedded fallback font (not as empty
// boxes in DejaVu), and one in a script no font prints right as the
// placeholder: the poster draws text as the slips do.
func TestPosterScripts(t *testing.T) {
	url := "http://192.168.1.20:8081/join/K7QM3XRD"
	pdf, err := poster.PDF(app.Poster{Title: "三年二班", Subtitle: "מכבי 3B", URL: url, Address: "192.168.1.20:8081/join", Code: "K7QM-3XRD"})
	if err != nil {
		t.Fatal(err)
	}
	got, text, _ := render(t, pdf)
	if got != url {
		t.Fatalf("QR decodes to %q", got)
	}
	if !strings.Contains(text, "三年二班") || !strings.Contains(text, "[?] 3B") {
		t.Errorf("poster text:\n%s", text)
	}
	p := filepath.Join(t.TempDir(), "p.pdf")
	os.WriteFile(p, pdf, 0o600)
	fonts, err := exec.Command("pdffonts", p).Output()
	if err != nil {
		t.Fatalf("pdffonts: %v", err)
	}
	if !strings.Contains(string(fonts), "droid") {
		t.Errorf("the Chinese title is not in the fallback font:\n%s", fonts)
	}
}
