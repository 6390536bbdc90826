package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Two-step sign-in for admins (issue 13): after the password, a 6-digit
// code from an authenticator app (TOTP, RFC 6238: HMAC-SHA1, 30-second
// steps, the parameters every app understands), or one of 10 recovery
// codes. The numbers are here.
const (
	// TOTPPeriod is the length of one time step.
	TOTPPeriod = 30 * time.Second
	// TOTPSkew steps before and after the current one are accepted too, for
	// phones whose clocks are a little off (RFC 6238 §5.2 recommends one).
	TOTPSkew = 1
	// PendingSignInTTL is how long the code may follow the password.
	PendingSignInTTL = 5 * time.Minute
	// TwoStepSetupTTL is how long a secret shown for setup may be confirmed.
	TwoStepSetupTTL = 30 * time.Minute
	// RecoveryCodeCount codes are made at a time, each RecoveryCodeLength
	// characters of Crockford's base32 (50 bits), shown once and kept hashed.
	RecoveryCodeCount  = 10
	RecoveryCodeLength = 10
	// TOTPIssuer names Rollcall in the authenticator app.
	TOTPIssuer = "Rollcall"
)

// SessionAdminPending is the kind of a pending sign-in: the password was
// right and the code has not come yet. No session check accepts it, so its
// token signs nobody in; it ends after PendingSignInTTL. SessionStaffPending
// is the same for a person with an admin role (it becomes a SessionStaff).
const (
	SessionAdminPending = "admin-pending"
	SessionStaffPending = "staff-pending"
)

// AdminTOTP is an admin's two-step record: the admin account's (Admin.TOTP)
// or a person's with an admin role (User.TOTP). The secret is sealed with
// the key file (as the relay password is), so a copy of the database alone
// cannot make codes.
type AdminTOTP struct {
	// Secret is the sealed base32 secret while two-step sign-in is on.
	Secret []byte `json:"secret,omitempty"`
	// LastStep is the time step of the last code accepted: a code of that
	// step or an earlier one is refused, so a code works once (RFC 6238 §5.2).
	LastStep int64 `json:"last_step,omitempty"`
	// Recovery holds the hashes of the recovery codes not used yet
	// (recoveryHash).
	Recovery []string `json:"recovery,omitempty"`
	// Pending is the sealed secret shown for setup and not yet confirmed
	// with a code; PendingAt is when it was made.
	Pending   []byte    `json:"pending,omitempty"`
	PendingAt time.Time `json:"pending_at,omitzero"`
}

// On reports whether two-step sign-in is on: a confirmed secret is kept.
func (t *AdminTOTP) On() bool { return len(t.Secret) > 0 }

// IsZero reports whether there is nothing to keep.
func (t *AdminTOTP) IsZero() bool {
	return len(t.Secret) == 0 && len(t.Pending) == 0 && len(t.Recovery) == 0 && t.LastStep == 0 && t.PendingAt.IsZero()
}

// changeTOTP reads and changes the two-step record of subject in one
// transaction: an admin account's is in its admin record, a person's with
// an admin role in their user record (so erasing them takes it along). fn
// is given the record and whether two-step sign-in is on, and may change
// both; its error is returned and nothing is written.
func (a *App) changeTOTP(ctx context.Context, subject *Admin, fn func(t *AdminTOTP, on *bool) error) error {
	if subject.Scope == nil {
		_, err := a.Store.ChangeAdmin(ctx, subject.ID, func(adm *Admin, _ int) error { return fn(&adm.TOTP, &adm.TwoStep) }, false)
		return err
	}
	_, err := a.Store.ChangeUser(ctx, subject.Scope.OrgID, subject.ID, func(u *User) error {
		if !u.HasAdminRole() {
			return errSignedOut
		}
		on := u.TOTP.On()
		if err := fn(&u.TOTP, &on); err != nil {
			return err
		}
		if !on {
			u.TOTP.Secret, u.TOTP.Recovery, u.TOTP.LastStep = nil, nil, 0
		}
		return nil
	})
	return err
}

// twoStepSubject is the admin whose two-step record id names: an admin
// account, else a person with an admin role. Errors: ENOTFOUND.
func (a *App) twoStepSubject(ctx context.Context, id string) (*Admin, error) {
	adm, err := a.Store.Admin(ctx, id)
	if ErrorCode(err) != ENOTFOUND {
		return adm, err
	}
	adm, err = a.staffAdmin(ctx, id)
	if err == errSignedOut {
		return nil, Errorf(ENOTFOUND, "There is no such admin.")
	}
	return adm, err
}

