package app

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// Leavers is the "next class" of the classes whose pupils leave the school.
const Leavers = "leavers"

// DefaultLeaverDeleteDays is the suggested time until leavers are deleted.
const DefaultLeaverDeleteDays = 30

// RolloverMove says where the members of one class go at the end of the
// school year: To is the next class's name (created when it does not
// exist), Leavers, or the class itself (or empty) when they stay.
type RolloverMove struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// RolloverPlan is one organization's year-end rollover. Classes it does
// not name stay as they are.
type RolloverPlan struct {
	Moves []RolloverMove `json:"moves"`
	// DeactivateLeavers signs leavers out and stops their sign-in at once.
	DeactivateLeavers bool `json:"deactivate_leavers"`
	// LeaverDeleteDays sets each leaver's deletion date that many days from
	// today; 0 sets none.
	LeaverDeleteDays int `json:"leaver_delete_days"`
}

// RolloverRow is one class in a rollover preview or result.
type RolloverRow struct {
	From    string `json:"from"`
	To      string `json:"to"` // "" when the class stays
	Leavers bool   `json:"leavers"`
	// NewClass: the next class does not exist yet and is created.
	NewClass bool `json:"new_class"`
	People   int  `json:"people"`
}

// RolloverPreview is what a rollover will do, or (in RolloverResult) did.
type RolloverPreview struct {
	Rows       []RolloverRow `json:"rows"`
	Moving     int           `json:"moving"`  // people who change class
	Leaving    int           `json:"leaving"` // people who leave
	NewClasses []string      `json:"new_classes"`
	// DeleteOn is the leavers' deletion date, if any.
	DeleteOn          string `json:"delete_on,omitempty"`
	DeactivateLeavers bool   `json:"deactivate_leavers"`
}

// RolloverResult is a rollover done, with the backup taken just before it
// (restore it to undo the rollover).
type RolloverResult struct {
	RolloverPreview
	Backup *Backup `json:"backup"`
}

// RolloverStore writes a rollover in one transaction.
type RolloverStore interface {
	// RollOver creates groups, then changes every user of ids with fn and
	// ends the sessions of endSessions, all in one transaction.
	RollOver(ctx context.Context, orgID string, groups []*Group, ids []string, fn func(u *User) error, endSessions []string) ([]*User, error)
}

// classYearRe splits a class name around its first number: "Class 1A" is
// "Class ", 1, "A".
var classYearRe = regexp.MustCompile(`^(\D*)(\d+)(.*)$`)

