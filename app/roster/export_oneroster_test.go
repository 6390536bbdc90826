package roster_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/roster"
)

// oneRosterSpec is 1EdTech OneRoster v1.1 "CSV Tables" (Final Release,
// section 3, tables 3.1–3.16), for the files Rollcall writes: each file's
// columns in the specification's order, and whether a column is required
// (the "Required" column of its table). Written from the specification,
// not from the writer, so that a column dropped, renamed or moved fails.
var oneRosterSpec = []struct {
	file    string
	columns []specColumn
}{
	{"orgs.csv", []specColumn{{"sourcedId", true}, {"status", false}, {"dateLastModified", false}, {"name", true},
		{"type", true}, {"identifier", false}, {"parentSourcedId", false}}},
	{"academicSessions.csv", []specColumn{{"sourcedId", true}, {"status", false}, {"dateLastModified", false}, {"title", true},
		{"type", true}, {"startDate", true}, {"endDate", true}, {"parentSourcedId", false}, {"schoolYear", true}}},
	{"courses.csv", []specColumn{{"sourcedId", true}, {"status", false}, {"dateLastModified", false}, {"schoolYearSourcedId", false},
		{"title", true}, {"courseCode", false}, {"grades", false}, {"orgSourcedId", true}, {"subjects", false}, {"subjectCodes", false}}},
	{"classes.csv", []specColumn{{"sourcedId", true}, {"status", false}, {"dateLastModified", false}, {"title", true},
		{"grades", false}, {"courseSourcedId", true}, {"classCode", false}, {"classType", true}, {"location", false},
		{"schoolSourcedId", true}, {"termSourcedIds", true}, {"subjects", false}, {"subjectCodes", false}, {"periods", false}}},
	{"users.csv", []specColumn{{"sourcedId", true}, {"status", false}, {"dateLastModified", false}, {"enabledUser", true},
		{"orgSourcedIds", true}, {"role", true}, {"username", true}, {"userIds", false}, {"givenName", true}, {"familyName", true},
		{"middleName", false}, {"identifier", false}, {"email", false}, {"sms", false}, {"phone", false},
		{"agentSourcedIds", false}, {"grades", false}, {"password", false}}},
	{"enrollments.csv", []specColumn{{"sourcedId", true}, {"status", false}, {"dateLastModified", false}, {"classSourcedId", true},
		{"schoolSourcedId", true}, {"userSourcedId", true}, {"role", true}, {"primary", false}, {"beginDate", false}, {"endDate", false}}},
}

type specColumn struct {
	name     string
	required bool
}

// oneRosterVocab are the specification's enumerations (section 4) for the
// columns Rollcall fills with one.
var oneRosterVocab = map[string][]string{
	"orgs.csv/type":                        {"department", "school", "district", "local", "state", "national"},
	"academicSessions.csv/type":            {"gradingPeriod", "semester", "schoolYear", "term"},
	"classes.csv/classType":                {"homeroom", "scheduled"},
	"users.csv/role":                       {"administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"},
	"users.csv/enabledUser":                {"true", "false"},
	"enrollments.csv/role":                 {"administrator", "proctor", "student", "teacher"},
	"enrollments.csv/primary":              {"", "true", "false"},
	"orgs.csv/status":                      {""}, // a bulk file leaves status empty
	"users.csv/status":                     {""},
	"classes.csv/status":                   {""},
	"enrollments.csv/status":               {""},
	"academicSessions.csv/status":          {""},
	"courses.csv/status":                   {""},
	"users.csv/dateLastModified":           {""},
	"enrollments.csv/beginDate":            {""},
	"academicSessions.csv/parentSourcedId": {""},
}

