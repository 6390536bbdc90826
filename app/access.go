package app

import (
	"context"
	"slices"
	"strings"
)

// Who may do what. There are three scopes of admin:
//
//   - a server admin (an Admin account, the person at the desktop window,
//     the command line, the scheduler): everything, including creating
//     organizations, admins, backups and the sign-up listener;
//   - an organization admin: a person of the organization with the role
//     "organization": everything inside their organization;
//   - a group admin: a person with the groups they administer (usually a
//     teacher and their classes): within those groups, see and edit the
//     members, create accounts with slips, reset passwords, show the class
//     code and links, approve the group's sign-ups and invite into it; not
//     deletion dates, other groups, the organization's settings, its relay,
//     imports or exports of the whole organization.
//
// The transport puts the signed-in admin's Scope into the context with its
// Actor (AdminActor); each use case checks it here, once, so the API, the
// desktop window and the command line share the rule. A context without a
// Scope is a server admin's (or a public flow's, which checks its own rules).

// Admin roles a person can hold.
const (
	// RoleOrgAdmin makes a person an admin of their whole organization.
	RoleOrgAdmin = "organization"
)

// Scope is what an organization or group admin may reach.
type Scope struct {
	OrgID string `json:"org_id"`
	// OrgAdmin is true for an organization admin; otherwise Groups are the
	// IDs of the groups they administer.
	OrgAdmin bool     `json:"org_admin"`
	Groups   []string `json:"groups"`
}

// ScopeOf returns the scope of the admin acting in ctx; nil when the actor
// may do everything.
func ScopeOf(ctx context.Context) *Scope {
	return ActorFrom(ctx).scope
}

// HasAdminRole reports whether a person may sign in to the admin UI.
func (u *User) HasAdminRole() bool { return u.AdminRole == RoleOrgAdmin || len(u.AdminGroups) > 0 }

// scopeOfUser is the scope a person's roles give them.
func scopeOfUser(u *User) *Scope {
	return &Scope{OrgID: u.OrgID, OrgAdmin: u.AdminRole == RoleOrgAdmin, Groups: slices.Clone(u.AdminGroups)}
}

var (
	errServerOnly  = Errorf(EFORBIDDEN, "Only a server admin can do this.")
	errOrgOnly     = Errorf(EFORBIDDEN, "Only an admin of the whole organization can do this.")
	errNotYourGrp  = Errorf(EFORBIDDEN, "This group is not one you administer.")
	errNotYourUser = Errorf(EFORBIDDEN, "This person is not in a group you administer.")
	errNoGroup     = FieldError(EFORBIDDEN, "groups", "Choose one of your groups: a group admin creates and invites people into their own groups only.")
	errNoDeleteOn  = FieldError(EFORBIDDEN, "delete_on", "Only an admin of the whole organization sets deletion dates.")
)

// RequireServerAdmin refuses anyone but a server admin. Use cases that act
// on the whole installation call it (organizations, admins, backups, the
// sign-up listener).
func RequireServerAdmin(ctx context.Context) error {
	if ScopeOf(ctx) != nil {
		return errServerOnly
	}
	return nil
}

// allows reports whether the scope reaches the organization at all.
func (s *Scope) allows(orgID string) bool { return s == nil || s.OrgID == orgID }

// whole reports whether the scope is the whole organization (or more).
func (s *Scope) whole() bool { return s == nil || s.OrgAdmin }

// hasGroup reports whether the scope reaches the group with this ID.
func (s *Scope) hasGroup(id string) bool { return s.whole() || slices.Contains(s.Groups, id) }

// hasGroups reports whether the scope reaches every group of ids, and at
// least one: a group admin always names one of their groups.
func (s *Scope) hasGroups(ids []string) bool {
	if s.whole() {
		return true
	}
	if len(ids) == 0 {
		return false
	}
	for _, id := range ids {
		if !slices.Contains(s.Groups, id) {
			return false
		}
	}
	return true
}

// hasUser reports whether the scope reaches the person: a member of one of
// the groups a group admin administers.
func (s *Scope) hasUser(u *User) bool {
	if !s.allows(u.OrgID) {
		return false
	}
	if s.whole() {
		return true
	}
	for _, g := range u.Groups {
		if slices.Contains(s.Groups, g) {
			return true
		}
	}
	return false
}

// checkOrg is the rule of Organization: a use case on an organization is
// for its admins (and server admins). Someone else's organization is not
// found, so its existence is not told.
func checkOrg(ctx context.Context, o *Organization, ref string) error {
	s := ScopeOf(ctx)
	if !s.allows(o.ID) {
		return orgNotFound(ref)
	}
	if !s.whole() {
		return errOrgOnly
	}
	return nil
}

