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

// KindVerifyEmail is the outbox message that asks a person who signed up
// to confirm their email address.
const KindVerifyEmail = "verify_email"

// EmailVerificationTTL is how long a verification link works.
const EmailVerificationTTL = 7 * 24 * time.Hour

// EmailVerification is a pending proof that a person who signed up receives
// mail at the address they gave. Only the SHA-256 of the link's token is
// kept; the token itself is in the mail (and, until the mail is sent, sealed
// in the outbox). One per user: a newer one replaces it.
type EmailVerification struct {
	UserID string `json:"user_id"`
	OrgID  string `json:"org_id"`
	// Email is the address the link proves: a link for an address the
	// account no longer has proves nothing.
	Email     string    `json:"email"`
	TokenHash string    `json:"token_hash"`
	MessageID string    `json:"message_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// VerificationMail is a verification and the outbox message that carries
// its link: stored in the transaction that creates the account.
type VerificationMail struct {
	Verification *EmailVerification
	Message      *OutboxMessage
}

// EmailVerificationStore keeps pending verifications, indexed by token hash.
type EmailVerificationStore interface {
	// EmailVerification returns the user's pending verification; ENOTFOUND if none.
	EmailVerification(ctx context.Context, userID string) (*EmailVerification, error)
	// VerifyEmail finds the verification by token hash and, in one
	// transaction, calls fn with it and its user, writes the user, and
	// removes the verification: of concurrent calls exactly one succeeds.
	// ENOTFOUND if no verification has the hash.
	VerifyEmail(ctx context.Context, hash string, fn func(v *EmailVerification, u *User) error) (*User, error)
}

// verificationMail returns the verification of u's address and its queued
// message, or nil when no mail can be sent: no address, no public address
// to build the link from, no relay, or no key file to seal the token.
// u must have its ID.
func (a *App) verificationMail(ctx context.Context, org *Organization, u *User) (*VerificationMail, error) {
	if u.Email == "" || org.PublicURL == "" || a.Secrets == nil {
		return nil, nil
	}
	if _, err := a.relayConfig(ctx, org); err != nil {
		return nil, nil // no relay: the address stays unverified
	}
	token, err := a.NewToken()
	if err != nil {
		return nil, err
	}
	sealed, err := a.Secrets.Seal([]byte(token))
	if err != nil {
		return nil, fmt.Errorf("seal the verification token: %w", err)
	}
	now := a.now()
	m := &OutboxMessage{ID: a.newID(), OrgID: org.ID, Kind: KindVerifyEmail, UserID: u.ID, To: u.Email,
		ToName: strings.TrimSpace(u.FirstName + " " + u.LastName), SealedToken: sealed, Status: MessageQueued,
		CreatedAt: now, NextAttempt: now}
	v := &EmailVerification{UserID: u.ID, OrgID: org.ID, Email: u.Email, TokenHash: TokenHash(token),
		MessageID: m.ID, CreatedAt: now, ExpiresAt: now.Add(EmailVerificationTTL)}
	return &VerificationMail{Verification: v, Message: m}, nil
}

// errBadVerifyLink is the one answer for unknown, expired and used
// verification links.
var errBadVerifyLink = Errorf(ENOTFOUND, "This confirmation link does not work any more. Links expire, and each works only once.")

// VerifiedEmail is what the confirmation page shows.
type VerifiedEmail struct {
	Email        string `json:"email"`
	Organization string `json:"organization"`
}

// VerifyEmail confirms an address with the token of a verification mail:
// the account's address becomes verified and the link is used up, in one
// transaction. Errors: ENOTFOUND (one answer for every bad link).
func (a *App) VerifyEmail(ctx context.Context, token string) (*VerifiedEmail, error) {
	if token == "" || len(token) > 200 {
		return nil, errBadVerifyLink
	}
	now := a.now()
	// The person is known only inside the transaction, from the token.
	ctx = a.audit(ctx, "", "person.email.verify", AuditTarget{Kind: "user"}, "confirmed their email address by the link")
	u, err := a.Store.VerifyEmail(ctx, TokenHash(token), func(v *EmailVerification, u *User) error {
		if !now.Before(v.ExpiresAt) || u.Email == "" || LoginKey(u.Email) != LoginKey(v.Email) {
			return errBadVerifyLink
		}
		u.EmailVerified, u.UpdatedAt = true, now
		amendAudit(ctx, func(e *AuditEntry) {
			e.OrgID, e.Actor, e.Target, e.People = u.OrgID, PersonActor(u), personTarget(u), []string{u.ID}
		})
		return nil
	})
	if ErrorCode(err) == ENOTFOUND {
		return nil, errBadVerifyLink
	} else if err != nil {
		return nil, err
	}
	out := &VerifiedEmail{Email: u.Email}
	if org, err := a.Store.Organization(ctx, u.OrgID); err == nil {
		out.Organization = org.Name
	}
	return out, nil
}

// The words of the verification mail are the catalogues' mail.verify.*
// messages (app/locales/*.json).

var verifyHTML = htmltemplate.Must(htmltemplate.New("mail").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1d2330">
<div style="max-width:520px;margin:0 auto;background:#fff;border-radius:8px;padding:24px">
<p style="font-size:13px;color:#5b6475;margin:0 0 16px">{{.Org}}</p>
<p>{{.Hello}}</p>
<p>{{.Body}}</p>
<p style="margin:24px 0"><a href="{{.Link}}" style="background:#2357d9;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">{{.Button}}</a></p>
<p style="font-size:13px;color:#5b6475;word-break:break-all">{{.Link}}</p>
<p style="font-size:13px;color:#5b6475">{{.Expires}}</p>
<p style="font-size:13px;color:#5b6475">{{.Ignore}}</p>
</div></body></html>
`))

