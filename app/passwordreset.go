package app

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	"net/mail"
	"strings"
	"time"
)

// One mechanism, two mails: a link that sets a person's password. A
// password reset is asked for on the sign-in page by a person with a
// verified address; an activation mail is sent by an admin to an account
// they created ("your account exists — set your password").
const (
	// KindPasswordReset is the outbox message carrying a reset link.
	KindPasswordReset = "password_reset"
	// KindActivation is the outbox message carrying an activation link.
	KindActivation = "activation"
)

// Lifetimes of the links: a reset is asked for by the person, who is
// waiting for it; an activation mail may wait in an inbox over a weekend.
const (
	PasswordResetTTL = 30 * time.Minute
	ActivationTTL    = 7 * 24 * time.Hour
)

// Limits on reset requests: mails per typed address and per account in
// ResetWindow (the same limiter, keys "email:" and "account:"), and
// requests per client address.
const (
	ResetsPerAddress   = 3
	ResetWindow        = time.Hour
	ResetRequestsPerIP = 30
	ResetRequestWindow = 15 * time.Minute
)

// DefaultResetAnswerTime is the least time a reset request takes (see
// App.ResetAnswerTime).
const DefaultResetAnswerTime = 250 * time.Millisecond

// PasswordReset is a pending link that sets a person's password. Only the
// SHA-256 of its token is kept; the token is in the mail (and, until the
// mail is sent, sealed in the outbox). One of each kind per user: a newer
// one replaces the older one of its kind, which stops working; a reset
// request does not touch a pending activation link (anybody may ask for a
// reset), and using either link uses up both.
type PasswordReset struct {
	UserID string `json:"user_id"`
	OrgID  string `json:"org_id"`
	// Email is the address the link was sent to: a link for an address the
	// account no longer has does not work.
	Email string `json:"email"`
	// Phone is the number an activation link went to by SMS (then Email
	// is empty): a link for a number the account no longer has does not
	// work. An SMS link is kept beside the mailed one, not instead of it.
	Phone string `json:"phone,omitempty"`
	// CodeHash is, for an SMS link, the SHA-256 of the one-time code in
	// the same SMS, typed on /signin instead of opening the link; "" once
	// used up or tried wrongly ActivationCodeTries times. CodeTries counts
	// the wrong ones.
	CodeHash  string `json:"code_hash,omitempty"`
	CodeTries int    `json:"code_tries,omitempty"`
	// Activation is true for an admin's activation mail, false for a reset
	// the person asked for.
	Activation bool      `json:"activation"`
	TokenHash  string    `json:"token_hash"`
	MessageID  string    `json:"message_id"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// ResetMail is a reset or activation link and the outbox message that
// carries it, stored together.
type ResetMail struct {
	Reset   *PasswordReset
	Message *OutboxMessage
}

// PasswordResetStore keeps pending reset and activation links, indexed by
// token hash.
type PasswordResetStore interface {
	// PasswordReset returns the user's pending activation link (or reset
	// link, activation false); ENOTFOUND if none.
	PasswordReset(ctx context.Context, userID string, activation bool) (*PasswordReset, error)
	// QueueResetMails stores each link (replacing the user's earlier one of
	// the same kind, whose mail is cancelled if not sent; a reset link
	// leaves an activation link be) and its message, all in one
	// transaction. ENOTFOUND if a user is gone.
	QueueResetMails(ctx context.Context, mails []*ResetMail) error
	// SMSActivation returns the user's pending activation link sent by
	// SMS; ENOTFOUND if none.
	SMSActivation(ctx context.Context, userID string) (*PasswordReset, error)
	// ChangeSMSActivation runs fn on the user's pending SMS activation
	// link and the user in one transaction, and writes the link as fn left
	// it (the token index follows a changed TokenHash) whatever fn
	// returns; fn's error is returned after. ENOTFOUND if none.
	ChangeSMSActivation(ctx context.Context, userID string, fn func(r *PasswordReset, u *User) error) error
	// PasswordResetByToken returns the link with the token hash and its
	// user; ENOTFOUND if none.
	PasswordResetByToken(ctx context.Context, hash string) (*PasswordReset, *User, error)
	// UsePasswordReset finds the link by token hash and, in one
	// transaction, calls fn with it and its user, writes the user, removes
	// the user's links (every kind, the SMS one too) and ends every session of the user: of concurrent calls
	// exactly one succeeds. ENOTFOUND if no link has the hash.
	UsePasswordReset(ctx context.Context, hash string, fn func(r *PasswordReset, u *User) error) (*User, error)
}

// mailReady says why the organization cannot mail links, or nil.
func (a *App) mailReady(ctx context.Context, org *Organization) error {
	if org.PublicURL == "" {
		return FieldError(EINVALID, "public_url", "%s has no public address, and the link is built from it. Set it in Settings first.", org.Name)
	}
	if _, err := a.relayConfig(ctx, org); err != nil {
		return err
	}
	if a.Secrets == nil {
		return Errorf(EINVALID, "This Rollcall has no key file to keep the link safe until the mail is sent.")
	}
	return nil
}

// resetMail makes a new link for u and its queued message. The organization
// must be ready to mail (mailReady).
func (a *App) resetMail(org *Organization, u *User, activation bool) (*ResetMail, error) {
	token, err := a.NewToken()
	if err != nil {
		return nil, err
	}
	sealed, err := a.Secrets.Seal([]byte(token))
	if err != nil {
		return nil, fmt.Errorf("seal the link's token: %w", err)
	}
	now := a.now()
	kind, ttl := KindPasswordReset, PasswordResetTTL
	if activation {
		kind, ttl = KindActivation, ActivationTTL
	}
	m := &OutboxMessage{ID: a.newID(), OrgID: org.ID, Kind: kind, UserID: u.ID, To: u.Email,
		ToName: strings.TrimSpace(u.FirstName + " " + u.LastName), SealedToken: sealed, Status: MessageQueued,
		CreatedAt: now, NextAttempt: now}
	r := &PasswordReset{UserID: u.ID, OrgID: org.ID, Email: u.Email, Activation: activation, TokenHash: TokenHash(token),
		MessageID: m.ID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	return &ResetMail{Reset: r, Message: m}, nil
}

// activatable says why u cannot get an activation mail, or "".
func activatable(u *User) string {
	switch {
	case u.Status != StatusActive:
		return skipNotActive
	case u.Email == "":
		return skipNoEmail
	case !u.EmailVerified:
		return skipUnverified
	}
	return ""
}

// activationMails makes an activation link for each of users that can get
// one: by mail for an active account with a verified address when the
// organization can mail, by SMS for an active account with a phone number
// when it sends SMS (both when both); the others are left out.
func (a *App) activationMails(ctx context.Context, org *Organization, users []*User) ([]*ResetMail, error) {
	byMail, bySMS := a.mailReady(ctx, org) == nil, a.smsReady(ctx, org) == nil
	var out []*ResetMail
	for _, u := range users {
		if byMail && activatable(u) == "" {
			rm, err := a.resetMail(org, u, true)
			if err != nil {
				return nil, err
			}
			out = append(out, rm)
		}
		if bySMS && smsActivatable(u) == "" {
			rm, err := a.smsActivation(org, u)
			if err != nil {
				return nil, err
			}
			out = append(out, rm)
		}
	}
	return out, nil
}

// activationReady says why the organization can send activation links
// neither by mail nor by SMS, or nil.
func (a *App) activationReady(ctx context.Context, org *Organization) error {
	err := a.mailReady(ctx, org)
	if err == nil || a.smsReady(ctx, org) == nil {
		return nil
	}
	return err
}

// smsActivatable says why u cannot get an activation link by SMS, or "".
func smsActivatable(u *User) string {
	switch {
	case u.Status != StatusActive:
		return skipNotActive
	case u.Phone == "":
		return skipNoPhone
	}
	return ""
}

// skipNoPhone: the person has no phone number for an SMS.
const skipNoPhone = "no_phone"

// smsActivation makes a new activation link for u sent by SMS to u's phone,
// with the shorter SMSActivationTTL, and its queued message. The
// organization must be ready to send SMS (smsReady).
func (a *App) smsActivation(org *Organization, u *User) (*ResetMail, error) {
	token, err := a.NewToken()
	if err != nil {
		return nil, err
	}
	code, err := a.newPhoneCode()
	if err != nil {
		return nil, err
	}
	// The SMS carries both: the link, and the code to type on /signin.
	sealed, err := a.Secrets.Seal([]byte(token + " " + code))
	if err != nil {
		return nil, fmt.Errorf("seal the link's token: %w", err)
	}
	now := a.now()
	m := &OutboxMessage{ID: a.newID(), OrgID: org.ID, Kind: KindSMSActivation, Channel: ChannelSMS, UserID: u.ID, To: u.Phone,
		ToName: strings.TrimSpace(u.FirstName + " " + u.LastName), SealedToken: sealed, Status: MessageQueued,
		CreatedAt: now, NextAttempt: now}
	r := &PasswordReset{UserID: u.ID, OrgID: org.ID, Phone: u.Phone, Activation: true, TokenHash: TokenHash(token),
		CodeHash: phoneCodeHash(u.ID, code), MessageID: m.ID, CreatedAt: now, ExpiresAt: now.Add(SMSActivationTTL)}
	return &ResetMail{Reset: r, Message: m}, nil
}

var errTooManyResets = Errorf(ETOOMANY, "Many password links have been asked for from this device. Wait 15 minutes and try again, or ask your teacher or IT staff.")

// ResetRequested is the one answer to a reset request.
const ResetRequested = "If an account has this email address, and the address has been confirmed, a link to choose a new password is on its way. It works for 30 minutes and only once. No mail? Check the address, look in the spam folder, or ask your teacher or the school’s IT staff."

// RequestPasswordReset mails a link to choose a new password to the person
// whose verified email address this is. The answer is the same whether or
// not such an account exists (and for an unverified address, an account
// that cannot sign in, or an organization without a relay), and takes at
// least ResetAnswerTime, so neither its words nor its timing tell. Mails
// are limited per typed address and per account (ResetsPerAddress per
// ResetWindow: past it the request is answered the same and nothing is
// sent) and requests per client address (ETOOMANY, which says nothing of
// any account). Errors: EINVALID (not an address), ETOOMANY.
func (a *App) RequestPasswordReset(ctx context.Context, email, client string) error {
	start := time.Now()
	defer func() {
		if d := a.ResetAnswerTime - time.Since(start); d > 0 {
			time.Sleep(d)
		}
	}()
	email = strings.TrimSpace(email)
	if email == "" || len(email) > 254 || !strings.Contains(email, "@") {
		return FieldError(EINVALID, "email", "Type the email address of your account.")
	}
	lim := a.SignUpLimits
	if !lim.ResetIPs.Take(client) {
		return errTooManyResets
	}
	if !lim.Resets.Take("email:" + LoginKey(email)) {
		return nil
	}
	u, err := a.Store.UserByLogin(ctx, email)
	if ErrorCode(err) == ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if LoginKey(u.Email) != LoginKey(email) || !u.EmailVerified || u.Status != StatusActive {
		return nil // unverified addresses never receive resets
	}
	org, err := a.Store.Organization(ctx, u.OrgID)
	if err != nil {
		return err
	}
	if a.mailReady(ctx, org) != nil {
		return nil // nothing can be sent; the person is told to ask
	}
	if !lim.Resets.Take("account:" + u.ID) {
		return nil
	}
	rm, err := a.resetMail(org, u, false)
	if err != nil {
		return err
	}
	// The actor is whoever typed the address; the entry is the person's.
	ctx = a.audit(WithActor(ctx, PersonActor(u)), org.ID, "person.password_reset_request", personTarget(u), "a link to choose a new password was mailed to their confirmed address (asked for on the sign-in page by someone who typed it)")
	if err := a.Store.QueueResetMails(ctx, []*ResetMail{rm}); err != nil {
		return err
	}
	a.outbox().wakeUp()
	return nil
}

// errBadResetLink is the one answer for unknown, expired, replaced and used links.
var errBadResetLink = Errorf(ENOTFOUND, "This link does not work any more. Links expire, and each works only once. Ask for a new one with “Forgot your password?” on the sign-in page, or ask your teacher or IT staff.")

// ResetPage is what the page of a reset or activation link shows.
type ResetPage struct {
	Organization string `json:"organization"`
	FirstName    string `json:"first_name"`
	// Login is what the person signs in with: the username, else the email.
	Login      string `json:"login"`
	Activation bool   `json:"activation"`
	Policy     string `json:"policy"`
	MinLength  int    `json:"min_length"`
	// Rules is the password rule itself, for the page to word in its language.
	Rules     PasswordPolicy `json:"policy_rules"`
	ExpiresAt time.Time      `json:"expires_at"`
}

// usableReset says whether r still works for u at now.
func usableReset(r *PasswordReset, u *User, now time.Time) bool {
	if r.Phone != "" { // an activation link sent by SMS to the account's number
		return now.Before(r.ExpiresAt) && r.Activation && u.Status == StatusActive && u.Phone == r.Phone
	}
	return now.Before(r.ExpiresAt) && u.Status == StatusActive && u.Email != "" &&
		LoginKey(u.Email) == LoginKey(r.Email) && (r.Activation || u.EmailVerified)
}

func (a *App) pendingReset(ctx context.Context, token string) (*PasswordReset, *User, *Organization, error) {
	if token == "" || len(token) > 200 {
		return nil, nil, nil, errBadResetLink
	}
	r, u, err := a.Store.PasswordResetByToken(ctx, TokenHash(token))
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, nil, errBadResetLink
	} else if err != nil {
		return nil, nil, nil, err
	}
	if !usableReset(r, u, a.now()) {
		return nil, nil, nil, errBadResetLink
	}
	org, err := a.Store.Organization(ctx, u.OrgID)
	if err != nil {
		return nil, nil, nil, err
	}
	return r, u, org, nil
}

func loginOf(u *User) string {
	if u.Username != "" {
		return u.Username
	}
	return u.Email
}

// PasswordResetPage returns what the link's page shows: whose account, and
// the organization's password rule in words. Errors: ENOTFOUND (one answer
// for every bad link).
func (a *App) PasswordResetPage(ctx context.Context, token string) (*ResetPage, error) {
	r, u, org, err := a.pendingReset(ctx, token)
	if err != nil {
		return nil, err
	}
	return &ResetPage{Organization: org.Name, FirstName: u.FirstName, Login: loginOf(u), Activation: r.Activation,
		Policy: org.PasswordPolicy.String(), MinLength: org.PasswordPolicy.MinLength, Rules: org.PasswordPolicy, ExpiresAt: r.ExpiresAt}, nil
}

// ResetPassword sets a new password with the token of a reset or
// activation link: in one transaction the password is set (under the
// organization's policy), "must change" cleared, the address counted as
// verified (the link arrived there), every session of the person ended and
// the link used up. Errors: ENOTFOUND (one answer for every bad link),
// EINVALID (the policy).
func (a *App) ResetPassword(ctx context.Context, token, password string) (*Accepted, error) {
	r, cur, org, err := a.pendingReset(ctx, token)
	if err != nil {
		return nil, err
	}
	if err := org.PasswordPolicy.Check(password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(a.Rand, a.Hash, password)
	if err != nil {
		return nil, err
	}
	now := a.now()
	detail := "chose a new password with the link mailed to them; their other sessions ended"
	if r.Activation {
		detail = "set their password with the activation link mailed to them"
	}
	if r.Phone != "" {
		detail = "set their password with the activation link sent to their phone by SMS"
	}
	ctx = a.audit(WithActor(ctx, PersonActor(cur)), cur.OrgID, "person.password_reset", personTarget(cur), detail)
	u, err := a.Store.UsePasswordReset(ctx, TokenHash(token), func(r *PasswordReset, u *User) error {
		if !usableReset(r, u, now) {
			return errBadResetLink
		}
		u.PasswordHash, u.MustChangePassword, u.UpdatedAt = hash, false, now
		if r.Phone == "" {
			u.EmailVerified = true // the link arrived at the address
		}
		return nil
	})
	if ErrorCode(err) == ENOTFOUND {
		return nil, errBadResetLink
	} else if err != nil {
		return nil, err
	}
	a.SignIns.forgive(ctx, "account:"+u.ID)
	return &Accepted{Login: loginOf(u), User: u}, nil
}

// SendActivation mails the person a link to set their password ("your
// account exists"); an earlier link stops working. A person with a phone
// number gets the link by SMS too when the organization sends SMS, and by
// SMS alone when they have no usable address or the organization no relay.
// Group admins may do it for their groups' members. Errors: ENOTFOUND,
// EFORBIDDEN, EINVALID (no address, an unconfirmed one, no relay or public
// address), ECONFLICT (not active).
func (a *App) SendActivation(ctx context.Context, ref, id string) (*User, error) {
	org, _, u, err := a.scopedUser(ctx, ref, id)
	if err != nil {
		return nil, err
	}
	if smsActivatable(u) == "" && a.smsReady(ctx, org) == nil {
		rms, err := a.activationMails(ctx, org, []*User{u})
		if err != nil {
			return nil, err
		}
		to := []string{}
		for _, rm := range rms {
			to = append(to, rm.Message.To)
		}
		ctx = a.audit(ctx, org.ID, "user.activation_mail", personTarget(u), "a link to set their password was sent to "+strings.Join(to, " and "))
		if err := a.Store.QueueResetMails(ctx, rms); err != nil {
			return nil, err
		}
		a.outbox().wakeUp()
		return u, nil
	}
	switch activatable(u) {
	case skipNotActive:
		return nil, Errorf(ECONFLICT, "%s's account is not active, so it cannot be activated by mail.", auditName(u))
	case skipNoEmail:
		return nil, FieldError(EINVALID, "email", "%s has no email address. Give them a credential slip instead.", auditName(u))
	case skipUnverified:
		return nil, FieldError(EINVALID, "email", "%s's address is not confirmed, and links are only mailed to confirmed addresses. Enter it again in their details to confirm it.", auditName(u))
	}
	if err := a.mailReady(ctx, org); err != nil {
		return nil, err
	}
	rm, err := a.resetMail(org, u, true)
	if err != nil {
		return nil, err
	}
	ctx = a.audit(ctx, org.ID, "user.activation_mail", personTarget(u), "a link to set their password was mailed to "+u.Email)
	if err := a.Store.QueueResetMails(ctx, []*ResetMail{rm}); err != nil {
		return nil, err
	}
	a.outbox().wakeUp()
	return u, nil
}

// The words of the reset and activation mails are the catalogues'
// mail.reset.* messages (app/locales/*.json), templates over resetData;
// mail.reset.timeFormat is how the link's expiry is written.
type resetData struct {
	Org, Name, Login, SignIn, Expires string
}

func (d resetData) data() []any {
	return []any{"Org", d.Org, "Name", d.Name, "Login", d.Login, "SignIn", d.SignIn, "Expires", d.Expires}
}

// renderReset builds the reset or activation mail for m, or says why not
// (skip: the link was used, replaced, or its account or address is gone).
func (a *App) renderReset(ctx context.Context, org *Organization, m *OutboxMessage) (msg *Message, skip bool, reason string) {
	r, err := a.Store.PasswordReset(ctx, m.UserID, m.Kind == KindActivation)
	if err != nil || r.MessageID != m.ID {
		return nil, true, ""
	}
	u, err := a.Store.User(ctx, "", m.UserID)
	if err != nil || !usableReset(r, u, a.now()) || LoginKey(m.To) != LoginKey(r.Email) {
		return nil, true, ""
	}
	if org.PublicURL == "" {
		return nil, false, textOf("The organization has no public address, so the link cannot be built. Set it in Settings, then retry.")
	}
	if a.Secrets == nil {
		return nil, false, textOf("No key file to open the link's token.")
	}
	token, err := a.Secrets.Open(m.SealedToken)
	if err != nil {
		return nil, false, fmt.Sprintf(textOf("The link's token cannot be opened with this computer's key file (%v)."), err)
	}
	link := org.PublicURL + "/reset/" + string(token)
	lang := mailLanguage(u.Language, org)
	tx := TextsFor(lang)
	d := resetData{Org: org.Name, Name: u.FirstName, Login: loginOf(u), SignIn: org.PublicURL + "/signin",
		Expires: r.ExpiresAt.In(time.Local).Format(tx.T("mail.reset.timeFormat"))}
	data := d.data()
	out := []string{tx.T("mail.reset.resetSubject", data...), mailHello(tx, d.Name), tx.T("mail.reset.resetBody", data...),
		tx.T("mail.reset.login", data...), tx.T("mail.reset.resetButton", data...), tx.T("mail.reset.expires", data...), tx.T("mail.reset.resetIgnore", data...)}
	if r.Activation {
		out[0], out[2], out[4], out[6] = tx.T("mail.reset.actSubject", data...), tx.T("mail.reset.actBody", data...), tx.T("mail.reset.actButton", data...), tx.T("mail.invite.ignore")
	}
	subject, hi, text1, login1, button1, expires, ignore1 := out[0], out[1], out[2], out[3], out[4], out[5], out[6]
	text := hi + "\n\n" + text1 + "\n\n" + login1 + "\n\n" + button1 + ":\n" + link + "\n\n" + expires + "\n\n" + ignore1 + "\n\n-- \n" + org.Name + "\n"
	var hb bytes.Buffer
	err = invitationHTML.Execute(&hb, map[string]any{"Lang": lang, "Subject": subject, "Org": org.Name, "Hello": hi,
		"Body": text1, "Username": login1, "Link": htmltemplate.URL(link), "Button": button1, "Expires": expires, "Ignore": ignore1})
	if err != nil {
		return nil, false, fmt.Sprintf(textOf("The message could not be written: %s"), err.Error())
	}
	return &Message{
		To: mail.Address{Name: m.ToName, Address: m.To}, Subject: subject, Text: text, HTML: hb.String(),
		Headers: map[string]string{"Auto-Submitted": "auto-generated", "Content-Language": lang},
	}, false, ""
}

// activationNote is the audit detail's note of n activation mails.
func activationNote(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "; an activation mail queued"
	}
	return fmt.Sprintf("; %d activation mails queued", n)
}

// SignInOptions is what the sign-in page shows for an organization it was
// opened for (/signin?org=slug): its name and whether it takes sign-ups.
type SignInOptions struct {
	Organization string `json:"organization"`
	SignUpOpen   bool   `json:"signup_open"`
}

// SignInOptionsOf returns the sign-in page's options for the organization
// with the slug. Slugs are not secret; nothing about people is told.
// Errors: ENOTFOUND.
func (a *App) SignInOptionsOf(ctx context.Context, slug string) (*SignInOptions, error) {
	o, err := a.Store.OrganizationBySlug(ctx, Key(slug))
	if err != nil {
		return nil, err
	}
	return &SignInOptions{Organization: o.Name, SignUpOpen: o.SignUp.Enabled}, nil
}

// distinctUsers lists the users of the links once each (a person may get a
// link by mail and one by SMS).
func distinctUsers(mails []*ResetMail) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range mails {
		if !seen[m.Reset.UserID] {
			seen[m.Reset.UserID] = true
			out = append(out, m.Reset.UserID)
		}
	}
	return out
}
