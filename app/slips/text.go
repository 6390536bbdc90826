package slips

import (
	"time"

	"rollcall/app/pdftext"
)

// Font faces used on slips and sheets.
const (
	sans = pdftext.Sans
	bold = pdftext.Bold
	mono = pdftext.Mono // passwords, where 0/O and 1/l/I differ
)

// Placeholder is printed, in red, for letters no embedded font prints right
// (Hangul, Arabic, ...), so a missing letter is never a silent empty box.
const Placeholder = pdftext.Placeholder

// doc is a slips or sheet PDF: the shared text drawing of pdftext.Doc.
type doc struct{ *pdftext.Doc }

func newDoc(paper string, now time.Time) (*doc, error) {
	size := "A4"
	if paper == PaperLetter {
		size = "Letter"
	}
	d, err := pdftext.New(size, now)
	return &doc{d}, err
}

func ptToMM(pt float64) float64 { return pdftext.PtToMM(pt) }
