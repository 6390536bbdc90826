package httpapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"rollcall/app"
)

// TestExportRoutes: an admin downloads a group as a OneRoster zip (its
// name and type for the download helper, the bundle's files), the export
// needs a session, and a job's accounts come as an Entra file with the
// passwords the slips show, for the admin who started the job only.
func TestExportRoutes(t *testing.T) {
	e := newEnv(t)
	f := e.fixture(t)
	e.createUser(t, f.cookie, f.org, map[string]any{"first_name": "Bo", "last_name": "Lind", "username": "bo.lind", "groups": []string{f.group}})

	req := withCookie(newRequest(t, "POST", f.path("/api/organizations/{org}/users/export"), map[string]any{"format": "oneroster", "group": "5A"}), f.cookie)
	rec := e.serve(req)
	if rec.Code != http.StatusOK {
		t.Fatalf("export = %d %s", rec.Code, rec.Body)
	}
	if ct, cd := rec.Header().Get("Content-Type"), rec.Header().Get("Content-Disposition"); ct != "application/zip" ||
		!strings.HasPrefix(cd, `attachment; filename=rollcall-maple-5a-`) || !strings.HasSuffix(cd, "-oneroster.zip") {
		t.Errorf("Content-Type %q, Content-Disposition %q", ct, cd)
	}
	zr, err := zip.NewReader(bytes.NewReader(rec.Body.Bytes()), int64(rec.Body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, zf := range zr.File {
		names = append(names, zf.Name)
	}
	if want := []string{"manifest.csv", "orgs.csv", "academicSessions.csv", "courses.csv", "classes.csv", "users.csv", "enrollments.csv"}; !slices.Equal(names, want) {
		t.Errorf("files %q, want %q", names, want)
	}

	status, body := e.do(t, "POST", f.path("/api/organizations/{org}/users/export"), map[string]any{"format": "oneroster"}, "")
	checkError(t, status, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
	status, body = e.do(t, "POST", f.path("/api/organizations/{org}/users/export"), map[string]any{"format": "pdf"}, f.cookie)
	checkError(t, status, body, http.StatusBadRequest, app.EINVALID, "format")

	st := call[app.JobStatus](t, e, "POST", f.path("/api/organizations/{org}/accounts"), map[string]any{"text": "Lin Wei\nOla Nordmann", "groups": []string{f.group}}, f.cookie, http.StatusAccepted)
	if st = waitJob(t, e, f.cookie, st.ID); st.State != app.JobDone {
		t.Fatalf("job %+v", st)
	}
	v, err := e.App.Jobs.Result(st.ID)
	if err != nil {
		t.Fatal(err)
	}
	res := v.(*app.AccountResult)
	rec = e.serve(withCookie(newRequest(t, "GET", "/api/jobs/"+st.ID+"/credentials?format=entra", nil), f.cookie))
	if rec.Code != http.StatusOK || !strings.HasSuffix(rec.Header().Get("Content-Disposition"), "-entra.csv") {
		t.Fatalf("credentials = %d %s %q", rec.Code, rec.Body, rec.Header().Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "version:v1.0" || len(rows) != 4 {
		t.Fatalf("entra file %q", rows)
	}
	for i, acc := range res.Accounts {
		if rows[i+2][2] != acc.Password || acc.Password == "" {
			t.Errorf("row %d password %q, want the slip's %q", i+3, rows[i+2][2], acc.Password)
		}
	}

	done := make(chan struct{})
	other := e.App.Jobs.StartFor("someone-else", "create-accounts", func(context.Context, app.Progress) (any, error) {
		defer close(done)
		return res, nil
	})
	<-done
	for st, _ := e.App.Jobs.Status(other); st.State == app.JobRunning; st, _ = e.App.Jobs.Status(other) {
		time.Sleep(time.Millisecond)
	}
	status, body = e.do(t, "GET", "/api/jobs/"+other+"/credentials?format=csv", nil, f.cookie)
	checkError(t, status, body, http.StatusNotFound, app.ENOTFOUND, "")
}
