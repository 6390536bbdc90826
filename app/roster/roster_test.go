package roster_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"rollcall/app"
	"rollcall/app/roster"
)

func mustRead(t testing.TB, data []byte, name string) *app.ImportFile {
	t.Helper()
	f, err := roster.Read(bytes.NewReader(data), name, int64(len(data)), roster.DefaultLimits)
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	return f
}

func value(f *app.ImportFile, row int, field string) string {
	return f.Rows[row].Values[app.ImportFieldIndex(field)]
}

const müller = "first_name,last_name,email\r\nJürgen,Müller,j.mueller@example.org\r\nÅsa,Öberg,\r\n"

func utf16(t *testing.T, s string, e unicode.Endianness) []byte {
	b, err := unicode.UTF16(e, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodings(t *testing.T) {
	cp1252, err := charmap.Windows1252.NewEncoder().Bytes([]byte(müller))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, encoding string
		data           []byte
	}{
		{"UTF-8", roster.EncodingUTF8, []byte(müller)},
		{"UTF-8 BOM", roster.EncodingUTF8BOM, append([]byte("\xef\xbb\xbf"), müller...)},
		{"UTF-16 LE", roster.EncodingUTF16LE, utf16(t, strings.ReplaceAll(müller, ",", "\t"), unicode.LittleEndian)},
		{"UTF-16 BE", roster.EncodingUTF16BE, utf16(t, müller, unicode.BigEndian)},
		{"Windows-1252", roster.Encoding1252, cp1252},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustRead(t, tt.data, "class.csv")
			if f.Encoding != tt.encoding {
				t.Errorf("encoding = %q, want %q", f.Encoding, tt.encoding)
			}
			if len(f.Rows) != 2 || value(f, 0, "last_name") != "Müller" || value(f, 0, "first_name") != "Jürgen" || value(f, 1, "last_name") != "Öberg" {
				t.Fatalf("rows = %+v", f.Rows)
			}
			if got := f.Columns; strings.Join(got, ",") != "first_name,last_name,email" {
				t.Errorf("columns = %v", got)
			}
			if f.Rows[0].Line != 2 || f.Rows[1].Line != 3 {
				t.Errorf("lines = %d, %d", f.Rows[0].Line, f.Rows[1].Line)
			}
		})
	}
}

func TestDelimiters(t *testing.T) {
	for name, delim := range map[string]string{"comma": ",", "semicolon": ";", "tab": "\t"} {
		t.Run(name, func(t *testing.T) {
			// German Excel: semicolons, and commas inside values.
			text := strings.Join([]string{"Vorname", "Nachname", "Klasse", "Tags"}, delim) + "\n" +
				strings.Join([]string{"Anna", "Schmidt", "3B", `"a, b; c"`}, delim) + "\n"
			f := mustRead(t, []byte(text), "x.csv")
			if f.Delimiter != name {
				t.Errorf("delimiter = %q, want %q", f.Delimiter, name)
			}
			if value(f, 0, "first_name") != "Anna" || value(f, 0, "groups") != "3B" {
				t.Fatalf("row = %v", f.Rows[0].Values)
			}
			if value(f, 0, "labels") != "a, b; c" {
				t.Errorf("quoted value = %q", value(f, 0, "labels"))
			}
		})
	}
}

