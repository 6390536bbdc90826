package roster_test

import (
	"testing"

	"rollcall/app"
	"rollcall/app/roster"
)

// fuzzLimits keep each fuzz input cheap; the invariants are the same.
var fuzzLimits = roster.Limits{MaxBytes: 1 << 20, MaxRows: 2000, MaxColumns: 200,
	MaxUnzipped: 1 << 20, MaxPart: 256 << 10, MaxXMLInMemory: 256 << 10,
	MaxCell: 4096, MaxSharedStrings: 256 << 10, MaxKept: 1 << 20}

// checkFile holds for every file a reader accepts: rows within the limit,
// each with a row number and one value per import field; for every error:
// a message for a person (EINVALID), never a crash.
func checkFile(t *testing.T, f *app.ImportFile, err error) {
	t.Helper()
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID || app.ErrorMessage(err) == "" {
			t.Fatalf("error %v (%T) is not a message for a person", err, err)
		}
		return
	}
	if len(f.Rows) == 0 || len(f.Rows) > fuzzLimits.MaxRows {
		t.Fatalf("%d rows", len(f.Rows))
	}
	last := 0
	for _, r := range f.Rows {
		if len(r.Values) != len(app.ImportFields) {
			t.Fatalf("row %d has %d values", r.Line, len(r.Values))
		}
		if f.Format != app.FormatPaste && r.Line <= last {
			t.Fatalf("row numbers not increasing: %d after %d", r.Line, last)
		}
		last = r.Line
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte(müller))
	f.Add([]byte("\xef\xbb\xbfVorname;Nachname;Klasse\r\nJ\xc3\xbcrgen;M\xc3\xbcller;3B\r\n"))
	f.Add([]byte("First Name\tSurname\n\"Ada\nKing\"\tLovelace\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := roster.ReadCSV(data, fuzzLimits)
		checkFile(t, file, err)
	})
}

func FuzzReadXLSX(f *testing.F) {
	f.Add(xlsxFile(f, map[string][][]any{"S": {{"First name", "Last name", "Class"}, {"Ada", "Lovelace", "3B"}}}, "S"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := roster.ReadXLSX(data, fuzzLimits)
		checkFile(t, file, err)
	})
}

func FuzzParsePaste(f *testing.F) {
	f.Add("Ada Lovelace,ada@example.org,secret-pass-1\nGrace Hopper,grace@example.org\n")
	f.Add("Lovelace, Ada, ada@example.org\n\n")
	f.Add("First name\tLast name\nAda\tLovelace\n")
	f.Fuzz(func(t *testing.T, text string) {
		file, err := roster.ParsePaste(text, fuzzLimits)
		checkFile(t, file, err)
		if err == nil && file.Format != app.FormatPaste {
			t.Fatalf("format %q", file.Format)
		}
	})
}
