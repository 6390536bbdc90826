package roster

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/google/uuid"

	"rollcall/app"
	"rollcall/app/sheet"
)

// OneRoster 1.1 CSV (1EdTech OneRoster v1.1 Final Release, "CSV Tables",
// section 3): a zip of CSV files, each with the columns the specification
// names, in its order. Rollcall writes a bulk set: manifest.csv, orgs.csv
// (the organization, a school), academicSessions.csv (the current school
// year), courses.csv and classes.csv (a course and a class per group; the
// specification requires every class to name its course), users.csv and
// enrollments.csv (one per person and group). status and dateLastModified
// are empty, as a bulk file has them.
//
// sourcedIds are stable across exports: a user's, a class's and the org's
// are their stored IDs; those of things Rollcall does not store (course,
// enrollment, session) are name-based UUIDs (version 5) of stored IDs.

// OneRosterFile is one CSV file of the bundle with its columns.
type OneRosterFile struct {
	Name    string
	Columns []string
}

// OneRosterFiles are the data files Rollcall writes, in the order they are
// zipped (manifest.csv comes first and lists them).
var OneRosterFiles = []OneRosterFile{
	{"orgs.csv", []string{"sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"}},
	{"academicSessions.csv", []string{"sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"}},
	{"courses.csv", []string{"sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes"}},
	{"classes.csv", []string{"sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods"}},
	{"users.csv", []string{"sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password"}},
	{"enrollments.csv", []string{"sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate", "endDate"}},
}

// oneRosterAbsent are the files of the 1.1 manifest Rollcall does not write.
var oneRosterAbsent = []string{"categories", "classResources", "courseResources", "demographics", "lineItems", "resources", "results"}

// oneRosterNS is the namespace of the name-based sourcedIds.
var oneRosterNS = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://rollcall.invalid/oneroster/1.1"))

// derivedID is a stable sourcedId for kind of the stored IDs.
func derivedID(kind string, ids ...string) string {
	name := kind
	for _, id := range ids {
		name += "/" + id
	}
	return uuid.NewSHA1(oneRosterNS, []byte(name)).String()
}

// OneRosterRole is the OneRoster role of an account type: student,
// teacher or administrator.
func OneRosterRole(accountType string) string {
	switch accountType {
	case app.TypeTeacher, app.TypeCreator:
		return "teacher"
	case app.TypeAdmin:
		return "administrator"
	}
	return "student"
}

// schoolYear is the school year at t: August to July, named by the year it
// ends in (OneRoster's schoolYear).
func schoolYear(t time.Time) (start, end string, year int) {
	y := t.Year()
	if t.Month() < time.August {
		y--
	}
	return fmt.Sprintf("%d-08-01", y), fmt.Sprintf("%d-07-31", y+1), y + 1
}

