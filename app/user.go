package app

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// User statuses.
const (
	StatusInvited     = "invited"
	StatusPending     = "pending" // pending approval
	StatusActive      = "active"
	StatusDeactivated = "deactivated"
)

// How a user came to be.
const (
	ViaAdmin      = "admin"
	ViaImport     = "import"
	ViaManual     = "manual"
	ViaInvitation = "invitation"
	ViaInviteCode = "invite_code"
	ViaSignUp     = "signup"
	ViaSSO        = "sso"
	// ViaSCIM (scim.go): provisioned by the school's directory.
)

// User is a person in an organization: a pupil, a teacher, an employee.
type User struct {
	ID        string `json:"id"`
	OrgID     string `json:"org_id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	// Username and Email are each unique across the whole file, case-insensitively,
	// so a person signs in with either without naming an organization.
	Username string `json:"username"`
	Email    string `json:"email"`
	// EmailVerified is true when the person proved they receive mail at
	// Email (they accepted an invitation link or a verification link) or an
	// admin entered it (created or edited the user, an import, manual
	// creation, an invitation). An unverified address never receives a
	// join link or a password reset and never merges accounts; an admin
	// who invites it takes it away from the account that claimed it
	// (see Invite).
	EmailVerified bool     `json:"email_verified"`
	Phone         string   `json:"phone"`
	AccountType   string   `json:"account_type"`
	Groups        []string `json:"groups"` // group IDs
	Language      string   `json:"language"`
	Labels        []string `json:"labels"`
	JobTitle      string   `json:"job_title"`
	Status        string   `json:"status"`
	// DeleteOn is an optional date (YYYY-MM-DD) after which the user is purged.
	DeleteOn   string `json:"delete_on,omitempty"`
	CreatedVia string `json:"created_via"`
	// InviteCode and InviteLink (an ID) say through which code or link a
	// person signed up, for the approval queue and the classroom count.
	InviteCode string `json:"invite_code,omitempty"`
	InviteLink string `json:"invite_link,omitempty"`
	// ImportID names the import that created the user, if any.
	ImportID  string    `json:"import_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// MustChangePassword asks for a new password at the next sign-in.
	MustChangePassword bool `json:"must_change_password"`
	// AdminRole is RoleOrgAdmin for an admin of the whole organization;
	// AdminGroups are the IDs of the groups the person administers
	// (access.go). Either lets them sign in to the admin UI.
	AdminRole   string   `json:"admin_role,omitempty"`
	AdminGroups []string `json:"admin_groups,omitempty"`
	// Identities are the sign-in providers' accounts linked to the person
	// (sso.go): each signs them in.
	Identities []Identity `json:"identities"`
	// PasswordHash is an argon2id hash; never sent to a client.
	PasswordHash string `json:"-"`
	// BadgeHash is the SHA-256 of the person's sign-in badge code
	// (badge.go), "" without a badge; BadgePINHash the argon2id hash of its
	// PIN, where the account type asks for one. Never sent to a client.
	BadgeHash    string `json:"-"`
	BadgePINHash string `json:"-"`
	// BadgeIssued is when the current badge was made; nil without one.
	BadgeIssued *time.Time `json:"badge_issued,omitempty"`
	// TwoStep: a person with an admin role signs in to the admin UI with a
	// code after the password (totp.go). The store sets it from TOTP.
	TwoStep bool `json:"two_step"`
	// Directory is true for a person the school's directory provisions
	// (scim.go): the admin UI warns that a local edit is overwritten at the
	// next sync. ExternalID is the directory's own ID for them;
	// DirectoryName their userName there when it is not a valid Rollcall
	// username (an address such as alice@school.example).
	Directory     bool   `json:"directory,omitempty"`
	ExternalID    string `json:"external_id,omitempty"`
	DirectoryName string `json:"directory_name,omitempty"`
	// TOTP is their two-step record (sealed secret, hashed recovery codes,
	// the last step used), as an admin account's AdminTOTP; it never leaves
	// the server, and goes with the person's record when they are erased.
	TOTP AdminTOTP `json:"-"`
}