var errNotYourTwoStep = Errorf(EFORBIDDEN, "Only the admin themself can change their own two-step sign-in.")

// myTwoStep is the subject of a use case on one's own two-step sign-in:
// the signed-in admin themself (an admin account or a person with an admin
// role). A signed-in admin acting on someone else's is refused; the
// command line, which names nobody, may act on any.
func (a *App) myTwoStep(ctx context.Context, id string) (*Admin, error) {
	if act := ActorFrom(ctx); act.ID != "" && act.ID != id {
		return nil, errNotYourTwoStep
	}
	return a.twoStepSubject(ctx, id)
}

// totpOpts are the code parameters every authenticator app supports.
var totpOpts = totp.ValidateOpts{Period: uint(TOTPPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

var (
	errWrongCode     = FieldError(EUNAUTHORIZED, "code", "The code is wrong. Type the 6 digits your authenticator app shows now, or one of your recovery codes.")
	errCodeUsed      = FieldError(EUNAUTHORIZED, "code", "This code was used already. Wait for the next one in your authenticator app.")
	errNoCode        = FieldError(EINVALID, "code", "Type the code from your authenticator app.")
	errPendingGone   = Errorf(EUNAUTHORIZED, "The sign-in took too long. Sign in again with your password.")
	errTwoStepSetup  = Errorf(ETWOSTEPSETUP, "Two-step sign-in is required for every admin: set it up first.")
	errNoTwoStep     = Errorf(ECONFLICT, "Two-step sign-in is not on for this admin.")
	errNoKeyForTOTP  = Errorf(ECONFLICT, "The two-step secret cannot be read: this computer's key file is missing or different. Ask another admin to turn two-step sign-in off for you, then set it up again.")
	errNoKeyFile     = Errorf(ECONFLICT, "No key file is configured to protect the two-step secret.")
	errSecondFactor  = Errorf(ESECONDFACTOR, "Type the code from your authenticator app.")
	errTwoStepAlways = Errorf(ECONFLICT, "Two-step sign-in is already on. Turn it off first to set up another app.")
)

// normalizeOTP drops the spaces and dashes a person types in a code,
// upper-cases it, and reads the look-alike letters that recovery codes
// never hold (Crockford's base32) as the digits they resemble.
func normalizeOTP(code string) string {
	var b strings.Builder
	for _, r := range code {
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		switch r {
		case ' ', '-', '\t', '\u2010', '\u2011', '\u2013':
		case 'O':
			b.WriteByte('0')
		case 'I', 'L':
			b.WriteByte('1')
		default:
			b.WriteRune(r)
		}
		if b.Len() > 64 {
			break
		}
	}
	return b.String()
}

// matchTOTP returns the time step whose code is code, trying the steps
// around now (TOTPSkew); ok is false when none matches.
func matchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	if len(code) != int(otp.DigitsSix) {
		return 0, false
	}
	period := int64(TOTPPeriod / time.Second)
	cur := now.Unix() / period
	for s := cur - TOTPSkew; s <= cur+TOTPSkew; s++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*period, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			step, ok = s, true
		}
	}
	return step, ok
}

// recoveryHash is how a recovery code is kept: HMAC-SHA256 keyed with the
// admin's TOTP secret. A fast keyed hash, not argon2id: the codes are 50
// random bits (not chosen by a person, so no dictionary helps), guessing
// online is held back by the sign-in limits, and the key is sealed with
// the key file, so a copy of the database alone cannot test a single guess
// offline. A slow hash would cost up to 10 argon2id runs per attempt.
func recoveryHash(secret, code string) string {
	m := hmac.New(sha256.New, []byte(secret))
	io.WriteString(m, "rollcall recovery code\x00"+code)
	return hex.EncodeToString(m.Sum(nil))
}

// newRecoveryCodes makes RecoveryCodeCount codes, shown as XXXXX-XXXXX.
func newRecoveryCodes(rand io.Reader) ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	raw := make([]byte, RecoveryCodeLength)
	for i := range codes {
		if _, err := io.ReadFull(rand, raw); err != nil {
			return nil, err
		}
		var b strings.Builder
		for j, x := range raw {
			if j == RecoveryCodeLength/2 {
				b.WriteByte('-')
			}
			b.WriteByte(CodeAlphabet[x&31]) // 256 is a multiple of 32: uniform
		}
		codes[i] = b.String()
	}
	return codes, nil
}

