package app

import (
	"context"
	"time"
)

// UserSessionTTL is how long a user stays signed in to the portal.
const UserSessionTTL = 8 * time.Hour

var errUserCredentials = Errorf(EUNAUTHORIZED, "The username, email or password is wrong.")

// SignInUser signs a user in from the client address (see SignInUserFrom)
// and returns the session's secret token.
func (a *App) SignInUser(ctx context.Context, login, password, client string) (*User, string, error) {
	u, in, err := a.SignInUserFrom(ctx, SignIn{Login: login, Password: password, Client: client})
	if err != nil {
		return nil, "", err
	}
	return u, in.Token, nil
}

// SignInUserFrom signs a user in to the portal with their username or email
// and password (see signIn: failures limited per account, known device and
// client address). The answer is the same whether or not the account
// exists, and for accounts that cannot sign in (invited, pending,
// deactivated). Errors: EUNAUTHORIZED, ETOOMANY.
func (a *App) SignInUserFrom(ctx context.Context, in SignIn) (*User, *SignedIn, error) {
	id, out, err := a.signIn(ctx, in, SessionUser, errUserCredentials,
		func(login string) (*credentials, error) {
			u, err := a.Store.UserByLogin(ctx, login)
			if err != nil {
				return nil, err
			}
			c := &credentials{ID: u.ID, Hash: u.PasswordHash, Refused: signInRefusal(u.Status)}
			if c.Refused == nil {
				c.Refused = a.passwordSignInRefusal(ctx, u)
			}
			if u.EmailVerified && u.Email != "" {
				c.Held = func() { a.queueHeldNotice(context.WithoutCancel(ctx), u) }
			}
			return c, nil
		},
		func(id, oldHash, newHash string) error { return a.rehashUser(ctx, id, oldHash, newHash) })
	if err != nil {
		return nil, nil, err
	}
	// Read again: the account may have been deactivated while the password was checked.
	u, err := a.Store.User(ctx, "", id)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, errUserCredentials
	} else if err == nil && u.Status != StatusActive {
		return nil, nil, signInRefusal(u.Status)
	} else if err != nil {
		return nil, nil, err
	}
	ctx = a.audit(WithActor(ctx, PersonActor(u)), u.OrgID, "person.sign_in", personTarget(u), "signed in")
	out.Token, err = a.startSessionNoting(ctx, SessionUser, u.ID, UserSessionTTL, out)
	return u, out, err
}

// rehashUser stores a person's password hash made with today's parameters
// at a successful sign-in, unless the password changed meanwhile.
func (a *App) rehashUser(ctx context.Context, id, oldHash, newHash string) error {
	_, err := a.Store.ChangeUser(ctx, "", id, func(u *User) error {
		if u.PasswordHash == oldHash {
			u.PasswordHash = newHash
		}
		return nil
	})
	return err
}

// UserBySession returns the active user whose portal session token this is:
// the one gate of every portal action, so every way of signing in (the
// portal's password, and any later one) inherits its rules. A user who
// must change the password is refused everything else until it is changed
// (ChooseNewPassword). Errors: EUNAUTHORIZED (signed out, expired,
// deactivated or gone), EPASSWORDCHANGE.
func (a *App) UserBySession(ctx context.Context, token string) (*User, error) {
	u, _, err := a.userSession(ctx, token)
	if err == nil && u.MustChangePassword {
		return nil, errPasswordChangeRequired
	}
	return u, err
}

var errPasswordChangeRequired = Errorf(EPASSWORDCHANGE, "Choose a new password first.")

// userSession returns the active user of a portal session and the session,
// whether or not the user must change the password.
func (a *App) userSession(ctx context.Context, token string) (*User, *Session, error) {
	s, err := a.session(ctx, token, SessionUser)
	if err != nil {
		return nil, nil, err
	}
	u, err := a.Store.User(ctx, "", s.SubjectID)
	if ErrorCode(err) == ENOTFOUND || (err == nil && u.Status != StatusActive) {
		return nil, nil, errSignedOut
	}
	return u, s, err
}

// MyAccount is what the portal's "my account" page shows.
type MyAccount struct {
	FirstName    string   `json:"first_name"`
	LastName     string   `json:"last_name"`
	Username     string   `json:"username"`
	Email        string   `json:"email"`
	AccountType  string   `json:"account_type"`
	Organization string   `json:"organization"`
	Groups       []string `json:"groups"` // names
	Policy       string   `json:"policy"`
	MinLength    int      `json:"min_length"`
	// Rules is the password rule itself, for the page to word in its language.
	Rules PasswordPolicy `json:"policy_rules"`
	// MustChangePassword: the account must choose a new password before
	// anything else (the portal shows only that screen; see PasswordChange).
	MustChangePassword bool `json:"must_change_password"`
	// Language is the person's language, else the organization's: the
	// portal's pages are in it unless the person picks another.
	Language string `json:"language"`
}

