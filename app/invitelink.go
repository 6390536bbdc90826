package app

import (
	"context"
	"strings"
	"time"
)

// InviteLink is a sign-up address with its own settings: the account type
// and groups of the people who use it, an optional password, expiry and
// maximum uses, and whether new users are accepted at once. Only the
// SHA-256 of its token is stored: the address is shown once, when the link
// is made (or given a new address).
type InviteLink struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
	// Name tells links apart in the list, e.g. "Parents' evening".
	Name        string   `json:"name"`
	AccountType string   `json:"account_type"`
	Groups      []string `json:"groups"` // group IDs
	// TokenHash is the hex SHA-256 of the token in the address.
	TokenHash string `json:"-"`
	// PasswordHash, when set, is an argon2id hash of the link password.
	PasswordHash string     `json:"-"`
	HasPassword  bool       `json:"has_password"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	MaxUses      int        `json:"max_uses"`
	Uses         int        `json:"uses"`
	// AutoAccept makes new users active at once; otherwise they wait for approval.
	AutoAccept bool       `json:"auto_accept"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// usable returns nil when the link may be used at now.
func (l *InviteLink) usable(now time.Time) error {
	switch {
	case l.RevokedAt != nil:
		return Errorf(EFORBIDDEN, "This invite link has been withdrawn. Ask whoever sent it for a new one.")
	case l.ExpiresAt != nil && !now.Before(*l.ExpiresAt):
		return Errorf(EFORBIDDEN, "This invite link has expired. Ask whoever sent it for a new one.")
	case l.MaxUses > 0 && l.Uses >= l.MaxUses:
		return Errorf(EFORBIDDEN, "This invite link has been used as often as it may be. Ask whoever sent it for a new one.")
	}
	return nil
}

// InviteLinkCreate is what an admin gives to make a link.
type InviteLinkCreate struct {
	Name        string     `json:"name"`
	AccountType string     `json:"account_type"`
	Groups      []string   `json:"groups"` // IDs or names
	Password    string     `json:"password"`
	ExpiresAt   *time.Time `json:"expires_at"`
	MaxUses     int        `json:"max_uses"`
	AutoAccept  bool       `json:"auto_accept"`
}

// NewInviteLink is a link with its token: the one time the address exists
// outside the admin's screen.
type NewInviteLink struct {
	Link  *InviteLink `json:"link"`
	Token string      `json:"token"`
}

// InviteLinkStore keeps invite links by ID with an index from token hash.
type InviteLinkStore interface {
	// CreateInviteLink stores a new link.
	CreateInviteLink(ctx context.Context, l *InviteLink) error
	// InviteLink returns a link of the organization; ENOTFOUND if none.
	InviteLink(ctx context.Context, orgID, id string) (*InviteLink, error)
	// InviteLinkByToken returns the link whose token has the hash; ENOTFOUND if none.
	InviteLinkByToken(ctx context.Context, tokenHash string) (*InviteLink, error)
	// InviteLinks returns the organization's links, newest first.
	InviteLinks(ctx context.Context, orgID string) ([]*InviteLink, error)
	// ChangeInviteLink reads the link inside one transaction, lets fn change
	// it and writes it with its token index entry; the use count is kept as
	// stored. ENOTFOUND if none.
	ChangeInviteLink(ctx context.Context, orgID, id string, fn func(l *InviteLink) error) (*InviteLink, error)
	// DeleteInviteLink removes a link and its token index entry.
	DeleteInviteLink(ctx context.Context, orgID, id string) error
}

// linkPasswordPolicy: a link password is shared by a group of people, so it
// need not be strong, only not trivial.
var linkPasswordPolicy = PasswordPolicy{MinLength: 6}

// CreateInviteLink makes a new link in organization ref and returns it with
// its token. Errors: ENOTFOUND, EINVALID.
func (a *App) CreateInviteLink(ctx context.Context, ref string, in InviteLinkCreate) (*NewInviteLink, error) {
	org, _, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	l := &InviteLink{OrgID: org.ID, Name: Clean(in.Name), AccountType: Key(in.AccountType), MaxUses: in.MaxUses, AutoAccept: in.AutoAccept}
	v := validation{}
	if l.Name != "" {
		checkName(v, "name", "The link name", l.Name)
	}
	if l.AccountType == "" {
		l.AccountType = org.AccountTypes()[0]
	}
	if !org.HasAccountType(l.AccountType) {
		v.add("account_type", "The account type %q does not exist here; choose one of %s.", l.AccountType, strings.Join(org.AccountTypes(), ", "))
	}
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC().Truncate(time.Second)
		if !t.After(a.now()) {
			v.add("expires_at", "The expiry must be in the future.")
		}
		l.ExpiresAt = &t
	}
	if l.MaxUses < 0 || l.MaxUses > 100_000 {
		v.add("max_uses", "The maximum number of uses is between 0 (no limit) and 100,000.")
	}
	if in.Password != "" {
		if err := linkPasswordPolicy.Check(in.Password); err != nil {
			v.add("password", "%s", ErrorArg(err))
		}
	}
	if err := v.err("name", "account_type", "expires_at", "max_uses", "password"); err != nil {
		return nil, err
	}
	if l.Groups, err = a.groupIDs(ctx, org, in.Groups); err != nil {
		return nil, err
	}
	if !ScopeOf(ctx).hasGroups(l.Groups) { // a group admin's links sign up into their groups
		return nil, errNoGroup
	}
	if in.Password != "" {
		if l.PasswordHash, err = HashPassword(a.Rand, a.Hash, in.Password); err != nil {
			return nil, err
		}
		l.HasPassword = true
	}
	token, err := a.NewToken()
	if err != nil {
		return nil, err
	}
	l.TokenHash = TokenHash(token)
	l.ID = a.newID()
	l.CreatedAt = a.now()
	l.UpdatedAt = l.CreatedAt
	ctx = a.audit(ctx, org.ID, "invite_link.create", linkTarget(l), "account type "+l.AccountType)
	if err := a.Store.CreateInviteLink(ctx, l); err != nil {
		return nil, err
	}
	return &NewInviteLink{Link: l, Token: token}, nil
}

