package roster_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"rollcall/app"
	"rollcall/app/roster"
)

// credentials is a small roster as a job leaves it: with passwords, one
// person deactivated, an international phone number, a personal address.
func credentials(format string) *app.Roster {
	org := &app.Organization{ID: "org-1", Name: "Maple", Slug: "maple", Kind: app.KindSchool, LoginDomain: "maple.example"}
	g := &app.Group{ID: "g-1", Name: "3B", Kind: app.GroupClass}
	return &app.Roster{Org: org, Groups: []*app.Group{g}, Passwords: true, At: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC),
		Options: app.ExportOptions{Format: format, Delimiter: ",", Encoding: app.EncodingUTF8},
		People: []app.RosterPerson{
			{User: &app.User{ID: "u-1", FirstName: "Zoë", LastName: "Müller", Username: "Zoe.Mueller", Email: "zoe@home.example",
				Phone: "+49 30 1234", AccountType: app.TypeStudent, Groups: []string{"g-1"}, Language: "pt-BR", Status: app.StatusActive, MustChangePassword: true},
				Password: "tiger-moon-47"},
			{User: &app.User{ID: "u-2", FirstName: "Alan", LastName: "Turing", Username: "alan", AccountType: app.TypeTeacher,
				Language: "en", Status: app.StatusDeactivated}, Password: "Lamp-river-12"},
		}}
}

func writeRows(t *testing.T, x *app.Roster) [][]string {
	t.Helper()
	var b bytes.Buffer
	if err := roster.WriteExport(&b, x); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\ufeff"))))
	r.Comma = []rune(x.Options.Delimiter)[0]
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// cell is the value of column name of row i (1 = first person).
func cell(t *testing.T, rows [][]string, header, i int, name string) string {
	t.Helper()
	for j, h := range rows[header] {
		if h == name {
			return rows[header+i][j]
		}
	}
	t.Fatalf("no column %q in %q", name, rows[header])
	return ""
}

// TestCredentialsInPlatformFormats: each platform's file carries the
// password the slips show, the sign-in address at the login domain, the
// state (a deactivated person blocked or suspended), and writes "+49" as
// "0049" (no cell starts with a formula character).
func TestCredentialsInPlatformFormats(t *testing.T) {
	g := writeRows(t, credentials(app.ExportGoogle))
	for name, want := range map[string]string{"Email Address [Required]": "zoe.mueller@maple.example", "Password [Required]": "tiger-moon-47",
		"Org Unit Path [Required]": "/3B", "Recovery Email": "zoe@home.example", "Mobile Phone": "0049 30 1234",
		"Change Password at Next Sign-In": "TRUE", "New Status [UPLOAD ONLY]": "Active"} {
		if got := cell(t, g, 0, 1, name); !strings.EqualFold(got, want) {
			t.Errorf("google %s = %q, want %q", name, got, want)
		}
	}
	if got := cell(t, g, 0, 2, "New Status [UPLOAD ONLY]"); got != "Suspended" {
		t.Errorf("google: a deactivated person is %q", got)
	}
	if got := cell(t, g, 0, 2, "Org Unit Path [Required]"); got != "/" {
		t.Errorf("google: someone in no group goes to %q, want /", got)
	}

	e := writeRows(t, credentials(app.ExportEntra))
	if e[0][0] != "version:v1.0" || len(e[0]) != len(e[1]) {
		t.Errorf("entra line 1 = %q", e[0])
	}
	for name, want := range map[string]string{"Name [displayName] Required": "Zoë Müller", "User name [userPrincipalName] Required": "Zoe.Mueller@maple.example",
		"Initial password [passwordProfile] Required": "tiger-moon-47", "Block sign in (Yes/No) [accountEnabled] Required": "No", "Department [department]": "3B"} {
		if got := cell(t, e, 1, 1, name); got != want {
			t.Errorf("entra %s = %q, want %q", name, got, want)
		}
	}
	if got := cell(t, e, 1, 2, "Block sign in (Yes/No) [accountEnabled] Required"); got != "Yes" {
		t.Errorf("entra: a deactivated person has sign-in blocked %q", got)
	}

	m := writeRows(t, credentials(app.ExportMoodle))
	for name, want := range map[string]string{"username": "zoe.mueller", "password": "tiger-moon-47", "lang": "pt_br", "suspended": "0", "cohort1": "3B", "idnumber": "u-1"} {
		if got := cell(t, m, 0, 1, name); got != want {
			t.Errorf("moodle %s = %q, want %q", name, got, want)
		}
	}
	if got := cell(t, m, 0, 2, "suspended"); got != "1" {
		t.Errorf("moodle: a deactivated person has suspended=%q", got)
	}

	c := writeRows(t, credentials(app.ExportCSV))
	if got := cell(t, c, 0, 2, "password"); got != "Lamp-river-12" {
		t.Errorf("csv password = %q", got)
	}
	if got := cell(t, c, 0, 1, "phone"); got != "'+49 30 1234" {
		t.Errorf("csv phone = %q, want it escaped against formulas", got)
	}
	for _, f := range app.ExportFormats {
		x := credentials(f)
		x.Passwords = false
		if name := roster.ExportFileName(x); !strings.HasPrefix(name, "rollcall-maple-2026-03-02") {
			t.Errorf("file name %q", name)
		}
	}
}

// TestExportCSVEncodingAndDelimiter: the CSV in Windows-1252 with ";" is
// what a German Excel opens as columns; a name it cannot hold is refused
// naming the person, and UTF-8 is offered instead.
func TestExportCSVEncodingAndDelimiter(t *testing.T) {
	x := credentials(app.ExportCSV)
	x.Options.Delimiter, x.Options.Encoding = ";", app.EncodingWindows1252
	var b bytes.Buffer
	if err := roster.WriteExport(&b, x); err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(b.Bytes(), []byte("\xef\xbb\xbf")) || !bytes.Contains(b.Bytes(), []byte("Zo\xeb;M\xfcller;")) {
		t.Errorf("not Windows-1252 with ;: %q", b.String())
	}
	text, _ := charmap.Windows1252.NewDecoder().Bytes(b.Bytes())
	f, err := roster.Read(bytes.NewReader(b.Bytes()), "export.csv", int64(b.Len()), roster.DefaultLimits)
	if err != nil || len(f.Rows) != 2 || f.Rows[0].Values[app.ColFirstName] != "Zoë" {
		t.Fatalf("read back: %v (%s)", err, text)
	}

	x.People[0].User.LastName = "Żółć"
	err = roster.WriteExport(&bytes.Buffer{}, x)
	if app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorMessage(err), "Żółć") || !strings.Contains(app.ErrorMessage(err), "UTF-8") {
		t.Errorf("a name Windows-1252 cannot hold: %v", err)
	}
}
