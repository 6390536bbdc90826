package roster

import (
	"bytes"
	"encoding/csv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"rollcall/app"
)

// Encodings a CSV file is read in.
const (
	EncodingUTF8    = "UTF-8"
	EncodingUTF8BOM = "UTF-8 with BOM"
	EncodingUTF16LE = "UTF-16 LE"
	EncodingUTF16BE = "UTF-16 BE"
	Encoding1252    = "Windows-1252"
)

// Decode returns data as UTF-8 and the encoding it was in: a BOM decides
// (UTF-8, UTF-16 LE/BE as Excel's "Unicode text" writes), else valid UTF-8
// is taken as it is and anything else is read as Windows-1252, the code page
// Excel uses for "CSV" on Western European Windows.
func Decode(data []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		data = data[3:]
		if !utf8.Valid(data) {
			return "", "", invalid("The file says it is UTF-8 but is not; save it again as \"CSV UTF-8\".")
		}
		return string(data), EncodingUTF8BOM, nil
	case bytes.HasPrefix(data, []byte("\xff\xfe")), bytes.HasPrefix(data, []byte("\xfe\xff")):
		enc, name := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), EncodingUTF16LE
		if data[0] == 0xfe {
			enc, name = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), EncodingUTF16BE
		}
		out, err := enc.NewDecoder().Bytes(data)
		if err != nil {
			return "", "", invalid("The file starts like UTF-16 but cannot be read as such; save it again as \"CSV UTF-8\".")
		}
		return string(out), name, nil
	case utf8.Valid(data):
		return string(data), EncodingUTF8, nil
	}
	return decode1252(data), Encoding1252, nil
}

// Delimiter guesses the field separator from the header, the first line
// that is not blank: Excel's "sep=;" line if there is one, else whichever of
// comma, semicolon (German or French Excel) and TAB (Excel's "Unicode text")
// splits the header into a usable header with the most known columns, then
// the most columns matched exactly, then the most fields. "Nachname,
// Vorname;E-Mail" is read with semicolons. Nothing known at all: the one
// giving the most fields; a tie or none: comma.
func Delimiter(text string) rune {
	if d, _, ok := sepLine(text); ok {
		return d
	}
	header := headerLine(text)
	if len(header) > 16<<10 { // a real header is far shorter; a wide row is refused later
		header = header[:16<<10]
	}
	type score struct{ usable, known, exact, fields int }
	better := func(a, b score) bool {
		for _, d := range [][2]int{{a.usable, b.usable}, {a.known, b.known}, {a.exact, b.exact}, {a.fields, b.fields}} {
			if d[0] != d[1] {
				return d[0] > d[1]
			}
		}
		return false
	}
	best, bestScore := ',', score{}
	for i, d := range []rune{',', ';', '\t'} {
		cells := splitHeader(header, d)
		m, known := newMapping(cells)
		sc := score{known: known, fields: len(cells)}
		if known > 0 && m.usable() {
			sc.usable = 1
		}
		for _, c := range cells {
			if _, ok := aliases[normalizeHeader(c)]; ok {
				sc.exact++
			}
		}
		if i == 0 || better(sc, bestScore) {
			best, bestScore = d, sc
		}
	}
	return best
}

// sepLine reads Excel's "sep=X" first line: the delimiter it names and the
// text after it (Excel does not show that line as a row).
func sepLine(text string) (rune, string, bool) {
	line, rest, _ := strings.Cut(text, "\n")
	line = strings.TrimSuffix(line, "\r")
	if len(line) != 5 || !strings.EqualFold(line[:4], "sep=") {
		return 0, "", false
	}
	switch d := rune(line[4]); d {
	case ',', ';', '\t', '|':
		return d, rest, true
	}
	return 0, "", false
}

// headerLine is the first line with text, up to a line break outside quotes.
func headerLine(text string) string {
	inQuote, start := false, -1
	for i, r := range text {
		switch {
		case r == '"':
			inQuote = !inQuote
		case !inQuote && (r == '\n' || r == '\r'):
			if start >= 0 {
				return text[start:i]
			}
		case start < 0 && r != ' ':
			start = i
		}
	}
	if start < 0 {
		return ""
	}
	return text[start:]
}

// splitHeader splits a header line on d, honouring quotes.
func splitHeader(line string, d rune) []string {
	r := csv.NewReader(strings.NewReader(line))
	r.Comma, r.FieldsPerRecord, r.LazyQuotes = d, -1, true
	if rec, err := r.Read(); err == nil {
		return rec
	}
	return strings.Split(line, string(d))
}

