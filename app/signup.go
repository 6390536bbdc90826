package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// Which sign-in names a person must give when signing up.
const (
	LoginEither   = "either"   // a username or an email address (at least one)
	LoginUsername = "username" // a username; email optional
	LoginEmail    = "email"    // an email address; username optional
	LoginBoth     = "both"     // both
	// LoginPhone asks for a username and a phone number (no email): the
	// account is made once the code sent by SMS to the number is typed.
	LoginPhone = "phone"
)

// SignUpSettings is an organization's self-sign-up: whether its invite codes
// let people sign up at all, what the form asks for and where people land.
type SignUpSettings struct {
	// Enabled opens sign-up with the organization's and its groups' invite
	// codes. Invite links work regardless: an admin made each one on purpose.
	Enabled bool `json:"enabled"`
	// Login is either, username, email, both or phone ("" means either).
	Login string `json:"login"`
	// DefaultAccountType is given to people who sign up with the
	// organization's code ("" means the organization's first type).
	DefaultAccountType string `json:"default_account_type"`
	// DefaultGroup (an ID, optional) is where people who sign up with the
	// organization's code land.
	DefaultGroup string `json:"default_group"`
	// ChooseGroup lets people who sign up with the organization's code choose
	// their class or department from a list.
	ChooseGroup bool `json:"choose_group"`
}

func (s *SignUpSettings) login() string {
	if s.Login == "" {
		return LoginEither
	}
	return s.Login
}

func (s *SignUpSettings) validate(v validation, org *Organization) {
	if !slices.Contains([]string{"", LoginEither, LoginUsername, LoginEmail, LoginBoth, LoginPhone}, s.Login) {
		v.add("signup", "The sign-up login must be either, username, email, both or phone.")
	}
	if s.DefaultAccountType != "" && !org.HasAccountType(s.DefaultAccountType) {
		v.add("signup", "The account type %q does not exist here; choose one of %s.", s.DefaultAccountType, strings.Join(org.AccountTypes(), ", "))
	}
}

// JoinGroup is a group a person may choose when signing up.
type JoinGroup struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Approval is true when the group's own code requires approval: a
	// person who chooses it waits in the queue.
	Approval bool `json:"approval"`
}

// choosableGroups are the groups offered when people choose their group
// with the organization's code: those the admin offers (Group.Offered)
// whose own code works; a group's code that is switched off, expired or
// used up takes it off the list.
func (a *App) choosableGroups(ctx context.Context, org *Organization) ([]JoinGroup, error) {
	orgID := org.ID
	groups, err := a.Store.Groups(ctx, orgID)
	if err != nil {
		return nil, err
	}
	codes, err := a.Store.InviteCodes(ctx, orgID)
	if err != nil {
		return nil, err
	}
	byGroup := map[string]*InviteCode{}
	for _, c := range codes {
		byGroup[c.GroupID] = c
	}
	now := a.now()
	out := []JoinGroup{}
	for _, g := range groups {
		c := byGroup[g.ID]
		if !g.Offered() || c == nil || c.usable(org, now) != nil {
			continue
		}
		out = append(out, JoinGroup{ID: g.ID, Name: g.Name, Kind: g.Kind, Approval: c.RequireApproval})
	}
	return out, nil
}

// JoinInfo is what the public sign-up page shows and asks for. It holds no
// member data: only names the person with the code may see.
type JoinInfo struct {
	Organization string `json:"organization"`
	// Group is the fixed group of a group code or the link's groups, by name.
	Groups []string `json:"groups"`
	// Code is the code as displayed, for a code.
	Code string `json:"code,omitempty"`
	// Login is either, username, email or both.
	Login          string `json:"login"`
	PasswordPolicy string `json:"password_policy"`
	MinPassword    int    `json:"min_password_length"`
	// Rules is the password rule itself, for the page to word in its language.
	Rules    PasswordPolicy `json:"policy_rules"`
	Language string         `json:"language"`
	// LinkPassword is true when the link asks for its password.
	LinkPassword bool `json:"link_password"`
	// Choices are the groups to choose from, when the person chooses.
	Choices []JoinGroup `json:"choices,omitempty"`
	// Approval is true when sign-ups wait for an admin's approval.
	Approval bool `json:"approval"`
}

