package app

import (
	"context"
	"fmt"
	"slices"
)

// PendingSignUp is one request in the approval queue.
type PendingSignUp struct {
	User *User `json:"user"`
	// Source says how the person signed up: "code", "link", or else how the
	// account came to be (User.CreatedVia: "sso"…); SourceName is the code
	// ("K7QM-3XRD") or the link's name ("Parents"). The page words them.
	Source     string   `json:"source"`
	SourceName string   `json:"source_name,omitempty"`
	Groups     []string `json:"groups"`
}

// PendingSignUps lists the approval queue of organization ref, oldest first.
func (a *App) PendingSignUps(ctx context.Context, ref string) ([]PendingSignUp, error) {
	org, s, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	page, err := a.Store.FindUsers(ctx, org.ID, pendingFilter(s))
	if err != nil {
		return nil, err
	}
	groups, err := a.Store.Groups(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	groupName := map[string]string{}
	for _, g := range groups {
		groupName[g.ID] = g.Name
	}
	links := map[string]string{}
	out := []PendingSignUp{}
	for _, u := range page.Users {
		p := PendingSignUp{User: u, Groups: []string{}}
		for _, id := range u.Groups {
			p.Groups = append(p.Groups, groupName[id])
		}
		switch {
		case u.InviteCode != "":
			p.Source, p.SourceName = "code", FormatCode(u.InviteCode)
		case u.InviteLink != "":
			name, ok := links[u.InviteLink]
			if !ok {
				if l, err := a.Store.InviteLink(ctx, org.ID, u.InviteLink); err == nil {
					name = l.Name
				}
				links[u.InviteLink] = name
			}
			p.Source, p.SourceName = "link", name
		default:
			p.Source = u.CreatedVia
		}
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(x, y PendingSignUp) int { return x.User.CreatedAt.Compare(y.User.CreatedAt) })
	return out, nil
}

// PendingCount is the number of sign-ups waiting in organization ref, and of
// those that came through code (when code is not "").
func (a *App) PendingCount(ctx context.Context, ref, code string) (total, fromCode int, err error) {
	org, s, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return 0, 0, err
	}
	page, err := a.Store.FindUsers(ctx, org.ID, pendingFilter(s))
	if err != nil {
		return 0, 0, err
	}
	for _, u := range page.Users {
		if code != "" && u.InviteCode == code {
			fromCode++
		}
	}
	return page.Total, fromCode, nil
}

// ApproveSignUps makes pending users active: those with the IDs, or every
// pending user when all is set. It returns how many were approved.
func (a *App) ApproveSignUps(ctx context.Context, ref string, ids []string, all bool) (int, error) {
	org, ids, err := a.pendingIDs(ctx, ref, ids, all)
	if err != nil {
		return 0, err
	}
	ctx = a.audit(ctx, org.ID, "signup.approve", orgTarget(org), fmt.Sprintf("%d sign-ups chosen", len(ids)), ids...)
	return a.Store.ApproveSignUps(ctx, org.ID, ids, a.now())
}

// RejectSignUps deletes pending users: nothing of them stays. It returns how
// many were rejected.
func (a *App) RejectSignUps(ctx context.Context, ref string, ids []string, all bool) (int, error) {
	org, ids, err := a.pendingIDs(ctx, ref, ids, all)
	if err != nil {
		return 0, err
	}
	ctx = a.audit(ctx, org.ID, "signup.reject", orgTarget(org), fmt.Sprintf("%d sign-ups chosen", len(ids)), ids...)
	return a.Store.RejectSignUps(ctx, org.ID, ids)
}

func (a *App) pendingIDs(ctx context.Context, ref string, ids []string, all bool) (*Organization, []string, error) {
	org, s, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	if !all {
		if len(ids) == 0 {
			return nil, nil, FieldError(EINVALID, "ids", "Choose at least one sign-up.")
		}
		if !s.whole() { // a group admin decides on their groups' sign-ups
			for _, id := range ids {
				u, err := a.Store.User(ctx, org.ID, id)
				if err == nil && !s.hasUser(u) {
					return nil, nil, errNotYourUser
				}
			}
		}
		return org, ids, nil
	}
	page, err := a.Store.FindUsers(ctx, org.ID, pendingFilter(s))
	if err != nil {
		return nil, nil, err
	}
	ids = nil
	for _, u := range page.Users {
		ids = append(ids, u.ID)
	}
	return org, ids, nil
}

// pendingFilter selects the sign-ups waiting for approval that the scope
// reaches: all, or those into a group admin's groups.
func pendingFilter(s *Scope) UserFilter {
	f := UserFilter{Status: StatusPending, Page: 1, PerPage: 10_000}
	if !s.whole() {
		f.InGroups = append([]string{}, s.Groups...)
	}
	return f
}
