package app

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Deletion dates, the grace period and purging.
//
// A person or a group with a deletion date is, from that local date on:
//   - a person: deactivated (signed out, cannot sign in, an invitation
//     cannot be accepted); a group: its invite code is switched off and it is
//     no longer offered at sign-up. Its members stay in it.
//   - after the organization's grace period (PurgeGraceDays, default 30, 0
//     allowed) purged: a person is erased with everything stored about them
//     (the user record, every index, sessions, known devices, invitations
//     and their mail, sign-in limit records) in one transaction; a group is
//     deleted and taken off its members, who stay in the organization.
//
// Clearing or moving the date during the grace period keeps the person or
// group; a person already deactivated is reactivated by an admin. An
// invitation or an import record is removed on its own date. Deleting a
// person from the dialog, the API or the command line is the same purge;
// deleting a class never deletes the children in it.
//
// bbolt keeps the bytes of freed pages, so after a purge the file is
// compacted (rewritten with live pages only): at once for "Erase now", at
// the end of the scheduler's pass otherwise, before every backup, and at the
// latest when Rollcall stops.

// DefaultPurgeGraceDays is the grace period of a new organization.
const DefaultPurgeGraceDays = 30

// MaxPurgeGraceDays bounds the grace period.
const MaxPurgeGraceDays = 3650

// DeletionDueDays is the window of the users list's "deletion due" filter
// and of the purge banner.
const DeletionDueDays = 30

// GraceDays is the organization's grace period in days.
func (o *Organization) GraceDays() int {
	if o.PurgeGraceDays == nil {
		return DefaultPurgeGraceDays
	}
	return *o.PurgeGraceDays
}

// fillDefaults gives settings added after the record was written their defaults.
func (o *Organization) fillDefaults() {
	if o.PurgeGraceDays == nil {
		g := DefaultPurgeGraceDays
		o.PurgeGraceDays = &g
	}
}

// DatedUser is a user with a deletion date, as the index keeps it.
type DatedUser struct {
	ID       string
	DeleteOn string
	Status   string
}

// LifecycleStore deletes what is past its date and erases people for good.
type LifecycleStore interface {
	// DatedUsers returns the organization's users whose deletion date is
	// on or before the date (YYYY-MM-DD), from the user index.
	DatedUsers(ctx context.Context, orgID, onOrBefore string) ([]DatedUser, error)
	// PurgeUsers erases the users of the organization named (missing ones
	// are skipped) in one transaction: the user records, their login and
	// search index entries and group memberships, sessions and known
	// devices, invitations with their outbox messages, mail addressed to
	// them, and the sign-in limit records keyed by them. It marks the file
	// as due for compaction and returns the users it erased.
	PurgeUsers(ctx context.Context, orgID string, ids []string) ([]*User, error)
	// PurgeGroup deletes the group, takes it off every member (who stay)
	// and removes its invite code, in one transaction, and marks the file
	// as due for compaction.
	PurgeGroup(ctx context.Context, orgID, id string) error
	// RemoveDatedInvitations and RemoveDatedImports remove the records of
	// the organization whose own deletion date is on or before the date,
	// with their token, outbox and hash index entries; they return how many.
	RemoveDatedInvitations(ctx context.Context, orgID, onOrBefore string) (int, error)
	RemoveDatedImports(ctx context.Context, orgID, onOrBefore string) (int, error)
	// InvitationsOf returns every invitation for the user, oldest first.
	InvitationsOf(ctx context.Context, userID string) ([]*Invitation, error)
	// CompactIfDue compacts the file when a purge marked it due (Compact
	// otherwise clears nothing) and reports whether it did.
	CompactIfDue(ctx context.Context) (bool, error)
	// CompactNow rewrites the file with live pages only, at once.
	CompactNow(ctx context.Context) error
}

// addDays returns the date (YYYY-MM-DD) n days after date.
func addDays(date string, n int) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