// HasPassword reports whether the user can sign in with a password.
func (u *User) HasPassword() bool { return u.PasswordHash != "" }

var (
	usernameRe = regexp.MustCompile(`^[\p{L}\p{N}](?:[\p{L}\p{N}._-]*[\p{L}\p{N}])?$`)
	phoneRe    = regexp.MustCompile(`^\+?[0-9 ()./-]{3,32}$`)
)

// Username limits.
const (
	MinUsernameLength = 2
	MaxUsernameLength = 64
)

// Validate checks the user's fields against its organization. Groups are
// checked by the caller, which knows the organization's groups.
func (u *User) Validate(org *Organization) error {
	v := validation{}
	// An invited person may not have given a name yet: they do on the invitation page.
	if u.Status != StatusInvited || u.FirstName != "" {
		checkName(v, "first_name", "The first name", u.FirstName)
	}
	if u.LastName != "" { // optional: some people have one name
		checkName(v, "last_name", "The last name", u.LastName)
	}
	if u.Username == "" && u.Email == "" {
		v.add("username", "A username or an email address is needed: that is what signs in.")
	}
	if u.Username != "" {
		if msg := CheckUsername(u.Username); msg != "" {
			v.add("username", "%s", msg)
		}
	}
	checkEmail(v, "email", u.Email)
	if u.Phone != "" && !phoneRe.MatchString(u.Phone) {
		v.add("phone", "%q is not a phone number (digits, spaces, + - ( ) only).", u.Phone)
	}
	if !org.HasAccountType(u.AccountType) {
		v.add("account_type", "The account type %q does not exist here; choose one of %s.", u.AccountType, strings.Join(org.AccountTypes(), ", "))
	}
	checkLanguage(v, "language", u.Language)
	if u.JobTitle != "" {
		checkName(v, "job_title", "The job title", u.JobTitle)
	}
	switch u.Status {
	case StatusInvited, StatusPending, StatusActive, StatusDeactivated:
	default:
		v.add("status", "Unknown status %q.", u.Status)
	}
	checkDate(v, "delete_on", u.DeleteOn)
	return v.err("first_name", "last_name", "username", "email", "phone", "account_type", "language", "job_title", "status", "delete_on", "labels")
}

// CheckUsername returns what is wrong with a cleaned username, or "": its
// length, its characters, or letters from more than one alphabet.
func CheckUsername(s string) string {
	n := utf8.RuneCountInString(s)
	switch {
	case n < MinUsernameLength || n > MaxUsernameLength:
		return "A username has 2 to 64 characters."
	case !usernameRe.MatchString(s):
		return "A username may use letters, digits, dots, dashes and underscores, and starts and ends with a letter or digit."
	}
	return mixedScripts(s)
}

// UserCreate is what a person gives to create one user.
type UserCreate struct {
	User
	// Password is optional: without one the person cannot sign in until one is set.
	Password string `json:"password"`
	// SendActivation mails the person (who needs an email address) a link
	// to set their password, in the transaction that creates the account.
	SendActivation bool `json:"send_activation"`
}

// UserUpdate holds the fields of a user that may change; nil fields stay.
type UserUpdate struct {
	FirstName   *string   `json:"first_name"`
	LastName    *string   `json:"last_name"`
	Username    *string   `json:"username"`
	Email       *string   `json:"email"`
	Phone       *string   `json:"phone"`
	AccountType *string   `json:"account_type"`
	Groups      *[]string `json:"groups"`
	Language    *string   `json:"language"`
	Labels      *[]string `json:"labels"`
	JobTitle    *string   `json:"job_title"`
	DeleteOn    *string   `json:"delete_on"`
	Password    *string   `json:"password"`
}

