// Package sheet writes spreadsheet files that people open in Excel or
// LibreOffice: CSV with a BOM so Excel reads UTF-8, and every cell defused
// against formula injection.
package sheet

import (
	"encoding/csv"
	"io"
	"strings"
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
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	for _, row := range rows {
		safe := make([]string, len(row))
		for i, c := range row {
			safe[i] = SafeCell(c)
		}
		if err := cw.Write(safe); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
