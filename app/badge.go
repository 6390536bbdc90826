package app

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
)

// Sign-in badges (issue 15): a printed QR code per person that signs them
// in to the portal on Rollcall's own scan page, with a short PIN for the
// account types that ask for one (Entra's QR + PIN model).
//
// The code is BadgePrefix and a 160-bit secret in base32: not a URL, so a
// phone camera that photographs a badge opens nothing; only the school's
// /signin page sends it. Only its SHA-256 is stored, and it is looked up by
// that hash: no password hash is computed for a badge, so a class signing
// in at once is fast. The PIN is stored as an argon2id hash.

// BadgePrefix starts every badge code; the version lets a later format
// be told apart.
const BadgePrefix = "RCB1:"

// Badge rules of an account type (Organization.Badges).
const (
	BadgeOff     = ""          // no badges
	BadgeOnly    = "badge"     // the badge alone signs in
	BadgeWithPIN = "badge_pin" // the badge and the person's PIN
)

// BadgePINDigits is the length of a generated badge PIN.
const BadgePINDigits = 6

// badgeSecretBytes is the badge secret's size: 160 bits (≥ 128, ASVS 6.5.2).
const badgeSecretBytes = 20

var badgeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// BadgeMode is the organization's badge rule for an account type.
func (o *Organization) BadgeMode(accountType string) string { return o.Badges[accountType] }

// validateBadges checks the badge rules: known account types, known rules.
func (o *Organization) validateBadges(v validation) {
	for t, m := range o.Badges {
		if !o.HasAccountType(t) {
			v.add("badges", "The account type %q does not exist here.", t)
		} else if m != BadgeOnly && m != BadgeWithPIN {
			v.add("badges", "The badge rule of %q must be %q or %q.", t, BadgeOnly, BadgeWithPIN)
		}
	}
}

