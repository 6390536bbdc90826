package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"rollcall/app"
	"rollcall/app/slips/slipstest"
)

type uploadOut struct {
	Draft   string            `json:"draft"`
	Preview app.ImportPreview `json:"preview"`
}

func (e *env) upload(t *testing.T, cookie, org, name string, data []byte, want int) (*http.Response, []byte) {
	t.Helper()
	req := withCookie(newRequest(t, "POST", "/api/organizations/"+org+"/imports?name="+name, data), cookie)
	req.Header.Set("Content-Type", "application/octet-stream")
	rec := e.serve(req)
	if rec.Code != want {
		t.Fatalf("upload %s = %d %s, want %d", name, rec.Code, rec.Body.String(), want)
	}
	return rec.Result(), rec.Body.Bytes()
}

func (e *env) waitJob(t *testing.T, cookie, id string) app.JobStatus {
	t.Helper()
	for range 500 {
		st := call[app.JobStatus](t, e, "GET", "/api/jobs/"+id, nil, cookie, http.StatusOK)
		if st.State != app.JobRunning {
			return st
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the job did not finish")
	return app.JobStatus{}
}

func TestImportFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t) // org maple with group 5A and user ann.smith
	csvData := "\ufeffFirst Name;Surname;E-mail;Class;Shoe size\r\n" +
		"Ada;Lovelace;ada@maple.example;5A;38\r\n" +
		";Nofirst;;5A;39\r\n" +
		"Ann;Smith;;5A;40\r\n" + // a second Ann Smith: a new account ann.smith2
		"\"=HYPERLINK(\"\"x\"\")\";Evil;;7Z;41\r\n" // quoted as Excel writes it
	_, body := e.upload(t, f.cookie, "maple", "class.csv", []byte(csvData), http.StatusCreated)
	var up uploadOut
	mustJSON(t, body, &up)
	p := up.Preview
	if up.Draft == "" || p.File.Delimiter != "semicolon" || p.File.Encoding != "UTF-8 with BOM" || strings.Join(p.File.Unknown, ",") != "Shoe size" {
		t.Fatalf("upload = %+v", p.File)
	}
	if p.Create != 2 || p.Errors != 2 || len(p.Rows) != 4 {
		t.Fatalf("counts = %d/%d/%d", p.Create, p.Warnings, p.Errors)
	}
	if p.Rows[2].Username != "ann.smith2" {
		t.Errorf("second Ann Smith = %q", p.Rows[2].Username)
	}
	if strings.Contains(string(body), "\"38\"") {
		t.Error("the unknown column's values were sent back")
	}

	// Fix row 3 in place; create the missing group.
	req := map[string]any{
		"options": map[string]any{"create_groups": true},
		"edits":   []map[string]any{{"line": 3, "field": "first_name", "value": "Nora"}},
	}
	p = call[app.ImportPreview](t, e, "POST", "/api/organizations/maple/imports/"+up.Draft+"/preview", req, f.cookie, http.StatusOK)
	if p.Create != 3 || p.Warnings != 1 || p.Errors != 0 {
		t.Fatalf("after the fix: %d/%d/%d %+v", p.Create, p.Warnings, p.Errors, p.Rows)
	}
	// The rows' messages come in the language the request asks for.
	fiReq := withCookie(newRequest(t, "POST", "/api/organizations/maple/imports/"+up.Draft+"/preview", req), f.cookie)
	fiReq.Header.Set("Accept-Language", "fi-FI,fi;q=0.9,en;q=0.8")
	var fiPreview app.ImportPreview
	mustJSON(t, e.serve(fiReq).Body.Bytes(), &fiPreview)
	if got := fiPreview.Rows[3].Warnings["groups"]; got != "Ryhmä 7Z luodaan." {
		t.Errorf("the Finnish preview's warning %q (English %q)", got, p.Rows[3].Warnings["groups"])
	}
	// An unknown field in an edit is refused.
	code, errBody := e.do(t, "POST", "/api/organizations/maple/imports/"+up.Draft+"/preview", map[string]any{"edits": []map[string]any{{"line": 3, "field": "shoe_size", "value": "x"}}}, f.cookie)
	checkError(t, code, errBody, http.StatusBadRequest, app.EINVALID, "edits")

	st := call[app.JobStatus](t, e, "POST", "/api/organizations/maple/imports/"+up.Draft+"/commit", req, f.cookie, http.StatusAccepted)
	if st = e.waitJob(t, f.cookie, st.ID); st.State != app.JobDone || st.Done != 4 || st.Total != 4 {
		t.Fatalf("job = %+v", st)
	}
	sum := call[app.ImportResult](t, e, "GET", "/api/jobs/"+st.ID+"/import", nil, f.cookie, http.StatusOK)
	if sum.Import.Created != 4 || sum.Import.Skipped != 0 || strings.Join(sum.Import.GroupsCreated, ",") != "7Z" {
		t.Fatalf("summary = %+v", sum.Import)
	}

	// The results file, CSV and XLSX.
	rec := e.serve(withCookie(newRequest(t, "GET", "/api/jobs/"+st.ID+"/import-results?format=csv", nil), f.cookie))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment; filename=rollcall-import-results-") {
		t.Fatalf("results = %d %v", rec.Code, rec.Header())
	}
	// in the upload's delimiter and encoding (semicolons, UTF-8 with BOM), every cell as uploaded
	if !bytes.HasPrefix(rec.Body.Bytes(), []byte("\ufeffrow;status;reason;username;login_email;password;First Name;Surname;E-mail;Class;Shoe size;password_note\r\n")) {
		t.Errorf("results CSV starts %.120q", rec.Body.String())
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(rec.Body.Bytes(), []byte("\ufeff"))))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[1][1] != "created" || rows[1][3] != "ada.lovelace" || rows[1][5] == "" || rows[4][6] != `'=HYPERLINK("x")` {
		t.Fatalf("results CSV = %q", rows)
	}
	if got := rows[4][2]; got != "The group 7Z was created by this import." {
		t.Errorf("the results file's reason %q", got)
	}
	deReq := withCookie(newRequest(t, "GET", "/api/jobs/"+st.ID+"/import-results?format=csv", nil), f.cookie)
	deReq.Header.Set("Accept-Language", "de")
	if body := e.serve(deReq).Body.String(); !strings.Contains(body, "Die Gruppe 7Z wurde durch diesen Import angelegt.") {
		t.Errorf("the German results file: %q", body)
	}
	rec = e.serve(withCookie(newRequest(t, "GET", "/api/jobs/"+st.ID+"/import-results?format=xlsx", nil), f.cookie))
	wb, err := excelize.OpenReader(rec.Body)
	if err != nil {
		t.Fatalf("results XLSX: %v", err)
	}
	xrows, _ := wb.GetRows("Results")
	if len(xrows) != 5 || xrows[2][3] != "nora.nofirst" || xrows[2][5] != rows[2][5] {
		t.Fatalf("results XLSX = %q", xrows)
	}
	// The password works.
	u, err := e.App.Store.UserByLogin(t.Context(), "nora.nofirst")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := app.VerifyPassword(u.PasswordHash, rows[2][5], e.App.Hash); !ok {
		t.Error("the password in the results file does not verify")
	}

	// Slips for the created accounts: a PDF that names them, with their passwords.
	rec = e.serve(withCookie(newRequest(t, "GET", "/api/jobs/"+st.ID+"/import-slips?paper=letter", nil), f.cookie))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(rec.Body.Bytes(), []byte("%PDF")) {
		t.Fatalf("import slips = %d %v %.40q", rec.Code, rec.Header(), rec.Body.Bytes())
	}
	if text := slipstest.PDFText(t, rec.Body.Bytes()); !strings.Contains(text, "nora.nofirst") || !strings.Contains(text, rows[2][5]) {
		t.Fatalf("import slips do not show nora.nofirst and her password:\n%s", text)
	}
	rec = e.serve(withCookie(newRequest(t, "GET", "/api/jobs/"+st.ID+"/import-slips?paper=a5", nil), f.cookie))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("import slips on unknown paper = %d", rec.Code)
	}

	// The same file again: noticed, refused unless confirmed.
	_, body = e.upload(t, f.cookie, "maple", "class.csv", []byte(csvData), http.StatusCreated)
	mustJSON(t, body, &up)
	if len(up.Preview.Previous) != 1 {
		t.Fatalf("previous imports = %+v", up.Preview.Previous)
	}
	code, errBody = e.do(t, "POST", "/api/organizations/maple/imports/"+up.Draft+"/commit", map[string]any{}, f.cookie)
	checkError(t, code, errBody, http.StatusConflict, app.ECONFLICT, "again")
	// All or nothing with errors: refused at once.
	code, errBody = e.do(t, "POST", "/api/organizations/maple/imports/"+up.Draft+"/commit", map[string]any{"options": map[string]any{"again": true, "all_or_nothing": true}}, f.cookie)
	checkError(t, code, errBody, http.StatusBadRequest, app.EINVALID, "")

	imps := call[map[string][]app.Import](t, e, "GET", "/api/organizations/maple/imports", nil, f.cookie, http.StatusOK)
	if len(imps["imports"]) != 1 {
		t.Errorf("imports = %+v", imps)
	}
}

