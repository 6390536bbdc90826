package app

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Invitation modes.
const (
	// ModeInvite creates the account as "invited"; it becomes active when the
	// person completes the form (name, password).
	ModeInvite = "invite"
	// ModeCreate creates the account active at once; the mail carries login
	// instructions and a link to set the password.
	ModeCreate = "create"
	// ModeJoin is chosen by Rollcall for an address whose account is in
	// another organization and VERIFIED (EmailVerified): accepting moves the
	// account here, keeping its password, once that password is given on
	// the accept page. An unverified address never gets a join: the admin's
	// invitation makes a new account and takes the address from the
	// account that claimed it.
	ModeJoin = "join"
)

// Invitation statuses as stored; "expired" is derived from ExpiresAt.
const (
	InvitationPending   = "pending"
	InvitationAccepted  = "accepted"
	InvitationCancelled = "cancelled"
	InvitationExpired   = "expired"
)

// DefaultInvitationTTL is how long an invitation link works unless the admin
// chooses otherwise.
const DefaultInvitationTTL = 14 * 24 * time.Hour

// MaxInvitationDays bounds the chosen lifetime of a link.
const MaxInvitationDays = 90

// Invitation is an email invitation to one address. Only the SHA-256 of its
// token is stored; the token itself is in the mail (and, until the mail is
// sent, sealed in the outbox with the key file).
type Invitation struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
	// UserID is the account: created with the invitation (invite, create) or
	// the existing account in another organization (join).
	UserID      string    `json:"user_id"`
	Email       string    `json:"email"`
	Name        string    `json:"name"`
	Mode        string    `json:"mode"`
	AccountType string    `json:"account_type"`
	Groups      []string  `json:"groups"`
	Label       string    `json:"label,omitempty"`
	DeleteOn    string    `json:"delete_on,omitempty"`
	Language    string    `json:"language"`
	InvitedBy   string    `json:"invited_by"`
	Status      string    `json:"status"`
	TokenHash   string    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	// Resends counts new links sent after the first.
	Resends    int        `json:"resends"`
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
	// MessageID is the outbox message carrying the current link.
	MessageID string `json:"message_id"`
	// Delivery mirrors that message's status (queued, sending, sent, failed).
	Delivery      string     `json:"delivery"`
	DeliveryError string     `json:"delivery_error,omitempty"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	// State is Status with "expired" for a pending invitation past ExpiresAt;
	// filled when read, not stored.
	State string `json:"state"`
}

// state derives the shown state at now.
func (inv *Invitation) state(now time.Time) string {
	if inv.Status == InvitationPending && !now.Before(inv.ExpiresAt) {
		return InvitationExpired
	}
	return inv.Status
}

// InvitationStore keeps invitations, indexed by token hash, together with the
// users they create and the outbox messages that carry them.
type InvitationStore interface {
	// CreateInvitations takes unverified addresses away from the accounts
	// that claimed them (drops), then stores new users, invitations and
	// their outbox messages, in one transaction: all or none.
	CreateInvitations(ctx context.Context, drops []EmailDrop, users []*User, invs []*Invitation, msgs []*OutboxMessage) error
	// Invitation returns an invitation of the organization; ENOTFOUND if none.
	Invitation(ctx context.Context, orgID, id string) (*Invitation, error)
	// Invitations returns the organization's invitations, newest first.
	Invitations(ctx context.Context, orgID string) ([]*Invitation, error)
	// ChangeInvitation runs fn on the stored invitation in one transaction.
	// fn changes inv in place and may return a new outbox message to store.
	// The token index follows inv.TokenHash while inv is pending and is
	// removed otherwise; a queued message of the invitation other than the
	// new one is cancelled (its sealed token erased); cancelling an invite-mode
	// invitation removes its account while that account is still "invited".
	ChangeInvitation(ctx context.Context, orgID, id string, fn func(inv *Invitation) (*OutboxMessage, error)) (*Invitation, error)
	// InvitationByToken returns the invitation with the token hash and its
	// account; ENOTFOUND if none (cancelled, used and replaced tokens are
	// no longer indexed).
	InvitationByToken(ctx context.Context, hash string) (*Invitation, *User, error)
	// AcceptedInvitationByToken returns the accepted invitation whose
	// link had the token hash, and its account; ENOTFOUND if none.
	AcceptedInvitationByToken(ctx context.Context, hash string) (*Invitation, *User, error)
	// AcceptInvitation finds the invitation by token hash and, in one
	// transaction, calls fn with it and its account, writes both, and removes
	// the token from the index: of concurrent calls exactly one can succeed.
	// When the account moves to another organization (a join), the pending
	// invitations of its old organization for it are cancelled in the same
	// transaction.
	AcceptInvitation(ctx context.Context, hash string, fn func(inv *Invitation, u *User) error) (*Invitation, *User, error)
}

// Address is one parsed recipient.
type Address struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// BadAddress is a piece of pasted text that is not an address.
type BadAddress struct {
	Text   string `json:"text"`
	Reason string `json:"reason"`

	reason text // Reason before it was put into words (Localized)
}

func badAddress(address string, reason text) BadAddress {
	return BadAddress{Text: address, Reason: reason.english(), reason: reason}
}

// notAnAddress is the reason of a pasted word that is no email address.
var notAnAddress = text{format: textOf("not an email address")}

// Localized is r with the reasons of its addresses in lang (PickLanguage
// chooses from it); r itself is not changed.
func (r *InviteResult) Localized(lang string) *InviteResult {
	if r == nil {
		return nil
	}
	lang = PickLanguage(lang)
	q := *r
	q.Invalid, q.Reclaimed = localizedBad(r.Invalid, lang), localizedBad(r.Reclaimed, lang)
	return &q
}

func localizedBad(bad []BadAddress, lang string) []BadAddress {
	if bad == nil {
		return nil
	}
	out := make([]BadAddress, len(bad))
	for i, b := range bad {
		if b.reason.format != "" {
			b.Reason = b.reason.in(lang)
		}
		out[i] = b
	}
	return out
}

// MaxInvitations bounds one paste.
const MaxInvitations = 2000

var (
	// angleRe finds `Name <addr>` and `"Last, First" <addr>` forms; the name
	// stops at a separator (comma, semicolon, line break) unless quoted.
	angleRe = regexp.MustCompile(`(?:"([^"]*)"|([^<>,;"\r\n]*))\s*<([^<>]*)>`)
	sepRe   = regexp.MustCompile(`[,;\s]+`)
)

// ParseAddresses reads addresses pasted from anywhere: separated by commas,
// semicolons, spaces or line breaks, bare or as `Name <address>`. Duplicates
// (case-insensitively) are dropped; pieces that are not addresses are
// returned with the reason.
func ParseAddresses(text string) ([]Address, []BadAddress) {
	var out []Address
	var bad []BadAddress
	seen := map[string]bool{}
	add := func(name, addr, raw string) {
		addr = strings.Trim(Clean(addr), "'\"()[]")
		name = Clean(strings.Trim(Clean(name), "'\""))
		v := validation{}
		checkEmail(v, "a", addr)
		if len(v) > 0 || addr == "" {
			bad = append(bad, badAddress(Clean(raw), notAnAddress))
			return
		}
		if hasControl(name) || utf8.RuneCountInString(name) > 2*MaxNameLength {
			name = ""
		}
		if seen[Key(addr)] {
			return
		}
		seen[Key(addr)] = true
		out = append(out, Address{Name: name, Address: addr})
	}
	text = strings.TrimPrefix(text, "\ufeff")
	rest := angleRe.ReplaceAllStringFunc(text, func(m string) string {
		sub := angleRe.FindStringSubmatch(m)
		name := sub[1]
		if sub[1] == "" {
			name = sub[2]
			// Bare addresses before the name on the same run belong to the rest.
			fields := strings.Fields(name)
			for i := len(fields) - 1; i >= 0; i-- {
				if strings.Contains(fields[i], "@") {
					for _, f := range fields[:i+1] {
						add("", f, f)
					}
					name = strings.Join(fields[i+1:], " ")
					break
				}
			}
		}
		add(name, sub[3], m)
		return " , "
	})
	for _, f := range sepRe.Split(rest, -1) {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if strings.Contains(f, "@") {
			add("", f, f)
		} else {
			bad = append(bad, badAddress(f, notAnAddress))
		}
	}
	return out, bad
}

// nameFromAddress guesses a name from the local part: ada.lovelace@… → Ada Lovelace.
func nameFromAddress(addr string) (first, last string) {
	local, _, _ := strings.Cut(addr, "@")
	local, _, _ = strings.Cut(local, "+")
	parts := strings.FieldsFunc(local, func(r rune) bool { return !unicode.IsLetter(r) })
	for i, p := range parts {
		r, n := utf8.DecodeRuneInString(p)
		parts[i] = string(unicode.ToUpper(r)) + p[n:]
	}
	switch len(parts) {
	case 0:
		return local, ""
	case 1:
		return parts[0], ""
	}
	return strings.Join(parts[:len(parts)-1], " "), parts[len(parts)-1]
}

// InviteRequest is what an admin fills in under "Invite by email".
type InviteRequest struct {
	// Addresses is the pasted text (see ParseAddresses).
	Addresses   string   `json:"addresses"`
	Mode        string   `json:"mode"`
	AccountType string   `json:"account_type"`
	Groups      []string `json:"groups"`
	Language    string   `json:"language"`
	DeleteOn    string   `json:"delete_on"`
	Label       string   `json:"label"`
	// ExpiresDays is the link's lifetime in days; 0 means 14.
	ExpiresDays int `json:"expires_days"`
	// InvitedBy names the inviter in the mail; set by the caller, not the form.
	InvitedBy string `json:"-"`
}

// InviteResult says what became of each address.
type InviteResult struct {
	// Invited are the new invitations (some with mode "join").
	Invited []*Invitation `json:"invited"`
	// AlreadyMember are addresses that already have an account here: not mailed.
	AlreadyMember []string     `json:"already_member"`
	Invalid       []BadAddress `json:"invalid"`
	// Reclaimed are addresses an unverified sign-up had claimed: the
	// invitation is for a new account, and that sign-up no longer has the
	// address (it keeps its username).
	Reclaimed []BadAddress `json:"reclaimed"`
}

// EmailDrop takes an unverified address away from an account: the store
// clears Email on the account with UserID while it still has Email
// unverified (ECONFLICT otherwise), gives it Username when it had none (so
// that it can still be told apart and signed in to), and drops its pending
// verification.
type EmailDrop struct {
	UserID   string
	Email    string
	Username string
}

// reclaimedNote is what the admin is told about a reclaimed address.
const reclaimedNote = "An unverified sign-up used this address; it no longer does. The invitation is for a new account."

// Invite invites every pasted address into organization ref. Each invitation,
// its account (for invite and create) and its outbox message are written in
// one transaction; the outbox worker sends the mails.
// Errors: ENOTFOUND, EINVALID (no public address, no relay, bad fields).
func (a *App) Invite(ctx context.Context, ref string, req InviteRequest) (*InviteResult, error) {
	org, s, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	if !s.whole() && Clean(req.DeleteOn) != "" {
		return nil, errNoDeleteOn
	}
	groups, err := a.groupIDs(ctx, org, req.Groups)
	if err != nil {
		return nil, err
	}
	if !s.hasGroups(groups) { // a group admin invites into their groups
		return nil, errNoGroup
	}
	if org.PublicURL == "" {
		return nil, FieldError(EINVALID, "public_url", "%s has no public address yet, and every invitation link is built from it. Set it in Settings (e.g. https://rollcall.maple.example) and try again; nothing was sent.", org.Name)
	}
	if _, err := a.relayConfig(ctx, org); err != nil {
		return nil, err
	}
	req.Mode = Key(req.Mode)
	if req.Mode == "" {
		req.Mode = ModeInvite
	}
	v := validation{}
	if req.Mode != ModeInvite && req.Mode != ModeCreate {
		v.add("mode", "The mode must be %q (the person completes their account) or %q (the account is active at once).", ModeInvite, ModeCreate)
	}
	req.AccountType = Key(req.AccountType)
	if req.AccountType == "" {
		req.AccountType = org.AccountTypes()[0]
	}
	if !org.HasAccountType(req.AccountType) {
		v.add("account_type", "The account type %q does not exist here; choose one of %s.", req.AccountType, strings.Join(org.AccountTypes(), ", "))
	}
	req.Language = Clean(req.Language)
	if req.Language == "" {
		req.Language = PickLanguage(org.Language)
	}
	req.Language = checkSpoken(v, "language", req.Language)
	req.DeleteOn = Clean(req.DeleteOn)
	checkDate(v, "delete_on", req.DeleteOn)
	labels := cleanLabels(v, "label", []string{req.Label})
	if req.ExpiresDays < 0 || req.ExpiresDays > MaxInvitationDays {
		v.add("expires_days", "A link can work for 1 to %d days.", MaxInvitationDays)
	}
	addrs, bad := ParseAddresses(req.Addresses)
	if len(addrs) == 0 && len(v) == 0 {
		if len(bad) > 0 {
			v.add("addresses", "No email address found: %q is not one.", bad[0].Text)
		} else {
			v.add("addresses", "Paste one or more email addresses.")
		}
	}
	if len(addrs) > MaxInvitations {
		v.add("addresses", "At most %d addresses at a time.", MaxInvitations)
	}
	if err := v.err("addresses", "mode", "account_type", "language", "delete_on", "label", "expires_days"); err != nil {
		return nil, err
	}
	ttl := DefaultInvitationTTL
	if req.ExpiresDays > 0 {
		ttl = time.Duration(req.ExpiresDays) * 24 * time.Hour
	}
	res := &InviteResult{Invited: []*Invitation{}, AlreadyMember: []string{}, Invalid: bad, Reclaimed: []BadAddress{}}
	if res.Invalid == nil {
		res.Invalid = []BadAddress{}
	}
	now := a.now()
	var users []*User
	var invs []*Invitation
	var msgs []*OutboxMessage
	var drops []EmailDrop
	var unique *uniqueUsernames
	for _, ad := range addrs {
		inv := &Invitation{
			ID: a.newID(), OrgID: org.ID, Email: ad.Address, Name: ad.Name, Mode: req.Mode,
			AccountType: req.AccountType, Groups: groups, DeleteOn: req.DeleteOn, Language: req.Language,
			InvitedBy: Clean(req.InvitedBy), Status: InvitationPending, CreatedAt: now, ExpiresAt: now.Add(ttl),
		}
		if len(labels) > 0 {
			inv.Label = labels[0]
		}
		var reclaim *EmailDrop
		existing, err := a.Store.UserByLogin(ctx, Key(ad.Address))
		if err == nil && (!existing.EmailVerified || LoginKey(existing.Email) != LoginKey(ad.Address)) {
			// The admin's entry is authoritative over an unproven claim:
			// a new account, and the claim is dropped with it.
			drop := EmailDrop{UserID: existing.ID, Email: existing.Email}
			if existing.Username == "" {
				if unique == nil {
					unique = &uniqueUsernames{store: a.Store, taken: map[string]bool{}}
				}
				owner, err := a.Store.Organization(ctx, existing.OrgID)
				if err != nil {
					return nil, err
				}
				if drop.Username, err = unique.next(ctx, UsernameBase(owner.UsernamePattern, existing.FirstName, existing.LastName)); err != nil {
					return nil, err
				}
			}
			reclaim = &drop
			existing, err = nil, Errorf(ENOTFOUND, "%s", reclaimedNote)
		}
		switch {
		case err == nil && existing.OrgID == org.ID:
			res.AlreadyMember = append(res.AlreadyMember, ad.Address)
			continue
		case err == nil && existing.Status == StatusDeactivated:
			// Joining would reactivate an account its organization turned off.
			res.Invalid = append(res.Invalid, badAddress(ad.Address, text{"%s", []any{errJoinDeactivated}}))
			continue
		case err == nil:
			inv.Mode, inv.UserID = ModeJoin, existing.ID
			if inv.Name == "" {
				inv.Name = strings.TrimSpace(existing.FirstName + " " + existing.LastName)
			}
		case ErrorCode(err) == ENOTFOUND:
			u := &User{ID: a.newID(), OrgID: org.ID, Email: ad.Address, EmailVerified: true, AccountType: req.AccountType, Groups: groups,
				Language: req.Language, Labels: labels, DeleteOn: req.DeleteOn, CreatedVia: ViaInvitation,
				CreatedAt: now, UpdatedAt: now}
			u.FirstName, u.LastName = SplitName(ad.Name)
			if req.Mode == ModeInvite {
				u.Status = StatusInvited
			} else {
				u.Status = StatusActive
				if u.FirstName == "" {
					u.FirstName, u.LastName = nameFromAddress(ad.Address)
				}
			}
			if err := u.Validate(org); err != nil {
				res.Invalid = append(res.Invalid, badAddress(ad.Address, text{"%s", []any{ErrorArg(err)}}))
				continue
			}
			inv.UserID = u.ID
			users = append(users, u)
			if reclaim != nil {
				drops = append(drops, *reclaim)
				res.Reclaimed = append(res.Reclaimed, badAddress(ad.Address, text{format: textOf(reclaimedNote)}))
			}
		default:
			return nil, err
		}
		msg, err := a.invitationMessage(inv, now)
		if err != nil {
			return nil, err
		}
		invs = append(invs, inv)
		msgs = append(msgs, msg)
	}
	people := make([]string, 0, len(invs))
	for _, inv := range invs {
		people = append(people, inv.UserID)
	}
	ctx = a.audit(ctx, org.ID, "invitation.send", orgTarget(org),
		fmt.Sprintf("%d invitations queued (%s, %s); %d already members, %d not addresses", len(invs), req.Mode, req.AccountType, len(res.AlreadyMember), len(res.Invalid)), people...)
	if len(invs) > 0 {
		if err := a.Store.CreateInvitations(ctx, drops, users, invs, msgs); err != nil {
			return nil, err
		}
		a.outbox().wakeUp()
	}
	if err := a.flushAudit(ctx); err != nil {
		return nil, err
	}
	for _, inv := range invs {
		inv.State = inv.state(now)
	}
	res.Invited = invs
	return res, nil
}

// invitationMessage gives inv a new token (only its hash is kept) and returns
// the queued outbox message that will carry it, the token sealed.
func (a *App) invitationMessage(inv *Invitation, now time.Time) (*OutboxMessage, error) {
	if a.Secrets == nil {
		return nil, Errorf(EINTERNAL, "No key file is configured to protect links waiting in the outbox.")
	}
	token, err := a.NewToken()
	if err != nil {
		return nil, err
	}
	sealed, err := a.Secrets.Seal([]byte(token))
	if err != nil {
		return nil, fmt.Errorf("seal the invitation token: %w", err)
	}
	inv.TokenHash = TokenHash(token)
	m := &OutboxMessage{ID: a.newID(), OrgID: inv.OrgID, Kind: KindInvitation, InvitationID: inv.ID, To: inv.Email,
		ToName: inv.Name, SealedToken: sealed, Status: MessageQueued, CreatedAt: now, NextAttempt: now}
	inv.MessageID, inv.Delivery, inv.DeliveryError, inv.SentAt = m.ID, MessageQueued, "", nil
	return m, nil
}

// InvitationFilter selects invitations by state; "" means every state but accepted.
type InvitationFilter struct {
	State string
}

// Invitations lists the organization's invitations, newest first. Accepted
// ones are left out unless asked for: the person is in Users now.
// Errors: ENOTFOUND, EINVALID (state).
func (a *App) Invitations(ctx context.Context, ref string, f InvitationFilter) ([]*Invitation, error) {
	org, s, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	switch f.State {
	case "", InvitationPending, InvitationExpired, InvitationCancelled, InvitationAccepted:
	default:
		return nil, FieldError(EINVALID, "state", "Unknown state %q.", f.State)
	}
	all, err := a.Store.Invitations(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	now := a.now()
	out := []*Invitation{}
	for _, inv := range all {
		inv.State = inv.state(now)
		if !s.hasGroups(inv.Groups) { // a group admin's invitations are into their groups
			continue
		}
		if (f.State == "" && inv.State != InvitationAccepted) || inv.State == f.State {
			out = append(out, inv)
		}
	}
	return out, nil
}

// CancelInvitation stops an invitation: its link stops working at once, an
// unsent mail is not sent, and an invited account that was never completed
// is purged with the invitation and its mails, as a deletion is (its audit
// entries keep no name). Errors: ENOTFOUND, ECONFLICT (already accepted).
func (a *App) CancelInvitation(ctx context.Context, ref, id string) (*Invitation, error) {
	org, _, err := a.scopedOrg(ctx, ref) // auditInvitation checks the invitation's groups
	if err != nil {
		return nil, err
	}
	now := a.now()
	if ctx, err = a.auditInvitation(ctx, org, id, "invitation.cancel", "link stopped"); err != nil {
		return nil, err
	}
	inv, err := a.Store.ChangeInvitation(ctx, org.ID, id, func(inv *Invitation) (*OutboxMessage, error) {
		switch inv.Status {
		case InvitationAccepted:
			return nil, Errorf(ECONFLICT, "%s has accepted this invitation already.", inv.Email)
		case InvitationCancelled:
			return nil, nil
		}
		inv.Status, inv.TokenHash = InvitationCancelled, ""
		if inv.Delivery == MessageQueued || inv.Delivery == MessageSending {
			inv.Delivery = MessageCancelled
		}
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	inv.State = inv.state(now)
	return inv, nil
}

// ResendInvitation sends a new link with a new expiry; the old link stops
// working at once. Errors: ENOTFOUND, ECONFLICT (accepted or cancelled).
func (a *App) ResendInvitation(ctx context.Context, ref, id string) (*Invitation, error) {
	org, _, err := a.scopedOrg(ctx, ref) // auditInvitation checks the invitation's groups
	if err != nil {
		return nil, err
	}
	if ctx, err = a.auditInvitation(ctx, org, id, "invitation.resend", "new link sent; the old one stopped"); err != nil {
		return nil, err
	}
	return a.resendInvitation(ctx, org, id)
}

// resendInvitation is ResendInvitation without its own audit entry.
func (a *App) resendInvitation(ctx context.Context, org *Organization, id string) (*Invitation, error) {
	if org.PublicURL == "" {
		return nil, FieldError(EINVALID, "public_url", "%s has no public address, and the link is built from it. Set it in Settings first.", org.Name)
	}
	now := a.now()
	inv, err := a.Store.ChangeInvitation(ctx, org.ID, id, func(inv *Invitation) (*OutboxMessage, error) {
		return a.resend(inv, now)
	})
	if err != nil {
		return nil, err
	}
	a.outbox().wakeUp()
	inv.State = inv.state(now)
	return inv, nil
}

func (a *App) resend(inv *Invitation, now time.Time) (*OutboxMessage, error) {
	switch inv.Status {
	case InvitationAccepted:
		return nil, Errorf(ECONFLICT, "%s has accepted this invitation already.", inv.Email)
	case InvitationCancelled:
		return nil, Errorf(ECONFLICT, "The invitation to %s was cancelled; invite the address again.", inv.Email)
	}
	ttl := inv.ExpiresAt.Sub(inv.CreatedAt)
	if ttl <= 0 {
		ttl = DefaultInvitationTTL
	}
	inv.CreatedAt, inv.ExpiresAt = now, now.Add(ttl)
	inv.Resends++
	return a.invitationMessage(inv, now)
}

// ResendExpired sends new links for every expired invitation of the
// organization and returns how many. Errors: ENOTFOUND, EINVALID.
func (a *App) ResendExpired(ctx context.Context, ref string) (int, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return 0, err
	}
	invs, err := a.Invitations(ctx, ref, InvitationFilter{State: InvitationExpired})
	if err != nil {
		return 0, err
	}
	n := 0
	var people []string
	for _, inv := range invs {
		if _, err := a.resendInvitation(ctx, org, inv.ID); err != nil {
			if ErrorCode(err) == ECONFLICT {
				continue // accepted or cancelled meanwhile
			}
			return n, err
		}
		n++
		people = append(people, inv.UserID)
	}
	// One entry for the whole run, after it.
	return n, a.flushAudit(a.audit(ctx, org.ID, "invitation.resend_expired", orgTarget(org), fmt.Sprintf("%d expired invitations sent again", n), people...))
}

// errJoinPassword answers a wrong current password on the accept page.
var errJoinPassword = FieldError(EUNAUTHORIZED, "current_password", "That is not the password of your account. Enter the password you sign in with now.")

// checkJoinPassword checks the account's own password before a join moves
// it. Wrong passwords count against the sign-in limits of the account and
// of the client address (signinlimit.go), so the accept page is no way
// round them; a right one forgives the account's failures, as a sign-in.
// Errors: EUNAUTHORIZED (wrong), ETOOMANY (held).
func (a *App) checkJoinPassword(ctx context.Context, u *User, password, client string) error {
	ip, err := a.SignIns.begin(ctx, "ip:"+client)
	if err != nil {
		return err
	}
	defer ip.end(ctx)
	acct, err := a.SignIns.begin(ctx, "account:"+u.ID)
	if err != nil {
		return err
	}
	defer acct.end(ctx)
	if ok, _ := VerifyPassword(u.PasswordHash, password, a.Hash); !ok || password == "" {
		ip.failed, acct.failed = true, true
		return errJoinPassword
	}
	a.SignIns.forgive(ctx, "account:"+u.ID)
	return nil
}

// errJoinDeactivated refuses to move an account its organization deactivated.
var errJoinDeactivated = Errorf(EFORBIDDEN, "This address has an account in another organization that deactivated it, so it cannot join here. That organization has to reactivate it first.")

// errBadLink is the one answer for unknown, expired, cancelled and used
// links: nothing in it helps to guess.
var errBadLink = Errorf(ENOTFOUND, "This invitation link does not work any more. Links expire, and each works only once. Ask the person who invited you to send a new invitation.")

// errUsedLink answers a link that was used to set up an account that is
// active: the page offers the sign-in instead of asking for a new link.
var errUsedLink = Errorf(ECONFLICT, "This invitation has already been accepted, and the account is active: sign in with it.")

// InvitationPage is what the accept page shows and asks for.
type InvitationPage struct {
	Organization string `json:"organization"`
	Mode         string `json:"mode"`
	Email        string `json:"email"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	// NeedName is true when the account has no name yet.
	NeedName bool `json:"need_name"`
	// NeedPassword is true when a password must be chosen (not for a join
	// of an account that has one).
	NeedPassword bool `json:"need_password"`
	// NeedCurrentPassword is true for a join of an account that has a
	// password: the account moves only once its own password is given.
	NeedCurrentPassword bool   `json:"need_current_password"`
	Policy              string `json:"policy"`
	// Rules is the password rule itself, for the page to word in its language.
	Rules     PasswordPolicy `json:"policy_rules"`
	MinLength int            `json:"min_length"`
	ExpiresAt time.Time      `json:"expires_at"`
	// Providers are the organization's sign-in providers: "Accept with …".
	Providers []SSOButton `json:"providers"`
	// Language is the invitation's (its mail's): the page is in it.
	Language string `json:"language"`
}