// decode1252 decodes Windows-1252 into a string of exactly the right size
// in one allocation (the transform package grows and copies its buffer,
// then string() copies it again: about four times the file).
func decode1252(data []byte) string {
	var table [256]rune
	n := 0
	for i := range table {
		table[i] = charmap.Windows1252.DecodeByte(byte(i))
	}
	for _, b := range data {
		n += utf8.RuneLen(table[b])
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, b := range data {
		if b < 0x80 {
			sb.WriteByte(b)
		} else {
			sb.WriteRune(table[b])
		}
	}
	return sb.String()
}

// ReadCSV reads a CSV (or tab-separated text) roster. Quoted fields may hold
// delimiters, quotes and line breaks. Each row's number is the row a
// spreadsheet shows it on (a line break inside quotes does not start a new row).
// Quotes are read as Excel reads them (readRecords).
func ReadCSV(data []byte, lim Limits) (*app.ImportFile, error) {
	if int64(len(data)) > lim.MaxBytes {
		return nil, tooLarge(lim)
	}
	text, enc, err := Decode(data)
	if err != nil {
		return nil, err
	}
	text = strings.TrimPrefix(text, "\ufeff") // a BOM inside UTF-16
	delim := Delimiter(text)
	if _, rest, ok := sepLine(text); ok {
		text = rest
	}
	f := &app.ImportFile{Format: app.FormatCSV, Encoding: enc, Delimiter: delimiterName(delim)}
	if err := readRecords(text, delim, lim, &table{f: f, lim: lim}); err != nil {
		return nil, err
	}
	return f, nil
}

// readRecords reads CSV records as Excel and LibreOffice do, and passes
// each to t with its spreadsheet row (a line break inside quotes does not
// start a new row; a blank line is a row):
//   - a cell that starts with a quote runs to the next quote not doubled
//     (""), across delimiters and line breaks; what follows that quote up
//     to the delimiter is kept as it is (Excel reads "ab"c as abc);
//   - a quote anywhere else is an ordinary character: Robert "Bob" and
//     =HYPERLINK("x") are read as written (encoding/csv refuses them, and
//     with LazyQuotes reads a quote that is never closed to the end of the
//     file without a word);
//   - a cell that starts with a quote that is never closed is refused,
//     naming its row, rather than merging every row after it into one value.
//
// A record with more than MaxColumns cells or a cell with more than MaxCell
// characters is refused as soon as it is seen, so memory stays bounded by
// the record being read.
func readRecords(text string, delim rune, lim Limits, t sink) error {
	d := byte(delim)
	var buf []byte
	var ends []int
	row := 0
	for i := 0; i < len(text); {
		row++
		if row > MaxExcelRow+1 {
			return invalid("The file has more than %d rows.", MaxExcelRow)
		}
		buf, ends = buf[:0], ends[:0]
		for {
			start := len(buf)
			if i < len(text) && text[i] == '"' {
				i++
				closed := false
				for i < len(text) {
					c := text[i]
					if c == '"' {
						if i+1 < len(text) && text[i+1] == '"' {
							buf = append(buf, '"')
							i += 2
							continue
						}
						i++
						closed = true
						break
					}
					if c == '\r' && i+1 < len(text) && text[i+1] == '\n' {
						i++ // a line break inside quotes is read as \n, as encoding/csv does
						continue
					}
					buf = append(buf, c)
					i++
					if len(buf)-start > 4*lim.MaxCell {
						break // too long whatever follows; refused below
					}
				}
				if !closed && len(buf)-start <= 4*lim.MaxCell {
					return invalid("Row %d: a quote is not closed. A value that starts with \" must end with one; check the quotes on that row.", row)
				}
			}
			j := i
			for j < len(text) && text[j] != d && text[j] != '\n' && text[j] != '\r' {
				if j-i > 4*lim.MaxCell {
					return invalid("Row %d, column %d has more than %d characters (it starts %s); is this the right file?", row, len(ends)+1, lim.MaxCell, quoteStart(text[i:i+160]))
				}
				j++
			}
			buf = append(buf, text[i:j]...)
			i = j
			if n := len(buf) - start; n > lim.MaxCell && utf8.RuneCount(buf[start:]) > lim.MaxCell {
				return invalid("Row %d, column %d has more than %d characters (it starts %s); is this the right file?", row, len(ends)+1, lim.MaxCell, quoteStart(string(buf[start:start+min(n, 160)])))
			}
			ends = append(ends, len(buf))
			if len(ends) > lim.MaxColumns {
				return invalid("Row %d has more than %d columns; is this the right file?", row, lim.MaxColumns)
			}
			if i >= len(text) {
				break
			}
			if text[i] == d {
				i++
				continue
			}
			if text[i] == '\r' {
				i++
				if i < len(text) && text[i] == '\n' {
					i++
				}
			} else {
				i++
			}
			break
		}
		s := string(buf)
		cells := make([]string, len(ends))
		from := 0
		for k, e := range ends {
			cells[k] = s[from:e]
			from = e
		}
		if err := t.add(row, cells); err != nil {
			return err
		}
	}
	return t.done()
}

// sink takes the records readRecords reads.
type sink interface {
	add(row int, cells []string) error
	done() error
}

func delimiterName(r rune) string {
	switch r {
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	}
	return "comma"
}
