package roster

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// maxXMLRun bounds the bytes between one '<' and the next in a scanned
// part, so no single token (a tag or the text of a cell) the scanner reads
// can hold more than this in memory.
const maxXMLRun = 1 << 20

// scanParts reads the shared strings and the worksheets of a workbook as a
// stream, before excelize parses them, and refuses what excelize would
// otherwise load or copy whole: a shared-strings part over
// MaxSharedStrings, a string or cell over MaxCell characters, a row over
// MaxColumns cells. Memory stays bounded by maxXMLRun whatever the part.
func scanParts(data []byte, lim Limits) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return invalid("The file is not a readable Excel workbook (.xlsx). Open it in Excel and save it again, or save it as CSV.")
	}
	for _, zf := range zr.File {
		name := strings.ToLower(strings.ReplaceAll(zf.Name, "\\", "/"))
		var scan func(*xml.Decoder, string, Limits) error
		switch {
		case strings.HasSuffix(name, "sharedstrings.xml"):
			if zf.UncompressedSize64 > uint64(lim.MaxSharedStrings) {
				return invalid("The workbook's shared text (%s) unpacks to more than %d MB, more than a roster needs. Save the roster alone in a new workbook, or as CSV.", fmt.Sprintf("%.60s", zf.Name), lim.MaxSharedStrings>>20)
			}
			scan = scanSharedStrings
		case strings.HasPrefix(name, "xl/worksheets/") && strings.HasSuffix(name, ".xml"):
			scan = scanSheet
		default:
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return invalid("The workbook is damaged (%s). Open it in Excel and save it again, or save it as CSV.", strings.TrimPrefix(err.Error(), "zip: "))
		}
		d := xml.NewDecoder(&runLimiter{r: rc})
		d.Strict = false
		d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
		err = scan(d, zf.Name, lim)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// scanSharedStrings refuses a shared string (the text of all its runs)
// longer than MaxCell characters: excelize copies a shared string into
// every cell that uses it.
func scanSharedStrings(d *xml.Decoder, part string, lim Limits) error {
	n, inT := 0, 0
	for {
		tok, err := d.RawToken()
		if err != nil {
			return scanEnd(err, part)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch tok.Name.Local {
			case "si":
				n = 0
			case "t":
				inT++
			}
		case xml.EndElement:
			if tok.Name.Local == "t" && inT > 0 {
				inT--
			}
		case xml.CharData:
			if inT > 0 {
				if n += utf8.RuneCount(tok); n > lim.MaxCell {
					return cellTooLong(lim, tok)
				}
			}
		}
	}
}

// scanSheet refuses a row with more than MaxColumns cells or a cell whose
// text is longer than MaxCell characters, before excelize reads the row.
func scanSheet(d *xml.Decoder, part string, lim Limits) error {
	row, cols, n, inText := 0, 0, 0, 0
	for {
		tok, err := d.RawToken()
		if err != nil {
			return scanEnd(err, part)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch tok.Name.Local {
			case "row":
				row, cols = row+1, 0
				for _, a := range tok.Attr {
					if a.Name.Local == "r" {
						fmt.Sscan(a.Value, &row)
					}
				}
			case "c":
				if cols++; cols > lim.MaxColumns {
					return invalid("Row %d has more than %d columns; is this the right file?", row, lim.MaxColumns)
				}
				n = 0
			case "v", "t":
				inText++
			}
		case xml.EndElement:
			switch tok.Name.Local {
			case "v", "t":
				if inText > 0 {
					inText--
				}
			}
		case xml.CharData:
			if inText > 0 {
				if n += utf8.RuneCount(tok); n > lim.MaxCell {
					return cellTooLong(lim, tok)
				}
			}
		}
	}
}

func scanEnd(err error, part string) error {
	var tl errRunTooLong
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case errors.As(err, &tl):
		return invalid("The workbook part %s has a tag or text longer than %d MB; it is damaged or not a roster. Open it in Excel and save it again, or save it as CSV.", fmt.Sprintf("%.60s", part), maxXMLRun>>20)
	}
	return invalid("The workbook is damaged (%s: %s). Open it in Excel and save it again, or save it as CSV.", fmt.Sprintf("%.60s", part), sheetError(err))
}

func cellTooLong(lim Limits, text []byte) error {
	return invalid("The workbook has a cell longer than %d characters (it starts %s). Is this the right file?", lim.MaxCell, quoteStart(string(text)))
}

// quoteStart quotes the first 40 characters of s, with … when cut: a value
// in an error message is never copied whole.
func quoteStart(s string) string {
	if len(s) > 160 {
		s = s[:160]
	}
	if r := []rune(s); len(r) > 40 {
		return fmt.Sprintf("%q…", string(r[:40]))
	}
	return fmt.Sprintf("%q", s)
}

type errRunTooLong struct{}

func (errRunTooLong) Error() string { return "run too long" }

// runLimiter fails a read once more than maxXMLRun bytes pass without a '<'.
type runLimiter struct {
	r   io.Reader
	run int
}

func (l *runLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if i := bytes.LastIndexByte(p[:n], '<'); i >= 0 {
		l.run = n - 1 - i
	} else {
		l.run += n
	}
	if l.run > maxXMLRun {
		return 0, errRunTooLong{}
	}
	return n, err
}
