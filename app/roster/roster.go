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

	"golang.org/x/text/unicode/norm"

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

// fullName is a pseudo-field: a "Name" column split into first and last name.
const fullName = "full_name"

// aliases maps a normalized header (lower case, only letters and digits) to
// a field of app.ImportFields. They cover the exports of common school and
// directory systems (Entra/Azure AD, Google Workspace, Apple School Manager,
// ThingLink, ilos) and the column names people type in English, German,
// French, Finnish and Swedish.
var aliases = map[string]string{}

func init() {
	for field, names := range map[string][]string{
		"first_name": {"firstname", "first", "givenname", "given", "forename", "forenames", "preferredfirstname",
			"studentfirstname", "vorname", "prenom", "etunimi", "fornamn", "nombre", "voornaam"},
		"last_name": {"lastname", "last", "surname", "familyname", "family", "sn", "studentlastname",
			"nachname", "nom", "nomdefamille", "sukunimi", "efternamn", "apellido", "apellidos", "achternaam"},
		"email": {"email", "emailaddress", "mail", "emailid", "primaryemail", "primaryemailaddress", "useremail",
			"emailadresse", "courriel", "sahkoposti", "epost", "epostadress", "correo", "login_email", "loginemail"},
		"username": {"username", "user", "login", "loginname", "loginid", "userid", "userlogonname",
			"userprincipalname", "upn", "samaccountname", "account", "accountname", "benutzername", "benutzer",
			"kayttajatunnus", "tunnus", "anvandarnamn", "identifiant"},
		"password": {"password", "pass", "pwd", "passwd", "initialpassword", "temporarypassword", "newpassword",
			"passwort", "kennwort", "motdepasse", "salasana", "losenord"},
		"account_type": {"accounttype", "type", "role", "roles", "usertype", "userrole", "accountrole", "profile",
			"persontype", "rolle", "typ", "rooli", "roll"},
		"groups": {"groups", "group", "class", "classes", "classname", "department", "departments", "homeroom",
			"form", "section", "grade", "groupname", "memberof", "team", "teams", "klasse", "gruppe", "abteilung",
			"classe", "groupe", "luokka", "ryhma", "klass", "grupp", "avdelning"},
		"language": {"language", "lang", "locale", "preferredlanguage", "languagecode", "sprache", "langue",
			"kieli", "sprak", "idioma"},
		"phone": {"phone", "phonenumber", "mobile", "mobilephone", "mobilenumber", "telephone", "telephonenumber",
			"tel", "cell", "cellphone", "businessphones", "officephone", "telefon", "handy", "telephone",
			"puhelin", "matkapuhelin"},
		"labels": {"labels", "label", "tags", "tag"},
		"deletion_date": {"deletiondate", "deleteon", "deleteafter", "deletedate", "expires", "expiry",
			"expirydate", "expirationdate", "enddate", "leavingdate", "leavedate", "accountexpires",
			"loschdatum", "ablaufdatum", "poistopaiva"},
		"job_title": {"jobtitle", "title", "position", "jobposition", "occupation", "stellung", "berufsbezeichnung",
			"titre", "tehtavanimike", "nimike", "befattning"},
		// Google Workspace's "Change Password at Next Sign-In", Entra's
		// "Force change password next sign in".
		"change_password": {"changepassword", "changepasswordatnextsignin", "changepasswordatnextlogin",
			"changepasswordatfirstsignin", "changeatfirstsignin", "changepasswordatsignin", "mustchangepassword",
			"forcechangepasswordnextsignin", "forcechangepassword", "forcepasswordchange", "passwordchangerequired",
			"requirepasswordchange", "passwortandern", "kennwortandern", "changermotdepasse", "vaihdasalasana",
			"bytlosenord"},
		fullName: {"name", "fullname", "displayname", "studentname", "personname", "pupilname", "cn",
			"vollstandigername", "nomcomplet", "nimi", "namn",
			// "Lovelace, Ada" in one column, as German school systems export it
			"nachnamevorname", "lastnamefirstname", "surnamefirstname", "namevorname"},
	} {
		for _, n := range names {
			aliases[normalizeHeader(n)] = field
		}
		aliases[normalizeHeader(field)] = field
	}
}

