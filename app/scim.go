package app

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"
)

// Provisioning from the school's directory (SCIM 2.0, RFC 7643/7644).
//
// Microsoft Entra ID, Okta or Google create, change and remove people and
// groups of one organization through the SCIM endpoint, each with a bearer
// token an organization admin made under Settings → Provisioning. A token is
// shown once and kept only as its SHA-256; it authorizes the directory's use
// cases below for its own organization and nothing else (never an /api
// route: those take an admin's session). The directory acts through the
// same use cases as an admin (CreateUser, UpdateUser, SetUserStatus,
// BulkUsers, CreateGroup, ...), as an actor of its own whose name is the
// token's, so the audit log says which token changed what.
//
// People the directory made or changed are "managed by the directory"
// (User.Directory): the admin UI says so and warns that a local edit is
// overwritten at the next sync. What the directory's DELETE does is the
// organization's choice (SCIMSettings.OnDelete): deactivate the person, or
// delete them with the deletion-date rules (lifecycle.go): deactivated at
// once, purged after the organization's grace period. A person whose
// deletion date has come no longer exists for the directory.

// ActorDirectory is a directory provisioning through a SCIM token.
const ActorDirectory = "directory"

// ViaSCIM: the person was provisioned by the directory.
const ViaSCIM = "scim"

// What the directory's DELETE of a person does.
const (
	SCIMDeactivate = "deactivate"
	SCIMDelete     = "delete"
)

// MaxSCIMTokens bounds the tokens of one organization.
const MaxSCIMTokens = 20

// SCIMTokenLastUsedStep is how often a token's last-used time is written:
// a sync of thousands of requests writes it once a minute, not each time.
const SCIMTokenLastUsedStep = time.Minute

// SCIMToken is a bearer token of one organization's directory. The secret
// is shown once; the store keeps its SHA-256 only.
type SCIMToken struct {
	ID        string     `json:"id"`
	OrgID     string     `json:"org_id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by,omitempty"`
	LastUsed  *time.Time `json:"last_used,omitempty"`
}

// NewSCIMToken is a token just made, with its secret (shown this once).
type NewSCIMToken struct {
	Token  *SCIMToken `json:"token"`
	Secret string     `json:"secret"`
}

// SCIMSettings are an organization's provisioning settings.
type SCIMSettings struct {
	// OnDelete is SCIMDeactivate (the default) or SCIMDelete.
	OnDelete string `json:"on_delete"`
}

// SCIMProvisioning is what Settings → Provisioning shows.
type SCIMProvisioning struct {
	SCIMSettings
	Tokens []*SCIMToken `json:"tokens"`
}

// SCIMStore keeps the tokens and settings of provisioning.
type SCIMStore interface {
	// CreateSCIMToken stores the token under the SHA-256 of its secret.
	CreateSCIMToken(ctx context.Context, t *SCIMToken, hash string) error
	// SCIMTokens returns the organization's tokens, oldest first.
	SCIMTokens(ctx context.Context, orgID string) ([]*SCIMToken, error)
	// SCIMTokenByHash returns the token whose secret has the hash; ENOTFOUND if none.
	SCIMTokenByHash(ctx context.Context, hash string) (*SCIMToken, error)
	// DeleteSCIMToken removes a token and its hash; ENOTFOUND if none.
	DeleteSCIMToken(ctx context.Context, orgID, id string) error
	// TouchSCIMToken sets the token's last-used time (no audit entry).
	TouchSCIMToken(ctx context.Context, orgID, id string, at time.Time) error
	// SCIMSettings returns the organization's settings; zero if never set.
	SCIMSettings(ctx context.Context, orgID string) (*SCIMSettings, error)
	PutSCIMSettings(ctx context.Context, orgID string, s *SCIMSettings) error
	// UserByDirectoryName and UserByExternalID find the person of the
	// organization with that DirectoryName (compared as LoginKey) or
	// ExternalID, from indexes the user store keeps; ENOTFOUND if none.
	UserByDirectoryName(ctx context.Context, orgID, name string) (*User, error)
	UserByExternalID(ctx context.Context, orgID, externalID string) (*User, error)
}

