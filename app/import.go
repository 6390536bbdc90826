package app

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Import records one committed import: which file (by SHA-256, so the same
// file committed twice is noticed), when, and what came of it. The file
// itself and its unknown columns are never stored.
type Import struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	FileName  string    `json:"file_name"`
	SHA256    string    `json:"sha256"`
	Format    string    `json:"format"`
	CreatedAt time.Time `json:"created_at"`
	Rows      int       `json:"rows"`
	Created   int       `json:"created"`
	Skipped   int       `json:"skipped"`
	// ActivationMails counts the activation mails the import queued.
	ActivationMails int `json:"activation_mails,omitempty"`
	// GroupsCreated names the groups the import created.
	GroupsCreated []string `json:"groups_created"`
	// Again is set when the person confirmed importing a file imported before.
	Again bool `json:"again,omitempty"`
	// DeleteOn is when the record is removed: the latest deletion date of
	// the people it created, when every one of them has one (lifecycle.go).
	DeleteOn string `json:"delete_on,omitempty"`
}

// ImportStore keeps imports.
type ImportStore interface {
	// CreateImport stores the import, the groups it creates, its users (and
	// the activation mails of some of them) in
	// one transaction: all of them or none. Unless imp.Again, an earlier
	// import of the same file (SHA-256) in the organization is ECONFLICT;
	// a username, email or group name taken meanwhile is ECONFLICT too.
	// Each new group is written with its invite code, as GroupStore.CreateGroup does.
	CreateImport(ctx context.Context, imp *Import, groups []NewGroup, users []*User, mails ...*ResetMail) error
	// ImportMapping returns the column mapping the organization chose for
	// files with the header set key (ImportFile.MappingKey), or nil.
	ImportMapping(ctx context.Context, orgID, key string) (*ColumnMapping, error)
	// SaveImportMapping remembers a column mapping for the header set key.
	SaveImportMapping(ctx context.Context, orgID, key string, m *ColumnMapping) error
	// ImportsByHash returns the organization's imports of the file with the SHA-256, oldest first.
	ImportsByHash(ctx context.Context, orgID, sha256 string) ([]*Import, error)
	// Imports returns the organization's imports, newest first.
	Imports(ctx context.Context, orgID string) ([]*Import, error)
}

// ImportOptions are the choices of the person importing.
type ImportOptions struct {
	// CreateGroups creates groups the file names that do not exist (off by default).
	CreateGroups bool `json:"create_groups"`
	// AllOrNothing refuses the whole file when any row has an error.
	AllOrNothing bool `json:"all_or_nothing"`
	// PasswordMode is random (a generated password for each, the default) or
	// same (Password for all); rows that give a password keep theirs.
	PasswordMode  string `json:"password_mode"`
	Password      string `json:"password"`
	PasswordStyle string `json:"password_style"`
	// MustChangePassword asks each new person for a new password at first sign-in.
	MustChangePassword bool `json:"must_change_password"`
	// Again confirms importing a file that was imported before.
	Again bool `json:"again"`
	// SendActivation mails each new person with an email address a link
	// to set their password (an activation mail), in the import's
	// transaction.
	SendActivation bool `json:"send_activation"`
	// AccountType is given to every row whose account type cell is empty
	// (empty: the organization's first type).
	AccountType string `json:"account_type"`
	// ReplaceBadPasswords generates a password for each row whose given
	// password breaks the organization's rules, instead of refusing the
	// row; such rows are warnings, and the results file says the password is new.
	ReplaceBadPasswords bool `json:"replace_bad_passwords"`
	// Mapping says what each column holds, for a file whose header was not
	// recognised (ImportFile.NeedsMapping); nil uses the mapping chosen
	// before for the same header set, if any.
	Mapping *ColumnMapping `json:"mapping,omitempty"`
}

// Row statuses of a preview.
const (
	RowCreate  = "create"  // will be created
	RowWarning = "warning" // will be created; something is worth a look
	RowError   = "error"   // will not be created
	// RowSkip will not be created, and is no error: a parent in a OneRoster
	// file, a person the file marks as deleted or inactive.
	RowSkip = "skip"
)

// Row statuses of a result.
const (
	RowCreated = "created"
	RowSkipped = "skipped"
)

// ImportRowPreview is one row of the file as the import will treat it.
type ImportRowPreview struct {
	Line   int      `json:"line"`
	Values []string `json:"values"`
	Status string   `json:"status"`
	// Problems (errors) and Warnings map a field of ImportFields to a message in plain words.
	Problems          map[string]string `json:"problems,omitempty"`
	Warnings          map[string]string `json:"warnings,omitempty"`
	Username          string            `json:"username"`
	UsernameGenerated bool              `json:"username_generated"`
	LoginEmail        string            `json:"login_email"`
	PasswordGenerated bool              `json:"password_generated"`
	// PasswordReplaced: the file's password broke the rules and a new one
	// is generated (ImportOptions.ReplaceBadPasswords).
	PasswordReplaced bool `json:"password_replaced,omitempty"`
	// Skip says why a RowSkip row is not created.
	Skip string `json:"skip,omitempty"`
}

// Reason is a row's problems (or warnings) in one sentence or a few, in the
// order of the file's columns.
func (r *ImportRowPreview) Reason() string {
	if r.Status == RowSkip {
		return r.Skip
	}
	m := r.Problems
	if len(m) == 0 {
		m = r.Warnings
	}
	var out []string
	for _, f := range ImportFields {
		if msg, ok := m[f]; ok {
			out = append(out, msg)
		}
	}
	for _, f := range sortedKeys(m) { // fields outside ImportFields (status, ...)
		if ImportFieldIndex(f) < 0 {
			out = append(out, m[f])
		}
	}
	return strings.Join(out, " ")
}

