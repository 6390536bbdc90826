// Package sheet writes spreadsheet files that people open in Excel or
// LibreOffice: CSV with a BOM so Excel reads UTF-8, and every cell defused
// against formula injection.
package sheet

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding"
)

// SafeCell returns s so that a spreadsheet shows it as text: a cell that
// starts with = + - @ TAB CR or LF gets a leading apostrophe (OWASP CSV
// injection), which Excel and LibreOffice hide and treat as "text".
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r\n", rune(s[0])) {
		return "'" + s
	}
	return s
}

// bom makes Excel open the file as UTF-8 instead of the system code page.
const bom = "\ufeff"

// WriteCSV writes rows as RFC 4180 CSV (CRLF line ends, quotes where needed)
// after a UTF-8 BOM, every cell passed through SafeCell.
func WriteCSV(w io.Writer, rows [][]string) error {
	return WriteCSVWith(w, rows, CSVOptions{BOM: true})
}

// CSVOptions say how WriteCSVWith writes: the delimiter (',' when 0), a
// UTF-8 BOM first, and an encoder for another character set than UTF-8
// (then no BOM is written).
type CSVOptions struct {
	Comma   rune
	BOM     bool
	Encoder *encoding.Encoder
}

// UnencodableError names the first cell whose text the chosen character
// set cannot hold (a name in Greek written as Windows-1252).
type UnencodableError struct {
	Row, Column int // from 0
	Value       string
}

func (e *UnencodableError) Error() string {
	return fmt.Sprintf("row %d, column %d: %q cannot be written in this character set", e.Row+1, e.Column+1, e.Value)
}

// WriteCSVWith is WriteCSV with a delimiter and character set of choice:
// what a spreadsheet expects in the region it is opened in (";" in
// German, Finnish or French Excel). Every cell passes through SafeCell.
func WriteCSVWith(w io.Writer, rows [][]string, o CSVOptions) error {
	if o.Comma == 0 {
		o.Comma = ','
	}
	if o.BOM && o.Encoder == nil {
		if _, err := io.WriteString(w, bom); err != nil {
			return err
		}
	}
	cw := csv.NewWriter(w)
	cw.Comma = o.Comma
	cw.UseCRLF = true
	for i, row := range rows {
		safe := make([]string, len(row))
		for j, c := range row {
			safe[j] = SafeCell(c)
			if o.Encoder != nil {
				s, err := o.Encoder.String(safe[j])
				if err != nil {
					return &UnencodableError{Row: i, Column: j, Value: c}
				}
				safe[j] = s
			}
		}
		if err := cw.Write(safe); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
