package app

import (
	"context"
	"errors"
	"time"
)

// Kinds of group.
const (
	GroupClass      = "class"
	GroupDepartment = "department"
)

// Group is a class or a department inside an organization.
type Group struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
	// Name is unique within the organization, case-insensitively.
	Name string `json:"name"`
	Kind string `json:"kind"`
	// DefaultAccountType is given to people who join through the group.
	DefaultAccountType string `json:"default_account_type"`
	// Note is a line about the group, e.g. the school and terms of a class
	// imported from OneRoster.
	Note string `json:"note,omitempty"`
	// DeleteOn is an optional date (YYYY-MM-DD) after which the group is purged.
	DeleteOn string `json:"delete_on,omitempty"`
	// ExternalID is the directory's own ID of a group it provisioned (scim.go).
	ExternalID string `json:"external_id,omitempty"`
	// SignUpChoice offers the group in the list people choose from when they
	// sign up with the organization's code; unset means a class is offered
	// and a department is not (see Offered).
	SignUpChoice *bool     `json:"signup_choice,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// Members is the number of users in the group; filled when listing, not stored.
	Members int `json:"members"`
}

// Offered reports whether the group is in the list people choose from at
// sign-up: as the admin set it, else classes yes and departments no (a
// pupil should not pick "Staff").
func (g *Group) Offered() bool {
	if g.SignUpChoice != nil {
		return *g.SignUpChoice
	}
	return g.Kind == GroupClass
}

// Validate checks the group against its organization.
func (g *Group) Validate(org *Organization) error {
	v := validation{}
	checkName(v, "name", "The group name", g.Name)
	if g.Kind != GroupClass && g.Kind != GroupDepartment {
		v.add("kind", "The kind must be %q or %q.", GroupClass, GroupDepartment)
	}
	if !org.HasAccountType(g.DefaultAccountType) {
		v.add("default_account_type", "The account type %q does not exist here; choose one of %v.", g.DefaultAccountType, org.AccountTypes())
	}
	checkDate(v, "delete_on", g.DeleteOn)
	return v.err("name", "kind", "default_account_type", "delete_on")
}

// GroupUpdate holds the fields of a group that may change; nil fields stay.
type GroupUpdate struct {
	Name               *string `json:"name"`
	Kind               *string `json:"kind"`
	DefaultAccountType *string `json:"default_account_type"`
	DeleteOn           *string `json:"delete_on"`
	SignUpChoice       *bool   `json:"signup_choice"`
}

// GroupStore keeps groups. Names are unique per organization, case-insensitively.
type GroupStore interface {
	// CreateGroup stores a new group and its invite code in one
	// transaction; ECONFLICT when the name is taken in the organization, or
	// (details field "invite_code") when the code is.
	CreateGroup(ctx context.Context, g NewGroup) error
	// Group returns a group of the organization; ENOTFOUND if none.
	Group(ctx context.Context, orgID, id string) (*Group, error)
	// GroupByName returns the group with the name (case-insensitively); ENOTFOUND if none.
	GroupByName(ctx context.Context, orgID, name string) (*Group, error)
	// Groups returns the organization's groups by name, with member counts.
	Groups(ctx context.Context, orgID string) ([]*Group, error)
	// UpdateGroup replaces a group; ECONFLICT when a rename takes another group's name.
	UpdateGroup(ctx context.Context, g *Group) error
	// DeleteGroup removes a group and takes it off every member; the members stay.
	DeleteGroup(ctx context.Context, orgID, id string) error
}

// NewGroup is a group to create with the invite code it starts with: every
// group has its code from the start, written in the same transaction.
type NewGroup struct {
	Group *Group
	Code  *InviteCode
}

// CreateGroup creates a group in the organization ref (ID or slug), with
// its invite code. An empty kind means a class; an empty default account
// type means the organization's first.
// Errors: ENOTFOUND (organization), EINVALID, ECONFLICT (name taken).
func (a *App) CreateGroup(ctx context.Context, ref string, in *Group) (*Group, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	g, err := a.newGroup(org, in)
	if err != nil {
		return nil, err
	}
	ctx = a.audit(ctx, org.ID, "group.create", groupTarget(g), g.Kind)
	err = a.writeNewGroups([]*Group{g}, func(ng []NewGroup) error { return a.Store.CreateGroup(ctx, ng[0]) })
	if err != nil {
		return nil, err
	}
	return g, nil
}

// newGroup is the one way a group comes to be — made by an admin
// (CreateGroup) or missing from an import file — before it is written with
// writeNewGroups: its fields cleaned and defaulted, checked, with an ID.
// Errors: EINVALID.
func (a *App) newGroup(org *Organization, in *Group) (*Group, error) {
	g := &Group{
		OrgID:              org.ID,
		Name:               Clean(in.Name),
		Kind:               Key(in.Kind),
		DefaultAccountType: Key(in.DefaultAccountType),
		DeleteOn:           Clean(in.DeleteOn),
		SignUpChoice:       in.SignUpChoice,
		Note:               Clean(in.Note),
		ExternalID:         Clean(in.ExternalID),
	}
	if g.Kind == "" {
		g.Kind = GroupClass
	}
	if g.DefaultAccountType == "" {
		g.DefaultAccountType = org.AccountTypes()[0]
		if g.Kind == GroupDepartment && org.Kind == KindSchool {
			g.DefaultAccountType = TypeTeacher
		}
	}
	if err := g.Validate(org); err != nil {
		return nil, err
	}
	g.ID = a.newID()
	g.CreatedAt = a.now()
	g.UpdatedAt = g.CreatedAt
	return g, nil
}

// writeNewGroups gives each new group a fresh invite code (with the
// default settings, as of the group's creation) and calls write, which
// stores the groups with their codes in one transaction. A code that is
// taken (one in 2^40 per existing code) is drawn again.
func (a *App) writeNewGroups(groups []*Group, write func([]NewGroup) error) error {
	for try := 0; ; try++ {
		ng := make([]NewGroup, len(groups))
		for i, g := range groups {
			code, err := GenerateCode(a.Rand)
			if err != nil {
				return err
			}
			ng[i] = NewGroup{Group: g, Code: &InviteCode{Code: code, OrgID: g.OrgID, GroupID: g.ID, CreatedAt: g.CreatedAt, UpdatedAt: g.CreatedAt}}
		}
		err := write(ng)
		var e *Error
		if !errors.As(err, &e) || e.Code != ECONFLICT || e.Details["invite_code"] == "" || try == 4 {
			return err
		}
	}
}

// Groups lists the groups of organization ref with member counts.
// A group admin sees their own groups.
func (a *App) Groups(ctx context.Context, ref string) ([]*Group, error) {
	org, s, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	groups, err := a.Store.Groups(ctx, org.ID)
	out := groups[:0]
	for _, g := range groups {
		if s.hasGroup(g.ID) {
			out = append(out, g)
		}
	}
	return out, err
}

// Group finds a group of organization ref by its ID or, failing that, its name.
// Errors: ENOTFOUND, EFORBIDDEN (not one of a group admin's).
func (a *App) Group(ctx context.Context, ref, group string) (*Group, error) {
	_, g, err := a.scopedGroup(ctx, ref, group)
	return g, err
}

func (a *App) group(ctx context.Context, org *Organization, group string) (*Group, error) {
	g, err := a.Store.Group(ctx, org.ID, group)
	if ErrorCode(err) == ENOTFOUND {
		g, err = a.Store.GroupByName(ctx, org.ID, group)
	}
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(ENOTFOUND, "There is no group %q in %s.", group, org.Name)
	}
	return g, err
}

// UpdateGroup renames or changes a group. Errors: ENOTFOUND, EINVALID, ECONFLICT.
func (a *App) UpdateGroup(ctx context.Context, ref, group string, upd GroupUpdate) (*Group, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	g, err := a.group(ctx, org, group)
	if err != nil {
		return nil, err
	}
	before := *g
	if upd.Name != nil {
		g.Name = Clean(*upd.Name)
	}
	if upd.Kind != nil {
		g.Kind = Key(*upd.Kind)
	}
	if upd.DefaultAccountType != nil {
		g.DefaultAccountType = Key(*upd.DefaultAccountType)
	}
	if upd.DeleteOn != nil {
		g.DeleteOn = Clean(*upd.DeleteOn)
	}
	if upd.SignUpChoice != nil {
		v := *upd.SignUpChoice
		g.SignUpChoice = &v
	}
	if err := g.Validate(org); err != nil {
		return nil, err
	}
	g.UpdatedAt = a.now()
	ctx = a.audit(ctx, org.ID, "group.update", AuditTarget{Kind: "group", ID: g.ID, Name: before.Name}, "changed "+differentFields(before, *g))
	if err := a.Store.UpdateGroup(ctx, g); err != nil {
		return nil, err
	}
	return g, nil
}

// DeleteGroup deletes a group; its members stay in the organization
// (deleting a class never deletes the children in it).
// Errors: ENOTFOUND.
func (a *App) DeleteGroup(ctx context.Context, ref, group string) error {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return err
	}
	g, err := a.group(ctx, org, group)
	if err != nil {
		return err
	}
	ctx = a.audit(ctx, org.ID, "group.delete", groupTarget(g), "")
	// The same purge as a deletion date's: the members stay, without the group.
	return a.Store.PurgeGroup(ctx, org.ID, g.ID)
}