// MarshalJSON adds the row's Reason, so every reader shows the same words.
func (r ImportRowPreview) MarshalJSON() ([]byte, error) {
	type row ImportRowPreview
	return json.Marshal(struct {
		row
		Reason string `json:"reason,omitempty"`
	}{row(r), r.Reason()})
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ImportPreview is what an import will do, before anything is written.
type ImportPreview struct {
	File ImportFileInfo `json:"file"`
	// Fields names the values of each row (ImportFields).
	Fields []string           `json:"fields"`
	Rows   []ImportRowPreview `json:"rows"`
	// Create, Warnings, Errors and Skipped count the rows: to be created as
	// they are, to be created with a warning, not to be created because of
	// an error, and left out as the file asks (RowSkip).
	Create   int `json:"create"`
	Warnings int `json:"warnings"`
	Errors   int `json:"errors"`
	Skipped  int `json:"skipped"`
	// Mapping is the column-mapping step, for a file whose header was not
	// recognised; while Mapping.Required, Rows is empty.
	Mapping *MappingStep `json:"mapping,omitempty"`
	// MissingGroups are groups the file names that do not exist: created
	// with the option create_groups, else the rows naming them are errors.
	MissingGroups []string `json:"missing_groups"`
	// Previous lists earlier imports of the same file.
	Previous      []*Import     `json:"previous_imports"`
	AccountTypes  []string      `json:"account_types"`
	Options       ImportOptions `json:"options"`
	PasswordBits  float64       `json:"password_bits"`
	PasswordRules string        `json:"password_rules"`
}

// ImportFileInfo describes a file without its rows.
type ImportFileInfo struct {
	Name      string   `json:"name"`
	SHA256    string   `json:"sha256"`
	Format    string   `json:"format"`
	Layout    string   `json:"layout,omitempty"`
	Encoding  string   `json:"encoding,omitempty"`
	Delimiter string   `json:"delimiter,omitempty"`
	Sheet     string   `json:"sheet,omitempty"`
	Columns   []string `json:"columns"`
	Unknown   []string `json:"unknown_columns"`
	Rows      int      `json:"rows"`
}

// Info returns f without its rows.
func (f *ImportFile) Info() ImportFileInfo {
	return ImportFileInfo{Name: f.Name, SHA256: f.SHA256, Format: f.Format, Layout: f.Layout, Encoding: f.Encoding,
		Delimiter: f.Delimiter, Sheet: f.Sheet, Columns: f.Columns, Unknown: f.Unknown, Rows: len(f.Rows)}
}

// ImportEdit changes one cell of a file in the preview ("fix in place").
type ImportEdit struct {
	Line  int    `json:"line"`
	Field string `json:"field"`
	Value string `json:"value"`
}

// Edit returns a copy of f with the edits applied; the original stays as
// read. Errors: EINVALID (an unknown field or row).
func (f *ImportFile) Edit(edits []ImportEdit) (*ImportFile, error) {
	if len(edits) == 0 {
		return f, nil
	}
	out := *f
	out.Rows = append([]ImportRow(nil), f.Rows...)
	at := make(map[int]int, len(f.Rows))
	for i, r := range f.Rows {
		at[r.Line] = i
	}
	copied := map[int]bool{}
	for _, e := range edits {
		k := ImportFieldIndex(e.Field)
		if k < 0 {
			return nil, FieldError(EINVALID, "edits", "There is no column %q; the columns are %s.", e.Field, strings.Join(ImportFields, ", "))
		}
		i, ok := at[e.Line]
		if !ok {
			return nil, FieldError(EINVALID, "edits", "The file has no row %d.", e.Line)
		}
		if !copied[i] {
			out.Rows[i].Values = append([]string(nil), out.Rows[i].Values...)
			copied[i] = true
		}
		out.Rows[i].Values[k] = e.Value
	}
	return &out, nil
}

// accountTypeAliases maps what other systems call account types to
// Rollcall's, when the organization has that type.
var accountTypeAliases = map[string]string{
	"pupil": TypeStudent, "pupils": TypeStudent, "students": TypeStudent, "schüler": TypeStudent,
	"schueler": TypeStudent, "schülerin": TypeStudent, "oppilas": TypeStudent, "elev": TypeStudent,
	"élève": TypeStudent, "eleve": TypeStudent, "child": TypeStudent, "kid": TypeStudent,
	"teachers": TypeTeacher, "staff": TypeTeacher, "faculty": TypeTeacher, "instructor": TypeTeacher,
	"educator": TypeTeacher, "lehrer": TypeTeacher, "lehrerin": TypeTeacher, "opettaja": TypeTeacher,
	"lärare": TypeTeacher, "enseignant": TypeTeacher, "professeur": TypeTeacher,
	"administrator": TypeAdmin, "admins": TypeAdmin, "it": TypeAdmin,
	"member": TypeLearner, "employee": TypeLearner, "learners": TypeLearner, "user": TypeLearner,
	"creators": TypeCreator, "author": TypeCreator, "editor": TypeCreator,
	// Moodle's course roles, Canvas' and OneRoster's staff roles
	"editingteacher": TypeTeacher, "noneditingteacher": TypeTeacher, "ta": TypeTeacher, "aide": TypeTeacher,
	"proctor": TypeTeacher, "designer": TypeTeacher, "manager": TypeTeacher, "coursecreator": TypeTeacher,
}

func importAccountType(org *Organization, v string) string {
	k := Key(v)
	if k == "" {
		return org.AccountTypes()[0]
	}
	if !org.HasAccountType(k) {
		if t, ok := accountTypeAliases[k]; ok && org.HasAccountType(t) {
			return t
		}
	}
	return k
}

// splitList splits a cell of several values separated by ; or |.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' }) {
		if p = Clean(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// importBools are the yes and no of a spreadsheet's column, as Google's and
// Microsoft's exports and people in the supported languages write them.
var importBools = map[string]bool{
	"true": true, "yes": true, "y": true, "1": true, "x": true, "on": true,
	"ja": true, "wahr": true, "oui": true, "vrai": true, "kyllä": true, "kylla": true, "si": true, "sí": true,
	"false": false, "no": false, "n": false, "0": false, "off": false,
	"nein": false, "falsch": false, "non": false, "faux": false, "ei": false, "nej": false,
}

// parseImportBool reads a yes/no cell (TRUE/FALSE, yes/no, 1/0, ...).
func parseImportBool(s string) (bool, bool) {
	v, ok := importBools[Key(s)]
	return v, ok
}

// parseImportDate reads a deletion date: YYYY-MM-DD (also with / or .) or
// DD.MM.YYYY as German and Finnish spreadsheets write it.
func parseImportDate(s string) (string, bool) {
	for _, layout := range []string{"2006-01-02", "2006-1-2", "2006/1/2", "2006.1.2", "2.1.2006", "02.01.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	return "", false
}

// importPlan is a preview with what a commit needs.
type importPlan struct {
	org       *Organization
	file      *ImportFile // the file as planned: with its column mapping applied
	skip      []string    // per row: why it is left out (RowSkip), or ""
	replaced  []bool      // per row: the file's password broke the rules; one is generated
	mapping   string      // ImportFile.MappingKey of a mapped file, remembered at the commit
	preview   *ImportPreview
	plans     []accountPlan
	newGroups map[string]*Group // key(name) → group to create
	rowGroups [][]string        // per row: the names of the new groups it joins
	opt       planOptions
	again     bool // ImportOptions.Again, recorded on the import
}

// PreviewImport shows how every row of f will be treated — created,
// created with a warning, or not created and why — with usernames, login
// emails and the counts at the top. Nothing is written.
// Errors: ENOTFOUND (organization), EINVALID (options, not rows).
func (a *App) PreviewImport(ctx context.Context, ref string, f *ImportFile, opt ImportOptions) (*ImportPreview, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	p, err := a.planImport(ctx, org, f, &opt, nil)
	if err != nil {
		return nil, err
	}
	return p.preview, nil
}

// planImport plans f with the options, after its column mapping (if it
// needs one) and then the cells fixed in place (edits, which name rows and
// fields of the mapped file).
func (a *App) planImport(ctx context.Context, org *Organization, f *ImportFile, opt *ImportOptions, edits []ImportEdit) (*importPlan, error) {
	if f == nil || len(f.Rows) == 0 {
		return nil, FieldError(EINVALID, "file", "The file has no people in it.")
	}
	if err := org.passwordOptions(&opt.PasswordMode, &opt.PasswordStyle, &opt.Password, PasswordRandom, PasswordSame); err != nil {
		return nil, err
	}
	if opt.AccountType = Key(opt.AccountType); opt.AccountType != "" && !org.HasAccountType(opt.AccountType) {
		return nil, FieldError(EINVALID, "account_type", "There is no account type %q here; the types are %s.", opt.AccountType, strings.Join(org.AccountTypes(), ", "))
	}
	f, step, mappingKey, err := a.resolveMapping(ctx, org, f, opt)
	if err != nil {
		return nil, err
	}
	if step == nil || !step.Required {
		if f, err = f.Edit(edits); err != nil {
			return nil, err
		}
	}
	if step != nil && step.Required {
		p := &ImportPreview{File: f.Info(), Fields: ImportFields, Rows: []ImportRowPreview{}, Mapping: step,
			MissingGroups: []string{}, Previous: []*Import{}, AccountTypes: org.AccountTypes(), Options: *opt,
			PasswordRules: org.PasswordPolicy.String()}
		p.Options.Password = ""
		return &importPlan{org: org, file: f, preview: p}, nil
	}
	if len(f.Rows) == 0 {
		return nil, FieldError(EINVALID, "file", "The file has no people in it, only the row naming the columns.")
	}
	groups, err := a.Store.Groups(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	byName := map[string]*Group{}
	for _, g := range groups {
		byName[Key(g.Name)] = g
		byName[g.ID] = g
	}
	ip := &importPlan{org: org, file: f, mapping: mappingKey, newGroups: map[string]*Group{}, again: opt.Again,
		skip: make([]string, len(f.Rows)), replaced: make([]bool, len(f.Rows)), rowGroups: make([][]string, len(f.Rows)), opt: planOptions{
			Via: ViaImport, MustChangePassword: opt.MustChangePassword, PasswordMode: opt.PasswordMode,
			PasswordStyle: opt.PasswordStyle, Password: opt.Password, Unit: "row",
		}}
	today := a.now().Format(time.DateOnly)
	specs := make([]AccountSpec, len(f.Rows))
	pre := make([]map[string]string, len(f.Rows))  // problems found before the core
	warn := make([]map[string]string, len(f.Rows)) // warnings
	missing := []string{}
	add := func(m []map[string]string, i int, field, format string, args ...any) {
		if m[i] == nil {
			m[i] = map[string]string{}
		}
		if _, ok := m[i][field]; !ok {
			m[i][field] = fmt.Sprintf(format, args...)
		}
	}
	for i, row := range f.Rows {
		v := func(k int) string {
			if k < len(row.Values) {
				return Clean(row.Values[k])
			}
			return ""
		}
		for k, field := range ImportFields {
			if s := v(k); hasControl(s) {
				add(pre, i, field, "The %s contains a control character (a line break or tab inside the cell?); remove it.", strings.ReplaceAll(field, "_", " "))
			}
		}
		ip.skip[i] = row.Skip
		if extra := extraCells(f.Header, row.Cells); len(extra) > 0 {
			if len(extra) == 1 {
				add(warn, i, "cells", "This row has more cells than the file has columns, and this cell is left out: %s. Is a separator missing, or one too many?", extra[0])
			} else {
				add(warn, i, "cells", "This row has more cells than the file has columns, and these cells are left out: %s. Is a separator missing, or one too many?", strings.Join(extra, ", "))
			}
		}
		if why, known := statusReason(v(ColStatus)); !known {
			add(pre, i, "status", "%q is not a status Rollcall knows: write active (or leave it empty) to create the person, or deleted, inactive or suspended to leave them out.", v(ColStatus))
		} else if why != "" && ip.skip[i] == "" {
			ip.skip[i] = why
		}
		if t := Key(v(ColAccountType)); parentRoles[t] && !org.HasAccountType(t) && ip.skip[i] == "" {
			ip.skip[i] = Tr("en", "A %s, not a pupil or member of staff: Rollcall creates no accounts for parents and guardians, so the row is left out.", t)
		}
		accountType := v(ColAccountType)
		if accountType == "" {
			accountType = opt.AccountType
		}
		sp := AccountSpec{Line: row.Line, FirstName: v(ColFirstName), LastName: v(ColLastName), Username: v(ColUsername),
			Email: v(ColEmail), Phone: v(ColPhone), AccountType: importAccountType(org, accountType),
			Language: v(ColLanguage), JobTitle: v(ColJobTitle), Password: strings.TrimSpace(valueAt(row.Values, ColPassword)),
			Labels: splitList(v(ColLabels)), Groups: []string{}}
		if sp.Password != "" && opt.ReplaceBadPasswords && (formulaStart(sp.Password) != "" || org.PasswordPolicy.Check(sp.Password) != nil) {
			sp.Password, ip.replaced[i] = "", true
			add(warn, i, "password", "The password in the file breaks the rules (%s): a new one is generated, and the results file marks it as new.", org.PasswordPolicy)
		}
		if row.FullName != "" && len(strings.Fields(row.FullName)) >= 3 && !strings.Contains(row.FullName, ",") {
			if f, l := SplitName(row.FullName); f == sp.FirstName && l == sp.LastName {
				add(warn, i, "last_name", "Check where the last name starts: %q was read as first name %q and last name %q. Fix the name cells if that is wrong.", row.FullName, f, l)
			}
		}
		if ip.skip[i] != "" {
			specs[i] = sp
			continue // left out: its groups are neither checked nor created
		}
		if sp.Language == "" {
			sp.Language = org.Language
		}
		if c := v(ColChangePassword); c != "" {
			if must, ok := parseImportBool(c); ok {
				sp.MustChangePassword = &must
			} else {
				add(pre, i, "change_password", "%q is not yes or no; write TRUE to ask for a new password at the first sign-in, FALSE not to, or leave it empty to follow the import's setting.", c)
			}
		}
		if sp.FirstName != "" && sp.LastName == "" {
			add(warn, i, "last_name", "No last name: the account has the first name only.")
		}
		if d := v(ColDeletionDate); d != "" {
			if iso, ok := parseImportDate(d); !ok {
				add(pre, i, "deletion_date", "%q is not a date; write it as YYYY-MM-DD, e.g. %d-07-31.", d, a.now().Year()+1)
			} else if iso <= today {
				add(pre, i, "deletion_date", "The deletion date %s is not in the future.", iso)
			} else {
				sp.DeleteOn = iso
			}
		}
		seen := map[string]bool{}
		for _, name := range splitList(v(ColGroups)) {
			k := Key(name)
			g := byName[k]
			if g == nil {
				if g = ip.newGroups[k]; g == nil {
					if utf8.RuneCountInString(name) > MaxNameLength {
						add(pre, i, "groups", "The group name %q is too long: at most %d characters.", name, MaxNameLength)
						continue
					}
					var err error
					if g, err = a.newGroup(org, &Group{Name: name, Note: f.GroupNotes[name]}); err != nil {
						add(pre, i, "groups", "%s", ErrorArg(err))
						continue
					}
					ip.newGroups[k] = g
					missing = append(missing, name)
				}
				if opt.CreateGroups {
					if !slices.Contains(ip.rowGroups[i], g.Name) {
						ip.rowGroups[i] = append(ip.rowGroups[i], g.Name)
					}
				} else {
					add(pre, i, "groups", "There is no group %s. Create it first, or choose \"Create the missing groups\".", g.Name)
				}
			}
			if !seen[g.ID] {
				seen[g.ID] = true
				sp.Groups = append(sp.Groups, g.ID)
			}
		}
		if len(ip.rowGroups[i]) > 0 {
			add(warn, i, "groups", "%s", newGroupsNote(ip.rowGroups[i], false))
		}
		specs[i] = sp
	}
	// A row with the name of an earlier one, both without a username or
	// email of their own, is most often a line pasted or exported twice.
	twice := repeatedNames(len(specs), true, func(i int) (int, string, string, bool) {
		sp := specs[i]
		return sp.Line, sp.FirstName, sp.LastName, ip.skip[i] == "" && sp.Username == "" && sp.Email == ""
	})
	for i, msg := range twice {
		if msg != "" {
			add(warn, i, "first_name", "%s", msg)
		}
	}
	// Rows left out are not planned: their usernames and addresses neither
	// clash with the others nor count as taken.
	var kept []AccountSpec
	var at []int
	for i, sp := range specs {
		if ip.skip[i] == "" {
			kept, at = append(kept, sp), append(at, i)
		}
	}
	keptPlans, err := a.planAccounts(ctx, org, kept, ip.opt)
	if err != nil {
		return nil, err
	}
	plans := make([]accountPlan, len(specs))
	for k, i := range at {
		plans[i] = keptPlans[k]
	}
	ip.plans = plans
	sort.Slice(missing, func(i, j int) bool { return Key(missing[i]) < Key(missing[j]) })
	p := &ImportPreview{File: f.Info(), Fields: ImportFields, Rows: make([]ImportRowPreview, len(f.Rows)),
		MissingGroups: missing, AccountTypes: org.AccountTypes(), Options: *opt,
		PasswordRules: org.PasswordPolicy.String()}
	p.Options.Password = ""
	if opt.PasswordMode == PasswordRandom {
		p.PasswordBits = PasswordBits(opt.PasswordStyle, org.PasswordPolicy)
	}
	p.Mapping = step
	for i, pl := range plans {
		if ip.skip[i] != "" {
			p.Rows[i] = ImportRowPreview{Line: f.Rows[i].Line, Values: f.Rows[i].Values, Status: RowSkip, Skip: ip.skip[i], Problems: pre[i]}
			if len(pre[i]) > 0 {
				p.Rows[i].Status = RowError
				p.Errors++
			} else {
				p.Skipped++
			}
			continue
		}
		r := ImportRowPreview{Line: f.Rows[i].Line, Values: f.Rows[i].Values, Username: pl.User.Username,
			UsernameGenerated: pl.UsernameGenerated, LoginEmail: pl.User.Email, PasswordGenerated: pl.Password == "" && opt.PasswordMode == PasswordRandom,
			PasswordReplaced: ip.replaced[i], Problems: pre[i], Warnings: warn[i]}
		for f, m := range pl.Problems {
			if r.Problems == nil {
				r.Problems = map[string]string{}
			}
			f = importField(f)
			if _, ok := r.Problems[f]; !ok {
				r.Problems[f] = m
			}
		}
		switch {
		case len(r.Problems) > 0:
			r.Status = RowError
			r.Warnings = nil
			p.Errors++
		case len(r.Warnings) > 0:
			r.Status = RowWarning
			p.Warnings++
		default:
			r.Status = RowCreate
			p.Create++
		}
		p.Rows[i] = r
	}
	if p.Previous, err = a.Store.ImportsByHash(ctx, org.ID, f.SHA256); err != nil {
		return nil, err
	}
	if p.Previous == nil {
		p.Previous = []*Import{}
	}
	ip.preview = p
	return ip, nil
}

func valueAt(values []string, k int) string {
	if k < len(values) {
		return values[k]
	}
	return ""
}

// importField names a User field as the import file's column.
func importField(f string) string {
	if f == "delete_on" {
		return "deletion_date"
	}
	return f
}

// ImportResult is the outcome of a committed import: every row of the file
// with what became of it, and the created accounts with their passwords
// (in memory only, for the results file and slips).
type ImportResult struct {
	Import *Import `json:"import"`
	// Header is the file's header row as uploaded (nil without one).
	Header []string          `json:"-"`
	Rows   []ImportResultRow `json:"rows"`
	Fields []string          `json:"fields"`
	File   ImportFileInfo    `json:"file"`
	Org    *Organization     `json:"-"`
	// Accounts are the created accounts, for slips.
	Accounts *AccountResult `json:"-"`
}

// ImportResultRow is one row of the results file.
type ImportResultRow struct {
	Line       int      `json:"line"`
	Values     []string `json:"values"`
	Status     string   `json:"status"` // created or skipped
	Reason     string   `json:"reason"`
	Username   string   `json:"username"`
	LoginEmail string   `json:"login_email"`
	// Password is the created account's password, given or generated; never sent as JSON.
	Password string `json:"-"`
	// PasswordNote says a password is new: PasswordGeneratedNote or PasswordReplacedNote.
	PasswordNote string `json:"password_note,omitempty"`
	// Cells are the row as uploaded, every column.
	Cells []string `json:"-"`
}

// What the results file says of a password Rollcall made.
const (
	PasswordGeneratedNote = "generated"
	PasswordReplacedNote  = "generated: the file's password broke the rules"
)

// The password notes are messages of the error catalogues too.
var _ = []string{textOf(PasswordGeneratedNote), textOf(PasswordReplacedNote)}

// PreparedImport is an import planned and checked by PrepareImport, ready
// for CommitPrepared. Preview is what the admin was shown.
type PreparedImport struct {
	Preview *ImportPreview
	org     *Organization
	file    *ImportFile
	plan    *importPlan
}

// PrepareImport plans f once, as PreviewImport does, and refuses at once
// what the commit would refuse. Nothing is written. When the plan itself
// succeeds the prepared import comes back even with a refusal, so a caller
// can show the preview that explains it (the rows with errors, the earlier
// import); CommitPrepared checks again and refuses it too.
// Errors: ENOTFOUND, EINVALID (options; errors under AllOrNothing; no row to
// create), ECONFLICT (the same file imported before and not confirmed with
// Again; Details["again"] says how to confirm).
func (a *App) PrepareImport(ctx context.Context, ref string, f *ImportFile, opt ImportOptions) (*PreparedImport, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	return a.prepareImport(ctx, org, f, opt, nil)
}

func (a *App) prepareImport(ctx context.Context, org *Organization, f *ImportFile, opt ImportOptions, edits []ImportEdit) (*PreparedImport, error) {
	if opt.SendActivation {
		if err := a.activationReady(ctx, org); err != nil {
			return nil, err
		}
	}
	ip, err := a.planImport(ctx, org, f, &opt, edits)
	if err != nil {
		return nil, err
	}
	pi := &PreparedImport{Preview: ip.preview, org: org, file: ip.file, plan: ip}
	return pi, pi.check()
}

// check is what the commit refuses of a planned import.
func (pi *PreparedImport) check() error {
	p := pi.Preview
	if p.Mapping != nil && p.Mapping.Required {
		return FieldError(EINVALID, "mapping", "Say what each column of the file holds first (at least the first name, or the whole name).")
	}
	if p.Options.AllOrNothing && p.Errors > 0 {
		return Errorf(EINVALID, "%d of %d rows have errors, and \"all or nothing\" was chosen: nothing was imported. Fix the rows or untick \"all or nothing\".", p.Errors, len(p.Rows))
	}
	if p.Create+p.Warnings == 0 {
		return Errorf(EINVALID, "None of the %d rows can be created; fix the errors shown and try again.", len(p.Rows))
	}
	if len(p.Previous) > 0 && !p.Options.Again {
		last := p.Previous[len(p.Previous)-1]
		e := Errorf(ECONFLICT, "This file was already imported on %s (%d accounts created). Import it again only if you mean to.", last.CreatedAt.Format("2 Jan 2006 15:04"), last.Created)
		e.Details = map[string]string{"again": textOf("Confirm to import the same file again.")}
		return e
	}
	return nil
}

// CommitImport prepares f (PrepareImport) and commits it (CommitPrepared).
func (a *App) CommitImport(ctx context.Context, ref string, f *ImportFile, opt ImportOptions, progress Progress) (*ImportResult, error) {
	pi, err := a.PrepareImport(ctx, ref, f, opt)
	if err != nil {
		return nil, err
	}
	return a.CommitPrepared(ctx, pi, progress)
}

// CommitPrepared creates the accounts of every row of a prepared import
// without errors. Passwords are hashed BulkHashWorkers at a time first (progress reports
// the hashing; ctx cancels it), then the import record, the missing groups
// (if chosen) and all users are written in one transaction. Existing users
// are never changed. Errors: ECONFLICT (a username or email taken
// meanwhile), context.Canceled (before the write only).
func (a *App) CommitPrepared(ctx context.Context, pi *PreparedImport, progress Progress) (*ImportResult, error) {
	if err := pi.check(); err != nil {
		return nil, err
	}
	org, f, ip, p := pi.org, pi.file, pi.plan, pi.Preview
	var plans []accountPlan
	var rowOf []int // plan index → row index
	used := map[string]bool{}
	for i, r := range p.Rows {
		if r.Status == RowError || r.Status == RowSkip {
			continue
		}
		plans = append(plans, ip.plans[i])
		rowOf = append(rowOf, i)
		for _, id := range ip.plans[i].User.Groups {
			used[id] = true
		}
	}
	now := a.now()
	var groups []*Group
	imp := &Import{ID: a.newID(), OrgID: org.ID, FileName: f.Name, SHA256: f.SHA256, Format: f.Format,
		Rows: len(p.Rows), Created: len(plans), Skipped: len(p.Rows) - len(plans), GroupsCreated: []string{}, Again: ip.again}
	for _, g := range ip.newGroups {
		if used[g.ID] {
			g.CreatedAt, g.UpdatedAt = now, now
			groups = append(groups, g)
		}
	}
	sort.Slice(groups, func(i, j int) bool { return Key(groups[i].Name) < Key(groups[j].Name) })
	for _, g := range groups {
		imp.GroupsCreated = append(imp.GroupsCreated, g.Name)
	}
	users, passwords, err := a.newAccounts(ctx, org, plans, ip.opt, progress)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		u.ImportID = imp.ID
	}
	imp.DeleteOn = importDeleteOn(users)
	imp.CreatedAt = a.now()
	// Cancelled before the write: nothing is created. Once written, a late
	// cancel is ignored so the passwords reach the admin.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	var mails []*ResetMail
	if p.Options.SendActivation {
		if mails, err = a.activationMails(ctx, org, users); err != nil {
			return nil, err
		}
	}
	imp.ActivationMails = len(mails)
	actx := a.audit(ctx, org.ID, "import.commit", AuditTarget{Kind: "import", ID: imp.ID, Name: f.Name},
		fmt.Sprintf("%d rows: %d accounts created, %d skipped, %d groups created%s", imp.Rows, imp.Created, imp.Skipped, len(groups), activationNote(len(mails))), ids...)
	err = a.writeNewGroups(groups, func(ng []NewGroup) error { return a.Store.CreateImport(actx, imp, ng, users, mails...) })
	if err != nil {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx)
	if len(mails) > 0 {
		a.outbox().wakeUp()
	}
	accounts, err := a.accountResult(ctx, org, users, passwords)
	if err != nil {
		return nil, err
	}
	if ip.mapping != "" && f.mapping != nil {
		// Remembered for the next file with the same header set; the import
		// is written whether or not this small write succeeds.
		_ = a.Store.SaveImportMapping(ctx, org.ID, ip.mapping, f.mapping)
	}
	res := &ImportResult{Import: imp, Org: org, Accounts: accounts, Fields: ImportFields, File: f.Info(),
		Header: f.Header, Rows: make([]ImportResultRow, len(p.Rows))}
	for i, r := range p.Rows {
		res.Rows[i] = ImportResultRow{Line: r.Line, Values: r.Values, Cells: f.Rows[i].Cells, Status: RowSkipped, Reason: r.Reason(), Username: valueAt(r.Values, ColUsername)}
	}
	for k, i := range rowOf {
		row := &res.Rows[i]
		row.Status, row.Username, row.LoginEmail, row.Password = RowCreated, users[k].Username, users[k].Email, passwords[k]
		switch {
		case ip.replaced[i]:
			row.PasswordNote = PasswordReplacedNote
		case ip.plans[i].Password == "" && ip.opt.PasswordMode == PasswordRandom:
			row.PasswordNote = PasswordGeneratedNote
		}
		if p.Rows[i].Status == RowCreate {
			row.Reason = ""
		}
		if gs := ip.rowGroups[i]; len(gs) > 0 && p.Rows[i].Warnings["groups"] != "" {
			// Written now: the results file says the groups were created.
			done := p.Rows[i]
			done.Warnings = maps.Clone(done.Warnings)
			done.Warnings["groups"] = newGroupsNote(gs, true)
			row.Reason = done.Reason()
		}
	}
	return res, nil
}

// extraCells are the non-empty cells of a row beyond the header's columns,
// quoted: a file's reader keeps only the columns the header names.
func extraCells(header, cells []string) []string {
	if len(header) == 0 || len(cells) <= len(header) {
		return nil
	}
	var out []string
	for _, c := range cells[len(header):] {
		if c = Clean(c); c != "" {
			out = append(out, strconv.Quote(c))
		}
	}
	return out
}

// newGroupsNote is the warning of a row that joins groups the import
// creates: "will be" in the preview, "were" (done) in the results file.
func newGroupsNote(names []string, done bool) string {
	switch {
	case len(names) == 1 && done:
		return Tr("en", "The group %s was created by this import.", names[0])
	case len(names) == 1:
		return Tr("en", "The group %s will be created.", names[0])
	case done:
		return Tr("en", "The groups %s were created by this import.", strings.Join(names, ", "))
	}
	return Tr("en", "The groups %s will be created.", strings.Join(names, ", "))
}

// ImportUpload is a file read for an import and kept as a draft, with its
// preview under the default options.
type ImportUpload struct {
	Draft   string         `json:"draft"`
	Preview *ImportPreview `json:"preview"`
}

// ImportRequest is what the admin asks of a kept file: the options and the
// cells fixed in place.
type ImportRequest struct {
	Options ImportOptions `json:"options"`
	Edits   []ImportEdit  `json:"edits"`
}

// UploadImport reads a file for an import into organization ref — read is
// called once the organization is found, so a wrong address is not answered
// after reading a large file — previews it with the default options and
// keeps it as a draft of the admin owner ("" in the desktop window) for
// PreviewDraft and StartImport.
// Errors: ENOTFOUND (organization), read's, EINVALID (no rows).
func (a *App) UploadImport(ctx context.Context, ref, owner string, read func() (*ImportFile, error)) (*ImportUpload, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	f, err := read()
	if err != nil {
		return nil, err
	}
	ip, err := a.planImport(ctx, org, f, &ImportOptions{}, nil)
	if err != nil {
		return nil, err
	}
	up := &ImportUpload{Draft: a.saveDraft(org, owner, f), Preview: ip.preview}
	ctx = a.audit(ctx, org.ID, "import.upload", AuditTarget{Kind: "import file", ID: up.Draft, Name: f.Name},
		fmt.Sprintf("%d rows read, kept for preview; nothing created yet", len(ip.preview.Rows)))
	return up, a.flushAudit(ctx)
}

// draftImport is the admin owner's kept file in organization ref, as read
// (the request's mapping and edits are applied when it is planned).
// Errors: ENOTFOUND (organization, draft).
func (a *App) draftImport(ctx context.Context, ref, owner, id string) (*Organization, *ImportFile, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	f, err := a.draftFile(org, owner, id)
	if err != nil {
		return nil, nil, err
	}
	return org, f, nil
}

// PreviewDraft previews the admin owner's kept file id with the request's
// options and cells fixed in place. Nothing is written.
// Errors: ENOTFOUND (organization, draft), EINVALID (edits, options).
func (a *App) PreviewDraft(ctx context.Context, ref, owner, id string, req ImportRequest) (*ImportPreview, error) {
	org, f, err := a.draftImport(ctx, ref, owner, id)
	if err != nil {
		return nil, err
	}
	ip, err := a.planImport(ctx, org, f, &req.Options, req.Edits)
	if err != nil {
		return nil, err
	}
	return ip.preview, nil
}

// StartImport prepares the admin owner's kept file id with the request's
// options and edits (PrepareImport: what the commit would refuse is refused
// now) and commits it in a job of the owner (CommitPrepared), which drops
// the draft once the import is written. It returns the job's status; until
// the hashing reports, its total is the number of rows to create.
// Errors: those of PrepareImport, ENOTFOUND (draft), EINVALID (edits).
func (a *App) StartImport(ctx context.Context, ref, owner, id string, req ImportRequest) (JobStatus, error) {
	org, f, err := a.draftImport(ctx, ref, owner, id)
	if err != nil {
		return JobStatus{}, err
	}
	pi, err := a.prepareImport(ctx, org, f, req.Options, req.Edits)
	if err != nil {
		return JobStatus{}, err
	}
	total := pi.Preview.Create + pi.Preview.Warnings
	actor := ActorFrom(ctx)
	return a.Jobs.StartStatus(owner, org.ID, "import", total, func(ctx context.Context, progress Progress) (any, error) {
		res, err := a.CommitPrepared(WithActor(ctx, actor), pi, progress)
		if err == nil {
			a.DropImportDraft(id)
		}
		return res, err
	}), nil
}

// Imports lists the organization's imports, newest first. Errors: ENOTFOUND.
func (a *App) Imports(ctx context.Context, ref string) ([]*Import, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	return a.Store.Imports(ctx, org.ID)
}

// ImportDrafts keeps files read for an import between the upload and the
// commit, in memory only, so the preview can be fixed and re-checked
// without sending the file again. Drafts unused for DraftTTL are dropped,
// and at most MaxDrafts holding MaxDraftRows and MaxDraftBytes are kept.
type ImportDrafts struct {
	app    *App
	mu     sync.Mutex
	drafts map[string]*draft
}

type draft struct {
	orgID string
	owner string // the admin's ID; "" in the desktop window
	file  *ImportFile
	bytes int // draftBytes(file)
	used  time.Time
}

// Draft limits: drafts live in memory, so their number, their rows and
// their bytes together are bounded (the oldest goes first).
const (
	DraftTTL      = 2 * time.Hour
	MaxDrafts     = 8
	MaxDraftRows  = 400_000
	MaxDraftBytes = 200 << 20
)

// draftBytes estimates the memory a read file holds: its values and the
// string headers of its rows.
func draftBytes(f *ImportFile) int {
	n := 0
	for _, r := range f.Rows {
		n += 64 + 16*len(r.Values)
		for _, v := range r.Values {
			n += len(v)
		}
	}
	return n
}

// SaveImportDraft keeps a read file for organization ref and the admin
// owner ("" in the desktop window) and returns its ID. Errors: ENOTFOUND
// (organization).
func (a *App) SaveImportDraft(ctx context.Context, ref, owner string, f *ImportFile) (string, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return "", err
	}
	return a.saveDraft(org, owner, f), nil
}

func (a *App) saveDraft(org *Organization, owner string, f *ImportFile) string {
	d := a.Drafts
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.drafts == nil {
		d.drafts = map[string]*draft{}
	}
	d.sweep()
	size := draftBytes(f)
	rows, bytes := len(f.Rows), size
	for _, x := range d.drafts {
		rows, bytes = rows+len(x.file.Rows), bytes+x.bytes
	}
	for len(d.drafts) > 0 && (len(d.drafts) >= MaxDrafts || rows > MaxDraftRows || bytes > MaxDraftBytes) {
		oldest := ""
		for id, x := range d.drafts {
			if oldest == "" || x.used.Before(d.drafts[oldest].used) {
				oldest = id
			}
		}
		rows, bytes = rows-len(d.drafts[oldest].file.Rows), bytes-d.drafts[oldest].bytes
		delete(d.drafts, oldest)
	}
	id := a.newID()
	d.drafts[id] = &draft{orgID: org.ID, owner: owner, file: f, bytes: size, used: a.Now()}
	return id
}

// ImportDraft returns a file kept for the organization and the admin owner.
// Errors: ENOTFOUND (organization, or the draft expired or is another
// admin's).
func (a *App) ImportDraft(ctx context.Context, ref, owner, id string) (*ImportFile, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	return a.draftFile(org, owner, id)
}

func (a *App) draftFile(org *Organization, owner, id string) (*ImportFile, error) {
	d := a.Drafts
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sweep()
	x := d.drafts[id]
	if x == nil || x.orgID != org.ID || x.owner != owner {
		return nil, Errorf(ENOTFOUND, "The uploaded file is no longer kept (after %s unused, or after a restart); choose it again.", DraftTTL)
	}
	x.used = a.Now()
	return x.file, nil
}

// DropImportDraft forgets a kept file.
func (a *App) DropImportDraft(id string) {
	a.Drafts.mu.Lock()
	delete(a.Drafts.drafts, id)
	a.Drafts.mu.Unlock()
}

func (d *ImportDrafts) sweep() {
	now := d.app.Now()
	for id, x := range d.drafts {
		if now.Sub(x.used) > DraftTTL {
			delete(d.drafts, id)
		}
	}
}

// clear forgets every kept file (after a restore: they belong to the
// database that was replaced).
func (d *ImportDrafts) clear() {
	d.mu.Lock()
	d.drafts = nil
	d.mu.Unlock()
}

// ParseImportBool reads a yes/no cell (TRUE/FALSE, yes/no, 1/0, ...); ok
// is false for anything else.
func ParseImportBool(s string) (v, ok bool) { return parseImportBool(s) }

// importStatuses are the words of an import file's status column (as the
// readers bring Canvas', OneRoster's, Google's, Moodle's and Entra's
// columns to them), with whether such a row is created, and why not.
var importStatuses = map[string]string{
	"": "", "active": "", "enabled": "", "true": "", "yes": "", "1": "", "aktiv": "", "new": "",
	"deleted":     textOf("The file marks this person as deleted (status %q): not created. Change the status to active to create the account."),
	"tobedeleted": textOf("The file marks this person to be deleted (tobedeleted) (status %q): not created. Change the status to active to create the account."),
	"inactive":    textOf("The file marks this person as inactive (not enabled) (status %q): not created. Change the status to active to create the account."),
	"disabled":    textOf("The file marks this person as disabled (status %q): not created. Change the status to active to create the account."),
	"false":       textOf("The file marks this person as not active (status %q): not created. Change the status to active to create the account."),
	"no":          textOf("The file marks this person as not active (status %q): not created. Change the status to active to create the account."),
	"0":           textOf("The file marks this person as not active (status %q): not created. Change the status to active to create the account."),
	"suspended":   textOf("The file marks this person as suspended (status %q): not created. Change the status to active to create the account."),
	"blocked":     textOf("The file blocks this person from signing in (status %q): not created. Change the status to active to create the account."),
	"nologin":     textOf("The file says this person may not sign in (auth nologin) (status %q): not created. Change the status to active to create the account."),
	"archived":    textOf("The file marks this person as archived (status %q): not created. Change the status to active to create the account."),
	"left":        textOf("The file marks this person as having left (status %q): not created. Change the status to active to create the account."),
	"completed":   textOf("The file marks this person as completed (no longer enrolled) (status %q): not created. Change the status to active to create the account."),
}

// StatusCreates reports whether a status cell lets its row be created
// (empty, active, enabled, ...). An unknown word does not.
func StatusCreates(s string) bool {
	why, ok := importStatuses[strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))]
	return ok && why == ""
}

