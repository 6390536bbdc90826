package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// An invite code is what a teacher writes on the board or puts on the
// projector: 8 characters of Crockford's base32 (no I, L, O or U, so nothing
// reads as another character), shown as K7QM-3XRD and typed in any case,
// with or without the dash. 8 × 5 = 40 random bits; guessing is held back
// by the failed-attempt limits, not by the length alone.
//
// Every organization has one code and every group one more: the group code
// puts the person in the organization and the group.

// CodeAlphabet is Crockford's base32 alphabet.
const CodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// CodeLength is the number of characters of a code (40 bits).
const CodeLength = 8

// InviteCode is an organization's or a group's sign-up code.
type InviteCode struct {
	// Code is the normalized code: 8 upper-case characters without the dash.
	Code  string `json:"code"`
	OrgID string `json:"org_id"`
	// GroupID is empty for the organization's own code.
	GroupID  string `json:"group_id,omitempty"`
	Disabled bool   `json:"disabled"`
	// ExpiresAt, when set, is the moment the code stops working.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// MaxUses, when above 0, is how many sign-ups the code allows.
	MaxUses int `json:"max_uses"`
	// Uses counts the sign-ups made with this code (since it was last regenerated).
	Uses int `json:"uses"`
	// RequireApproval puts people who sign up with the code in the approval queue.
	RequireApproval bool      `json:"require_approval"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Display is the code as shown to people: K7QM-3XRD.
func (c *InviteCode) Display() string { return FormatCode(c.Code) }

// FormatCode groups a normalized code as XXXX-XXXX.
func FormatCode(code string) string {
	if len(code) != CodeLength {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// Why an invite code does not work; CodeWorks when it does.
const (
	CodeWorks        = ""
	CodeSignUpClosed = "signup_closed" // the organization's sign-up is switched off
	CodeDisabled     = "disabled"
	CodeExpired      = "expired"
	CodeUsedUp       = "used_up"
)

// State says whether the code of org works at now and, if not, why: the
// one rule that sign-up, the classroom's choices, the admin's pages and the
// command line all follow.
func (c *InviteCode) State(org *Organization, now time.Time) string {
	switch {
	case !org.SignUp.Enabled:
		return CodeSignUpClosed
	case c.Disabled:
		return CodeDisabled
	case c.ExpiresAt != nil && !now.Before(*c.ExpiresAt):
		return CodeExpired
	case c.MaxUses > 0 && c.Uses >= c.MaxUses:
		return CodeUsedUp
	}
	return CodeWorks
}

// StateText is State in words for the admin: "works", or "does not work: …".
func (c *InviteCode) StateText(org *Organization, now time.Time) string {
	switch c.State(org, now) {
	case CodeSignUpClosed:
		return "does not work: sign-up is switched off for " + org.Name + " (Settings → Sign-up)"
	case CodeDisabled:
		return "does not work: it is switched off"
	case CodeExpired:
		return "does not work: it expired on " + c.ExpiresAt.Local().Format("2006-01-02 15:04")
	case CodeUsedUp:
		return fmt.Sprintf("does not work: it has been used %d of %d times allowed", c.Uses, c.MaxUses)
	}
	return "works"
}

// usable returns nil when the code of org may be used at now, else an error
// for the person signing up. A code that is disabled, expired or used up
// says so: the person holds the right code, there is nothing to hide.
func (c *InviteCode) usable(org *Organization, now time.Time) error {
	switch c.State(org, now) {
	case CodeSignUpClosed:
		return Errorf(EFORBIDDEN, "Sign-up is closed at %s just now. Ask your teacher or IT staff.", org.Name)
	case CodeDisabled:
		return Errorf(EFORBIDDEN, "The code %s is switched off. Ask your teacher or IT staff for a new one.", c.Display())
	case CodeExpired:
		return Errorf(EFORBIDDEN, "The code %s has expired. Ask your teacher or IT staff for a new one.", c.Display())
	case CodeUsedUp:
		return Errorf(EFORBIDDEN, "The code %s has been used as often as it may be. Ask your teacher or IT staff for a new one.", c.Display())
	}
	return nil
}

// InviteCodeView is a code as the admin's pages and the command line show
// it, with what the classroom display polls for: uses, pending approvals,
// and whether the code works (State) and why not (StateText).
type InviteCodeView struct {
	*InviteCode
	CodeAddress
	Display string `json:"display"`
	// Name is the group's name, or the organization's for its code.
	Name          string `json:"name"`
	Organization  string `json:"organization"`
	SignUpEnabled bool   `json:"signup_enabled"`
	State         string `json:"state"`
	StateText     string `json:"state_text"`
	// Pending counts sign-ups waiting for approval: through this code, and in all.
	Pending      int `json:"pending"`
	PendingTotal int `json:"pending_total"`
}

// ViewInviteCode is c as shown to an admin; extra and base pick its
// address as for CodeAddress. Errors: ENOTFOUND.
func (a *App) ViewInviteCode(ctx context.Context, c *InviteCode, extra []string, base string) (*InviteCodeView, error) {
	org, err := a.Store.Organization(ctx, c.OrgID)
	if err != nil {
		return nil, err
	}
	now := a.now()
	v := &InviteCodeView{InviteCode: c, CodeAddress: a.CodeAddress(org, c, extra, base), Display: c.Display(),
		Name: org.Name, Organization: org.Name, SignUpEnabled: org.SignUp.Enabled,
		State: c.State(org, now), StateText: c.StateText(org, now)}
	if c.GroupID != "" {
		g, err := a.Group(ctx, org.ID, c.GroupID)
		if err != nil {
			return nil, err
		}
		v.Name = g.Name
	}
	if v.PendingTotal, v.Pending, err = a.PendingCount(ctx, org.ID, c.Code); err != nil {
		return nil, err
	}
	return v, nil
}

// NormalizeCode turns what a person typed into the stored form: spaces and
// dashes dropped, upper case. It refuses anything that is not 8 characters
// of the alphabet; the look-alike letters I, L, O and U never occur in a
// code, and the message says which digit was probably meant.
func NormalizeCode(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '-' || r == ' ' || r == '\t' || r == '\u2010' || r == '\u2011' || r == '\u2013':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		switch r {
		case 'O':
			return "", FieldError(EINVALID, "code", "Codes have no letter O: type the digit 0 (zero).")
		case 'I', 'L':
			return "", FieldError(EINVALID, "code", "Codes have no letter %c: type the digit 1 (one).", r)
		case 'U':
			return "", FieldError(EINVALID, "code", "Codes have no letter U: check the code and type it again.")
		}
		if r > 127 || strings.IndexRune(CodeAlphabet, r) < 0 {
			return "", FieldError(EINVALID, "code", "A code has only the letters A–Z and digits 0–9, like K7QM-3XRD.")
		}
		b.WriteRune(r)
		if b.Len() > CodeLength {
			break
		}
	}
	if b.Len() != CodeLength {
		return "", FieldError(EINVALID, "code", "A code has %d characters, like K7QM-3XRD.", CodeLength)
	}
	return b.String(), nil
}

// GenerateCode returns a new code: 40 bits from rand, 5 bits a character.
func GenerateCode(rand io.Reader) (string, error) {
	var raw [5]byte
	if _, err := io.ReadFull(rand, raw[:]); err != nil {
		return "", err
	}
	var n uint64
	for _, b := range raw {
		n = n<<8 | uint64(b)
	}
	out := make([]byte, CodeLength)
	for i := CodeLength - 1; i >= 0; i-- {
		out[i] = CodeAlphabet[n&31]
		n >>= 5
	}
	return string(out), nil
}

// InviteCodeUpdate holds the settings of a code that may change; nil stays.
// ClearExpiry removes the expiry.
type InviteCodeUpdate struct {
	Disabled        *bool      `json:"disabled"`
	ExpiresAt       *time.Time `json:"expires_at"`
	ClearExpiry     bool       `json:"clear_expiry"`
	MaxUses         *int       `json:"max_uses"`
	RequireApproval *bool      `json:"require_approval"`
}

// InviteCodeStore keeps invite codes under their normalized code, with an
// index from owner (organization, or organization and group) to code.
type InviteCodeStore interface {
	// InviteCode returns the code; ENOTFOUND if none.
	InviteCode(ctx context.Context, code string) (*InviteCode, error)
	// InviteCodeOf returns the code of the organization (groupID "") or of a group; ENOTFOUND if none.
	InviteCodeOf(ctx context.Context, orgID, groupID string) (*InviteCode, error)
	// InviteCodes returns every code of the organization.
	InviteCodes(ctx context.Context, orgID string) ([]*InviteCode, error)
	// EnsureInviteCode stores c as its owner's code unless the owner has
	// one already, in one transaction, and returns the owner's code.
	EnsureInviteCode(ctx context.Context, c *InviteCode) (*InviteCode, error)
	// ChangeInviteCode reads the owner's current code inside one
	// transaction, lets fn change its settings and writes it; the code and
	// its use count are kept as stored. ENOTFOUND if the owner has no code.
	ChangeInviteCode(ctx context.Context, orgID, groupID string, fn func(c *InviteCode) error) (*InviteCode, error)
	// RegenerateInviteCode replaces the owner's current code (read inside
	// the transaction) by code, its use count at 0, settings kept, and
	// removes the old code; it creates the code if the owner has none.
	// ECONFLICT when code belongs to another owner.
	RegenerateInviteCode(ctx context.Context, orgID, groupID, code string, now time.Time) (*InviteCode, error)
}

// codeOwner resolves organization ref and, when group is not "", its group.
// A group admin reaches their groups' codes only, not the organization's.
func (a *App) codeOwner(ctx context.Context, ref, group string) (*Organization, *Group, error) {
	if group == "" {
		org, err := a.Organization(ctx, ref)
		return org, nil, err
	}
	org, g, err := a.scopedGroup(ctx, ref, group)
	if err != nil {
		return nil, nil, err
	}
	return org, g, nil
}

func groupIDOf(g *Group) string {
	if g == nil {
		return ""
	}
	return g.ID
}

// InviteCodeOf returns the code of organization ref (group "") or of one of
// its groups. It only reads: every organization and group gets its code
// when it is made. Errors: ENOTFOUND.
func (a *App) InviteCodeOf(ctx context.Context, ref, group string) (*InviteCode, error) {
	org, g, err := a.codeOwner(ctx, ref, group)
	if err != nil {
		return nil, err
	}
	c, err := a.Store.InviteCodeOf(ctx, org.ID, groupIDOf(g))
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(ENOTFOUND, "There is no invite code here yet; make one with New code.")
	}
	return c, err
}

// ensureCode gives the owner a code unless it has one, in one transaction;
// a collision (one in 2^40 per existing code) is retried.
func (a *App) ensureCode(ctx context.Context, orgID, groupID string) (*InviteCode, error) {
	for try := 0; ; try++ {
		code, err := GenerateCode(a.Rand)
		if err != nil {
			return nil, err
		}
		now := a.now()
		c, err := a.Store.EnsureInviteCode(ctx, &InviteCode{Code: code, OrgID: orgID, GroupID: groupID, CreatedAt: now, UpdatedAt: now})
		if ErrorCode(err) != ECONFLICT || try == 4 {
			return c, err
		}
	}
}

// InviteCodes lists the codes of organization ref: its own and one for
// every group. It only reads.
func (a *App) InviteCodes(ctx context.Context, ref string) ([]*InviteCode, error) {
	org, s, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	codes, err := a.Store.InviteCodes(ctx, org.ID)
	out := codes[:0]
	for _, c := range codes {
		if c.GroupID == "" && s.whole() || c.GroupID != "" && s.hasGroup(c.GroupID) {
			out = append(out, c)
		}
	}
	return out, err
}

// RegenerateInviteCode replaces the code of the organization or group with a
// new one; the old code stops working at once and the use count starts
// again. Its other settings stay. Errors: ENOTFOUND.
func (a *App) RegenerateInviteCode(ctx context.Context, ref, group string) (*InviteCode, error) {
	org, g, err := a.codeOwner(ctx, ref, group)
	if err != nil {
		return nil, err
	}
	ctx = a.audit(ctx, org.ID, "invite_code.regenerate", codeTarget(org, g), "new code; the old one stopped working")
	for try := 0; ; try++ { // a collision is one in 2^40 per existing code
		code, err := GenerateCode(a.Rand)
		if err != nil {
			return nil, err
		}
		c, err := a.Store.RegenerateInviteCode(ctx, org.ID, groupIDOf(g), code, a.now())
		if ErrorCode(err) != ECONFLICT || try == 4 {
			return c, err
		}
	}
}

// UpdateInviteCode switches a code off or on, or changes its expiry, maximum
// uses or approval. Only these settings are written, onto the code as stored
// at that moment: its use count and the code itself are never written back
// from an older copy. Errors: ENOTFOUND, EINVALID.
func (a *App) UpdateInviteCode(ctx context.Context, ref, group string, upd InviteCodeUpdate) (*InviteCode, error) {
	org, g, err := a.codeOwner(ctx, ref, group)
	if err != nil {
		return nil, err
	}
	now := a.now()
	var expires *time.Time
	if !upd.ClearExpiry && upd.ExpiresAt != nil {
		t := upd.ExpiresAt.UTC().Truncate(time.Second)
		if !t.After(now) {
			return nil, FieldError(EINVALID, "expires_at", "The expiry must be in the future.")
		}
		expires = &t
	}
	if upd.MaxUses != nil && (*upd.MaxUses < 0 || *upd.MaxUses > 100_000) {
		return nil, FieldError(EINVALID, "max_uses", "The maximum number of uses is between 0 (no limit) and 100,000.")
	}
	if _, err := a.ensureCode(ctx, org.ID, groupIDOf(g)); err != nil { // a file from before codes were made with their owner
		return nil, err
	}
	ctx = a.audit(ctx, org.ID, "invite_code.update", codeTarget(org, g), "changed "+changedFields(upd))
	return a.Store.ChangeInviteCode(ctx, org.ID, groupIDOf(g), func(c *InviteCode) error {
		if upd.Disabled != nil {
			c.Disabled = *upd.Disabled
		}
		if upd.ClearExpiry {
			c.ExpiresAt = nil
		} else if expires != nil {
			c.ExpiresAt = expires
		}
		if upd.MaxUses != nil {
			c.MaxUses = *upd.MaxUses
		}
		if upd.RequireApproval != nil {
			c.RequireApproval = *upd.RequireApproval
		}
		c.UpdatedAt = now
		return nil
	})
}
