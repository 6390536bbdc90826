package app

import (
	"context"
	"time"
	"unicode/utf8"
)

// Admin is a person who runs Rollcall under `serve`: they sign in to the
// admin pages. (In the desktop window the person at the laptop is the admin.)
type Admin struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	// Name is how the UI and mails name the admin ("Ms Virtanen"); when
	// empty, the username stands in (DisplayName).
	Name         string    `json:"name,omitempty"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	// Disabled admins cannot sign in; they keep their name until deleted.
	Disabled bool `json:"disabled"`
	// Scope is what a person of an organization with an admin role may
	// reach (access.go); nil for a server admin. Never stored here.
	Scope *Scope `json:"scope,omitempty"`
	// TwoStep: after the password the admin types a code from an
	// authenticator app (totp.go).
	TwoStep bool `json:"two_step"`
	// TOTP holds the sealed secret and the hashed recovery codes; it never
	// leaves the server.
	TOTP AdminTOTP `json:"-"`
	// Identities are accounts at sign-in providers linked to this admin
	// account (Settings → Your account): each signs the admin in at the
	// admin sign-in (ssoadmin.go).
	Identities []Identity `json:"identities,omitempty"`
}

// DisplayName is the admin's name, or the username when none is set.
func (adm *Admin) DisplayName() string {
	if adm.Name != "" {
		return adm.Name
	}
	return adm.Username
}

// AdminPasswordPolicy is the rule for admin passwords: longer than a pupil's.
var AdminPasswordPolicy = PasswordPolicy{MinLength: 12, RequireLetter: true, RequireDigit: true}

// AdminStore keeps admins; usernames are unique by LoginKey.
type AdminStore interface {
	// CreateAdmin stores an admin; ECONFLICT when the username is taken, or
	// when onlyFirst is set and any admin exists already.
	CreateAdmin(ctx context.Context, adm *Admin, onlyFirst bool) error
	// Admin returns the admin with the ID; ENOTFOUND if none.
	Admin(ctx context.Context, id string) (*Admin, error)
	// AdminByUsername returns the admin whose username has this LoginKey; ENOTFOUND if none.
	AdminByUsername(ctx context.Context, username string) (*Admin, error)
	// CountAdmins returns how many admins exist.
	CountAdmins(ctx context.Context) (int, error)
	// UpdateAdmin replaces a stored admin.
	UpdateAdmin(ctx context.Context, adm *Admin) error
	// Admins returns every admin, oldest first.
	Admins(ctx context.Context) ([]*Admin, error)
	// ChangeAdmin reads the admin and the number of active (not disabled)
	// admins, calls fn on the admin, and writes it, in one transaction;
	// with endSessions every session of the admin ends in it too. fn's
	// error is returned and nothing is written. ENOTFOUND if no such admin.
	ChangeAdmin(ctx context.Context, id string, fn func(adm *Admin, active int) error, endSessions bool) (*Admin, error)
	// DeleteAdmin removes the admin, their name and their sessions in one
	// transaction, if check (given the admin and the number of active
	// admins) returns nil. ENOTFOUND if no such admin.
	DeleteAdmin(ctx context.Context, id string, check func(adm *Admin, active int) error) error
}

// CreateAdmin adds an admin. With first set it succeeds only while no admin
// exists (the first-run setup page). Errors: EINVALID, ECONFLICT.
func (a *App) CreateAdmin(ctx context.Context, username, password string, first bool) (*Admin, error) {
	if err := RequireServerAdmin(ctx); err != nil {
		return nil, err
	}
	return a.createAdmin(ctx, username, password, first, true)
}

// createAdmin is CreateAdmin, recorded in the audit log when audited is set.
func (a *App) createAdmin(ctx context.Context, username, password string, first, audited bool) (*Admin, error) {
	adm := &Admin{Username: CleanUsername(username)}
	v := validation{}
	if msg := CheckUsername(adm.Username); msg != "" {
		v.add("username", "%s", msg)
	}
	if err := CheckAdminPassword(password, adm.Username); err != nil {
		v.add("password", "%s", ErrorArg(err))
	}
	if err := v.err("username", "password"); err != nil {
		return nil, err
	}
	var err error
	if adm.PasswordHash, err = HashPassword(a.Rand, a.Hash, password); err != nil {
		return nil, err
	}
	adm.ID = a.newID()
	adm.CreatedAt = a.now()
	if audited {
		action := "admin.create"
		if first {
			// The first admin (`rollcall admin create` on a new file) acts for themself.
			action = "admin.setup"
		}
		ctx = a.audit(ctx, "", action, adminTarget(adm), "")
	}
	if err := a.Store.CreateAdmin(ctx, adm, first); err != nil {
		return nil, err
	}
	return adm, nil
}

// SetupNeeded reports whether no admin exists yet.
func (a *App) SetupNeeded(ctx context.Context) (bool, error) {
	n, err := a.Store.CountAdmins(ctx)
	return n == 0, err
}

// SignInAdmin checks an admin's username and password from the client
// address (see SignInAdminFrom) and starts a session; it returns the
// session's secret token.
func (a *App) SignInAdmin(ctx context.Context, username, password, client string) (*Admin, string, error) {
	adm, in, err := a.SignInAdminFrom(ctx, SignIn{Login: username, Password: password, Client: client})
	if err != nil {
		return nil, "", err
	}
	return adm, in.Token, nil
}

// SignInAdminFrom checks an admin's username and password (see signIn:
// failures limited per account, known device and client address) and starts
// a session. The session remembers the failed sign-ins from elsewhere that
// this success forgave, so the admin is told. Errors: EUNAUTHORIZED (wrong
// name or password; the same answer for both), ETOOMANY (too many failures).
func (a *App) SignInAdminFrom(ctx context.Context, in SignIn) (*Admin, *SignedIn, error) {
	return a.signInAdminFrom(ctx, in, "admin.sign_in", "admin signed in")
}

// SetUpFirstAdmin creates the first admin (CreateAdmin with first set) and
// signs them in: one audit entry, "admin.setup". Errors as CreateAdmin and
// SignInAdminFrom.
func (a *App) SetUpFirstAdmin(ctx context.Context, in SignIn) (*Admin, *SignedIn, error) {
	adm, err := a.createAdmin(ctx, in.Login, in.Password, true, false)
	if err != nil {
		return nil, nil, err
	}
	return a.signInAdminFrom(ctx, in, "admin.setup", "first admin set up and signed in; id "+adm.ID)
}

// signInAdminFrom is SignInAdminFrom with the audit entry's action and detail.
// An admin account signs in first; a login that names none may be a person
// with an admin role in their organization (access.go), who signs in with
// their own password to a staff session.
func (a *App) signInAdminFrom(ctx context.Context, in SignIn, action, detail string) (*Admin, *SignedIn, error) {
	person := false
	id, out, err := a.signIn(ctx, in, SessionAdmin, Errorf(EUNAUTHORIZED, "The username or password is wrong."),
		func(login string) (*credentials, error) {
			adm, err := a.Store.AdminByUsername(ctx, login)
			if ErrorCode(err) == ENOTFOUND {
				return a.staffCredentials(ctx, login, &person)
			} else if err != nil {
				return nil, err
			}
			c := &credentials{ID: adm.ID, Hash: adm.PasswordHash, SecondFactor: adm.TwoStep /* totp.go */}
			if adm.Disabled {
				c.Refused = Errorf(EFORBIDDEN, "This admin account is disabled. Ask another admin to enable it.")
			}
			return c, nil
		},
		func(id, oldHash, newHash string) error {
			if person {
				return a.rehashUser(ctx, id, oldHash, newHash)
			}
			adm, err := a.Store.Admin(ctx, id)
			if err != nil || adm.PasswordHash != oldHash {
				return err
			}
			adm.PasswordHash = newHash
			return a.Store.UpdateAdmin(ctx, adm)
		})
	if err != nil {
		return nil, nil, err
	}
	kind, ttl := SessionAdmin, AdminSessionTTL
	var adm *Admin
	if person {
		kind = SessionStaff
		adm, err = a.staffAdmin(ctx, id)
	} else {
		adm, err = a.Store.Admin(ctx, id)
	}
	if err != nil {
		return nil, nil, err
	}
	// Two-step sign-in (totp.go): the password only starts a pending
	// sign-in, which CompleteSignIn finishes with the code.
	if adm.TwoStep {
		return a.awaitSecondFactor(ctx, adm, out)
	}
	ctx = a.audit(WithActor(ctx, AdminActor(adm)), adm.orgID(), action, adminTarget(adm), detail)
	out.Token, err = a.startSessionNoting(ctx, kind, adm.ID, ttl, out)
	return adm, out, err
}

// staffCredentials are the credentials of a person with an admin role
// signing in to the admin UI; a person without one is not found (the same
// answer as a wrong name).
func (a *App) staffCredentials(ctx context.Context, login string, person *bool) (*credentials, error) {
	u, err := a.Store.UserByLogin(ctx, login)
	if err != nil {
		return nil, err
	}
	if !u.HasAdminRole() {
		return nil, Errorf(ENOTFOUND, "no admin role")
	}
	*person = true
	c := &credentials{ID: u.ID, Hash: u.PasswordHash, Refused: signInRefusal(u.Status), SecondFactor: u.TOTP.On() /* totp.go */}
	if c.Refused == nil {
		c.Refused = a.passwordSignInRefusal(ctx, u)
	}
	if c.Refused == nil && u.MustChangePassword {
		c.Refused = Errorf(EFORBIDDEN, "Choose a new password first: sign in at the sign-in page for people (/signin), then come back here.")
	}
	return c, nil
}

// staffAdmin is the admin a person with an admin role is while signed in:
// their name and the scope their roles give. Errors: errSignedOut when the
// person is gone, not active or has no admin role any more.
func (a *App) staffAdmin(ctx context.Context, id string) (*Admin, error) {
	u, err := a.Store.User(ctx, "", id)
	if ErrorCode(err) == ENOTFOUND || err == nil && (u.Status != StatusActive || !u.HasAdminRole()) {
		return nil, errSignedOut
	} else if err != nil {
		return nil, err
	}
	adm := staffAdminOf(u)
	adm.TwoStep, adm.TOTP = u.TOTP.On(), u.TOTP // totp.go
	return adm, nil
}

// orgID is the organization a person-admin belongs to; "" for a server admin.
func (adm *Admin) orgID() string {
	if adm.Scope == nil {
		return ""
	}
	return adm.Scope.OrgID
}

// AdminBySession returns the admin whose session token this is.
// It is the gate of every admin action: while two-step sign-in is required
// for all admins, one without it may do nothing but set it up (totp.go).
// Errors: EUNAUTHORIZED (no such session, expired, or the admin is gone),
// ETWOSTEPSETUP.
func (a *App) AdminBySession(ctx context.Context, token string) (*Admin, error) {
	adm, _, err := a.AdminSession(ctx, token)
	if err == nil {
		err = a.twoStepGate(ctx, adm)
	}
	if err != nil {
		return nil, err
	}
	return adm, nil
}

// AdminSession returns the admin whose session token this is and the
// session (which carries the failed sign-ins to tell them of): an admin
// account, or a person with an admin role (their scope read afresh, so a
// role taken away or an account switched off ends what they may do at
// once). Errors: EUNAUTHORIZED (no such session, expired, or the admin is
// gone).
func (a *App) AdminSession(ctx context.Context, token string) (*Admin, *Session, error) {
	s, err := a.session(ctx, token, SessionAdmin, SessionStaff)
	if err != nil {
		return nil, nil, err
	}
	if s.Kind == SessionStaff {
		adm, err := a.staffAdmin(ctx, s.SubjectID)
		return adm, s, err
	}
	adm, err := a.Store.Admin(ctx, s.SubjectID)
	if ErrorCode(err) == ENOTFOUND || err == nil && adm.Disabled {
		return nil, nil, errSignedOut
	}
	return adm, s, err
}

// errLastAdmin refuses to leave Rollcall without an admin who can sign in.
var errLastAdmin = Errorf(ECONFLICT, "This is the last active admin: Rollcall needs at least one who can sign in. Add or enable another admin first.")

// Admins lists every admin (any signed-in admin may see them), oldest first.
func (a *App) Admins(ctx context.Context) ([]*Admin, error) {
	if err := RequireServerAdmin(ctx); err != nil {
		return nil, err
	}
	list, err := a.Store.Admins(ctx)
	if list == nil {
		list = []*Admin{}
	}
	return list, err
}

// adminID resolves an admin reference: an ID, else a username.
func (a *App) adminID(ctx context.Context, ref string) (string, error) {
	if adm, err := a.Store.Admin(ctx, ref); err == nil {
		return adm.ID, nil
	}
	adm, err := a.Store.AdminByUsername(ctx, ref)
	if err != nil {
		return "", err
	}
	return adm.ID, nil
}

// SetAdminPassword gives the admin ref (ID or username) a new password,
// checked like a new admin's (CheckAdminPassword). The admin's sessions end
// in the same transaction, except when actorID is the admin themself (an
// admin changing their own password stays signed in here).
// Errors: ENOTFOUND, EINVALID.
func (a *App) SetAdminPassword(ctx context.Context, actorID, ref, password string) (*Admin, error) {
	if err := RequireServerAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := a.adminID(ctx, ref)
	if err != nil {
		return nil, err
	}
	adm, err := a.Store.Admin(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := CheckAdminPassword(password, adm.Username); err != nil {
		return nil, err
	}
	hash, err := HashPassword(a.Rand, a.Hash, password)
	if err != nil {
		return nil, err
	}
	ctx = a.audit(ctx, "", "admin.password", adminTarget(adm), "password changed")
	return a.Store.ChangeAdmin(ctx, id, func(adm *Admin, _ int) error {
		adm.PasswordHash = hash
		return nil
	}, actorID != id)
}

// SetAdminDisabled disables or enables the admin ref. Disabling ends all
// their sessions in the same transaction, and is refused for the last
// active admin. Errors: ENOTFOUND, ECONFLICT.
func (a *App) SetAdminDisabled(ctx context.Context, ref string, disabled bool) (*Admin, error) {
	if err := RequireServerAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := a.adminID(ctx, ref)
	if err != nil {
		return nil, err
	}
	action := "admin.enable"
	if disabled {
		action = "admin.disable"
	}
	ctx = a.audit(ctx, "", action, AuditTarget{Kind: "admin", ID: id, Name: ref}, "")
	return a.Store.ChangeAdmin(ctx, id, func(adm *Admin, active int) error {
		if disabled && !adm.Disabled && active <= 1 {
			return errLastAdmin
		}
		adm.Disabled = disabled
		return nil
	}, disabled)
}

// DeleteAdmin removes the admin ref and all their sessions in one
// transaction; the last active admin is refused. Errors: ENOTFOUND, ECONFLICT.
func (a *App) DeleteAdmin(ctx context.Context, ref string) error {
	if err := RequireServerAdmin(ctx); err != nil {
		return err
	}
	id, err := a.adminID(ctx, ref)
	if err != nil {
		return err
	}
	ctx = a.audit(ctx, "", "admin.delete", AuditTarget{Kind: "admin", ID: id, Name: ref}, "")
	return a.Store.DeleteAdmin(ctx, id, func(adm *Admin, active int) error {
		if !adm.Disabled && active <= 1 {
			return errLastAdmin
		}
		return nil
	})
}

// MaxAdminNameLength bounds an admin's display name.
const MaxAdminNameLength = 100

// SetAdminName sets the display name of the admin ref (an ID or a
// username): the name the UI's header and invitation mails use ("Ms
// Virtanen invites you"). The admin themself or another admin may set it;
// an empty name shows the username again. Errors: ENOTFOUND, EINVALID.
func (a *App) SetAdminName(ctx context.Context, ref, name string) (*Admin, error) {
	if err := RequireServerAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := a.adminID(ctx, ref)
	if err != nil {
		return nil, err
	}
	adm, err := a.Store.Admin(ctx, id)
	if err != nil {
		return nil, err
	}
	name = Clean(name)
	switch {
	case utf8.RuneCountInString(name) > MaxAdminNameLength:
		return nil, FieldError(EINVALID, "name", "A name has at most %d characters.", MaxAdminNameLength)
	case hasControl(name):
		return nil, FieldError(EINVALID, "name", "A name cannot contain line breaks or control characters.")
	}
	detail := "display name set"
	if name == "" {
		detail = "display name removed"
	}
	ctx = a.audit(ctx, "", "admin.name", adminTarget(adm), detail)
	return a.Store.ChangeAdmin(ctx, id, func(adm *Admin, _ int) error {
		adm.Name = name
		return nil
	}, false)
}
