package app

import (
	"context"
	"time"
)

// UserSessionTTL is how long a user stays signed in to the portal.
const UserSessionTTL = 8 * time.Hour

var errUserCredentials = Errorf(EUNAUTHORIZED, "The username, email or password is wrong.")

// SignInUser signs a user in to the portal with their username or email and
// password, limited per account and per client address like admins. The
// answer is the same whether or not the account exists, and for accounts
// that cannot sign in (invited, pending, deactivated). A hash made with
// weaker parameters is rewritten. It returns the session's secret token.
// Errors: EUNAUTHORIZED, ETOOMANY.
func (a *App) SignInUser(ctx context.Context, login, password, client string) (*User, string, error) {
	login = Key(login)
	acct, ip := "user:"+login, "ip:"+client
	// Counted before the password is checked, so parallel guesses cannot pass the limit.
	if !a.SignIns.Take(ip) || !a.SignIns.Take(acct) {
		return nil, "", Errorf(ETOOMANY, "Too many failed sign-ins. Wait 15 minutes and try again.")
	}
	var u *User
	var err error
	if login != "" && len(login) <= MaxEmailLength {
		u, err = a.Store.UserByLogin(ctx, login)
	} else {
		err = Errorf(ENOTFOUND, "no login")
	}
	hash := dummyHash()
	if err == nil && u.HasPassword() {
		hash = u.PasswordHash
	} else if err != nil && ErrorCode(err) != ENOTFOUND {
		return nil, "", err
	}
	ok, rehash := VerifyPassword(hash, password, a.Hash)
	if !ok || u == nil || !u.HasPassword() || u.Status != StatusActive {
		return nil, "", errUserCredentials
	}
	a.SignIns.Reset(acct)
	a.SignIns.Reset(ip)
	if rehash {
		if u.PasswordHash, err = HashPassword(a.Rand, a.Hash, password); err != nil {
			return nil, "", err
		}
		if err := a.Store.UpdateUser(ctx, u); err != nil {
			return nil, "", err
		}
	}
	token, err := a.startSession(ctx, SessionUser, u.ID, UserSessionTTL)
	return u, token, err
}

// UserBySession returns the active user whose portal session token this is.
// Errors: EUNAUTHORIZED (signed out, expired, deactivated or gone).
func (a *App) UserBySession(ctx context.Context, token string) (*User, error) {
	s, err := a.session(ctx, token, SessionUser)
	if err != nil {
		return nil, err
	}
	u, err := a.Store.User(ctx, "", s.SubjectID)
	if ErrorCode(err) == ENOTFOUND || (err == nil && u.Status != StatusActive) {
		return nil, errSignedOut
	}
	return u, err
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
}

// Account returns the signed-in user's own account. Errors: EUNAUTHORIZED.
func (a *App) Account(ctx context.Context, token string) (*MyAccount, error) {
	u, err := a.UserBySession(ctx, token)
	if err != nil {
		return nil, err
	}
	org, err := a.Store.Organization(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	acc := &MyAccount{FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, Email: u.Email,
		AccountType: u.AccountType, Organization: org.Name, Groups: []string{},
		Policy: org.PasswordPolicy.String(), MinLength: org.PasswordPolicy.MinLength}
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
	key := "user:" + u.ID
	if !a.SignIns.Take(key) {
		return "", Errorf(ETOOMANY, "Too many wrong passwords. Wait 15 minutes and try again.")
	}
	if ok, _ := VerifyPassword(u.PasswordHash, current, a.Hash); !ok {
		return "", FieldError(EINVALID, "current_password", "Your current password is not right.")
	}
	a.SignIns.Reset(key)
	org, err := a.Store.Organization(ctx, u.OrgID)
	if err != nil {
		return "", err
	}
	if err := org.PasswordPolicy.Check(next); err != nil {
		return "", err
	}
	if u.PasswordHash, err = HashPassword(a.Rand, a.Hash, next); err != nil {
		return "", err
	}
	u.MustChangePassword = false
	u.UpdatedAt = a.now()
	if err := a.Store.UpdateUser(ctx, u); err != nil {
		return "", err
	}
	if err := a.Store.DeleteSessionsOf(ctx, u.ID); err != nil {
		return "", err
	}
	return a.startSession(ctx, SessionUser, u.ID, UserSessionTTL)
}
