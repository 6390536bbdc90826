package app

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Export formats: Rollcall's own template as CSV or XLSX (what its import
// reads), and the upload files of the platforms schools load accounts into.
const (
	ExportCSV       = "csv"       // Rollcall's template columns, Excel-friendly CSV
	ExportXLSX      = "xlsx"      // Rollcall's template columns, Excel workbook
	ExportOneRoster = "oneroster" // 1EdTech OneRoster 1.1 CSV bundle (.zip)
	ExportGoogle    = "google"    // Google Workspace "Bulk update users" CSV
	ExportEntra     = "entra"     // Microsoft Entra ID "Bulk create users" CSV
	ExportMoodle    = "moodle"    // Moodle "Upload users" CSV
)

// ExportFormats lists every export format, in the order a menu offers them.
var ExportFormats = []string{ExportCSV, ExportXLSX, ExportOneRoster, ExportGoogle, ExportEntra, ExportMoodle}

// Text encodings of an exported CSV file.
const (
	EncodingUTF8        = "utf-8"        // with a BOM, so Excel reads it as UTF-8
	EncodingWindows1252 = "windows-1252" // what a Western European Excel saves
)

// ExportOptions say how an export is written. Delimiter and Encoding apply
// to the CSV format only: the platforms' formats are always UTF-8 and
// comma-separated, as their importers expect.
type ExportOptions struct {
	Format string `json:"format"`
	// Delimiter is "," ";" or "\t" ("tab" is accepted too); empty means the
	// one a spreadsheet in the organization's language expects (DelimiterFor).
	Delimiter string `json:"delimiter,omitempty"`
	// Encoding is EncodingUTF8 (default) or EncodingWindows1252.
	Encoding string `json:"encoding,omitempty"`
}

// ExportRequest asks for the users of an organization in one format: all of
// them, one group's, or a selection of the users list.
type ExportRequest struct {
	ExportOptions
	// Group (ID or name) exports the group's members.
	Group string `json:"group,omitempty"`
	// Selection exports the ticked users, or all that match the list's
	// filter, as the users list's bulk actions take them.
	Selection *UserSelection `json:"selection,omitempty"`
}

// Roster is what an export writes: the people, their groups and the
// organization, read at one moment. Passwords are set only for the one-time
// credentials of a job (JobCredentials), never read from storage.
type Roster struct {
	Org *Organization
	// Groups are the organization's groups, by name.
	Groups []*Group
	People []RosterPerson
	// Group is the group exported, when the export is of one group.
	Group *Group
	// Options are the request's, filled in: Delimiter and Encoding are set.
	Options ExportOptions
	// Passwords reports that People carry their one-time passwords.
	Passwords bool
	At        time.Time

	order map[string]int // group ID → index in Groups, for GroupsOf
}

// RosterPerson is one person of a roster.
type RosterPerson struct {
	User *User
	// Password is the one-time password of a credentials file, else "".
	Password string
}

