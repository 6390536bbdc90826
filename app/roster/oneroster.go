package roster

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"rollcall/app"
)

// File is one uploaded file: several at once make a OneRoster bundle.
type File struct {
	Name string
	Data []byte
}

// ReadFiles reads the files of one upload: a single file as Read does, or
// the CSV files of a OneRoster bundle chosen together (users.csv with
// classes.csv, enrollments.csv, ...).
func ReadFiles(files []File, lim Limits) (*app.ImportFile, error) {
	switch len(files) {
	case 0:
		return nil, invalid("No file was sent.")
	case 1:
		return Read(bytes.NewReader(files[0].Data), files[0].Name, int64(len(files[0].Data)), lim)
	}
	var total int64
	for _, f := range files {
		if total += int64(len(f.Data)); total > lim.MaxBytes {
			return nil, tooLarge(lim)
		}
	}
	return readOneRoster(files, fmt.Sprintf("%s and %d more files", fileName(files[0].Name), len(files)-1), lim)
}

// isBundle reports a zip that holds a OneRoster users.csv (and is no workbook).
func isBundle(data []byte) bool {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return false
	}
	for _, zf := range zr.File {
		if strings.EqualFold(path.Base(zf.Name), "users.csv") {
			return true
		}
	}
	return false
}

// readZipBundle unpacks a OneRoster .zip within the limits (the sizes in
// its directory are checked before anything is inflated, and each part is
// inflated at most one byte past what it declares) and reads it.
func readZipBundle(data []byte, name string, lim Limits) (*app.ImportFile, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, invalid("The file is not a readable .zip: %s.", strings.TrimPrefix(err.Error(), "zip: "))
	}
	if len(zr.File) > 1000 {
		return nil, invalid("The .zip has too many files (%d) to be a OneRoster bundle.", len(zr.File))
	}
	var total uint64
	var files []File
	for _, zf := range zr.File {
		base := path.Base(strings.ReplaceAll(zf.Name, "\\", "/"))
		if !strings.EqualFold(path.Ext(base), ".csv") || oneRosterFiles[strings.ToLower(base)] == "" {
			continue // gradebook and resource files, folders: not read
		}
		if total += zf.UncompressedSize64; total > uint64(lim.MaxUnzipped) || zf.UncompressedSize64 > uint64(lim.MaxBytes) {
			return nil, invalid("The .zip unpacks to more than %d MB; it is too large or damaged (a \"zip bomb\").", lim.MaxUnzipped>>20)
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, invalid("The .zip is damaged (%s).", strings.TrimPrefix(err.Error(), "zip: "))
		}
		b, err := io.ReadAll(io.LimitReader(rc, int64(zf.UncompressedSize64)+1))
		rc.Close()
		if err != nil || uint64(len(b)) != zf.UncompressedSize64 {
			return nil, invalid("The .zip is damaged: %s does not unpack to the size it declares.", fmt.Sprintf("%.60s", zf.Name))
		}
		files = append(files, File{Name: base, Data: b})
	}
	return readOneRoster(files, name, lim)
}

// oneRosterFiles are the bundle's files Rollcall reads, by lower-case name.
var oneRosterFiles = map[string]string{
	"manifest.csv": "manifest", "users.csv": "users", "classes.csv": "classes", "enrollments.csv": "enrollments",
	"orgs.csv": "orgs", "academicsessions.csv": "academicSessions", "roles.csv": "roles", "courses.csv": "courses",
}

// csvTable is a CSV file read whole: its header and rows as records.
type csvTable struct {
	header []string
	col    map[string]int // header cell (trimmed, lower case) → index
	rows   [][]string
	lines  []int
}

func (t *csvTable) add(row int, cells []string) error {
	if t.header == nil {
		if allEmpty(cells) {
			return nil
		}
		t.header, t.col = cells, map[string]int{}
		for i, c := range cells {
			t.col[strings.ToLower(strings.TrimSpace(c))] = i
		}
		return nil
	}
	if !allEmpty(cells) {
		t.rows, t.lines = append(t.rows, cells), append(t.lines, row)
	}
	return nil
}