// untilNewPassword is what the portal shows of an account that must choose
// a new password first: the name, the rule, the language, nothing more.
func (acc *MyAccount) untilNewPassword() *MyAccount {
	return &MyAccount{FirstName: acc.FirstName, Organization: acc.Organization, Groups: []string{},
		Policy: acc.Policy, MinLength: acc.MinLength, Rules: acc.Rules, MustChangePassword: true, Language: acc.Language}
}

// SignInToPortal signs a user in (SignInUserFrom) and returns their own
// account for the portal's first page. Errors as SignInUserFrom.
func (a *App) SignInToPortal(ctx context.Context, in SignIn) (*MyAccount, *SignedIn, error) {
	u, out, err := a.SignInUserFrom(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	acc, err := a.myAccount(ctx, u)
	if err == nil && u.MustChangePassword {
		acc = acc.untilNewPassword() // until it is chosen, the portal shows only that screen
	}
	return acc, out, err
}

// FreshSignIn is how long after signing in a user who must change the
// password may choose the new one without typing the old one again: the
// sign-in has just proven it (NIST 800-63B allows this), while a browser
// left signed in for longer (a shared classroom tablet) must sign in again.
const FreshSignIn = 15 * time.Minute

var errSignInAgainToChange = Errorf(EUNAUTHORIZED, "Please sign in again, then choose your new password.")

// PasswordChangeForm is the one screen a user who must change the password
// sees: the organization's rule in words and a suggestion in the
// organization's password style (for young pupils, a few easy words).
type PasswordChangeForm struct {
	FirstName    string `json:"first_name"`
	Organization string `json:"organization"`
	Policy       string `json:"policy"`
	MinLength    int    `json:"min_length"`
	// Rules is the password rule itself, for the page to word in its language.
	Rules PasswordPolicy `json:"policy_rules"`
	// Suggestion is a new password generated for this screen only; it is not stored.
	Suggestion string `json:"suggestion"`
	// Language: as MyAccount's.
	Language string `json:"language"`
}

// PasswordChange returns the screen for choosing the new password of the
// signed-in user who must change it. Errors: EUNAUTHORIZED (signed out, or
// signed in longer ago than FreshSignIn: sign in again), ECONFLICT (the
// password need not be changed).
func (a *App) PasswordChange(ctx context.Context, token string) (*PasswordChangeForm, error) {
	u, org, err := a.mustChangeSession(ctx, token)
	if err != nil {
		return nil, err
	}
	suggestion, err := GeneratePassword(a.Rand, org.passwordStyle(), org.PasswordPolicy)
	if err != nil {
		return nil, err
	}
	return &PasswordChangeForm{FirstName: u.FirstName, Organization: org.Name, Policy: org.PasswordPolicy.String(),
		MinLength: org.PasswordPolicy.MinLength, Rules: org.PasswordPolicy, Suggestion: suggestion,
		Language: PickLanguage(u.Language, org.Language)}, nil
}

// mustChangeSession returns the user of a fresh portal session who must
// change the password, and their organization.
func (a *App) mustChangeSession(ctx context.Context, token string) (*User, *Organization, error) {
	u, s, err := a.userSession(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	if !u.MustChangePassword {
		return nil, nil, Errorf(ECONFLICT, "Your password does not need to be changed. Go to your account page.")
	}
	if a.now().Sub(s.CreatedAt) > FreshSignIn {
		if err := a.SignOut(ctx, token); err != nil {
			return nil, nil, err
		}
		return nil, nil, errSignInAgainToChange
	}
	org, err := a.Store.Organization(ctx, u.OrgID)
	return u, org, err
}

// ChooseNewPassword sets the new password of the signed-in user who must
// change it, without asking for the old one: the session is at most
// FreshSignIn old, so the old password was just proven. The new password
// must meet the policy and differ from the old one. The flag is cleared,
// every session of the user ends, and a new one is returned for this
// browser. Errors: EUNAUTHORIZED (as PasswordChange), ECONFLICT, EINVALID.
func (a *App) ChooseNewPassword(ctx context.Context, token, next string) (string, error) {
	u, org, err := a.mustChangeSession(ctx, token)
	if err != nil {
		return "", err
	}
	if err := org.PasswordPolicy.Check(next); err != nil {
		return "", err
	}
	if same, _ := VerifyPassword(u.PasswordHash, next, a.Hash); same {
		return "", FieldError(EINVALID, "password", "This is your old password. Choose a new one.")
	}
	hash, err := HashPassword(a.Rand, a.Hash, next)
	if err != nil {
		return "", err
	}
	now := a.now()
	checked := u.PasswordHash
	ctx = a.audit(WithActor(ctx, PersonActor(u)), u.OrgID, "person.password", personTarget(u), "chose a new password at the first sign-in")
	_, err = a.Store.ChangeUsersEndSessions(ctx, u.OrgID, []string{u.ID}, func(u *User) error {
		switch {
		case u.Status != StatusActive:
			return errSignedOut // deactivated while the password was hashed
		case u.PasswordHash != checked || !u.MustChangePassword:
			return Errorf(ECONFLICT, "Your password was changed meanwhile. Sign in again with the new one.")
		}
		u.PasswordHash, u.MustChangePassword, u.UpdatedAt = hash, false, now
		return nil
	})
	if ErrorCode(err) == ENOTFOUND {
		return "", errSignedOut
	} else if err != nil {
		return "", err
	}
	return a.startSession(ctx, SessionUser, u.ID, UserSessionTTL)
}

// Account returns the signed-in user's own account. Errors: EUNAUTHORIZED,
// EPASSWORDCHANGE.
func (a *App) Account(ctx context.Context, token string) (*MyAccount, error) {
	u, err := a.UserBySession(ctx, token)
	if err != nil {
		return nil, err
	}
	return a.myAccount(ctx, u)
}

func (a *App) myAccount(ctx context.Context, u *User) (*MyAccount, error) {
	org, err := a.Store.Organization(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	acc := &MyAccount{FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, Email: u.Email,
		AccountType: u.AccountType, Organization: org.Name, Groups: []string{},
		Policy: org.PasswordPolicy.String(), MinLength: org.PasswordPolicy.MinLength, Rules: org.PasswordPolicy,
		MustChangePassword: u.MustChangePassword, Language: PickLanguage(u.Language, org.Language)}
	for _, id := range u.Groups {
		if g, err := a.Store.Group(ctx, org.ID, id); err == nil {
			acc.Groups = append(acc.Groups, g.Name)
		}
	}
	return acc, nil
}

// ChangeMyPassword changes the signed-in user's password after checking the
// current one. Every session of the user ends; a new one is returned for
// this browser. Errors: EUNAUTHORIZED, EINVALID (current password wrong, or
// the new one breaks the policy), ETOOMANY.
func (a *App) ChangeMyPassword(ctx context.Context, token, current, next, client string) (string, error) {
	u, err := a.UserBySession(ctx, token)
	if err != nil {
		return "", err
	}
	// Its own counts, apart from sign-in's: a session holder guessing the
	// current password is limited per account and per client address, with
	// sign-in's rules (failures only; a success forgives the account's).
	ip, err := a.SignIns.begin(ctx, "password-ip:"+client)
	if err != nil {
		return "", err
	}
	defer ip.end(ctx)
	acct, err := a.SignIns.begin(ctx, "password:"+u.ID)
	if err != nil {
		return "", err
	}
	defer acct.end(ctx)
	if ok, _ := VerifyPassword(u.PasswordHash, current, a.Hash); !ok {
		ip.failed, acct.failed = true, true
		return "", FieldError(EINVALID, "current_password", "Your current password is not right.")
	}
	a.SignIns.forgive(ctx, "password:"+u.ID)
	org, err := a.Store.Organization(ctx, u.OrgID)
	if err != nil {
		return "", err
	}
	if err := org.PasswordPolicy.Check(next); err != nil {
		return "", err
	}
	hash, err := HashPassword(a.Rand, a.Hash, next)
	if err != nil {
		return "", err
	}
	now := a.now()
	checked := u.PasswordHash
	actx := a.audit(WithActor(ctx, PersonActor(u)), u.OrgID, "person.password", personTarget(u), "changed their own password")
	u, err = a.Store.ChangeUser(actx, u.OrgID, u.ID, func(u *User) error {
		switch {
		case u.Status != StatusActive:
			return errSignedOut // deactivated while the password was hashed
		case u.PasswordHash != checked:
			return Errorf(ECONFLICT, "Your password was changed meanwhile. Sign in again with the new one.")
		}
		u.PasswordHash, u.MustChangePassword, u.UpdatedAt = hash, false, now
		return nil
	})
	if ErrorCode(err) == ENOTFOUND {
		return "", errSignedOut
	} else if err != nil {
		return "", err
	}
	if err := a.Store.DeleteSessionsOf(ctx, u.ID); err != nil {
		return "", err
	}
	return a.startSession(ctx, SessionUser, u.ID, UserSessionTTL)
}

// signInRefusal says why a user with this status may not sign in, or nil.
func signInRefusal(status string) error {
	switch status {
	case StatusActive:
		return nil
	case StatusPending:
		return Errorf(EFORBIDDEN, "Your account is waiting for a teacher to approve it. Ask your teacher, then try again.")
	case StatusDeactivated:
		return Errorf(EFORBIDDEN, "This account is switched off. Ask your teacher or the school office to switch it on again.")
	default:
		return Errorf(EFORBIDDEN, "This account is not ready yet: open the link in your invitation email first.")
	}
}
