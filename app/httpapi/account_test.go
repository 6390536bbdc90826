package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/slips"
	"rollcall/app/slips/slipstest"
)

// classList is 30 pupils as a teacher pastes them: several scripts, both
// "First Last" and "Last, First", and one Chinese name.
const classList = `Łukasz Żółć
Wiśniewska, Zofia
Grzegorz Brzęczyszczykiewicz
Αθηνά Παπαδοπούλου
Γιώργος Νικολάου
Ольга Иванова
Дмитрий Смирнов
Олександр Шевченко
Çağla Şahin
Ayşe Yılmaz
İbrahim Öztürk
Jürgen Müller
Björn Weiß
Änne Schröder
Søren Kierkegaard
Þóra Sigurðardóttir
Ada Lovelace
José Núñez
Emma Virtanen
Liam Smith
Noah Johnson
Olivia Brown
Mia Wilson
Lucas Moore
Ella Taylor
Leo Anderson
Aino Korhonen
Ada Lovelace
Ada Lovelace
李 小龍`

// waitJob polls a job until it is no longer running.
func waitJob(t *testing.T, e *env, cookie, id string) app.JobStatus {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := call[app.JobStatus](t, e, "GET", "/api/jobs/"+id, nil, cookie, http.StatusOK)
		if st.State != app.JobRunning {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still running: %+v", id, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// download fetches a job's file and checks it is an attachment with a name.
func download(t *testing.T, e *env, cookie, path, wantType string) []byte {
	t.Helper()
	rec := e.serve(withCookie(newRequest(t, "GET", path, nil), cookie))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, rec.Code, rec.Body.String())
	}
	if got := rec.Header().Get("Content-Type"); got != wantType {
		t.Errorf("GET %s Content-Type = %q, want %q", path, got, wantType)
	}
	if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") {
		t.Errorf("GET %s Content-Disposition = %q", path, cd)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("GET %s Cache-Control = %q, want no-store", path, got)
	}
	return rec.Body.Bytes()
}

type csvAccount struct{ first, last, username, email, password, group string }

func readCSV(t *testing.T, b []byte) []csvAccount {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []csvAccount
	for _, r := range rows[1:] {
		out = append(out, csvAccount{r[0], r[1], r[2], r[3], r[4], r[5]})
	}
	return out
}

