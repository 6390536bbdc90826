package app

import "context"

// credentials is an account as the sign-in check sees it.
type credentials struct {
	ID   string
	Hash string // "" when the account has no password
	// Refused is why an account that exists may not sign in (pending
	// approval, deactivated), or nil. It is told only to someone who gave the
	// right password, so it reveals nothing to a guesser, and spares a pupil
	// whose account is switched off from retyping a correct password.
	Refused error
}

var errTooManySignIns = Errorf(ETOOMANY, "Too many failed sign-ins. Wait 15 minutes and try again.")

// signIn is the one password check behind every sign-in (admins and portal
// users). It counts the attempt per client address, finds the account, then
// counts it per account, keyed by the account's ID so that every alias of
// one account (username, email, any spelling) shares one limit; an unknown
// login is keyed by what was typed, so its answers are the same. Attempts
// are counted before the password is checked, so that guesses sent in
// parallel cannot all pass the limit. A missing account is checked against
// a dummy hash (the same time). Success resets both counts, and a hash made
// with weaker parameters is handed to rehash, already replaced.
//
// find returns the account for the Key login, ENOTFOUND if none. wrong is
// the one answer for every failure. It returns the account's ID.
func (a *App) signIn(ctx context.Context, login, password, client string, wrong error,
	find func(login string) (*credentials, error), rehash func(id, oldHash, newHash string) error) (string, error) {
	ip := "ip:" + client
	if !a.SignIns.Take(ip) {
		return "", errTooManySignIns
	}
	login = Key(login)
	var c *credentials
	if login != "" && len(login) <= MaxEmailLength {
		var err error
		if c, err = find(login); ErrorCode(err) == ENOTFOUND {
			c = nil
		} else if err != nil {
			return "", err
		}
	}
	acct := "signin:login:" + login
	if c != nil {
		acct = "signin:" + c.ID
	}
	if !a.SignIns.Take(acct) {
		return "", errTooManySignIns
	}
	hash := dummyHash()
	if c != nil && c.Hash != "" {
		hash = c.Hash
	}
	ok, weak := VerifyPassword(hash, password, a.Hash)
	if !ok || c == nil || c.Hash == "" {
		return "", wrong
	}
	if c.Refused != nil {
		return "", c.Refused
	}
	a.SignIns.Reset(acct)
	a.SignIns.Reset(ip)
	if weak {
		h, err := HashPassword(a.Rand, a.Hash, password)
		if err != nil {
			return "", err
		}
		if err := rehash(c.ID, c.Hash, h); err != nil {
			return "", err
		}
	}
	return c.ID, nil
}
