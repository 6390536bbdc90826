package roster

import (
	"strconv"
	"strings"

	"rollcall/app"
)

// The upload files of Google Workspace, Microsoft Entra ID and Moodle, with
// the headers their own templates have: their importers match header texts
// exactly, so they are written as the template has them, in its order.
// Sources: Google Workspace Admin Help "Add or update multiple users from a
// CSV file" (support.google.com/a/answer/40057) and its blank template;
// Microsoft Learn "Bulk create users in Microsoft Entra ID"
// (learn.microsoft.com/entra/identity/users/users-bulk-add), whose example
// file is the version line and this header; Moodle Docs "Upload users" and
// admin/tool/uploaduser (standard field names, cohort1..N).

// GoogleHeader is the header of Google Workspace's "Bulk update users"
// template (Admin console → Directory → Users → Bulk update users →
// Download blank CSV template).
var GoogleHeader = []string{
	"First Name [Required]", "Last Name [Required]", "Email Address [Required]", "Password [Required]",
	"Password Hash Function [UPLOAD ONLY]", "Org Unit Path [Required]", "New Primary Email [UPLOAD ONLY]",
	"Recovery Email", "Home Secondary Email", "Work Secondary Email", "Recovery Phone [MUST BE IN THE E.164 FORMAT]",
	"Work Phone", "Home Phone", "Mobile Phone", "Work Address", "Home Address", "Employee ID", "Employee Type",
	"Employee Title", "Manager Email", "Department", "Cost Center", "Building ID", "Floor Name", "Floor Section",
	"Change Password at Next Sign-In", "New Status [UPLOAD ONLY]", "Advanced Protection Program enrollment",
}

// EntraVersion is the first line of Microsoft Entra ID's "Bulk create
// users" template; Entra refuses a file without it.
const EntraVersion = "version:v1.0"

// EntraHeader is the header (second line) of the Entra bulk-create template.
var EntraHeader = []string{
	"Name [displayName] Required", "User name [userPrincipalName] Required",
	"Initial password [passwordProfile] Required", "Block sign in (Yes/No) [accountEnabled] Required",
	"First name [givenName]", "Last name [surname]", "Job title [jobTitle]", "Department [department]",
	"Usage location [usageLocation]", "Street address [streetAddress]", "State or province [state]",
	"Country or region [country]", "Office [physicalDeliveryOfficeName]", "City [city]",
	"ZIP or postal code [postalCode]", "Office phone [telephoneNumber]", "Mobile phone [mobile]",
}

// MoodleFields are the columns of a Moodle "Upload users" file Rollcall
// writes (admin/tool/uploaduser field names), before cohort1..cohortN.
// password is left out of a file without passwords: Moodle then makes
// them ("Create password if needed").
var MoodleFields = []string{"username", "password", "firstname", "lastname", "email", "auth", "idnumber", "phone1", "lang", "suspended"}

// columnIndex returns the index of name in header; it panics for a name the
// header lacks (a typo in this file).
func columnIndex(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	panic("roster: no column " + name)
}

// signInAddress is the address a platform signs the person in with: an
// address at the organization's login domain (their own when they have
// one there, else username@domain), else their email address.
func signInAddress(org *app.Organization, u *app.User) string {
	if d := org.LoginDomain; d != "" {
		if strings.HasSuffix(strings.ToLower(u.Email), "@"+strings.ToLower(d)) {
			return u.Email
		}
		if u.Username != "" {
			return u.Username + "@" + d
		}
	}
	return u.Email
}

// familyName is the last name, or for someone with one name that name:
// OneRoster, Google, Entra's surname and Moodle all require a last name.
func familyName(u *app.User) string {
	if u.LastName == "" {
		return u.FirstName
	}
	return u.LastName
}