// SignUpForm is what a person fills in on the public sign-up page.
type SignUpForm struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	// Phone is asked for when the sign-up login is "phone".
	Phone    string `json:"phone"`
	Password string `json:"password"`
	Language string `json:"language"`
	// Group is the chosen group's ID, when the person may choose.
	Group string `json:"group"`
	// LinkPassword is the invite link's password, when it has one.
	LinkPassword string `json:"link_password"`
}

// SignUpResult tells the person what happened.
type SignUpResult struct {
	// Status is active (sign in now) or pending (wait for approval).
	Status       string   `json:"status"`
	Organization string   `json:"organization"`
	Groups       []string `json:"groups"`
	// Login is the name to sign in with: the username, else the email.
	Login string `json:"login"`
	// VerifyMailSent is true when a mail went to the address given, whose
	// link confirms it: until then the address is unverified (it receives
	// no invitation to move the account and no password reset).
	VerifyMailSent bool `json:"verify_mail_sent"`
	// PhoneSignUp is set with Status "verify_phone": the sign-up waits for
	// the code sent by SMS to Phone (shown masked), typed with this ID.
	PhoneSignUp string `json:"phone_signup,omitempty"`
	Phone       string `json:"phone,omitempty"`
}

// RedeemStore redeems codes and links and decides pending sign-ups: the
// check, the counted use and the new (or changed) user go in one
// transaction, so a code with one use left makes exactly one account
// however many people press at once.
type RedeemStore interface {
	// UseInviteCode loads the code, calls check on it (its error aborts),
	// counts one use and stores u. With change nil, u is a new user and is
	// created, with vm (the verification of its address and the mail that
	// carries it) when not nil; otherwise the stored user with u's ID is
	// read again in the transaction, change runs on that fresh copy (as
	// ChangeUser), it is written, and *u becomes the result. The result
	// must be in the code's organization (change may move the user there:
	// MoveWithCode) and its groups must exist (ECONFLICT otherwise).
	UseInviteCode(ctx context.Context, code string, check func(*InviteCode) error, u *User, change func(*User) error, vm *VerificationMail) error
	// UseInviteLink loads the link, calls check, counts one use and creates
	// u, with vm as UseInviteCode.
	UseInviteLink(ctx context.Context, orgID, id string, check func(*InviteLink) error, u *User, vm *VerificationMail) error
	// ApproveSignUps makes the pending users with the IDs active; others are skipped.
	ApproveSignUps(ctx context.Context, orgID string, ids []string, at time.Time) (int, error)
	// RejectSignUps deletes the pending users with the IDs; others are skipped.
	RejectSignUps(ctx context.Context, orgID string, ids []string) (int, error)
}

// lookupCode finds a typed code, counting a miss against the limits.
func (a *App) lookupCode(ctx context.Context, typed, client string) (*InviteCode, *Organization, error) {
	if err := a.takeAttempt(client); err != nil {
		return nil, nil, err
	}
	code, err := NormalizeCode(typed)
	if err != nil { // a typing mistake, not a guess: it cannot match any code
		a.refundAttempt(client)
		return nil, nil, err
	}
	c, err := a.Store.InviteCode(ctx, code)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, FieldError(ENOTFOUND, "code", "There is no code %s. Check it and try again.", FormatCode(code))
	}
	a.refundAttempt(client)
	if err != nil {
		return nil, nil, err
	}
	org, err := a.Store.Organization(ctx, c.OrgID)
	if err != nil {
		return nil, nil, err
	}
	if err := c.usable(org, a.now()); err != nil {
		return nil, nil, err
	}
	return c, org, nil
}

