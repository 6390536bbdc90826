// Package roster reads the files school rosters come in — CSV in whatever
// encoding and delimiter Excel saved it with, XLSX workbooks, and lines
// pasted into a box — into an app.ImportFile, and writes the import
// template and results files. Every reader is bounded: file size, rows,
// columns and (for XLSX) unzipped size, so a hostile file is refused with a
// clear message instead of exhausting memory.
package roster

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"rollcall/app"
)

// Limits bound what a reader accepts.
type Limits struct {
	MaxBytes   int64 // size of the file as uploaded
	MaxRows    int   // rows with data, header excluded
	MaxColumns int
	// MaxUnzipped caps the sum of the unzipped parts of an XLSX file (a zip
	// bomb is refused from the sizes in the zip directory, before inflating).
	MaxUnzipped int64
	// MaxPart caps any one unzipped part other than worksheets, which are
	// streamed from a temporary file when larger than MaxXMLInMemory.
	MaxPart        int64
	MaxXMLInMemory int64
	// MaxCell caps the characters of any one cell (and of any XLSX shared
	// string, which excelize copies into every cell that uses it).
	MaxCell int
	// MaxSharedStrings caps the unzipped shared-strings part of a workbook.
	MaxSharedStrings int64
	// MaxKept caps the bytes of all values kept from a file.
	MaxKept int
}

// DefaultLimits are generous for a school (a district of 200,000 people)
// and keep memory bounded on a laptop.
var DefaultLimits = Limits{
	MaxBytes:       50 << 20,
	MaxRows:        200_000,
	MaxColumns:     200,
	MaxUnzipped:    256 << 20,
	MaxPart:        32 << 20,
	MaxXMLInMemory: 4 << 20,
	MaxCell:        4096,
	// 16 MB holds the unique names and addresses of a 200,000-person
	// district; a part over MaxXMLInMemory is read from a temporary file.
	MaxSharedStrings: 16 << 20,
	MaxKept:          64 << 20,
}

// MaxExcelRow is the last row a worksheet can have.
const MaxExcelRow = 1_048_576

func invalid(format string, args ...any) error { return app.Errorf(app.EINVALID, format, args...) }

// Read reads a roster file whose kind is told by its name (.csv, .txt,
// .tsv, .xlsx) or, failing that, by its first bytes. size is the length if
// known (-1 otherwise): a file over the limit is refused before it is read.
func Read(r io.Reader, name string, size int64, lim Limits) (*app.ImportFile, error) {
	if size > lim.MaxBytes {
		return nil, tooLarge(lim)
	}
	data, err := readLimited(r, size, lim.MaxBytes)
	if errors.Is(err, errTooLarge) {
		return nil, tooLarge(lim)
	} else if err != nil {
		return nil, err
	}
	var f *app.ImportFile
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case ext == ".xls":
		return nil, invalid("%s is an old Excel 97–2003 file (.xls). Save it as an Excel workbook (.xlsx) or CSV and try again.", name)
	case ext == ".ods" || ext == ".numbers":
		return nil, invalid("Rollcall reads CSV and Excel (.xlsx) files. Save %s as .xlsx or CSV and try again.", name)
	case ext == ".zip" || ext != ".xlsx" && ext != ".xlsm" && bytes.HasPrefix(data, []byte("PK\x03\x04")) && isBundle(data):
		f, err = readZipBundle(data, name, lim)
		if err == nil {
			return f, nil
		}
	case ext == ".xlsx" || ext == ".xlsm" || bytes.HasPrefix(data, []byte("PK\x03\x04")):
		f, err = ReadXLSX(data, lim)
	default:
		f, err = ReadCSV(data, lim)
	}
	if err != nil {
		return nil, err
	}
	f.Name = fileName(name)
	f.SHA256 = Sum(data)
	return f, nil
}

// fileName is the base name of an uploaded file, without control
// characters and at most 120 characters: it is shown and recorded.
func fileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, filepath.Base(strings.ReplaceAll(name, "\\", "/")))
	if r := []rune(name); len(r) > 120 {
		name = string(r[:120])
	}
	if name == "" || name == "." || name == "/" {
		name = "upload"
	}
	return name
}

// readLimited reads r whole, refusing it as soon as it passes max bytes. An
// unknown size is read in chunks joined at the end, so a refused stream
// costs at most max bytes of memory (io.ReadAll's doubling would cost more).
func readLimited(r io.Reader, size, max int64) ([]byte, error) {
	if size >= 0 {
		data := make([]byte, size)
		if n, err := io.ReadFull(r, data); errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, invalid("The upload ended early: %d of its %d bytes arrived. Send the file again.", n, size)
		} else if err != nil {
			return nil, fmt.Errorf("read the file: %w", err)
		}
		if n, _ := r.Read(make([]byte, 1)); n > 0 {
			return nil, invalid("The upload is longer than the size it announced (%d bytes). Send the file again.", size)
		}
		return data, nil
	}
	var chunks [][]byte
	var total int64
	for {
		chunk := make([]byte, 1<<20)
		n, err := io.ReadFull(r, chunk)
		total += int64(n)
		if total > max {
			return nil, errTooLarge
		}
		chunks = append(chunks, chunk[:n])
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("read the file: %w", err)
		}
	}
	return bytes.Join(chunks, nil), nil
}