func TestImportUploads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	// An XLSX file.
	wb := excelize.NewFile()
	wb.SetSheetRow("Sheet1", "A1", &[]any{"Given name", "Family name", "Role"})
	wb.SetSheetRow("Sheet1", "A2", &[]any{"Zoë", "Ødegård", "Teacher"})
	var x bytes.Buffer
	wb.Write(&x)
	_, body := e.upload(t, f.cookie, "maple", "staff.xlsx", x.Bytes(), http.StatusCreated)
	var up uploadOut
	mustJSON(t, body, &up)
	if up.Preview.File.Format != "xlsx" || up.Preview.Create != 1 || up.Preview.Rows[0].Username != "zoe.odegard" {
		t.Fatalf("xlsx upload = %+v", up.Preview)
	}
	// Pasted lines.
	req := withCookie(newRequest(t, "POST", "/api/organizations/maple/imports?format=paste", "Ada Lovelace,ada@x.example\nGrace Hopper,grace@x.example,own-password-1\n"), f.cookie)
	rec := e.serve(req)
	mustJSON(t, rec.Body.Bytes(), &up)
	if rec.Code != http.StatusCreated || up.Preview.Create != 2 || up.Preview.File.Format != "paste" {
		t.Fatalf("paste = %d %s", rec.Code, rec.Body.String())
	}
	// Refusals with clear messages.
	for name, data := range map[string][]byte{"empty.csv": nil, "header.csv": []byte("first_name\n"), "bomb.xlsx": []byte("PK\x03\x04broken")} {
		rec := e.serve(withCookie(newRequest(t, "POST", "/api/organizations/maple/imports?name="+name, data), f.cookie))
		checkError(t, rec.Code, decodeBody(t, rec), http.StatusBadRequest, app.EINVALID, "")
	}
	// Templates.
	for _, format := range []string{"csv", "xlsx"} {
		rec := e.serve(withCookie(newRequest(t, "GET", "/api/imports/template?format="+format, nil), f.cookie))
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Disposition") != "attachment; filename=rollcall-import-template."+format || rec.Body.Len() < 100 {
			t.Errorf("template %s = %d %v", format, rec.Code, rec.Header())
		}
	}
	// Every import route needs a signed-in admin.
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/imports/template"}, {"GET", "/api/organizations/maple/imports"},
		{"POST", "/api/organizations/maple/imports"}, {"POST", "/api/organizations/maple/imports/" + up.Draft + "/preview"},
		{"POST", "/api/organizations/maple/imports/" + up.Draft + "/commit"}, {"GET", "/api/jobs/x/import"},
		{"GET", "/api/jobs/x/import-results"}, {"GET", "/api/jobs/x/import-slips"},
	} {
		code, body := e.do(t, r.method, r.path, map[string]any{}, "")
		checkError(t, code, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
	}
	// A draft of another organization is not found.
	other := e.createOrg(t, f.cookie, map[string]any{"name": "Oak"})
	code, body2 := e.do(t, "POST", "/api/organizations/"+other.Slug+"/imports/"+up.Draft+"/preview", map[string]any{}, f.cookie)
	checkError(t, code, body2, http.StatusNotFound, app.ENOTFOUND, "")
}

func mustJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
}

// An upload without a length (chunked) is cut at the limit and refused with
// a message; a body shorter than its Content-Length is the client's
// problem (400), not the server's.
func TestUploadSizes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	path := "/api/organizations/maple/imports?name=big.csv"

	big := io.LimitReader(&repeat{line: []byte("Ada,Lovelace\n")}, 60<<20)
	req := withCookie(newRequest(t, "POST", path, nil), f.cookie)
	req.Body, req.ContentLength = io.NopCloser(io.MultiReader(strings.NewReader("first_name,last_name\n"), big)), -1
	req.Header.Set("Content-Type", "application/octet-stream")
	rec := e.serve(req)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "larger than 50 MB") {
		t.Fatalf("chunked 60 MB upload = %d %s", rec.Code, rec.Body.String())
	}

	req = withCookie(newRequest(t, "POST", path, nil), f.cookie)
	req.Body, req.ContentLength = io.NopCloser(strings.NewReader("first_name\nAda\n")), 100
	req.Header.Set("Content-Type", "application/octet-stream")
	rec = e.serve(req)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "ended early") {
		t.Fatalf("short body = %d %s", rec.Code, rec.Body.String())
	}
}

// repeat reads its line again and again.
type repeat struct {
	line []byte
	off  int
}

