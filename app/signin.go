package app

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"time"
)

// credentials is an account as the sign-in check sees it.
type credentials struct {
	ID   string
	Hash string // "" when the account has no password
	// Refused is why an account that exists may not sign in (pending
	// approval, deactivated), or nil. It is told only to someone who gave the
	// right password, so it reveals nothing to a guesser, and spares a pupil
	// whose account is switched off from retyping a correct password.
	Refused error
	// Held, when set, is told when failures from elsewhere first hold the
	// account back (a mail to its owner).
	Held func()
	// SecondFactor: a right password does not finish the sign-in; a code
	// must follow (two-step sign-in, totp.go). Until it does, nothing is
	// forgiven and the browser does not become a known device.
	SecondFactor bool
}

// SignIn is one sign-in request: what was typed and where it came from.
type SignIn struct {
	Login    string
	Password string
	// Client is the client's address (an IPv4 address or an IPv6 /64).
	Client string
	// Device is the browser's known-device token (a cookie), or "".
	Device string
	// Previous is the session token the browser still had, or "": it ends
	// before the new one starts, so a sign-in always renews the session ID.
	Previous string
}

// SignedIn is what a successful sign-in hands back to the transport.
type SignedIn struct {
	// Token is the new session's secret.
	Token string
	// Device is the known-device token for this browser's cookie: the one
	// it sent when that was well-formed, else a new one.
	Device string
	// Failed counts the failed sign-ins from other places that this
	// success forgave, and FailedSince is the first of them; 0 when there
	// is nothing to tell the owner.
	Failed      int
	FailedSince time.Time
	// Pending is set instead of Token when the password was right and a
	// second factor must follow (ESECONDFACTOR): the secret of the short
	// pending sign-in that CompleteSignIn finishes.
	Pending string
	// client is the address the sign-in came from, kept with the session.
	client string
}

// signIn is the one password check behind every sign-in (admins and portal
// users). The rules and their numbers are in signinlimit.go: failures, not
// attempts, are counted per client address and per account (or per known
// device); a success forgives the account's failures and the device's,
// never the address's. A missing account is checked against a dummy hash
// (the same time). A hash made with weaker parameters is handed to rehash,
// already replaced.
//
// find returns the account for the Key login, ENOTFOUND if none. wrong is
// the one answer for every failure. kind is the device record's kind
// (SessionAdmin or SessionUser).
func (a *App) signIn(ctx context.Context, in SignIn, kind string, wrong error,
	find func(login string) (*credentials, error), rehash func(id, oldHash, newHash string) error) (string, *SignedIn, error) {
	if in.Previous != "" { // the session this sign-in renews ends, unrecorded
		if err := a.Store.DeleteSession(ctx, TokenHash(in.Previous)); err != nil {
			return "", nil, err
		}
	}
	g := a.SignIns
	ipKey := "ip:" + in.Client
	ip, err := g.begin(ctx, ipKey)
	if err != nil {
		return "", nil, err
	}
	defer ip.end(ctx)
	login := Key(in.Login)
	var c *credentials
	if login != "" && len(login) <= MaxEmailLength {
		if c, err = find(login); ErrorCode(err) == ENOTFOUND {
			c = nil
		} else if err != nil {
			return "", nil, err
		}
	}
	acctKey, device := loginKey(login), ""
	if c != nil {
		acctKey = "account:" + c.ID
		if device, err = a.knownDevice(ctx, in.Device, kind, c.ID); err != nil {
			return "", nil, err
		}
	}
	// A known device is held back only by its own failures.
	countKey := acctKey
	if device != "" {
		countKey = "device:" + device
	}
	acct, err := g.begin(ctx, countKey)
	if err != nil {
		return "", nil, err
	}
	if c != nil && countKey == acctKey {
		acct.onHeld = c.Held
	}
	defer acct.end(ctx)

	hash := dummyHash()
	if c != nil && c.Hash != "" {
		hash = c.Hash
	}
	ok, weak := VerifyPassword(hash, in.Password, a.Hash)
	if !ok || c == nil || c.Hash == "" {
		ip.failed, acct.failed = true, true
		return "", nil, wrong
	}
	if c.Refused != nil {
		return "", nil, c.Refused
	}
	if weak {
		h, err := HashPassword(a.Rand, a.Hash, in.Password)
		if err != nil {
			return "", nil, err
		}
		if err := rehash(c.ID, c.Hash, h); err != nil {
			return "", nil, err
		}
	}
	if c.SecondFactor {
		return c.ID, &SignedIn{client: in.Client}, nil
	}
	out, err := a.signInSucceeded(ctx, in, kind, c.ID, acctKey, countKey)
	return c.ID, out, err
}

// signInSucceeded ends a sign-in that passed every check: the account's
// (or device's) failures are forgiven and the browser becomes known.
func (a *App) signInSucceeded(ctx context.Context, in SignIn, kind, id, acctKey, countKey string) (*SignedIn, error) {
	out := &SignedIn{client: in.Client}
	forgiven := a.SignIns.forgive(ctx, acctKey, countKey)
	if forgiven.Count >= FreeFailures || (countKey != acctKey && forgiven.Count > 0) {
		out.Failed, out.FailedSince = forgiven.Count, forgiven.First
	}
	var err error
	out.Device, err = a.rememberDevice(ctx, in.Device, kind, id)
	return out, err
}