// SuggestRollover suggests the next class of every class of organization
// ref from its name: the number goes up by one ("1A" → "2A"), the classes
// with the highest number leave; a class without a number stays. Leavers
// are deactivated and deleted after DefaultLeaverDeleteDays.
func (a *App) SuggestRollover(ctx context.Context, ref string) (*RolloverPlan, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	groups, err := a.Store.Groups(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	top := -1
	for _, g := range groups {
		if m := classYearRe.FindStringSubmatch(g.Name); m != nil && g.Kind == GroupClass {
			if n, err := strconv.Atoi(m[2]); err == nil && n > top {
				top = n
			}
		}
	}
	plan := &RolloverPlan{Moves: []RolloverMove{}, DeactivateLeavers: true, LeaverDeleteDays: DefaultLeaverDeleteDays}
	for _, g := range groups {
		if g.Kind != GroupClass {
			continue
		}
		mv := RolloverMove{From: g.Name, To: g.Name}
		if m := classYearRe.FindStringSubmatch(g.Name); m != nil {
			if n, err := strconv.Atoi(m[2]); err == nil {
				if n == top {
					mv.To = Leavers
				} else {
					mv.To = m[1] + strconv.Itoa(n+1) + m[3]
				}
			}
		}
		plan.Moves = append(plan.Moves, mv)
	}
	sortMoves(plan.Moves)
	return plan, nil
}

// sortMoves orders classes by year, then name: 1A, 1B, 2A, ..., 10A.
func sortMoves(ms []RolloverMove) {
	year := func(s string) int {
		if m := classYearRe.FindStringSubmatch(s); m != nil {
			n, _ := strconv.Atoi(m[2])
			return n
		}
		return 1 << 30
	}
	sort.SliceStable(ms, func(i, j int) bool {
		yi, yj := year(ms[i].From), year(ms[j].From)
		if yi != yj {
			return yi < yj
		}
		return SortKey(ms[i].From) < SortKey(ms[j].From)
	})
}

// rollover is a checked plan.
type rollover struct {
	org      *Organization
	preview  *RolloverPreview
	moveTo   map[string]string // from group ID → to group ID
	leaving  map[string]bool   // group IDs whose members leave
	created  []*Group
	deleteOn string
}

// PreviewRollover checks the plan and says how many people move where;
// it changes nothing. Errors: ENOTFOUND (organization), EINVALID (the
// plan, with the class at fault).
func (a *App) PreviewRollover(ctx context.Context, ref string, plan RolloverPlan) (*RolloverPreview, error) {
	r, err := a.planRollover(ctx, ref, plan)
	if err != nil {
		return nil, err
	}
	return r.preview, nil
}

func (a *App) planRollover(ctx context.Context, ref string, plan RolloverPlan) (*rollover, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	if plan.LeaverDeleteDays < 0 || plan.LeaverDeleteDays > 3650 {
		return nil, FieldError(EINVALID, "leaver_delete_days", "The days until leavers are deleted must be between 0 (never) and 3650.")
	}
	groups, err := a.Store.Groups(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	byKey := map[string]*Group{}
	for _, g := range groups {
		byKey[Key(g.Name)] = g
	}
	r := &rollover{org: org, moveTo: map[string]string{}, leaving: map[string]bool{},
		preview: &RolloverPreview{Rows: []RolloverRow{}, NewClasses: []string{}, DeactivateLeavers: plan.DeactivateLeavers}}
	if plan.LeaverDeleteDays > 0 {
		r.deleteOn = a.now().AddDate(0, 0, plan.LeaverDeleteDays).Format(time.DateOnly)
		r.preview.DeleteOn = r.deleteOn
	}
	moves := append([]RolloverMove(nil), plan.Moves...)
	sortMoves(moves)
	seen := map[string]bool{}
	for _, mv := range moves {
		from := byKey[Key(Clean(mv.From))]
		if from == nil {
			return nil, FieldError(EINVALID, "moves", "There is no class %q in %s.", mv.From, org.Name)
		}
		if seen[from.ID] {
			return nil, FieldError(EINVALID, "moves", "The class %s is named twice.", from.Name)
		}
		seen[from.ID] = true
		row := RolloverRow{From: from.Name, People: from.Members}
		to := Clean(mv.To)
		switch {
		case to == "" || Key(to) == Key(from.Name):
			r.preview.Rows = append(r.preview.Rows, row)
			continue
		case Key(to) == Leavers:
			row.Leavers = true
			r.leaving[from.ID] = true
			r.preview.Leaving += from.Members
		default:
			dest := byKey[Key(to)]
			if dest == nil {
				dest = &Group{ID: a.newID(), OrgID: org.ID, Name: to, Kind: GroupClass, DefaultAccountType: from.DefaultAccountType,
					CreatedAt: a.now(), UpdatedAt: a.now()}
				if err := dest.Validate(org); err != nil {
					return nil, FieldError(EINVALID, "moves", "The next class of %s: %s", from.Name, ErrorArg(err))
				}
				byKey[Key(to)] = dest
				r.created = append(r.created, dest)
				r.preview.NewClasses = append(r.preview.NewClasses, dest.Name)
				row.NewClass = true
			} else if containsGroup(r.created, dest) { // a second class into the same new one
				row.NewClass = true
			}
			row.To = dest.Name
			r.moveTo[from.ID] = dest.ID
			r.preview.Moving += from.Members
		}
		r.preview.Rows = append(r.preview.Rows, row)
	}
	return r, nil
}

func containsGroup(gs []*Group, g *Group) bool {
	for _, x := range gs {
		if x == g {
			return true
		}
	}
	return false
}

// Rollover moves every class of organization ref to its next class in one
// transaction, after a backup of the whole database (its result names it:
// restoring it undoes the rollover). Leavers leave their class, are
// deactivated (and signed out) if the plan says so, and get the deletion
// date. Errors: ENOTFOUND, EINVALID (the plan), and those of BackUp.
func (a *App) Rollover(ctx context.Context, ref string, plan RolloverPlan) (*RolloverResult, error) {
	r, err := a.planRollover(ctx, ref, plan)
	if err != nil {
		return nil, err
	}
	rs, ok := a.Store.(RolloverStore)
	if !ok {
		return nil, Errorf(EINVALID, "This storage cannot do a rollover.")
	}
	var ids []string
	seen := map[string]bool{}
	var endSessions []string
	for _, set := range []map[string]bool{r.leaving, keys(r.moveTo)} {
		for gid := range set {
			for page := 1; ; page++ {
				p, err := a.Store.FindUsers(ctx, r.org.ID, UserFilter{Group: gid, Page: page, PerPage: MaxPerPage})
				if err != nil {
					return nil, err
				}
				for _, u := range p.Users {
					if !seen[u.ID] {
						seen[u.ID] = true
						ids = append(ids, u.ID)
					}
				}
				if len(p.Users) < MaxPerPage {
					break
				}
			}
		}
	}
	backup, err := a.BackUp(ctx, BackupBeforeRollover)
	if err != nil {
		return nil, err
	}
	now := a.now()
	fn := func(u *User) error {
		leaves := false
		groups := []string{} // never null in JSON
		in := map[string]bool{}
		for _, g := range u.Groups {
			if r.leaving[g] {
				leaves = true
				continue
			}
			if to, ok := r.moveTo[g]; ok {
				g = to
			}
			if !in[g] {
				in[g] = true
				groups = append(groups, g)
			}
		}
		u.Groups = groups
		if leaves {
			if plan.DeactivateLeavers {
				u.Status = StatusDeactivated
			}
			if r.deleteOn != "" && (u.DeleteOn == "" || u.DeleteOn > r.deleteOn) {
				u.DeleteOn = r.deleteOn
			}
		}
		u.UpdatedAt = now
		return nil
	}
	if plan.DeactivateLeavers {
		for _, id := range ids {
			// Who leaves is known from the classes: end their sessions with the change.
			u, err := a.Store.User(ctx, r.org.ID, id)
			if err != nil {
				return nil, err
			}
			for _, g := range u.Groups {
				if r.leaving[g] {
					endSessions = append(endSessions, id)
					break
				}
			}
		}
	}
	ctx = a.audit(ctx, r.org.ID, "rollover", AuditTarget{Kind: "organization", ID: r.org.ID, Name: r.org.Name},
		fmt.Sprintf("year-end rollover: %s moved or left their class, %d classes created; backup %s", people(len(ids)), len(r.created), backup.Name), ids...)
	if _, err := rs.RollOver(ctx, r.org.ID, r.created, ids, fn, endSessions); err != nil {
		return nil, err
	}
	for _, g := range r.created {
		if _, err := a.ensureCode(context.WithoutCancel(ctx), r.org.ID, g.ID); err != nil {
			a.log().Warn("rollover: invite code of a new class", "group", g.Name, "err", err)
		}
	}
	return &RolloverResult{RolloverPreview: *r.preview, Backup: backup}, nil
}

func keys(m map[string]string) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