// errTooLarge is replaced by tooLarge(lim) in Read.
var errTooLarge = errors.New("too large")

// Sum is the hex SHA-256 of a file, which recognises the same file
// imported twice.
func Sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

func tooLarge(lim Limits) error {
	return invalid("The file is larger than %d MB. Split it into smaller files, or remove columns Rollcall does not use.", lim.MaxBytes>>20)
}

// table builds an ImportFile from records; the first record with a known
// column is the header. line(i) is the spreadsheet row of record i. A file
// whose first row names no column Rollcall knows is kept as it is (every
// row's cells) for the preview's column-mapping step.
type table struct {
	f       *app.ImportFile
	m       *mapping
	raw     bool // no header recognised: rows keep their cells only
	lim     Limits
	dataRow int
	kept    int // bytes of the values kept so far
}

func (t *table) add(line int, cells []string) error {
	if len(cells) > t.lim.MaxColumns {
		return invalid("Row %d has more than %d columns; is this the right file?", line, t.lim.MaxColumns)
	}
	for i, c := range cells {
		if len(c) > t.lim.MaxCell && utf8.RuneCountInString(c) > t.lim.MaxCell {
			return invalid("Row %d, column %d has more than %d characters (it starts %s); is this the right file?", line, i+1, t.lim.MaxCell, quoteStart(c))
		}
	}
	if isComment(cells) {
		return nil
	}
	if t.m == nil && !t.raw {
		if allEmpty(cells) || isVersionLine(cells) {
			return nil
		}
		m, known := newMapping(cells)
		if known == 0 || !m.usable() {
			// No header Rollcall can read: the admin says what each column
			// holds. A row with known column names is probably a header.
			t.raw = true
			t.f.NeedsMapping, t.f.FirstRowHeader = true, known > 0
			t.f.Columns, t.f.Unknown = []string{}, []string{}
			t.f.Suggested = make([]string, len(cells))
			if known > 0 {
				for i, c := range cells {
					t.f.Suggested[i] = Field(c)
				}
			}
		} else {
			t.m = m
			t.f.Columns, t.f.Unknown, t.f.Layout = m.columns, m.unknown, m.layout
			t.f.Header = append([]string(nil), cells...)
			if t.f.Unknown == nil {
				t.f.Unknown = []string{}
			}
			return nil
		}
	}
	var row app.ImportRow
	if t.raw {
		if allEmpty(cells) {
			return nil
		}
		row = app.ImportRow{Line: line, Cells: cells}
	} else {
		var ok bool
		if row, ok = t.m.row(line, cells); !ok {
			return nil
		}
	}
	if t.dataRow++; t.dataRow > t.lim.MaxRows {
		return invalid("The file has more than %d rows of people; split it into smaller files.", t.lim.MaxRows)
	}
	for _, c := range cells {
		t.kept += len(c) + 16
	}
	if t.kept > t.lim.MaxKept {
		return invalid("The file holds more than %d MB of text; split it into smaller files.", t.lim.MaxKept>>20)
	}
	t.f.Rows = append(t.f.Rows, row)
	return nil
}

func (t *table) done() error {
	if t.m == nil && !t.raw {
		return invalid("The file is empty: it has no row naming the columns and no people.")
	}
	if len(t.f.Rows) == 0 {
		return invalid("The file has a row of column names but no people below it.")
	}
	return nil
}

// isVersionLine reports the line Entra's bulk-create template starts with
// ("version:v1.0", then empty cells), before its header.
func isVersionLine(cells []string) bool {
	return len(cells) > 0 && strings.HasPrefix(strings.ToLower(strings.TrimSpace(cells[0])), "version:") && allEmpty(cells[1:])
}

// isComment reports a row whose first non-empty cell starts with #: the
// template's explanation rows.
func isComment(cells []string) bool {
	for _, c := range cells {
		if c = strings.TrimSpace(c); c != "" {
			return strings.HasPrefix(c, commentPrefix)
		}
	}
	return false
}

func allEmpty(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteList(cells []string, n int) string {
	var out []string
	for _, c := range cells {
		if c = strings.TrimSpace(c); c != "" {
			if r := []rune(c); len(r) > 40 {
				c = string(r[:40]) + "…"
			}
			out = append(out, fmt.Sprintf("%q", c))
		}
		if len(out) == n {
			out = append(out, "…")
			break
		}
	}
	if len(out) == 0 {
		return "nothing"
	}
	return strings.Join(out, ", ")
}
