package app

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// ImportFields are the columns an import file may have, in the template's
// order. Every row of an ImportFile carries its values in this order.
var ImportFields = []string{
	"first_name", "last_name", "email", "username", "password", "account_type",
	"groups", "language", "phone", "labels", "deletion_date", "job_title", "change_password", "status",
}

// Indexes into ImportRow.Values.
const (
	ColFirstName = iota
	ColLastName
	ColEmail
	ColUsername
	ColPassword
	ColAccountType
	ColGroups
	ColLanguage
	ColPhone
	ColLabels
	ColDeletionDate
	ColJobTitle
	// ColChangePassword: TRUE/FALSE (yes/no, 1/0), as Google's "Change
	// Password at Next Sign-In"; empty follows the import's option.
	ColChangePassword
	// ColStatus: empty or active creates the person; deleted, tobedeleted,
	// inactive, suspended, blocked, nologin (what Canvas, OneRoster, Google,
	// Moodle and Entra write, read into these words) do not.
	ColStatus
)

// ImportFieldIndex returns the index of a field of ImportFields, or -1.
func ImportFieldIndex(field string) int {
	for i, f := range ImportFields {
		if f == field {
			return i
		}
	}
	return -1
}

// Import file formats.
const (
	FormatCSV       = "csv"
	FormatXLSX      = "xlsx"
	FormatPaste     = "paste"     // lines pasted into a box: First Last,email[,password]
	FormatOneRoster = "oneroster" // a OneRoster CSV bundle (.zip or several files)
)

// ImportFile is a roster as read from a CSV or XLSX file, a OneRoster
// bundle or pasted text, before any checking: the columns Rollcall knows,
// one row per person, each with its row number in the original file.
// Unknown columns are named in Unknown; their values are kept only in the
// row's Cells, in memory, to echo the row in the results file.
type ImportFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Format string `json:"format"`
	// Layout names the layout recognised by its header, e.g. "Microsoft
	// Entra bulk-create template"; "" for a file with columns of its own.
	Layout string `json:"layout,omitempty"`
	// Encoding and Delimiter say how a CSV file was read (for the preview,
	// and the results file is written the same way).
	Encoding  string `json:"encoding,omitempty"`
	Delimiter string `json:"delimiter,omitempty"`
	Sheet     string `json:"sheet,omitempty"`
	// Columns are the fields the file has, in its column order.
	Columns []string `json:"columns"`
	// Unknown are the headers of the columns that were dropped.
	Unknown []string `json:"unknown_columns"`
	// Header is the header row as uploaded (nil without one).
	Header []string `json:"-"`
	// NeedsMapping is set when no header was recognised: the rows hold
	// only their Cells (the first row too) until a ColumnMapping is applied.
	NeedsMapping bool `json:"needs_mapping,omitempty"`
	// FirstRowHeader guesses, for a file that NeedsMapping, whether its
	// first row names the columns.
	FirstRowHeader bool `json:"first_row_header,omitempty"`
	// Suggested is, for a file that NeedsMapping, what each column seems to
	// hold from its first row's cell (a field, or "").
	Suggested []string `json:"-"`
	// mapping is the ColumnMapping a Remap applied.
	mapping *ColumnMapping
	// GroupNotes are notes for groups the file names (a OneRoster class's
	// school, course code and terms), by group name.
	GroupNotes map[string]string `json:"group_notes,omitempty"`
	Rows       []ImportRow       `json:"rows"`
}

// ImportRow is one person of a file.
type ImportRow struct {
	// Line is the row number in the original file, as a spreadsheet shows it.
	Line int `json:"line"`
	// Values are aligned with ImportFields; a column the file lacks is "".
	Values []string `json:"values"`
	// Cells are the row as uploaded, every column (for the results file).
	Cells []string `json:"-"`
	// FullName is the one cell the first and last name were split from
	// ("" when the file has them in columns of their own).
	FullName string `json:"full_name,omitempty"`
	// Skip says why the row is not a person to create (a parent in a
	// OneRoster file); such a row is not an error.
	Skip string `json:"skip,omitempty"`
}

// FullNameField is the pseudo-field of a column holding the whole name,
// split into first and last name (SplitName).
const FullNameField = "full_name"

