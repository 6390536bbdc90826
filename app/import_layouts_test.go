package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/roster"
)

// layoutDir holds the fixtures written from each format's published
// template or specification (app/roster/testdata/layouts/README.md).
const layoutDir = "roster/testdata/layouts"

// readFixture reads a fixture as an upload would: one file, a directory
// of CSV files chosen together, or that directory zipped.
func readFixture(t *testing.T, name string, zipped bool) *app.ImportFile {
	t.Helper()
	p := filepath.Join(layoutDir, name)
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !st.IsDir() {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := roster.Read(bytes.NewReader(data), name, int64(len(data)), roster.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		t.Fatal(err)
	}
	var files []roster.File
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(p, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, roster.File{Name: e.Name(), Data: data})
	}
	var f *app.ImportFile
	if zipped {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for _, file := range files {
			w, _ := zw.Create("bundle/" + file.Name)
			w.Write(file.Data)
		}
		zw.Close()
		f, err = roster.Read(bytes.NewReader(b.Bytes()), name+".zip", int64(b.Len()), roster.DefaultLimits)
	} else {
		f, err = roster.ReadFiles(files, roster.DefaultLimits)
	}
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// person is a created account as the tests compare it.
type person struct{ first, last, email, typ, groups string }

// TestImportLayouts previews and imports each fixture into a fresh
// organization and compares the people created (names, sign-in, account
// type, groups) and the rows left out, with their reasons.
func TestImportLayouts(t *testing.T) {
	tests := []struct {
		fixture string
		zipped  bool
		opt     app.ImportOptions
		layout  string
		people  map[string]person // username → person
		skipped map[int]string    // row → words of its reason
		errors  map[int]string    // row → words of its problem
		warned  map[int]string    // row → words of its warning
		notes   map[string]string // group → words of its note
	}{
		{
			fixture: "entra-bulk-create.csv", layout: roster.LayoutEntra,
			opt: app.ImportOptions{CreateGroups: true, AccountType: app.TypeTeacher},
			people: map[string]person{
				"ada.lovelace":   {"Ada", "Lovelace", "ada.lovelace@maple.example", "teacher", "Staff"},
				"grace.hopper":   {"Grace", "Hopper", "grace.hopper@maple.example", "teacher", "Staff"},
				"maria.delacruz": {"Maria", "de la Cruz", "maria.delacruz@maple.example", "teacher", "Staff"},
			},
			skipped: map[int]string{6: "blocks this person from signing in"},
			warned:  map[int]string{5: "Check where the last name starts"},
		},
		{
			fixture: "google-upload.csv", layout: roster.LayoutGoogle,
			opt: app.ImportOptions{CreateGroups: true},
			people: map[string]person{
				"ada.lovelace": {"Ada", "Lovelace", "ada.lovelace@maple.example", "student", "Year 3"},
				"grace.hopper": {"Grace", "Hopper", "grace.hopper@maple.example", "student", "Year 4"},
				// a hashed password is no password: one is generated
				"alan.turing": {"Alan", "Turing", "alan.turing@maple.example", "student", "Year 4"},
			},
			skipped: map[int]string{5: "suspended"},
		},
		{
			fixture: "moodle-upload.csv", layout: roster.LayoutMoodle,
			opt: app.ImportOptions{CreateGroups: true, ReplaceBadPasswords: true},
			people: map[string]person{
				"ada.lovelace": {"Ada", "Lovelace", "ada.lovelace@maple.example", "student", "year7;MATH7;7A;SCI7"},
				"grace.hopper": {"Grace", "Hopper", "grace.hopper@maple.example", "teacher", "staff;MATH7"},
				"emmy.noether": {"Emmy", "Noether", "emmy.noether@maple.example", "student", "year7;SCI7"},
			},
			skipped: map[int]string{4: "suspended", 5: "nologin"},
			warned:  map[int]string{2: "breaks the rules", 3: "breaks the rules"},
		},
		{
			fixture: "canvas-users.csv", layout: roster.LayoutCanvas,
			people: map[string]person{
				"ada.lovelace": {"Ada", "Lovelace", "ada.lovelace@maple.example", "student", ""},
				"grace.hopper": {"Grace", "Hopper", "grace.hopper@maple.example", "student", ""},
				"alan.turing":  {"Alan Mathison", "Turing", "alan.turing@maple.example", "student", ""},
			},
			skipped: map[int]string{5: "deleted", 6: "deleted", 7: "deleted", 8: "suspended", 9: "deleted"},
			warned:  map[int]string{4: "Check where the last name starts"},
		},
		{
			fixture: "oneroster-1.1", zipped: true, layout: roster.LayoutOneRoster11,
			opt: app.ImportOptions{CreateGroups: true},
			people: map[string]person{
				"ada.lovelace": {"Ada", "Lovelace", "", "student", "3B"},
				"grace.hopper": {"Grace", "Hopper", "", "student", "3B;Maths 4"},
				"alan.turing":  {"Alan", "Turing", "alan.turing@maple.example", "teacher", "3B;Maths 4"},
			},
			skipped: map[int]string{5: "inactive", 6: "to be deleted", 7: "parent", 8: "guardian"},
			notes:   map[string]string{"3B": "Maple Primary School; Autumn term (2027)"},
		},
		{
			fixture: "oneroster-1.1", layout: roster.LayoutOneRoster11,
			opt: app.ImportOptions{CreateGroups: true},
			people: map[string]person{
				"ada.lovelace": {"Ada", "Lovelace", "", "student", "3B"},
				"grace.hopper": {"Grace", "Hopper", "", "student", "3B;Maths 4"},
				"alan.turing":  {"Alan", "Turing", "alan.turing@maple.example", "teacher", "3B;Maths 4"},
			},
			skipped: map[int]string{5: "inactive", 6: "to be deleted", 7: "parent", 8: "guardian"},
		},
		{
			fixture: "oneroster-1.2", zipped: true, layout: roster.LayoutOneRoster12,
			opt: app.ImportOptions{CreateGroups: true},
			people: map[string]person{
				"ada.lovelace": {"Ada", "Lovelace", "", "student", "3B"},
				"grace.hopper": {"Grace", "Hopper", "", "student", "3B;Maths 4"},
				"alan.turing":  {"Alan", "Turing", "alan.turing@maple.example", "teacher", "3B;Maths 4"},
			},
			skipped: map[int]string{5: "inactive", 6: "parent"},
			notes:   map[string]string{"Maths 4": "Maple Primary School; Autumn term (2027)"},
		},
		{
			fixture: "bare-quotes.csv", layout: roster.LayoutRollcall,
			people: map[string]person{
				"robertbob.smith":     {`Robert "Bob"`, "Smith", "", "student", ""},
				"ada.lovelace":        {"Ada", "Lovelace", "", "student", ""},
				"graceamazing.hopper": {`Grace, "Amazing"`, "Hopper", "", "student", ""},
			},
		},
	}
	for _, tt := range tests {
		name := tt.fixture
		if tt.zipped {
			name += ".zip"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a := apptest.New(t).App
			o := mustOrg(t, a, &app.Organization{Name: "Maple"})
			f := readFixture(t, tt.fixture, tt.zipped)
			if f.Layout != tt.layout {
				t.Errorf("layout = %q, want %q", f.Layout, tt.layout)
			}
			p, err := a.PreviewImport(ctx, o.Slug, f, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if p.File.Layout != tt.layout {
				t.Errorf("preview layout = %q", p.File.Layout)
			}
			for _, r := range p.Rows {
				switch {
				case tt.skipped[r.Line] != "":
					if r.Status != app.RowSkip || !strings.Contains(r.Reason(), tt.skipped[r.Line]) {
						t.Errorf("row %d: %s %q, want left out for %q", r.Line, r.Status, r.Reason(), tt.skipped[r.Line])
					}
				case tt.errors[r.Line] != "":
					if r.Status != app.RowError || !strings.Contains(r.Reason(), tt.errors[r.Line]) {
						t.Errorf("row %d: %s %q, want an error %q", r.Line, r.Status, r.Reason(), tt.errors[r.Line])
					}
				case tt.warned[r.Line] != "":
					if r.Status != app.RowWarning || !strings.Contains(r.Reason(), tt.warned[r.Line]) {
						t.Errorf("row %d: %s %q, want a warning %q", r.Line, r.Status, r.Reason(), tt.warned[r.Line])
					}
				case r.Status == app.RowError || r.Status == app.RowSkip:
					t.Errorf("row %d: %s %q", r.Line, r.Status, r.Reason())
				}
			}
			if p.Skipped != len(tt.skipped) || p.Errors != len(tt.errors) {
				t.Errorf("preview: %d skipped, %d errors; want %d, %d", p.Skipped, p.Errors, len(tt.skipped), len(tt.errors))
			}
			res, err := a.CommitImport(ctx, o.Slug, f, tt.opt, nil)
			if err != nil {
				t.Fatal(err)
			}
			groups, err := a.Groups(ctx, o.Slug)
			if err != nil {
				t.Fatal(err)
			}
			groupName := map[string]string{}
			for _, g := range groups {
				groupName[g.ID] = g.Name
				if want, ok := tt.notes[g.Name]; ok && g.Note != want {
					t.Errorf("group %s note = %q, want %q", g.Name, g.Note, want)
				}
			}
			page, err := a.Users(ctx, o.Slug, app.UserFilter{PerPage: 100})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]person{}
			for _, u := range page.Users {
				var gs []string
				for _, id := range u.Groups {
					gs = append(gs, groupName[id])
				}
				sort.Strings(gs)
				got[u.Username] = person{u.FirstName, u.LastName, u.Email, u.AccountType, strings.Join(gs, ";")}
			}
			for username, want := range tt.people {
				gs := strings.Split(want.groups, ";")
				sort.Strings(gs)
				want.groups = strings.Join(gs, ";")
				if got[username] != want {
					t.Errorf("%s = %+v, want %+v", username, got[username], want)
				}
			}
			if len(got) != len(tt.people) {
				t.Errorf("created %d people, want %d: %v", len(got), len(tt.people), got)
			}
			if res.Import.Created != len(tt.people) || res.Import.Skipped != len(tt.skipped)+len(tt.errors) {
				t.Errorf("import: %d created, %d skipped", res.Import.Created, res.Import.Skipped)
			}
		})
	}
}

