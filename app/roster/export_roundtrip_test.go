package roster_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/roster"
)

// cli is the context of the tests' use cases: the command line may export.
var cli = app.WithActor(context.Background(), app.CLIActor)

// seedRoster fills organization slug of env with n people in groups groups
// through the real import (one transaction), with every field the template
// has used by some of them: accents, a comma and quotes inside cells, two
// groups for some, teachers, emails, phones, labels, languages, deletion
// dates, "change password", and people with one name.
//
// Some phones start with "+": the CSV and XLSX exports escape a cell
// starting with = + - @ with an apostrophe (OWASP CSV injection), which the
// import must take off again. The organization has a login domain, so that
// the Google and Entra files give everyone a sign-in address at it
// (username@maple.example: signInAddress), whose local part the import
// reads back as the username; without one, a person without an email would
// have no sign-in address, and the address of one with an email would not
// bring the username back.
func seedRoster(t testing.TB, env *apptest.Env, slug string, n, groups int) {
	t.Helper()
	if _, err := env.App.CreateOrganization(cli, &app.Organization{Name: "Maple School", Slug: slug, Language: "de", Country: "DE", LoginDomain: "maple.example"}); err != nil {
		t.Fatal(err)
	}
	firsts := []string{"Ada", "Łukasz", "Zoë", "Jean-Luc", "Ingrid", "Mika", "Sven", "Chloé", "Anna Lena", "Robert \"Bob\""}
	lasts := []string{"Lovelace", "Żółć", "O'Brien", "Müller, Jr", "Virtanen", "Åberg", "de la Cruz", "Nguyễn", "Smith", "Dupont"}
	langs := []string{"de", "fi", "en", "sv", "fr"}
	f := &app.ImportFile{Name: "seed.csv", SHA256: "seed", Format: app.FormatCSV, Columns: app.ImportFields, Unknown: []string{}}
	for i := range n {
		v := make([]string, len(app.ImportFields))
		v[app.ColFirstName] = fmt.Sprintf("%s %d", firsts[i%len(firsts)], i)
		if i%50 != 7 { // some people have one name
			v[app.ColLastName] = lasts[(i/len(firsts))%len(lasts)]
		}
		g := fmt.Sprintf("%dA", i%groups+1)
		if i%groups >= groups/2 {
			g = fmt.Sprintf("Klasse %d·B", i%groups+1)
		}
		if i%7 == 0 {
			g += "; Choir"
		}
		v[app.ColGroups] = g
		if i%25 == 0 {
			v[app.ColAccountType] = app.TypeTeacher
			v[app.ColJobTitle] = "Class teacher, maths"
		}
		if i%3 == 0 {
			v[app.ColEmail] = fmt.Sprintf("person.%03d@home.example", i)
		}
		switch i % 8 {
		case 0:
			v[app.ColPhone] = fmt.Sprintf("+49 30 555 %04d", i)
		case 4:
			v[app.ColPhone] = fmt.Sprintf("030 555 %04d", i)
		}
		if i%5 == 0 {
			v[app.ColLabels] = "Trip; Year 2027"
		}
		v[app.ColLanguage] = langs[i%len(langs)]
		if i%10 == 0 {
			v[app.ColDeletionDate] = "2027-07-31"
		}
		if i%2 == 0 {
			v[app.ColChangePassword] = "TRUE"
		}
		f.Rows = append(f.Rows, app.ImportRow{Line: i + 2, Values: v})
	}
	res, err := env.App.CommitImport(cli, slug, f, app.ImportOptions{CreateGroups: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(res.Accounts.Accounts); got != n {
		t.Fatalf("seeded %d people, want %d", got, n)
	}
}

// person is what the round trip compares of a user: every field the
// export carries, with groups by name.
type person struct {
	First, Last, Username, Email, Type, Language, Phone, JobTitle, DeleteOn string
	Labels, Groups                                                          []string
	MustChange                                                              bool
}

// snapshot reads the people and groups of organization slug: people by
// username, and each group's members (usernames), by group name.
func snapshot(t testing.TB, a *app.App, slug string) (map[string]person, map[string][]string) {
	t.Helper()
	groups, err := a.Groups(cli, slug)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	page, err := a.Users(cli, slug, app.UserFilter{PerPage: app.MaxPerPage})
	if err != nil {
		t.Fatal(err)
	}
	var users []*app.User
	for p := 1; ; p++ {
		pg, err := a.Users(cli, slug, app.UserFilter{Page: p, PerPage: app.MaxPerPage})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, pg.Users...)
		if len(users) >= page.Total || len(pg.Users) == 0 {
			break
		}
	}
	people := map[string]person{}
	members := map[string][]string{}
	for _, u := range users {
		p := person{First: u.FirstName, Last: u.LastName, Username: u.Username, Email: u.Email, Type: u.AccountType,
			Language: u.Language, Phone: u.Phone, JobTitle: u.JobTitle, DeleteOn: u.DeleteOn, MustChange: u.MustChangePassword,
			Labels: slices.Sorted(slices.Values(u.Labels))}
		for _, id := range u.Groups {
			p.Groups = append(p.Groups, names[id])
			members[names[id]] = append(members[names[id]], u.Username)
		}
		sort.Strings(p.Groups)
		people[u.Username] = p
	}
	for _, m := range members {
		sort.Strings(m)
	}
	return people, members
}

// TestExportRoundTrip exports 500 people in 20 groups in each format,
// imports the export into a fresh organization in a fresh database through
// the real import use case (preview: zero errors; commit) and compares the
// people, the groups and their members: identical, as far as the format
// carries them. Rollcall's own template (csv, xlsx) carries every field the
// round trip compares; each platform format carries fewer, and its row in
// the table below says which (its carries list) and why the others are
// left out, citing the writer's column list (export_platforms.go,
// export_oneroster.go). Fields a format does not carry are compared on
// neither side; the fields it carries must be identical, but for the forms
// the writer documents (want): a one-name person's name as last name too,
// the sign-in address at the login domain. A phone "+49 …" is written
// "0049 …" by the platform files and read back as "+49 …" (00 is the
// international prefix): identical.
// The platform files are also checked against their published headers.
func TestExportRoundTrip(t *testing.T) {
	const n, groups = 500, 20
	src := apptest.New(t)
	seedRoster(t, src, "maple", n, groups)
	wantPeople, wantMembers := snapshot(t, src.App, "maple")
	// The seed must use what the round trip compares, or identical would prove little.
	var phones, plusPhones, labels, mails, teachers, twoGroups, dated, must, oneName int
	for _, p := range wantPeople {
		phones += btoi(p.Phone != "")
		plusPhones += btoi(strings.HasPrefix(p.Phone, "+"))
		labels += btoi(len(p.Labels) == 2)
		mails += btoi(strings.HasSuffix(p.Email, "@home.example"))
		teachers += btoi(p.Type == app.TypeTeacher)
		twoGroups += btoi(len(p.Groups) == 2)
		dated += btoi(p.DeleteOn != "")
		must += btoi(p.MustChange)
		oneName += btoi(p.Last == "")
	}
	if len(wantPeople) != n || len(wantMembers) != groups+1 || phones == 0 || plusPhones == 0 || labels == 0 || mails == 0 || teachers == 0 ||
		twoGroups == 0 || dated == 0 || must == 0 || oneName == 0 {
		t.Fatalf("seed: %d people, %d groups, %d phones (%d with +), %d labels, %d mails, %d teachers, %d in two groups, %d dated, %d must change, %d with one name",
			len(wantPeople), len(wantMembers), phones, plusPhones, labels, mails, teachers, twoGroups, dated, must, oneName)
	}
	groupOrder := groupKeys(wantMembers)

	all := []string{"First", "Last", "Username", "Email", "Type", "Language", "Phone", "JobTitle", "DeleteOn", "Labels", "Groups", "MustChange"}
	tests := []struct {
		format string
		// carries are the fields of person the format carries: compared.
		carries []string
		// want turns an exported person into what the format brings back
		// (the forms the writer documents); nil: as exported.
		want func(p *person)
		// leftOut are the file's columns the import does not read (all
		// others must be read).
		leftOut []string
		check   func(t *testing.T, data []byte, n int) // the published layout
	}{
		// Rollcall's import template (rollcallRows: app.ImportFields) has a
		// column for every field.
		{format: app.ExportCSV, carries: all},
		{format: app.ExportXLSX, carries: all},
		// OneRoster 1.1 (OneRosterFiles): users.csv has givenName,
		// familyName (the first name again for a person with one name:
		// familyName is required), username, email, phone ("+49" written
		// "0049", read back as "+49") and role (OneRosterRole: the seed's
		// student and teacher map both ways); classes.csv and
		// enrollments.csv carry every group and its members. OneRoster has
		// no language, labels, job title, deletion date or "must change
		// password": left out.
		{format: app.ExportOneRoster, carries: []string{"First", "Last", "Username", "Email", "Type", "Phone", "Groups"},
			want: func(p *person) {
				p.Last = familyName(p)
			},
			leftOut: []string{"sourcedId", "status", "dateLastModified", "orgSourcedIds", "userIds", "middleName", "identifier", "sms", "agentSourcedIds", "grades"},
			check:   checkOneRosterBundle},
		// Google Workspace (GoogleHeader, googleRows): First Name, Last
		// Name (familyName), Email Address — the sign-in address at the
		// login domain, whose local part is the username and which becomes
		// the login email —, Mobile Phone ("0049"), Employee Title (job
		// title), Change Password at Next Sign-In, and one Org Unit Path
		// per person: the main group only (mainGroup: the first in the
		// roster's name order), so people in two groups come back in one.
		// Employee Type holds the account type, but the import leaves a
		// Google file's Employee Type out (free text in real files, e.g.
		// "Staff"): teachers come back as students, so Type is not
		// compared. The personal address goes to Recovery Email, which the
		// import leaves out (it is not the account's address). No
		// language, labels or deletion date.
		{format: app.ExportGoogle, carries: []string{"First", "Last", "Username", "Email", "Phone", "JobTitle", "MustChange", "Groups"},
			want: func(p *person) {
				p.Last = familyName(p)
				p.Email = p.Username + "@maple.example"
				p.Groups = mainGroupOf(p, groupOrder)
			},
			leftOut: []string{"Password Hash Function [UPLOAD ONLY]", "New Primary Email [UPLOAD ONLY]", "Recovery Email", "Home Secondary Email", "Work Secondary Email",
				"Recovery Phone [MUST BE IN THE E.164 FORMAT]", "Work Address", "Home Address", "Employee ID", "Employee Type", "Manager Email", "Department",
				"Cost Center", "Building ID", "Floor Name", "Floor Section", "Advanced Protection Program enrollment", "Home Phone"},
			check: checkHeader(googleTemplate, 0)},
		// Microsoft Entra (EntraHeader, entraRows): First name, Last name
		// (may be empty: surname is optional), User name — the sign-in
		// address at the login domain, as Google's —, Job title, Mobile
		// phone ("0049"), and Department: the main group only, as
		// Google's org unit. Entra's template has no account type, email
		// besides the UPN, language, labels, deletion date or "must change
		// password".
		{format: app.ExportEntra, carries: []string{"First", "Last", "Username", "Email", "Phone", "JobTitle", "Groups"},
			want: func(p *person) {
				p.Email = p.Username + "@maple.example"
				p.Groups = mainGroupOf(p, groupOrder)
			},
			leftOut: []string{"Usage location [usageLocation]", "Street address [streetAddress]", "State or province [state]", "Country or region [country]",
				"Office [physicalDeliveryOfficeName]", "City [city]", "ZIP or postal code [postalCode]", "Office phone [telephoneNumber]"},
			check: checkHeader(entraTemplate, 1)},
		// Moodle (MoodleFields, moodleRows): username (lower case, as
		// Rollcall's are), firstname, lastname (familyName), email (the
		// personal address, else the sign-in address), phone1 ("0049"),
		// lang, and every group as a cohort. The writer gives no role (a
		// Moodle role belongs to a course enrolment, role1 with course1),
		// so teachers come back as students; Moodle has no job title,
		// labels, deletion date or "must change password" column.
		{format: app.ExportMoodle, carries: []string{"First", "Last", "Username", "Email", "Phone", "Language", "Groups"},
			want: func(p *person) {
				p.Last = familyName(p)
				if p.Email == "" {
					p.Email = p.Username + "@maple.example"
				}
			},
			leftOut: []string{"idnumber"},
			check:   checkMoodle},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			x, err := src.App.ExportUsers(cli, "maple", app.ExportRequest{ExportOptions: app.ExportOptions{Format: tt.format}})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := roster.WriteExport(&buf, x); err != nil {
				t.Fatal(err)
			}
			name := roster.ExportFileName(x)
			if tt.check != nil {
				tt.check(t, buf.Bytes(), n)
			}
			if tt.format == app.ExportCSV && !bytes.Contains(buf.Bytes(), []byte("first_name;last_name;")) {
				t.Errorf("a German organization's CSV is not ;-separated: %.80q", buf.String())
			}
			// A OneRoster .zip is read by Read as an upload of one file is
			// (ReadFiles with one file calls it): the zip is recognised as
			// a bundle by its users.csv.
			f, err := roster.Read(bytes.NewReader(buf.Bytes()), name, int64(buf.Len()), roster.DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range f.Unknown {
				if !slices.Contains(tt.leftOut, c) {
					t.Errorf("the import does not read the column %q", c)
				}
			}
			dst := apptest.New(t)
			if _, err := dst.App.CreateOrganization(cli, &app.Organization{Name: "Birch School", Slug: "birch", Language: "en"}); err != nil {
				t.Fatal(err)
			}
			opt := app.ImportOptions{CreateGroups: true}
			p, err := dst.App.PreviewImport(cli, "birch", f, opt)
			if err != nil {
				t.Fatal(err)
			}
			if p.Errors != 0 || p.Create+p.Warnings != n {
				for _, r := range p.Rows {
					if r.Status != app.RowCreate && r.Status != app.RowWarning {
						t.Errorf("row %d: %s", r.Line, r.Reason())
						break
					}
				}
				t.Fatalf("preview: %d create, %d warnings, %d errors; want %d people and no error", p.Create, p.Warnings, p.Errors, n)
			}
			if _, err := dst.App.CommitImport(cli, "birch", f, opt, nil); err != nil {
				t.Fatal(err)
			}
			gotPeople, gotMembers := snapshot(t, dst.App, "birch")
			want := map[string]person{}
			wantMembers := map[string][]string{}
			for k, w := range wantPeople {
				if tt.want != nil {
					tt.want(&w)
				}
				w = keep(w, tt.carries)
				want[k] = w
				for _, g := range w.Groups {
					wantMembers[g] = append(wantMembers[g], k)
				}
			}
			for _, m := range wantMembers {
				sort.Strings(m)
			}
			for k, w := range want {
				if g, ok := gotPeople[k]; !ok {
					t.Errorf("%s is missing after the round trip", k)
				} else if g = keep(g, tt.carries); fmt.Sprint(g) != fmt.Sprint(w) {
					t.Errorf("%s:\n got %+v\nwant %+v", k, g, w)
				}
			}
			if len(gotPeople) != len(want) {
				t.Errorf("%d people after the round trip, want %d", len(gotPeople), len(want))
			}
			if fmt.Sprint(gotMembers) != fmt.Sprint(wantMembers) {
				t.Errorf("groups and members differ:\n got %v\nwant %v", gotMembers, wantMembers)
			}
		})
	}
}

