package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Bulk actions on users.
const (
	BulkDeactivate       = "deactivate"
	BulkReactivate       = "reactivate"
	BulkDelete           = "delete"
	BulkAddToGroup       = "add_to_group"
	BulkRemoveFromGroup  = "remove_from_group"
	BulkMoveToGroup      = "move_to_group"
	BulkAddLabel         = "add_label"
	BulkSetDeleteOn      = "set_delete_on"
	BulkClearDeleteOn    = "clear_delete_on"
	BulkRequirePassword  = "require_password_change"
	BulkResendInvitation = "resend_invitation"
	BulkSendActivation   = "send_activation"
)

// MaxBulkIDs bounds a selection by ID; "all that match" has no bound.
const MaxBulkIDs = 10_000

// BulkRequest asks for one action on many users of an organization.
type BulkRequest struct {
	Selection UserSelection `json:"selection"`
	Action    string        `json:"action"`
	// Group (ID or name) is the group to add to, remove from or move to.
	Group string `json:"group,omitempty"`
	// FromGroup (ID or name), for a move, is the one group the users leave;
	// empty means they leave all their groups.
	FromGroup string `json:"from_group,omitempty"`
	// Label is the label to add.
	Label string `json:"label,omitempty"`
	// DeleteOn (YYYY-MM-DD) is the deletion date to set.
	DeleteOn string `json:"delete_on,omitempty"`
	// Expect, when above 0, is the number of people the admin was shown:
	// if the selection now holds another number (someone signed up or was
	// changed meanwhile), nothing is done (ECONFLICT).
	Expect int `json:"expect,omitempty"`
}

// BulkSkip is a reason some selected users were left as they were.
type BulkSkip struct {
	Reason  string `json:"reason"`
	Count   int    `json:"count"`
	Message string `json:"message"` // "2 were already deactivated."
}

// BulkResult says what a bulk action did.
type BulkResult struct {
	Action   string     `json:"action"`
	Selected int        `json:"selected"`
	Changed  int        `json:"changed"`
	Skipped  []BulkSkip `json:"skipped"`
	// Message says it in a sentence: "26 people deactivated. 2 were
	// already deactivated."
	Message string `json:"message"`

	name string // the group's name or the label, which the messages name
}

// Reasons for skipping a user.
const (
	skipGone           = "gone"
	skipAlready        = "already"
	skipNotDeactivated = "not_deactivated"
	skipPending        = "pending"
	skipInvited        = "invited"
	skipNotInGroup     = "not_in_group"
	skipTooManyLabels  = "too_many_labels"
	skipNoPassword     = "no_password"
	skipNoInvitation   = "no_invitation"
	skipNotActive      = "not_active"
	skipNoEmail        = "no_email"
	skipUnverified     = "unverified"
)