// openSecret opens a sealed TOTP secret.
func (a *App) openSecret(sealed []byte) (string, error) {
	if a.Secrets == nil {
		return "", errNoKeyForTOTP
	}
	b, err := a.Secrets.Open(sealed)
	if err != nil {
		return "", errNoKeyForTOTP
	}
	return string(b), nil
}

// checkSecondFactor is the one check of a second factor: code is a TOTP
// code of the admin subject's app or one of their unused recovery codes.
// The code is used up in the same transaction that accepts it: a TOTP code
// by remembering its time step (no code of that step or an earlier one is
// accepted again), a recovery code by removing its hash. It returns what
// was used ("an authenticator code" or "a recovery code"), never the code.
// Callers count its EUNAUTHORIZED answers as failed sign-ins.
// Errors: EINVALID (no code), EUNAUTHORIZED (wrong or used), ECONFLICT.
func (a *App) checkSecondFactor(ctx context.Context, subject *Admin, code string) (string, error) {
	code = normalizeOTP(code)
	if code == "" {
		return "", errNoCode
	}
	now := a.now()
	used := ""
	err := a.changeTOTP(ctx, subject, func(t *AdminTOTP, on *bool) error {
		if !*on {
			return errNoTwoStep
		}
		secret, err := a.openSecret(t.Secret)
		if err != nil {
			return err
		}
		if step, ok := matchTOTP(secret, code, now); ok {
			if step <= t.LastStep {
				return errCodeUsed
			}
			t.LastStep, used = step, "an authenticator code"
			return nil
		}
		h := recoveryHash(secret, code)
		for i, r := range t.Recovery {
			if subtle.ConstantTimeCompare([]byte(r), []byte(h)) == 1 {
				t.Recovery = append(t.Recovery[:i:i], t.Recovery[i+1:]...)
				used = "a recovery code"
				return nil
			}
		}
		return errWrongCode
	})
	return used, err
}

// limitedSecondFactor is checkSecondFactor under the sign-in limits: a
// wrong code counts as a failed sign-in of the account (or of the known
// device) and of the client address, exactly like a wrong password, so
// guessing codes is held back as guessing passwords is. On success the
// account's failures are forgiven and the browser becomes known.
func (a *App) limitedSecondFactor(ctx context.Context, adm *Admin, code string, in SignIn) (string, *SignedIn, error) {
	g := a.SignIns
	ip, err := g.begin(ctx, "ip:"+in.Client)
	if err != nil {
		return "", nil, err
	}
	defer ip.end(ctx)
	acctKey, countKey := "account:"+adm.ID, "account:"+adm.ID
	device, err := a.knownDevice(ctx, in.Device, SessionAdmin, adm.ID)
	if err != nil {
		return "", nil, err
	}
	if device != "" {
		countKey = "device:" + device
	}
	acct, err := g.begin(ctx, countKey)
	if err != nil {
		return "", nil, err
	}
	defer acct.end(ctx)
	used, err := a.checkSecondFactor(ctx, adm, code)
	if ErrorCode(err) == EUNAUTHORIZED {
		ip.failed, acct.failed = true, true
	}
	if err != nil {
		return "", nil, err
	}
	out, err := a.signInSucceeded(ctx, in, SessionAdmin, adm.ID, acctKey, countKey)
	return used, out, err
}

// awaitSecondFactor answers a right password of an admin with two-step
// sign-in: no session yet, but a pending sign-in (its own short-lived
// token, kind SessionAdminPending, or SessionStaffPending for a person with
// an admin role) and ESECONDFACTOR.
func (a *App) awaitSecondFactor(ctx context.Context, adm *Admin, out *SignedIn) (*Admin, *SignedIn, error) {
	kind := SessionAdminPending
	if adm.Scope != nil {
		kind = SessionStaffPending
	}
	token, err := a.startSessionNoting(ctx, kind, adm.ID, PendingSignInTTL, out)
	if err != nil {
		return nil, nil, err
	}
	return adm, &SignedIn{Pending: token}, errSecondFactor
}

// SecondStep is the second request of a two-step sign-in.
type SecondStep struct {
	// Pending is the pending sign-in's token (SignedIn.Pending).
	Pending string
	Code    string
	Client  string
	Device  string
}