// lookupLink finds a link by its token, counting a miss against the limits.
// With holdPassword, the attempt taken for a link that has a password is
// kept (and one taken from the link's own limit): the caller checks the
// password and calls passwordChecked, which refunds both only on success.
// Wrong passwords sent at the same moment are thus all counted before any
// is checked.
func (a *App) lookupLink(ctx context.Context, token, client string, holdPassword bool) (*InviteLink, *Organization, error) {
	if err := a.takeAttempt(client); err != nil {
		return nil, nil, err
	}
	if token == "" || len(token) > 128 {
		return nil, nil, Errorf(ENOTFOUND, "This invite link does not work. Check that you have the whole address.")
	}
	l, err := a.Store.InviteLinkByToken(ctx, TokenHash(token))
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, Errorf(ENOTFOUND, "This invite link does not work. Check that you have the whole address.")
	}
	hold := err == nil && holdPassword && l.HasPassword
	if !hold {
		a.refundAttempt(client)
	}
	if err != nil {
		return nil, nil, err
	}
	org, err := a.Store.Organization(ctx, l.OrgID)
	if err == nil {
		err = l.usable(a.now())
	}
	if err == nil && hold && !a.SignUpLimits.PerLink.Take(l.ID) {
		a.refundAttempt(client)
		return nil, nil, errTooManyLink
	}
	if err != nil {
		if hold {
			a.refundAttempt(client)
		}
		return nil, nil, err
	}
	return l, org, nil
}

// checkLinkPassword checks the password of a link looked up with
// holdPassword. A wrong password keeps the attempts taken; a right one
// gives them back.
func (a *App) checkLinkPassword(l *InviteLink, password, client string) error {
	if !l.HasPassword {
		return nil
	}
	if ok, _ := VerifyPassword(l.PasswordHash, password, HashParams{}); !ok {
		return FieldError(EUNAUTHORIZED, "link_password", "The link password is wrong. Ask whoever sent you the link.")
	}
	a.refundAttempt(client)
	a.SignUpLimits.PerLink.Refund(l.ID)
	return nil
}

func (a *App) joinInfo(org *Organization) *JoinInfo {
	return &JoinInfo{
		Organization: org.Name, Groups: []string{}, Login: org.SignUp.login(),
		PasswordPolicy: org.PasswordPolicy.String(), MinPassword: org.PasswordPolicy.MinLength, Rules: org.PasswordPolicy, Language: org.Language,
	}
}

// CodeInfo tells the sign-up page about a typed code. Errors: EINVALID,
// ENOTFOUND, EFORBIDDEN (closed, expired, used up), ETOOMANY.
func (a *App) CodeInfo(ctx context.Context, typed, client string) (*JoinInfo, error) {
	c, org, err := a.lookupCode(ctx, typed, client)
	if err != nil {
		return nil, err
	}
	info := a.joinInfo(org)
	info.Code = c.Display()
	info.Approval = c.RequireApproval
	if c.GroupID != "" {
		g, err := a.Store.Group(ctx, org.ID, c.GroupID)
		if err != nil {
			return nil, err
		}
		info.Groups = []string{g.Name}
		return info, nil
	}
	if org.SignUp.ChooseGroup {
		if info.Choices, err = a.choosableGroups(ctx, org); err != nil {
			return nil, err
		}
	} else if org.SignUp.DefaultGroup != "" {
		if g, err := a.Store.Group(ctx, org.ID, org.SignUp.DefaultGroup); err == nil {
			info.Groups = []string{g.Name}
		}
	}
	return info, nil
}

// LinkInfo tells the sign-up page about an invite link. Errors as CodeInfo.
func (a *App) LinkInfo(ctx context.Context, token, client string) (*JoinInfo, error) {
	l, org, err := a.lookupLink(ctx, token, client, false)
	if err != nil {
		return nil, err
	}
	info := a.joinInfo(org)
	info.LinkPassword = l.HasPassword
	info.Approval = !l.AutoAccept
	for _, id := range l.Groups {
		if g, err := a.Store.Group(ctx, org.ID, id); err == nil {
			info.Groups = append(info.Groups, g.Name)
		}
	}
	return info, nil
}

