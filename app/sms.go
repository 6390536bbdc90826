package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// SMS gateway kinds.
const (
	// SMSKannel is Kannel's sendsms HTTP interface (an open-source SMS
	// gateway a school or its operator runs).
	SMSKannel = "kannel"
	// SMSTwilio is a Twilio-compatible REST API: POST
	// /2010-04-01/Accounts/{SID}/Messages.json with basic auth.
	SMSTwilio = "twilio"
)

// DefaultTwilioURL is the base address of Twilio's REST API.
const DefaultTwilioURL = "https://api.twilio.com"

// DefaultSMSDailyLimit is how many SMS an organization sends per day unless
// it chooses otherwise: a cap against runaway costs.
const DefaultSMSDailyLimit = 200

// MaxSMSDailyLimit bounds the chosen cap.
const MaxSMSDailyLimit = 100000

// ChannelSMS marks an outbox message that goes to a phone through the SMS
// gateway; messages without a channel are mail.
const ChannelSMS = "sms"

// Outbox kinds of SMS.
const (
	// KindSMSActivation carries a link that sets the password of an account
	// an admin created (the SMS twin of KindActivation).
	KindSMSActivation = "sms_activation"
	// KindSMSSignUpCode carries the code that confirms the phone number of
	// a person signing up with username and phone.
	KindSMSSignUpCode = "sms_signup_code"
)

// SMSActivationTTL is how long an activation link sent by SMS works:
// shorter than a mailed one (ActivationTTL), as a text message is read at
// once or not at all, and a phone is easily seen by others.
const SMSActivationTTL = 24 * time.Hour

