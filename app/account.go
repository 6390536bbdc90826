package app

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Password modes for a batch of new accounts.
const (
	PasswordRandom = "random" // a new generated password for each person (default)
	PasswordSame   = "same"   // one password, given, for everyone in the batch
	PasswordGiven  = "given"  // each line brings its own password
)

// AccountBatch asks for accounts for people without email: a class of
// seven-year-olds, typed or pasted one per line.
type AccountBatch struct {
	People      []NameLine `json:"people"`
	AccountType string     `json:"account_type"`
	Groups      []string   `json:"groups"` // IDs or names
	Language    string     `json:"language"`
	// PasswordMode is random (default), same or given.
	PasswordMode string `json:"password_mode"`
	// PasswordStyle is words or random; empty means the organization's.
	PasswordStyle string `json:"password_style"`
	// Password is the one password of mode same.
	Password           string `json:"password"`
	MustChangePassword bool   `json:"must_change_password"`
	// Via records how the accounts came to be (manual or import).
	Via string `json:"-"`
}

// AccountRow is one person of a batch as it will be created.
type AccountRow struct {
	NameLine
	UsernameGenerated bool   `json:"username_generated"`
	LoginEmail        string `json:"login_email,omitempty"`
	// Problems maps a field to what is wrong with it; a row with problems is not created.
	Problems map[string]string `json:"problems,omitempty"`
}

// AccountPreview is what a batch will create, before anything is written.
type AccountPreview struct {
	Rows          []AccountRow `json:"rows"`
	Problems      int          `json:"problems"` // rows with problems
	AccountType   string       `json:"account_type"`
	PasswordMode  string       `json:"password_mode"`
	PasswordStyle string       `json:"password_style"`
	PasswordBits  float64      `json:"password_bits"`
}

// NewAccount is a created (or reset) account with its password in plain
// text: it lives only in memory, for the one-time slips, sheet and CSV.
type NewAccount struct {
	User     *User  `json:"user"`
	Password string `json:"-"`
	// Groups are the names of the user's groups, for printing.
	Groups []string `json:"groups"`
}

// AccountResult is the outcome of creating or resetting a batch.
type AccountResult struct {
	Org      *Organization `json:"organization"`
	Accounts []NewAccount  `json:"accounts"`
}

// PreviewAccounts shows how each line will be created: names, username
// (generated where none was given, unique across the whole file), login
// email, and every problem. Nothing is written.
// Errors: ENOTFOUND (organization), EINVALID (batch settings, not rows).
func (a *App) PreviewAccounts(ctx context.Context, ref string, b AccountBatch) (*AccountPreview, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	p, _, err := a.previewAccounts(ctx, org, &b)
	return p, err
}