// renderVerification builds the verification mail for m, or says why not
// (skip: no longer wanted; reason: cannot be built).
func (a *App) renderVerification(ctx context.Context, org *Organization, m *OutboxMessage) (msg *Message, skip bool, reason string) {
	v, err := a.Store.EmailVerification(ctx, m.UserID)
	if err != nil || v.MessageID != m.ID {
		return nil, true, "" // used, replaced, or the account was deleted
	}
	u, err := a.Store.User(ctx, "", m.UserID)
	if err != nil || u.EmailVerified || LoginKey(u.Email) != LoginKey(v.Email) || LoginKey(m.To) != LoginKey(v.Email) {
		return nil, true, "" // the address changed or is confirmed already
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
	link := org.PublicURL + "/verify/" + string(token)
	lang := mailLanguage(u.Language, org)
	tx := TextsFor(lang)
	d := invitationData{Org: org.Name, Name: u.FirstName, Email: u.Email, Link: link,
		Expires: tx.Date(v.ExpiresAt.In(time.Local))}
	data := d.data()
	out := []string{tx.T("mail.verify.subject", data...), mailHello(tx, d.Name), tx.T("mail.verify.body", data...),
		tx.T("mail.verify.button", data...), tx.T("mail.verify.expires", data...), tx.T("mail.invite.ignore")}
	subject, hi, body, button, expires, ignore := out[0], out[1], out[2], out[3], out[4], out[5]
	text := hi + "\n\n" + body + "\n\n" + button + ":\n" + link + "\n\n" + expires + "\n\n" + ignore + "\n\n-- \n" + org.Name + "\n"
	var hb bytes.Buffer
	err = verifyHTML.Execute(&hb, map[string]any{"Lang": lang, "Subject": subject, "Org": org.Name, "Hello": hi,
		"Body": body, "Link": htmltemplate.URL(link), "Button": button, "Expires": expires, "Ignore": ignore})
	if err != nil {
		return nil, false, fmt.Sprintf(textOf("The message could not be written: %s"), err.Error())
	}
	return &Message{
		To: mail.Address{Name: m.ToName, Address: m.To}, Subject: subject, Text: text, HTML: hb.String(),
		Headers: map[string]string{"Auto-Submitted": "auto-generated", "Content-Language": lang},
	}, false, ""
}

// EmailClaimYields says whether holder, the account that has an address,
// gives it up to writer, an account being written with the same address.
// Only an unproven claim yields: to an address an admin typed or an
// invitation proved (writer.EmailVerified), which is authoritative; and to
// anyone once the claim has lapsed, EmailVerificationTTL after the
// verification link was sent (or, with no link pending, after the holder
// last changed). The time of the write is writer.UpdatedAt. A holder
// without a username keeps the address: it would lose its only login.
// pending is the holder's pending verification, or nil.
func EmailClaimYields(holder *User, pending *EmailVerification, writer *User) bool {
	if holder.EmailVerified || holder.Username == "" {
		return false
	}
	if writer.EmailVerified {
		return true
	}
	expires := holder.UpdatedAt.Add(EmailVerificationTTL)
	if pending != nil && LoginKey(pending.Email) == LoginKey(holder.Email) {
		expires = pending.ExpiresAt
	}
	return !writer.UpdatedAt.Before(expires)
}