// oneRosterRefs are the references between files: a column's values must
// be sourcedIds of rows of the named file.
var oneRosterRefs = map[string]string{
	"courses.csv/schoolYearSourcedId": "academicSessions.csv",
	"courses.csv/orgSourcedId":        "orgs.csv",
	"classes.csv/courseSourcedId":     "courses.csv",
	"classes.csv/schoolSourcedId":     "orgs.csv",
	"classes.csv/termSourcedIds":      "academicSessions.csv",
	"users.csv/orgSourcedIds":         "orgs.csv",
	"enrollments.csv/classSourcedId":  "classes.csv",
	"enrollments.csv/schoolSourcedId": "orgs.csv",
	"enrollments.csv/userSourcedId":   "users.csv",
}

// oneRosterManifest are the properties of a 1.1 manifest.csv and the
// values each may take.
var oneRosterManifest = map[string][]string{
	"manifest.version": {"1.0"}, "oneroster.version": {"1.1"},
	"file.academicSessions": {"bulk"}, "file.categories": {"absent"}, "file.classes": {"bulk"},
	"file.classResources": {"absent"}, "file.courses": {"bulk"}, "file.courseResources": {"absent"},
	"file.demographics": {"absent"}, "file.enrollments": {"bulk"}, "file.lineItems": {"absent"},
	"file.orgs": {"bulk"}, "file.resources": {"absent"}, "file.results": {"absent"}, "file.users": {"bulk"},
	"source.systemName": nil, "source.systemCode": nil,
}