func (t *csvTable) done() error { return nil }

// get is the cell of row r under the column named name ("" if none),
// unescaped as the users' cells are (app.UnescapeCell).
func (t *csvTable) get(r []string, name string) string {
	if i, ok := t.col[strings.ToLower(name)]; ok && i < len(r) {
		return app.UnescapeCell(strings.TrimSpace(r[i]))
	}
	return ""
}

func readTable(f File, lim Limits) (*csvTable, error) {
	text, _, err := Decode(f.Data)
	if err != nil {
		return nil, err
	}
	t := &csvTable{}
	if err := readRecords(strings.TrimPrefix(text, "\ufeff"), ',', lim, t); err != nil {
		return nil, invalid("%s: %s", f.Name, app.ErrorArg(err))
	}
	return t, nil
}

// readOneRoster reads a OneRoster 1.1 or 1.2 CSV bundle: people from
// users.csv (as the OneRoster layout reads it: enabledUser and status
// decide who is created; parents, guardians and relatives are left out by
// the import), each person's classes from enrollments.csv and classes.csv
// as groups (a class's title; its school from orgs.csv and its terms from
// academicSessions.csv make the group's note), and the account type from
// the person's role: users.csv's role (1.1), else their primary role in
// roles.csv (1.2), else their enrollments (teacher before student).
// Enrollments and classes marked tobedeleted are left out.
func readOneRoster(files []File, name string, lim Limits) (*app.ImportFile, error) {
	byKind := map[string]File{}
	h := sha256.New()
	sort.Slice(files, func(i, j int) bool { return strings.ToLower(files[i].Name) < strings.ToLower(files[j].Name) })
	for _, f := range files {
		base := strings.ToLower(path.Base(strings.ReplaceAll(f.Name, "\\", "/")))
		kind := oneRosterFiles[base]
		if kind == "" {
			if path.Ext(base) == ".csv" {
				continue // gradebook, resources, demographics: not read
			}
			return nil, invalid("%s is not a file of a OneRoster bundle; choose the bundle's CSV files (users.csv, classes.csv, enrollments.csv, ...) or its .zip.", fileName(f.Name))
		}
		byKind[kind] = f
		fmt.Fprintf(h, "%s\x00%d\x00", base, len(f.Data))
		h.Write(f.Data)
	}
	users, ok := byKind["users"]
	if !ok {
		return nil, invalid("The OneRoster bundle has no users.csv, so it names nobody to create.")
	}
	out, err := ReadCSV(users.Data, lim)
	if err != nil {
		return nil, invalid("users.csv: %s", app.ErrorArg(err))
	}
	if out.NeedsMapping || out.Layout != LayoutOneRoster {
		return nil, invalid("users.csv is not a OneRoster users file: its first row should name sourcedId, givenName and familyName.")
	}
	tables := map[string]*csvTable{}
	for _, kind := range []string{"manifest", "classes", "enrollments", "orgs", "academicSessions", "roles"} {
		if f, ok := byKind[kind]; ok {
			if tables[kind], err = readTable(f, lim); err != nil {
				return nil, err
			}
		}
	}
	version := "1.1"
	if m := tables["manifest"]; m != nil {
		for _, r := range m.rows {
			if strings.EqualFold(m.get(r, "propertyName"), "oneroster.version") {
				version = m.get(r, "value")
			}
		}
	} else if tables["roles"] != nil {
		version = "1.2"
	}
	out.Format, out.Name, out.SHA256 = app.FormatOneRoster, fileName(name), hex.EncodeToString(h.Sum(nil))
	out.Layout = LayoutOneRoster11
	if strings.HasPrefix(version, "1.2") {
		out.Layout = LayoutOneRoster12
	}

	idCol := -1
	for i, c := range out.Header {
		if strings.TrimSpace(c) == "sourcedId" {
			idCol = i
		}
	}
	rowOf := make(map[string]int, len(out.Rows))
	for i, r := range out.Rows {
		if idCol >= 0 && idCol < len(r.Cells) {
			rowOf[strings.TrimSpace(r.Cells[idCol])] = i
		}
	}
	active := func(t *csvTable, r []string) bool {
		s := strings.ToLower(t.get(r, "status"))
		return s != "tobedeleted" && s != "inactive" && s != "deleted"
	}

	// Roles (1.2): the primary role of each person, else the first.
	if t := tables["roles"]; t != nil {
		primary := map[string]bool{}
		for _, r := range t.rows {
			i, ok := rowOf[t.get(r, "userSourcedId")]
			if !ok || !active(t, r) {
				continue
			}
			isPrimary := strings.EqualFold(t.get(r, "roleType"), "primary")
			v := out.Rows[i].Values
			if v[app.ColAccountType] == "" || isPrimary && !primary[t.get(r, "userSourcedId")] {
				v[app.ColAccountType] = t.get(r, "role")
				primary[t.get(r, "userSourcedId")] = isPrimary
			}
		}
	}

	// Classes → groups, named by title (with the class code when two share a title).
	orgName := map[string]string{}
	if t := tables["orgs"]; t != nil {
		for _, r := range t.rows {
			orgName[t.get(r, "sourcedId")] = t.get(r, "name")
		}
	}
	session := map[string]string{}
	if t := tables["academicSessions"]; t != nil {
		for _, r := range t.rows {
			s := t.get(r, "title")
			if y := t.get(r, "schoolYear"); y != "" && !strings.Contains(s, y) {
				s += " (" + y + ")"
			}
			session[t.get(r, "sourcedId")] = s
		}
	}
	groupOf := map[string]string{}
	if t := tables["classes"]; t != nil {
		titles := map[string]int{}
		for _, r := range t.rows {
			titles[strings.ToLower(t.get(r, "title"))]++
		}
		out.GroupNotes = map[string]string{}
		for _, r := range t.rows {
			if !active(t, r) {
				continue
			}
			title := t.get(r, "title")
			if title == "" || titles[strings.ToLower(title)] > 1 {
				code := t.get(r, "classCode")
				if code == "" {
					code = t.get(r, "sourcedId")
				}
				title = strings.TrimSpace(title + " (" + code + ")")
			}
			title = strings.NewReplacer(";", ",", "|", "/").Replace(title) // ; and | separate groups
			groupOf[t.get(r, "sourcedId")] = title
			var note []string
			if s := orgName[t.get(r, "schoolSourcedId")]; s != "" {
				note = append(note, s)
			}
			var terms []string
			for _, id := range strings.Split(t.get(r, "termSourcedIds"), ",") {
				if s := session[strings.TrimSpace(id)]; s != "" {
					terms = append(terms, s)
				}
			}
			if len(terms) > 0 {
				note = append(note, strings.Join(terms, ", "))
			}
			out.GroupNotes[title] = strings.Join(note, "; ")
		}
	}

	// Enrollments → each person's groups, and their role when none is known.
	if t := tables["enrollments"]; t != nil {
		rank := map[string]int{"administrator": 4, "teacher": 3, "aide": 2, "proctor": 2, "student": 1}
		enrolledAs := map[int]string{}
		seen := map[[2]string]bool{}
		for _, r := range t.rows {
			uid, cid := t.get(r, "userSourcedId"), t.get(r, "classSourcedId")
			i, ok := rowOf[uid]
			g := groupOf[cid]
			if !ok || !active(t, r) {
				continue
			}
			if role := strings.ToLower(t.get(r, "role")); rank[role] > rank[enrolledAs[i]] {
				enrolledAs[i] = role
			}
			if g == "" || seen[[2]string{uid, cid}] {
				continue
			}
			seen[[2]string{uid, cid}] = true
			v := out.Rows[i].Values
			v[app.ColGroups] = joinGroups(v[app.ColGroups], g)
		}
		for i, role := range enrolledAs {
			if out.Rows[i].Values[app.ColAccountType] == "" {
				out.Rows[i].Values[app.ColAccountType] = role
			}
		}
	}
	if !contains(out.Columns, "groups") && tables["enrollments"] != nil {
		out.Columns = append(out.Columns, "groups")
	}
	if !contains(out.Columns, "account_type") {
		out.Columns = append(out.Columns, "account_type")
	}
	return out, nil
}