// newSignUpUser validates the form against the organization's settings and
// returns the user to create, without its password hash: the sign-up limits
// are taken after this cheap check and before the costly hash
// (hashSignUpUser).
func (a *App) newSignUpUser(org *Organization, f SignUpForm, accountType string, groups []string, status, via string) (*User, error) {
	u := &User{
		OrgID: org.ID, FirstName: f.FirstName, LastName: f.LastName, Username: f.Username, Email: f.Email, Phone: f.Phone,
		Language: f.Language, AccountType: accountType, Groups: groups, Status: status, CreatedVia: via,
	}
	normalizeUser(u)
	u.EmailVerified = false // typed by the person: theirs only once a mail's link proves it
	if u.Language == "" {
		u.Language = org.Language
	}
	v := validation{}
	if org.SignUp.login() == LoginPhone {
		u.Email = "" // not asked: the phone is the person's way to be reached
	} else {
		u.Phone = "" // not asked: nothing would confirm it
	}
	normalizePhoneOf(v, org, u)
	if f.Language != "" { // chosen on the form: one that has pages and mails
		u.Language = checkSpoken(v, "language", u.Language)
	}
	switch org.SignUp.login() {
	case LoginPhone:
		if u.Username == "" {
			v.add("username", "Choose a username.")
		}
		if u.Phone == "" && v["phone"].format == "" {
			v.add("phone", "Give your mobile phone number: a code is sent to it.")
		}
	case LoginUsername:
		if u.Username == "" {
			v.add("username", "Choose a username.")
		}
	case LoginEmail:
		if u.Email == "" {
			v.add("email", "Give your email address.")
		}
	case LoginBoth:
		if u.Username == "" {
			v.add("username", "Choose a username.")
		}
		if u.Email == "" {
			v.add("email", "Give your email address.")
		}
	}
	if err := u.Validate(org); err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return nil, err
		}
		for f, m := range e.Details {
			v.add(f, "%s", m)
		}
	}
	if err := org.PasswordPolicy.Check(f.Password); err != nil {
		v.add("password", "%s", ErrorArg(err))
	}
	if err := v.err("first_name", "last_name", "username", "email", "phone", "password", "language", "group"); err != nil {
		return nil, err
	}
	return u, nil
}

// hashSignUpUser takes one sign-up from the client's limit and from the
// code's or link's (key), then hashes the password (outside any
// transaction) and gives u its ID. The limits come first, so refused
// sign-ups cost no hash.
//
// It also takes one failed attempt from the client's limit, as if the
// account were refused; createSignUp gives it back unless the username or
// email turns out taken.
func (a *App) hashSignUpUser(u *User, password, client, key string) error {
	if !a.SignUpLimits.PerIP.Take(client) {
		return errTooManyFromIP
	}
	if !a.SignUpLimits.PerCode.Take(key) {
		a.SignUpLimits.PerIP.Refund(client)
		return errBusyCode
	}
	if !a.SignUpLimits.SignUps.Take(client) {
		a.SignUpLimits.PerIP.Refund(client)
		return errTooManySignUps
	}
	var err error
	if u.PasswordHash, err = HashPassword(a.Rand, a.Hash, password); err != nil {
		a.SignUpLimits.PerIP.Refund(client)
		return err
	}
	u.ID = a.newID()
	u.CreatedAt = a.now()
	u.UpdatedAt = u.CreatedAt
	return nil
}

// errLoginUnusable answers a sign-up whose username or email address is
// taken. Usernames are unique in the whole file, so a taken one has to be
// refused; the answer is the same for a username and an email (no field is
// marked), and it counts as a failed attempt of the device (taken before
// the account is tried), so the sign-up form cannot be used to list who has
// an account beyond CodeFailuresPerIP names per 15 minutes.
var errLoginUnusable = Errorf(ECONFLICT, "This username or email address cannot be used to sign up. Choose another username, or sign in if you already have an account.")