func TestAliases(t *testing.T) {
	tests := map[string]string{
		"First Name": "first_name", "Given name": "first_name", "givenName": "first_name", "first_name": "first_name",
		"Vorname": "first_name", "Prénom": "first_name", "Etunimi": "first_name",
		"Last Name": "last_name", "Surname": "last_name", "familyName": "last_name", "Nachname": "last_name",
		"Email Address": "email", "E-mail": "email", "mail": "email", "EMAIL": "email", "Email (login)": "email",
		"User name": "username", "userPrincipalName": "username", "Login": "username", "sAMAccountName": "username",
		"Password": "password", "Initial password": "password",
		"Role": "account_type", "Account type": "account_type", "Type": "account_type",
		"Class": "groups", "Group": "groups", "Department": "groups", "Groups": "groups", "Klasse": "groups",
		"Language": "language", "Locale": "language",
		"Phone": "phone", "Mobile phone": "phone", "Telephone number": "phone",
		"Labels": "labels", "Tags": "labels",
		"Deletion date": "deletion_date", "Delete on": "deletion_date", "Expiry date": "deletion_date",
		"Job title": "job_title", "Title": "job_title",
		"Change Password at Next Sign-In": "change_password", "Change at first sign-in": "change_password",
		"Must change password": "change_password", "change_password": "change_password",
		"Name": "full_name", "Display name": "full_name", "Full name": "full_name",
		"Class / Group": "groups", "E-mail address [school]": "email", "Phone: mobile": "phone",
		"Shoe size": "", "Favourite colour": "", "": "",
		// Private data under a known word is not taken for a roster field.
		"Notes": "", "Class teacher": "", "Name of parent": "", "Email of parent": "", "Phone (parent)": "", "E-Mail (Eltern)": "", "Mobile / guardian": "",
	}
	for header, want := range tests {
		if got := roster.Field(header); got != want {
			t.Errorf("Field(%q) = %q, want %q", header, got, want)
		}
	}
	// An Entra-like export: every alias mapped, unknown columns reported and dropped.
	text := "givenName,surname,userPrincipalName,mail,Department,Shoe size,jobTitle\n" +
		"Ada,Lovelace,ada@x.example,ada.l@x.example,Maths,38,Teacher\n"
	f := mustRead(t, []byte(text), "entra.csv")
	if strings.Join(f.Unknown, ",") != "Shoe size" {
		t.Errorf("unknown = %v", f.Unknown)
	}
	// userPrincipalName is a sign-in name: its local part is the username
	// (the file has an email column of its own).
	want := []string{"Ada", "Lovelace", "ada.l@x.example", "ada", "", "", "Maths", "", "", "", "", "Teacher", "", ""}
	if fmt.Sprint(f.Rows[0].Values) != fmt.Sprint(want) {
		t.Errorf("values = %q\nwant %q", f.Rows[0].Values, want)
	}
	if strings.Contains(fmt.Sprint(f.Rows[0].Values), "38") {
		t.Error("the unknown column's value was read into a field")
	}
	// A single Name column is split into first and last name.
	f = mustRead(t, []byte("Name,Class\nAda King Lovelace,3B\n\"Hopper, Grace\",3C\n"), "names.csv")
	if value(f, 0, "first_name") != "Ada King" || value(f, 0, "last_name") != "Lovelace" || value(f, 1, "first_name") != "Grace" || value(f, 1, "last_name") != "Hopper" {
		t.Errorf("split names = %v", f.Rows)
	}
}

func TestEmbeddedNewlines(t *testing.T) {
	text := "first_name,last_name,labels\r\n" +
		"Ada,Lovelace,\"line one\r\nline two\"\r\n" +
		"\r\n" +
		"Grace,\"Hop\nper\",x\r\n" +
		"Alan,Turing,\"a \"\"quoted\"\" word\"\r\n"
	f := mustRead(t, []byte(text), "nl.csv")
	if len(f.Rows) != 3 {
		t.Fatalf("rows = %d", len(f.Rows))
	}
	if got := value(f, 0, "labels"); got != "line one\nline two" {
		t.Errorf("embedded newline = %q", got)
	}
	if got := value(f, 2, "labels"); got != `a "quoted" word` {
		t.Errorf("quotes = %q", got)
	}
	// Spreadsheet rows: a newline inside quotes does not make a new row; the blank line does.
	if f.Rows[0].Line != 2 || f.Rows[1].Line != 4 || f.Rows[2].Line != 5 {
		t.Errorf("lines = %d %d %d, want 2 4 5", f.Rows[0].Line, f.Rows[1].Line, f.Rows[2].Line)
	}
}