var dateRe, yearRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`), regexp.MustCompile(`^\d{4}$`)

// readZip reads the CSV files of a zip, by name.
func readZip(t *testing.T, data []byte) (map[string][][]string, []string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][][]string{}
	var names []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(b, []byte("\ufeff")) {
			t.Errorf("%s starts with a BOM", f.Name)
		}
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll() // also: every row as wide as the header
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out[f.Name] = rows
		names = append(names, f.Name)
	}
	return out, names
}

// checkOneRosterBundle checks a OneRoster export against the specification
// table: the files, each file's header exactly, and every row: required
// cells filled, enumerations, dates, unique sourcedIds, references that
// resolve; and that it holds n users.
func checkOneRosterBundle(t *testing.T, data []byte, n int) {
	t.Helper()
	files, names := readZip(t, data)
	want := []string{"manifest.csv"}
	for _, f := range oneRosterSpec {
		want = append(want, f.file)
	}
	if !slices.Equal(names, want) {
		t.Fatalf("files %q, want %q", names, want)
	}
	manifest := files["manifest.csv"]
	if !slices.Equal(manifest[0], []string{"propertyName", "value"}) {
		t.Errorf("manifest header %q", manifest[0])
	}
	seen := map[string]bool{}
	for _, r := range manifest[1:] {
		vals, ok := oneRosterManifest[r[0]]
		switch {
		case !ok:
			t.Errorf("manifest: unknown property %q", r[0])
		case vals != nil && !slices.Contains(vals, r[1]) || vals == nil && r[1] == "":
			t.Errorf("manifest: %s = %q", r[0], r[1])
		}
		seen[r[0]] = true
	}
	for p := range oneRosterManifest {
		if !seen[p] {
			t.Errorf("manifest: no %s", p)
		}
	}
	ids := map[string]map[string]bool{}
	for _, spec := range oneRosterSpec {
		rows := files[spec.file]
		var header []string
		for _, c := range spec.columns {
			header = append(header, c.name)
		}
		if !slices.Equal(rows[0], header) {
			t.Fatalf("%s header:\n got %q\nwant %q", spec.file, rows[0], header)
		}
		ids[spec.file] = map[string]bool{}
		for i, r := range rows[1:] {
			where := fmt.Sprintf("%s row %d", spec.file, i+2)
			for j, c := range spec.columns {
				v, key := r[j], spec.file+"/"+c.name
				if c.required && v == "" {
					t.Fatalf("%s: required %s is empty", where, c.name)
				}
				if vocab, ok := oneRosterVocab[key]; ok && !slices.Contains(vocab, v) {
					t.Fatalf("%s: %s = %q, not one of %q", where, c.name, v, vocab)
				}
				if (strings.HasSuffix(c.name, "Date") && c.name != "startDate" && c.name != "endDate") && v != "" && !dateRe.MatchString(v) ||
					(c.name == "startDate" || c.name == "endDate") && !dateRe.MatchString(v) && (v != "" || c.required) {
					t.Fatalf("%s: %s = %q is not YYYY-MM-DD", where, c.name, v)
				}
				if c.name == "schoolYear" && !yearRe.MatchString(v) {
					t.Fatalf("%s: schoolYear = %q", where, v)
				}
				if v != "" && strings.HasPrefix(v, "'") {
					t.Fatalf("%s: %s = %q carries a spreadsheet escape", where, c.name, v)
				}
			}
			if ids[spec.file][r[0]] {
				t.Fatalf("%s: sourcedId %s twice", where, r[0])
			}
			ids[spec.file][r[0]] = true
		}
	}
	for key, target := range oneRosterRefs {
		file, col, _ := strings.Cut(key, "/")
		k := slices.Index(files[file][0], col)
		for i, r := range files[file][1:] {
			for _, ref := range strings.Split(r[k], ",") {
				if !ids[target][ref] {
					t.Fatalf("%s row %d: %s %q is no sourcedId of %s", file, i+2, col, ref, target)
				}
			}
		}
	}
	if got := len(files["users.csv"]) - 1; got != n {
		t.Errorf("%d users, want %d", got, n)
	}
	if len(files["enrollments.csv"]) < 2 || len(files["classes.csv"]) < 2 {
		t.Errorf("no classes or no enrollments")
	}
}

// TestOneRosterExportFollowsSpec checks the OneRoster export of an
// organization against the specification table; then that a second export
// a day later has the same sourcedIds (nothing random per export), and that
// a group's export holds that class and its members only.
func TestOneRosterExportFollowsSpec(t *testing.T) {
	env := apptest.New(t)
	seedRoster(t, env, "maple", 120, 6)
	export := func(req app.ExportRequest) (*app.Roster, []byte) {
		t.Helper()
		req.Format = app.ExportOneRoster
		x, err := env.App.ExportUsers(cli, "maple", req)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := roster.WriteExport(&b, x); err != nil {
			t.Fatal(err)
		}
		return x, b.Bytes()
	}
	_, first := export(app.ExportRequest{})
	checkOneRosterBundle(t, first, 120)
	a, _ := readZip(t, first)
	// A teacher is a teacher in users.csv and in enrollments.csv.
	roles := map[string]int{}
	for _, r := range a["users.csv"][1:] {
		roles[r[5]]++
	}
	if roles["teacher"] == 0 || roles["student"] == 0 {
		t.Errorf("roles %v, want teachers and students", roles)
	}

	env.Clock.Add(24 * time.Hour)
	_, second := export(app.ExportRequest{})
	b, _ := readZip(t, second)
	for _, f := range []string{"orgs.csv", "academicSessions.csv", "courses.csv", "classes.csv", "users.csv", "enrollments.csv"} {
		if fmt.Sprint(a[f]) != fmt.Sprint(b[f]) {
			t.Errorf("%s changed between two exports of the same people", f)
		}
	}

	x, group := export(app.ExportRequest{Group: "2A"})
	checkOneRosterBundle(t, group, len(x.People))
	g, _ := readZip(t, group)
	if len(g["classes.csv"]) != 2 || g["classes.csv"][1][3] != "2A" {
		t.Fatalf("classes of the export of 2A: %q", g["classes.csv"])
	}
	if len(g["enrollments.csv"])-1 != len(x.People) || len(x.People) == 0 {
		t.Errorf("%d enrollments for the %d members of 2A", len(g["enrollments.csv"])-1, len(x.People))
	}
	for _, r := range g["classes.csv"][1:] {
		if !slices.ContainsFunc(a["classes.csv"], func(o []string) bool { return o[0] == r[0] }) {
			t.Errorf("class %s has another sourcedId in the group's export", r[3])
		}
	}
}
