package roster

import (
	"bytes"
	"encoding/csv"
	"io"
	"strconv"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"rollcall/app"
	"rollcall/app/sheet"
)

// resultColumns are the results file's first columns: what became of the
// row. The row as uploaded follows, every cell of it, and last the note
// that says which passwords Rollcall made.
var resultColumns = []string{"row", "status", "reason", "username", "login_email", "password"}

// PasswordNoteColumn names the results file's last column: "generated", or
// "generated: the file's password broke the rules", or empty for a password
// the file gave.
const PasswordNoteColumn = "password_note"

// ResultsHeader names the columns of the results file of res.
func ResultsHeader(res *app.ImportResult) []string {
	h := append([]string(nil), resultColumns...)
	switch {
	case res.Header != nil:
		h = append(h, res.Header...)
	case hasCells(res):
		for i := range width(res) {
			h = append(h, "column "+strconv.Itoa(i+1))
		}
	default: // pasted lines: the fields read
		for i, f := range app.ImportFields {
			if i != app.ColUsername && i != app.ColPassword {
				h = append(h, f)
			}
		}
	}
	return append(h, PasswordNoteColumn)
}

func hasCells(res *app.ImportResult) bool {
	for _, r := range res.Rows {
		if r.Cells != nil {
			return true
		}
	}
	return false
}

func width(res *app.ImportResult) int {
	n := len(res.Header)
	for _, r := range res.Rows {
		n = max(n, len(r.Cells))
	}
	return n
}

// resultRows are the results file's rows, header first. Created rows carry
// the username, login email and password; skipped rows the reason; every
// row its cells as uploaded (padded to the header's width).
func resultRows(res *app.ImportResult) [][]string {
	header := ResultsHeader(res)
	rows := [][]string{header}
	cells := hasCells(res)
	for _, r := range res.Rows {
		row := make([]string, 0, len(header))
		row = append(row, strconv.Itoa(r.Line), r.Status, r.Reason, r.Username, r.LoginEmail, r.Password)
		if cells {
			row = append(row, r.Cells...)
		} else {
			for i := range app.ImportFields {
				if i != app.ColUsername && i != app.ColPassword {
					row = append(row, valueAt(r.Values, i))
				}
			}
		}
		for len(row) < len(header)-1 {
			row = append(row, "")
		}
		rows = append(rows, append(row, r.PasswordNote))
	}
	return rows
}

func valueAt(v []string, i int) string {
	if i < len(v) {
		return v[i]
	}
	return ""
}

// WriteResultsCSV writes the results file as CSV in the upload's delimiter
// and encoding, with a byte-order mark so Excel reads it in that encoding
// (UTF-8 and UTF-16; a Windows-1252 upload is written back in Windows-1252,
// which has none, unless a cell holds a letter that code page lacks: then
// UTF-8 with BOM). An upload that was no CSV gets UTF-8 with BOM and
// commas. Every cell is defused against formula injection (sheet.SafeCell).
func WriteResultsCSV(w io.Writer, res *app.ImportResult) error {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.UseCRLF = true
	switch res.File.Delimiter {
	case "semicolon":
		cw.Comma = ';'
	case "tab":
		cw.Comma = '\t'
	}
	for _, row := range resultRows(res) {
		safe := make([]string, len(row))
		for i, c := range row {
			safe[i] = sheet.SafeCell(c)
		}
		if err := cw.Write(safe); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	out, err := encodeResults(b.Bytes(), res.File.Encoding)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// encodeResults encodes UTF-8 text in the upload's encoding with its BOM.
func encodeResults(text []byte, enc string) ([]byte, error) {
	switch enc {
	case EncodingUTF16LE, EncodingUTF16BE:
		e := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
		if enc == EncodingUTF16BE {
			e = unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
		}
		return e.NewEncoder().Bytes(text)
	case Encoding1252:
		if out, err := charmap.Windows1252.NewEncoder().Bytes(text); err == nil && utf8.Valid(text) {
			return out, nil
		}
	}
	return append([]byte("\ufeff"), text...), nil
}
