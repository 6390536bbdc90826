package app

import (
	"context"
	"fmt"
	"html"
	"net/mail"
	"strings"
	"time"
)

// KindSignInHeld is the outbox message that tells a person with a verified
// address that failed sign-ins from elsewhere hold their account back.
const KindSignInHeld = "signin_held"

// queueHeldNotice queues the notice to u, when u's organization has a
// relay. It is best effort: the sign-in it follows has already failed.
func (a *App) queueHeldNotice(ctx context.Context, u *User) {
	org, err := a.Store.Organization(ctx, u.OrgID)
	if err != nil {
		return
	}
	if _, err := a.relayConfig(ctx, org); err != nil {
		return // no relay: the admins' list of held accounts still shows it
	}
	now := a.now()
	m := &OutboxMessage{ID: a.newID(), OrgID: org.ID, Kind: KindSignInHeld, UserID: u.ID, To: u.Email,
		ToName: strings.TrimSpace(u.FirstName + " " + u.LastName), Status: MessageQueued, CreatedAt: now, NextAttempt: now}
	if err := a.Store.QueueMessage(ctx, m); err != nil {
		a.log().Warn("queue the held-account notice", "err", err)
	}
}

// renderHeldNotice writes the notice; it is skipped when the account or
// its verified address is gone.
func (a *App) renderHeldNotice(ctx context.Context, org *Organization, m *OutboxMessage) (*Message, bool, string) {
	u, err := a.Store.User(ctx, "", m.UserID)
	if err != nil || !u.EmailVerified || LoginKey(u.Email) != LoginKey(m.To) {
		return nil, true, ""
	}
	name := u.FirstName
	if name == "" {
		name = u.Username
	}
	login := u.Username
	if login == "" {
		login = u.Email
	}
	subject := fmt.Sprintf("%s: failed sign-ins to your account", org.Name)
	lines := []string{
		"Hello " + name + ",",
		fmt.Sprintf("someone typed a wrong password for your account %s at %s %d times (the last at %s).", login, org.Name, FreeFailures, m.CreatedAt.In(time.Local).Format("2 Jan 2006 15:04")),
		"For a while, sign-ins to your account from other devices have to wait. On a device where you signed in before, you can sign in as usual.",
		"If this was you, there is nothing to do. If it was not, nobody got in; if you are worried, ask your school's IT staff to give you a new password.",
	}
	text := strings.Join(lines, "\n\n") + "\n\n-- \n" + org.Name + "\n"
	var hb strings.Builder
	hb.WriteString("<!doctype html><html><body>")
	for _, l := range lines {
		hb.WriteString("<p>" + html.EscapeString(l) + "</p>")
	}
	hb.WriteString("<p>-- <br>" + html.EscapeString(org.Name) + "</p></body></html>")
	return &Message{To: mail.Address{Name: m.ToName, Address: m.To}, Subject: subject, Text: text, HTML: hb.String(),
		Headers: map[string]string{"Auto-Submitted": "auto-generated"}}, false, ""
}