// BulkUsers applies one action to the selected users of organization ref
// and says how many changed and why others were skipped. The selection is
// resolved and every change written in one store transaction (deactivating
// and deleting end the users' sessions in it too), so a failure changes
// nobody. Resending invitations is the exception: each goes through
// ResendInvitation, which writes the invitation and its mail together.
// Errors: ENOTFOUND (organization or group), EINVALID, ECONFLICT (the
// selection no longer holds Expect people; a group was deleted meanwhile).
func (a *App) BulkUsers(ctx context.Context, ref string, req BulkRequest) (*BulkResult, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	sel := req.Selection
	switch {
	case sel.Filter != nil && len(sel.IDs) > 0:
		return nil, FieldError(EINVALID, "selection", "Choose people either by ticking them or by “all that match”, not both.")
	case sel.Filter != nil:
		f, err := a.userFilter(ctx, org, *sel.Filter)
		if err != nil {
			return nil, err
		}
		sel.Filter = &f
	case len(sel.IDs) == 0:
		return nil, FieldError(EINVALID, "selection", "Choose at least one person.")
	case len(sel.IDs) > MaxBulkIDs:
		return nil, FieldError(EINVALID, "selection", "At most %d people can be ticked at once; use “select all that match” for more.", MaxBulkIDs)
	}

	var group, from *Group
	switch req.Action {
	case BulkAddToGroup, BulkRemoveFromGroup, BulkMoveToGroup:
		if Clean(req.Group) == "" {
			return nil, FieldError(EINVALID, "group", "Choose a group.")
		}
		if group, err = a.group(ctx, org, Clean(req.Group)); err != nil {
			return nil, FieldError(EINVALID, "group", "%s", ErrorArg(err))
		}
		if req.Action == BulkMoveToGroup && Clean(req.FromGroup) != "" {
			if from, err = a.group(ctx, org, Clean(req.FromGroup)); err != nil {
				return nil, FieldError(EINVALID, "from_group", "%s", ErrorArg(err))
			}
		}
	}
	label := ""
	if req.Action == BulkAddLabel {
		v := validation{}
		labels := cleanLabels(v, "label", []string{req.Label})
		if err := v.err(); err != nil {
			return nil, err
		}
		if len(labels) == 0 {
			return nil, FieldError(EINVALID, "label", "Type the label to add.")
		}
		label = labels[0]
	}
	now := a.now()
	deleteOn := Clean(req.DeleteOn)
	if req.Action == BulkSetDeleteOn {
		if deleteOn == "" {
			return nil, FieldError(EINVALID, "delete_on", "Choose the deletion date.")
		}
		v := validation{}
		checkDate(v, "delete_on", deleteOn)
		if err := v.err(); err != nil {
			return nil, err
		}
		if deleteOn < now.Format(time.DateOnly) {
			return nil, FieldError(EINVALID, "delete_on", "%s is in the past; choose today or a later date.", deleteOn)
		}
	}

	skips := map[string]int{}
	changed := 0
	// decide says what becomes of one user; it only assigns.
	var decide func(u *User) UserVerdict
	write := func(ok bool, reason string, verdict UserVerdict) UserVerdict {
		if !ok {
			skips[reason]++
			return UserSkip
		}
		changed++
		return verdict
	}
	switch req.Action {
	case BulkDeactivate:
		decide = func(u *User) UserVerdict {
			switch u.Status {
			case StatusDeactivated:
				return write(false, skipAlready, 0)
			case StatusPending:
				return write(false, skipPending, 0)
			case StatusInvited:
				return write(false, skipInvited, 0)
			}
			u.Status, u.UpdatedAt = StatusDeactivated, now
			return write(true, "", UserWriteEndSessions)
		}
	case BulkReactivate:
		decide = func(u *User) UserVerdict {
			switch u.Status {
			case StatusActive:
				return write(false, skipAlready, 0)
			case StatusPending:
				return write(false, skipPending, 0)
			case StatusInvited:
				return write(false, skipInvited, 0)
			}
			u.Status, u.UpdatedAt = StatusActive, now
			return write(true, "", UserWrite)
		}
	case BulkDelete:
		decide = func(u *User) UserVerdict { return write(true, "", UserDelete) }
	case BulkAddToGroup:
		decide = func(u *User) UserVerdict {
			if slices.Contains(u.Groups, group.ID) {
				return write(false, skipAlready, 0)
			}
			u.Groups, u.UpdatedAt = append(u.Groups, group.ID), now
			return write(true, "", UserWrite)
		}
	case BulkRemoveFromGroup:
		decide = func(u *User) UserVerdict {
			if !slices.Contains(u.Groups, group.ID) {
				return write(false, skipNotInGroup, 0)
			}
			u.Groups, u.UpdatedAt = slices.DeleteFunc(u.Groups, func(g string) bool { return g == group.ID }), now
			return write(true, "", UserWrite)
		}
	case BulkMoveToGroup:
		decide = func(u *User) UserVerdict {
			var groups []string
			if from != nil {
				groups = slices.DeleteFunc(slices.Clone(u.Groups), func(g string) bool { return g == from.ID })
			}
			if !slices.Contains(groups, group.ID) {
				groups = append(groups, group.ID)
			}
			if slices.Equal(groups, u.Groups) {
				return write(false, skipAlready, 0)
			}
			u.Groups, u.UpdatedAt = groups, now
			return write(true, "", UserWrite)
		}
	case BulkAddLabel:
		decide = func(u *User) UserVerdict {
			if slices.ContainsFunc(u.Labels, func(l string) bool { return Key(l) == Key(label) }) {
				return write(false, skipAlready, 0)
			}
			if len(u.Labels) >= MaxLabels {
				return write(false, skipTooManyLabels, 0)
			}
			u.Labels, u.UpdatedAt = append(u.Labels, label), now
			return write(true, "", UserWrite)
		}
	case BulkSetDeleteOn:
		decide = func(u *User) UserVerdict {
			if u.DeleteOn == deleteOn {
				return write(false, skipAlready, 0)
			}
			u.DeleteOn, u.UpdatedAt = deleteOn, now
			return write(true, "", UserWrite)
		}
	case BulkClearDeleteOn:
		decide = func(u *User) UserVerdict {
			if u.DeleteOn == "" {
				return write(false, skipAlready, 0)
			}
			u.DeleteOn, u.UpdatedAt = "", now
			return write(true, "", UserWrite)
		}
	case BulkRequirePassword:
		decide = func(u *User) UserVerdict {
			if !u.HasPassword() {
				return write(false, skipNoPassword, 0)
			}
			if u.MustChangePassword {
				return write(false, skipAlready, 0)
			}
			u.MustChangePassword, u.UpdatedAt = true, now
			return write(true, "", UserWrite)
		}
	case BulkResendInvitation:
		return a.bulkResend(ctx, org, sel, req)
	case BulkSendActivation:
		return a.bulkActivation(ctx, org, sel, req)
	default:
		return nil, FieldError(EINVALID, "action", "Unknown action %q.", req.Action)
	}

	selected := 0
	check := func(n int) error {
		selected = n
		amendAudit(ctx, func(e *AuditEntry) { e.Detail = fmt.Sprintf("%s: %s selected", e.Detail, people(n)) })
		return checkExpect(req.Expect, n)
	}
	// One entry for the whole action; the people it changed are named.
	ctx = a.audit(ctx, org.ID, "user.bulk."+req.Action, AuditTarget{Kind: "users", Name: org.Name}, req.Action)
	var changedIDs []string
	missing, err := a.Store.ChangeSelectedUsers(ctx, org.ID, sel, check, func(u *User) (UserVerdict, error) {
		v := decide(u)
		if v != UserSkip {
			changedIDs = append(changedIDs, u.ID)
			amendAudit(ctx, func(e *AuditEntry) { e.People = changedIDs })
		}
		return v, nil
	})
	if err != nil {
		return nil, err
	}
	skips[skipGone] += missing
	if req.Action == BulkDelete && changed > 0 {
		// The deleted people's pages are given back (and their bytes
		// leave the file) now rather than at the scheduler's next pass.
		if _, err := a.CompactIfDue(ctx); err != nil {
			a.log().Error("compaction after a bulk delete", "err", err)
		}
	}
	name := label
	if group != nil {
		name = group.Name
	}
	return bulkResult(req.Action, selected+missing, changed, skips, name), nil
}

