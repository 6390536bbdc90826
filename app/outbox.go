package app

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"sync"
	"time"
)

// Outbox message statuses.
const (
	MessageQueued    = "queued"
	MessageSending   = "sending"
	MessageSent      = "sent"
	MessageFailed    = "failed"
	MessageCancelled = "cancelled"
)

// Kinds of outbox message (and KindVerifyEmail, emailverify.go).
const KindInvitation = "invitation"

// OutboxMessage is a mail waiting for (or done with) the relay. It is written
// in the same transaction as what it announces, so nothing is promised that
// is not sent. It holds no raw token: the invitation's token is sealed with
// the key file and erased once the mail is sent or no longer needed; the
// mail itself is rendered at send time from the invitation.
type OutboxMessage struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
	Kind  string `json:"kind"`
	// Channel is "sms" for a text message to the phone number in To; ""
	// is mail.
	Channel      string `json:"channel,omitempty"`
	InvitationID string `json:"invitation_id,omitempty"`
	// UserID is the account whose address a verification mail confirms.
	UserID string `json:"user_id,omitempty"`
	To     string `json:"to"`
	ToName string `json:"to_name,omitempty"`
	// SealedToken is the link's token sealed with the key file.
	SealedToken []byte     `json:"sealed_token,omitempty"`
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	NextAttempt time.Time  `json:"next_attempt"`
	LastError   string     `json:"last_error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
}

// OutboxStore keeps the outbox.
type OutboxStore interface {
	// ClaimDueMessages marks up to n queued messages that are due at now as
	// sending and returns them, oldest first, in one transaction.
	ClaimDueMessages(ctx context.Context, now time.Time, n int) ([]*OutboxMessage, error)
	// UpdateMessage writes the new state of a message the worker claimed and
	// mirrors it on its invitation, in one transaction, only if the stored
	// message is still "sending"; otherwise (cancelled, replaced, deleted
	// meanwhile) it changes nothing. A token erased meanwhile is not restored.
	UpdateMessage(ctx context.Context, m *OutboxMessage) error
	// OutboxMessages returns the organization's messages, newest first.
	OutboxMessages(ctx context.Context, orgID string) ([]*OutboxMessage, error)
	// QueueMessage adds a message that belongs to no invitation (a notice).
	QueueMessage(ctx context.Context, m *OutboxMessage) error
	// RequeueSending puts messages left "sending" by a stopped process back in the queue.
	RequeueSending(ctx context.Context) (int, error)
	// NextDue returns the earliest next attempt of a queued message; zero if none.
	NextDue(ctx context.Context) (time.Time, error)
	// RetryMessages makes the organization's queued messages (or the one
	// with id) due at now, and puts failed ones that still hold their token
	// back in the queue; it returns how many.
	RetryMessages(ctx context.Context, orgID, id string, now time.Time) (int, error)
}

// Backoff is the retry schedule for temporary failures: First, then doubling
// up to Max, each delay varied by ±Jitter (a fraction) so that many queued
// mails do not hit a recovering relay at once; after GiveUp since the
// message was queued it is marked failed.
type Backoff struct {
	First  time.Duration
	Max    time.Duration
	GiveUp time.Duration
	Jitter float64
}

// DefaultBackoff: first retry within a minute, at most hourly, give up after 3 days.
var DefaultBackoff = Backoff{First: 30 * time.Second, Max: time.Hour, GiveUp: 72 * time.Hour, Jitter: 0.2}

// Delay is the wait before attempt number attempts+1; r is a random number in [0,1).
func (b Backoff) Delay(attempts int, r float64) time.Duration {
	d := b.First
	for i := 1; i < attempts && d < b.Max; i++ {
		d *= 2
	}
	if d > b.Max {
		d = b.Max
	}
	return time.Duration(float64(d) * (1 + b.Jitter*(2*r-1)))
}

// RelayStatus is what the outbox knows of an organization's relay.
type RelayStatus struct {
	Unreachable bool      `json:"unreachable"`
	Since       time.Time `json:"since,omitempty"`
	Error       string    `json:"error,omitempty"`
}

// OutboxSummary feeds the outbox view and its banner.
type OutboxSummary struct {
	Queued  int         `json:"queued"`
	Sending int         `json:"sending"`
	Sent    int         `json:"sent"`
	Failed  int         `json:"failed"`
	Relay   RelayStatus `json:"relay"`
	// Waiting is queued + sending: the "12 invitations waiting" of the banner.
	Waiting int `json:"waiting"`
}

// outboxState is the worker's memory: the wake-up signal and the relays'
// reachability. A restart forgets reachability; the next run learns it again.
type outboxState struct {
	wake   chan struct{}
	mu     sync.Mutex
	relays map[string]*RelayStatus
}

func (a *App) outbox() *outboxState {
	a.obOnce.Do(func() {
		a.ob = &outboxState{wake: make(chan struct{}, 1), relays: map[string]*RelayStatus{}}
	})
	return a.ob
}

func (o *outboxState) wakeUp() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// relayDown records that the relay could not be used; it reports whether
// this began a new outage.
func (o *outboxState) relayDown(orgID string, now time.Time, reason string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.relays[orgID]
	began := r == nil || !r.Unreachable
	if began {
		r = &RelayStatus{Unreachable: true, Since: now}
		o.relays[orgID] = r
	}
	r.Error = reason
	return began
}

func (o *outboxState) relayUp(orgID string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.relays, orgID)
}

// relayChanged forgets what was known of the relay and wakes the worker, so
// new settings are tried at once.
func (o *outboxState) relayChanged(orgID string) {
	o.relayUp(orgID)
	o.wakeUp()
}

func (o *outboxState) relay(orgID string) RelayStatus {
	o.mu.Lock()
	defer o.mu.Unlock()
	if r := o.relays[orgID]; r != nil {
		return *r
	}
	return RelayStatus{}
}

// Outbox lists the organization's messages, newest first, with a summary.
// Errors: ENOTFOUND.
func (a *App) Outbox(ctx context.Context, ref string) ([]*OutboxMessage, *OutboxSummary, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	msgs, err := a.Store.OutboxMessages(ctx, org.ID)
	if err != nil {
		return nil, nil, err
	}
	sum := &OutboxSummary{Relay: a.outbox().relay(org.ID)}
	for _, m := range msgs {
		m.SealedToken = nil
		switch m.Status {
		case MessageQueued:
			sum.Queued++
		case MessageSending:
			sum.Sending++
		case MessageSent:
			sum.Sent++
		case MessageFailed:
			sum.Failed++
		}
	}
	sum.Waiting = sum.Queued + sum.Sending
	if sum.Waiting == 0 {
		sum.Relay = RelayStatus{}
	}
	return msgs, sum, nil
}

// RetryOutbox makes queued messages due now (all of the organization's, or
// the one with id) and puts failed ones back in the queue, then wakes the
// worker. Errors: ENOTFOUND.
func (a *App) RetryOutbox(ctx context.Context, ref, id string) (int, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return 0, err
	}
	detail := "every waiting message"
	if id != "" {
		detail = "message " + id
	}
	ctx = a.audit(ctx, org.ID, "outbox.retry", orgTarget(org), detail)
	n, err := a.Store.RetryMessages(ctx, org.ID, id, a.now())
	if err != nil {
		return 0, err
	}
	a.outbox().wakeUp()
	return n, nil
}

// outboxBatch is how many messages one run claims.
const outboxBatch = 200

// DeliverDue sends every message that is due now, one connection per
// organization's relay for the run, and returns how many were sent. It is
// what the worker calls in a loop; tests call it with an injected clock.
func (a *App) DeliverDue(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		msgs, err := a.Store.ClaimDueMessages(ctx, a.now(), outboxBatch)
		if err != nil || len(msgs) == 0 {
			return sent, err
		}
		byOrg := map[string][]*OutboxMessage{}
		var orgs []string
		for _, m := range msgs {
			if byOrg[m.OrgID] == nil {
				orgs = append(orgs, m.OrgID)
			}
			byOrg[m.OrgID] = append(byOrg[m.OrgID], m)
		}
		for _, orgID := range orgs {
			var mails, texts []*OutboxMessage
			for _, m := range byOrg[orgID] {
				if m.Channel == ChannelSMS {
					texts = append(texts, m)
				} else {
					mails = append(mails, m)
				}
			}
			if len(mails) > 0 {
				n, err := a.deliverRun(ctx, orgID, mails)
				sent += n
				if err != nil {
					a.requeue(ctx, texts)
					return sent, err
				}
			}
			if len(texts) > 0 {
				n, err := a.deliverTexts(ctx, orgID, texts)
				sent += n
				if err != nil {
					return sent, err
				}
			}
		}
	}
	return sent, nil
}

// deliverRun sends one organization's claimed messages over one connection.
// Messages not attempted (the context ended) go back to the queue unchanged.
func (a *App) deliverRun(ctx context.Context, orgID string, msgs []*OutboxMessage) (sent int, err error) {
	next := 0
	defer func() {
		for _, m := range msgs[next:] { // not attempted: back to the queue as they were
			m.Status = MessageQueued
			if uerr := a.Store.UpdateMessage(context.WithoutCancel(ctx), m); uerr != nil && err == nil {
				err = uerr
			}
		}
	}()
	org, err := a.Store.Organization(ctx, orgID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			for ; next < len(msgs); next++ {
				a.fail(ctx, msgs[next], textOf("The organization no longer exists."))
			}
			return 0, nil
		}
		return 0, err
	}
	// Build every message first: those that cannot be built fail or are
	// dropped without touching the relay.
	type job struct {
		m   *OutboxMessage
		msg *Message
	}
	var jobs []job
	var rc *RelayConfig
	for _, m := range msgs {
		mm, skip, reason := a.render(ctx, org, m)
		switch {
		case skip:
			m.Status, m.SealedToken = MessageCancelled, nil
			if err := a.Store.UpdateMessage(ctx, m); err != nil {
				return sent, err
			}
		case reason != "":
			if err := a.fail(ctx, m, reason); err != nil {
				return sent, err
			}
		default:
			jobs = append(jobs, job{m, mm})
		}
	}
	msgs, next = make([]*OutboxMessage, len(jobs)), 0
	for i, j := range jobs {
		msgs[i] = j.m
	}
	if len(jobs) == 0 {
		return 0, nil
	}
	rc, err = a.relayConfig(ctx, org)
	if err != nil {
		reason := ErrorMessage(err)
		a.outbox().relayDown(orgID, a.now(), reason)
		for ; next < len(msgs); next++ {
			if err := a.retryLater(ctx, msgs[next], reason); err != nil {
				return sent, err
			}
		}
		return 0, nil
	}
	for _, j := range jobs {
		j.msg.From = rc.From
	}
	if a.Mailer == nil {
		return 0, errors.New("no mailer configured")
	}
	conn, err := a.Mailer.Dial(ctx, rc)
	if err != nil {
		reason := err.Error()
		if a.outbox().relayDown(orgID, a.now(), reason) {
			a.log().Warn("mail relay unreachable", "org", org.Slug, "err", reason, "waiting", len(msgs))
		}
		for ; next < len(msgs); next++ {
			if err := a.retryLater(ctx, msgs[next], reason); err != nil {
				return sent, err
			}
		}
		return 0, nil
	}
	a.outbox().relayUp(orgID)
	defer conn.Close()
	for next < len(jobs) && ctx.Err() == nil {
		j := jobs[next]
		next++
		j.msg.Date = a.now()
		err := conn.Send(ctx, j.msg)
		var de *DeliveryError
		switch {
		case err == nil:
			if err := a.markSent(ctx, j.m); err != nil {
				return sent, err
			}
			sent++
		case errors.As(err, &de) && de.Permanent:
			j.m.Attempts++
			if err := a.fail(ctx, j.m, err.Error()); err != nil {
				return sent, err
			}
		case ctx.Err() != nil:
			// Cut short by a stop: not a failure of the relay. Back to
			// the queue as it was, due at once after the restart.
			next--
			return sent, nil
		default:
			if err := a.retryLater(ctx, j.m, err.Error()); err != nil {
				return sent, err
			}
			if connectionLevel(err) {
				// The connection is gone: the rest go back to the queue
				// and the next run dials again.
				return sent, nil
			}
		}
	}
	return sent, nil
}

// render builds the mail for m. skip is true when it is no longer wanted
// (the invitation was accepted, cancelled, replaced or deleted, or its
// account was deleted); reason is set when
// it cannot be built.
func (a *App) render(ctx context.Context, org *Organization, m *OutboxMessage) (msg *Message, skip bool, reason string) {
	switch m.Kind {
	case KindInvitation:
	case KindVerifyEmail:
		return a.renderVerification(ctx, org, m)
	case KindSignInHeld:
		return a.renderHeldNotice(ctx, org, m)
	case KindPasswordReset, KindActivation:
		return a.renderReset(ctx, org, m)
	default:
		return nil, false, fmt.Sprintf(textOf("Unknown kind of message %q."), m.Kind)
	}
	inv, err := a.Store.Invitation(ctx, org.ID, m.InvitationID)
	if err != nil || inv.Status != InvitationPending || inv.MessageID != m.ID {
		return nil, true, ""
	}
	if _, err := a.Store.User(ctx, "", inv.UserID); err != nil {
		return nil, true, "" // the account was deleted: nobody to invite
	}
	if org.PublicURL == "" {
		return nil, false, textOf("The organization has no public address, so the link cannot be built. Set it in Settings, then retry.")
	}
	if a.Secrets == nil {
		return nil, false, textOf("No key file to open the link's token.")
	}
	token, err := a.Secrets.Open(m.SealedToken)
	if err != nil {
		return nil, false, fmt.Sprintf(textOf("The link's token cannot be opened with this computer's key file (%v); resend the invitation."), err)
	}
	link := org.PublicURL + "/invite/" + string(token)
	text, html, subject, err := renderInvitation(org, inv, link)
	if err != nil {
		return nil, false, fmt.Sprintf(textOf("The message could not be written: %s"), err.Error())
	}
	return &Message{
		To: mail.Address{Name: m.ToName, Address: m.To}, Subject: subject, Text: text, HTML: html,
		Headers: map[string]string{"Auto-Submitted": "auto-generated", "Content-Language": mailLanguage(inv.Language, org)},
	}, false, ""
}

// retryLater puts m back in the queue after the backoff, or marks it failed
// once the give-up time has passed.
func (a *App) retryLater(ctx context.Context, m *OutboxMessage, reason string) error {
	now := a.now()
	b := a.backoff()
	m.Attempts++
	if now.Sub(m.CreatedAt) >= b.GiveUp {
		return a.fail(ctx, m, fmt.Sprintf(textOf("Gave up after %d attempts over %s. Last error: %s"), m.Attempts, b.GiveUp, reason))
	}
	m.Status, m.LastError = MessageQueued, reason
	m.NextAttempt = now.Add(b.Delay(m.Attempts, a.random()))
	return a.Store.UpdateMessage(context.WithoutCancel(ctx), m)
}

func (a *App) fail(ctx context.Context, m *OutboxMessage, reason string) error {
	m.Status, m.LastError = MessageFailed, reason
	return a.Store.UpdateMessage(context.WithoutCancel(ctx), m)
}

func (a *App) backoff() Backoff {
	if a.Backoff.First <= 0 {
		return DefaultBackoff
	}
	return a.Backoff
}

// random returns a number in [0,1) from a.Rand.
func (a *App) random() float64 {
	var b [8]byte
	if _, err := io.ReadFull(a.Rand, b[:]); err != nil {
		return 0.5
	}
	return float64(binary.BigEndian.Uint64(b[:])>>11) / (1 << 53)
}

func (a *App) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}

// timer is a.Timer, else a real time.Timer.
func (a *App) timer(d time.Duration) (<-chan time.Time, func()) {
	if a.Timer != nil {
		return a.Timer(d)
	}
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// OutboxPoll is the longest the worker sleeps without being woken.
const OutboxPoll = time.Minute

// After a failed run (the database or the mailer failing, not a relay
// refusing mail: that is the messages' own backoff) the worker waits
// outboxErrorWait, doubling with each further failure up to OutboxPoll.
const outboxErrorWait = time.Second

// RunOutbox is the outbox worker: it delivers what is due, sleeps until the
// next message is due (or it is woken by a new invitation, a retry or new
// relay settings), and returns when ctx ends. Messages a stopped process
// left "sending" are queued again first. After a failed run it backs off
// (1 s, doubling up to a minute) instead of trying again at once. Started
// by `serve` and by the desktop window.
func (a *App) RunOutbox(ctx context.Context) {
	if n, err := a.Store.RequeueSending(ctx); err != nil {
		a.log().Error("outbox: requeue", "err", err)
	} else if n > 0 {
		a.log().Info("outbox: messages interrupted by a stop are queued again", "count", n)
	}
	ob := a.outbox()
	after := a.timer
	var errWait time.Duration
	for ctx.Err() == nil {
		wait := OutboxPoll
		if _, err := a.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			errWait = min(max(2*errWait, outboxErrorWait), OutboxPoll)
			wait = errWait
			a.log().Error("outbox: delivery run failed", "err", err, "retry_in", wait)
		} else {
			errWait = 0
			if next, err := a.Store.NextDue(ctx); err == nil && !next.IsZero() {
				if d := next.Sub(a.Now()); d < wait {
					wait = max(d, 10*time.Millisecond)
				}
			}
		}
		fired, stop := after(wait)
		select {
		case <-ctx.Done():
		case <-ob.wake:
		case <-fired:
		}
		stop()
	}
}

// markSent records m as delivered now, by mail or SMS: its sealed token,
// needed only to send it, is dropped.
func (a *App) markSent(ctx context.Context, m *OutboxMessage) error {
	now := a.now()
	m.Status, m.SentAt, m.SealedToken, m.LastError = MessageSent, &now, nil, ""
	m.Attempts++
	return a.Store.UpdateMessage(context.WithoutCancel(ctx), m)
}