// previewAccounts fills in b's defaults and returns the preview and the
// resolved group IDs.
func (a *App) previewAccounts(ctx context.Context, org *Organization, b *AccountBatch) (*AccountPreview, []string, error) {
	if len(b.People) == 0 {
		return nil, nil, FieldError(EINVALID, "people", "Add at least one person, one per line.")
	}
	if len(b.People) > MaxNameLines {
		return nil, nil, FieldError(EINVALID, "people", "At most %d people in one batch; split the list.", MaxNameLines)
	}
	b.AccountType = Key(b.AccountType)
	if b.AccountType == "" {
		b.AccountType = org.AccountTypes()[0]
	}
	if !org.HasAccountType(b.AccountType) {
		return nil, nil, FieldError(EINVALID, "account_type", "The account type %q does not exist here; choose one of %s.", b.AccountType, strings.Join(org.AccountTypes(), ", "))
	}
	if b.Language = Clean(b.Language); b.Language == "" {
		b.Language = org.Language
	}
	if b.PasswordMode == "" {
		b.PasswordMode = PasswordRandom
	}
	if b.PasswordStyle == "" {
		b.PasswordStyle = org.passwordStyle()
	}
	if b.PasswordStyle != StyleWords && b.PasswordStyle != StyleRandom {
		return nil, nil, FieldError(EINVALID, "password_style", "The password style must be %q or %q.", StyleWords, StyleRandom)
	}
	switch b.PasswordMode {
	case PasswordRandom, PasswordGiven:
	case PasswordSame:
		if err := org.PasswordPolicy.Check(b.Password); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, FieldError(EINVALID, "password_mode", "The password mode must be random, same or given.")
	}
	groups, err := a.groupIDs(ctx, org, b.Groups)
	if err != nil {
		return nil, nil, err
	}

	p := &AccountPreview{AccountType: b.AccountType, PasswordMode: b.PasswordMode, PasswordStyle: b.PasswordStyle}
	if b.PasswordMode == PasswordRandom {
		p.PasswordBits = PasswordBits(b.PasswordStyle, org.PasswordPolicy)
	}
	unique := &uniqueUsernames{store: a.Store, taken: map[string]bool{}}
	rows := make([]AccountRow, len(b.People))
	givenAt := map[string]int{} // username key → first line that gives it
	for i, person := range b.People {
		r := AccountRow{NameLine: person}
		r.FirstName, r.LastName, r.Username = Clean(r.FirstName), Clean(r.LastName), Clean(r.Username)
		if r.Username != "" {
			k := Key(r.Username)
			if line, dup := givenAt[k]; dup {
				r.problem("username", "The username %q is also on line %d.", r.Username, line)
			} else {
				givenAt[k] = r.Line
				unique.taken[k] = true
				if taken, err := a.Store.UsernameTaken(ctx, k); err != nil {
					return nil, nil, err
				} else if taken {
					r.problem("username", "The username %q is already taken.", r.Username)
				}
			}
		}
		if b.PasswordMode == PasswordGiven {
			if err := org.PasswordPolicy.Check(r.Password); err != nil {
				r.problem("password", "%s", ErrorMessage(err))
			}
		}
		rows[i] = r
	}
	for i := range rows {
		r := &rows[i]
		if r.Username == "" {
			r.Username, err = unique.next(ctx, UsernameBase(org.UsernamePattern, r.FirstName, r.LastName))
			if err != nil {
				return nil, nil, err
			}
			r.UsernameGenerated = true
		}
		u := a.batchUser(org, b, r, groups)
		if err := u.Validate(org); err != nil {
			if e, ok := err.(*Error); ok {
				for f, m := range e.Details {
					r.problem(f, "%s", m)
				}
			}
		}
		if r.LoginEmail = u.Email; r.LoginEmail != "" {
			if taken, err := a.Store.EmailTaken(ctx, Key(r.LoginEmail)); err != nil {
				return nil, nil, err
			} else if taken {
				r.problem("username", "The login email %s is already taken; change the username.", r.LoginEmail)
			}
		}
		if len(r.Problems) > 0 {
			p.Problems++
		}
	}
	p.Rows = rows
	return p, groups, nil
}

func (r *AccountRow) problem(field, format string, args ...any) {
	if r.Problems == nil {
		r.Problems = map[string]string{}
	}
	if _, ok := r.Problems[field]; !ok {
		r.Problems[field] = fmt.Sprintf(format, args...)
	}
}

// batchUser builds the user a row will become (without ID, times or hash).
func (a *App) batchUser(org *Organization, b *AccountBatch, r *AccountRow, groups []string) *User {
	u := &User{
		OrgID: org.ID, FirstName: r.FirstName, LastName: r.LastName, Username: r.Username,
		AccountType: b.AccountType, Groups: groups, Language: b.Language, Labels: []string{},
		Status: StatusActive, CreatedVia: b.Via, MustChangePassword: b.MustChangePassword,
	}
	if u.CreatedVia == "" {
		u.CreatedVia = ViaManual
	}
	if org.LoginDomain != "" && u.Username != "" {
		u.Email = Key(u.Username) + "@" + org.LoginDomain
	}
	return u
}

// CreateAccounts creates every account of the batch or none: usernames and
// passwords are settled and hashed on all cores first (progress reports the
// hashing), then all users are written in one transaction.
// Errors: ENOTFOUND, EINVALID (with one detail per line that has a problem),
// ECONFLICT (a username taken meanwhile), context.Canceled.
func (a *App) CreateAccounts(ctx context.Context, ref string, b AccountBatch, progress Progress) (*AccountResult, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	p, groups, err := a.previewAccounts(ctx, org, &b)
	if err != nil {
		return nil, err
	}
	if p.Problems > 0 {
		details := map[string]string{}
		for _, r := range p.Rows {
			for _, m := range r.Problems {
				details[fmt.Sprintf("line %d", r.Line)] = m
				break
			}
		}
		return nil, &Error{Code: EINVALID, Message: fmt.Sprintf("%d of %d lines have problems; fix them and try again. Nothing was created.", p.Problems, len(p.Rows)), Details: details}
	}
	passwords := make([]string, len(p.Rows))
	for i, r := range p.Rows {
		switch b.PasswordMode {
		case PasswordSame:
			passwords[i] = b.Password
		case PasswordGiven:
			passwords[i] = r.Password
		default:
			if passwords[i], err = GeneratePassword(a.Rand, b.PasswordStyle, org.PasswordPolicy); err != nil {
				return nil, err
			}
		}
	}
	hashes, err := a.HashPasswords(ctx, passwords, progress)
	if err != nil {
		return nil, err
	}
	now := a.now()
	users := make([]*User, len(p.Rows))
	for i := range p.Rows {
		u := a.batchUser(org, &b, &p.Rows[i], groups)
		u.ID, u.CreatedAt, u.UpdatedAt, u.PasswordHash = a.newID(), now, now, hashes[i]
		users[i] = u
	}
	if err := a.Store.CreateUsers(ctx, users); err != nil {
		return nil, err
	}
	return a.accountResult(ctx, org, users, passwords)
}