// ColumnMapping says what each column of a file holds, chosen in the
// preview's mapping step: a field of ImportFields, FullNameField, or ""
// to leave the column out.
type ColumnMapping struct {
	Columns []string `json:"columns"`
	// Header says the file's first row names the columns (it is not a person).
	Header bool `json:"header"`
}

// MappingKey names the header set of a file that needs a mapping: its
// first row when it names the columns, else its number of columns. A
// mapping chosen once is remembered under this key.
func (f *ImportFile) MappingKey(header bool) string {
	if len(f.Rows) == 0 {
		return ""
	}
	var k string
	if header {
		parts := make([]string, len(f.Rows[0].Cells))
		for i, c := range f.Rows[0].Cells {
			parts[i] = Key(c)
		}
		k = "header\x00" + strings.Join(parts, "\x00")
	} else {
		k = "columns\x00" + strconv.Itoa(f.width())
	}
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:16])
}

// width is the number of columns of the widest row.
func (f *ImportFile) width() int {
	n := 0
	for _, r := range f.Rows {
		n = max(n, len(r.Cells))
	}
	return n
}

// UnescapeCell takes off the apostrophe Rollcall's exports and results
// files put before a cell that starts with = + - @ (sheet.SafeCell, against
// formula injection), so that "'+49 30 1234" is read as "+49 30 1234". An
// apostrophe before anything else is the cell's own (O'Brien, 'Bob').
func UnescapeCell(c string) string {
	if len(c) > 1 && c[0] == '\'' && strings.IndexByte("=+-@", c[1]) >= 0 {
		return c[1:]
	}
	return c
}

// Remap applies a column mapping to a file that NeedsMapping and returns
// the file as if its columns had been recognised. Errors: EINVALID (a
// field that does not exist, no column for the first name).
func (f *ImportFile) Remap(m ColumnMapping) (*ImportFile, error) {
	idx := make([]int, len(m.Columns))
	hasName := false
	seen := map[int]bool{}
	out := *f
	out.NeedsMapping, out.Columns, out.Unknown, out.Header = false, []string{}, []string{}, nil
	out.mapping = &ColumnMapping{Columns: append([]string(nil), m.Columns...), Header: m.Header}
	var header []string
	if m.Header && len(f.Rows) > 0 {
		header = f.Rows[0].Cells
		out.Header = header
	}
	for i, c := range m.Columns {
		switch k := ImportFieldIndex(c); {
		case c == "":
			idx[i] = -1
			if i < len(header) && strings.TrimSpace(header[i]) != "" {
				out.Unknown = append(out.Unknown, strings.TrimSpace(header[i]))
			}
			continue
		case c == FullNameField:
			idx[i] = -2
			hasName = true
		case k < 0:
			return nil, FieldError(EINVALID, "mapping", "There is no field %q; choose one of %s.", c, strings.Join(ImportFields, ", "))
		case seen[k] && k != ColGroups:
			return nil, FieldError(EINVALID, "mapping", "Two columns are chosen as the %s; choose it for one column only.", strings.ReplaceAll(c, "_", " "))
		default:
			idx[i] = k
			seen[k] = true
			hasName = hasName || k == ColFirstName
		}
		out.Columns = append(out.Columns, c)
	}
	if !hasName {
		return nil, FieldError(EINVALID, "mapping", "Choose the column that holds the first name (or the whole name).")
	}
	rows := f.Rows
	if m.Header && len(rows) > 0 {
		rows = rows[1:]
	}
	out.Rows = make([]ImportRow, 0, len(rows))
	for _, r := range rows {
		values := make([]string, len(ImportFields))
		row := ImportRow{Line: r.Line, Cells: r.Cells}
		any := false
		for i, c := range r.Cells {
			if i >= len(idx) || idx[i] == -1 {
				continue
			}
			c = UnescapeCell(strings.TrimSpace(c))
			if c == "" {
				continue
			}
			any = true
			switch k := idx[i]; {
			case k == -2:
				row.FullName = c
			case k == ColGroups && values[k] != "":
				values[k] += ";" + c
			default:
				values[k] = c
			}
		}
		if !any {
			continue
		}
		if row.FullName != "" && values[ColFirstName] == "" && values[ColLastName] == "" {
			values[ColFirstName], values[ColLastName] = SplitName(row.FullName)
		} else {
			row.FullName = ""
		}
		row.Values = values
		out.Rows = append(out.Rows, row)
	}
	return &out, nil
}