// CompleteSignIn finishes a two-step sign-in: the pending sign-in from the
// password and a code (checkSecondFactor, under the sign-in limits). The
// pending sign-in ends and a session starts, with one audit entry,
// admin.sign_in. A wrong code keeps the pending sign-in, so the code can be
// typed again until it expires. Errors: EUNAUTHORIZED (wrong or used code,
// or the pending sign-in expired), EINVALID, ETOOMANY, ECONFLICT.
func (a *App) CompleteSignIn(ctx context.Context, in SecondStep) (*Admin, *SignedIn, error) {
	s, err := a.session(ctx, in.Pending, SessionAdminPending, SessionStaffPending)
	if ErrorCode(err) == EUNAUTHORIZED {
		return nil, nil, errPendingGone
	} else if err != nil {
		return nil, nil, err
	}
	var adm *Admin
	kind := SessionAdmin
	if s.Kind == SessionStaffPending { // a person with an admin role: still active, still with a role
		kind = SessionStaff
		adm, err = a.staffAdmin(ctx, s.SubjectID)
	} else {
		adm, err = a.Store.Admin(ctx, s.SubjectID)
		if err == nil && adm.Disabled {
			err = errSignedOut
		}
	}
	if ErrorCode(err) == ENOTFOUND || err == errSignedOut {
		return nil, nil, errPendingGone
	} else if err != nil {
		return nil, nil, err
	}
	used, out, err := a.limitedSecondFactor(ctx, adm, in.Code, SignIn{Client: in.Client, Device: in.Device})
	if err != nil {
		return nil, nil, err
	}
	if err := a.Store.DeleteSession(ctx, s.Hash); err != nil {
		return nil, nil, err
	}
	ctx = a.audit(WithActor(ctx, AdminActor(adm)), adm.orgID(), "admin.sign_in", adminTarget(adm), "admin signed in with "+used)
	out.Token, err = a.startSessionNoting(ctx, kind, adm.ID, AdminSessionTTL, out)
	return adm, out, err
}

// SecuritySettings are the server-wide sign-in rules, kept in the database.
type SecuritySettings struct {
	// RequireTwoStep: every admin must use two-step sign-in; one without it
	// is sent to set it up right after the password, before anything else.
	RequireTwoStep bool `json:"require_two_step"`
}

// SecurityStore keeps the server-wide sign-in rules.
type SecurityStore interface {
	// SecuritySettings returns the rules (the zero value when none are stored).
	SecuritySettings(ctx context.Context) (*SecuritySettings, error)
	PutSecuritySettings(ctx context.Context, s *SecuritySettings) error
}

// Security returns the server-wide sign-in rules.
func (a *App) Security(ctx context.Context) (*SecuritySettings, error) {
	if err := RequireServerAdmin(ctx); err != nil { // admin accounts only (access.go)
		return nil, err
	}
	return a.Store.SecuritySettings(ctx)
}