// isLoginConflict reports whether err is a taken username or email.
func isLoginConflict(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Code != ECONFLICT {
		return false
	}
	_, email := e.Details["email"]
	_, username := e.Details["username"]
	return email || username
}

// createSignUp runs the store call that makes the account; a taken login
// keeps the failed attempt taken in hashSignUpUser, anything else gives it
// back.
func (a *App) createSignUp(client string, create func() error) error {
	err := create()
	if isLoginConflict(err) {
		return errLoginUnusable
	}
	a.SignUpLimits.PerIP.Refund(client)
	return err
}

func (a *App) signUpResult(ctx context.Context, org *Organization, u *User) *SignUpResult {
	r := &SignUpResult{Status: u.Status, Organization: org.Name, Groups: []string{}, Login: u.Username}
	if r.Login == "" {
		r.Login = u.Email
	}
	for _, id := range u.Groups {
		if g, err := a.Store.Group(ctx, org.ID, id); err == nil {
			r.Groups = append(r.Groups, g.Name)
		}
	}
	return r
}

// SignUpWithCode creates an account with an organization's or group's invite
// code: in the group of a group code; for the organization's code in the
// chosen group (when people choose: only a group on offer whose own code
// works, and pending when that code requires approval) or the default group. The account is
// active at once, or pending when the code requires approval. The user is
// created and the use counted in one transaction.
// Errors: EINVALID, ENOTFOUND, EFORBIDDEN, ECONFLICT, ETOOMANY.
func (a *App) SignUpWithCode(ctx context.Context, typed string, f SignUpForm, client string) (*SignUpResult, error) {
	c, org, err := a.lookupCode(ctx, typed, client)
	if err != nil {
		return nil, err
	}
	accountType := Key(org.SignUp.DefaultAccountType)
	if accountType == "" {
		accountType = org.AccountTypes()[0]
	}
	var groups []string
	approval := c.RequireApproval
	switch {
	case c.GroupID != "":
		g, err := a.Store.Group(ctx, org.ID, c.GroupID)
		if err != nil {
			return nil, err
		}
		groups, accountType = []string{g.ID}, g.DefaultAccountType
	case org.SignUp.ChooseGroup:
		if f.Group == "" {
			return nil, FieldError(EINVALID, "group", "Choose your class or department.")
		}
		choices, err := a.choosableGroups(ctx, org)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(choices, func(g JoinGroup) bool { return g.ID == f.Group })
		if i < 0 {
			return nil, FieldError(EINVALID, "group", "Choose your class or department from the list.")
		}
		g, err := a.Store.Group(ctx, org.ID, f.Group)
		if err != nil {
			return nil, FieldError(EINVALID, "group", "Choose your class or department from the list.")
		}
		groups, accountType = []string{g.ID}, g.DefaultAccountType
		approval = approval || choices[i].Approval
	case org.SignUp.DefaultGroup != "":
		if g, err := a.Store.Group(ctx, org.ID, org.SignUp.DefaultGroup); err == nil {
			groups = []string{g.ID}
		}
	}
	status := StatusActive
	if approval {
		status = StatusPending
	}
	u, err := a.newSignUpUser(org, f, accountType, groups, status, ViaInviteCode)
	if err != nil {
		return nil, err
	}
	u.InviteCode = c.Code
	if org.SignUp.login() == LoginPhone {
		if err := a.phoneSignUpReady(ctx, org); err != nil {
			return nil, err
		}
	}
	if err := a.hashSignUpUser(u, f.Password, client, "code:"+c.Code); err != nil {
		return nil, err
	}
	if org.SignUp.login() == LoginPhone {
		return a.waitForPhone(ctx, org, u, client, "signup.phone_code", func(p *PhoneSignUp) { p.InviteCode = c.Code })
	}
	vm, err := a.verificationMail(ctx, org, u)
	if err != nil {
		a.SignUpLimits.PerIP.Refund(client)
		return nil, err
	}
	now := a.now()
	ctx = a.audit(WithActor(ctx, SignUpActor), org.ID, "signup.code", personTarget(u), "signed up with an invite code; "+u.Status)
	err = a.createSignUp(client, func() error {
		return a.Store.UseInviteCode(ctx, c.Code, func(cur *InviteCode) error {
			if !sameOwner(cur, c) {
				return Errorf(ENOTFOUND, "There is no code %s. Check it and try again.", c.Display())
			}
			return cur.usable(org, now)
		}, u, nil, vm)
	})
	if err != nil {
		return nil, err
	}
	return a.signedUp(ctx, org, u, vm), nil
}