// ApplyDeletionDates is the scheduler's step for deletion dates at now, in
// every organization: people and groups past their date are deactivated,
// those past their date plus the grace period are purged, invitations and
// import records past their date are removed. It is safe to run again.
func (a *App) ApplyDeletionDates(ctx context.Context, now time.Time) error {
	orgs, err := a.Organizations(ctx)
	if err != nil {
		return err
	}
	today := a.today(now)
	for _, org := range orgs {
		if err := a.applyDeletionDates(ctx, org, today); err != nil {
			return err
		}
	}
	return nil
}

func (a *App) applyDeletionDates(ctx context.Context, org *Organization, today string) error {
	purgeBy := addDays(today, -org.GraceDays())
	dated, err := a.Store.DatedUsers(ctx, org.ID, today)
	if err != nil {
		return err
	}
	var purge, deactivate []string
	for _, u := range dated {
		switch {
		case u.DeleteOn <= purgeBy:
			purge = append(purge, u.ID)
		case u.Status != StatusDeactivated:
			deactivate = append(deactivate, u.ID)
		}
	}
	if len(purge) > 0 {
		actx := a.audit(ctx, org.ID, "user.purge", AuditTarget{Kind: "person", Name: DeletedPerson},
			fmt.Sprintf("%s erased: deletion date and %d days' grace passed", people(len(purge)), org.GraceDays()), purge...)
		if _, err := a.purgeUsers(actx, org.ID, purge); err != nil {
			return err
		}
		a.log().Info("deletion dates: people erased", "organization", org.Slug, "count", len(purge))
	}
	if len(deactivate) > 0 {
		stamp := a.now()
		actx := a.audit(ctx, org.ID, "user.deactivate", AuditTarget{Kind: "users", Name: org.Name},
			fmt.Sprintf("%s deactivated on their deletion date", people(len(deactivate))), deactivate...)
		_, err := a.Store.ChangeUsersEndSessions(actx, org.ID, deactivate, func(u *User) error {
			if u.DeleteOn != "" && u.DeleteOn <= today { // the date as it is now, in the transaction
				u.Status, u.UpdatedAt = StatusDeactivated, stamp
			}
			return nil
		})
		if err != nil && ErrorCode(err) != ENOTFOUND {
			return err
		}
		a.log().Info("deletion dates: people deactivated", "organization", org.Slug, "count", len(deactivate))
	}
	groups, err := a.Store.Groups(ctx, org.ID)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if g.DeleteOn == "" || g.DeleteOn > today {
			continue
		}
		if g.DeleteOn <= purgeBy {
			actx := a.audit(ctx, org.ID, "group.delete", groupTarget(g), "deletion date and grace passed; the members stay")
			if err := a.Store.PurgeGroup(actx, org.ID, g.ID); err != nil && ErrorCode(err) != ENOTFOUND {
				return err
			}
			continue
		}
		if err := a.deactivateGroup(ctx, g); err != nil {
			return err
		}
	}
	if _, err := a.Store.RemoveDatedInvitations(ctx, org.ID, today); err != nil {
		return err
	}
	_, err = a.Store.RemoveDatedImports(ctx, org.ID, today)
	return err
}

// deactivateGroup switches the group's invite code off and takes the group
// out of the sign-up choices.
func (a *App) deactivateGroup(ctx context.Context, g *Group) error {
	_, err := a.Store.ChangeInviteCode(ctx, g.OrgID, g.ID, func(c *InviteCode) error {
		c.Disabled = true
		return nil
	})
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return err
	}
	if g.Offered() {
		off := false
		g.SignUpChoice, g.UpdatedAt = &off, a.now()
		if err := a.Store.UpdateGroup(ctx, g); err != nil && ErrorCode(err) != ENOTFOUND {
			return err
		}
	}
	return nil
}

// CompactIfDue compacts the database file if a purge left freed pages with
// personal data in it. A backup calls it first; Rollcall calls it when it
// stops. It reports whether it compacted.
func (a *App) CompactIfDue(ctx context.Context) (bool, error) {
	return a.Store.CompactIfDue(ctx)
}

// importDeleteOn is an import record's deletion date: the latest of its
// people's, when every one of them has one; else none.
func importDeleteOn(users []*User) string {
	last := ""
	for _, u := range users {
		if u.DeleteOn == "" {
			return ""
		}
		last = max(last, u.DeleteOn)
	}
	return last
}