// keep is p with only the fields named in fields (the others zero).
func keep(p person, fields []string) person {
	var out person
	src, dst := reflect.ValueOf(p), reflect.ValueOf(&out).Elem()
	for _, f := range fields {
		dst.FieldByName(f).Set(src.FieldByName(f))
	}
	return out
}

// familyName is a person's last name as OneRoster, Google and Moodle carry
// it: the first name for a person with one name (roster's familyName).
func familyName(p *person) string {
	if p.Last == "" {
		return p.First
	}
	return p.Last
}

// groupKeys orders group names as the roster does (app.Key).
func groupKeys(members map[string][]string) map[string]string {
	keys := map[string]string{}
	for g := range members {
		keys[g] = app.Key(g)
	}
	return keys
}

// mainGroupOf is the one group a platform with one unit per person gets
// (roster's mainGroup: every imported group is a class, so the first of
// the person's groups in the roster's name order), as a list.
func mainGroupOf(p *person, keys map[string]string) []string {
	if len(p.Groups) == 0 {
		return nil
	}
	return []string{slices.MinFunc(p.Groups, func(a, b string) int { return strings.Compare(keys[a], keys[b]) })}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The headers of the platforms' own templates, as published (sources in
// export_platforms.go), written out here apart from the writer's.
var (
	googleTemplate = "First Name [Required],Last Name [Required],Email Address [Required],Password [Required],Password Hash Function [UPLOAD ONLY],Org Unit Path [Required],New Primary Email [UPLOAD ONLY],Recovery Email,Home Secondary Email,Work Secondary Email,Recovery Phone [MUST BE IN THE E.164 FORMAT],Work Phone,Home Phone,Mobile Phone,Work Address,Home Address,Employee ID,Employee Type,Employee Title,Manager Email,Department,Cost Center,Building ID,Floor Name,Floor Section,Change Password at Next Sign-In,New Status [UPLOAD ONLY],Advanced Protection Program enrollment"
	entraTemplate  = "Name [displayName] Required,User name [userPrincipalName] Required,Initial password [passwordProfile] Required,Block sign in (Yes/No) [accountEnabled] Required,First name [givenName],Last name [surname],Job title [jobTitle],Department [department],Usage location [usageLocation],Street address [streetAddress],State or province [state],Country or region [country],Office [physicalDeliveryOfficeName],City [city],ZIP or postal code [postalCode],Office phone [telephoneNumber],Mobile phone [mobile]"
)

// readCSV parses a platform file strictly: UTF-8 without BOM, commas, every
// row as wide as the header.
func readCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	if bytes.HasPrefix(data, []byte("\ufeff")) {
		t.Error("a platform file starts with a BOM")
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// checkHeader checks that row headerRow is the template's header, the rows
// before it the Entra version line, and that every person has a row with
// the required cells filled (a [Required] or Required header).
func checkHeader(template string, headerRow int) func(t *testing.T, data []byte, n int) {
	return func(t *testing.T, data []byte, n int) {
		rows := readCSV(t, data)
		if headerRow == 1 && rows[0][0] != "version:v1.0" {
			t.Errorf("line 1 = %q, want version:v1.0", rows[0])
		}
		if got := strings.Join(rows[headerRow], ","); got != template {
			t.Fatalf("header:\n got %s\nwant %s", got, template)
		}
		if got := len(rows) - headerRow - 1; got != n {
			t.Fatalf("%d people, want %d", got, n)
		}
		for i, r := range rows[headerRow+1:] {
			for j, h := range rows[headerRow] {
				// Passwords are required, but an export without credentials has none.
				if strings.Contains(h, "Required") && !strings.Contains(strings.ToLower(h), "password") && r[j] == "" {
					t.Fatalf("row %d: required %q is empty", i+headerRow+2, h)
				}
			}
		}
	}
}

// checkMoodle checks the Moodle upload file: Moodle's field names, a
// username, names and email on every row, usernames in lower case, each
// person's groups as cohorts.
func checkMoodle(t *testing.T, data []byte, n int) {
	rows := readCSV(t, data)
	h := rows[0]
	if got, want := strings.Join(h[:9], ","), "username,firstname,lastname,email,auth,idnumber,phone1,lang,suspended"; got != want {
		t.Fatalf("header %s, want %s", got, want)
	}
	if !slices.Contains(h, "cohort1") || !slices.Contains(h, "cohort2") {
		t.Errorf("no cohort columns: %q", h)
	}
	if len(rows)-1 != n {
		t.Fatalf("%d people, want %d", len(rows)-1, n)
	}
	for i, r := range rows[1:] {
		if r[0] == "" || r[1] == "" || r[2] == "" || r[3] == "" || r[0] != strings.ToLower(r[0]) || r[4] != "manual" || r[8] != "1" && r[8] != "0" {
			t.Fatalf("row %d: %q", i+2, r)
		}
	}
}