// pendingInvitation looks a link up: the pending invitation, its account and
// its organization. Errors: ENOTFOUND (errBadLink, one answer for every kind
// of bad link), EFORBIDDEN (a join of a deactivated account).
func (a *App) pendingInvitation(ctx context.Context, token string) (*Invitation, *User, *Organization, error) {
	if token == "" || len(token) > 200 {
		return nil, nil, nil, errBadLink
	}
	inv, u, err := a.Store.InvitationByToken(ctx, TokenHash(token))
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, nil, errBadLink
	} else if err != nil {
		return nil, nil, nil, err
	}
	if inv.state(a.now()) != InvitationPending {
		return nil, nil, nil, errBadLink
	}
	if inv.Mode == ModeJoin && !joinable(inv, u) {
		return nil, nil, nil, errBadLink
	}
	if inv.Mode == ModeJoin && u.Status == StatusDeactivated {
		return nil, nil, nil, errJoinDeactivated
	}
	org, err := a.Store.Organization(ctx, inv.OrgID)
	if err != nil {
		return nil, nil, nil, err
	}
	return inv, u, org, nil
}

// needPassword reports whether accepting inv must set a password: always,
// except for a join of an account that has one.
func needPassword(inv *Invitation, u *User) bool { return inv.Mode != ModeJoin || !u.HasPassword() }