func orgNotFound(ref string) error { return Errorf(ENOTFOUND, "There is no organization %q.", ref) }

// scopedOrg finds organization ref for a use case that group admins may
// use too, and returns the actor's scope (nil: everything); the use case
// then checks the groups and people it touches against it.
func (a *App) scopedOrg(ctx context.Context, ref string) (*Organization, *Scope, error) {
	o, err := a.findOrganization(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	s := ScopeOf(ctx)
	if !s.allows(o.ID) {
		return nil, nil, orgNotFound(ref)
	}
	return o, s, nil
}

// scopedUser is the person with the ID in organization ref, for a use case
// that group admins may use on the members of their groups.
func (a *App) scopedUser(ctx context.Context, ref, id string) (*Organization, *Scope, *User, error) {
	org, s, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, nil, nil, err
	}
	u, err := a.Store.User(ctx, org.ID, id)
	if err != nil {
		return nil, nil, nil, err
	}
	if !s.hasUser(u) {
		return nil, nil, nil, errNotYourUser
	}
	return org, s, u, nil
}

// symmetricDifference lists the IDs in exactly one of a and b.
func symmetricDifference(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, x)
		}
	}
	return out
}

// scopedGroup is group ref (ID or name) of organization ref, for a use
// case that a group admin may use on their own groups.
func (a *App) scopedGroup(ctx context.Context, ref, group string) (*Organization, *Group, error) {
	org, s, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	g, err := a.group(ctx, org, group)
	if err != nil {
		return nil, nil, err
	}
	if !s.hasGroup(g.ID) {
		return nil, nil, errNotYourGrp
	}
	return org, g, nil
}

// RolesUpdate sets the admin roles of a person: admin of their whole
// organization, and the groups (IDs or names) they administer.
type RolesUpdate struct {
	OrgAdmin bool     `json:"org_admin"`
	Groups   []string `json:"groups"`
}

// SetUserRoles gives a person of organization ref admin roles, or takes
// them away; an organization admin or a server admin does it. A role taken
// away ends the person's sessions at once (and a signed-in admin's scope is
// read afresh at each request anyway); when the last one goes, their
// two-step record goes too (totp.go). Errors: ENOTFOUND, EFORBIDDEN,
// EINVALID.
func (a *App) SetUserRoles(ctx context.Context, ref, id string, upd RolesUpdate) (*User, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	u, err := a.Store.User(ctx, org.ID, id)
	if err != nil {
		return nil, err
	}
	groups, err := a.groupIDs(ctx, org, upd.Groups)
	if err != nil {
		return nil, err
	}
	role := ""
	if upd.OrgAdmin {
		role = RoleOrgAdmin
	}
	if (role != "" || len(groups) > 0) && u.Username == "" && u.Email == "" {
		return nil, Errorf(EINVALID, "%s has no username or email to sign in with.", auditName(u))
	}
	removed := u.AdminRole != "" && role == ""
	for _, g := range u.AdminGroups {
		removed = removed || !slices.Contains(groups, g)
	}
	names, err := a.groupNames(ctx, org, groups)
	if err != nil {
		return nil, err
	}
	detail := "no admin role"
	switch {
	case role != "" && len(names) > 0:
		detail = "organization admin; admin of " + strings.Join(names, ", ")
	case role != "":
		detail = "organization admin"
	case len(names) > 0:
		detail = "admin of " + strings.Join(names, ", ")
	}
	if role == "" && len(groups) == 0 && !u.TOTP.IsZero() {
		detail += "; two-step sign-in turned off"
	}
	ctx = a.audit(ctx, org.ID, "user.roles", personTarget(u), detail)
	set := func(u *User) error {
		u.AdminRole, u.AdminGroups, u.UpdatedAt = role, groups, a.now()
		if !u.HasAdminRole() {
			// Two-step sign-in is for the admin UI: without a role its
			// record is of no use, and is not kept (a role given again
			// starts without it).
			u.TOTP = AdminTOTP{}
		}
		return nil
	}
	change := a.Store.ChangeUsers
	if removed {
		change = a.Store.ChangeUsersEndSessions
	}
	us, err := change(ctx, org.ID, []string{id}, set)
	if err != nil {
		return nil, err
	}
	return us[0], nil
}

// groupNames are the names of the groups with these IDs, in their order.
func (a *App) groupNames(ctx context.Context, org *Organization, ids []string) ([]string, error) {
	var names []string
	for _, id := range ids {
		g, err := a.Store.Group(ctx, org.ID, id)
		if err != nil {
			return nil, err
		}
		names = append(names, g.Name)
	}
	return names, nil
}