// UserFilter selects users of one organization; zero fields select all.
type UserFilter struct {
	// Query matches a part of the first or last name, username, email or a
	// label, case-insensitively; every word must match.
	Query       string `json:"q,omitempty"`
	Group       string `json:"group,omitempty"` // group ID (or name, for the app's use cases)
	AccountType string `json:"type,omitempty"`
	Status      string `json:"status,omitempty"`
	// Label selects the users with this label, case-insensitively.
	Label   string `json:"label,omitempty"`
	Page    int    `json:"-"` // from 1
	PerPage int    `json:"-"`
	// DueWithin, when above 0, selects the users whose deletion date is
	// at most that many days away, or past (lifecycle.go).
	DueWithin int `json:"due_within,omitempty"`
	// DeleteBy is DueWithin as a date (YYYY-MM-DD), filled by Users for the store.
	DeleteBy string `json:"-"`
	// InGroups, when not nil, selects members of any of these group IDs:
	// filled by Users for a group admin (their groups).
	InGroups []string `json:"-"`
	// Offset, when above 0, starts the page at that match (0-based)
	// instead of at Page's first (the directory's startIndex, scim.go).
	Offset int `json:"-"`
	// HideDueBy (YYYY-MM-DD) leaves out the users whose deletion date is on
	// or before it.
	HideDueBy string `json:"-"`
}

// Paging limits.
const (
	DefaultPerPage = 50
	MaxPerPage     = 500
)

// UserPage is one page of users ordered by last name, first name.
type UserPage struct {
	Users   []*User `json:"users"`
	Total   int     `json:"total"`
	Page    int     `json:"page"`
	PerPage int     `json:"per_page"`
}

// UserStore keeps users and the indexes that make usernames and emails unique.
type UserStore interface {
	// CreateUsers stores all the users or none of them, with the activation
	// mails of some of them (QueueResetMails). A big batch may be written
	// in parts; if one fails, or Rollcall stops meanwhile, the parts
	// written are deleted again (by the next open, after a stop).
	// ECONFLICT names the field and value of the first username or email taken.
	CreateUsers(ctx context.Context, users []*User, mails ...*ResetMail) error
	// User returns a user of the organization; ENOTFOUND if none.
	User(ctx context.Context, orgID, id string) (*User, error)
	// UsernameTaken and EmailTaken report whether the Key is used by any user.
	UsernameTaken(ctx context.Context, key string) (bool, error)
	// UsernamesTaken reports which of the keys are taken, in one read.
	UsernamesTaken(ctx context.Context, keys []string) (map[string]bool, error)
	EmailTaken(ctx context.Context, key string) (bool, error)
	// EmailsTaken is EmailTaken for many keys, in one read.
	EmailsTaken(ctx context.Context, keys []string) (map[string]bool, error)
	// UserByLogin returns the user whose username or email has the Key login; ENOTFOUND if none.
	UserByLogin(ctx context.Context, login string) (*User, error)
	// ChangeUser reads the user of the organization ("" for any) and calls fn
	// on that fresh copy, then writes it with its index entries, all in one
	// transaction: a change made meanwhile is never overwritten with a stale
	// copy. fn only assigns (expensive work such as hashing is done before);
	// its error is returned and nothing is written. ENOTFOUND if no such
	// user; ECONFLICT as CreateUsers. The ID cannot change.
	ChangeUser(ctx context.Context, orgID, id string, fn func(u *User) error) (*User, error)
	// ChangeUsers is ChangeUser for many users in one transaction, all or none.
	ChangeUsers(ctx context.Context, orgID string, ids []string, fn func(u *User) error) ([]*User, error)
	// ChangeUsersEndSessions is ChangeUsers that also deletes every session
	// of those users in the same transaction (a password reset).
	ChangeUsersEndSessions(ctx context.Context, orgID string, ids []string, fn func(u *User) error) ([]*User, error)
	// DeleteUser removes a user, its index entries, its sessions, and its
	// invitations with their outbox messages, in one transaction.
	DeleteUser(ctx context.Context, orgID, id string) error
	// FindUsers returns one page of the users that match f, and their total count.
	FindUsers(ctx context.Context, orgID string, f UserFilter) (*UserPage, error)
	// UserLabels returns the labels the organization's users carry, each
	// once (case-insensitively), in alphabetical order.
	UserLabels(ctx context.Context, orgID string) ([]string, error)
	// ChangeSelectedUsers resolves sel (IDs of the organization, or every
	// user matching sel.Filter, whose paging is ignored), calls check with
	// the number of users found, and then fn on a fresh copy of each, all in
	// one transaction. fn changes u in place and says what becomes of it;
	// users written must still have all their groups (ECONFLICT otherwise).
	// Any error from check or fn, or from writing, leaves everything as it
	// was. It returns how many of the IDs named no user of the organization.
	ChangeSelectedUsers(ctx context.Context, orgID string, sel UserSelection, check func(selected int) error,
		fn func(u *User) (UserVerdict, error)) (missing int, err error)
}