// EraseUser purges one person at once and compacts the file, so nothing of
// them is left in it. confirm must be the person's username (or, without
// one, their email address), as the admin typed it. Errors: ENOTFOUND,
// EINVALID (confirmation missing or wrong).
func (a *App) EraseUser(ctx context.Context, ref, id, confirm string) error {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return err
	}
	u, err := a.Store.User(ctx, org.ID, id)
	if err != nil {
		return err
	}
	login := u.Username
	if login == "" {
		login = u.Email
	}
	if Clean(confirm) == "" {
		return FieldError(EINVALID, "confirm", "Type the username %s to confirm that everything about this person is erased.", login)
	}
	if LoginKey(Clean(confirm)) != LoginKey(login) {
		return FieldError(EINVALID, "confirm", "That is not the username. Type %s exactly to erase this person.", login)
	}
	ctx = a.audit(ctx, org.ID, "user.erase", AuditTarget{Kind: "person", ID: u.ID, Name: DeletedPerson}, "erased now, on request")
	if _, err := a.purgeUsers(ctx, org.ID, []string{u.ID}); err != nil {
		return err
	}
	return a.Store.CompactNow(ctx)
}

// purgeUsers erases the users (PurgeUsers) and forgets their sign-in
// counts; the file is compacted later (CompactIfDue).
func (a *App) purgeUsers(ctx context.Context, orgID string, ids []string) ([]*User, error) {
	gone, err := a.Store.PurgeUsers(ctx, orgID, ids)
	for _, u := range gone {
		a.forgetSignIns(u)
	}
	return gone, err
}

// forgetSignIns drops the in-memory sign-in counts keyed by a purged
// person (the store removed the stored ones in the purge).
func (a *App) forgetSignIns(u *User) {
	g := a.SignIns
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, k := range signInKeysOf(u) {
		delete(g.recs, k)
	}
}

// signInKeysOf are the sign-in limit keys that name the person (besides
// their known devices, which the store finds through their sessions).
func signInKeysOf(u *User) []string {
	keys := []string{"account:" + u.ID, "password:" + u.ID}
	for _, login := range []string{u.Username, u.Email} {
		if login != "" {
			keys = append(keys, loginKey(Key(login)), loginKey(LoginKey(login)))
		}
	}
	return keys
}

// SignInKeysOf is signInKeysOf for the store's purge.
func SignInKeysOf(u *User) []string { return signInKeysOf(u) }

// DeletionSummary is what the users page shows of coming deletions.
type DeletionSummary struct {
	Today     string `json:"today"`
	GraceDays int    `json:"grace_days"`
	// DueSoon counts the people whose deletion date is within
	// DeletionDueDays (or past): the "deletion due" filter.
	DueSoon int `json:"due_soon"`
	// NextPurge is the next date people will be erased on, within
	// DeletionDueDays ("" when none); NextPurgeCount how many.
	NextPurge      string `json:"next_purge,omitempty"`
	NextPurgeCount int    `json:"next_purge_count"`
}

// Deletions summarizes the organization's coming deletions. Errors: ENOTFOUND.
func (a *App) Deletions(ctx context.Context, ref string) (*DeletionSummary, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	today := a.today(a.Now())
	horizon := addDays(today, DeletionDueDays)
	dated, err := a.Store.DatedUsers(ctx, org.ID, horizon)
	if err != nil {
		return nil, err
	}
	s := &DeletionSummary{Today: today, GraceDays: org.GraceDays(), DueSoon: len(dated)}
	byDay := map[string]int{}
	for _, u := range dated {
		day := max(addDays(u.DeleteOn, s.GraceDays), today) // one past due is erased at the next pass
		if day <= horizon {
			byDay[day]++
		}
	}
	days := make([]string, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	sort.Strings(days)
	if len(days) > 0 {
		s.NextPurge, s.NextPurgeCount = days[0], byDay[days[0]]
	}
	return s, nil
}

// PersonExport is everything Rollcall keeps about one person, for the
// person or their parents (a right of access): the user record with every
// field, the groups by name, how the account came to be, its invitations
// and the history Rollcall knows of. The password itself is never stored;
// HasPassword says whether one is set.
type PersonExport struct {
	ExportedAt   time.Time      `json:"exported_at"`
	Organization ExportOrg      `json:"organization"`
	User         *User          `json:"user"`
	HasPassword  bool           `json:"has_password"`
	Groups       []ExportGroup  `json:"groups"`
	Import       *Import        `json:"import,omitempty"`
	Invitations  []*Invitation  `json:"invitations"`
	History      []HistoryEntry `json:"history"`
	// PurgeOn is when the person will be erased for good (deletion date
	// plus the grace period); "" without a deletion date.
	PurgeOn string `json:"purge_on,omitempty"`
}

// ExportOrg names the organization in an export.
type ExportOrg struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
	// Language is the organization's: the PDF's fixed words are in it.
	Language string `json:"language"`
}

