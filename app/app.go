// Package app is Rollcall's domain: organizations, groups and users, the rules
// they obey and the use cases that change them. It knows no transport and no
// storage engine: the HTTP API, the command line and the desktop window call
// the same methods of *App, and store/ implements the Store interface.
package app

import (
	"crypto/rand"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Store is everything the domain needs from storage. store.DB implements it
// on one bbolt file; each part is declared beside its entity.
type Store interface {
	OrganizationStore
	GroupStore
	UserStore
	AdminStore
	SessionStore
	SMTPStore
	SMSStore
	InvitationStore
	EmailVerificationStore
	PasswordResetStore
	OutboxStore
	InviteCodeStore
	InviteLinkStore
	RedeemStore
	ImportStore
	SignInFailureStore
	AuditStore
	LifecycleStore
	SecurityStore
	SSOProviderStore
	BadgeStore
	SCIMStore
}

// App holds the use cases. Its clock and random source are fields so that
// expiry and generation can be tested; New fills them with the real ones.
type App struct {
	Store Store
	Now   func() time.Time
	Rand  io.Reader
	// Hash parameters for new password hashes; raising them makes the next
	// successful sign-in rewrite older hashes.
	Hash HashParams
	// SignIns counts failed sign-ins per account, known device and client
	// address (signinlimit.go), kept in the store.
	SignIns *SignInGuard
	// SignUpLimits slow down guessing invite codes and flooding a code.
	SignUpLimits *SignUpLimits
	// ResetAnswerTime is the least time a password reset request takes,
	// so that its timing does not tell whether a mail was queued (a write)
	// or not (RequestPasswordReset). New sets DefaultResetAnswerTime.
	ResetAnswerTime time.Duration
	// Jobs runs long work (hashing, imports) with progress and cancel.
	Jobs *Jobs
	// Secrets seals the relay password and the tokens waiting in the outbox
	// with a key kept outside the database (app/keyfile).
	Secrets Sealer
	// Mailer reaches SMTP relays (app/mail); the outbox worker and the test
	// message use it.
	Mailer Mailer
	// SMSSender reaches SMS gateways (app/sms); the outbox worker and the
	// test SMS use it.
	SMSSender SMSSender
	// Backoff is the outbox's retry schedule; zero means DefaultBackoff.
	Backoff Backoff
	// Log receives the outbox worker's notes; nil means slog.Default().
	Log *slog.Logger
	// Timer is the outbox worker's sleep: a channel that fires after d and a
	// function that stops it. nil means a time.Timer; tests inject one.
	Timer func(d time.Duration) (fired <-chan time.Time, stop func())

	// Drafts keeps uploaded import files between preview and commit.
	Drafts *ImportDrafts

	// Backups say where the backup folder is and how many backups it keeps
	// (backup.go); the store must be a BackupStore for them to work.
	Backups  BackupSettings
	backupMu sync.Mutex
	// Zone is where deletion dates are read; nil means the computer's own
	// time zone (scheduler.go).
	Zone   *time.Location
	tickMu sync.Mutex // one scheduler pass at a time

	// OIDC is the OpenID Connect relying party (app/oidc) behind single
	// sign-on; nil leaves sign-in providers unusable (their settings stay).
	OIDC OIDCClient
	sso  ssoFlows

	obOnce sync.Once
	ob     *outboxState
}

// New returns an App over store with the real clock, crypto/rand and the
// default hash parameters.
func New(store Store) *App {
	a := &App{Store: store, Now: time.Now, Rand: rand.Reader, Hash: DefaultHashParams, ResetAnswerTime: DefaultResetAnswerTime}
	a.SignIns = NewSignInGuard(store, func() time.Time { return a.Now() })
	a.SignUpLimits = NewSignUpLimits(func() time.Time { return a.Now() })
	a.Jobs = &Jobs{app: a}
	a.Drafts = &ImportDrafts{app: a}
	return a
}

// newID returns a new random, time-ordered identifier (UUIDv7).
func (a *App) newID() string {
	id, err := uuid.NewV7FromReader(a.Rand)
	if err != nil {
		panic("rollcall: random source failed: " + err.Error())
	}
	return id.String()
}

// now returns the current time in UTC, truncated to the microsecond so it
// survives a JSON round trip unchanged.
func (a *App) now() time.Time { return a.Now().UTC().Truncate(time.Microsecond) }