// --- Settings → Provisioning (organization admins) ---

// SCIMProvisioning returns organization ref's provisioning settings and
// tokens. Errors: ENOTFOUND, EFORBIDDEN.
func (a *App) SCIMProvisioning(ctx context.Context, ref string) (*SCIMProvisioning, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	return a.scimProvisioning(ctx, org)
}

func (a *App) scimProvisioning(ctx context.Context, org *Organization) (*SCIMProvisioning, error) {
	set, err := a.scimSettings(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	tokens, err := a.Store.SCIMTokens(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	return &SCIMProvisioning{SCIMSettings: *set, Tokens: tokens}, nil
}

func (a *App) scimSettings(ctx context.Context, orgID string) (*SCIMSettings, error) {
	set, err := a.Store.SCIMSettings(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if set.OnDelete == "" {
		set.OnDelete = SCIMDeactivate
	}
	return set, nil
}

// SetSCIMSettings changes what the directory's DELETE does.
// Errors: ENOTFOUND, EFORBIDDEN, EINVALID.
func (a *App) SetSCIMSettings(ctx context.Context, ref string, in SCIMSettings) (*SCIMProvisioning, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	if in.OnDelete != SCIMDeactivate && in.OnDelete != SCIMDelete {
		return nil, FieldError(EINVALID, "on_delete", "Choose %q or %q.", SCIMDeactivate, SCIMDelete)
	}
	ctx = a.audit(ctx, org.ID, "scim.settings", orgTarget(org), "a removal by the directory will "+in.OnDelete)
	if err := a.Store.PutSCIMSettings(ctx, org.ID, &in); err != nil {
		return nil, err
	}
	return a.scimProvisioning(ctx, org)
}

// CreateSCIMToken makes a directory token for organization ref; its secret
// is in the answer only. Errors: ENOTFOUND, EFORBIDDEN, EINVALID.
func (a *App) CreateSCIMToken(ctx context.Context, ref, name string) (*NewSCIMToken, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	name = Clean(name)
	v := validation{}
	checkName(v, "name", "The token's name", name)
	if err := v.err(); err != nil {
		return nil, err
	}
	tokens, err := a.Store.SCIMTokens(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	if len(tokens) >= MaxSCIMTokens {
		return nil, Errorf(ECONFLICT, "An organization has at most %d provisioning tokens; revoke one first.", MaxSCIMTokens)
	}
	for _, t := range tokens {
		if Key(t.Name) == Key(name) {
			return nil, FieldError(ECONFLICT, "name", "A token named %q exists already.", name)
		}
	}
	secret, err := a.NewToken()
	if err != nil {
		return nil, err
	}
	secret = "scim_" + secret
	t := &SCIMToken{ID: a.newID(), OrgID: org.ID, Name: name, CreatedAt: a.now(), CreatedBy: ActorFrom(ctx).Name}
	ctx = a.audit(ctx, org.ID, "scim.token_create", AuditTarget{Kind: "scim_token", ID: t.ID, Name: t.Name}, "")
	if err := a.Store.CreateSCIMToken(ctx, t, TokenHash(secret)); err != nil {
		return nil, err
	}
	return &NewSCIMToken{Token: t, Secret: secret}, nil
}

// RevokeSCIMToken deletes a directory token: its next request is refused.
// Errors: ENOTFOUND, EFORBIDDEN.
func (a *App) RevokeSCIMToken(ctx context.Context, ref, id string) error {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return err
	}
	tokens, err := a.Store.SCIMTokens(ctx, org.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(tokens, func(t *SCIMToken) bool { return t.ID == id })
	if i < 0 {
		return Errorf(ENOTFOUND, "There is no such provisioning token.")
	}
	ctx = a.audit(ctx, org.ID, "scim.token_revoke", AuditTarget{Kind: "scim_token", ID: id, Name: tokens[i].Name}, "")
	return a.Store.DeleteSCIMToken(ctx, org.ID, id)
}

// --- The directory's use cases ---

var errSCIMToken = Errorf(EUNAUTHORIZED, "A valid provisioning token is needed (Authorization: Bearer ...).")

// SCIMSignIn checks the bearer secret of a request to organization ref's
// SCIM endpoint and returns ctx with the token as actor, allowed the
// directory's use cases in that organization only. A missing, wrong or
// revoked secret is EUNAUTHORIZED; another organization's token is
// ENOTFOUND, as for an organization that does not exist.
func (a *App) SCIMSignIn(ctx context.Context, ref, secret string) (context.Context, error) {
	if secret == "" {
		return nil, errSCIMToken
	}
	t, err := a.Store.SCIMTokenByHash(ctx, TokenHash(secret))
	if ErrorCode(err) == ENOTFOUND {
		return nil, errSCIMToken
	} else if err != nil {
		return nil, err
	}
	org, err := a.findOrganization(ctx, ref)
	if err != nil {
		return nil, err
	}
	if org.ID != t.OrgID {
		return nil, orgNotFound(ref)
	}
	now := a.now()
	if t.LastUsed == nil || now.Sub(*t.LastUsed) >= SCIMTokenLastUsedStep {
		if err := a.Store.TouchSCIMToken(ctx, t.OrgID, t.ID, now); err != nil {
			return nil, err
		}
	}
	actor := Actor{Kind: ActorDirectory, ID: t.ID, Name: t.Name, scope: &Scope{OrgID: org.ID, OrgAdmin: true}}
	return WithActor(ctx, actor), nil
}

// directoryOrg is organization ref for a directory use case: only a
// directory token of that organization reaches it.
func (a *App) directoryOrg(ctx context.Context, ref string) (*Organization, error) {
	actor := ActorFrom(ctx)
	if actor.Kind != ActorDirectory || actor.scope == nil {
		return nil, errSCIMToken
	}
	org, err := a.findOrganization(ctx, ref)
	if err != nil {
		return nil, err
	}
	if org.ID != actor.scope.OrgID {
		return nil, orgNotFound(ref)
	}
	return org, nil
}

// DirectoryUser is a person as the directory describes them. Empty fields
// are empty (a replace clears them); Active nil leaves the status alone.
type DirectoryUser struct {
	// UserName is the directory's name for the person: kept as the
	// Rollcall username when it is a valid one, else (an address such as
	// a UPN) in DirectoryName.
	UserName   string
	ExternalID string
	FirstName  string
	LastName   string
	Email      string
	Phone      string
	JobTitle   string
	// Department names a group of the organization the person is put in,
	// if one has that name (the enterprise extension's department).
	Department string
	// UserType is the person's account type, if it names one of the
	// organization's (SCIM's userType: "Teacher", "Student").
	UserType string
	Active   *bool
}

// accountType is the account type the directory's userType names in org,
// or "" when it names none.
func (in *DirectoryUser) accountType(org *Organization) string {
	if t := Key(in.UserType); t != "" && org.HasAccountType(t) {
		return t
	}
	return ""
}

// DirectoryUserName is the person's userName for the directory.
func (u *User) DirectoryUserName() string {
	switch {
	case u.DirectoryName != "":
		return u.DirectoryName
	case u.Username != "":
		return u.Username
	}
	return u.Email
}

// Gone reports whether the person no longer exists for the directory: their
// deletion date has come (they are about to be purged).
func (a *App) directoryGone(u *User) bool {
	return u.DeleteOn != "" && u.DeleteOn <= a.today(a.Now())
}

// DirectoryQuery selects people for the directory: Match (nil for all),
// then Count of them from the Start-th (0-based). UserName or ExternalID,
// when set, say that Match holds only for the person with that userName or
// externalId (a filter "userName eq ..."), found by index, not by a scan.
type DirectoryQuery struct {
	Match      func(u *User) bool
	Start      int
	Count      int
	UserName   string
	ExternalID string
}

// DirectoryUsers lists the people of organization ref for the directory,
// ordered as the users list is, with the total that match.
// Errors: EUNAUTHORIZED, ENOTFOUND.
func (a *App) DirectoryUsers(ctx context.Context, ref string, q DirectoryQuery) (*UserPage, error) {
	org, err := a.directoryOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	q.Start, q.Count = max(q.Start, 0), max(q.Count, 0)
	hide := a.today(a.Now())
	if q.UserName != "" || q.ExternalID != "" {
		var u *User
		if q.UserName != "" {
			u, err = a.directoryUserNamed(ctx, org, q.UserName)
		} else {
			u, err = a.Store.UserByExternalID(ctx, org.ID, q.ExternalID)
		}
		page := &UserPage{Users: []*User{}, PerPage: q.Count, Page: 1}
		switch {
		case ErrorCode(err) == ENOTFOUND:
		case err != nil:
			return nil, err
		case !a.directoryGone(u) && (q.Match == nil || q.Match(u)):
			page.Total = 1
			if q.Start == 0 && q.Count > 0 {
				page.Users = append(page.Users, u)
			}
		}
		return page, nil
	}
	if q.Match == nil { // one page straight from the store
		return a.Store.FindUsers(ctx, org.ID, UserFilter{Page: 1, Offset: q.Start, PerPage: q.Count, HideDueBy: hide})
	}
	all, err := a.Store.FindUsers(ctx, org.ID, UserFilter{Page: 1, PerPage: math.MaxInt32, HideDueBy: hide})
	if err != nil {
		return nil, err
	}
	page := &UserPage{Users: []*User{}, PerPage: q.Count, Page: 1}
	for _, u := range all.Users {
		if !q.Match(u) {
			continue
		}
		if page.Total >= q.Start && len(page.Users) < q.Count {
			page.Users = append(page.Users, u)
		}
		page.Total++
	}
	return page, nil
}

// DirectoryUserByID returns a person of organization ref for the directory.
// Errors: EUNAUTHORIZED, ENOTFOUND.
func (a *App) DirectoryUserByID(ctx context.Context, ref, id string) (*User, error) {
	org, err := a.directoryOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	return a.directoryUser(ctx, org, id)
}

func (a *App) directoryUser(ctx context.Context, org *Organization, id string) (*User, error) {
	u, err := a.Store.User(ctx, org.ID, id)
	if err == nil && a.directoryGone(u) {
		err = Errorf(ENOTFOUND, "There is no such user in this organization.")
	}
	return u, err
}

// directoryLink is what only the directory sets on a person.
type directoryLink struct {
	ExternalID, DirectoryName string
}

func (l *directoryLink) apply(u *User) {
	u.Directory, u.ExternalID, u.DirectoryName = true, l.ExternalID, l.DirectoryName
}

// split turns the directory's description into Rollcall's fields.
func (in *DirectoryUser) split() (User, directoryLink) {
	u := User{FirstName: in.FirstName, LastName: in.LastName, Email: Clean(in.Email), Phone: in.Phone, JobTitle: in.JobTitle}
	link := directoryLink{ExternalID: Clean(in.ExternalID)}
	name := CleanUsername(in.UserName)
	switch {
	case name == "":
	case CheckUsername(name) == "":
		u.Username = name
	default:
		link.DirectoryName = name
		if u.Email == "" && strings.Contains(name, "@") {
			u.Email = name // a UPN is, most often, the address too
		}
	}
	if Clean(u.FirstName) == "" && Clean(u.LastName) == "" {
		// Someone must be called something: the local part of the name.
		first, _, _ := strings.Cut(name, "@")
		u.FirstName = first
	}
	return u, link
}

// directoryUserNamed finds the person of org whose userName for the
// directory is name, from the indexes: their directory name, or the
// username or email it is made of. ENOTFOUND if none.
func (a *App) directoryUserNamed(ctx context.Context, org *Organization, name string) (*User, error) {
	u, err := a.Store.UserByDirectoryName(ctx, org.ID, name)
	if ErrorCode(err) != ENOTFOUND {
		return u, err
	}
	u, err = a.Store.UserByLogin(ctx, name)
	if err == nil && (u.OrgID != org.ID || LoginKey(u.DirectoryUserName()) != LoginKey(name)) {
		err = Errorf(ENOTFOUND, "There is no such user in this organization.")
	}
	return u, err
}

// checkDirectoryName refuses a userName another person of the organization
// has for the directory (the store's indexes refuse it too, when written).
func (a *App) checkDirectoryName(ctx context.Context, org *Organization, name, self string) error {
	if name == "" {
		return FieldError(EINVALID, "userName", "A userName is needed.")
	}
	u, err := a.directoryUserNamed(ctx, org, name)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return nil
	case err != nil:
		return err
	case u.ID != self:
		return FieldError(ECONFLICT, "username", "The userName %q is taken in this organization.", name)
	}
	return nil
}

// ProvisionUser creates a person the directory sends, managed by it.
// Errors: EUNAUTHORIZED, ENOTFOUND, EINVALID, ECONFLICT (userName or email taken).
func (a *App) ProvisionUser(ctx context.Context, ref string, in DirectoryUser) (*User, error) {
	org, err := a.directoryOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	base, link := in.split()
	if err := a.checkDirectoryName(ctx, org, CleanUsername(in.UserName), ""); err != nil {
		return nil, err
	}
	if base.Groups, err = a.departmentGroups(ctx, org, in.Department, nil); err != nil {
		return nil, err
	}
	base.AccountType = in.accountType(org) // "": the organization's first
	u, err := a.createUser(ctx, org.ID, UserCreate{User: base}, &link)
	if err != nil {
		return nil, err
	}
	if in.Active != nil && !*in.Active {
		return a.SetUserStatus(ctx, org.ID, u.ID, StatusDeactivated)
	}
	return u, nil
}

// departmentGroups adds the group named department (if the organization
// has one) to groups.
func (a *App) departmentGroups(ctx context.Context, org *Organization, department string, groups []string) ([]string, error) {
	if Clean(department) == "" {
		return groups, nil
	}
	g, err := a.Store.GroupByName(ctx, org.ID, Clean(department))
	if ErrorCode(err) == ENOTFOUND {
		return groups, nil
	} else if err != nil {
		return nil, err
	}
	if !slices.Contains(groups, g.ID) {
		groups = append(slices.Clone(groups), g.ID)
	}
	return groups, nil
}

// ReplaceDirectoryUser makes a person what the directory now says (a PUT,
// or a PATCH applied to what it read): the fields that differ are changed
// through UpdateUser, the status through SetUserStatus. The person is
// managed by the directory from then on.
// Errors: EUNAUTHORIZED, ENOTFOUND, EINVALID, ECONFLICT.
func (a *App) ReplaceDirectoryUser(ctx context.Context, ref, id string, in DirectoryUser) (*User, error) {
	org, err := a.directoryOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	old, err := a.directoryUser(ctx, org, id)
	if err != nil {
		return nil, err
	}
	want, link := in.split()
	if LoginKey(CleanUsername(in.UserName)) != LoginKey(old.DirectoryUserName()) {
		if err := a.checkDirectoryName(ctx, org, CleanUsername(in.UserName), id); err != nil {
			return nil, err
		}
	}
	normalizeUser(&want)
	var upd UserUpdate
	changed := false
	diff := func(dst **string, cur, next string) {
		if cur != next {
			*dst, changed = &next, true
		}
	}
	diff(&upd.FirstName, old.FirstName, want.FirstName)
	diff(&upd.LastName, old.LastName, want.LastName)
	diff(&upd.Username, old.Username, want.Username)
	diff(&upd.Email, old.Email, want.Email)
	diff(&upd.Phone, old.Phone, want.Phone)
	diff(&upd.JobTitle, old.JobTitle, want.JobTitle)
	if t := in.accountType(org); t != "" {
		diff(&upd.AccountType, old.AccountType, t)
	}
	groups, err := a.departmentGroups(ctx, org, in.Department, old.Groups)
	if err != nil {
		return nil, err
	}
	if len(groups) != len(old.Groups) {
		upd.Groups, changed = &groups, true
	}
	if old.ExternalID != link.ExternalID || old.DirectoryName != link.DirectoryName || !old.Directory {
		changed = true
	}
	u := old
	if changed {
		if u, err = a.updateUser(ctx, org.ID, id, upd, &link); err != nil {
			return nil, err
		}
	}
	if in.Active != nil {
		status := StatusActive
		if !*in.Active {
			status = StatusDeactivated
		}
		if (u.Status == StatusActive) != *in.Active {
			return a.SetUserStatus(ctx, org.ID, id, status)
		}
	}
	return u, nil
}

// DeprovisionUser is the directory's DELETE of a person: as the
// organization chose, deactivated, or deactivated with a deletion date of
// today, so that the scheduler purges them after the grace period (clearing
// the date keeps them). Errors: EUNAUTHORIZED, ENOTFOUND.
func (a *App) DeprovisionUser(ctx context.Context, ref, id string) error {
	org, err := a.directoryOrg(ctx, ref)
	if err != nil {
		return err
	}
	u, err := a.directoryUser(ctx, org, id)
	if err != nil {
		return err
	}
	set, err := a.scimSettings(ctx, org.ID)
	if err != nil {
		return err
	}
	if set.OnDelete != SCIMDelete {
		_, err := a.SetUserStatus(ctx, org.ID, id, StatusDeactivated)
		return err
	}
	today, now := a.today(a.Now()), a.now()
	purge := addDays(today, org.GraceDays())
	ctx = a.audit(ctx, org.ID, "user.deactivate", personTarget(u), "removed by the directory; deletion date "+today+", purged from "+purge)
	_, err = a.Store.ChangeUsersEndSessions(ctx, org.ID, []string{id}, func(u *User) error {
		u.Status, u.UpdatedAt = StatusDeactivated, now
		if u.DeleteOn == "" || u.DeleteOn > today {
			u.DeleteOn = today
		}
		return nil
	})
	return err
}

// DirectoryGroups lists organization ref's groups for the directory.
// Errors: EUNAUTHORIZED, ENOTFOUND.
func (a *App) DirectoryGroups(ctx context.Context, ref string) ([]*Group, error) {
	org, err := a.directoryOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	return a.Store.Groups(ctx, org.ID)
}

// DirectoryGroupsOf returns the groups of organization ref with these IDs
// (missing ones left out), for the groups the listed people are in: cheaper
// than DirectoryGroups, which counts every group's members.
// Errors: EUNAUTHORIZED, ENOTFOUND.
func (a *App) DirectoryGroupsOf(ctx context.Context, ref string, ids []string) (map[string]*Group, error) {
	org, err := a.directoryOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := map[string]*Group{}
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		g, err := a.Store.Group(ctx, org.ID, id)
		if ErrorCode(err) == ENOTFOUND {
			out[id] = nil
			continue
		} else if err != nil {
			return nil, err
		}
		out[id] = g
	}
	return out, nil
}

// DirectoryGroup returns a group of organization ref and the IDs of its
// members. Errors: EUNAUTHORIZED, ENOTFOUND.
func (a *App) DirectoryGroup(ctx context.Context, ref, id string, members bool) (*Group, []*User, error) {
	org, err := a.directoryOrg(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	g, err := a.Store.Group(ctx, org.ID, id)
	if err != nil || !members {
		return g, nil, err
	}
	ms, err := a.groupMembers(ctx, org, g.ID)
	return g, ms, err
}

func (a *App) groupMembers(ctx context.Context, org *Organization, groupID string) ([]*User, error) {
	page, err := a.Store.FindUsers(ctx, org.ID, UserFilter{Group: groupID, Page: 1, PerPage: math.MaxInt32, HideDueBy: a.today(a.Now())})
	if err != nil {
		return nil, err
	}
	return page.Users, nil
}

// ProvisionGroup creates a group the directory sends, with its members
// (IDs of people of the organization). A directory's group is not offered
// at sign-up. Errors: EUNAUTHORIZED, ENOTFOUND, EINVALID, ECONFLICT.
func (a *App) ProvisionGroup(ctx context.Context, ref, name, externalID string, members []string) (*Group, error) {
	org, err := a.directoryOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	if err := a.checkMembers(ctx, org, members); err != nil {
		return nil, err
	}
	no := false
	g, err := a.CreateGroup(ctx, org.ID, &Group{Name: name, ExternalID: externalID, SignUpChoice: &no})
	if err != nil {
		return nil, err
	}
	return g, a.moveMembers(ctx, org, g, members, BulkAddToGroup)
}

func (a *App) checkMembers(ctx context.Context, org *Organization, ids []string) error {
	for _, id := range ids {
		if _, err := a.directoryUser(ctx, org, id); ErrorCode(err) == ENOTFOUND {
			return FieldError(EINVALID, "members", "The member %q is not a user of this organization.", id)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// moveMembers adds the people to the group or takes them off it, in one
// bulk change (BulkUsers).
func (a *App) moveMembers(ctx context.Context, org *Organization, g *Group, ids []string, action string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := a.BulkUsers(ctx, org.ID, BulkRequest{Selection: UserSelection{IDs: ids}, Action: action, Group: g.ID})
	return err
}

// ReplaceDirectoryGroup makes a group what the directory now says: its
// name, and exactly these members (people added and taken off in one bulk
// change each). Errors: EUNAUTHORIZED, ENOTFOUND, EINVALID, ECONFLICT.
func (a *App) ReplaceDirectoryGroup(ctx context.Context, ref, id, name string, members []string) (*Group, error) {
	org, err := a.directoryOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	g, err := a.Store.Group(ctx, org.ID, id)
	if err != nil {
		return nil, err
	}
	if err := a.checkMembers(ctx, org, members); err != nil {
		return nil, err
	}
	if Clean(name) != g.Name {
		if g, err = a.UpdateGroup(ctx, org.ID, g.ID, GroupUpdate{Name: &name}); err != nil {
			return nil, err
		}
	}
	cur, err := a.groupMembers(ctx, org, g.ID)
	if err != nil {
		return nil, err
	}
	now := map[string]bool{}
	var remove []string
	for _, u := range cur {
		now[u.ID] = true
		if !slices.Contains(members, u.ID) {
			remove = append(remove, u.ID)
		}
	}
	var add []string
	for _, id := range members {
		if !now[id] && !slices.Contains(add, id) {
			add = append(add, id)
		}
	}
	if err := a.moveMembers(ctx, org, g, add, BulkAddToGroup); err != nil {
		return nil, err
	}
	if err := a.moveMembers(ctx, org, g, remove, BulkRemoveFromGroup); err != nil {
		return nil, err
	}
	return g, nil
}

// DeprovisionGroup is the directory's DELETE of a group: deleted, its
// members stay (DeleteGroup). Errors: EUNAUTHORIZED, ENOTFOUND.
func (a *App) DeprovisionGroup(ctx context.Context, ref, id string) error {
	org, err := a.directoryOrg(ctx, ref)
	if err != nil {
		return err
	}
	if _, err := a.Store.Group(ctx, org.ID, id); err != nil {
		return err
	}
	return a.DeleteGroup(ctx, org.ID, id)
}
