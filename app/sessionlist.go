package app

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// An admin's own sessions (issue 13): the browsers signed in as them, with
// "sign out" for each and "sign out everywhere else".

// SessionView is one of an admin's sessions as they see it. ID is the
// first 16 hex digits of the token's SHA-256: enough to name it, and it
// reveals nothing of the token.
type SessionView struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// Client is the address the sign-in came from.
	Client string `json:"client,omitempty"`
	// Current marks the session of the browser asking.
	Current bool `json:"current"`
}

// sessionID names a session by its stored hash.
func sessionID(hash string) string { return hash[:min(16, len(hash))] }

// mySession returns the admin of the session token and the session. The
// session list works during a forced two-step setup too (AdminSession, not
// AdminBySession), so nobody is kept from signing out elsewhere.
func (a *App) mySession(ctx context.Context, token string) (*Admin, *Session, error) {
	return a.AdminSession(ctx, token)
}

// MySessions lists the live sessions of the admin signed in with token,
// oldest first, the current one marked. Errors: EUNAUTHORIZED.
func (a *App) MySessions(ctx context.Context, token string) ([]SessionView, error) {
	adm, cur, err := a.mySession(ctx, token)
	if err != nil {
		return nil, err
	}
	list, err := a.Store.SessionsOf(ctx, adm.ID, cur.Kind) // an admin's, or a person-admin's staff sessions
	if err != nil {
		return nil, err
	}
	now := a.now()
	out := []SessionView{}
	for _, s := range list {
		if !now.Before(s.ExpiresAt) {
			continue
		}
		out = append(out, SessionView{ID: sessionID(s.Hash), CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, Client: s.Client, Current: s.Hash == cur.Hash})
	}
	return out, nil
}

// EndMySession signs out one of the admin's own sessions, named by its ID
// (SessionView.ID); the current one too. Errors: EUNAUTHORIZED, ENOTFOUND.
func (a *App) EndMySession(ctx context.Context, token, id string) error {
	adm, cur, err := a.mySession(ctx, token)
	if err != nil {
		return err
	}
	list, err := a.Store.SessionsOf(ctx, adm.ID, cur.Kind)
	if err != nil {
		return err
	}
	for _, s := range list {
		if id != "" && strings.EqualFold(sessionID(s.Hash), id) {
			ctx = a.audit(ctx, adm.orgID(), "admin.session_end", adminTarget(adm), "signed out a session from "+orUnknown(s.Client))
			return a.Store.DeleteSession(ctx, s.Hash)
		}
	}
	return Errorf(ENOTFOUND, "There is no such session: it may have ended already.")
}

// EndMyOtherSessions signs the admin out everywhere but in this browser
// and returns how many sessions ended. Errors: EUNAUTHORIZED.
func (a *App) EndMyOtherSessions(ctx context.Context, token string) (int, error) {
	adm, cur, err := a.mySession(ctx, token)
	if err != nil {
		return 0, err
	}
	others, err := a.MySessions(ctx, token)
	if err != nil {
		return 0, err
	}
	ctx = a.audit(ctx, adm.orgID(), "admin.sessions_end", adminTarget(adm), fmt.Sprintf("signed out everywhere else (%d other sessions)", len(others)-1))
	return a.Store.DeleteOtherSessions(ctx, adm.ID, cur.Kind, cur.Hash)
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown address"
	}
	return s
}
