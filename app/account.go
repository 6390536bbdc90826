package app

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"rollcall/internal/argon2id"
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
	// SendActivation mails each new person with an email address a link
	// to set their password (an activation mail), in the batch's transaction.
	SendActivation bool `json:"send_activation"`
	// Badges also makes each person a sign-in badge in the same write,
	// printed on their slip (its code exists only in the job's result, as
	// the passwords do). Only for an account type whose badge rule is the
	// badge alone: a PIN is printed apart from the badge (the group's
	// badges) and would add a second slow hash per person.
	Badges bool `json:"badges"`
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
	// Warnings maps a field to what is worth a look (a line pasted twice?);
	// the row is created all the same.
	Warnings map[string]string `json:"warnings,omitempty"`
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
	// Badge is the code of the sign-in badge made with the account (a
	// batch with Badges), for its slip; "" without one.
	Badge string `json:"-"`
	// Groups are the names of the user's groups, for printing.
	Groups []string `json:"groups"`
}

// AccountResult is the outcome of creating or resetting a batch.
type AccountResult struct {
	Org      *Organization `json:"organization"`
	Accounts []NewAccount  `json:"accounts"`
	// ActivationMails counts the activation mails queued with the batch.
	ActivationMails int `json:"activation_mails"`
}

// PreviewAccounts shows how each line will be created: names, username
// (generated where none was given, unique across the whole file), login
// email, and every problem. Nothing is written.
// Errors: ENOTFOUND (organization), EINVALID (batch settings, not rows).
func (a *App) PreviewAccounts(ctx context.Context, ref string, b AccountBatch) (*AccountPreview, error) {
	org, _, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	p, _, err := a.previewAccounts(ctx, org, &b)
	return p, err
}

// previewAccounts fills in b's defaults and returns the preview and the
// plans of its rows (the shared account core's view of them).
func (a *App) previewAccounts(ctx context.Context, org *Organization, b *AccountBatch) (*AccountPreview, []accountPlan, error) {
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
	if b.Badges {
		switch org.BadgeMode(b.AccountType) {
		case BadgeOff:
			return nil, nil, FieldError(EINVALID, "badges", "Badges are off for %s accounts here: allow them in the organization's settings first.", b.AccountType)
		case BadgeWithPIN:
			return nil, nil, FieldError(EINVALID, "badges", "Accounts of type %s sign in with a badge and a PIN: make their badges from the group's page, where the PINs print on a page of their own.", b.AccountType)
		}
	}
	if err := org.passwordOptions(&b.PasswordMode, &b.PasswordStyle, &b.Password, PasswordRandom, PasswordSame, PasswordGiven); err != nil {
		return nil, nil, err
	}
	groups, err := a.groupIDs(ctx, org, b.Groups)
	if err != nil {
		return nil, nil, err
	}
	if !ScopeOf(ctx).hasGroups(groups) { // a group admin creates into their groups
		return nil, nil, errNoGroup
	}

	p := &AccountPreview{AccountType: b.AccountType, PasswordMode: b.PasswordMode, PasswordStyle: b.PasswordStyle}
	if b.PasswordMode == PasswordRandom {
		p.PasswordBits = PasswordBits(b.PasswordStyle, org.PasswordPolicy)
	}
	specs := make([]AccountSpec, len(b.People))
	for i, person := range b.People {
		specs[i] = AccountSpec{Line: person.Line, FirstName: person.FirstName, LastName: person.LastName,
			Username: person.Username, AccountType: b.AccountType, Language: b.Language, Groups: groups}
		if b.PasswordMode == PasswordGiven {
			specs[i].Password = person.Password
		}
	}
	plans, err := a.planAccounts(ctx, org, specs, b.planOptions())
	if err != nil {
		return nil, nil, err
	}
	rows := make([]AccountRow, len(b.People))
	twice := repeatedNames(len(b.People), false, func(i int) (int, string, string, bool) {
		return b.People[i].Line, b.People[i].FirstName, b.People[i].LastName, b.People[i].Username == ""
	})
	for i, pl := range plans {
		r := AccountRow{NameLine: b.People[i], UsernameGenerated: pl.UsernameGenerated, LoginEmail: pl.User.Email, Problems: pl.Problems}
		if msg := twice[i]; msg != "" {
			r.Warnings = map[string]string{"first_name": msg}
		}
		r.FirstName, r.LastName, r.Username = pl.User.FirstName, pl.User.LastName, pl.User.Username
		if len(r.Problems) > 0 {
			p.Problems++
		}
		rows[i] = r
	}
	p.Rows = rows
	return p, plans, nil
}

