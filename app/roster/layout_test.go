package roster_test

import (
	"slices"
	"strings"
	"testing"

	"rollcall/app"
)

// TestLayoutEscapedCells: Rollcall's exports (and results files) escape a
// cell starting with = + - @ with a leading apostrophe against formula
// injection (sheet.SafeCell); the import takes it off again, in CSV and
// XLSX, so "+49 30 1234" comes back as it was exported. An apostrophe
// before anything else is the name's own (O'Brien, 'Bob').
func TestLayoutEscapedCells(t *testing.T) {
	csvFile := "first_name,last_name,phone,job_title,email\r\n" +
		"Ada,Lovelace,'+49 30 1234,'-lead,'@x\r\n" +
		"'Bob,'O'Brien,'030 1,'=SUM(1),ada@home.example\r\n" +
		"',Smith,'+,'',\r\n"
	rows := [][]any{{"first_name", "last_name", "phone", "job_title", "email"},
		{"Ada", "Lovelace", "'+49 30 1234", "'-lead", "'@x"},
		{"'Bob", "'O'Brien", "'030 1", "'=SUM(1)", "ada@home.example"},
		{"'", "Smith", "'+", "''", ""}}
	for name, data := range map[string][]byte{
		"people.csv":  []byte(csvFile),
		"people.xlsx": xlsxFile(t, map[string][][]any{"People": rows}, "People"),
	} {
		f := mustRead(t, data, name)
		for i, want := range [][]string{
			{"Ada", "Lovelace", "+49 30 1234", "-lead", "@x"},
			{"'Bob", "'O'Brien", "'030 1", "=SUM(1)", "ada@home.example"},
			{"'", "Smith", "+", "''", ""},
		} {
			var got []string
			for _, c := range []string{"first_name", "last_name", "phone", "job_title", "email"} {
				got = append(got, value(f, i, c))
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s row %d = %q, want %q", name, i+2, got, want)
			}
		}
	}
	// A file without a known header, read through the mapping step.
	f := mustRead(t, []byte("Lovelace;Ada;'+49 30 1234\r\nO'Brien;'Bob;'030 1\r\n"), "list.csv")
	f, err := f.Remap(app.ColumnMapping{Columns: []string{"last_name", "first_name", "phone"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := value(f, 0, "phone") + "|" + value(f, 1, "phone") + "|" + value(f, 1, "first_name"); got != "+49 30 1234|'030 1|'Bob" {
		t.Errorf("mapped: %q", got)
	}
}

// TestLayoutPhoneColumns: Google's template has Work Phone and Mobile
// Phone (its Home Phone is left out), Entra's Office phone and Mobile
// phone; Rollcall's Google and Entra exports fill the mobile one. Every
// phone column is read, the first filled one of a row wins, and none is
// reported as unknown; so do two phone columns of any other file.
func TestLayoutPhoneColumns(t *testing.T) {
	for _, tt := range []struct{ name, file, want string }{
		{"google.csv", "First Name [Required],Last Name [Required],Email Address [Required],Work Phone,Mobile Phone\r\n" +
			"Ada,Lovelace,ada@maple.example,,0049 30 1\r\n", "0049 30 1"},
		{"entra.csv", "version:v1.0,,,,,\r\nName [displayName] Required,User name [userPrincipalName] Required,First name [givenName],Last name [surname],Office phone [telephoneNumber],Mobile phone [mobile]\r\n" +
			"Ada Lovelace,ada@maple.example,Ada,Lovelace,,0049 30 1\r\n", "0049 30 1"},
		{"plain.csv", "First name,Last name,Phone,Mobile\r\nAda,Lovelace,030 2,0049 30 1\r\n", "030 2"},
	} {
		f := mustRead(t, []byte(tt.file), tt.name)
		if got := value(f, 0, "phone"); got != tt.want {
			t.Errorf("%s: phone %q, want %q", tt.name, got, tt.want)
		}
		for _, c := range f.Unknown {
			if strings.Contains(strings.ToLower(c), "phone") || c == "Mobile" {
				t.Errorf("%s: %q is reported as unknown", tt.name, c)
			}
		}
		if got := strings.Count(strings.Join(f.Columns, ","), "phone"); got != 1 {
			t.Errorf("%s: columns %q", tt.name, f.Columns)
		}
	}
}
