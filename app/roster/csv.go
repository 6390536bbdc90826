package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
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
		if known > 0 && (m.hasFirst || contains(m.columns, fullName)) {
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
// Quotes are read strictly: one not closed is refused, naming its row, rather
// than merging the rows after it into one value.
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
	if err := readRecords(text, delim, &table{f: f, lim: lim}); err != nil {
		return nil, err
	}
	return f, nil
}

// checkShape refuses a record with more than MaxColumns fields, or a field
// with more than MaxCell characters, before encoding/csv parses it (which
// holds a whole record at once, and grows its buffers by copying: a 20 MB
// line of commas cost 1.4 GB). Delimiters inside quotes do not count; the
// quote characters themselves are not counted as characters.
func checkShape(text string, delim rune, lim Limits) error {
	row, fields, chars, start, inQuote := 1, 1, 0, 0, false
	for i, r := range text {
		switch {
		case r == '"':
			inQuote = !inQuote
		case r == '\r':
		case !inQuote && r == '\n':
			row, fields, chars, start = row+1, 1, 0, i+1
		case !inQuote && r == delim:
			if fields++; fields > lim.MaxColumns {
				return invalid("Row %d has more than %d columns; is this the right file?", row, lim.MaxColumns)
			}
			chars, start = 0, i+1
		default:
			if chars++; chars > lim.MaxCell {
				return invalid("Row %d, column %d has more than %d characters (it starts %s); is this the right file?", row, fields, lim.MaxCell, quoteStart(strings.TrimLeft(text[start:], "\"")))
			}
		}
	}
	return nil
}

func readRecords(text string, delim rune, t *table) error {
	if err := checkShape(text, delim, t.lim); err != nil {
		return err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = delim
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	embedded := 0 // line breaks inside quoted fields so far
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			switch {
			case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrBareQuote):
				return invalid("Row %d: a quote is not closed (a value has a \" that is not at its start). Put the value in quotes and double the quote inside (\"\"), or remove it.", pe.StartLine-embedded)
			case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrQuote):
				return invalid("Row %d: a quote is not closed. Check the quotes on that row: a value that starts with \" must end with one.", pe.StartLine-embedded)
			case errors.As(err, &pe):
				return invalid("Row %d cannot be read: %v. Check the quotes on that row.", pe.StartLine-embedded, pe.Err)
			}
			return err
		}
		line, _ := r.FieldPos(0)
		row := line - embedded
		if row > MaxExcelRow+1 {
			return invalid("The file has more than %d rows.", MaxExcelRow)
		}
		for _, c := range rec {
			embedded += strings.Count(c, "\n")
		}
		if err := t.add(row, rec); err != nil {
			return err
		}
	}
	return t.done()
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
