package sheet_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"rollcall/app/sheet"
)

func TestWriteCSV(t *testing.T) {
	rows := [][]string{
		{"first_name", "last_name", "password"},
		{"=HYPERLINK(\"http://evil.example\")", "+1", "-2"},
		{"@SUM(A1)", "\tTab", "\rCR"},
		{"Łukasz", "Żółć, \"Jr\"", "line\nbreak"},
		{"tiger-moon-47", "", "a=b"},
	}
	var buf bytes.Buffer
	if err := sheet.WriteCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "\ufeff") {
		t.Fatal("no BOM")
	}
	if !strings.Contains(out, "\r\n") {
		t.Fatal("no CRLF line ends")
	}
	got, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("read back %d rows, want %d", len(got), len(rows))
	}
	for i, row := range got {
		for j, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r\n", rune(cell[0])) {
				t.Errorf("cell %d,%d = %q starts with a formula trigger", i, j, cell)
			}
			// encoding/csv drops a lone CR when reading; compare without it.
			if want := strings.ReplaceAll(sheet.SafeCell(rows[i][j]), "\r", ""); strings.ReplaceAll(cell, "\r", "") != want {
				t.Errorf("cell %d,%d = %q, want %q", i, j, cell, want)
			}
		}
	}
	if got[1][0] != "'=HYPERLINK(\"http://evil.example\")" || got[3][1] != "Żółć, \"Jr\"" || got[4][0] != "tiger-moon-47" {
		t.Fatalf("cells = %q", got)
	}
}