// loginKey counts the failures of a login that names no account. It is a
// hash, never the text: a pupil who types the password into the username
// box must not find it stored in the file or its backups.
func loginKey(login string) string { return "login:" + TokenHash(login) }

// KnownDeviceTTL is how long a browser stays known after a successful
// sign-in on it.
const KnownDeviceTTL = 180 * 24 * time.Hour

// deviceHash binds a browser's device token to one account: one browser
// (a shared classroom tablet) is known for each account signed in on it.
func deviceHash(token, kind, subject string) string {
	return TokenHash(token + "\x00" + kind + "\x00" + subject)
}

// validDeviceToken reports whether token looks like one NewToken made.
func validDeviceToken(token string) bool {
	b, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && len(b) == 32
}

// knownDevice returns the device's record hash when token marks this
// browser as one the account signed in on before; "" otherwise.
func (a *App) knownDevice(ctx context.Context, token, kind, subject string) (string, error) {
	if !validDeviceToken(token) {
		return "", nil
	}
	h := deviceHash(token, kind, subject)
	s, err := a.Store.Session(ctx, h)
	if ErrorCode(err) == ENOTFOUND {
		return "", nil
	} else if err != nil {
		return "", err
	}
	if s.Kind != deviceKind(kind) || s.SubjectID != subject || !a.now().Before(s.ExpiresAt) {
		return "", nil
	}
	return h, nil
}

// deviceKind is the session kind under which known devices are stored: no
// session check accepts it, so a device token signs nobody in.
func deviceKind(kind string) string { return "device-" + kind }

// rememberDevice marks this browser as known for the account after a
// successful sign-in and returns the token its cookie keeps.
func (a *App) rememberDevice(ctx context.Context, token, kind, subject string) (string, error) {
	if validDeviceToken(token) {
		if h, err := a.knownDevice(ctx, token, kind, subject); err != nil || h != "" {
			return token, err
		}
	} else {
		var err error
		if token, err = a.NewToken(); err != nil {
			return "", err
		}
	}
	now := a.now()
	s := &Session{Hash: deviceHash(token, kind, subject), Kind: deviceKind(kind), SubjectID: subject, CreatedAt: now, ExpiresAt: now.Add(KnownDeviceTTL)}
	return token, a.Store.CreateSession(ctx, s)
}

// SignInHold is an account held back by failed sign-ins, as admins see it.
type SignInHold struct {
	AccountID string `json:"account_id"`
	// Kind is "admin" or "user".
	Kind     string `json:"kind"`
	Username string `json:"username"`
	Name     string `json:"name,omitempty"`
	// Organization is the user's organization's slug ("" for an admin).
	Organization string    `json:"organization,omitempty"`
	Failures     int       `json:"failures"`
	Since        time.Time `json:"since"`
	Until        time.Time `json:"until"`
}

// SignInHolds lists the accounts held back by failed sign-ins now, longest
// held first. Browsers the owner signed in on before are not held.
func (a *App) SignInHolds(ctx context.Context) ([]SignInHold, error) {
	if err := RequireServerAdmin(ctx); err != nil {
		return nil, err
	}
	recs, err := a.SignIns.held(ctx)
	if err != nil {
		return nil, err
	}
	out := []SignInHold{}
	for _, r := range recs {
		h := SignInHold{AccountID: strings.TrimPrefix(r.Key, "account:"), Failures: r.Count,
			Since: r.First.UTC(), Until: r.heldUntil().UTC()}
		if adm, err := a.Store.Admin(ctx, h.AccountID); err == nil {
			h.Kind, h.Username = "admin", adm.Username
		} else if u, err := a.Store.User(ctx, "", h.AccountID); err == nil {
			h.Kind, h.Username, h.Name = "user", u.Username, strings.TrimSpace(u.FirstName+" "+u.LastName)
			if h.Username == "" {
				h.Username = u.Email
			}
			if org, err := a.Store.Organization(ctx, u.OrgID); err == nil {
				h.Organization = org.Slug
			}
		} else {
			continue // the account is gone
		}
		out = append(out, h)
	}
	slices.SortFunc(out, func(x, y SignInHold) int { return x.Since.Compare(y.Since) })
	return out, nil
}

// UnlockSignIn forgets the failed sign-ins of the account (an admin's or a
// user's ID), so that it may sign in again at once from anywhere. The
// client addresses' counts stay. Unlocking an account that is not held is
// not an error.
func (a *App) UnlockSignIn(ctx context.Context, accountID string) error {
	if err := RequireServerAdmin(ctx); err != nil {
		return err
	}
	if err := a.SignIns.loadOnce(ctx); err != nil {
		return err
	}
	ctx = a.audit(ctx, "", "signin.unlock", AuditTarget{Kind: "account", ID: accountID, Name: a.accountName(ctx, accountID)}, "failed sign-ins forgotten")
	a.SignIns.forgive(ctx, "account:"+accountID)
	return a.flushAudit(ctx)
}