// UserSelection names users of one organization: by ID, or every user that
// matches Filter ("select all that match", across pages).
type UserSelection struct {
	IDs    []string    `json:"ids,omitempty"`
	Filter *UserFilter `json:"filter,omitempty"`
}

// UserVerdict is what a change of selected users does to one of them.
type UserVerdict int

// Verdicts of ChangeSelectedUsers.
const (
	UserSkip             UserVerdict = iota // leave the user as stored
	UserWrite                               // write the changed user
	UserWriteEndSessions                    // write it and end its sessions
	UserDelete                              // delete it, its sessions and its invitations
)

// normalizeUser cleans every field of u in place.
func normalizeUser(u *User) {
	u.FirstName = Clean(u.FirstName)
	u.LastName = Clean(u.LastName)
	u.Username = CleanUsername(u.Username)
	u.Email = Clean(u.Email)
	u.Phone = Clean(u.Phone)
	u.AccountType = Key(u.AccountType)
	u.Language = Clean(u.Language)
	u.JobTitle = Clean(u.JobTitle)
	u.DeleteOn = Clean(u.DeleteOn)
}

// groupIDs resolves group references (IDs or names) of an organization.
func (a *App) groupIDs(ctx context.Context, org *Organization, refs []string) ([]string, error) {
	ids := make([]string, 0, len(refs))
	seen := map[string]bool{}
	for _, ref := range refs {
		if Clean(ref) == "" {
			continue
		}
		g, err := a.group(ctx, org, Clean(ref))
		if ErrorCode(err) == ENOTFOUND {
			return nil, FieldError(EINVALID, "groups", "%s", ErrorArg(err))
		} else if err != nil {
			return nil, err
		}
		if !seen[g.ID] {
			seen[g.ID] = true
			ids = append(ids, g.ID)
		}
	}
	return ids, nil
}

// CreateUserWithSlip is CreateUser for a person who gets a generated
// password on a slip, as a class does (a pupil who joins mid-year): the
// account is created without a password, then given one in a job of owner
// (StartResetPasswords; style words, random, or "" for the organization's),
// whose slips, class sheet and CSV the admin downloads once.
// Errors: those of CreateUser and StartResetPasswords; EINVALID (a typed
// password as well, an unknown style).
func (a *App) CreateUserWithSlip(ctx context.Context, ref, owner string, in UserCreate, style string) (*User, JobStatus, error) {
	if style != "" && style != StyleWords && style != StyleRandom {
		return nil, JobStatus{}, FieldError(EINVALID, "password_style", "The password style must be %q or %q.", StyleWords, StyleRandom)
	}
	if in.Password != "" {
		return nil, JobStatus{}, FieldError(EINVALID, "password", "Type a password or have one generated for a slip, not both.")
	}
	u, err := a.CreateUser(ctx, ref, in)
	if err != nil {
		return nil, JobStatus{}, err
	}
	st, err := a.StartResetPasswords(ctx, ref, owner, ResetRequest{UserIDs: []string{u.ID}, PasswordStyle: style})
	return u, st, err
}

// CreateUser creates one active user in organization ref. An empty account
// type means the organization's first (student or learner); an empty language
// the organization's. Groups may be named by ID or name.
// Errors: ENOTFOUND (organization), EINVALID, ECONFLICT (username or email taken).
func (a *App) CreateUser(ctx context.Context, ref string, in UserCreate) (*User, error) {
	return a.createUser(ctx, ref, in, nil)
}