// The whole flow through the API: paste, preview, edit a username, create
// as a job, download slips, sheet and CSV; then reset a group's passwords.
// No generated password is ever in the database file.
func TestAccountsCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	if code, body := e.do(t, "PATCH", "/api/organizations/maple", map[string]any{"public_url": "https://rollcall.maple.example"}, cookie); code != http.StatusOK {
		t.Fatalf("PATCH org = %d %v", code, body)
	}
	e.createGroup(t, cookie, "maple", map[string]any{"name": "3B"})
	base := "/api/organizations/maple/accounts"

	parsed := call[struct{ People []app.NameLine }](t, e, "POST", base+"/parse", map[string]any{"text": classList}, cookie, http.StatusOK)
	if len(parsed.People) != 30 || parsed.People[1].Form != app.FormLastFirst || parsed.People[1].FirstName != "Zofia" {
		t.Fatalf("parse = %+v", parsed.People[:2])
	}

	batch := map[string]any{"text": classList, "groups": []string{"3B"}, "usernames": map[string]string{"17": "ada.first"}}
	p := call[app.AccountPreview](t, e, "POST", base+"/preview", batch, cookie, http.StatusOK)
	if p.Problems != 0 || len(p.Rows) != 30 || p.PasswordBits < 20 || p.PasswordStyle != app.StyleWords {
		t.Fatalf("preview: %d problems, %d rows, %.1f bits, style %s", p.Problems, len(p.Rows), p.PasswordBits, p.PasswordStyle)
	}
	if got := []string{p.Rows[0].Username, p.Rows[16].Username, p.Rows[27].Username, p.Rows[28].Username}; !slices.Equal(got, []string{"lukasz.zolc", "ada.first", "ada.lovelace", "ada.lovelace2"}) {
		t.Fatalf("usernames = %v", got)
	}
	if page := call[app.UserPage](t, e, "GET", "/api/organizations/maple/users", nil, cookie, http.StatusOK); page.Total != 0 {
		t.Fatalf("the preview created %d users", page.Total)
	}

	st := call[app.JobStatus](t, e, "POST", base, batch, cookie, http.StatusAccepted)
	if st.ID == "" || st.Total != 30 {
		t.Fatalf("job = %+v", st)
	}
	if st = waitJob(t, e, cookie, st.ID); st.State != app.JobDone || st.Done != 30 {
		t.Fatalf("job = %+v", st)
	}
	job := "/api/jobs/" + st.ID

	accounts := readCSV(t, download(t, e, cookie, job+"/csv", "text/csv; charset=utf-8"))
	if len(accounts) != 30 || accounts[0].username != "lukasz.zolc" || accounts[16].username != "ada.first" || accounts[0].group != "3B" || accounts[29].first != "李" {
		t.Fatalf("csv = %+v", accounts)
	}
	pdf := download(t, e, cookie, job+"/slips?paper=letter&layout=cutlines", "application/pdf")
	text := strings.Join(strings.Fields(slipstest.PDFText(t, pdf)), " ")
	var want []string
	for _, a := range accounts {
		for _, s := range []string{a.first + " " + a.last, a.username, a.password} {
			if !strings.Contains(text, s) {
				t.Errorf("%q not in the slips", s)
			}
		}
		want = append(want, slips.SignInURL("https://rollcall.maple.example", a.username))
	}
	codes := slipstest.QRCodes(t, pdf, slips.Options{Paper: "letter"})
	slices.Sort(codes)
	slices.Sort(want)
	if !slices.Equal(codes, want) {
		t.Errorf("QR codes = %v\nwant %v", codes, want)
	}
	sheet := slipstest.PDFText(t, download(t, e, cookie, job+"/sheet?paper=a4", "application/pdf"))
	if !strings.Contains(sheet, accounts[5].password) || !strings.Contains(sheet, "3B") {
		t.Errorf("sheet text = %q", sheet)
	}

	// Reset the whole group: new passwords, new slips; the old ones stop working.
	rst := call[app.JobStatus](t, e, "POST", base+"/reset", map[string]any{"group": "3B", "password_style": "random"}, cookie, http.StatusAccepted)
	if rst = waitJob(t, e, cookie, rst.ID); rst.State != app.JobDone || rst.Done != 30 {
		t.Fatalf("reset job = %+v", rst)
	}
	reset := readCSV(t, download(t, e, cookie, "/api/jobs/"+rst.ID+"/csv", "text/csv; charset=utf-8"))
	if len(reset) != 30 {
		t.Fatalf("reset %d accounts", len(reset))
	}
	download(t, e, cookie, "/api/jobs/"+rst.ID+"/slips?layout=avery", "application/pdf")
	// Some selected users only.
	one := call[app.JobStatus](t, e, "POST", base+"/reset", map[string]any{"usernames": []string{"ada.first"}}, cookie, http.StatusAccepted)
	if one = waitJob(t, e, cookie, one.ID); one.State != app.JobDone || one.Done != 1 {
		t.Fatalf("reset one = %+v", one)
	}

	// Neither the first passwords nor the reset ones are in the file.
	raw, err := os.ReadFile(e.DB.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range append(accounts, reset...) {
		if bytes.Contains(raw, []byte(a.password)) {
			t.Fatalf("the password of %s is in the database file", a.username)
		}
	}

	// Forgetting the job drops its passwords.
	if code, _ := e.do(t, "DELETE", job, nil, cookie); code != http.StatusNoContent {
		t.Fatalf("DELETE job = %d", code)
	}
	code, body := e.do(t, "GET", job+"/csv", nil, cookie)
	checkError(t, code, body, http.StatusNotFound, app.ENOTFOUND, "")
}

func TestAccountsErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	e.createOrg(t, cookie, map[string]any{"name": "Oak", "slug": "oak"})
	base := "/api/organizations/oak/accounts"

	// A line with a problem: nothing is started, the line is named.
	code, body := e.do(t, "POST", base, map[string]any{"text": "Ada Lovelace\nx"}, cookie)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "line 2")
	code, body = e.do(t, "POST", base, map[string]any{"text": "Ada Lovelace", "password_mode": "same", "password": "short"}, cookie)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "")
	code, body = e.do(t, "POST", base+"/preview", map[string]any{"text": ""}, cookie)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "people")
	code, body = e.do(t, "POST", base+"/preview", map[string]any{"text": "A B", "colour": "red"}, cookie)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "")
	code, body = e.do(t, "POST", "/api/organizations/nope/accounts/preview", map[string]any{"text": "A B"}, cookie)
	checkError(t, code, body, http.StatusNotFound, app.ENOTFOUND, "")
	code, body = e.do(t, "POST", base+"/reset", map[string]any{}, cookie)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "")

	// A reset of a user that does not exist fails as a job, with the reason.
	st := call[app.JobStatus](t, e, "POST", base+"/reset", map[string]any{"usernames": []string{"nobody.here"}}, cookie, http.StatusAccepted)
	if st = waitJob(t, e, cookie, st.ID); st.State != app.JobFailed || st.Code != app.ENOTFOUND || !strings.Contains(st.Error, "nobody.here") {
		t.Fatalf("reset of nobody = %+v", st)
	}
	code, body = e.do(t, "GET", "/api/jobs/"+st.ID+"/slips", nil, cookie)
	checkError(t, code, body, http.StatusConflict, app.ECONFLICT, "")

	// Wrong paper or layout; a job that is not an account job.
	ok := call[app.JobStatus](t, e, "POST", base, map[string]any{"text": "Ada Lovelace"}, cookie, http.StatusAccepted)
	waitJob(t, e, cookie, ok.ID)
	code, body = e.do(t, "GET", "/api/jobs/"+ok.ID+"/slips?paper=a5", nil, cookie)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "paper")
	code, body = e.do(t, "GET", "/api/jobs/"+ok.ID+"/slips?layout=grid", nil, cookie)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "layout")
	code, body = e.do(t, "GET", "/api/jobs/"+e.finishedJob(t)+"/sheet", nil, cookie)
	checkError(t, code, body, http.StatusNotFound, app.ENOTFOUND, "")

	// Without a public URL the slips still print, with the note instead of codes.
	text := slipstest.PDFText(t, download(t, e, cookie, "/api/jobs/"+ok.ID+"/slips", "application/pdf"))
	if !strings.Contains(strings.Join(strings.Fields(text), " "), slips.NoPublicURLNote) {
		t.Errorf("no note about the public URL: %q", text)
	}

	// Every account route needs a signed-in admin.
	for _, r := range []struct{ method, path string }{
		{"POST", base + "/parse"}, {"POST", base + "/preview"}, {"POST", base}, {"POST", base + "/reset"},
		{"GET", "/api/jobs/" + ok.ID + "/slips"}, {"GET", "/api/jobs/" + ok.ID + "/sheet"}, {"GET", "/api/jobs/" + ok.ID + "/csv"},
	} {
		code, body := e.do(t, r.method, r.path, map[string]any{"text": "Bo Lind"}, "")
		checkError(t, code, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
	}
}

// Cancel while the passwords are hashing: the job ends cancelled and no
// account exists.
func TestAccountsCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.App.Hash = app.HashParams{Memory: 8 * 1024, Time: 1, Threads: 1} // slow enough to cancel midway
	cookie := e.setup(t)
	e.createOrg(t, cookie, map[string]any{"name": "Oak", "slug": "oak"})
	var lines []string
	for i := range 400 {
		lines = append(lines, fmt.Sprintf("Pupil%d Oak", i))
	}
	st := call[app.JobStatus](t, e, "POST", "/api/organizations/oak/accounts", map[string]any{"text": strings.Join(lines, "\n")}, cookie, http.StatusAccepted)
	if code, body := e.do(t, "DELETE", "/api/jobs/"+st.ID, nil, cookie); code != http.StatusConflict {
		t.Fatalf("DELETE running job = %d %s, want 409 (cancel it first)", code, body)
	}
	if code, body := e.do(t, "POST", "/api/jobs/"+st.ID+"/cancel", nil, cookie); code != http.StatusOK {
		t.Fatalf("cancel job = %d %s", code, body)
	}
	if st = waitJob(t, e, cookie, st.ID); st.State != app.JobCancelled || st.Done >= 400 {
		t.Fatalf("cancelled job = %+v", st)
	}
	if page := call[app.UserPage](t, e, "GET", "/api/organizations/oak/users", nil, cookie, http.StatusOK); page.Total != 0 {
		t.Fatalf("%d users after cancel", page.Total)
	}
}

// A Cancel that comes in just after the job finished (a click at 100%)
// must not lose the passwords that were written: the job stays done and
// its files can still be downloaded; only DELETE (the UI's "Done") forgets.
func TestAccountsCancelAfterDone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	e.createOrg(t, cookie, map[string]any{"name": "Oak", "slug": "oak"})
	st := call[app.JobStatus](t, e, "POST", "/api/organizations/oak/accounts", map[string]any{"text": "Ann Oak\nBen Oak"}, cookie, http.StatusAccepted)
	if st = waitJob(t, e, cookie, st.ID); st.State != app.JobDone {
		t.Fatalf("job = %+v", st)
	}
	job := "/api/jobs/" + st.ID
	if got := call[app.JobStatus](t, e, "POST", job+"/cancel", nil, cookie, http.StatusOK); got.State != app.JobDone {
		t.Fatalf("cancel after done answers %+v, want state done", got)
	}
	if got := call[app.JobStatus](t, e, "GET", job, nil, cookie, http.StatusOK); got.State != app.JobDone {
		t.Fatalf("after a late cancel the job is %+v", got)
	}
	if rows := readCSV(t, download(t, e, cookie, job+"/csv", "text/csv; charset=utf-8")); len(rows) != 2 {
		t.Fatalf("CSV after a late cancel has %d rows, want 2", len(rows))
	}
	if code, _ := e.do(t, "DELETE", job, nil, cookie); code != http.StatusNoContent {
		t.Fatalf("DELETE job = %d", code)
	}
	code, body := e.do(t, "GET", job+"/csv", nil, cookie)
	checkError(t, code, body, http.StatusNotFound, app.ENOTFOUND, "")
}