// checkExpect refuses a selection that no longer holds the number of
// people the admin was shown.
func checkExpect(expect, n int) error {
	if expect > 0 && n != expect {
		if n == 1 {
			return Errorf(ECONFLICT, "The list changed meanwhile: 1 person now, not %d. Nothing was changed; look at the list again.", expect)
		}
		return Errorf(ECONFLICT, "The list changed meanwhile: %d people now, not %d. Nothing was changed; look at the list again.", n, expect)
	}
	return nil
}

// bulkResend resends the invitation of every selected invited user, each
// through ResendInvitation.
func (a *App) bulkResend(ctx context.Context, org *Organization, sel UserSelection, req BulkRequest) (*BulkResult, error) {
	if org.PublicURL == "" {
		return nil, FieldError(EINVALID, "public_url", "%s has no public address, and the link is built from it. Set it in Settings first.", org.Name)
	}
	users, missing, err := a.selectedUsers(ctx, org, sel)
	if err != nil {
		return nil, err
	}
	if err := checkExpect(req.Expect, len(users)); err != nil {
		return nil, err
	}
	invs, err := a.Store.Invitations(ctx, org.ID) // newest first
	if err != nil {
		return nil, err
	}
	latest := map[string]*Invitation{}
	for _, inv := range invs {
		if latest[inv.UserID] == nil {
			latest[inv.UserID] = inv
		}
	}
	skips := map[string]int{skipGone: missing}
	changed := 0
	for _, u := range users {
		inv := latest[u.ID]
		switch {
		case u.Status != StatusInvited:
			skips[skipNotInvited(u)]++
			continue
		case inv == nil || inv.Status == InvitationAccepted || inv.Status == InvitationCancelled:
			skips[skipNoInvitation]++
			continue
		}
		if _, err := a.ResendInvitation(ctx, org.ID, inv.ID); ErrorCode(err) == ECONFLICT {
			skips[skipNoInvitation]++ // accepted or cancelled meanwhile
			continue
		} else if err != nil {
			return nil, fmt.Errorf("%d invitations were sent again before this failed: %w", changed, err)
		}
		changed++
	}
	return bulkResult(req.Action, len(users)+missing, changed, skips, ""), nil
}