// repeatedNames finds the people of a batch or file whose name (first and
// last, compared as keys) is that of an earlier one — most often a line
// pasted twice — and returns, by index, the warning to show; "" for the
// others. person(i) is the line (or row) number, the names, and whether
// the username is to be generated: a typed username says the person is
// meant.
func repeatedNames(n int, rows bool, person func(i int) (line int, first, last string, generated bool)) []string {
	out := make([]string, n)
	seen := map[string]int{}
	for i := range n {
		line, first, last, generated := person(i)
		k := Key(first) + "\x00" + Key(last)
		if !generated || Key(first) == "" {
			continue
		}
		if at, ok := seen[k]; ok {
			if rows {
				out[i] = Tr("en", "The same name as row %d: pasted twice? Remove this row if it is the same person; if it is another person with the same name, keep it (the username gets a number).", at)
			} else {
				out[i] = Tr("en", "The same name as line %d: pasted twice? Remove this line if it is the same person; if it is another person with the same name, keep it (the username gets a number).", at)
			}
			continue
		}
		seen[k] = line
	}
	return out
}

func (b *AccountBatch) planOptions() planOptions {
	return planOptions{Via: b.Via, MustChangePassword: b.MustChangePassword, PasswordMode: b.PasswordMode,
		PasswordStyle: b.PasswordStyle, Password: b.Password}
}

// AccountSpec is one account asked for — a line of a batch or a row of an
// import — as the account core takes it: planAccounts checks and completes
// specs, newAccounts settles and hashes their passwords. Text fields are
// cleaned by the core; Groups are group IDs.
type AccountSpec struct {
	Line        int
	FirstName   string
	LastName    string
	Username    string
	Email       string
	Phone       string
	AccountType string
	Language    string
	JobTitle    string
	DeleteOn    string
	Password    string // given; empty → by the password mode
	Groups      []string
	Labels      []string
	// MustChangePassword, when set, overrides the batch's option for this
	// account (an import's "change password" column).
	MustChangePassword *bool
}

// accountPlan is a spec checked and completed: the user it will become
// (without ID, times or hash), and what is wrong with it.
type accountPlan struct {
	Line              int
	User              *User
	Password          string // given; "" → generated or the same for all at creation
	UsernameGenerated bool
	// Problems maps a field to what is wrong with it; such a row is not created.
	Problems map[string]string
}

func (p *accountPlan) problem(field, format string, args ...any) {
	if p.Problems == nil {
		p.Problems = map[string]string{}
	}
	if _, ok := p.Problems[field]; !ok {
		p.Problems[field] = fmt.Sprintf(format, args...)
	}
}

// planOptions are the settings of a batch or import that shape every account.
type planOptions struct {
	Via                string
	MustChangePassword bool
	PasswordMode       string // random, same or given
	PasswordStyle      string
	Password           string // of mode same
	// Unit is what the person calls a spec in messages: "line" (pasted
	// names, the default) or "row" (a file).
	Unit string
}

func (o planOptions) unit() string {
	if o.Unit == "" {
		return "line"
	}
	return o.Unit
}

// passwordOptions fills in and checks the password options of a batch or
// an import, one rule for both: the mode (one of modes; random when empty),
// the style (the organization's when empty), the shared password against
// the policy for "same". A password given with "random" is dropped.
func (org *Organization) passwordOptions(mode, style, password *string, modes ...string) error {
	if *mode == "" {
		*mode = PasswordRandom
	}
	if *style == "" {
		*style = org.passwordStyle()
	}
	if *style != StyleWords && *style != StyleRandom {
		return FieldError(EINVALID, "password_style", "The password style must be %q or %q.", StyleWords, StyleRandom)
	}
	if !slices.Contains(modes, *mode) {
		names := map[string]string{PasswordRandom: "random (one for each person)", PasswordSame: "same (one for all)", PasswordGiven: "given (on each line)"}
		var list []string
		for _, m := range modes {
			list = append(list, names[m])
		}
		return FieldError(EINVALID, "password_mode", "The password mode must be %s or %s.", strings.Join(list[:len(list)-1], ", "), list[len(list)-1])
	}
	switch *mode {
	case PasswordRandom:
		*password = ""
	case PasswordSame:
		if c := formulaStart(*password); c != "" {
			return FieldError(EINVALID, "password", "The password starts with %s, which a spreadsheet reads as a formula; choose one that starts with a letter or digit.", c)
		}
		return org.PasswordPolicy.Check(*password)
	}
	return nil
}

