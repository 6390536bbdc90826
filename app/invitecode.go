package app

import (
	"context"
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

// usable returns nil when the code may be used at now, else an error for
// the person signing up. A code that is disabled, expired or used up says
// so: the person holds the right code, there is nothing to hide.
func (c *InviteCode) usable(now time.Time) error {
	switch {
	case c.Disabled:
		return Errorf(EFORBIDDEN, "The code %s is switched off. Ask your teacher or IT staff for a new one.", c.Display())
	case c.ExpiresAt != nil && !now.Before(*c.ExpiresAt):
		return Errorf(EFORBIDDEN, "The code %s has expired. Ask your teacher or IT staff for a new one.", c.Display())
	case c.MaxUses > 0 && c.Uses >= c.MaxUses:
		return Errorf(EFORBIDDEN, "The code %s has been used as often as it may be. Ask your teacher or IT staff for a new one.", c.Display())
	}
	return nil
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
	// PutInviteCode stores c as its owner's code. When old is not "" the
	// code old is removed in the same transaction (a regeneration). ECONFLICT
	// when c.Code belongs to another owner.
	PutInviteCode(ctx context.Context, c *InviteCode, old string) error
}

// codeOwner resolves organization ref and, when group is not "", its group.
func (a *App) codeOwner(ctx context.Context, ref, group string) (*Organization, *Group, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	if group == "" {
		return org, nil, nil
	}
	g, err := a.group(ctx, org, group)
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
// its groups, creating it on first use. Errors: ENOTFOUND.
func (a *App) InviteCodeOf(ctx context.Context, ref, group string) (*InviteCode, error) {
	org, g, err := a.codeOwner(ctx, ref, group)
	if err != nil {
		return nil, err
	}
	c, err := a.Store.InviteCodeOf(ctx, org.ID, groupIDOf(g))
	if ErrorCode(err) != ENOTFOUND {
		return c, err
	}
	now := a.now()
	c = &InviteCode{OrgID: org.ID, GroupID: groupIDOf(g), CreatedAt: now, UpdatedAt: now}
	if err := a.putNewCode(ctx, c, ""); err != nil {
		return nil, err
	}
	return c, nil
}

// putNewCode gives c a fresh code and stores it; a collision (one in 2^40
// per existing code) is retried.
func (a *App) putNewCode(ctx context.Context, c *InviteCode, old string) error {
	for try := 0; ; try++ {
		code, err := GenerateCode(a.Rand)
		if err != nil {
			return err
		}
		c.Code = code
		err = a.Store.PutInviteCode(ctx, c, old)
		if ErrorCode(err) != ECONFLICT || try == 4 {
			return err
		}
	}
}

// InviteCodes lists the codes of organization ref: its own and one for
// every group, each made on first use.
func (a *App) InviteCodes(ctx context.Context, ref string) ([]*InviteCode, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	codes, err := a.Store.InviteCodes(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	groups, err := a.Store.Groups(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	if len(codes) == len(groups)+1 {
		return codes, nil
	}
	have := map[string]bool{}
	for _, c := range codes {
		have[c.GroupID] = true
	}
	owners := []string{""}
	for _, g := range groups {
		owners = append(owners, g.ID)
	}
	for _, id := range owners {
		if !have[id] {
			if _, err := a.InviteCodeOf(ctx, org.ID, id); err != nil {
				return nil, err
			}
		}
	}
	return a.Store.InviteCodes(ctx, org.ID)
}

// RegenerateInviteCode replaces the code of the organization or group with a
// new one; the old code stops working at once and the use count starts
// again. Its other settings stay. Errors: ENOTFOUND.
func (a *App) RegenerateInviteCode(ctx context.Context, ref, group string) (*InviteCode, error) {
	c, err := a.InviteCodeOf(ctx, ref, group)
	if err != nil {
		return nil, err
	}
	old := c.Code
	c.Uses = 0
	c.UpdatedAt = a.now()
	if err := a.putNewCode(ctx, c, old); err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateInviteCode switches a code off or on, or changes its expiry, maximum
// uses or approval. Errors: ENOTFOUND, EINVALID.
func (a *App) UpdateInviteCode(ctx context.Context, ref, group string, upd InviteCodeUpdate) (*InviteCode, error) {
	c, err := a.InviteCodeOf(ctx, ref, group)
	if err != nil {
		return nil, err
	}
	if upd.Disabled != nil {
		c.Disabled = *upd.Disabled
	}
	if upd.ClearExpiry {
		c.ExpiresAt = nil
	} else if upd.ExpiresAt != nil {
		t := upd.ExpiresAt.UTC().Truncate(time.Second)
		if !t.After(a.now()) {
			return nil, FieldError(EINVALID, "expires_at", "The expiry must be in the future.")
		}
		c.ExpiresAt = &t
	}
	if upd.MaxUses != nil {
		if *upd.MaxUses < 0 || *upd.MaxUses > 100_000 {
			return nil, FieldError(EINVALID, "max_uses", "The maximum number of uses is between 0 (no limit) and 100,000.")
		}
		c.MaxUses = *upd.MaxUses
	}
	if upd.RequireApproval != nil {
		c.RequireApproval = *upd.RequireApproval
	}
	c.UpdatedAt = a.now()
	if err := a.Store.PutInviteCode(ctx, c, ""); err != nil {
		return nil, err
	}
	return c, nil
}
