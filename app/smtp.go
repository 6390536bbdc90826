package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"
)

// Relay security modes.
const (
	SecurityTLS      = "tls"      // implicit TLS from the first byte (port 465)
	SecurityStartTLS = "starttls" // plain connection upgraded by STARTTLS (port 587); refused if not offered
	SecurityNone     = "none"     // no encryption: only to a relay on this computer (loopback)
)

// SMTPSettings is an organization's mail relay. The password is stored
// sealed (see Sealer); it never leaves the server in an answer.
type SMTPSettings struct {
	OrgID    string `json:"org_id"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
	Username string `json:"username"`
	// From is the sender, "Name <address>".
	From string `json:"from"`
	// CAFile, when set, names a PEM file of extra certificate authorities to
	// trust, for school relays whose certificate comes from a private CA.
	CAFile string `json:"ca_file"`
	// SealedPassword is the relay password sealed with the key file.
	SealedPassword []byte    `json:"sealed_password,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// SMTPView is the settings as shown to an admin: whether a password is set,
// never the password.
type SMTPView struct {
	Host        string `json:"host"`
	Port        int    `json:"port"`
	Security    string `json:"security"`
	Username    string `json:"username"`
	From        string `json:"from"`
	CAFile      string `json:"ca_file"`
	PasswordSet bool   `json:"password_set"`
	// Configured is false until a host and a sender are saved.
	Configured bool      `json:"configured"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func (s *SMTPSettings) view() *SMTPView {
	return &SMTPView{Host: s.Host, Port: s.Port, Security: s.Security, Username: s.Username, From: s.From,
		CAFile: s.CAFile, PasswordSet: len(s.SealedPassword) > 0, Configured: s.Host != "" && s.From != "", UpdatedAt: s.UpdatedAt}
}

// SMTPUpdate changes relay settings; nil fields stay. A nil Password keeps
// the stored password unless the host, port or username changes (then it
// is dropped: it was for another account); a pointer to "" removes it.
type SMTPUpdate struct {
	Host     *string `json:"host"`
	Port     *int    `json:"port"`
	Security *string `json:"security"`
	Username *string `json:"username"`
	Password *string `json:"password"`
	From     *string `json:"from"`
	CAFile   *string `json:"ca_file"`
}

// SMTPStore keeps relay settings per organization.
type SMTPStore interface {
	// SMTPSettings returns the organization's relay; ENOTFOUND if none is saved.
	SMTPSettings(ctx context.Context, orgID string) (*SMTPSettings, error)
	PutSMTPSettings(ctx context.Context, s *SMTPSettings) error
}

// Sealer encrypts small secrets with a key kept outside the database.
type Sealer interface {
	Seal(plaintext []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// Validate checks the settings.
func (s *SMTPSettings) Validate() error {
	v := validation{}
	switch {
	case s.Host == "":
		v.add("host", "Give the relay's host name, e.g. smtp.maple.example.")
	case len(s.Host) > 253 || hasControl(s.Host) || strings.ContainsAny(s.Host, " /:@") && net.ParseIP(s.Host) == nil:
		v.add("host", "%q is not a host name.", s.Host)
	}
	if s.Port < 1 || s.Port > 65535 {
		v.add("port", "The port must be a number from 1 to 65535 (usually 587 or 465).")
	}
	switch s.Security {
	case SecurityTLS, SecurityStartTLS:
	case SecurityNone:
		if !IsLoopbackHost(s.Host) {
			v.add("security", "Unencrypted mail is allowed only to a relay on this computer (localhost); use starttls (587) or tls (465).")
		}
	default:
		v.add("security", "The security must be starttls (port 587), tls (port 465) or none (only to localhost).")
	}
	if len(s.Username) > 256 || hasControl(s.Username) {
		v.add("username", "The username contains a control character or is too long.")
	}
	if _, err := ParseFrom(s.From); err != nil {
		v.add("from", "%s", ErrorArg(err))
	}
	if hasControl(s.CAFile) || len(s.CAFile) > 4096 {
		v.add("ca_file", "The CA file path contains a control character.")
	} else if s.CAFile != "" && s.Security == SecurityNone {
		v.add("ca_file", "A CA file is used only to check a relay's certificate over TLS; with security none there is none to check. Clear the CA file, or choose starttls or tls.")
	}
	return v.err("host", "port", "security", "username", "from", "ca_file")
}

// IsLoopbackHost reports whether host names this computer: a literal
// loopback address (127.0.0.0/8, ::1) or exactly "localhost". Other names,
// *.localhost included, are judged by nobody but a resolver, so they do not
// count; the mailer also checks the address it actually reached.
func IsLoopbackHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseFrom parses a sender "Name <address>" or a bare address.
func ParseFrom(s string) (*mail.Address, error) {
	if s == "" {
		return nil, FieldError(EINVALID, "from", "Give the sender, e.g. \"Maple Primary <no-reply@maple.example>\".")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || hasControl(s) || !strings.Contains(a.Address, "@") {
		return nil, FieldError(EINVALID, "from", "%q is not a sender address (expected e.g. \"Maple Primary <no-reply@maple.example>\").", s)
	}
	return a, nil
}

// SMTP returns the organization's relay settings as shown to an admin; an
// empty, unconfigured view when none are saved. Errors: ENOTFOUND (organization).
func (a *App) SMTP(ctx context.Context, ref string) (*SMTPView, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	s, err := a.Store.SMTPSettings(ctx, org.ID)
	if ErrorCode(err) == ENOTFOUND {
		return &SMTPView{Port: 587, Security: SecurityStartTLS}, nil
	} else if err != nil {
		return nil, err
	}
	return s.view(), nil
}

// SetSMTP changes the organization's relay settings; the password is sealed
// before it is stored. Errors: ENOTFOUND, EINVALID, EINTERNAL (key file).
func (a *App) SetSMTP(ctx context.Context, ref string, upd SMTPUpdate) (*SMTPView, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	s, err := a.Store.SMTPSettings(ctx, org.ID)
	if ErrorCode(err) == ENOTFOUND {
		s = &SMTPSettings{OrgID: org.ID, Port: 587, Security: SecurityStartTLS}
	} else if err != nil {
		return nil, err
	}
	// The password belongs to one account on one relay: it does not follow
	// the settings to another host, port or username.
	wasHost, wasPort, wasUser := s.Host, s.Port, s.Username
	if upd.Host != nil {
		s.Host = Key(*upd.Host)
	}
	if upd.Port != nil {
		s.Port = *upd.Port
	}
	if upd.Security != nil {
		s.Security = Key(*upd.Security)
	}
	if upd.Username != nil {
		s.Username = strings.TrimSpace(*upd.Username)
	}
	if upd.From != nil {
		s.From = Clean(*upd.From)
	}
	if upd.CAFile != nil {
		s.CAFile = strings.TrimSpace(*upd.CAFile)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if upd.Password == nil && (s.Host != wasHost || s.Port != wasPort || s.Username != wasUser) {
		s.SealedPassword = nil
	}
	if upd.Password != nil {
		switch p := *upd.Password; {
		case p == "":
			s.SealedPassword = nil
		case len(p) > 1024 || strings.ContainsAny(p, "\r\n\x00"):
			return nil, FieldError(EINVALID, "password", "The password is too long or contains a line break.")
		default:
			if a.Secrets == nil {
				return nil, Errorf(EINTERNAL, "No key file is configured to protect the relay password.")
			}
			if s.SealedPassword, err = a.Secrets.Seal([]byte(p)); err != nil {
				return nil, fmt.Errorf("seal the relay password: %w", err)
			}
		}
	}
	s.UpdatedAt = a.now()
	ctx = a.audit(ctx, org.ID, "smtp.update", orgTarget(org), "mail relay: changed "+changedFields(upd))
	if err := a.Store.PutSMTPSettings(ctx, s); err != nil {
		return nil, err
	}
	a.outbox().relayChanged(org.ID)
	return s.view(), nil
}

// relayConfig returns what the mailer needs to connect: the settings with the
// password opened. Errors: EINVALID when no relay is configured.
func (a *App) relayConfig(ctx context.Context, org *Organization) (*RelayConfig, error) {
	s, err := a.Store.SMTPSettings(ctx, org.ID)
	if ErrorCode(err) == ENOTFOUND || (err == nil && (s.Host == "" || s.From == "")) {
		return nil, Errorf(EINVALID, "No mail relay is set up for %s: fill in Settings → Email first.", org.Name)
	} else if err != nil {
		return nil, err
	}
	from, err := ParseFrom(s.From)
	if err != nil {
		return nil, err
	}
	rc := &RelayConfig{Host: s.Host, Port: s.Port, Security: s.Security, Username: s.Username, From: *from, CAFile: s.CAFile}
	if len(s.SealedPassword) > 0 {
		if a.Secrets == nil {
			return nil, Errorf(EINVALID, "The relay password cannot be read: no key file. Enter the password again in Settings → Email.")
		}
		p, err := a.Secrets.Open(s.SealedPassword)
		if err != nil {
			return nil, Errorf(EINVALID, "The relay password cannot be read with this computer's key file (%v). Enter the password again in Settings → Email.", err)
		}
		rc.Password = string(p)
	}
	return rc, nil
}

// RelayConfig is everything a Mailer needs to reach a relay. Password is in
// clear, in memory only.
type RelayConfig struct {
	Host     string
	Port     int
	Security string
	Username string
	Password string
	From     mail.Address
	CAFile   string
}

// Addr is host:port.
func (r *RelayConfig) Addr() string { return net.JoinHostPort(r.Host, strconv.Itoa(r.Port)) }

// Message is one mail ready to be handed to a relay.
type Message struct {
	From    mail.Address
	To      mail.Address
	Subject string
	Date    time.Time
	Text    string
	HTML    string
	// Headers are extra header fields (e.g. Auto-Submitted); values must not hold line breaks.
	Headers map[string]string
}

// Mailer connects to relays. app/mail implements it over SMTP.
type Mailer interface {
	// Dial connects, says hello, secures the connection and signs in.
	// Failures are *DeliveryError.
	Dial(ctx context.Context, relay *RelayConfig) (MailConn, error)
}

// MailConn is one connection to a relay over which many messages go.
type MailConn interface {
	// Send delivers one message; failures are *DeliveryError.
	Send(ctx context.Context, m *Message) error
	// Close says goodbye and closes the connection.
	Close() error
}

// Delivery stages, for messages that say where a delivery failed.
const (
	StageConnect = "connect" // dial, greeting, hello
	StageTLS     = "tls"
	StageAuth    = "auth"
	StageSend    = "send" // MAIL, RCPT, DATA
)

// DeliveryError is a failure to hand a message to the relay. Permanent
// failures (a 5xx answer to MAIL, RCPT or DATA) are not retried; anything
// else (network, timeouts, 4xx) is.
type DeliveryError struct {
	Stage     string
	Permanent bool
	// Reply is what the server said ("550 5.1.1 no such user") or what
	// happened ("connection refused"), shown to the admin as it is.
	Reply string
	// Code is the server's reply code, 0 when the server did not answer
	// (a network error: the connection is gone).
	Code int
	Err  error
}

func (e *DeliveryError) Error() string { return e.Headline() + ": " + e.Reply }

// Headline says in plain words where the delivery failed.
func (e *DeliveryError) Headline() string { return e.headline().english() }

// headline is Headline as a message of the error catalogues.
func (e *DeliveryError) headline() text {
	switch e.Stage {
	case StageConnect:
		return text{format: textOf("Could not reach the relay")}
	case StageTLS:
		return text{format: textOf("Could not secure the connection to the relay")}
	case StageAuth:
		return text{format: textOf("The relay refused the sign-in")}
	case StageSend:
		if e.Code == 0 && !e.Permanent {
			// No answer at all: the connection broke or timed out while
			// the message was under way. Nobody refused it.
			return text{format: textOf("The connection to the relay was cut off while sending; the message will be tried again")}
		}
		return text{format: textOf("The relay refused the message")}
	default:
		return text{format: textOf("The relay refused the message")}
	}
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// connectionLevel reports whether err means the connection cannot carry
// more messages (as opposed to one message refused by the server).
func connectionLevel(err error) bool {
	var de *DeliveryError
	return !errors.As(err, &de) || de.Stage != StageSend || de.Code == 0 && !de.Permanent || de.Code == 421
}

// SMTPTestResult is what became of a test message: accepted by the relay,
// or refused or not delivered, with exactly what the server said.
type SMTPTestResult struct {
	OK bool `json:"ok"`
	// Headline says in plain words what happened; Message is the detail
	// (the server's own reply, or the network error).
	Headline string `json:"headline"`
	Message  string `json:"message"`

	headline, message text // Headline and Message before they were put into words
}

func newTestResult(ok bool, headline, message text) (bool, string, string, text, text) {
	return ok, headline.english(), message.english(), headline, message
}

// Localized is r with its words in lang (PickLanguage chooses from it).
func (r *SMTPTestResult) Localized(lang string) *SMTPTestResult {
	q := *r
	lang = PickLanguage(lang)
	q.Headline, q.Message = r.headline.in(lang), r.message.in(lang)
	return &q
}

// TestSMTP sends a test message to the address through the organization's
// relay, at once and not through the outbox. A delivery failure is a result
// (OK false, the server's answer), not an error. Errors: ENOTFOUND,
// EINVALID (bad address, no relay set up, its password unreadable).
func (a *App) TestSMTP(ctx context.Context, ref, to string) (*SMTPTestResult, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	to = Clean(to)
	v := validation{}
	checkEmail(v, "to", to)
	if to == "" {
		v.add("to", "Give the address to send the test message to.")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	rc, err := a.relayConfig(ctx, org)
	if err != nil {
		return nil, err
	}
	if a.Mailer == nil {
		return nil, Errorf(EINTERNAL, "No mailer is configured.")
	}
	m := &Message{
		From: rc.From, To: mail.Address{Address: to}, Date: a.now(),
		Subject: "Rollcall test message for " + org.Name,
		Text:    "This is a test message from Rollcall. The mail relay of " + org.Name + " works.\n",
		Headers: map[string]string{"Auto-Submitted": "auto-generated"},
	}
	m.HTML = "<p>" + htmlEscape(strings.TrimSpace(m.Text)) + "</p>"
	conn, err := a.Mailer.Dial(ctx, rc)
	if err == nil {
		err = conn.Send(ctx, m)
		conn.Close() // a rude goodbye after the answer changes nothing
	}
	if err != nil {
		res := &SMTPTestResult{}
		res.OK, res.Headline, res.Message, res.headline, res.message = newTestResult(false, text{format: textOf("The test message could not be sent.")}, text{"%s", []any{err.Error()}})
		var de *DeliveryError
		if errors.As(err, &de) {
			res.OK, res.Headline, res.Message, res.headline, res.message = newTestResult(false, text{"%s.", []any{de.headline()}}, text{"%s", []any{de.Reply}})
		}
		return res, a.flushAudit(a.audit(ctx, org.ID, "smtp.test", orgTarget(org), "test message refused"))
	}
	a.outbox().relayUp(org.ID)
	res := &SMTPTestResult{}
	res.OK, res.Headline, res.Message, res.headline, res.message = newTestResult(true, text{textOf("The relay accepted the test message for %s."), []any{to}}, text{format: textOf("Check that it arrives; if not, look in the relay's logs or the spam folder.")})
	return res, a.flushAudit(a.audit(ctx, org.ID, "smtp.test", orgTarget(org), "test message accepted"))
}