// createUser is CreateUser, for the directory (scim.go) with the link to
// the directory's record (nil for an admin, who cannot set it).
func (a *App) createUser(ctx context.Context, ref string, in UserCreate, link *directoryLink) (*User, error) {
	org, s, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	u := in.User
	u.OrgID = org.ID
	u.Directory, u.ExternalID, u.DirectoryName = false, "", ""
	u.AdminRole, u.AdminGroups = "", nil                     // roles are given by SetUserRoles
	u.BadgeHash, u.BadgePINHash, u.BadgeIssued = "", "", nil // badges are made by IssueBadges
	if !s.whole() && u.DeleteOn != "" {
		return nil, errNoDeleteOn
	}
	normalizeUser(&u)
	if u.AccountType == "" {
		u.AccountType = org.AccountTypes()[0]
	}
	if u.Language == "" {
		u.Language = org.Language
	}
	u.Status = StatusActive
	u.CreatedVia = ViaAdmin
	if link != nil {
		u.CreatedVia = ViaSCIM
		link.apply(&u)
	}
	u.EmailVerified = u.Email != "" // an admin entered it
	v := validation{}
	u.Labels = cleanLabels(v, "labels", u.Labels)
	normalizePhoneOf(v, org, &u)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := u.Validate(org); err != nil {
		return nil, err
	}
	if u.Groups, err = a.groupIDs(ctx, org, u.Groups); err != nil {
		return nil, err
	}
	if !s.hasGroups(u.Groups) {
		return nil, errNoGroup
	}
	if in.Password != "" {
		if err := org.PasswordPolicy.Check(in.Password); err != nil {
			return nil, err
		}
		if u.PasswordHash, err = HashPassword(a.Rand, a.Hash, in.Password); err != nil {
			return nil, err
		}
	} else {
		// Without a password there is nothing to change: they choose one first.
		u.PasswordHash, u.MustChangePassword = "", false
	}
	if in.SendActivation {
		switch {
		case u.Phone != "" && a.smsReady(ctx, org) == nil:
		case u.Email == "":
			return nil, FieldError(EINVALID, "email", "An activation mail needs an email address.")
		default:
			if err := a.mailReady(ctx, org); err != nil {
				return nil, err
			}
		}
	}
	u.ID = a.newID()
	u.CreatedAt = a.now()
	u.UpdatedAt = u.CreatedAt
	var mails []*ResetMail
	if in.SendActivation {
		if mails, err = a.activationMails(ctx, org, []*User{&u}); err != nil {
			return nil, err
		}
	}
	ctx = a.audit(ctx, org.ID, "user.create", personTarget(&u), "account type "+u.AccountType+activationNote(len(mails)))
	if err := a.Store.CreateUsers(ctx, []*User{&u}, mails...); err != nil {
		return nil, err
	}
	if len(mails) > 0 {
		a.outbox().wakeUp()
	}
	return &u, nil
}

// User returns a user of organization ref. Errors: ENOTFOUND.
func (a *App) User(ctx context.Context, ref, id string) (*User, error) {
	_, _, u, err := a.scopedUser(ctx, ref, id)
	return u, err
}

// Users returns one page of the users of organization ref matching f.
// Errors: ENOTFOUND (organization or group), EINVALID (filter).
func (a *App) Users(ctx context.Context, ref string, f UserFilter) (*UserPage, error) {
	org, s, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	if f, err = a.userFilter(ctx, org, f); err != nil {
		return nil, err
	}
	if !s.whole() { // a group admin sees the members of their groups
		if f.Group != "" && !s.hasGroup(f.Group) {
			return nil, errNotYourGrp
		}
		f.InGroups = append([]string{}, s.Groups...)
	}
	// A page past the end is empty, however large: bound it so that
	// (page-1)*per_page cannot overflow.
	f.Page = min(max(f.Page, 1), math.MaxInt/MaxPerPage)
	if f.PerPage < 1 {
		f.PerPage = DefaultPerPage
	}
	if f.PerPage > MaxPerPage {
		f.PerPage = MaxPerPage
	}
	return a.Store.FindUsers(ctx, org.ID, f)
}