// A headerless list (Last;First;Class) is not refused: the preview asks
// what each column holds; the import with the mapping creates the people,
// and the mapping is remembered for the next file with the same columns.
func TestImportHeaderlessMapping(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	f := readFixture(t, "headerless.csv", false)
	if !f.NeedsMapping || f.FirstRowHeader || len(f.Rows) != 3 {
		t.Fatalf("read: needs mapping %v, header %v, %d rows", f.NeedsMapping, f.FirstRowHeader, len(f.Rows))
	}
	p, err := a.PreviewImport(ctx, o.Slug, f, app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Mapping == nil || !p.Mapping.Required || len(p.Rows) != 0 || len(p.Mapping.Columns) != 3 ||
		p.Mapping.Columns[0].First != "Lovelace" || p.Mapping.Columns[1].Samples[0] != "Grace" {
		t.Fatalf("mapping step = %+v, %d rows", p.Mapping, len(p.Rows))
	}
	if _, err := a.CommitImport(ctx, o.Slug, f, app.ImportOptions{}, nil); app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.Error(), "each column") {
		t.Fatalf("commit without a mapping = %v", err)
	}
	if _, err := a.PreviewImport(ctx, o.Slug, f, app.ImportOptions{Mapping: &app.ColumnMapping{Columns: []string{"last_name", "", "groups"}}}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("a mapping without a first name = %v", err)
	}
	m := &app.ColumnMapping{Columns: []string{"last_name", "first_name", "groups"}}
	opt := app.ImportOptions{Mapping: m, CreateGroups: true}
	p, err = a.PreviewImport(ctx, o.Slug, f, opt)
	if err != nil {
		t.Fatal(err)
	}
	if p.Mapping == nil || p.Mapping.Required || p.Create+p.Warnings != 3 || p.Rows[0].Line != 1 || p.Rows[0].Username != "ada.lovelace" {
		t.Fatalf("mapped preview = %+v, %d to create", p.Mapping, p.Create+p.Warnings)
	}
	res, err := a.CommitImport(ctx, o.Slug, f, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Import.Created != 3 || strings.Join(res.Import.GroupsCreated, ",") != "3B,4A" {
		t.Fatalf("import = %+v", res.Import)
	}
	// The next file with three columns and no header: the mapping is back.
	next, err := roster.Read(strings.NewReader("Hopper;Grace;4A\nCurie;Marie;3B\n"), "next.csv", -1, roster.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	p, err = a.PreviewImport(ctx, o.Slug, next, app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Mapping == nil || !p.Mapping.Remembered || p.Mapping.Required || p.Rows[1].Values[app.ColFirstName] != "Marie" {
		t.Fatalf("remembered mapping = %+v", p.Mapping)
	}
	// Another organization has its own mappings.
	other := mustOrg(t, a, &app.Organization{Name: "Oak"})
	if p, err = a.PreviewImport(ctx, other.Slug, next, app.ImportOptions{}); err != nil || !p.Mapping.Required {
		t.Fatalf("other organization: %+v, %v", p.Mapping, err)
	}
}

// The results file is written in the upload's delimiter and encoding, with
// a BOM, and echoes every cell of each row as uploaded; it says which
// passwords were made because the file's broke the rules.
func TestImportResultsAsUploaded(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	// UTF-16 LE, tab-separated (Excel's "Unicode text"), with a column Rollcall does not read.
	text := "First name\tLast name\tPassword\tShoe size\r\nZoë\tÅberg\tshort\t38\r\nAda\tLovelace\tEngine-Notes-1843\t37\r\n"
	data := []byte{0xff, 0xfe}
	for _, r := range text {
		data = append(data, byte(r), byte(r>>8))
	}
	f, err := roster.Read(bytes.NewReader(data), "class.txt", int64(len(data)), roster.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.CommitImport(ctx, o.Slug, f, app.ImportOptions{ReplaceBadPasswords: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := roster.WriteResultsCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.Bytes()
	if !bytes.HasPrefix(out, []byte{0xff, 0xfe}) {
		t.Fatalf("results start %x, want a UTF-16 LE BOM", out[:4])
	}
	back, _, err := roster.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(back, "\ufeff"), "\r\n"), "\r\n")
	if got, want := lines[0], "row\tstatus\treason\tusername\tlogin_email\tpassword\tFirst name\tLast name\tPassword\tShoe size\tpassword_note"; got != want {
		t.Fatalf("header = %q\nwant %q", got, want)
	}
	zoe := strings.Split(lines[1], "\t")
	if zoe[1] != "created" || zoe[6] != "Zoë" || zoe[8] != "short" || zoe[9] != "38" || zoe[10] != app.PasswordReplacedNote || zoe[5] == "short" || len(zoe[5]) < 10 {
		t.Errorf("replaced row = %q", zoe)
	}
	ada := strings.Split(lines[2], "\t")
	if ada[5] != "Engine-Notes-1843" || ada[10] != "" {
		t.Errorf("given password row = %q", ada)
	}
}

// Quotes as Excel reads them: a quote inside a cell that does not start
// with one is a character; a cell that starts with a quote never closed is
// refused, naming its row.
func TestImportQuotes(t *testing.T) {
	f := readFixture(t, "bare-quotes.csv", false)
	if got := f.Rows[0].Values[app.ColLabels]; got != `=HYPERLINK("x")` {
		t.Errorf("formula cell = %q", got)
	}
	if got := f.Rows[1].Values[app.ColLabels]; got != `say "hi"` {
		t.Errorf("bare quotes = %q", got)
	}
	data, err := os.ReadFile(filepath.Join(layoutDir, "unclosed-quote.csv"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = roster.Read(bytes.NewReader(data), "unclosed-quote.csv", int64(len(data)), roster.DefaultLimits)
	if app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.Error(), "Row 3: a quote is not closed") {
		t.Errorf("unclosed quote = %v", err)
	}
}