// GroupsOf returns the groups u is in, in the roster's (name) order.
func (x *Roster) GroupsOf(u *User) []*Group {
	if len(x.order) != len(x.Groups) {
		x.order = make(map[string]int, len(x.Groups))
		for i, g := range x.Groups {
			x.order[g.ID] = i
		}
	}
	var idx []int
	for _, id := range u.Groups {
		if i, ok := x.order[id]; ok && !slices.Contains(idx, i) {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	out := make([]*Group, len(idx))
	for k, i := range idx {
		out[k] = x.Groups[i]
	}
	return out
}

// semicolonLanguages are the languages whose spreadsheets use the decimal
// comma and so separate CSV fields with ";" (Excel takes the list separator
// from the regional settings).
var semicolonLanguages = map[string]bool{
	"de": true, "fr": true, "fi": true, "sv": true, "nl": true, "da": true, "nb": true, "nn": true, "no": true,
	"es": true, "it": true, "pt": true, "pl": true, "cs": true, "sk": true, "hu": true, "ro": true, "ru": true,
	"uk": true, "tr": true, "el": true, "et": true, "lv": true, "lt": true, "sl": true, "hr": true, "sr": true,
	"bg": true, "is": true, "ca": true, "eu": true, "gl": true, "id": true, "vi": true,
}

// DelimiterFor is the CSV delimiter a spreadsheet in the language expects:
// ";" where the decimal separator is a comma (de, fi, sv, fr, ...), else ",".
func DelimiterFor(language string) string {
	base, _, _ := strings.Cut(strings.ToLower(Clean(language)), "-")
	base, _, _ = strings.Cut(base, "_")
	if semicolonLanguages[base] {
		return ";"
	}
	return ","
}

// exportOptions checks o and fills in its defaults for org.
func (org *Organization) exportOptions(o ExportOptions) (ExportOptions, error) {
	o.Format = Key(o.Format)
	if !slices.Contains(ExportFormats, o.Format) {
		return o, FieldError(EINVALID, "format", "Choose one of the formats %s.", strings.Join(ExportFormats, ", "))
	}
	switch o.Delimiter {
	case "":
		o.Delimiter = DelimiterFor(org.Language)
	case "tab", "\\t":
		o.Delimiter = "\t"
	case ",", ";", "\t":
	default:
		return o, FieldError(EINVALID, "delimiter", "The delimiter must be a comma, a semicolon or a tab.")
	}
	switch Key(o.Encoding) {
	case "", "utf8", EncodingUTF8:
		o.Encoding = EncodingUTF8
	case "cp1252", "latin1", EncodingWindows1252:
		o.Encoding = EncodingWindows1252
	default:
		return o, FieldError(EINVALID, "encoding", "The encoding must be %s or %s.", EncodingUTF8, EncodingWindows1252)
	}
	if o.Format != ExportCSV { // the platforms read UTF-8 with commas only
		o.Delimiter, o.Encoding = ",", EncodingUTF8
	}
	return o, nil
}

// mayExport is the authorization of exports: they disclose personal data
// (and credentials files passwords), so only an admin (signed in, or the
// person at the desktop window; an organization or group admin within
// their scope, access.go) and the command line on the machine that holds
// the file may export. A person or a sign-up may not.
func mayExport(ctx context.Context) error {
	switch ActorFrom(ctx).Kind {
	case ActorAdmin, ActorOrgAdmin, ActorTeacher, ActorCLI:
		return nil
	}
	return Errorf(EFORBIDDEN, "Only an admin can export people.")
}

// ExportUsers reads the users of organization ref that req names — all of
// them, the members of req.Group, or req.Selection (ticked IDs or "all that
// match" the list's filter) — as a roster to write in req.Format. The
// export is recorded in the audit log (user.export, naming every person
// exported), since it hands personal data out of Rollcall.
// Errors: EFORBIDDEN (not an admin), ENOTFOUND (organization or group),
// EINVALID (format, options, selection).
func (a *App) ExportUsers(ctx context.Context, ref string, req ExportRequest) (*Roster, error) {
	if err := mayExport(ctx); err != nil {
		return nil, err
	}
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	opt, err := org.exportOptions(req.ExportOptions)
	if err != nil {
		return nil, err
	}
	x := &Roster{Org: org, Options: opt, At: a.now()}
	if x.Groups, err = a.sortedGroups(ctx, org); err != nil {
		return nil, err
	}
	scope := "everyone"
	var users []*User
	switch sel := req.Selection; {
	case sel != nil && Clean(req.Group) != "":
		return nil, FieldError(EINVALID, "selection", "Export either a group or a selection, not both.")
	case sel != nil && sel.Filter != nil && len(sel.IDs) > 0:
		return nil, FieldError(EINVALID, "selection", "Choose people either by ticking them or by “all that match”, not both.")
	case sel != nil && sel.Filter != nil:
		f, err := a.userFilter(ctx, org, *sel.Filter)
		if err != nil {
			return nil, err
		}
		if users, err = a.allUsers(ctx, org, f); err != nil {
			return nil, err
		}
		scope = "selection"
	case sel != nil:
		if len(sel.IDs) == 0 {
			return nil, FieldError(EINVALID, "selection", "Choose at least one person.")
		}
		if len(sel.IDs) > MaxBulkIDs {
			return nil, FieldError(EINVALID, "selection", "At most %d people can be ticked at once; use “select all that match” for more.", MaxBulkIDs)
		}
		seen := map[string]bool{}
		for _, id := range sel.IDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			u, err := a.Store.User(ctx, org.ID, id)
			if ErrorCode(err) == ENOTFOUND {
				continue // deleted meanwhile: nothing to export
			} else if err != nil {
				return nil, err
			}
			users = append(users, u)
		}
		sortUsers(users)
		scope = "selection"
	case Clean(req.Group) != "":
		g, err := a.group(ctx, org, Clean(req.Group))
		if err != nil {
			return nil, err
		}
		x.Group, scope = g, "group "+g.Name
		if users, err = a.allUsers(ctx, org, UserFilter{Group: g.ID}); err != nil {
			return nil, err
		}
	default:
		if users, err = a.allUsers(ctx, org, UserFilter{}); err != nil {
			return nil, err
		}
	}
	ids := make([]string, len(users))
	x.People = make([]RosterPerson, len(users))
	for i, u := range users {
		x.People[i], ids[i] = RosterPerson{User: u}, u.ID
	}
	target := AuditTarget{Kind: "users", Name: org.Name}
	if x.Group != nil {
		target = AuditTarget{Kind: "group", ID: x.Group.ID, Name: x.Group.Name}
	}
	ctx = a.audit(ctx, org.ID, "user.export", target, fmt.Sprintf("%s: %s, %s", opt.Format, scope, people(len(users))), ids...)
	if err := a.flushAudit(ctx); err != nil {
		return nil, err
	}
	return x, nil
}

// allUsers reads every user of org matching f, page by page.
func (a *App) allUsers(ctx context.Context, org *Organization, f UserFilter) ([]*User, error) {
	var users []*User
	f.PerPage = MaxPerPage
	for f.Page = 1; ; f.Page++ {
		p, err := a.Store.FindUsers(ctx, org.ID, f)
		if err != nil {
			return nil, err
		}
		users = append(users, p.Users...)
		if len(p.Users) < f.PerPage || len(users) >= p.Total {
			return users, nil
		}
	}
}

// sortUsers orders users as the users list does: last name, first name.
func sortUsers(users []*User) {
	sort.SliceStable(users, func(i, j int) bool {
		a, b := users[i], users[j]
		if ka, kb := Key(a.LastName), Key(b.LastName); ka != kb {
			return ka < kb
		}
		return Key(a.FirstName) < Key(b.FirstName)
	})
}

// sortedGroups are org's groups by name.
func (a *App) sortedGroups(ctx context.Context, org *Organization) ([]*Group, error) {
	groups, err := a.Store.Groups(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(groups, func(i, j int) bool { return Key(groups[i].Name) < Key(groups[j].Name) })
	return groups, nil
}

// JobCredentials returns the one-time accounts of the admin owner's
// finished job — accounts created from names, a password reset, or an
// import — with their passwords, as a roster to write in opt.Format: the
// same passwords the slips show, so accounts prepared in Rollcall can be
// loaded into another platform. The passwords live only in the job's
// memory (JobTTL); this reads them, it stores nothing.
// Errors: EFORBIDDEN (not an admin), ENOTFOUND (no such job of owner, or one
// without accounts), ECONFLICT (still running), EINVALID (options).
func (a *App) JobCredentials(ctx context.Context, owner, id string, opt ExportOptions) (*Roster, error) {
	if err := mayExport(ctx); err != nil {
		return nil, err
	}
	v, err := a.Jobs.ResultFor(owner, id)
	if err != nil {
		return nil, err
	}
	var res *AccountResult
	switch r := v.(type) {
	case *AccountResult:
		res = r
	case *ImportResult:
		res = r.Accounts
	}
	if res == nil || res.Org == nil {
		return nil, Errorf(ENOTFOUND, "This job has no accounts to export.")
	}
	org := res.Org
	if opt, err = org.exportOptions(opt); err != nil {
		return nil, err
	}
	x := &Roster{Org: org, Options: opt, Passwords: true, At: a.now()}
	if x.Groups, err = a.sortedGroups(ctx, org); err != nil {
		return nil, err
	}
	for _, acc := range res.Accounts {
		x.People = append(x.People, RosterPerson{User: acc.User, Password: acc.Password})
	}
	return x, nil
}