// signedUp is the result of a sign-up; a verification mail queued with it
// wakes the outbox.
func (a *App) signedUp(ctx context.Context, org *Organization, u *User, vm *VerificationMail) *SignUpResult {
	r := a.signUpResult(ctx, org, u)
	if vm != nil {
		r.VerifyMailSent = true
		a.outbox().wakeUp()
	}
	return r
}

func sameOwner(a, b *InviteCode) bool { return a.OrgID == b.OrgID && a.GroupID == b.GroupID }

// SignUpWithLink creates an account with an invite link: the link's account
// type and groups; active at once when the link accepts new users
// automatically, else pending. Errors as SignUpWithCode, and EUNAUTHORIZED
// for a wrong link password.
func (a *App) SignUpWithLink(ctx context.Context, token string, f SignUpForm, client string) (*SignUpResult, error) {
	l, org, err := a.lookupLink(ctx, token, client, true)
	if err != nil {
		return nil, err
	}
	if err := a.checkLinkPassword(l, f.LinkPassword, client); err != nil {
		return nil, err
	}
	status := StatusPending
	if l.AutoAccept {
		status = StatusActive
	}
	u, err := a.newSignUpUser(org, f, l.AccountType, slices.Clone(l.Groups), status, ViaSignUp)
	if err != nil {
		return nil, err
	}
	u.InviteLink = l.ID
	if org.SignUp.login() == LoginPhone {
		if err := a.phoneSignUpReady(ctx, org); err != nil {
			return nil, err
		}
	}
	if err := a.hashSignUpUser(u, f.Password, client, "link:"+l.ID); err != nil {
		return nil, err
	}
	if org.SignUp.login() == LoginPhone {
		return a.waitForPhone(ctx, org, u, client, "signup.phone_code", func(p *PhoneSignUp) { p.LinkID, p.LinkHash = l.ID, l.TokenHash })
	}
	vm, err := a.verificationMail(ctx, org, u)
	if err != nil {
		a.SignUpLimits.PerIP.Refund(client)
		return nil, err
	}
	now := a.now()
	hash := l.TokenHash
	ctx = a.audit(WithActor(ctx, SignUpActor), org.ID, "signup.link", personTarget(u), "signed up with invite link "+linkTarget(l).Name+"; "+u.Status)
	err = a.createSignUp(client, func() error {
		return a.Store.UseInviteLink(ctx, org.ID, l.ID, func(cur *InviteLink) error {
			if cur.TokenHash != hash {
				return Errorf(ENOTFOUND, "This invite link does not work. Check that you have the whole address.")
			}
			return cur.usable(now)
		}, u, vm)
	})
	if err != nil {
		return nil, err
	}
	return a.signedUp(ctx, org, u, vm), nil
}