// cleanBadges drops the account types without badges.
func cleanBadges(m map[string]string) map[string]string {
	out := map[string]string{}
	for t, mode := range m {
		if mode = Key(mode); mode != BadgeOff {
			out[Key(t)] = mode
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// BadgeCodeHash returns the SHA-256 of a scanned or typed badge code, or
// "" when it is not a badge code. Scanners may type in capitals or add
// spaces; both are forgiven.
func BadgeCodeHash(code string) string {
	code = strings.ToUpper(strings.Join(strings.Fields(code), ""))
	secret, ok := strings.CutPrefix(code, BadgePrefix)
	if !ok {
		return ""
	}
	b, err := badgeEncoding.DecodeString(secret)
	if err != nil || len(b) != badgeSecretBytes {
		return ""
	}
	return TokenHash(BadgePrefix + secret)
}

// newBadgeCode returns a new badge code from a.Rand.
func (a *App) newBadgeCode() (string, error) {
	b := make([]byte, badgeSecretBytes)
	if _, err := io.ReadFull(a.Rand, b); err != nil {
		return "", err
	}
	return BadgePrefix + badgeEncoding.EncodeToString(b), nil
}

// newBadgePIN returns BadgePINDigits random digits.
func (a *App) newBadgePIN() (string, error) {
	var sb strings.Builder
	for range BadgePINDigits {
		n, err := randIntn(a.Rand, 10)
		if err != nil {
			return "", err
		}
		sb.WriteByte(byte('0' + n))
	}
	return sb.String(), nil
}

func randIntn(r io.Reader, n int64) (int64, error) {
	v, err := rand.Int(r, big.NewInt(n))
	if err != nil {
		return 0, err
	}
	return v.Int64(), nil
}

// IssuedBadge is a badge just made: its code and PIN exist only in this
// answer (the printed badge), never in the file.
type IssuedBadge struct {
	User   *User    `json:"user"`
	Groups []string `json:"groups"` // names
	Code   string   `json:"code"`
	// PIN is set when the person's account type signs in with badge + PIN.
	PIN string `json:"pin,omitempty"`
}

// IssuedBadges is the result of IssueBadges, for the badge PDF.
type IssuedBadges struct {
	Org    *Organization `json:"organization"`
	Badges []IssuedBadge `json:"badges"`
	// Skipped counts the people selected whose account type has no badges.
	Skipped int `json:"skipped"`
}

// BadgeSelection names whose badges a use case acts on: one person, the
// members of one group, or (neither) the whole organization.
type BadgeSelection struct {
	User  string `json:"user,omitempty"`  // user ID
	Group string `json:"group,omitempty"` // group ID or name
	// OnlyMissing, for IssueBadges: only people who have no badge yet;
	// the others keep theirs.
	OnlyMissing bool `json:"only_missing,omitempty"`
}

// badgeScope checks the actor may act on the selection's badges (a
// person: a group admin of one of their groups; a group: its admin; the
// whole organization: its admins) and returns what the store selects.
func (a *App) badgeScope(ctx context.Context, ref string, sel BadgeSelection) (*Organization, UserSelection, AuditTarget, error) {
	switch {
	case sel.User != "":
		org, _, u, err := a.scopedUser(ctx, ref, sel.User)
		if err != nil {
			return nil, UserSelection{}, AuditTarget{}, err
		}
		return org, UserSelection{IDs: []string{u.ID}}, personTarget(u), nil
	case sel.Group != "":
		org, g, err := a.scopedGroup(ctx, ref, sel.Group)
		if err != nil {
			return nil, UserSelection{}, AuditTarget{}, err
		}
		return org, UserSelection{Filter: &UserFilter{Group: g.ID}}, groupTarget(g), nil
	}
	org, err := a.Organization(ctx, ref) // its admins only
	if err != nil {
		return nil, UserSelection{}, AuditTarget{}, err
	}
	return org, UserSelection{Filter: &UserFilter{}}, orgTarget(org), nil
}

// IssueBadges makes a new badge for each selected person whose account
// type has badges (their old badge stops working), with a PIN where the
// rule asks for one, in one transaction with one audit entry. Errors:
// ENOTFOUND, EFORBIDDEN, EINVALID (nobody selected may have a badge).
func (a *App) IssueBadges(ctx context.Context, ref string, sel BadgeSelection) (*IssuedBadges, error) {
	org, us, target, err := a.badgeScope(ctx, ref, sel)
	if err != nil {
		return nil, err
	}
	out := &IssuedBadges{Org: org, Badges: []IssuedBadge{}}
	// Codes and PIN hashes are made outside the write: a PIN hash is slow.
	// The candidates are read first, the write checks each is unchanged.
	type fresh struct{ code, hash, pin, pinHash string }
	made := map[string]fresh{}
	now := a.now()
	prepare := func(u *User) (fresh, error) {
		code, err := a.newBadgeCode()
		if err != nil {
			return fresh{}, err
		}
		f := fresh{code: code, hash: BadgeCodeHash(code)}
		if org.BadgeMode(u.AccountType) == BadgeWithPIN {
			if f.pin, err = a.newBadgePIN(); err != nil {
				return fresh{}, err
			}
			if f.pinHash, err = HashPassword(a.Rand, a.Hash, f.pin); err != nil {
				return fresh{}, err
			}
		}
		return f, nil
	}
	// A read-only pass finds who gets a badge (a check that refuses ends it).
	var wanted []*User
	had := 0
	_, err = a.Store.ChangeSelectedUsers(ctx, org.ID, us, nil, func(u *User) (UserVerdict, error) {
		switch {
		case org.BadgeMode(u.AccountType) == BadgeOff:
			out.Skipped++
		case sel.OnlyMissing && u.BadgeHash != "":
			had++
		default:
			c := *u
			wanted = append(wanted, &c)
		}
		return UserSkip, nil
	})
	if err != nil {
		return nil, err
	}
	for _, u := range wanted {
		f, err := prepare(u)
		if err != nil {
			return nil, err
		}
		made[u.ID] = f
	}
	var people []string
	for _, u := range wanted {
		people = append(people, u.ID)
	}
	if len(wanted) == 0 {
		if had > 0 {
			return nil, Errorf(ECONFLICT, "Everybody here who may have a badge has one already.")
		}
		return nil, Errorf(EINVALID, "Nobody here may have a badge: allow badges for their account type in the organization's settings first.")
	}
	detail := fmt.Sprintf("%d new badges", len(wanted))
	if len(wanted) == 1 {
		detail = "new badge"
	}
	actx := a.audit(ctx, org.ID, "badge.issue", target, detail, people...)
	var written []*User
	_, err = a.Store.ChangeSelectedUsers(actx, org.ID, UserSelection{IDs: people}, nil, func(u *User) (UserVerdict, error) {
		f, ok := made[u.ID]
		if !ok || org.BadgeMode(u.AccountType) == BadgeOff {
			return UserSkip, nil
		}
		u.BadgeHash, u.BadgePINHash = f.hash, f.pinHash
		if org.BadgeMode(u.AccountType) != BadgeWithPIN {
			u.BadgePINHash = ""
		}
		t := now
		u.BadgeIssued, u.UpdatedAt = &t, now
		c := *u
		written = append(written, &c)
		return UserWrite, nil
	})
	if err != nil {
		return nil, err
	}
	groups := map[string]string{}
	for _, u := range written {
		f := made[u.ID]
		b := IssuedBadge{User: u, Code: f.code, Groups: []string{}}
		if u.BadgePINHash != "" {
			b.PIN = f.pin
		}
		for _, id := range u.Groups {
			if _, ok := groups[id]; !ok {
				if g, err := a.Store.Group(ctx, org.ID, id); err == nil {
					groups[id] = g.Name
				}
			}
			if n := groups[id]; n != "" {
				b.Groups = append(b.Groups, n)
			}
		}
		out.Badges = append(out.Badges, b)
	}
	byName := CompareNames(org.Language)
	slices.SortStableFunc(out.Badges, func(x, y IssuedBadge) int { return byName(x.User, y.User) })
	return out, nil
}

// VoidBadges takes away the badges of the selection (one person: revoke;
// a class; the whole organization at year end) in one transaction with
// one audit entry, and returns how many were voided. A voided badge then
// answers as an unknown one. Errors: ENOTFOUND, EFORBIDDEN.
func (a *App) VoidBadges(ctx context.Context, ref string, sel BadgeSelection) (int, error) {
	org, us, target, err := a.badgeScope(ctx, ref, sel)
	if err != nil {
		return 0, err
	}
	now := a.now()
	var people []string
	n := 0
	// The entry names the people voided: they are counted in the write, and
	// the entry (written in the same transaction) is amended before it ends.
	actx := a.audit(ctx, org.ID, "badge.void", target, "no badges to void")
	_, err = a.Store.ChangeSelectedUsers(actx, org.ID, us, func(int) error { return nil }, func(u *User) (UserVerdict, error) {
		if u.BadgeHash == "" {
			return UserSkip, nil
		}
		u.BadgeHash, u.BadgePINHash, u.BadgeIssued, u.UpdatedAt = "", "", nil, now
		n++
		people = append(people, u.ID)
		amendAudit(actx, func(e *AuditEntry) {
			e.People = append([]string(nil), people...)
			e.Detail = fmt.Sprintf("%d badges voided", n)
			if n == 1 {
				e.Detail = "badge voided"
			}
		})
		return UserWrite, nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// BadgeSignIn is a badge held up to the scan page (or typed by a scanner).
type BadgeSignIn struct {
	Code string
	PIN  string
	// Client and Previous as in SignIn.
	Client   string
	Previous string
}

// errBadge is the one answer for an unknown, voided or malformed badge, and
// for one whose account type no longer has badges: the same message and
// status, so a scan tells nothing about which badges exist.
var errBadge = Errorf(EUNAUTHORIZED, "This badge does not work. Ask your teacher for a new one.")

// errBadgePIN asks for the PIN of a badge whose account type needs one.
var errBadgePIN = FieldError(EBADGEPIN, "pin", "Type your PIN.")

var errWrongPIN = FieldError(EUNAUTHORIZED, "pin", "The PIN is wrong.")

// SignInWithBadge signs a person in to the portal with a badge: exactly as
// a password sign-in ends (a new session, the sign-in audit entry), and the
// session then obeys UserBySession's rules. A badge is found by its
// SHA-256: no password hash is computed unless the account type asks for a
// PIN. Failures count under the sign-in limits (signinlimit.go): a badge
// that does not work counts against the client address; a wrong PIN
// against the address and the account, with its growing delays. Errors:
// EUNAUTHORIZED, EBADGEPIN (the PIN is needed), EFORBIDDEN (pending,
// deactivated), ETOOMANY.
func (a *App) SignInWithBadge(ctx context.Context, in BadgeSignIn) (*MyAccount, *SignedIn, error) {
	if in.Previous != "" {
		if err := a.Store.DeleteSession(ctx, TokenHash(in.Previous)); err != nil {
			return nil, nil, err
		}
	}
	g := a.SignIns
	ip, err := g.begin(ctx, "ip:"+in.Client)
	if err != nil {
		return nil, nil, err
	}
	defer ip.end(ctx)
	var u *User
	if h := BadgeCodeHash(in.Code); h != "" {
		if u, err = a.Store.UserByBadge(ctx, h); ErrorCode(err) == ENOTFOUND {
			u = nil
		} else if err != nil {
			return nil, nil, err
		}
	}
	var org *Organization
	if u != nil {
		if org, err = a.Store.Organization(ctx, u.OrgID); err != nil {
			return nil, nil, err
		}
	}
	if u == nil || org.BadgeMode(u.AccountType) == BadgeOff {
		ip.failed = true
		return nil, nil, errBadge
	}
	acctKey := "account:" + u.ID
	if org.BadgeMode(u.AccountType) == BadgeWithPIN {
		if u.BadgePINHash == "" { // made before the rule asked for a PIN
			ip.failed = true
			return nil, nil, errBadge
		}
		if in.PIN == "" {
			return nil, nil, errBadgePIN
		}
		acct, err := g.begin(ctx, acctKey)
		if err != nil {
			return nil, nil, err
		}
		defer acct.end(ctx)
		if ok, _ := VerifyPassword(u.BadgePINHash, in.PIN, a.Hash); !ok {
			ip.failed, acct.failed = true, true
			return nil, nil, errWrongPIN
		}
	}
	if err := signInRefusal(u.Status); err != nil {
		return nil, nil, err
	}
	// A right PIN forgives the account's failures, as a right password does.
	// The browser is not made a known device: that shields a password
	// against guessers elsewhere, and costs a write a class cannot wait for.
	out := &SignedIn{client: in.Client}
	if org.BadgeMode(u.AccountType) == BadgeWithPIN {
		g.forgive(ctx, acctKey)
	}
	actx := a.audit(WithActor(ctx, PersonActor(u)), u.OrgID, "person.sign_in", personTarget(u), "signed in with a badge")
	if out.Token, err = a.startSessionNoting(actx, SessionUser, u.ID, UserSessionTTL, out); err != nil {
		return nil, nil, err
	}
	acc, err := a.myAccount(ctx, u)
	if err == nil && u.MustChangePassword {
		acc = acc.untilNewPassword()
	}
	return acc, out, err
}

// BadgeStore finds a person by their badge.
type BadgeStore interface {
	// UserByBadge returns the user whose badge code has this SHA-256
	// (BadgeCodeHash); ENOTFOUND if none.
	UserByBadge(ctx context.Context, hash string) (*User, error)
}