// An account job is bound to the admin who started it: another admin can
// neither see its progress, download its passwords, cancel nor forget it.
func TestAccountJobsBoundToAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookieA := e.setup(t)
	if _, err := e.App.CreateAdmin(context.Background(), "second.admin", "second-admin-password-1", false); err != nil {
		t.Fatal(err)
	}
	rec := e.signIn(t, "second.admin", "second-admin-password-1", loopbackAddr)
	if rec.Code != http.StatusOK {
		t.Fatalf("sign-in of admin B = %d %s", rec.Code, rec.Body.String())
	}
	cookieB := sessionCookie(t, rec).Value
	e.createOrg(t, cookieA, map[string]any{"name": "Oak", "slug": "oak"})
	st := call[app.JobStatus](t, e, "POST", "/api/organizations/oak/accounts", map[string]any{"text": "Ann Oak\nBen Oak"}, cookieA, http.StatusAccepted)
	if st = waitJob(t, e, cookieA, st.ID); st.State != app.JobDone {
		t.Fatalf("job = %+v", st)
	}
	job := "/api/jobs/" + st.ID
	for _, r := range []struct{ method, path string }{
		{"GET", job}, {"GET", job + "/csv"}, {"GET", job + "/slips"}, {"GET", job + "/sheet"},
		{"POST", job + "/cancel"}, {"DELETE", job},
	} {
		code, body := e.do(t, r.method, r.path, nil, cookieB)
		checkError(t, code, body, http.StatusNotFound, app.ENOTFOUND, "")
	}
	// A reset started by B is B's alone too.
	rst := call[app.JobStatus](t, e, "POST", "/api/organizations/oak/accounts/reset", map[string]any{"usernames": []string{"ann.oak"}}, cookieB, http.StatusAccepted)
	code, body := e.do(t, "GET", "/api/jobs/"+rst.ID+"/csv", nil, cookieA)
	checkError(t, code, body, http.StatusNotFound, app.ENOTFOUND, "")
	if rows := readCSV(t, download(t, e, cookieA, job+"/csv", "text/csv; charset=utf-8")); len(rows) != 2 {
		t.Fatalf("admin A's CSV has %d rows", len(rows))
	}
}

// Passwords pasted in a column (mode "given") are never echoed back by
// parse or preview: the answers say has_password instead.
func TestAccountsGivenPasswordsNotEchoed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	e.createOrg(t, cookie, map[string]any{"name": "Oak", "slug": "oak"})
	const pw1, pw2 = "Secret-Given-Pass-71", "Other-Given-Pass-82"
	text := "Ann\tOak\tann.oak\t" + pw1 + "\nBen\tOak\tben.oak\t" + pw2 + "\n"
	base := "/api/organizations/oak/accounts"
	for path, req := range map[string]map[string]any{base + "/parse": {"text": text}, base + "/preview": {"text": text, "password_mode": "given"}} {
		code, body := e.do(t, "POST", path, req, cookie)
		raw, _ := json.Marshal(body)
		if code != http.StatusOK || bytes.Contains(raw, []byte(pw1)) || bytes.Contains(raw, []byte(pw2)) {
			t.Fatalf("POST %s = %d %s: a pasted password is echoed", path, code, raw)
		}
		if n := bytes.Count(raw, []byte(`"has_password":true`)); n != 2 {
			t.Errorf("POST %s: has_password on %d lines, want 2: %s", path, n, raw)
		}
	}
	st := call[app.JobStatus](t, e, "POST", base, map[string]any{"text": text, "password_mode": "given"}, cookie, http.StatusAccepted)
	if st = waitJob(t, e, cookie, st.ID); st.State != app.JobDone {
		t.Fatalf("job = %+v", st)
	}
	rows := readCSV(t, download(t, e, cookie, "/api/jobs/"+st.ID+"/csv", "text/csv; charset=utf-8"))
	if len(rows) != 2 || rows[0].password != pw1 || rows[1].password != pw2 {
		t.Fatalf("created with %+v", rows)
	}
}