// needCurrentPassword reports whether accepting inv must prove the
// account's own password: a join of an account that has one.
func needCurrentPassword(inv *Invitation, u *User) bool {
	return inv.Mode == ModeJoin && u.HasPassword()
}

// joinable reports whether a join invitation may still move its account:
// the account still has the invited address, verified. A join link made
// before an address was known to be unverified (or after it changed) does
// not work.
func joinable(inv *Invitation, u *User) bool {
	return u.EmailVerified && u.Email != "" && LoginKey(u.Email) == LoginKey(inv.Email)
}

// InvitationByToken returns what the accept page needs. Errors: ENOTFOUND
// (the same for every kind of bad link), EFORBIDDEN.
func (a *App) InvitationByToken(ctx context.Context, token string) (*InvitationPage, error) {
	inv, u, org, err := a.pendingInvitation(ctx, token)
	if err == errBadLink && token != "" && len(token) <= 200 {
		// A link used already, whose account is active, says so and
		// offers the sign-in: only the holder of the mail has its token.
		if _, u, err := a.Store.AcceptedInvitationByToken(ctx, TokenHash(token)); err == nil && u.Status == StatusActive {
			return nil, errUsedLink
		}
	}
	if err != nil {
		return nil, err
	}
	return &InvitationPage{
		Organization: org.Name, Mode: inv.Mode, Email: inv.Email, FirstName: u.FirstName, LastName: u.LastName,
		NeedName: u.FirstName == "", NeedPassword: needPassword(inv, u), NeedCurrentPassword: needCurrentPassword(inv, u),
		Policy: org.PasswordPolicy.String(), MinLength: org.PasswordPolicy.MinLength, Rules: org.PasswordPolicy, ExpiresAt: inv.ExpiresAt,
		Providers: a.orgButtons(ctx, org), Language: PickLanguage(inv.Language, org.Language),
	}, nil
}