// normalizeHeader lower-cases h, drops accents and keeps letters and digits:
// "E-Mail Address" → "emailaddress", "Prénom" → "prenom".
func normalizeHeader(h string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(h)) {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') || r >= 0x80 && unicode.IsLetter(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Field returns the field of app.ImportFields (or "full_name") a column
// header means, or "" when Rollcall does not know it.
func Field(header string) string {
	h := normalizeHeader(header)
	if f, ok := aliases[h]; ok {
		return f
	}
	// "Email (login)", "Class / Group", "E-mail address [school]": what
	// stands before a bracket, slash, bar or colon decides. "Class teacher"
	// or "Name of parent" mean something else: unknown, reported and dropped.
	// A qualifier naming someone else ("Phone (parent)") is not the person's.
	if i := strings.IndexAny(header, "([/|:"); i > 0 && !aboutSomeoneElse(header) {
		if f, ok := aliases[normalizeHeader(header[:i])]; ok {
			return f
		}
	}
	return ""
}

// otherPeople are words in a header that make a column someone else's data.
var otherPeople = map[string]bool{}

func init() {
	for _, w := range []string{"parent", "parents", "guardian", "guardians", "mother", "father", "carer",
		"emergency", "contact", "teacher", "tutor", "eltern", "vater", "mutter", "erziehungsberechtigte",
		"erziehungsberechtigter", "lehrer", "lehrerin", "parents", "tuteur", "huoltaja", "vanhempi", "opettaja",
		"vardnadshavare", "foralder", "foraldrar", "larare"} {
		otherPeople[normalizeHeader(w)] = true
	}
}

func aboutSomeoneElse(header string) bool {
	for _, w := range strings.FieldsFunc(header, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if otherPeople[normalizeHeader(w)] {
			return true
		}
	}
	return false
}

// mapping turns a header row into the positions of known fields.
type mapping struct {
	index    []int // column → field index, -1 unknown, -2 full name
	columns  []string
	unknown  []string
	hasFirst bool
}

func newMapping(header []string) (*mapping, int) {
	m := &mapping{index: make([]int, len(header))}
	seen := map[int]bool{}
	known := 0
	for i, h := range header {
		m.index[i] = -1
		f := Field(h)
		switch {
		case f == fullName && !seen[-2]:
			m.index[i], seen[-2] = -2, true
			m.columns = append(m.columns, fullName)
			known++
		case f != "" && f != fullName && !seen[app.ImportFieldIndex(f)]:
			k := app.ImportFieldIndex(f)
			m.index[i], seen[k] = k, true
			m.columns = append(m.columns, f)
			known++
			if k == app.ColFirstName {
				m.hasFirst = true
			}
		case strings.TrimSpace(h) != "":
			m.unknown = append(m.unknown, strings.TrimSpace(h))
		}
	}
	if m.hasFirst { // a Name column beside First name is only a display name
		for i, k := range m.index {
			if k == -2 {
				m.index[i] = -1
				m.unknown = append(m.unknown, strings.TrimSpace(header[i]))
			}
		}
	}
	return m, known
}

// row maps one record's cells to values aligned with app.ImportFields; ok is
// false for a row with no value at all.
func (m *mapping) row(cells []string) (values []string, ok bool) {
	values = make([]string, len(app.ImportFields))
	for i, c := range cells {
		if i >= len(m.index) || m.index[i] == -1 {
			continue
		}
		c = strings.TrimSpace(c)
		if c != "" {
			ok = true
		}
		if m.index[i] == -2 {
			values[app.ColFirstName], values[app.ColLastName] = app.SplitName(c)
			continue
		}
		values[m.index[i]] = c
	}
	return values, ok
}

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
// column is the header. line(i) is the spreadsheet row of record i.
type table struct {
	f       *app.ImportFile
	m       *mapping
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
	if t.m == nil {
		if allEmpty(cells) {
			return nil
		}
		m, known := newMapping(cells)
		if known == 0 || (!m.hasFirst && !contains(m.columns, fullName)) {
			return invalid("Row %d should name the columns, with at least first_name (or First name, Given name, Name). Found: %s. Download the template to see the columns Rollcall reads.", line, quoteList(cells, 8))
		}
		t.m = m
		t.f.Columns, t.f.Unknown = m.columns, m.unknown
		if t.f.Unknown == nil {
			t.f.Unknown = []string{}
		}
		return nil
	}
	values, ok := t.m.row(cells)
	if !ok {
		return nil
	}
	if t.dataRow++; t.dataRow > t.lim.MaxRows {
		return invalid("The file has more than %d rows of people; split it into smaller files.", t.lim.MaxRows)
	}
	for _, v := range values {
		t.kept += len(v)
	}
	if t.kept > t.lim.MaxKept {
		return invalid("The file holds more than %d MB of text in the columns Rollcall reads; split it into smaller files.", t.lim.MaxKept>>20)
	}
	t.f.Rows = append(t.f.Rows, app.ImportRow{Line: line, Values: values})
	return nil
}

func (t *table) done() error {
	if t.m == nil {
		return invalid("The file is empty: it has no row naming the columns and no people.")
	}
	if len(t.f.Rows) == 0 {
		return invalid("The file has a row of column names but no people below it.")
	}
	return nil
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