// planAccounts checks every spec against the organization, the file and
// each other, and fills in what is missing: usernames generated from the
// organization's pattern (unique across the whole file and the batch),
// login emails username@LoginDomain for people without one. A username or
// email given twice marks both rows, each naming the other. Nothing is written.
func (a *App) planAccounts(ctx context.Context, org *Organization, specs []AccountSpec, opt planOptions) ([]accountPlan, error) {
	unique := &uniqueUsernames{store: a.Store, taken: map[string]bool{}}
	plans := make([]accountPlan, len(specs))
	usernameAt := map[string]int{} // username key → index of the first row that gives it
	emailAt := map[string]int{}    // email key → index of the first row that gives it
	// Each message is written out whole for each unit (line or row), so
	// that it translates as one sentence.
	also := func(p *accountPlan, field, value string, line int) {
		switch row := opt.unit() == "row"; {
		case field == "username" && row:
			p.problem(field, "The username %q is also on row %d.", value, line)
		case field == "username":
			p.problem(field, "The username %q is also on line %d.", value, line)
		case row:
			p.problem(field, "The email address %q is also on row %d.", value, line)
		default:
			p.problem(field, "The email address %q is also on line %d.", value, line)
		}
	}
	duplicate := func(i, first int, field, value string) {
		also(&plans[i], field, value, plans[first].Line)
		if plans[first].Problems[field] == "" {
			also(&plans[first], field, value, plans[i].Line)
		}
	}
	// Whether the given usernames and addresses are taken: two reads for the
	// whole batch, not two per row.
	var givenNames, givenMails []string
	for _, sp := range specs {
		if n := CleanUsername(sp.Username); n != "" {
			givenNames = append(givenNames, LoginKey(n))
		}
		if m := Clean(sp.Email); m != "" {
			givenMails = append(givenMails, LoginKey(m))
		}
	}
	namesTaken, err := a.Store.UsernamesTaken(ctx, givenNames)
	if err != nil {
		return nil, err
	}
	mailsTaken, err := a.Store.EmailsTaken(ctx, givenMails)
	if err != nil {
		return nil, err
	}
	for i, sp := range specs {
		u := &User{
			OrgID: org.ID, FirstName: Clean(sp.FirstName), LastName: Clean(sp.LastName), Username: CleanUsername(sp.Username),
			Email: Clean(sp.Email), Phone: Clean(sp.Phone), AccountType: Key(sp.AccountType), Groups: sp.Groups,
			Language: Clean(sp.Language), JobTitle: Clean(sp.JobTitle), DeleteOn: Clean(sp.DeleteOn),
			Status: StatusActive, CreatedVia: opt.Via, MustChangePassword: opt.MustChangePassword,
		}
		if sp.MustChangePassword != nil {
			u.MustChangePassword = *sp.MustChangePassword
		}
		if u.CreatedVia == "" {
			u.CreatedVia = ViaManual
		}
		u.EmailVerified = u.Email != "" // an admin typed or imported it
		if u.Groups == nil {
			u.Groups = []string{}
		}
		pl := &plans[i]
		pl.Line, pl.User, pl.Password = sp.Line, u, sp.Password
		v := validation{}
		u.Labels = cleanLabels(v, "labels", sp.Labels)
		normalizePhoneOf(v, org, u)
		for f, m := range v {
			pl.problem(f, "%s", m)
		}
		if u.Username != "" {
			k := LoginKey(u.Username)
			if first, dup := usernameAt[k]; dup {
				duplicate(i, first, "username", u.Username)
			} else {
				usernameAt[k] = i
				unique.taken[k] = true
				if namesTaken[k] {
					pl.problem("username", "The username %q is already taken by an existing account.", u.Username)
				}
			}
		}
		if u.Email != "" {
			k := LoginKey(u.Email)
			if first, dup := emailAt[k]; dup {
				duplicate(i, first, "email", u.Email)
			} else {
				emailAt[k] = i
				if mailsTaken[k] {
					pl.problem("email", "The email address %s already belongs to an account; an import never changes existing accounts.", u.Email)
				}
			}
		}
		switch {
		case sp.Password != "":
			if c := formulaStart(sp.Password); c != "" {
				pl.problem("password", "The password starts with %s, which a spreadsheet reads as a formula; choose one that starts with a letter or digit.", c)
			} else if err := org.PasswordPolicy.Check(sp.Password); err != nil {
				pl.problem("password", "%s", ErrorArg(err))
			}
		case opt.PasswordMode == PasswordGiven:
			if opt.unit() == "row" {
				pl.problem("password", "No password is given on this row (the organization asks for %s).", org.PasswordPolicy)
			} else {
				pl.problem("password", "No password is given on this line (the organization asks for %s).", org.PasswordPolicy)
			}
		}
	}
	for i := range plans {
		pl := &plans[i]
		u := pl.User
		if u.Username == "" {
			var err error
			if u.Username, err = unique.next(ctx, UsernameBase(org.UsernamePattern, u.FirstName, u.LastName)); err != nil {
				return nil, err
			}
			pl.UsernameGenerated = true
		}
		if err := u.Validate(org); err != nil {
			if e, ok := err.(*Error); ok {
				for f, m := range e.Details {
					pl.problem(f, "%s", m)
				}
			}
		}
		if u.Email == "" && org.LoginDomain != "" && u.Username != "" {
			u.Email = Key(u.Username) + "@" + org.LoginDomain
			k := LoginKey(u.Email)
			if first, dup := emailAt[k]; dup && first != i {
				if opt.unit() == "row" {
					pl.problem("username", "The login email %s is also the email on row %d; change the username.", u.Email, plans[first].Line)
				} else {
					pl.problem("username", "The login email %s is also the email on line %d; change the username.", u.Email, plans[first].Line)
				}
			} else if taken, err := a.Store.EmailTaken(ctx, k); err != nil {
				return nil, err
			} else if taken {
				pl.problem("username", "The login email %s is already taken; change the username.", u.Email)
			} else {
				emailAt[k] = i
			}
		}
	}
	return plans, nil
}

