package app

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"slices"
	"time"
)

// Session kinds.
const (
	SessionAdmin = "admin"
	SessionUser  = "user"
	// SessionStaff is a person with an admin role signed in to the admin UI.
	SessionStaff = "staff"
)

// AdminSessionTTL is how long an admin stays signed in.
const AdminSessionTTL = 12 * time.Hour

// Session is a signed-in browser. Only the SHA-256 of its token is stored,
// so a copy of the database file signs nobody in.
type Session struct {
	Hash      string    `json:"hash"`
	Kind      string    `json:"kind"`
	SubjectID string    `json:"subject_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// FailedSignIns counts the failed sign-ins from other places that the
	// sign-in starting this session forgave, from FailedSince on: the
	// account's owner is told of them.
	FailedSignIns int        `json:"failed_sign_ins,omitempty"`
	FailedSince   *time.Time `json:"failed_since,omitempty"`
	// Client is the address the sign-in came from (an IPv4 address or an
	// IPv6 /64), shown in the list of one's own sessions.
	Client string `json:"client,omitempty"`
	// Provider is the sign-in provider (an SSOProvider ID) the session
	// began with, or "" (a password): its end-session address is offered
	// at sign-out.
	Provider string `json:"provider,omitempty"`
}

// SessionStore keeps sessions by token hash.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	// Session returns the session with the hash; ENOTFOUND if none.
	Session(ctx context.Context, hash string) (*Session, error)
	DeleteSession(ctx context.Context, hash string) error
	// DeleteSessionsOf ends every session of the subject (an admin or user ID).
	DeleteSessionsOf(ctx context.Context, subjectID string) error
	// SessionsOf returns the subject's sessions of the kind, oldest first.
	SessionsOf(ctx context.Context, subjectID, kind string) ([]*Session, error)
	// DeleteOtherSessions ends the subject's sessions of the kind except
	// the one with keepHash, and returns how many ended.
	DeleteOtherSessions(ctx context.Context, subjectID, kind, keepHash string) (int, error)
}

var errSignedOut = Errorf(EUNAUTHORIZED, "You are signed out. Sign in again.")

// TokenHash returns the hex SHA-256 under which a secret token is stored.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewToken returns a 256-bit random secret, URL-safe.
func (a *App) NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(a.Rand, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (a *App) startSession(ctx context.Context, kind, subject string, ttl time.Duration) (string, error) {
	return a.startSessionNoting(ctx, kind, subject, ttl, nil)
}

// startSessionNoting starts a session that remembers the failed sign-ins in
// in (when not nil) for the owner to see.
func (a *App) startSessionNoting(ctx context.Context, kind, subject string, ttl time.Duration, in *SignedIn) (string, error) {
	token, err := a.NewToken()
	if err != nil {
		return "", err
	}
	now := a.now()
	s := &Session{Hash: TokenHash(token), Kind: kind, SubjectID: subject, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if in != nil && kind == SessionAdmin { // shown in the admin's session list; a pupil's is not kept
		s.Client = in.client
	}
	if in != nil && in.Failed > 0 {
		since := in.FailedSince.UTC()
		s.FailedSignIns, s.FailedSince = in.Failed, &since
	}
	if err := a.Store.CreateSession(ctx, s); err != nil {
		return "", err
	}
	return token, nil
}

// session is the live session of token, of one of the kinds.
func (a *App) session(ctx context.Context, token string, kinds ...string) (*Session, error) {
	if token == "" {
		return nil, Errorf(EUNAUTHORIZED, "Sign in first.")
	}
	s, err := a.Store.Session(ctx, TokenHash(token))
	if ErrorCode(err) == ENOTFOUND || (err == nil && (!slices.Contains(kinds, s.Kind) || !a.now().Before(s.ExpiresAt))) {
		return nil, errSignedOut
	}
	return s, err
}

// SignOut ends the session of token; signing out twice is not an error.
func (a *App) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	if s, err := a.Store.Session(ctx, TokenHash(token)); err == nil && a.now().Before(s.ExpiresAt) {
		switch s.Kind {
		case SessionAdmin:
			if adm, err := a.Store.Admin(ctx, s.SubjectID); err == nil {
				ctx = a.audit(WithActor(ctx, AdminActor(adm)), "", "admin.sign_out", adminTarget(adm), "admin signed out")
			}
		case SessionUser:
			if u, err := a.Store.User(ctx, "", s.SubjectID); err == nil {
				ctx = a.audit(WithActor(ctx, PersonActor(u)), u.OrgID, "person.sign_out", personTarget(u), "signed out")
			}
		}
	}
	return a.Store.DeleteSession(ctx, TokenHash(token))
}