// SMSSettings is an organization's SMS gateway. The secret (Kannel's
// password, Twilio's auth token) is stored sealed, like the relay password;
// it never leaves the server in an answer.
type SMSSettings struct {
	OrgID string `json:"org_id"`
	// Enabled turns sending SMS on; off keeps the settings.
	Enabled  bool   `json:"enabled"`
	Provider string `json:"provider"`
	// URL is Kannel's sendsms address (http://host:13013/cgi-bin/sendsms)
	// or the REST API's base address (https://api.twilio.com).
	URL string `json:"url"`
	// Username is Kannel's sendsms user, or the account SID.
	Username string `json:"username"`
	// From is the sender: a number in E.164 or a short sender name.
	From         string    `json:"from"`
	DailyLimit   int       `json:"daily_limit"`
	SealedSecret []byte    `json:"sealed_secret,omitempty"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// SMSView is the settings as shown to an admin: whether a secret is set,
// never the secret.
type SMSView struct {
	Enabled    bool   `json:"enabled"`
	Provider   string `json:"provider"`
	URL        string `json:"url"`
	Username   string `json:"username"`
	From       string `json:"from"`
	DailyLimit int    `json:"daily_limit"`
	SecretSet  bool   `json:"secret_set"`
	// Configured is true when SMS can be sent: enabled, with a gateway.
	Configured bool `json:"configured"`
	// SentToday counts the SMS sent since midnight, against DailyLimit.
	SentToday int       `json:"sent_today"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (s *SMSSettings) ready() bool { return s.Enabled && s.Provider != "" && s.URL != "" }

func (s *SMSSettings) view() *SMSView {
	return &SMSView{Enabled: s.Enabled, Provider: s.Provider, URL: s.URL, Username: s.Username, From: s.From,
		DailyLimit: s.DailyLimit, SecretSet: len(s.SealedSecret) > 0, Configured: s.ready(), UpdatedAt: s.UpdatedAt}
}

// SMSUpdate changes gateway settings; nil fields stay. A nil Secret keeps
// the stored one unless the provider, address or username changes (then it
// is dropped: it was for another account); a pointer to "" removes it.
type SMSUpdate struct {
	Enabled    *bool   `json:"enabled"`
	Provider   *string `json:"provider"`
	URL        *string `json:"url"`
	Username   *string `json:"username"`
	Secret     *string `json:"secret"`
	From       *string `json:"from"`
	DailyLimit *int    `json:"daily_limit"`
}

// SMSStore keeps gateway settings per organization and the sign-ups that
// wait for their phone's code.
type SMSStore interface {
	// SMSSettings returns the organization's gateway; ENOTFOUND if none is saved.
	SMSSettings(ctx context.Context, orgID string) (*SMSSettings, error)
	PutSMSSettings(ctx context.Context, s *SMSSettings) error
	// SMSSentSince counts the organization's SMS marked sent at or after since.
	SMSSentSince(ctx context.Context, orgID string, since time.Time) (int, error)
	// PutPhoneSignUp stores a sign-up waiting for its code and the SMS that
	// carries the code, in one transaction.
	PutPhoneSignUp(ctx context.Context, p *PhoneSignUp, m *OutboxMessage) error
	// PhoneSignUp returns a waiting sign-up; ENOTFOUND if none.
	PhoneSignUp(ctx context.Context, id string) (*PhoneSignUp, error)
	// ResolvePhoneSignUp runs fn on the waiting sign-up in one transaction:
	// with keep it is written back as fn left it, otherwise removed (its
	// unsent SMS cancelled). The transaction commits whatever fn returns,
	// so a counted wrong code stays counted; fn's error is returned after.
	// ENOTFOUND if none.
	ResolvePhoneSignUp(ctx context.Context, id string, fn func(p *PhoneSignUp) (keep bool, err error)) (*PhoneSignUp, error)
}

// Validate checks the settings.
func (s *SMSSettings) Validate() error {
	v := validation{}
	switch s.Provider {
	case SMSKannel, SMSTwilio:
	case "":
		if s.Enabled {
			v.add("provider", "Choose the gateway: kannel or twilio.")
		}
	default:
		v.add("provider", "The gateway must be kannel (Kannel's sendsms) or twilio (a Twilio-compatible REST API).")
	}
	if s.URL == "" {
		if s.Enabled {
			v.add("url", "Give the gateway's address, e.g. http://sms.maple.example:13013/cgi-bin/sendsms.")
		}
	} else if u, err := url.Parse(s.URL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || hasControl(s.URL) || len(s.URL) > 2048 {
		v.add("url", "%q is not an http:// or https:// address.", s.URL)
	} else if u.Scheme == "http" && s.Provider == SMSTwilio && !IsLoopbackHost(u.Hostname()) {
		v.add("url", "A REST API on the internet is reached over https://; http:// is allowed only on this computer.")
	} else if u.User != nil || u.RawQuery != "" {
		v.add("url", "Give the address without a user, password or query: fill those in their own fields.")
	}
	if len(s.Username) > 256 || hasControl(s.Username) {
		v.add("username", "The username contains a control character or is too long.")
	}
	if s.Provider == SMSTwilio && s.Enabled && s.Username == "" {
		v.add("username", "Give the account SID.")
	}
	if len(s.From) > 32 || hasControl(s.From) {
		v.add("from", "The sender is a phone number or a name of at most 11 letters.")
	} else if s.From == "" && s.Provider == SMSTwilio && s.Enabled {
		v.add("from", "Give the sender number the REST API sends from.")
	}
	if s.DailyLimit < 1 || s.DailyLimit > MaxSMSDailyLimit {
		v.add("daily_limit", "The daily limit is a number of SMS from 1 to %d.", MaxSMSDailyLimit)
	}
	return v.err("provider", "url", "username", "from", "daily_limit")
}

// SMS returns the organization's gateway settings as shown to an admin; an
// empty, unconfigured view when none are saved. Errors: ENOTFOUND.
func (a *App) SMS(ctx context.Context, ref string) (*SMSView, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	s, err := a.Store.SMSSettings(ctx, org.ID)
	if ErrorCode(err) == ENOTFOUND {
		return &SMSView{Provider: SMSKannel, DailyLimit: DefaultSMSDailyLimit}, nil
	} else if err != nil {
		return nil, err
	}
	vw := s.view()
	if vw.SentToday, err = a.Store.SMSSentSince(ctx, org.ID, startOfDay(a.now())); err != nil {
		return nil, err
	}
	return vw, nil
}

// SetSMS changes the organization's gateway settings; the secret is sealed
// before it is stored. Errors: ENOTFOUND, EINVALID, EINTERNAL (key file).
func (a *App) SetSMS(ctx context.Context, ref string, upd SMSUpdate) (*SMSView, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	s, err := a.Store.SMSSettings(ctx, org.ID)
	if ErrorCode(err) == ENOTFOUND {
		s = &SMSSettings{OrgID: org.ID, Provider: SMSKannel, DailyLimit: DefaultSMSDailyLimit}
	} else if err != nil {
		return nil, err
	}
	wasProvider, wasURL, wasUser := s.Provider, s.URL, s.Username
	if upd.Enabled != nil {
		s.Enabled = *upd.Enabled
	}
	if upd.Provider != nil {
		s.Provider = Key(*upd.Provider)
	}
	if upd.URL != nil {
		s.URL = strings.TrimRight(strings.TrimSpace(*upd.URL), "/")
	}
	if upd.Username != nil {
		s.Username = strings.TrimSpace(*upd.Username)
	}
	if upd.From != nil {
		s.From = Clean(*upd.From)
		if n, err := NormalizePhone(s.From, ""); err == nil && n != "" {
			s.From = n
		}
	}
	if upd.DailyLimit != nil {
		s.DailyLimit = *upd.DailyLimit
	}
	if s.Provider == SMSTwilio && s.URL == "" {
		s.URL = DefaultTwilioURL
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if upd.Secret == nil && (s.Provider != wasProvider || s.URL != wasURL || s.Username != wasUser) {
		s.SealedSecret = nil
	}
	if upd.Secret != nil {
		switch p := *upd.Secret; {
		case p == "":
			s.SealedSecret = nil
		case len(p) > 1024 || strings.ContainsAny(p, "\r\n\x00"):
			return nil, FieldError(EINVALID, "secret", "The password or token is too long or contains a line break.")
		default:
			if a.Secrets == nil {
				return nil, Errorf(EINTERNAL, "No key file is configured to protect the gateway's password.")
			}
			if s.SealedSecret, err = a.Secrets.Seal([]byte(p)); err != nil {
				return nil, fmt.Errorf("seal the SMS gateway's secret: %w", err)
			}
		}
	}
	s.UpdatedAt = a.now()
	ctx = a.audit(ctx, org.ID, "sms.update", orgTarget(org), "SMS gateway: changed "+changedFields(upd))
	if err := a.Store.PutSMSSettings(ctx, s); err != nil {
		return nil, err
	}
	a.outbox().relayChanged(smsRelayKey(org.ID))
	return a.SMS(ctx, org.ID)
}

// smsRelayKey is the outbox's key for an organization's SMS gateway, beside
// its mail relay.
func smsRelayKey(orgID string) string { return orgID + "/sms" }

// SMSGateway is everything an SMSSender needs. Secret is in clear, in
// memory only.
type SMSGateway struct {
	Provider string
	URL      string
	Username string
	Secret   string
	From     string
}

// SMS is one text message ready for the gateway.
type SMS struct {
	To   string // E.164
	Body string
}

// SMSSender hands text messages to gateways. app/sms implements it over HTTP.
type SMSSender interface {
	// SendSMS hands one message to the gateway. Failures are *SMSError.
	SendSMS(ctx context.Context, gw *SMSGateway, m *SMS) error
}

// SMSError is a failure to hand a message to the gateway. Permanent ones
// (the gateway refused this message: a bad number, a bad request) are not
// retried; anything else (network, timeouts, the gateway's own troubles, a
// refused sign-in, which an admin fixes in Settings) is.
type SMSError struct {
	Permanent bool
	// Status is the gateway's HTTP status, 0 when it did not answer.
	Status int
	// Reply is what the gateway said, or what happened.
	Reply string
	Err   error
}

func (e *SMSError) Error() string {
	switch {
	case e.Status == 0:
		return "Could not reach the SMS gateway: " + e.Reply
	case e.Status == 401 || e.Status == 403:
		return "The SMS gateway refused the sign-in: " + e.Reply
	case e.Permanent:
		return "The SMS gateway refused the message: " + e.Reply
	}
	return "The SMS gateway could not take the message now: " + e.Reply
}

func (e *SMSError) Unwrap() error { return e.Err }

// smsSettings returns the organization's settings when SMS can be sent.
// Errors: EINVALID (none, or switched off).
func (a *App) smsSettings(ctx context.Context, org *Organization) (*SMSSettings, error) {
	s, err := a.Store.SMSSettings(ctx, org.ID)
	if ErrorCode(err) == ENOTFOUND || (err == nil && !s.ready()) {
		return nil, Errorf(EINVALID, "%s sends no SMS: set up the gateway in Settings → SMS first.", org.Name)
	}
	return s, err
}

// smsGateway returns what the sender needs, the secret opened.
func (a *App) smsGateway(ctx context.Context, org *Organization) (*SMSGateway, *SMSSettings, error) {
	s, err := a.smsSettings(ctx, org)
	if err != nil {
		return nil, nil, err
	}
	return a.openGateway(s)
}

// openGateway is what the sender needs to reach the gateway of s.
func (a *App) openGateway(s *SMSSettings) (*SMSGateway, *SMSSettings, error) {
	gw := &SMSGateway{Provider: s.Provider, URL: s.URL, Username: s.Username, From: s.From}
	if len(s.SealedSecret) > 0 {
		if a.Secrets == nil {
			return nil, nil, Errorf(EINVALID, "The SMS gateway's password cannot be read: no key file. Enter it again in Settings → SMS.")
		}
		p, err := a.Secrets.Open(s.SealedSecret)
		if err != nil {
			return nil, nil, Errorf(EINVALID, "The SMS gateway's password cannot be read with this computer's key file (%v). Enter it again in Settings → SMS.", err)
		}
		gw.Secret = string(p)
	}
	return gw, s, nil
}

// smsReady says why the organization cannot send links by SMS, or nil.
func (a *App) smsReady(ctx context.Context, org *Organization) error {
	if _, err := a.smsSettings(ctx, org); err != nil {
		return err
	}
	if org.PublicURL == "" {
		return FieldError(EINVALID, "public_url", "%s has no public address, and the link is built from it. Set it in Settings first.", org.Name)
	}
	if a.Secrets == nil {
		return Errorf(EINVALID, "This Rollcall has no key file to keep the link safe until the SMS is sent.")
	}
	return nil
}

// SMSTestResult is what became of a test SMS.
type SMSTestResult struct {
	OK       bool   `json:"ok"`
	Headline string `json:"headline"`
	Message  string `json:"message"`

	headline, message text // Headline and Message before they were put into words
}

// Localized is r with its words in lang (PickLanguage chooses from it).
func (r *SMSTestResult) Localized(lang string) *SMSTestResult {
	q := *r
	lang = PickLanguage(lang)
	q.Headline, q.Message = r.headline.in(lang), r.message.in(lang)
	return &q
}

// TestSMS sends a test message to the number through the organization's
// gateway, at once and not through the outbox (nor counted against the
// daily limit), also while SMS is switched off. A refusal is a result,
// not an error. Errors: ENOTFOUND,
// EINVALID (bad number, no gateway, its secret unreadable).
func (a *App) TestSMS(ctx context.Context, ref, to string) (*SMSTestResult, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	num, err := NormalizePhone(to, phoneRegion(org))
	if err == nil && num == "" {
		err = FieldError(EINVALID, "to", "Give the number to send the test SMS to.")
	}
	if err != nil {
		return nil, FieldError(EINVALID, "to", "%s", ErrorArg(err))
	}
	// A test works before SMS is switched on: that is when it is wanted.
	s, err := a.Store.SMSSettings(ctx, org.ID)
	if ErrorCode(err) == ENOTFOUND || (err == nil && (s.Provider == "" || s.URL == "")) {
		return nil, Errorf(EINVALID, "Save the SMS gateway's settings first.")
	} else if err != nil {
		return nil, err
	}
	gw, _, err := a.openGateway(s)
	if err != nil {
		return nil, err
	}
	if a.SMSSender == nil {
		return nil, Errorf(EINTERNAL, "No SMS sender is configured.")
	}
	err = a.SMSSender.SendSMS(ctx, gw, &SMS{To: num, Body: TextsFor(org.Language).T("sms.test", "Org", org.Name)})
	if err != nil {
		res := &SMSTestResult{}
		res.OK, res.Headline, res.Message, res.headline, res.message = newTestResult(false, text{format: textOf("The test SMS could not be sent.")}, text{"%s", []any{err.Error()}})
		return res, a.flushAudit(a.audit(ctx, org.ID, "sms.test", orgTarget(org), "test SMS refused"))
	}
	a.outbox().relayUp(smsRelayKey(org.ID))
	res := &SMSTestResult{}
	res.OK, res.Headline, res.Message, res.headline, res.message = newTestResult(true, text{textOf("The gateway accepted the test SMS for %s."), []any{num}}, text{format: textOf("Check that it arrives on the phone.")})
	return res, a.flushAudit(a.audit(ctx, org.ID, "sms.test", orgTarget(org), "test SMS accepted"))
}

// startOfDay is midnight (local time) before t: the daily limit counts
// from it.
func startOfDay(t time.Time) time.Time {
	t = t.In(time.Local)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.Local)
}

// deliverTexts sends one organization's claimed SMS (deliverSMSRun); the
// organization gone, they fail.
func (a *App) deliverTexts(ctx context.Context, orgID string, msgs []*OutboxMessage) (int, error) {
	org, err := a.Store.Organization(ctx, orgID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			for _, m := range msgs {
				if err := a.fail(ctx, m, textOf("The organization no longer exists.")); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}
		a.requeue(ctx, msgs)
		return 0, err
	}
	return a.deliverSMSRun(ctx, org, msgs)
}

// requeue puts claimed messages back in the queue as they were.
func (a *App) requeue(ctx context.Context, msgs []*OutboxMessage) {
	for _, m := range msgs {
		m.Status = MessageQueued
		_ = a.Store.UpdateMessage(context.WithoutCancel(ctx), m)
	}
}

// deliverSMSRun sends one organization's claimed SMS. Like deliverRun for
// mail: not attempted ones go back to the queue, temporary failures wait
// for the backoff, permanent ones fail with the gateway's answer. Past the
// daily limit the rest wait until midnight, unchanged otherwise.
func (a *App) deliverSMSRun(ctx context.Context, org *Organization, msgs []*OutboxMessage) (sent int, err error) {
	next := 0
	defer func() {
		for _, m := range msgs[next:] {
			m.Status = MessageQueued
			if uerr := a.Store.UpdateMessage(context.WithoutCancel(ctx), m); uerr != nil && err == nil {
				err = uerr
			}
		}
	}()
	type job struct {
		m   *OutboxMessage
		sms *SMS
	}
	var jobs []job
	for _, m := range msgs {
		s, skip, reason := a.renderSMS(ctx, org, m)
		switch {
		case skip:
			m.Status, m.SealedToken = MessageCancelled, nil
			if err := a.Store.UpdateMessage(ctx, m); err != nil {
				return 0, err
			}
		case reason != "":
			if err := a.fail(ctx, m, reason); err != nil {
				return 0, err
			}
		default:
			jobs = append(jobs, job{m, s})
		}
	}
	msgs = make([]*OutboxMessage, len(jobs))
	for i, j := range jobs {
		msgs[i] = j.m
	}
	if len(jobs) == 0 {
		return 0, nil
	}
	key := smsRelayKey(org.ID)
	gw, st, err := a.smsGateway(ctx, org)
	if err != nil {
		reason := ErrorMessage(err)
		a.outbox().relayDown(key, a.now(), reason)
		for ; next < len(msgs); next++ {
			if err := a.retryLater(ctx, msgs[next], reason); err != nil {
				return 0, err
			}
		}
		return 0, nil
	}
	if a.SMSSender == nil {
		return 0, errors.New("no SMS sender configured")
	}
	today := startOfDay(a.now())
	count, err := a.Store.SMSSentSince(ctx, org.ID, today)
	if err != nil {
		return 0, err
	}
	for next < len(jobs) && ctx.Err() == nil {
		j := jobs[next]
		if count >= st.DailyLimit {
			// The cap: wait for tomorrow, without counting an attempt.
			for ; next < len(jobs); next++ {
				m := jobs[next].m
				m.Status, m.NextAttempt = MessageQueued, today.AddDate(0, 0, 1)
				m.LastError = fmt.Sprintf(textOf("The daily limit of %d SMS is reached; it is sent after midnight (raise the limit in Settings → SMS to send it sooner)."), st.DailyLimit)
				if err := a.Store.UpdateMessage(context.WithoutCancel(ctx), m); err != nil {
					return sent, err
				}
			}
			return sent, nil
		}
		next++
		err := a.SMSSender.SendSMS(ctx, gw, j.sms)
		var se *SMSError
		switch {
		case err == nil:
			a.outbox().relayUp(key)
			if err := a.markSent(ctx, j.m); err != nil {
				return sent, err
			}
			sent++
			count++
		case errors.As(err, &se) && se.Permanent:
			j.m.Attempts++
			if err := a.fail(ctx, j.m, err.Error()); err != nil {
				return sent, err
			}
		case ctx.Err() != nil:
			next--
			return sent, nil
		default:
			if a.outbox().relayDown(key, a.now(), err.Error()) {
				a.log().Warn("SMS gateway unreachable", "org", org.Slug, "err", err.Error(), "waiting", len(msgs)-next+1)
			}
			if err := a.retryLater(ctx, j.m, err.Error()); err != nil {
				return sent, err
			}
			if se == nil || se.Status == 0 || se.Status >= 500 || se.Status == 401 || se.Status == 403 {
				// The gateway is down or refuses us: the rest wait too.
				for ; next < len(msgs); next++ {
					if err := a.retryLater(ctx, msgs[next], err.Error()); err != nil {
						return sent, err
					}
				}
				return sent, nil
			}
		}
	}
	return sent, nil
}

// renderSMS builds the text of m, or says why not (skip: no longer wanted).
func (a *App) renderSMS(ctx context.Context, org *Organization, m *OutboxMessage) (s *SMS, skip bool, reason string) {
	if a.Secrets == nil {
		return nil, false, textOf("No key file to open the message's token.")
	}
	switch m.Kind {
	case KindSMSActivation:
		r, err := a.Store.SMSActivation(ctx, m.UserID)
		if err != nil || r.MessageID != m.ID {
			return nil, true, ""
		}
		u, err := a.Store.User(ctx, "", m.UserID)
		if err != nil || !usableReset(r, u, a.now()) || u.Phone != m.To {
			return nil, true, ""
		}
		if org.PublicURL == "" {
			return nil, false, textOf("The organization has no public address, so the link cannot be built. Set it in Settings, then retry.")
		}
		opened, err := a.Secrets.Open(m.SealedToken)
		if err != nil {
			return nil, false, fmt.Sprintf(textOf("The link's token cannot be opened with this computer's key file (%v)."), err)
		}
		token, code, _ := strings.Cut(string(opened), " ")
		link := org.PublicURL + "/reset/" + token
		tx := TextsFor(mailLanguage(u.Language, org)) // as the activation mail
		data := []any{"Org", org.Name, "Login", loginOf(u), "Link", link, "Code", code, "Hours", int(SMSActivationTTL.Hours())}
		body := oneSMS(tx.T("sms.activation.long", data...), tx.T("sms.activation.medium", data...), tx.T("sms.activation.short", data...))
		return &SMS{To: m.To, Body: body}, false, ""
	case KindSMSSignUpCode:
		p, err := a.Store.PhoneSignUp(ctx, m.UserID)
		if err != nil || p.MessageID != m.ID || !a.now().Before(p.ExpiresAt) {
			return nil, true, ""
		}
		code, err := a.Secrets.Open(m.SealedToken)
		if err != nil {
			return nil, false, fmt.Sprintf(textOf("The code cannot be opened with this computer's key file (%v)."), err)
		}
		tx := TextsFor(mailLanguage(p.User.Language, org)) // as the verification mail of a sign-up by email
		data := []any{"Org", org.Name, "Code", string(code), "Minutes", int(PhoneCodeTTL.Minutes())}
		body := oneSMS(tx.T("sms.signUpCode.long", data...), tx.T("sms.signUpCode.short", data...))
		return &SMS{To: m.To, Body: body}, false, ""
	}
	return nil, false, fmt.Sprintf(textOf("Unknown kind of SMS %q."), m.Kind)
}

// SMSLength is what one SMS holds in the GSM alphabet (plain ASCII here);
// text beyond it, or any other letter (which makes the whole SMS UCS-2, 70
// characters), needs several SMS joined, which not every gateway is set up
// to send.
const SMSLength = 160

// SMSLengthUnicode is what one SMS holds of text with other letters than
// plain ASCII (sent as UCS-2).
const SMSLengthUnicode = 70

// oneSMS is the first of texts that fits in one SMS, else the last: a
// link or a code must arrive whole. (The texts of Finnish, Swedish and
// German have letters beyond ASCII, ä ö å ü; they fit in one SMS only when
// short.)
func oneSMS(texts ...string) string {
	for _, t := range texts {
		if len(t) <= SMSLength && printableASCII(t) || !printableASCII(t) && utf8.RuneCountInString(t) <= SMSLengthUnicode && !strings.ContainsAny(t, "\n\r") {
			return t
		}
	}
	return texts[len(texts)-1]
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// phoneRegion is the country assumed for numbers written without +: the
// organization's Country; without one, numbers need their country code.
func phoneRegion(org *Organization) string {
	if org == nil {
		return ""
	}
	return org.Country
}

// checkCountry checks an organization's country: empty, or an ISO 3166-1
// alpha-2 code whose phone numbers are known.
func checkCountry(v validation, c string) {
	if c == "" {
		return
	}
	if len(c) != 2 || phonenumbers.GetCountryCodeForRegion(c) == 0 {
		v.add("country", "%q is not a country code: give two letters, e.g. FI, SE, DE or GB.", c)
	}
}

// NormalizePhone checks a phone number and writes it in E.164
// (+358401234567). A number without + is read in region (ISO 3166 code);
// without a region it must start with +. "" stays "". Errors: EINVALID.
func NormalizePhone(raw, region string) (string, error) {
	raw = Clean(raw)
	if raw == "" {
		return "", nil
	}
	if len(raw) > 40 || hasControl(raw) {
		return "", FieldError(EINVALID, "phone", "%q is not a phone number.", raw)
	}
	if region == "" && strings.HasPrefix(raw, "00") {
		// 00 is the international prefix nearly everywhere (ITU-T E.164),
		// and how spreadsheets keep a + they would otherwise drop.
		raw = "+" + raw[2:]
	}
	if !strings.HasPrefix(raw, "+") && region == "" {
		return "", FieldError(EINVALID, "phone", "Write %q with its country code, e.g. +358 40 1234567 (or set the organization's country in Settings to type local numbers).", raw)
	}
	if region == "" {
		region = "ZZ"
	}
	n, err := phonenumbers.Parse(raw, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", FieldError(EINVALID, "phone", "%q is not a valid phone number.", raw)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// normalizePhoneOf writes u's phone in E.164 with the organization's
// region; a number that is not valid is reported in v.
func normalizePhoneOf(v validation, org *Organization, u *User) {
	n, err := NormalizePhone(u.Phone, phoneRegion(org))
	if err != nil {
		v.add("phone", "%s", ErrorArg(err))
		return
	}
	u.Phone = n
}

// Phone sign-up: with the organization's sign-up login set to "phone", a
// person signs up with a username and a phone number, and the account is
// made only once they type the code sent to that number. Until then the
// sign-up waits (PhoneSignUp): no account exists, nobody can sign in.
const (
	// PhoneCodeTTL is how long a sign-up's code works.
	PhoneCodeTTL = 15 * time.Minute
	// PhoneCodeAttempts is how many wrong codes end a waiting sign-up.
	PhoneCodeAttempts = 5
	// PhoneCodeDigits is the code's length.
	PhoneCodeDigits = 6
)

// PhoneSignUp is a sign-up waiting for the code sent to its phone. Only
// the SHA-256 of the code is kept (with the sign-up's ID, so equal codes
// hash apart); the code itself is in the SMS (and, until it is sent,
// sealed in the outbox).
type PhoneSignUp struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
	// InviteCode or LinkID (with the link's token hash then) is what the
	// person signed up with: its use is counted when the account is made.
	InviteCode string `json:"invite_code,omitempty"`
	LinkID     string `json:"link_id,omitempty"`
	LinkHash   string `json:"link_hash,omitempty"`
	// User is the account to make, PasswordHash its password's hash.
	User         *User     `json:"user"`
	PasswordHash string    `json:"password_hash"`
	Phone        string    `json:"phone"`
	CodeHash     string    `json:"code_hash"`
	Attempts     int       `json:"attempts"`
	MessageID    string    `json:"message_id"`
	CreatedAt    time.Time `json:"created_at"`
	ExpiresAt    time.Time `json:"expires_at"`
}

func phoneCodeHash(id, code string) string { return TokenHash(id + ":" + code) }

// newPhoneCode draws PhoneCodeDigits decimal digits uniformly from a.Rand.
func (a *App) newPhoneCode() (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() < PhoneCodeDigits {
		if _, err := io.ReadFull(a.Rand, buf); err != nil {
			return "", err
		}
		if buf[0] < 250 { // 250 = 25 × 10: no digit is likelier
			b.WriteByte('0' + buf[0]%10)
		}
	}
	return b.String(), nil
}

// phoneSignUpReady says why the organization cannot send sign-up codes.
func (a *App) phoneSignUpReady(ctx context.Context, org *Organization) error {
	if _, err := a.smsSettings(ctx, org); err != nil {
		return Errorf(EINVALID, "%s cannot send the SMS that confirms your phone number yet. Ask your teacher or IT staff.", org.Name)
	}
	if a.Secrets == nil {
		return Errorf(EINVALID, "This Rollcall has no key file to keep the code safe until the SMS is sent.")
	}
	return nil
}

// waitForPhone stores the sign-up of u (its password hashed) to wait for
// the code sent to its phone, with the SMS that carries the code, and
// tells the person to type it. set fills in what the person signed up with.
func (a *App) waitForPhone(ctx context.Context, org *Organization, u *User, client, action string, set func(p *PhoneSignUp)) (*SignUpResult, error) {
	code, err := a.newPhoneCode()
	if err != nil {
		return nil, err
	}
	sealed, err := a.Secrets.Seal([]byte(code))
	if err != nil {
		return nil, fmt.Errorf("seal the code: %w", err)
	}
	now := a.now()
	p := &PhoneSignUp{ID: a.newID(), OrgID: org.ID, User: u, PasswordHash: u.PasswordHash, Phone: u.Phone,
		CreatedAt: now, ExpiresAt: now.Add(PhoneCodeTTL)}
	p.CodeHash = phoneCodeHash(p.ID, code)
	set(p)
	m := &OutboxMessage{ID: a.newID(), OrgID: org.ID, Kind: KindSMSSignUpCode, Channel: ChannelSMS, UserID: p.ID, To: u.Phone,
		ToName: strings.TrimSpace(u.FirstName + " " + u.LastName), SealedToken: sealed, Status: MessageQueued, CreatedAt: now, NextAttempt: now}
	p.MessageID = m.ID
	ctx = a.audit(WithActor(ctx, SignUpActor), org.ID, action, personTarget(u), "signed up with username and phone; a code was sent by SMS to confirm the number (no account until it is typed)")
	if err := a.Store.PutPhoneSignUp(ctx, p, m); err != nil {
		return nil, err
	}
	a.SignUpLimits.PerIP.Refund(client) // judged when the code is typed
	a.outbox().wakeUp()
	r := a.signUpResult(ctx, org, u)
	r.Status, r.PhoneSignUp, r.Phone = SignUpVerifyPhone, p.ID, maskPhone(u.Phone)
	return r, nil
}

// SignUpVerifyPhone is the status of a sign-up waiting for its phone's code.
const SignUpVerifyPhone = "verify_phone"

// maskPhone shows the last digits of a number only: +358 … 4567.
func maskPhone(p string) string {
	if len(p) <= 4 {
		return p
	}
	return "…" + p[len(p)-4:]
}

var errBadPhoneSignUp = Errorf(ENOTFOUND, "This sign-up has ended: codes work for 15 minutes and for 5 tries. Sign up again to get a new code.")

// VerifyPhoneSignUp takes the code typed for a sign-up waiting for its
// phone and, when it is right, makes the account (counting the use of the
// invite code or link then, in one transaction) as SignUpWithCode or
// SignUpWithLink would have. A wrong code counts against the sign-up (5
// end it) and against the device's limits. Errors: EINVALID (no code),
// EUNAUTHORIZED (wrong code), ENOTFOUND (ended), ECONFLICT (the username
// was taken meanwhile), EFORBIDDEN (the code or link stopped working),
// ETOOMANY.
func (a *App) VerifyPhoneSignUp(ctx context.Context, id, code, client string) (*SignUpResult, error) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != PhoneCodeDigits || strings.Trim(code, "0123456789") != "" {
		return nil, FieldError(EINVALID, "code", "Type the %d digits of the code in the SMS.", PhoneCodeDigits)
	}
	if id == "" || len(id) > 64 {
		return nil, errBadPhoneSignUp
	}
	if err := a.takeAttempt(client); err != nil {
		return nil, err
	}
	now := a.now()
	p, err := a.Store.ResolvePhoneSignUp(ctx, id, func(p *PhoneSignUp) (bool, error) {
		switch {
		case !now.Before(p.ExpiresAt):
			return false, errBadPhoneSignUp
		case subtle.ConstantTimeCompare([]byte(phoneCodeHash(p.ID, code)), []byte(p.CodeHash)) != 1:
			p.Attempts++
			if p.Attempts >= PhoneCodeAttempts {
				return false, errBadPhoneSignUp
			}
			return true, FieldError(EUNAUTHORIZED, "code", "That is not the code in the SMS. %d tries left.", PhoneCodeAttempts-p.Attempts)
		}
		return false, nil
	})
	if ErrorCode(err) == ENOTFOUND {
		return nil, errBadPhoneSignUp // every ended sign-up alike
	} else if err != nil {
		return nil, err
	}
	a.refundAttempt(client)
	org, err := a.Store.Organization(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	u := p.User
	u.PasswordHash, u.UpdatedAt = p.PasswordHash, now
	if p.InviteCode != "" {
		ctx = a.audit(WithActor(ctx, SignUpActor), org.ID, "signup.code", personTarget(u), "signed up with an invite code, phone confirmed by SMS code; "+u.Status)
		err = a.Store.UseInviteCode(ctx, p.InviteCode, func(cur *InviteCode) error {
			if cur.OrgID != org.ID {
				return Errorf(ENOTFOUND, "The invite code no longer works. Sign up again.")
			}
			return cur.usable(org, now)
		}, u, nil, nil)
	} else {
		ctx = a.audit(WithActor(ctx, SignUpActor), org.ID, "signup.link", personTarget(u), "signed up with an invite link, phone confirmed by SMS code; "+u.Status)
		err = a.Store.UseInviteLink(ctx, org.ID, p.LinkID, func(cur *InviteLink) error {
			if cur.TokenHash != p.LinkHash {
				return Errorf(ENOTFOUND, "This invite link does not work any more. Sign up again.")
			}
			return cur.usable(now)
		}, u, nil)
	}
	if isLoginConflict(err) {
		return nil, errLoginUnusable
	} else if err != nil {
		return nil, err
	}
	return a.signUpResult(ctx, org, u), nil
}

// ActivationCodeTries is how many wrong codes end an SMS activation code
// (its link still works).
const ActivationCodeTries = 5

// errBadActivationCode is the one answer for a wrong login, a wrong, used
// or expired code: nothing in it tells which.
var errBadActivationCode = FieldError(EUNAUTHORIZED, "code", "That code does not work with this username. Codes work for 24 hours and once; check both, or ask your teacher or IT staff for a new one.")

// RedeemActivationCode takes the code of an activation SMS typed on
// /signin with the person's username (or email) and, when both are right,
// turns it into a new one-time token for the set-password page: in one
// transaction the code is used up and the link's token replaced (the link
// in the SMS stops working; the returned token works once until the
// link's expiry). Wrong codes count against the code (ActivationCodeTries
// end it) and against the device's limits, as wrong invite codes do.
// Errors: EINVALID (no code), EUNAUTHORIZED (one answer for every kind of
// wrong), ETOOMANY.
func (a *App) RedeemActivationCode(ctx context.Context, login, code, client string) (string, error) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != PhoneCodeDigits || strings.Trim(code, "0123456789") != "" {
		return "", FieldError(EINVALID, "code", "Type the %d digits of the code in the SMS.", PhoneCodeDigits)
	}
	login = strings.TrimSpace(login)
	if login == "" || len(login) > 254 {
		return "", FieldError(EINVALID, "login", "Type your username.")
	}
	if err := a.takeAttempt(client); err != nil {
		return "", err
	}
	u, err := a.Store.UserByLogin(ctx, login)
	if ErrorCode(err) == ENOTFOUND {
		return "", errBadActivationCode
	} else if err != nil {
		return "", err
	}
	token, err := a.NewToken()
	if err != nil {
		return "", err
	}
	now := a.now()
	ok := false
	ctx = a.audit(WithActor(ctx, PersonActor(u)), u.OrgID, "person.activation_code", personTarget(u), "typed the code from their activation SMS on the sign-in page")
	err = a.Store.ChangeSMSActivation(ctx, u.ID, func(r *PasswordReset, u *User) error {
		if r.CodeHash == "" || !usableReset(r, u, now) {
			return errBadActivationCode
		}
		if subtle.ConstantTimeCompare([]byte(phoneCodeHash(u.ID, code)), []byte(r.CodeHash)) != 1 {
			if r.CodeTries++; r.CodeTries >= ActivationCodeTries {
				r.CodeHash = ""
			}
			return errBadActivationCode
		}
		r.CodeHash, r.TokenHash, ok = "", TokenHash(token), true
		return nil
	})
	if ErrorCode(err) == ENOTFOUND {
		return "", errBadActivationCode
	} else if err != nil {
		return "", err
	}
	if ok {
		a.refundAttempt(client)
	}
	return token, nil
}
