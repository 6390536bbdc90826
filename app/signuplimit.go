package app

import (
	"context"
	"time"
)

// Limits on sign-up. A code is not tied to an account, so failed attempts
// are counted per client address and over the whole server.
const (
	CodeFailuresPerIP  = 10
	CodeFailuresGlobal = 100
	CodeFailureWindow  = 15 * time.Minute
	// LinkPasswordFailures bounds wrong passwords for one invite link from
	// all devices together, so that many addresses cannot share the guessing.
	LinkPasswordFailures = 30
	// SignUpsPerIP bounds the sign-ups (each an argon2 hash) one client
	// address may start in CodeFailureWindow. A whole class behind one
	// school router shares an address, so it is well above a class.
	SignUpsPerIP         = 60
	SignUpsPerCodeMinute = 60
)

// SignUpLimits holds the in-memory counters that slow down guessing codes
// and flooding a code with sign-ups.
type SignUpLimits struct {
	PerIP   *Limiter // failed code or link attempts per client address
	Global  *Limiter // failed code or link attempts on the whole server (key "all")
	PerCode *Limiter // sign-up attempts per code or link, per minute
	PerLink *Limiter // wrong passwords per invite link (key the link's ID)
	SignUps *Limiter // sign-ups started per client address
	// Resets counts password reset mails per typed address ("email:" key)
	// and per account ("account:" key); ResetIPs counts reset requests per
	// client address (passwordreset.go).
	Resets   *Limiter
	ResetIPs *Limiter
	// SSOStarts counts sign-ins through a provider begun per client
	// address (ssoflow.go).
	SSOStarts *Limiter
}

// NewSignUpLimits returns the default limits on the clock now.
func NewSignUpLimits(now func() time.Time) *SignUpLimits {
	return &SignUpLimits{
		PerIP:     NewLimiter(CodeFailuresPerIP, CodeFailureWindow, now),
		Global:    NewLimiter(CodeFailuresGlobal, CodeFailureWindow, now),
		PerCode:   NewLimiter(SignUpsPerCodeMinute, time.Minute, now),
		PerLink:   NewLimiter(LinkPasswordFailures, CodeFailureWindow, now),
		SignUps:   NewLimiter(SignUpsPerIP, CodeFailureWindow, now),
		Resets:    NewLimiter(ResetsPerAddress, ResetWindow, now),
		ResetIPs:  NewLimiter(ResetRequestsPerIP, ResetRequestWindow, now),
		SSOStarts: NewLimiter(SSOStartsPerIP, SSOFlowTTL, now),
	}
}

var (
	errTooManyFromIP  = Errorf(ETOOMANY, "Too many wrong codes from this device. Wait 15 minutes and try again, or ask your teacher for the code.")
	errTooManyGlobal  = Errorf(ETOOMANY, "Too many wrong codes have been tried on this server in the last few minutes, so sign-up with a code is paused for up to 15 minutes. Ask your teacher or IT staff.")
	errBusyCode       = Errorf(ETOOMANY, "Many people are signing up with this code right now. Wait a minute and try again.")
	errTooManySignUps = Errorf(ETOOMANY, "Many accounts have been made from this device in the last few minutes. Wait 15 minutes and try again, or ask your teacher or IT staff.")
	errTooManyLink    = Errorf(ETOOMANY, "Too many wrong passwords have been tried for this invite link, so it is paused for up to 15 minutes. Ask whoever sent you the link.")
)

// takeAttempt counts one attempt against the client's and the server's
// limits before the code is looked up, so that guesses arriving at the same
// moment are all counted before any is judged; a refused attempt is not
// counted. Attempts that turn out well are refunded: only failures count.
func (a *App) takeAttempt(client string) error {
	if !a.SignUpLimits.PerIP.Take(client) {
		return errTooManyFromIP
	}
	if !a.SignUpLimits.Global.Take("all") {
		a.SignUpLimits.PerIP.Refund(client)
		return errTooManyGlobal
	}
	return nil
}

// SignUpPause says whether sign-up with codes and links is paused on the
// whole server because too many wrong codes were tried.
type SignUpPause struct {
	Paused bool `json:"paused"`
	// Failures counts the wrong codes and link attempts in the window, of Limit.
	Failures int `json:"failures"`
	Limit    int `json:"limit"`
	// Until is when the window ends and sign-up opens by itself.
	Until *time.Time `json:"until,omitempty"`
}

// SignUpPauseStatus reports the server-wide limit on wrong codes, for the
// admin's sign-up settings.
func (a *App) SignUpPauseStatus() SignUpPause {
	n, until := a.SignUpLimits.Global.Count("all")
	p := SignUpPause{Failures: n, Limit: a.SignUpLimits.Global.Max(), Paused: n >= a.SignUpLimits.Global.Max()}
	if !until.IsZero() {
		u := until.UTC()
		p.Until = &u
	}
	return p
}

// ResumeSignUp clears the server-wide count of wrong codes, so that sign-up
// works again at once (per-device limits stay).
func (a *App) ResumeSignUp(ctx context.Context) (SignUpPause, error) {
	if err := RequireServerAdmin(ctx); err != nil {
		return SignUpPause{}, err
	}
	a.SignUpLimits.Global.Reset("all")
	err := a.flushAudit(a.audit(ctx, "", "signup.resume", AuditTarget{Kind: "sign-up", Name: "sign-up with codes"}, "server-wide pause lifted"))
	return a.SignUpPauseStatus(), err
}

func (a *App) refundAttempt(client string) {
	a.SignUpLimits.PerIP.Refund(client)
	a.SignUpLimits.Global.Refund("all")
}