// newAccounts settles the passwords of plans (given, the same for all, or
// generated), hashes them BulkHashWorkers at a time (progress reports the hashing; ctx
// cancels it) and returns the users ready to store, with their passwords.
func (a *App) newAccounts(ctx context.Context, org *Organization, plans []accountPlan, opt planOptions, progress Progress) ([]*User, []string, error) {
	passwords := make([]string, len(plans))
	for i, pl := range plans {
		switch {
		case pl.Password != "":
			passwords[i] = pl.Password
		case opt.PasswordMode == PasswordSame:
			passwords[i] = opt.Password
		default:
			var err error
			if passwords[i], err = GeneratePassword(a.Rand, opt.PasswordStyle, org.PasswordPolicy); err != nil {
				return nil, nil, err
			}
		}
	}
	hashes, err := a.HashPasswords(ctx, passwords, progress)
	if err != nil {
		return nil, nil, err
	}
	now := a.now()
	users := make([]*User, len(plans))
	for i, pl := range plans {
		u := *pl.User
		u.ID, u.CreatedAt, u.UpdatedAt, u.PasswordHash = a.newID(), now, now, hashes[i]
		users[i] = &u
	}
	return users, passwords, nil
}

// Check is the preview's verdict: nil when every line can be created,
// else EINVALID with one detail per line that has a problem.
func (p *AccountPreview) Check() error {
	if p.Problems == 0 {
		return nil
	}
	details := map[string]string{}
	for _, r := range p.Rows {
		for _, m := range r.Problems {
			details[fmt.Sprintf("line %d", r.Line)] = m
			break
		}
	}
	e := Errorf(EINVALID, "%d of %d lines have problems; fix them and try again. Nothing was created.", p.Problems, len(p.Rows))
	e.Details = details // each in English, matched against the catalogues when shown
	return e
}

// PreparedAccounts is a batch previewed and checked, ready to create.
type PreparedAccounts struct {
	Preview *AccountPreview
	org     *Organization
	batch   AccountBatch
	plans   []accountPlan
}

// PrepareAccounts previews the batch and checks it (AccountPreview.Check),
// so a caller can refuse it at once and create it later, in a job, without
// a second preview. On EINVALID for problem lines the prepared batch is
// returned too, for its preview. Errors: ENOTFOUND, EINVALID.
func (a *App) PrepareAccounts(ctx context.Context, ref string, b AccountBatch) (*PreparedAccounts, error) {
	org, _, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	if b.SendActivation {
		if err := a.activationReady(ctx, org); err != nil {
			return nil, err
		}
	}
	p, plans, err := a.previewAccounts(ctx, org, &b)
	if err != nil {
		return nil, err
	}
	return &PreparedAccounts{Preview: p, org: org, batch: b, plans: plans}, p.Check()
}