// InviteLinks lists the links of organization ref, newest first: for a
// group admin, the links into their groups.
func (a *App) InviteLinks(ctx context.Context, ref string) ([]*InviteLink, error) {
	org, s, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	links, err := a.Store.InviteLinks(ctx, org.ID)
	out := links[:0]
	for _, l := range links {
		if s.hasGroups(l.Groups) {
			out = append(out, l)
		}
	}
	return out, err
}

// InviteLink returns one link of organization ref. Errors: ENOTFOUND,
// EFORBIDDEN (not into a group admin's groups).
func (a *App) InviteLink(ctx context.Context, ref, id string) (*InviteLink, error) {
	_, l, err := a.scopedLink(ctx, ref, id)
	return l, err
}

// scopedLink is link id of organization ref, if the actor's scope reaches
// every group it signs people up into.
func (a *App) scopedLink(ctx context.Context, ref, id string) (*Organization, *InviteLink, error) {
	org, s, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	l, err := a.Store.InviteLink(ctx, org.ID, id)
	if err != nil {
		return nil, nil, err
	}
	if !s.hasGroups(l.Groups) {
		return nil, nil, errNotYourGrp
	}
	return org, l, nil
}

// RevokeInviteLink withdraws a link: its address stops working at once; it
// stays in the list with its use count. Errors: ENOTFOUND.
func (a *App) RevokeInviteLink(ctx context.Context, ref, id string) (*InviteLink, error) {
	org, _, err := a.scopedLink(ctx, ref, id)
	if err != nil {
		return nil, err
	}
	now := a.now()
	if ctx, err = a.auditLink(ctx, org, id, "invite_link.revoke", "withdrawn"); err != nil {
		return nil, err
	}
	return a.Store.ChangeInviteLink(ctx, org.ID, id, func(l *InviteLink) error {
		if l.RevokedAt == nil {
			l.RevokedAt, l.UpdatedAt = &now, now
		}
		return nil
	})
}

// RenewInviteLink gives a link a new address (token); the old address stops
// working. Use it when the address was lost or leaked. A withdrawn link
// stays withdrawn. Errors: ENOTFOUND.
func (a *App) RenewInviteLink(ctx context.Context, ref, id string) (*NewInviteLink, error) {
	org, _, err := a.scopedLink(ctx, ref, id)
	if err != nil {
		return nil, err
	}
	token, err := a.NewToken()
	if err != nil {
		return nil, err
	}
	now := a.now()
	if ctx, err = a.auditLink(ctx, org, id, "invite_link.renew", "new address; the old one stopped working"); err != nil {
		return nil, err
	}
	l, err := a.Store.ChangeInviteLink(ctx, org.ID, id, func(l *InviteLink) error {
		l.TokenHash, l.UpdatedAt = TokenHash(token), now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &NewInviteLink{Link: l, Token: token}, nil
}

// DeleteInviteLink removes a link from the list. Errors: ENOTFOUND.
func (a *App) DeleteInviteLink(ctx context.Context, ref, id string) error {
	org, _, err := a.scopedLink(ctx, ref, id)
	if err != nil {
		return err
	}
	if ctx, err = a.auditLink(ctx, org, id, "invite_link.delete", ""); err != nil {
		return err
	}
	return a.Store.DeleteInviteLink(ctx, org.ID, id)
}

// CheckInviteLinkToken reports whether token is the current token of link
// id, so that a QR code or poster is only made for a working address.
// Errors: ENOTFOUND, EINVALID.
func (a *App) CheckInviteLinkToken(ctx context.Context, ref, id, token string) (*InviteLink, error) {
	l, err := a.InviteLink(ctx, ref, id)
	if err != nil {
		return nil, err
	}
	if token == "" || TokenHash(token) != l.TokenHash {
		return nil, FieldError(EINVALID, "token", "This is not the link's current address; give the link a new address to get one.")
	}
	return l, nil
}