func TestEmptyAndHeaderOnly(t *testing.T) {
	tests := map[string]struct{ data, want string }{
		"empty":          {"", "empty"},
		"BOM only":       {"\ufeff", "empty"},
		"blank lines":    {"\n\n  \n", "empty"},
		"header only":    {"first_name,last_name,email\r\n", "no people"},
		"header, blanks": {"\ufefffirst_name;last_name\n;\n\n", "no people"},
		"bad quotes":     {"first_name,last_name\n\"Ada,Lovelace\nx\"y,z\"w", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := roster.Read(strings.NewReader(tt.data), "x.csv", -1, roster.DefaultLimits)
			if err == nil && tt.want != "" {
				t.Fatal("no error")
			}
			if err != nil && app.ErrorCode(err) != app.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// csvRows builds a CSV roster of n people.
func csvRows(n int) []byte {
	var b bytes.Buffer
	b.WriteString("\ufeffFirst name;Last name;E-mail;Class;Role\r\n")
	for i := range n {
		fmt.Fprintf(&b, "Pupil%05d;Müller;p%05d@school.example;%dB;student\r\n", i, i, i%9+1)
	}
	return b.Bytes()
}

func TestTenThousandRows(t *testing.T) {
	f := mustRead(t, csvRows(10_000), "big.csv")
	if len(f.Rows) != 10_000 {
		t.Fatalf("rows = %d", len(f.Rows))
	}
	if last := f.Rows[9999]; last.Line != 10_001 || last.Values[app.ColFirstName] != "Pupil09999" || last.Values[app.ColGroups] != "1B" {
		t.Fatalf("last row = %+v", last)
	}
	lim := roster.DefaultLimits
	lim.MaxRows = 9_999
	if _, err := roster.ReadCSV(csvRows(10_000), lim); err == nil || !strings.Contains(err.Error(), "more than 9999 rows") {
		t.Fatalf("row limit: %v", err)
	}
}

func xlsxFile(t testing.TB, sheets map[string][][]any, order ...string) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, name := range order {
		if i == 0 {
			f.SetSheetName("Sheet1", name)
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range sheets[name] {
			if row == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestXLSX(t *testing.T) {
	data := xlsxFile(t, map[string][][]any{
		"Notes": {{"This workbook lists class 3B"}},
		"Class": {
			{"First Name", "Surname", "E-mail", "Class", "Phone", "Deletion date", "Shoe size"},
			{"Jürgen", "Müller", "j@x.example", "3B", 4915112345678, "2027-07-31", 38},
			nil, // an empty row
			{"Zoë", "Ødegård", "", "3B|Choir", "+49 151", 46599, 39},
		},
	}, "Notes", "Class")
	f := mustRead(t, data, "class.xlsx")
	if f.Format != app.FormatXLSX || f.Sheet != "Class" || len(f.Rows) != 2 {
		t.Fatalf("file = %+v", f)
	}
	if value(f, 0, "last_name") != "Müller" || value(f, 0, "phone") != "4915112345678" || value(f, 0, "deletion_date") != "2027-07-31" {
		t.Errorf("row 1 = %q", f.Rows[0].Values)
	}
	if f.Rows[1].Line != 4 || value(f, 1, "first_name") != "Zoë" || value(f, 1, "groups") != "3B|Choir" {
		t.Errorf("row 2 = %d %q", f.Rows[1].Line, f.Rows[1].Values)
	}
	if value(f, 1, "deletion_date") != "2027-07-31" { // 46599 is the serial number of 2027-07-31
		t.Errorf("date serial = %q", value(f, 1, "deletion_date"))
	}
	if strings.Join(f.Unknown, ",") != "Shoe size" {
		t.Errorf("unknown = %v", f.Unknown)
	}
	t.Run("NotAWorkbook", func(t *testing.T) {
		for _, data := range [][]byte{[]byte("PK\x03\x04garbage"), []byte("hello"), {}} {
			_, err := roster.ReadXLSX(data, roster.DefaultLimits)
			if app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.Error(), "Excel") {
				t.Errorf("ReadXLSX(%q) = %v", data, err)
			}
		}
		_, err := roster.Read(strings.NewReader("x"), "old.xls", 1, roster.DefaultLimits)
		if err == nil || !strings.Contains(err.Error(), ".xlsx") {
			t.Errorf("xls = %v", err)
		}
	})
	t.Run("NoHeader", func(t *testing.T) {
		// No header Rollcall knows: every row is kept for the mapping step.
		f, err := roster.ReadXLSX(xlsxFile(t, map[string][][]any{"A": {{1, 2}, {3, 4}}}, "A"), roster.DefaultLimits)
		if err != nil || !f.NeedsMapping || len(f.Rows) != 2 || f.Rows[1].Cells[1] != "4" {
			t.Errorf("no header = %+v, %v", f, err)
		}
		_, err = roster.ReadXLSX(xlsxFile(t, map[string][][]any{"A": {{"First name"}}}, "A"), roster.DefaultLimits)
		if err == nil || !strings.Contains(err.Error(), "no people") {
			t.Errorf("header only = %v", err)
		}
		_, err = roster.ReadXLSX(xlsxFile(t, map[string][][]any{"A": {}}, "A"), roster.DefaultLimits)
		if err == nil || !strings.Contains(err.Error(), "empty") {
			t.Errorf("empty = %v", err)
		}
	})
}

func TestPaste(t *testing.T) {
	text := "Ada Lovelace,ada@example.org,secret-pass-1\r\n\nGrace Brewster Hopper,grace@example.org\nTuring, Alan, alan@example.org\nMononym\nX Y,x@y.example,pa,ss,word1\n"
	f, err := roster.ParsePaste(text, roster.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"1", "Ada", "Lovelace", "ada@example.org", "secret-pass-1"},
		{"3", "Grace Brewster", "Hopper", "grace@example.org", ""},
		{"4", "Alan", "Turing", "alan@example.org", ""},
		{"5", "Mononym", "", "", ""},
		{"6", "X", "Y", "x@y.example", "pa,ss,word1"},
	}
	if len(f.Rows) != len(want) {
		t.Fatalf("rows = %v", f.Rows)
	}
	for i, w := range want {
		r := f.Rows[i]
		got := []string{fmt.Sprint(r.Line), r.Values[app.ColFirstName], r.Values[app.ColLastName], r.Values[app.ColEmail], r.Values[app.ColPassword]}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("row %d = %q, want %q", i, got, w)
		}
	}
	// Columns pasted from a spreadsheet, with their header, read like a CSV.
	f, err = roster.ParsePaste("First name\tLast name\tClass\nAda\tLovelace\t3B\n", roster.DefaultLimits)
	if err != nil || f.Format != app.FormatPaste || value(f, 0, "groups") != "3B" || f.Rows[0].Line != 2 {
		t.Fatalf("pasted columns = %+v, %v", f, err)
	}
	if _, err := roster.ParsePaste(" \n\n", roster.DefaultLimits); err == nil {
		t.Error("empty paste accepted")
	}
}

func TestTemplates(t *testing.T) {
	var c bytes.Buffer
	if err := roster.WriteTemplateCSV(&c); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(c.Bytes(), []byte("\xef\xbb\xbffirst_name,last_name,email,username,password,account_type,groups,language,phone,labels,deletion_date,job_title,change_password,status\r\n")) {
		t.Fatalf("CSV template starts %q", c.String()[:80])
	}
	if !strings.Contains(c.String(), "# groups: Classes or departments") {
		t.Error("the CSV template does not explain the columns")
	}
	f := mustRead(t, c.Bytes(), "template.csv")
	if len(f.Rows) != 1 || value(f, 0, "first_name") != "Ada" || value(f, 0, "groups") != "3B;Choir" || value(f, 0, "change_password") != "TRUE" {
		t.Fatalf("template read back = %+v", f.Rows)
	}
	var x bytes.Buffer
	if err := roster.WriteTemplateXLSX(&x); err != nil {
		t.Fatal(err)
	}
	f = mustRead(t, x.Bytes(), "template.xlsx")
	if len(f.Rows) != 1 || f.Sheet != "People" || value(f, 0, "last_name") != "Lovelace" || value(f, 0, "change_password") != "TRUE" || len(f.Columns) != 14 || f.Layout != roster.LayoutRollcall {
		t.Fatalf("XLSX template read back = %+v", f)
	}
	wb, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	help, _ := wb.GetRows("Help")
	if len(help) < 13 || help[7][0] != "groups" || !strings.Contains(help[7][1], "separated by ; or |") {
		t.Errorf("Help sheet = %q", help)
	}
}

func TestResults(t *testing.T) {
	values := func(first, last string) []string {
		v := make([]string, len(app.ImportFields))
		v[app.ColFirstName], v[app.ColLastName] = first, last
		return v
	}
	res := &app.ImportResult{Rows: []app.ImportResultRow{
		{Line: 2, Values: values("Ada", "Lovelace"), Status: app.RowCreated, Username: "ada.lovelace", LoginEmail: "ada.lovelace@pupils.example", Password: "tiger-moon-47"},
		{Line: 3, Values: values("=HYPERLINK(\"http://evil.example\")", "@SUM(A1)"), Status: app.RowSkipped, Reason: "The first name contains ..."},
		{Line: 5, Values: values("Zoë", "+1"), Status: app.RowCreated, Username: "zoe.1", Password: "pass+word=1"},
	}}
	var c bytes.Buffer
	if err := roster.WriteResultsCSV(&c, res); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(c.Bytes(), []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var x bytes.Buffer
	if err := roster.WriteResultsXLSX(&x, res); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	xrows, err := wb.GetRows("Results")
	if err != nil {
		t.Fatal(err)
	}
	for name, rows := range map[string][][]string{"CSV": rows, "XLSX": xrows} {
		if len(rows) != 4 || strings.Join(rows[0][:6], ",") != "row,status,reason,username,login_email,password" {
			t.Fatalf("%s header = %v", name, rows[0])
		}
		if r := rows[1]; r[0] != "2" || r[1] != "created" || r[3] != "ada.lovelace" || r[4] != "ada.lovelace@pupils.example" || r[5] != "tiger-moon-47" || r[6] != "Ada" {
			t.Errorf("%s created row = %q", name, r)
		}
		if r := rows[2]; r[1] != "skipped" || r[5] != "" || r[2] == "" {
			t.Errorf("%s skipped row = %q", name, r)
		}
		if rows[3][5] != "pass+word=1" {
			t.Errorf("%s password cell = %q; a password is written exactly as given", name, rows[3][5])
		}
	}
	// Neither file has a cell that starts with a formula trigger: both
	// escape it with a leading ' (security.md, Injection).
	for name, rows := range map[string][][]string{"CSV": rows, "XLSX": xrows} {
		for _, r := range rows {
			for _, cell := range r {
				if cell != "" && strings.ContainsRune("=+-@\t\r\n", rune(cell[0])) {
					t.Errorf("%s: cell %q starts with a formula trigger", name, cell)
				}
			}
		}
	}
	if xrows[2][6] != "'=HYPERLINK(\"http://evil.example\")" || xrows[2][7] != "'@SUM(A1)" || xrows[3][7] != "'+1" {
		t.Errorf("XLSX cells not escaped as in the CSV: %q", xrows[2])
	}
	// No XLSX cell is a formula.
	for r := 1; r <= 4; r++ {
		for c := 1; c <= 16; c++ {
			cell, _ := excelize.CoordinatesToCellName(c, r)
			if f, _ := wb.GetCellFormula("Results", cell); f != "" {
				t.Errorf("cell %s is a formula: %q", cell, f)
			}
		}
	}
}

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{
		"class.csv": "class.csv", `C:\Users\it\Klasse 3B.csv`: "Klasse 3B.csv", "/tmp/x/y.csv": "y.csv",
		"evil\u202e.csv": "evil.csv", "bad\r\nname.csv": "badname.csv", "": "upload",
	} {
		f, err := roster.Read(strings.NewReader("first_name\nAda\n"), in, -1, roster.DefaultLimits)
		if err != nil {
			t.Errorf("name %q: %v", in, err)
		} else if f.Name != want {
			t.Errorf("name %q → %q; want %q", in, f.Name, want)
		}
	}
}

func TestDelimiterByKnownColumns(t *testing.T) {
	for _, tt := range []struct{ text, delim, first, last, email string }{
		// A comma inside a header, semicolons between: the split with more known columns wins.
		{"Nachname, Vorname;E-Mail\nLovelace, Ada;ada@x.example\n", "semicolon", "Ada", "Lovelace", "ada@x.example"},
		// Excel's sep= line decides, and is not a row.
		{"sep=;\nfirst_name;last_name;x,y\nAda;Lovelace,Jr;1,2\n", "semicolon", "Ada", "Lovelace,Jr", ""},
		{"SEP=,\r\nfirst_name,last_name,x;y\r\nAda,Lovelace;Jr,1;2\r\n", "comma", "Ada", "Lovelace;Jr", ""},
		{"first_name\tlast_name\nAda\tLovelace\n", "tab", "Ada", "Lovelace", ""},
	} {
		f := mustRead(t, []byte(tt.text), "x.csv")
		if f.Delimiter != tt.delim || value(f, 0, "first_name") != tt.first || value(f, 0, "last_name") != tt.last || value(f, 0, "email") != tt.email {
			t.Errorf("%q: delimiter %s, row %v", tt.text, f.Delimiter, f.Rows[0].Values)
		}
		if f.Rows[0].Line != 2 {
			t.Errorf("%q: first person on row %d, want 2", tt.text, f.Rows[0].Line)
		}
	}
}

// A quote that is not closed is reported on its row; it never swallows the
// rows after it into one value.
func TestUnclosedQuote(t *testing.T) {
	for text, want := range map[string]string{
		"first_name,last_name\n\"Ada,Lovelace\nGrace,Hopper\nAlan,Turing\n": "Row 2: a quote is not closed",
		"first_name,last_name\n\"Ada\nKing\",Lovelace\n\"Grace,Hopper\n":    "Row 3: a quote is not closed",
	} {
		_, err := roster.Read(strings.NewReader(text), "x.csv", -1, roster.DefaultLimits)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error = %v, want %q", text, err, want)
		}
	}
}

// Issue 10 #8e: a formula-looking value in the XLSX results is a text cell
// escaped like the CSV's: read back it has no formula, the sheet's XML has
// no <f> element, and the cell starts with '.
func TestResultsXLSXNoFormula(t *testing.T) {
	values := make([]string, len(app.ImportFields))
	values[app.ColFirstName] = `=HYPERLINK("http://x","y")`
	values[app.ColLastName] = "-2+3"
	res := &app.ImportResult{Rows: []app.ImportResultRow{{Line: 2, Values: values, Status: app.RowSkipped, Reason: "=1+1"}}}
	var x bytes.Buffer
	if err := roster.WriteResultsXLSX(&x, res); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(x.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := wb.GetRows("Results")
	if err != nil {
		t.Fatal(err)
	}
	for r := 1; r <= len(rows); r++ {
		for c := 1; c <= len(rows[0]); c++ {
			cell, _ := excelize.CoordinatesToCellName(c, r)
			if f, _ := wb.GetCellFormula("Results", cell); f != "" {
				t.Errorf("cell %s is a formula: %q", cell, f)
			}
			if typ, _ := wb.GetCellType("Results", cell); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
				t.Errorf("cell %s has type %v, want a string cell", cell, typ)
			}
		}
	}
	if got := rows[1][6]; got != `'=HYPERLINK("http://x","y")` {
		t.Errorf("first_name cell = %q, want it escaped with a leading '", got)
	}
	if rows[1][7] != "'-2+3" || rows[1][2] != "'=1+1" {
		t.Errorf("cells = %q, want every trigger escaped", rows[1])
	}
	zr, err := zip.NewReader(bytes.NewReader(x.Bytes()), int64(x.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "xl/worksheets/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Contains(data, []byte("<f>")) || bytes.Contains(data, []byte("<f ")) {
			t.Errorf("%s holds a formula element", f.Name)
		}
	}
}