func (r *repeat) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.line[r.off:])
		n += c
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}

// The "change password" column (as Google's "Change Password at Next
// Sign-In": TRUE/FALSE, yes/no, 1/0) decides per row whether the new
// account must choose a new password at its first sign-in; an empty cell
// follows the import's option; anything else is a row error. The portal
// then asks exactly those people for a new password.
func TestImportChangePasswordColumn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	importCSV := func(name, data string, options map[string]any) *app.ImportResult {
		t.Helper()
		_, body := e.upload(t, f.cookie, "maple", name, []byte(data), http.StatusCreated)
		var up uploadOut
		mustJSON(t, body, &up)
		req := map[string]any{"options": options}
		st := call[app.JobStatus](t, e, "POST", "/api/organizations/maple/imports/"+up.Draft+"/commit", req, f.cookie, http.StatusAccepted)
		if st = e.waitJob(t, f.cookie, st.ID); st.State != app.JobDone {
			t.Fatalf("job = %+v", st)
		}
		res := call[app.ImportResult](t, e, "GET", "/api/jobs/"+st.ID+"/import", nil, f.cookie, http.StatusOK)
		return &res
	}
	mustChange := func(login string) bool {
		t.Helper()
		u, err := e.App.Store.UserByLogin(t.Context(), login)
		if err != nil {
			t.Fatal(err)
		}
		return u.MustChangePassword
	}

	csvData := "First Name,Last Name,Change Password at Next Sign-In,Password\r\n" +
		"Ada,Lovelace,TRUE,first-pass-11\r\n" +
		"Bo,Berg,no,first-pass-12\r\n" +
		"Cy,Chan,,first-pass-13\r\n" +
		"Di,Dunn,1,first-pass-14\r\n" +
		"Ed,Eck,maybe,first-pass-15\r\n"
	_, body := e.upload(t, f.cookie, "maple", "class.csv", []byte(csvData), http.StatusCreated)
	var up uploadOut
	mustJSON(t, body, &up)
	if p := up.Preview; p.Errors != 1 || p.Rows[4].Problems["change_password"] == "" {
		t.Fatalf("preview: %d errors, row 6 problems %v", p.Errors, p.Rows[4].Problems)
	}
	res := importCSV("class.csv", csvData, map[string]any{})
	if res.Import.Created != 4 {
		t.Fatalf("created %d", res.Import.Created)
	}
	for login, want := range map[string]bool{"ada.lovelace": true, "bo.berg": false, "cy.chan": false, "di.dunn": true} {
		if got := mustChange(login); got != want {
			t.Errorf("%s must change = %v, want %v (option off)", login, got, want)
		}
	}
	// The whole-import option fills in the empty cells; a FALSE still wins.
	res = importCSV("more.csv", "First Name,Last Name,Change at first sign-in\r\nFay,Fox,\r\nGus,Gray,FALSE\r\n", map[string]any{"must_change_password": true})
	if res.Import.Created != 2 || !mustChange("fay.fox") || mustChange("gus.gray") {
		t.Fatalf("option on: created %d, fay %v, gus %v", res.Import.Created, mustChange("fay.fox"), mustChange("gus.gray"))
	}
	// The portal asks Ada, and not Bo, for a new password.
	for login, want := range map[string]bool{"ada.lovelace": true, "bo.berg": false} {
		pw := map[string]string{"ada.lovelace": "first-pass-11", "bo.berg": "first-pass-12"}[login]
		rec := e.serve(newRequest(t, "POST", "/api/public/signin", map[string]any{"login": login, "password": pw}))
		if acc := decodeBody(t, rec); rec.Code != http.StatusOK || acc["must_change_password"] != want {
			t.Errorf("%s signs in = %d %v, want must_change_password %v", login, rec.Code, acc, want)
		}
	}
}