// JoinWithCode lets a signed-in user use an invite code of their own
// organization: a group code adds them to the group, in the transaction that
// counts the use, on the user as stored at that moment. A code that requires
// approval is refused (joining has no approval queue); joins count against
// the code's per-minute limit like sign-ups. Errors: EINVALID, ENOTFOUND,
// EFORBIDDEN, ECONFLICT (another organization), ETOOMANY.
func (a *App) JoinWithCode(ctx context.Context, userID, typed, client string) (*SignUpResult, error) {
	c, org, err := a.lookupCode(ctx, typed, client)
	if err != nil {
		return nil, err
	}
	u, err := a.Store.User(ctx, "", userID)
	if err != nil {
		return nil, err
	}
	if u.OrgID != org.ID {
		return nil, Errorf(ECONFLICT, "The code %s belongs to %s; your account is in another organization. Confirm to move your account there.", c.Display(), org.Name)
	}
	target := AuditTarget{Kind: "group", ID: c.GroupID}
	if g, err := a.Store.Group(ctx, org.ID, c.GroupID); err == nil {
		target = groupTarget(g)
	}
	ctx = a.audit(WithActor(ctx, PersonActor(u)), org.ID, "person.join_group", target, "joined with the group's invite code", u.ID)
	if c.GroupID == "" || slices.Contains(u.Groups, c.GroupID) {
		return a.signUpResult(ctx, org, u), a.flushAudit(ctx) // already in
	}
	if c.RequireApproval {
		return nil, errJoinNeedsApproval(c)
	}
	if !a.SignUpLimits.PerCode.Take("code:" + c.Code) {
		return nil, errBusyCode
	}
	now := a.now()
	err = a.Store.UseInviteCode(ctx, c.Code, func(cur *InviteCode) error {
		if !sameOwner(cur, c) {
			return Errorf(ENOTFOUND, "There is no code %s.", c.Display())
		}
		if cur.RequireApproval {
			return errJoinNeedsApproval(cur)
		}
		return cur.usable(org, now)
	}, u, func(u *User) error {
		if u.OrgID != org.ID {
			return Errorf(ECONFLICT, "Your account moved to another organization meanwhile.")
		}
		if u.Status != StatusActive {
			return errSignedOut // deactivated meanwhile
		}
		if !slices.Contains(u.Groups, c.GroupID) {
			u.Groups = append(u.Groups, c.GroupID)
		}
		u.UpdatedAt = now
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	return a.signUpResult(ctx, org, u), nil
}

// errJoinNeedsApproval refuses a signed-in user's join with a code that
// requires approval: there is no queue for joining a group (only for new
// accounts), so the person is told whom to ask.
func errJoinNeedsApproval(c *InviteCode) error {
	return Errorf(EFORBIDDEN, "The code %s needs a teacher's approval, so it cannot add an existing account to the group by itself. Ask your teacher or IT staff to add you.", c.Display())
}

// CodeCheck is what a signed-in user learns of a code before using it:
// whose it is, and what using it does.
type CodeCheck struct {
	Organization string `json:"organization"`
	Group        string `json:"group,omitempty"`
	// OtherOrganization is true when the code belongs to another
	// organization than the account's: using it moves the account there,
	// which the person confirms first.
	OtherOrganization bool `json:"other_organization"`
	// Approval is true when the code needs a teacher's approval.
	Approval bool `json:"approval"`
}

// CheckCodeAsUser looks a code up for the user signed in to the portal, for
// the confirmation step; wrong codes count as at sign-up. Errors as
// lookupCode, and EUNAUTHORIZED.
func (a *App) CheckCodeAsUser(ctx context.Context, sessionToken, typed, client string) (*CodeCheck, error) {
	u, err := a.UserBySession(ctx, sessionToken)
	if err != nil {
		return nil, err
	}
	c, org, err := a.lookupCode(ctx, typed, client)
	if err != nil {
		return nil, err
	}
	out := &CodeCheck{Organization: org.Name, OtherOrganization: u.OrgID != org.ID, Approval: c.RequireApproval}
	if c.GroupID != "" {
		if g, err := a.Store.Group(ctx, org.ID, c.GroupID); err == nil {
			out.Group = g.Name
		}
	}
	return out, nil
}

// JoinWithCodeAsUser is JoinWithCode for the user signed in to the portal
// with the session token. A code of another organization moves the account
// there (MoveWithCode) when move confirms it, and is ECONFLICT otherwise.
// The new session token is "" unless the account moved and is active.
// Errors as JoinWithCode, and EUNAUTHORIZED.
func (a *App) JoinWithCodeAsUser(ctx context.Context, sessionToken, typed, client string, move bool) (*SignUpResult, string, error) {
	u, err := a.UserBySession(ctx, sessionToken)
	if err != nil {
		return nil, "", err
	}
	if move {
		return a.MoveWithCode(ctx, u.ID, typed, client)
	}
	res, err := a.JoinWithCode(ctx, u.ID, typed, client)
	return res, "", err
}

// MoveWithCode moves a signed-in person's account, with its username,
// email and password, into the organization of an invite code of another
// organization (as a join invitation does): into the code's group with its
// account type (for the organization's code, its sign-up defaults), active
// at once or waiting in the organization's approval queue when the code
// requires approval. Roles, labels, the deletion date and the import of
// the old organization do not come along. The use is counted and the
// account moved in one transaction; every session of the account ends
// with the move, and an active account gets a new one (returned). Errors:
// EINVALID, ENOTFOUND, EFORBIDDEN, ECONFLICT (a code of the account's own
// organization: use JoinWithCode), ETOOMANY.
func (a *App) MoveWithCode(ctx context.Context, userID, typed, client string) (*SignUpResult, string, error) {
	c, org, err := a.lookupCode(ctx, typed, client)
	if err != nil {
		return nil, "", err
	}
	u, err := a.Store.User(ctx, "", userID)
	if err != nil {
		return nil, "", err
	}
	if u.OrgID == org.ID {
		return nil, "", Errorf(ECONFLICT, "The code %s is of your own organization; use it without moving.", c.Display())
	}
	if u.Status != StatusActive {
		return nil, "", errSignedOut
	}
	accountType := Key(org.SignUp.DefaultAccountType)
	if accountType == "" {
		accountType = org.AccountTypes()[0]
	}
	var groups []string
	if c.GroupID != "" {
		g, err := a.Store.Group(ctx, org.ID, c.GroupID)
		if err != nil {
			return nil, "", err
		}
		groups, accountType = []string{g.ID}, g.DefaultAccountType
	} else if org.SignUp.DefaultGroup != "" {
		if g, err := a.Store.Group(ctx, org.ID, org.SignUp.DefaultGroup); err == nil {
			groups = []string{g.ID}
		}
	}
	status := StatusActive
	if c.RequireApproval {
		status = StatusPending
	}
	if !a.SignUpLimits.PerCode.Take("code:" + c.Code) {
		return nil, "", errBusyCode
	}
	now := a.now()
	from := u.OrgID
	ctx = a.audit(WithActor(ctx, PersonActor(u)), org.ID, "person.join_org", personTarget(u), "moved their account here from another organization with an invite code; "+status, u.ID)
	err = a.Store.UseInviteCode(ctx, c.Code, func(cur *InviteCode) error {
		if !sameOwner(cur, c) {
			return Errorf(ENOTFOUND, "There is no code %s.", c.Display())
		}
		return cur.usable(org, now)
	}, u, func(u *User) error {
		if u.OrgID != from {
			return Errorf(ECONFLICT, "Your account moved to another organization meanwhile.")
		}
		if u.Status != StatusActive {
			return errSignedOut // deactivated meanwhile
		}
		u.OrgID, u.Groups, u.AccountType, u.Status = org.ID, groups, accountType, status
		u.AdminRole, u.AdminGroups, u.Labels, u.DeleteOn, u.ImportID = "", nil, nil, "", ""
		u.InviteCode, u.UpdatedAt = c.Code, now
		return u.Validate(org)
	}, nil)
	if err != nil {
		return nil, "", err
	}
	// Sessions opened in the old organization end with the move.
	if err := a.Store.DeleteSessionsOf(ctx, u.ID); err != nil {
		return nil, "", err
	}
	token := ""
	if u.Status == StatusActive {
		if token, err = a.startSession(ctx, SessionUser, u.ID, UserSessionTTL); err != nil {
			return nil, "", err
		}
	}
	return a.signUpResult(ctx, org, u), token, nil
}