func (a *App) accountResult(ctx context.Context, org *Organization, users []*User, passwords []string) (*AccountResult, error) {
	all, err := a.Store.Groups(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, g := range all {
		names[g.ID] = g.Name
	}
	res := &AccountResult{Org: org, Accounts: make([]NewAccount, len(users))}
	for i, u := range users {
		gs := make([]string, 0, len(u.Groups))
		for _, id := range u.Groups {
			gs = append(gs, names[id])
		}
		res.Accounts[i] = NewAccount{User: u, Password: passwords[i], Groups: gs}
	}
	return res, nil
}

// HashPasswords hashes every password on all cores, reporting progress
// after each one. It stops early when ctx is cancelled.
func (a *App) HashPasswords(ctx context.Context, passwords []string, progress Progress) ([]string, error) {
	hashes := make([]string, len(passwords))
	var next, done atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	workers := min(runtime.GOMAXPROCS(0), max(len(passwords), 1))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(passwords) || ctx.Err() != nil {
					return
				}
				h, err := HashPassword(a.Rand, a.Hash, passwords[i])
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				hashes[i] = h
				n := int(done.Add(1))
				if progress != nil {
					progress(n, len(passwords))
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return hashes, firstErr
}

// ResetRequest names the accounts whose passwords to reset: some users, or
// every member of a group.
type ResetRequest struct {
	UserIDs       []string `json:"user_ids"`
	Usernames     []string `json:"usernames"`
	Group         string   `json:"group"`
	PasswordStyle string   `json:"password_style"`
}

// ResetPasswords gives each named account a new generated password (hashed
// on all cores, written in one transaction) and ends its sessions; the new
// passwords come back once, for new slips. Errors: ENOTFOUND, EINVALID.
func (a *App) ResetPasswords(ctx context.Context, ref string, req ResetRequest, progress Progress) (*AccountResult, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	style := req.PasswordStyle
	if style == "" {
		style = org.passwordStyle()
	}
	if style != StyleWords && style != StyleRandom {
		return nil, FieldError(EINVALID, "password_style", "The password style must be %q or %q.", StyleWords, StyleRandom)
	}
	var users []*User
	seen := map[string]bool{}
	add := func(u *User) {
		if !seen[u.ID] {
			seen[u.ID] = true
			users = append(users, u)
		}
	}
	for _, id := range req.UserIDs {
		u, err := a.Store.User(ctx, org.ID, id)
		if err != nil {
			return nil, err
		}
		add(u)
	}
	for _, name := range req.Usernames {
		u, err := a.Store.UserByLogin(ctx, Key(name))
		if err != nil || u.OrgID != org.ID {
			return nil, Errorf(ENOTFOUND, "There is no user %q in %s.", name, org.Name)
		}
		add(u)
	}
	if req.Group != "" {
		g, err := a.group(ctx, org, req.Group)
		if err != nil {
			return nil, err
		}
		for page := 1; ; page++ {
			p, err := a.Store.FindUsers(ctx, org.ID, UserFilter{Group: g.ID, Page: page, PerPage: MaxPerPage})
			if err != nil {
				return nil, err
			}
			for _, u := range p.Users {
				add(u)
			}
			if len(p.Users) < MaxPerPage {
				break
			}
		}
	}
	if len(users) == 0 {
		return nil, Errorf(EINVALID, "Choose the users or the group whose passwords to reset.")
	}
	sort.SliceStable(users, func(i, j int) bool {
		return SortKey(users[i].LastName+"\x01"+users[i].FirstName) < SortKey(users[j].LastName+"\x01"+users[j].FirstName)
	})
	passwords := make([]string, len(users))
	for i := range users {
		if passwords[i], err = GeneratePassword(a.Rand, style, org.PasswordPolicy); err != nil {
			return nil, err
		}
	}
	hashes, err := a.HashPasswords(ctx, passwords, progress)
	if err != nil {
		return nil, err
	}
	now := a.now()
	for i, u := range users {
		u.PasswordHash, u.UpdatedAt = hashes[i], now
	}
	if err := a.Store.UpdateUsers(ctx, users); err != nil {
		return nil, err
	}
	for _, u := range users {
		if err := a.Store.DeleteSessionsOf(ctx, u.ID); err != nil {
			return nil, err
		}
	}
	return a.accountResult(ctx, org, users, passwords)
}