// displayName is "First Last".
func displayName(u *app.User) string {
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// platformPhone writes an international number "+49 30 1234" as
// "0049 30 1234": the same number, in the form every platform reads, and
// no cell starts with "+", which a spreadsheet takes for a formula (and
// sheet.SafeCell would escape with an apostrophe the platform keeps).
func platformPhone(p string) string {
	if rest, ok := strings.CutPrefix(p, "+"); ok {
		return "00" + rest
	}
	return p
}

// mainGroup is the group a platform with one unit per person gets (Google's
// organizational unit, Entra's department): the exported group, else the
// person's first class, else their first group; nil for none.
func mainGroup(x *app.Roster, u *app.User) *app.Group {
	if x.Group != nil {
		return x.Group
	}
	groups := x.GroupsOf(u)
	for _, g := range groups {
		if g.Kind == app.GroupClass {
			return g
		}
	}
	if len(groups) > 0 {
		return groups[0]
	}
	return nil
}

func active(u *app.User) bool { return u.Status == app.StatusActive }

// googleRows is the Google Workspace upload file. The email address is the
// sign-in address at the organization's login domain; a personal address
// beside it becomes the recovery email. Org Unit Path is /GROUP for the
// person's main group (mainGroup), or / (the top unit). Employee Type
// carries the account type.
func googleRows(x *app.Roster) [][]string {
	h := GoogleHeader
	rows := [][]string{h}
	for _, p := range x.People {
		u := p.User
		r := make([]string, len(h))
		r[columnIndex(h, "First Name [Required]")] = u.FirstName
		r[columnIndex(h, "Last Name [Required]")] = familyName(u)
		addr := signInAddress(x.Org, u)
		r[columnIndex(h, "Email Address [Required]")] = addr
		r[columnIndex(h, "Password [Required]")] = p.Password
		ou := "/"
		if g := mainGroup(x, u); g != nil {
			ou = "/" + strings.ReplaceAll(g.Name, "/", "-")
		}
		r[columnIndex(h, "Org Unit Path [Required]")] = ou
		if u.Email != "" && !strings.EqualFold(u.Email, addr) {
			r[columnIndex(h, "Recovery Email")] = u.Email
		}
		r[columnIndex(h, "Mobile Phone")] = platformPhone(u.Phone)
		r[columnIndex(h, "Employee Type")] = u.AccountType
		r[columnIndex(h, "Employee Title")] = u.JobTitle
		r[columnIndex(h, "Change Password at Next Sign-In")] = strings.ToUpper(strconv.FormatBool(u.MustChangePassword))
		r[columnIndex(h, "New Status [UPLOAD ONLY]")] = "Active"
		if !active(u) {
			r[columnIndex(h, "New Status [UPLOAD ONLY]")] = "Suspended"
		}
		rows = append(rows, r)
	}
	return rows
}

// entraRows is the Entra bulk-create file: the version line (padded with
// empty cells to the header's width, as Excel saves it), the header, one
// row per person. The user principal name is the sign-in address at the
// login domain; a person who is not active has sign-in blocked.
func entraRows(x *app.Roster) [][]string {
	h := EntraHeader
	version := make([]string, len(h))
	version[0] = EntraVersion
	rows := [][]string{version, h}
	for _, p := range x.People {
		u := p.User
		r := make([]string, len(h))
		r[columnIndex(h, "Name [displayName] Required")] = displayName(u)
		r[columnIndex(h, "User name [userPrincipalName] Required")] = signInAddress(x.Org, u)
		r[columnIndex(h, "Initial password [passwordProfile] Required")] = p.Password
		r[columnIndex(h, "Block sign in (Yes/No) [accountEnabled] Required")] = "No"
		if !active(u) {
			r[columnIndex(h, "Block sign in (Yes/No) [accountEnabled] Required")] = "Yes"
		}
		r[columnIndex(h, "First name [givenName]")] = u.FirstName
		r[columnIndex(h, "Last name [surname]")] = u.LastName
		r[columnIndex(h, "Job title [jobTitle]")] = u.JobTitle
		if g := mainGroup(x, u); g != nil {
			r[columnIndex(h, "Department [department]")] = g.Name
		}
		r[columnIndex(h, "Mobile phone [mobile]")] = platformPhone(u.Phone)
		rows = append(rows, r)
	}
	return rows
}

// moodleRows is the Moodle upload-users file: usernames in lower case (as
// Moodle requires), idnumber the person's Rollcall ID (stable, so a second
// upload updates instead of duplicating), lang in Moodle's form (pt_br),
// and each group as a cohort (cohort1, cohort2, ...; Moodle creates a
// cohort it does not know).
func moodleRows(x *app.Roster) [][]string {
	var h []string
	for _, f := range MoodleFields {
		if f != "password" || x.Passwords {
			h = append(h, f)
		}
	}
	cohorts := 0
	for _, p := range x.People {
		cohorts = max(cohorts, len(x.GroupsOf(p.User)))
	}
	for i := 1; i <= cohorts; i++ {
		h = append(h, "cohort"+strconv.Itoa(i))
	}
	rows := [][]string{h}
	for _, p := range x.People {
		u := p.User
		r := make([]string, len(h))
		username := u.Username
		if username == "" {
			username = u.Email
		}
		r[columnIndex(h, "username")] = strings.ToLower(username)
		if x.Passwords {
			r[columnIndex(h, "password")] = p.Password
		}
		r[columnIndex(h, "firstname")] = u.FirstName
		r[columnIndex(h, "lastname")] = familyName(u)
		email := u.Email
		if email == "" {
			email = signInAddress(x.Org, u)
		}
		r[columnIndex(h, "email")] = email
		r[columnIndex(h, "auth")] = "manual"
		r[columnIndex(h, "idnumber")] = u.ID
		r[columnIndex(h, "phone1")] = platformPhone(u.Phone)
		r[columnIndex(h, "lang")] = strings.ReplaceAll(strings.ToLower(u.Language), "-", "_")
		r[columnIndex(h, "suspended")] = "0"
		if !active(u) {
			r[columnIndex(h, "suspended")] = "1"
		}
		for i, g := range x.GroupsOf(u) {
			r[columnIndex(h, "cohort"+strconv.Itoa(i+1))] = g.Name
		}
		rows = append(rows, r)
	}
	return rows
}