// CreateAccounts creates every account of the batch or none: usernames and
// passwords are settled and hashed BulkHashWorkers at a time first (progress reports the
// hashing), then all users are written (UserStore.CreateUsers: all or none).
// Errors: ENOTFOUND, EINVALID (with one detail per line that has a problem),
// ECONFLICT (a username taken meanwhile), context.Canceled.
func (a *App) CreateAccounts(ctx context.Context, ref string, b AccountBatch, progress Progress) (*AccountResult, error) {
	pa, err := a.PrepareAccounts(ctx, ref, b)
	if err != nil {
		return nil, err
	}
	return a.CreatePrepared(ctx, pa, progress)
}

// StartAccounts prepares the batch (PrepareAccounts: what the creation
// would refuse is refused now) and creates it in a job of owner, whose
// status it returns. Errors: those of PrepareAccounts.
func (a *App) StartAccounts(ctx context.Context, ref, owner string, b AccountBatch) (JobStatus, error) {
	pa, err := a.PrepareAccounts(ctx, ref, b)
	if err != nil {
		return JobStatus{}, err
	}
	actor := ActorFrom(ctx)
	return a.Jobs.StartStatus(owner, pa.org.ID, "create-accounts", len(pa.Preview.Rows), func(ctx context.Context, progress Progress) (any, error) {
		return a.CreatePrepared(WithActor(ctx, actor), pa, progress)
	}), nil
}

// CreatePrepared creates a prepared batch (see CreateAccounts). A username
// or group taken or deleted since the preview is ECONFLICT from the store's
// transaction.
func (a *App) CreatePrepared(ctx context.Context, pa *PreparedAccounts, progress Progress) (*AccountResult, error) {
	if err := pa.Preview.Check(); err != nil {
		return nil, err
	}
	users, passwords, err := a.newAccounts(ctx, pa.org, pa.plans, pa.batch.planOptions(), progress)
	if err != nil {
		return nil, err
	}
	// Cancelled before the write: nothing is created. Once written, a late
	// cancel is ignored so the passwords reach the admin.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	// Badges are written with the accounts: their codes only in the result.
	var badges []string
	if pa.batch.Badges {
		badges = make([]string, len(users))
		for i, u := range users {
			if badges[i], err = a.newBadgeCode(); err != nil {
				return nil, err
			}
			t := u.CreatedAt
			u.BadgeHash, u.BadgeIssued = BadgeCodeHash(badges[i]), &t
		}
	}
	var mails []*ResetMail
	if pa.batch.SendActivation {
		if mails, err = a.activationMails(ctx, pa.org, users); err != nil {
			return nil, err
		}
	}
	actx := a.audit(ctx, pa.org.ID, "accounts.create", orgTarget(pa.org), fmt.Sprintf("%d accounts created with generated passwords%s%s", len(users), badgeNote(badges), activationNote(len(mails))), ids...)
	if err := a.Store.CreateUsers(actx, users, mails...); err != nil {
		return nil, err
	}
	if len(mails) > 0 {
		a.outbox().wakeUp()
	}
	res, err := a.accountResult(context.WithoutCancel(ctx), pa.org, users, passwords)
	if res != nil {
		res.ActivationMails = len(mails)
		for i := range badges {
			res.Accounts[i].Badge = badges[i]
		}
	}
	return res, err
}

// badgeNote is the audit detail's word on the badges made with accounts.
func badgeNote(badges []string) string {
	if len(badges) == 0 {
		return ""
	}
	return " and sign-in badges"
}

