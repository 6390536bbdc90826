package roster_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rollcall/app/roster"
)

// TestWriteSeeds regenerates the seed corpus in testdata/fuzz (which every
// `go test` runs) when ROLLCALL_WRITE_SEEDS=1.
func TestWriteSeeds(t *testing.T) {
	if os.Getenv("ROLLCALL_WRITE_SEEDS") == "" {
		t.Skip("set ROLLCALL_WRITE_SEEDS=1 to rewrite testdata/fuzz")
	}
	var tmplCSV, tmplXLSX bytes.Buffer
	roster.WriteTemplateCSV(&tmplCSV)
	roster.WriteTemplateXLSX(&tmplXLSX)
	cp1252 := []byte("Vorname;Nachname;E-Mail\r\nJ\xfcrgen;M\xfcller;j@x.example\r\n")
	seeds := map[string][][]byte{
		"FuzzReadCSV": {
			tmplCSV.Bytes(), cp1252, []byte("\xff\xfef\x00i\x00r\x00s\x00t\x00_\x00n\x00a\x00m\x00e\x00\n\x00A\x00d\x00a\x00\n\x00"),
			[]byte("givenName,surname,mail\n\"Ada\r\nKing\",Lovelace,ada@x.example\n\n\"Grace\",\"Hop\"\"per\",\n"),
			[]byte("First Name\tLast Name\tClass\tShoe size\nAda\tLovelace\t3B|Choir\t38\n"),
			[]byte("Name\n\"Lovelace, Ada\"\n=cmd|' /C calc'!A0\n"),
			[]byte("first_name,last_name\nAda," + strings.Repeat("x", 4097) + "\n"),
		},
		"FuzzReadXLSX": {
			tmplXLSX.Bytes(),
			xlsxFile(t, map[string][][]any{"Notes": {{"x"}}, "Class": {{"First name", "Surname", "Class", "Deletion date"}, {"Zoë", "Ødegård", "3B", 46599}, nil, {"Ada", "", "3C", "2027-07-31"}}}, "Notes", "Class"),
			sharedStringBomb(t, 5000, 20), // one long shared string used by many rows
		},
		"FuzzParsePaste": {
			[]byte("Ada Lovelace,ada@example.org,secret-pass-1\r\nGrace Hopper,grace@example.org\n"),
			[]byte("Lovelace, Ada, ada@example.org\n\nMononym\n"),
			[]byte("First name\tLast name\nAda\tLovelace\n"),
		},
	}
	for name, list := range seeds {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, data := range list {
			typ := "[]byte"
			if name == "FuzzParsePaste" {
				typ = "string"
			}
			body := fmt.Sprintf("go test fuzz v1\n%s(%q)\n", typ, data)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%d", i+1)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestWriteE2EFixture writes the workbook the browser test uploads (mixed
// good and bad rows) when ROLLCALL_WRITE_E2E=1.
func TestWriteE2EFixture(t *testing.T) {
	if os.Getenv("ROLLCALL_WRITE_E2E") == "" {
		t.Skip("set ROLLCALL_WRITE_E2E=1 to rewrite frontend/e2e/fixtures/class-3b.xlsx")
	}
	data := xlsxFile(t, map[string][][]any{"Class 3B": {
		{"First name", "Surname", "E-mail", "Class", "Role", "Shoe size"},
		{"Ada", "Lovelace", "ada@oak.example", "3B", "Student", 38},
		{"", "Nofirst", "", "3B", "Student", 36},
		{"Grace", "Hopper", "not-an-email", "3B", "Teacher", 40},
		{"Zoë", "Ødegård", "zoe@oak.example", "7Z", "Pupil", 37},
		{"Cher", "", "", "3B", "", 39},
		{"<img src=x onerror=alert(1)>", "Injection", "", "3B", "", 41},
	}}, "Class 3B")
	dir := filepath.Join("..", "..", "frontend", "e2e", "fixtures")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "class-3b.xlsx"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}