// OneRosterTables are the bundle's data files as rows (header first), by
// file name.
func OneRosterTables(x *app.Roster) map[string][][]string {
	org := x.Org
	t := map[string][][]string{}
	for _, f := range OneRosterFiles {
		t[f.Name] = [][]string{f.Columns}
	}
	add := func(file string, cells map[string]string) {
		cols := t[file][0]
		r := make([]string, len(cols))
		for k, v := range cells {
			r[columnIndex(cols, k)] = v
		}
		t[file] = append(t[file], r)
	}
	add("orgs.csv", map[string]string{"sourcedId": org.ID, "name": org.Name, "type": "school", "identifier": org.Slug})
	start, end, year := schoolYear(x.At)
	session := derivedID("academicSession", org.ID, strconv.Itoa(year))
	add("academicSessions.csv", map[string]string{"sourcedId": session, "title": fmt.Sprintf("%d-%d", year-1, year),
		"type": "schoolYear", "startDate": start, "endDate": end, "schoolYear": strconv.Itoa(year)})

	// The classes: the exported group, or every group someone exported is in.
	inClass := map[string]bool{}
	for _, p := range x.People {
		for _, g := range x.GroupsOf(p.User) {
			inClass[g.ID] = true
		}
	}
	var classes []*app.Group
	for _, g := range x.Groups {
		if x.Group != nil && g.ID == x.Group.ID || x.Group == nil && inClass[g.ID] {
			classes = append(classes, g)
		}
	}
	for _, g := range classes {
		course := derivedID("course", g.ID)
		add("courses.csv", map[string]string{"sourcedId": course, "schoolYearSourcedId": session, "title": g.Name, "orgSourcedId": org.ID})
		classType := "scheduled"
		if g.Kind == app.GroupClass {
			classType = "homeroom"
		}
		add("classes.csv", map[string]string{"sourcedId": g.ID, "title": g.Name, "courseSourcedId": course,
			"classType": classType, "schoolSourcedId": org.ID, "termSourcedIds": session})
	}
	for _, p := range x.People {
		u := p.User
		username := u.Username
		if username == "" {
			username = u.Email
		}
		add("users.csv", map[string]string{"sourcedId": u.ID, "enabledUser": strconv.FormatBool(active(u)),
			"orgSourcedIds": org.ID, "role": OneRosterRole(u.AccountType), "username": username,
			"givenName": u.FirstName, "familyName": familyName(u), "email": u.Email,
			"phone": platformPhone(u.Phone), "password": p.Password})
	}
	// Enrollments class by class, each class's people in the roster's order.
	members := map[string][]*app.User{}
	for _, p := range x.People {
		for _, g := range x.GroupsOf(p.User) {
			members[g.ID] = append(members[g.ID], p.User)
		}
	}
	for _, g := range classes {
		for _, u := range members[g.ID] {
			add("enrollments.csv", map[string]string{"sourcedId": derivedID("enrollment", g.ID, u.ID), "classSourcedId": g.ID,
				"schoolSourcedId": org.ID, "userSourcedId": u.ID, "role": OneRosterRole(u.AccountType)})
		}
	}
	return t
}

// oneRosterManifest is manifest.csv: the versions, each file of the 1.1
// set as bulk or absent, and the source system.
func oneRosterManifest(x *app.Roster) [][]string {
	rows := [][]string{{"propertyName", "value"}, {"manifest.version", "1.0"}, {"oneroster.version", "1.1"}}
	files := map[string]string{}
	for _, f := range OneRosterFiles {
		files[f.Name[:len(f.Name)-len(".csv")]] = "bulk"
	}
	for _, f := range oneRosterAbsent {
		files[f] = "absent"
	}
	for _, f := range []string{"academicSessions", "categories", "classes", "classResources", "courses", "courseResources",
		"demographics", "enrollments", "lineItems", "orgs", "resources", "results", "users"} {
		rows = append(rows, []string{"file." + f, files[f]})
	}
	return append(rows, []string{"source.systemName", "Rollcall"}, []string{"source.systemCode", x.Org.Slug})
}

// WriteOneRoster writes x as a OneRoster 1.1 CSV bundle: a zip holding
// manifest.csv and OneRosterFiles, UTF-8 without BOM, comma-separated, every
// cell defused as sheet.SafeCell does.
func WriteOneRoster(w io.Writer, x *app.Roster) error {
	zw := zip.NewWriter(w)
	tables := OneRosterTables(x)
	put := func(name string, rows [][]string) error {
		var b bytes.Buffer
		if err := sheet.WriteCSVWith(&b, rows, sheet.CSVOptions{}); err != nil {
			return err
		}
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: x.At})
		if err != nil {
			return err
		}
		_, err = f.Write(b.Bytes())
		return err
	}
	if err := put("manifest.csv", oneRosterManifest(x)); err != nil {
		return err
	}
	for _, f := range OneRosterFiles {
		if err := put(f.Name, tables[f.Name]); err != nil {
			return err
		}
	}
	return zw.Close()
}