func (a *App) accountResult(ctx context.Context, org *Organization, users []*User, passwords []string) (*AccountResult, error) {
	// The names of the batch's groups, one read each: not Groups, which
	// counts every group's members over the whole organization's index.
	names := map[string]string{}
	for _, u := range users {
		for _, id := range u.Groups {
			if _, ok := names[id]; ok {
				continue
			}
			g, err := a.Store.Group(ctx, org.ID, id)
			if err != nil && ErrorCode(err) != ENOTFOUND {
				return nil, err
			}
			names[id] = ""
			if g != nil {
				names[id] = g.Name
			}
		}
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

// BulkHashWorkers is how many hashes a batch (HashPasswords) runs at once:
// half the cores Go may use (GOMAXPROCS), at least one. A batch of 1,000
// then holds half the hash memory (on 2 cores one work area of 19 MiB, not
// two), and the other hash slots stay free for the sign-ins and sign-ups
// that arrive meanwhile, which never queue behind the batch.
func BulkHashWorkers() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// bigHashBatch is how many passwords make a batch whose hashing lasts long
// enough (seconds) that the memory beside it counts.
const bigHashBatch = 100

// HashPasswords hashes every password, BulkHashWorkers at a time,
// reporting progress after each one. It stops early when ctx is cancelled.
func (a *App) HashPasswords(ctx context.Context, passwords []string, progress Progress) ([]string, error) {
	if len(passwords) >= bigHashBatch {
		// The batch's work area stays for its whole length: what the
		// preview left (its garbage, the file's pages it read) goes back
		// first, so it does not stay beside it.
		debug.FreeOSMemory()
		if m, ok := a.Store.(interface{ DropMapped() }); ok {
			m.DropMapped()
		}
	}
	hashes := make([]string, len(passwords))
	var next, done atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	workers := min(BulkHashWorkers(), max(len(passwords), 1))
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
	// The batch's work areas (cores × 19 MiB) go back now, not after
	// argon2id's idle delay: the batch is written next, and that write
	// should not run beside them.
	argon2id.Release()
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

// StartResetPasswords checks the request's organization and resets the
// passwords in a job of owner (ResetPasswords), whose status it returns.
// Errors: ENOTFOUND, EINVALID (nobody chosen).
func (a *App) StartResetPasswords(ctx context.Context, ref, owner string, req ResetRequest) (JobStatus, error) {
	if len(req.UserIDs) == 0 && len(req.Usernames) == 0 && req.Group == "" {
		return JobStatus{}, errNobodyToReset
	}
	org, s, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return JobStatus{}, err
	}
	if !s.whole() { // refused at once, not in the job: a group admin resets their groups' members
		if req.Group != "" {
			if _, _, err := a.scopedGroup(ctx, ref, req.Group); err != nil {
				return JobStatus{}, err
			}
		}
		for _, id := range req.UserIDs {
			if _, _, _, err := a.scopedUser(ctx, org.ID, id); err != nil {
				return JobStatus{}, err
			}
		}
		for _, name := range req.Usernames {
			if u, err := a.Store.UserByLogin(ctx, Key(name)); err == nil && !s.hasUser(u) {
				return JobStatus{}, errNotYourUser
			}
		}
	}
	actor := ActorFrom(ctx) // with its scope: ResetPasswords checks each person again
	return a.Jobs.StartStatus(owner, org.ID, "reset-passwords", 0, func(ctx context.Context, progress Progress) (any, error) {
		return a.ResetPasswords(WithActor(ctx, actor), ref, req, progress)
	}), nil
}

var errNobodyToReset = Errorf(EINVALID, "Choose the users or the group whose passwords to reset.")

// ResetPasswords gives each named account a new generated password (hashed
// BulkHashWorkers at a time, written in one transaction) and ends its sessions; the new
// passwords come back once, for new slips. Errors: ENOTFOUND, EINVALID.
func (a *App) ResetPasswords(ctx context.Context, ref string, req ResetRequest, progress Progress) (*AccountResult, error) {
	org, scope, err := a.scopedOrg(ctx, ref)
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
		return nil, errNobodyToReset
	}
	for _, u := range users { // a group admin resets their groups' members
		if !scope.hasUser(u) {
			return nil, errNotYourUser
		}
	}
	slices.SortStableFunc(users, CompareNames(org.Language))
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
	ids := make([]string, len(users))
	byID := make(map[string]string, len(users))
	for i, u := range users {
		ids[i], byID[u.ID] = u.ID, hashes[i]
	}
	if err := ctx.Err(); err != nil {
		return nil, err // cancelled before the write: nothing changed
	}
	// Applied to each user as stored now: a change made while the
	// passwords were hashed (a deactivation, a new name) is kept.
	// Their sessions end in the same transaction: no window in which the
	// new password is set and an old sign-in still works.
	target := orgTarget(org)
	if len(users) == 1 {
		target = personTarget(users[0])
	}
	actx := a.audit(ctx, org.ID, "accounts.reset_passwords", target, fmt.Sprintf("%d passwords reset; sessions ended", len(users)), ids...)
	if users, err = a.Store.ChangeUsersEndSessions(actx, org.ID, ids, func(u *User) error {
		u.PasswordHash, u.UpdatedAt = byID[u.ID], now
		return nil
	}); err != nil {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx) // written: a late cancel must not lose the new passwords
	return a.accountResult(ctx, org, users, passwords)
}
