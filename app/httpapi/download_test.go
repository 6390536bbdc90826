package httpapi

import (
	"mime"
	"net/http/httptest"
	"testing"
)

// Every download names its file through one helper: a name with a quote
// and a letter beyond ASCII gives a Content-Disposition that parses back to
// the same name.
func TestSendFileName(t *testing.T) {
	for _, name := range []string{`Klasse 3"B" Müller.pdf`, `Ürgüp "Şube".csv`, "rollcall-backup-2026-11-21-1200.db", `a\b;c.xlsx`} {
		rec := httptest.NewRecorder()
		sendFile(rec, name, "", []byte("data"))
		cd := rec.Header().Get("Content-Disposition")
		disp, params, err := mime.ParseMediaType(cd)
		if err != nil || disp != "attachment" || params["filename"] != name {
			t.Errorf("%q: Content-Disposition %q parses as %q %q, %v", name, cd, disp, params, err)
		}
		if rec.Header().Get("Content-Length") != "4" || rec.Body.String() != "data" {
			t.Errorf("%q: Content-Length %q, body %q", name, rec.Header().Get("Content-Length"), rec.Body.String())
		}
	}
	for name, want := range map[string]string{"a.csv": "text/csv; charset=utf-8", "a.pdf": "application/pdf",
		"a.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "a.db": "application/octet-stream"} {
		rec := httptest.NewRecorder()
		sendFile(rec, name, "", nil)
		if got := rec.Header().Get("Content-Type"); got != want {
			t.Errorf("%s: Content-Type %q, want %q", name, got, want)
		}
	}
	rec := httptest.NewRecorder()
	sendFile(rec, "code.png", "image/png", nil)
	if got := rec.Header().Get("Content-Type"); got != "image/png" {
		t.Errorf("a given type: %q", got)
	}
}