// statusReason is why a row with status s is not created ("" if it is),
// and whether s is a known word at all.
func statusReason(s string) (string, bool) {
	why, ok := importStatuses[strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))]
	if !ok {
		return "", false
	}
	if why != "" {
		why = fmt.Sprintf(why, s)
	}
	return why, true
}

// parentRoles are the roles of people a roster names who get no account
// (OneRoster's parent, guardian and relative), unless the organization
// has such an account type.
var parentRoles = map[string]bool{"parent": true, "guardian": true, "relative": true, "parents": true, "guardians": true}

// MappingStep is the preview's column-mapping step, for a file whose
// header Rollcall did not recognise (or that has none).
type MappingStep struct {
	// Required: no mapping is chosen yet, so no row is planned.
	Required bool `json:"required"`
	// Remembered: the mapping chosen before for this header set was applied.
	Remembered bool `json:"remembered"`
	// Header says the first row names the columns (as chosen, or guessed).
	Header  bool            `json:"header"`
	Columns []MappingColumn `json:"columns"`
	// Chosen is the mapping applied, or a suggestion while Required.
	Chosen []string `json:"chosen"`
	// Fields are what a column can hold ("" leaves it out).
	Fields []string `json:"fields"`
}

// MappingColumn is one column of a file in the mapping step: its first
// row's cell and a few cells below.
type MappingColumn struct {
	First   string   `json:"first"`
	Samples []string `json:"samples"`
}