// selectedUsers resolves a selection to the users it holds now, and counts
// the ticked ones that are gone.
func (a *App) selectedUsers(ctx context.Context, org *Organization, sel UserSelection) ([]*User, int, error) {
	if sel.Filter != nil {
		f := *sel.Filter
		f.Page, f.PerPage = 1, int(^uint(0)>>1)
		page, err := a.Store.FindUsers(ctx, org.ID, f)
		if err != nil {
			return nil, 0, err
		}
		return page.Users, 0, nil
	}
	var users []*User
	missing := 0
	seen := map[string]bool{}
	for _, id := range sel.IDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		u, err := a.Store.User(ctx, org.ID, id)
		if ErrorCode(err) == ENOTFOUND {
			missing++
			continue
		} else if err != nil {
			return nil, 0, err
		}
		users = append(users, u)
	}
	return users, missing, nil
}

// bulkActivation mails each selected person who can get one (active, with
// a confirmed address) a link to set their password; their earlier links
// stop working. All links and mails are written in one transaction, with
// one audit entry naming the people.
func (a *App) bulkActivation(ctx context.Context, org *Organization, sel UserSelection, req BulkRequest) (*BulkResult, error) {
	if err := a.activationReady(ctx, org); err != nil {
		return nil, err
	}
	bySMS := a.smsReady(ctx, org) == nil
	users, missing, err := a.selectedUsers(ctx, org, sel)
	if err != nil {
		return nil, err
	}
	if err := checkExpect(req.Expect, len(users)); err != nil {
		return nil, err
	}
	skips := map[string]int{skipGone: missing}
	for _, u := range users {
		if why := activatable(u); why != "" && (!bySMS || smsActivatable(u) != "") {
			skips[why]++
		}
	}
	mails, err := a.activationMails(ctx, org, users)
	if err != nil {
		return nil, err
	}
	if len(mails) > 0 {
		ids := distinctUsers(mails)
		ctx = a.audit(ctx, org.ID, "user.bulk."+BulkSendActivation, AuditTarget{Kind: "users", Name: org.Name},
			fmt.Sprintf("%s: %s selected, %d sent a link to set their password", BulkSendActivation, people(len(users)+missing), len(ids)), ids...)
		if err := a.Store.QueueResetMails(ctx, mails); err != nil {
			return nil, err
		}
		a.outbox().wakeUp()
	}
	return bulkResult(BulkSendActivation, len(users)+missing, len(distinctUsers(mails)), skips, ""), nil
}

func skipNotInvited(u *User) string {
	if u.Status == StatusPending {
		return skipPending
	}
	return skipAlready // they have an account already
}

// people writes "1 person" or "28 people".
func people(n int) string {
	if n == 1 {
		return "1 person"
	}
	return fmt.Sprintf("%d people", n)
}

// bulkSkipOrder is the order the reasons for skipping are told in.
var bulkSkipOrder = []string{skipAlready, skipPending, skipInvited, skipNotInGroup, skipTooManyLabels, skipNoPassword, skipNoInvitation, skipNotActive, skipNoEmail, skipUnverified, skipGone}

// bulkResult words the outcome; name is the group's name or the label.
func bulkResult(action string, selected, changed int, skips map[string]int, name string) *BulkResult {
	r := &BulkResult{Action: action, Selected: selected, Changed: changed, Skipped: []BulkSkip{}, name: name}
	for _, key := range bulkSkipOrder {
		if n := skips[key]; n > 0 {
			r.Skipped = append(r.Skipped, BulkSkip{Reason: key, Count: n})
		}
	}
	r.word(TextsFor(Languages[0]))
	return r
}

// word puts r's Message and its skips' into the language of t, with the
// plural forms of its counts (messages bulk.* of app/locales).
func (r *BulkResult) word(t *Texts) {
	msg := []string{}
	skipped := 0
	for _, s := range r.Skipped {
		skipped += s.Count
	}
	if r.Changed > 0 || skipped == 0 {
		msg = append(msg, t.N("bulk.done."+r.Action, r.Changed, "Name", r.name))
	} else {
		msg = append(msg, t.T("bulk.nobody"))
	}
	for i := range r.Skipped {
		s := &r.Skipped[i]
		id := "bulk.skip." + s.Reason
		if s.Reason == skipAlready {
			id = "bulk.already." + r.Action
		}
		s.Message = t.N(id, s.Count, "Name", r.name, "Max", MaxLabels)
		msg = append(msg, s.Message)
	}
	r.Message = strings.Join(msg, " ")
}

// Localized is r with its messages in lang (PickLanguage chooses from
// it); r itself is not changed.
func (r *BulkResult) Localized(lang string) *BulkResult {
	if r == nil {
		return nil
	}
	q := *r
	q.Skipped = append([]BulkSkip{}, r.Skipped...)
	q.word(TextsFor(lang))
	return &q
}