// SetSecurity changes the server-wide sign-in rules. An admin who requires
// two-step sign-in for everyone must have it on themself first (so nobody
// locks themself into the setup screen by a click). Errors: ECONFLICT.
func (a *App) SetSecurity(ctx context.Context, s SecuritySettings) (*SecuritySettings, error) {
	if err := RequireServerAdmin(ctx); err != nil { // admin accounts only (access.go)
		return nil, err
	}
	if act := ActorFrom(ctx); s.RequireTwoStep && act.Kind == ActorAdmin && act.ID != "" {
		adm, err := a.Store.Admin(ctx, act.ID)
		if err != nil {
			return nil, err
		}
		if !adm.TwoStep {
			return nil, FieldError(ECONFLICT, "require_two_step", "Turn on two-step sign-in for your own account first (Settings → Your account).")
		}
	}
	detail := "two-step sign-in no longer required"
	if s.RequireTwoStep {
		detail = "two-step sign-in required for every admin"
	}
	ctx = a.audit(ctx, "", "security.update", AuditTarget{Kind: "server", Name: "sign-in rules"}, detail)
	if err := a.Store.PutSecuritySettings(ctx, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// twoStepGate refuses an admin without two-step sign-in while it is
// required for all: they may only set it up (ETWOSTEPSETUP).
func (a *App) twoStepGate(ctx context.Context, adm *Admin) error {
	if need, err := a.TwoStepSetupNeeded(ctx, adm); err != nil || !need {
		return err
	}
	return errTwoStepSetup
}

// TwoStepSetupNeeded reports whether the admin (an admin account or a
// person with an admin role) must set up two-step sign-in before doing
// anything else.
func (a *App) TwoStepSetupNeeded(ctx context.Context, adm *Admin) (bool, error) {
	if adm.TwoStep {
		return false, nil
	}
	s, err := a.Store.SecuritySettings(ctx)
	if err != nil {
		return false, err
	}
	return s.RequireTwoStep, nil
}

// TwoStepStatus is what an admin's settings show about two-step sign-in.
type TwoStepStatus struct {
	Enabled bool `json:"enabled"`
	// RecoveryCodesLeft counts the recovery codes not used yet.
	RecoveryCodesLeft int `json:"recovery_codes_left"`
	// Required: the server requires two-step sign-in for every admin.
	Required bool `json:"required"`
}

// TwoStepStatusOf returns the admin's two-step status.
func (a *App) TwoStepStatusOf(ctx context.Context, adminID string) (*TwoStepStatus, error) {
	adm, err := a.myTwoStep(ctx, adminID)
	if err != nil {
		return nil, err
	}
	s, err := a.Store.SecuritySettings(ctx)
	if err != nil {
		return nil, err
	}
	return &TwoStepStatus{Enabled: adm.TwoStep, RecoveryCodesLeft: len(adm.TOTP.Recovery), Required: s.RequireTwoStep}, nil
}

// TwoStepSetup is a new secret for an authenticator app: the otpauth://
// address (the transport shows it as a QR code) and the secret in text for
// typing in by hand. It is shown once, to its admin only.
type TwoStepSetup struct {
	Secret string `json:"secret"`
	URL    string `json:"url"`
}

// StartTwoStep makes a new TOTP secret for the admin and keeps it, sealed,
// until ConfirmTwoStep turns it on with a right code. Starting again
// replaces it. Errors: ECONFLICT (already on, or no key file).
func (a *App) StartTwoStep(ctx context.Context, adminID string) (*TwoStepSetup, error) {
	adm, err := a.myTwoStep(ctx, adminID)
	if err != nil {
		return nil, err
	}
	if a.Secrets == nil {
		return nil, errNoKeyFile
	}
	if adm.TwoStep {
		return nil, errTwoStepAlways
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: adm.Username, Period: totpOpts.Period,
		SecretSize: 20, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm, Rand: a.Rand})
	if err != nil {
		return nil, err
	}
	sealed, err := a.Secrets.Seal([]byte(key.Secret()))
	if err != nil {
		return nil, fmt.Errorf("seal the two-step secret: %w", err)
	}
	now := a.now()
	ctx = a.audit(ctx, adm.orgID(), "admin.two_step_setup", adminTarget(adm), "two-step sign-in setup started")
	err = a.changeTOTP(ctx, adm, func(t *AdminTOTP, on *bool) error {
		if *on {
			return errTwoStepAlways
		}
		t.Pending, t.PendingAt = sealed, now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &TwoStepSetup{Secret: key.Secret(), URL: key.URL()}, nil
}

// ConfirmTwoStep turns two-step sign-in on once code is right for the
// secret StartTwoStep made, and returns the recovery codes: shown this
// once, kept only hashed. Errors: EINVALID (wrong code, or no setup
// waiting), ECONFLICT.
func (a *App) ConfirmTwoStep(ctx context.Context, adminID, code string) ([]string, error) {
	adm, err := a.myTwoStep(ctx, adminID)
	if err != nil {
		return nil, err
	}
	code = normalizeOTP(code)
	codes, err := newRecoveryCodes(a.Rand)
	if err != nil {
		return nil, err
	}
	now := a.now()
	ctx = a.audit(ctx, adm.orgID(), "admin.two_step_on", adminTarget(adm), fmt.Sprintf("two-step sign-in turned on; %d recovery codes made", len(codes)))
	err = a.changeTOTP(ctx, adm, func(t *AdminTOTP, on *bool) error {
		switch {
		case *on:
			return errTwoStepAlways
		case len(t.Pending) == 0 || now.Sub(t.PendingAt) > TwoStepSetupTTL:
			return FieldError(EINVALID, "code", "This setup has expired. Start again to get a new QR code.")
		}
		secret, err := a.openSecret(t.Pending)
		if err != nil {
			return err
		}
		step, ok := matchTOTP(secret, code, now)
		if !ok {
			return FieldError(EINVALID, "code", "The code is wrong. Check that the app shows Rollcall and type the 6 digits it shows now.")
		}
		*t = AdminTOTP{Secret: t.Pending, LastStep: step, Recovery: hashCodes(secret, codes)}
		*on = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

func hashCodes(secret string, codes []string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = recoveryHash(secret, normalizeOTP(c))
	}
	return out
}

// NewRecoveryCodes replaces the admin's recovery codes after a right code
// (checkSecondFactor under the sign-in limits) and returns the new ones,
// shown once. Errors: as CompleteSignIn.
func (a *App) NewRecoveryCodes(ctx context.Context, adminID, code string, in SignIn) ([]string, error) {
	adm, err := a.myTwoStep(ctx, adminID)
	if err != nil {
		return nil, err
	}
	if _, _, err := a.limitedSecondFactor(ctx, adm, code, in); err != nil {
		return nil, err
	}
	codes, err := newRecoveryCodes(a.Rand)
	if err != nil {
		return nil, err
	}
	ctx = a.audit(ctx, adm.orgID(), "admin.recovery_codes", adminTarget(adm), fmt.Sprintf("%d new recovery codes made; the old ones stop working", len(codes)))
	err = a.changeTOTP(ctx, adm, func(t *AdminTOTP, on *bool) error {
		if !*on {
			return errNoTwoStep
		}
		secret, err := a.openSecret(t.Secret)
		if err != nil {
			return err
		}
		t.Recovery = hashCodes(secret, codes)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// TurnOffTwoStep turns two-step sign-in off for the admin ref (an ID or a
// username). The admin themself (actorID; an admin account or a person with
// an admin role) must give a right code, checked under the sign-in limits;
// a server admin, or the command line, may turn another admin account's
// off without one, for an admin who lost their phone and recovery codes
// (a person's is reset by ResetUserTwoStep). Errors: ENOTFOUND, ECONFLICT
// (not on), EFORBIDDEN, and as CompleteSignIn.
func (a *App) TurnOffTwoStep(ctx context.Context, actorID, ref, code string, in SignIn) (*Admin, error) {
	var adm *Admin
	if actorID != "" && actorID == ref {
		var err error
		if adm, err = a.myTwoStep(ctx, ref); err != nil {
			return nil, err
		}
	} else {
		if err := RequireServerAdmin(ctx); err != nil {
			return nil, err
		}
		id, err := a.adminID(ctx, ref)
		if err != nil {
			return nil, err
		}
		if adm, err = a.Store.Admin(ctx, id); err != nil {
			return nil, err
		}
	}
	if !adm.TwoStep {
		return nil, errNoTwoStep
	}
	detail := "two-step sign-in turned off by another admin"
	if actorID == adm.ID {
		if _, _, err := a.limitedSecondFactor(ctx, adm, code, in); err != nil {
			return nil, err
		}
		detail = "two-step sign-in turned off by the admin themself"
	}
	ctx = a.audit(ctx, adm.orgID(), "admin.two_step_off", adminTarget(adm), detail)
	if err := a.turnOffTwoStep(ctx, adm); err != nil {
		return nil, err
	}
	adm.TwoStep, adm.TOTP = false, AdminTOTP{}
	return adm, nil
}

// turnOffTwoStep forgets the admin's two-step record.
func (a *App) turnOffTwoStep(ctx context.Context, adm *Admin) error {
	return a.changeTOTP(ctx, adm, func(t *AdminTOTP, on *bool) error {
		if !*on {
			return errNoTwoStep
		}
		*t, *on = AdminTOTP{}, false
		return nil
	})
}

// ResetUserTwoStep turns two-step sign-in off for a person of organization
// ref who has an admin role and lost their phone and recovery codes: their
// organization's admin or a server admin does it, without a code (the
// person themself turns it off in Settings → Your account, with one).
// Errors: ENOTFOUND, EFORBIDDEN, ECONFLICT (not on).
func (a *App) ResetUserTwoStep(ctx context.Context, ref, id string) (*User, error) {
	org, err := a.Organization(ctx, ref) // the whole organization's admins (access.go)
	if err != nil {
		return nil, err
	}
	u, err := a.Store.User(ctx, org.ID, id)
	if err != nil {
		return nil, err
	}
	if ActorFrom(ctx).ID == u.ID {
		return nil, Errorf(EFORBIDDEN, "Turn your own two-step sign-in off in Settings → Your account, with a code.")
	}
	if !u.TOTP.On() {
		return nil, errNoTwoStep
	}
	ctx = a.audit(ctx, org.ID, "user.two_step_off", personTarget(u), "two-step sign-in turned off by an admin")
	return a.Store.ChangeUser(ctx, org.ID, id, func(u *User) error {
		if !u.TOTP.On() {
			return errNoTwoStep
		}
		u.TOTP = AdminTOTP{}
		return nil
	})
}