// A group an import creates ("create the missing groups") is made as one
// made in the UI is: with its invite code, written in the import's
// transaction (the list of codes, which only reads, shows it at once), and a
// pupil signs up with that code into the group once sign-up is on.
func TestImportCreatedGroupHasInviteCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	_, body := e.upload(t, f.cookie, "maple", "class.csv", []byte("First Name,Last Name,Class\r\nAda,Lovelace,4C\r\n"), http.StatusCreated)
	var up uploadOut
	mustJSON(t, body, &up)
	req := map[string]any{"options": map[string]any{"create_groups": true}}
	st := call[app.JobStatus](t, e, "POST", "/api/organizations/maple/imports/"+up.Draft+"/commit", req, f.cookie, http.StatusAccepted)
	if st = e.waitJob(t, f.cookie, st.ID); st.State != app.JobDone {
		t.Fatalf("job = %+v", st)
	}
	g, err := e.App.Store.GroupByName(t.Context(), f.org, "4C")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := e.App.Store.InviteCodeOf(t.Context(), f.org, g.ID)
	if err != nil {
		t.Fatalf("the imported group has no invite code: %v", err)
	}
	if !stored.CreatedAt.Equal(g.CreatedAt) || stored.Disabled || stored.RequireApproval || stored.MaxUses != 0 {
		t.Errorf("code %+v; want the default settings, made with the group at %v", stored, g.CreatedAt)
	}
	codes := call[map[string][]app.InviteCodeView](t, e, "GET", "/api/organizations/maple/invite-codes", nil, f.cookie, http.StatusOK)["codes"]
	var code string
	for _, c := range codes {
		if c.GroupID == g.ID {
			code = c.Code
		}
	}
	if code == "" || code != stored.Code {
		t.Fatalf("the list of codes has %q for 4C, stored %q: %+v", code, stored.Code, codes)
	}
	call[map[string]any](t, e, "PATCH", "/api/organizations/maple", map[string]any{"signup": map[string]any{"enabled": true}}, f.cookie, http.StatusOK)
	res := call[app.SignUpResult](t, e, "POST", "/api/public/codes/"+code+"/signup", map[string]any{"first_name": "Bo", "username": "bo4c", "password": "tablet-pass-42"}, "", http.StatusCreated)
	if res.Status != app.StatusActive || len(res.Groups) != 1 || res.Groups[0] != "4C" {
		t.Fatalf("sign-up with the imported group's code = %+v", res)
	}
}

// Several files chosen at once (multipart) are read as a OneRoster bundle:
// the preview names the layout and the classes become groups.
func TestImportUploadOneRosterFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for name, text := range map[string]string{
		"users.csv": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n" +
			"u1,,,true,o1,student,ada.l,,Ada,Lovelace,,,,,,,,\nu2,,,true,o1,parent,,,George,Byron,,,,,,,,\n",
		"classes.csv":     "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\nc1,,,3B,,,3B,homeroom,,o1,,,,\n",
		"enrollments.csv": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\ne1,,,c1,o1,u1,student,,,\n",
	} {
		w, _ := mw.CreateFormFile("file", name)
		io.WriteString(w, text)
	}
	mw.Close()
	req := withCookie(newRequest(t, "POST", "/api/organizations/maple/imports", body.Bytes()), f.cookie)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := e.serve(req)
	var up uploadOut
	mustJSON(t, rec.Body.Bytes(), &up)
	p := up.Preview
	if rec.Code != http.StatusCreated || p.File.Layout != "OneRoster 1.1 CSV bundle" || p.File.Format != app.FormatOneRoster || len(p.Rows) != 2 {
		t.Fatalf("upload = %d %s", rec.Code, rec.Body.String())
	}
	if p.Rows[0].Values[app.ColGroups] != "3B" || p.Rows[1].Status != app.RowSkip || p.Skipped != 1 {
		t.Errorf("rows = %+v", p.Rows)
	}
}