// AcceptRequest completes an invitation.
type AcceptRequest struct {
	Token     string `json:"token"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Password  string `json:"password"`
	// CurrentPassword is the account's own password, for a join.
	CurrentPassword string `json:"current_password"`
	// Client is the client's address, for the limits on wrong current
	// passwords; set by the transport, not the form.
	Client string `json:"-"`
}

// Accepted is what the person learns after accepting: what to sign in with.
type Accepted struct {
	// Login is the username, else the email address.
	Login string `json:"login"`
	User  *User  `json:"-"`
}

// AcceptInvitation completes an invitation: checks the token, sets what was
// missing, activates the account (moving it into the organization for a
// join) and uses up the token, all in one transaction.
// Errors: ENOTFOUND (bad link, one answer for all), EINVALID (name,
// password), EFORBIDDEN (a join of a deactivated account).
func (a *App) AcceptInvitation(ctx context.Context, req AcceptRequest) (*Accepted, error) {
	// One look-up to check the form and hash the password outside the
	// transaction; the transaction checks the link again.
	inv, cur, org, err := a.pendingInvitation(ctx, req.Token)
	if err != nil {
		return nil, err
	}
	needName, needPass, needCurrent := cur.FirstName == "", needPassword(inv, cur), needCurrentPassword(inv, cur)
	if !needPass {
		req.Password = "" // a join keeps the account's password
	}
	checked := ""
	if needCurrent {
		if err := a.checkJoinPassword(ctx, cur, req.CurrentPassword, req.Client); err != nil {
			return nil, err
		}
		checked = cur.PasswordHash
	}
	first, last := Clean(req.FirstName), Clean(req.LastName)
	v := validation{}
	if needName {
		checkName(v, "first_name", "Your first name", first)
		if last != "" {
			checkName(v, "last_name", "Your last name", last)
		}
	}
	hash := ""
	if needPass || req.Password != "" {
		if err := org.PasswordPolicy.Check(req.Password); err != nil {
			v.add("password", "%s", ErrorArg(err))
		}
	}
	if err := v.err("first_name", "last_name", "password"); err != nil {
		return nil, err
	}
	if needPass || req.Password != "" {
		// Hashed before the transaction: the write holds the file briefly.
		if hash, err = HashPassword(a.Rand, a.Hash, req.Password); err != nil {
			return nil, err
		}
	}
	now := a.now()
	actx := a.audit(WithActor(ctx, PersonActor(cur)), inv.OrgID, "invitation.accept", personTarget(cur), "invitation accepted ("+inv.Mode+")")
	_, u, err := a.Store.AcceptInvitation(actx, TokenHash(req.Token), func(inv *Invitation, u *User) error {
		if err := acceptable(inv, u, now); err != nil {
			return err
		}
		if hash == "" && needPassword(inv, u) { // the password went meanwhile
			return FieldError(EINVALID, "password", "Choose a password.")
		}
		if needCurrentPassword(inv, u) && u.PasswordHash != checked {
			// The password was set or changed after it was checked.
			return FieldError(EUNAUTHORIZED, "current_password", "The password of your account changed meanwhile. Enter the one it has now.")
		}
		if hash != "" {
			u.PasswordHash = hash
		}
		return accept(inv, u, org, first, last, now)
	})
	if ErrorCode(err) == ENOTFOUND {
		return nil, errBadLink
	}
	if err != nil {
		return nil, err
	}
	if inv.Mode == ModeJoin {
		// Sessions opened in the old organization end with the move.
		if err := a.Store.DeleteSessionsOf(ctx, u.ID); err != nil {
			return nil, err
		}
	}
	login := u.Username
	if login == "" {
		login = u.Email
	}
	return &Accepted{Login: login, User: u}, nil
}

// acceptable refuses an invitation that can no longer be accepted by u:
// not pending any more, a join of an account it was not meant for, or a
// join of an account its organization switched off.
func acceptable(inv *Invitation, u *User, now time.Time) error {
	switch {
	case inv.state(now) != InvitationPending:
		return errBadLink
	case inv.Mode == ModeJoin && !joinable(inv, u):
		return errBadLink
	case inv.Mode == ModeJoin && u.Status == StatusDeactivated:
		return errJoinDeactivated
	}
	return nil
}

// accept applies an accepted invitation to its account, whichever way it
// was accepted (a password, a sign-in provider): the invited address is
// proven, a person without a name takes first and last, a join moves the
// account into the inviting organization, and the account is active.
func accept(inv *Invitation, u *User, org *Organization, first, last string, now time.Time) error {
	if LoginKey(u.Email) == LoginKey(inv.Email) {
		u.EmailVerified = true // the link arrived at the address
	}
	if u.FirstName == "" {
		u.FirstName, u.LastName = first, last
	}
	if inv.Mode == ModeJoin {
		u.OrgID, u.Groups, u.AccountType = inv.OrgID, inv.Groups, inv.AccountType
		u.Language, u.DeleteOn = inv.Language, inv.DeleteOn
		if inv.Label != "" {
			u.Labels = []string{inv.Label}
		}
	}
	if u.Status == StatusInvited || inv.Mode == ModeJoin {
		u.Status = StatusActive
	}
	u.MustChangePassword = false
	u.UpdatedAt = now
	if err := u.Validate(org); err != nil {
		return err
	}
	inv.Status, inv.TokenHash, inv.AcceptedAt = InvitationAccepted, "", &now
	return nil
}