// ExportGroup is a group of an exported person.
type ExportGroup struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// HistoryEntry is one thing that happened to the account, as far as
// Rollcall knows.
type HistoryEntry struct {
	At   time.Time `json:"at"`
	What string    `json:"what"`
}

// ExportUser gathers everything stored about one person. Errors: ENOTFOUND.
func (a *App) ExportUser(ctx context.Context, ref, id string) (*PersonExport, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	u, err := a.Store.User(ctx, org.ID, id)
	if err != nil {
		return nil, err
	}
	x := &PersonExport{ExportedAt: a.now(), Organization: ExportOrg{Name: org.Name, Slug: org.Slug, Language: org.Language},
		User: u, HasPassword: u.HasPassword(), Groups: []ExportGroup{}, Invitations: []*Invitation{}}
	if u.Groups == nil {
		u.Groups = []string{}
	}
	if u.Labels == nil {
		u.Labels = []string{}
	}
	for _, gid := range u.Groups {
		if g, err := a.Store.Group(ctx, org.ID, gid); err == nil {
			x.Groups = append(x.Groups, ExportGroup{ID: g.ID, Name: g.Name, Kind: g.Kind})
		}
	}
	history := []HistoryEntry{{At: u.CreatedAt, What: createdText(u)}}
	if u.ImportID != "" {
		imps, err := a.Store.Imports(ctx, org.ID)
		if err != nil {
			return nil, err
		}
		for _, imp := range imps {
			if imp.ID == u.ImportID {
				x.Import = imp
				history[0].What += " from the file " + imp.FileName
			}
		}
	}
	invs, err := a.Store.InvitationsOf(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	now := a.now()
	for _, inv := range invs {
		inv.State = inv.state(now)
		x.Invitations = append(x.Invitations, inv)
		history = append(history, HistoryEntry{At: inv.CreatedAt, What: "Invitation sent to " + inv.Email})
		if inv.AcceptedAt != nil {
			history = append(history, HistoryEntry{At: *inv.AcceptedAt, What: "Invitation accepted"})
		}
		switch inv.State {
		case InvitationCancelled:
			history = append(history, HistoryEntry{At: inv.CreatedAt, What: "Invitation cancelled"})
		case InvitationExpired:
			history = append(history, HistoryEntry{At: inv.ExpiresAt, What: "Invitation expired unused"})
		}
	}
	if !u.UpdatedAt.Equal(u.CreatedAt) {
		history = append(history, HistoryEntry{At: u.UpdatedAt, What: "Last change; status now: " + u.Status})
	} else if u.Status != StatusActive {
		history[0].What += "; status: " + u.Status
	}
	sort.SliceStable(history, func(i, j int) bool { return history[i].At.Before(history[j].At) })
	x.History = history
	if u.DeleteOn != "" {
		x.PurgeOn = addDays(u.DeleteOn, org.GraceDays())
	}
	return x, nil
}

func createdText(u *User) string {
	switch u.CreatedVia {
	case ViaImport:
		return "Account created by an import"
	case ViaManual:
		return "Account created by staff, with a printed slip"
	case ViaInvitation:
		return "Account created with an email invitation"
	case ViaInviteCode, ViaSignUp:
		s := "Signed up"
		if u.InviteCode != "" {
			s += " with the code " + FormatCode(u.InviteCode)
		}
		return s
	}
	return "Account created by staff"
}