// resolveMapping applies the column mapping to a file that needs one: the
// one in opt, else the one remembered for its header set. Without either,
// the step comes back Required with a suggestion. The key is the header
// set's, for remembering the mapping at the commit ("" if none applies).
func (a *App) resolveMapping(ctx context.Context, org *Organization, f *ImportFile, opt *ImportOptions) (*ImportFile, *MappingStep, string, error) {
	if !f.NeedsMapping {
		return f, nil, "", nil
	}
	step := &MappingStep{Header: f.FirstRowHeader, Fields: append([]string{"", FullNameField}, ImportFields...)}
	width := f.width()
	for c := range width {
		col := MappingColumn{Samples: []string{}}
		for k, r := range f.Rows {
			v := ""
			if c < len(r.Cells) {
				v = r.Cells[c]
			}
			if k == 0 {
				col.First = v
			} else if k <= 3 {
				col.Samples = append(col.Samples, v)
			} else {
				break
			}
		}
		step.Columns = append(step.Columns, col)
	}
	m := opt.Mapping
	if m == nil {
		for _, header := range []bool{f.FirstRowHeader, !f.FirstRowHeader} {
			got, err := a.Store.ImportMapping(ctx, org.ID, f.MappingKey(header))
			if err != nil {
				return nil, nil, "", err
			}
			if got != nil && got.Header == header && len(got.Columns) == width {
				m, step.Remembered = got, true
				break
			}
		}
	}
	if m == nil {
		step.Required = true
		step.Chosen = make([]string, width)
		copy(step.Chosen, f.Suggested)
		return f, step, "", nil
	}
	if len(m.Columns) > width {
		return nil, nil, "", FieldError(EINVALID, "mapping", "The file has %d columns, but the mapping names %d.", width, len(m.Columns))
	}
	mf, err := f.Remap(*m)
	if err != nil {
		return nil, nil, "", err
	}
	step.Header, step.Chosen = m.Header, m.Columns
	opt.Mapping = m
	return mf, step, f.MappingKey(m.Header), nil
}