// userFilter checks and normalizes a filter of org's users: the search
// text keyed, the group resolved (ID or name) to its ID.
func (a *App) userFilter(ctx context.Context, org *Organization, f UserFilter) (UserFilter, error) {
	f.Query = Key(f.Query)
	if utf8.RuneCountInString(f.Query) > MaxNameLength*2 {
		return f, FieldError(EINVALID, "q", "The search text is too long.")
	}
	f.Label = Key(f.Label)
	if utf8.RuneCountInString(f.Label) > MaxLabelLength {
		return f, FieldError(EINVALID, "label", "The label is too long: at most %d characters.", MaxLabelLength)
	}
	if f.Group != "" {
		g, err := a.group(ctx, org, f.Group)
		if err != nil {
			return f, err
		}
		f.Group = g.ID
	}
	if f.AccountType != "" && !org.HasAccountType(f.AccountType) {
		return f, FieldError(EINVALID, "type", "Unknown account type %q; choose one of %s.", f.AccountType, strings.Join(org.AccountTypes(), ", "))
	}
	switch f.Status {
	case "", StatusInvited, StatusPending, StatusActive, StatusDeactivated:
	default:
		return f, FieldError(EINVALID, "status", "Unknown status %q.", f.Status)
	}
	f.DeleteBy = ""
	if f.DueWithin > 0 {
		f.DeleteBy = addDays(a.today(a.Now()), min(f.DueWithin, MaxPurgeGraceDays))
	}
	return f, nil
}

// UserLabels lists the labels the users of organization ref carry, for the
// filter by label. Errors: ENOTFOUND.
func (a *App) UserLabels(ctx context.Context, ref string) ([]string, error) {
	org, _, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	return a.Store.UserLabels(ctx, org.ID)
}

// UpdateUser changes a user's fields. The new password is hashed first; the
// change is then applied to the stored user as it is at that moment.
// Errors: ENOTFOUND, EINVALID, ECONFLICT.
func (a *App) UpdateUser(ctx context.Context, ref, id string, upd UserUpdate) (*User, error) {
	return a.updateUser(ctx, ref, id, upd, nil)
}

// updateUser is UpdateUser, for the directory (scim.go) with the link to
// the directory's record (nil leaves it as it is).
func (a *App) updateUser(ctx context.Context, ref, id string, upd UserUpdate, link *directoryLink) (*User, error) {
	org, s, old, err := a.scopedUser(ctx, ref, id)
	if err != nil {
		return nil, err
	}
	if !s.whole() {
		switch {
		case upd.DeleteOn != nil && Clean(*upd.DeleteOn) != old.DeleteOn:
			return nil, errNoDeleteOn
		case upd.AccountType != nil && Key(*upd.AccountType) != old.AccountType:
			return nil, FieldError(EFORBIDDEN, "account_type", "Only an admin of the whole organization changes account types.")
		}
	}
	v := validation{}
	var labels []string
	if upd.Labels != nil {
		labels = cleanLabels(v, "labels", *upd.Labels)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var groups []string
	if upd.Groups != nil {
		if groups, err = a.groupIDs(ctx, org, *upd.Groups); err != nil {
			return nil, err
		}
		// A group admin moves people between their own groups only.
		for _, g := range symmetricDifference(old.Groups, groups) {
			if !s.hasGroup(g) {
				return nil, FieldError(EFORBIDDEN, "groups", "%s", errNotYourGrp.Message)
			}
		}
	}
	hash := ""
	if upd.Password != nil {
		if err := org.PasswordPolicy.Check(*upd.Password); err != nil {
			return nil, err
		}
		if hash, err = HashPassword(a.Rand, a.Hash, *upd.Password); err != nil {
			return nil, err
		}
	}
	now := a.now()
	action, detail := "user.update", "changed "+changedFields(upd)
	if link != nil && (link.ExternalID != old.ExternalID || link.DirectoryName != old.DirectoryName || !old.Directory) {
		detail += "; directory link"
	}
	if upd.AccountType != nil && Key(*upd.AccountType) != old.AccountType {
		action, detail = "user.role", fmt.Sprintf("account type %s → %s; %s", old.AccountType, Key(*upd.AccountType), detail)
	}
	ctx = a.audit(ctx, org.ID, action, personTarget(old), detail)
	return a.Store.ChangeUser(ctx, org.ID, id, func(u *User) error {
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		oldEmail, oldPhone := u.Email, u.Phone
		set(&u.FirstName, upd.FirstName)
		set(&u.LastName, upd.LastName)
		set(&u.Username, upd.Username)
		set(&u.Email, upd.Email)
		set(&u.Phone, upd.Phone)
		set(&u.AccountType, upd.AccountType)
		set(&u.Language, upd.Language)
		set(&u.JobTitle, upd.JobTitle)
		set(&u.DeleteOn, upd.DeleteOn)
		normalizeUser(u)
		if upd.Phone != nil && u.Phone != oldPhone { // a number kept as it was stays, even from before E.164
			v := validation{}
			if normalizePhoneOf(v, org, u); len(v) > 0 {
				return v.err("phone")
			}
		}
		if LoginKey(u.Email) != LoginKey(oldEmail) {
			// An address an admin types is theirs to vouch for; an
			// unchanged one keeps its state (saving a form does not verify
			// a sign-up's claim).
			u.EmailVerified = u.Email != ""
		}
		if upd.Labels != nil {
			u.Labels = labels
		}
		if err := u.Validate(org); err != nil {
			return err
		}
		if upd.Groups != nil {
			u.Groups = groups
		}
		if upd.Password != nil {
			u.PasswordHash = hash
		}
		if link != nil {
			link.apply(u)
		}
		u.UpdatedAt = now
		return nil
	})
}

// SetUserStatus deactivates or reactivates a user. Deactivating ends the
// user's sessions at once. Errors: ENOTFOUND, EINVALID.
func (a *App) SetUserStatus(ctx context.Context, ref, id, status string) (*User, error) {
	if status != StatusActive && status != StatusDeactivated {
		return nil, FieldError(EINVALID, "status", "A user can only be set to %q or %q.", StatusActive, StatusDeactivated)
	}
	org, _, _, err := a.scopedUser(ctx, ref, id)
	if err != nil {
		return nil, err
	}
	now := a.now()
	set := func(u *User) error {
		u.Status, u.UpdatedAt = status, now
		return nil
	}
	u, err := a.Store.User(ctx, org.ID, id)
	if err != nil {
		return nil, err
	}
	action := "user.activate"
	if status == StatusDeactivated {
		action = "user.deactivate"
	}
	ctx = a.audit(ctx, org.ID, action, personTarget(u), "")
	if status == StatusActive {
		return a.Store.ChangeUser(ctx, org.ID, id, set)
	}
	// The status and the end of every session in one transaction.
	us, err := a.Store.ChangeUsersEndSessions(ctx, org.ID, []string{id}, set)
	if err != nil {
		return nil, err
	}
	return us[0], nil
}

// DeleteUser erases a user and everything stored about them: the same
// purge as a deletion date's (lifecycle.go); the file is compacted at the
// scheduler's next pass or when Rollcall stops. Errors: ENOTFOUND.
func (a *App) DeleteUser(ctx context.Context, ref, id string) error {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return err
	}
	if _, err := a.Store.User(ctx, org.ID, id); err != nil {
		return err // no entry for a deletion that deletes nobody
	}
	// Deleting forgets the person's name in the audit log (their entries
	// keep action and time), this entry included.
	ctx = a.audit(ctx, org.ID, "user.delete", AuditTarget{Kind: "person", ID: id, Name: DeletedPerson}, "")
	gone, err := a.purgeUsers(ctx, org.ID, []string{id})
	if err == nil && len(gone) == 0 {
		return Errorf(ENOTFOUND, "There is no such user in this organization.")
	}
	return err
}

// MaxBulkUsers bounds how many users one bulk request may name.
const MaxBulkUsers = 10000
