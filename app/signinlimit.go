package app

import (
	"context"
	"strings"
	"sync"
	"time"
)

// The sign-in limits (issue 10; NIST SP 800-63B §5.2.2, Keycloak's
// brute-force detection). Only failures count. Every number is here.
const (
	// AddressFailures wrong sign-ins from one client address (an IPv4
	// address or an IPv6 /64) within AddressWindow of the first are
	// allowed; further attempts from it are refused (429) until the window
	// ends. A success does not forgive them. A class behind one school
	// router shares an address, so this is above a class's typing errors.
	AddressFailures = 30
	AddressWindow   = 15 * time.Minute
	// FreeFailures wrong passwords for one account cost nothing. From then
	// on the account is held for a delay after each failure: FirstDelay
	// after the 5th, doubling with each further one (30 s, 1, 2, 4, 8 min),
	// at most MaxDelay (15 min from the 10th on). While held, attempts are
	// refused (429) without checking the password. A browser on which the
	// account signed in before (a known device) is not held by failures
	// from elsewhere: its failures count on their own, with the same delays.
	FreeFailures = 5
	FirstDelay   = 30 * time.Second
	MaxDelay     = 15 * time.Minute
	// FailureMemory: an account's failures are forgotten this long after the
	// last one (Keycloak's default failure reset time), or at a success.
	FailureMemory = 12 * time.Hour
)

// HoldDelay is how long an account (or device) with n failures is held
// after the last of them.
func HoldDelay(n int) time.Duration {
	if n < FreeFailures {
		return 0
	}
	d := FirstDelay
	for i := FreeFailures; i < n && d < MaxDelay; i++ {
		d *= 2
	}
	return min(d, MaxDelay)
}

// SignInFailures is the count of failed sign-ins under one key: "ip:" and
// a client address, "account:" and an account ID, "device:" and a known
// device's hash, "login:" and the SHA-256 of an unknown login, "password-ip:" and
// "password:" for the current password asked on a password change.
type SignInFailures struct {
	Key   string    `json:"key"`
	Count int       `json:"count"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// Expires is when the record may be forgotten.
	Expires time.Time `json:"expires"`
}

// isAddressKey reports whether key counts in a fixed window (a client
// address) rather than with growing delays (an account or device).
func isAddressKey(key string) bool {
	return strings.HasPrefix(key, "ip:") || strings.HasPrefix(key, "password-ip:")
}

// limitOf is the number of failures under key that cost nothing.
func limitOf(key string) int {
	if isAddressKey(key) {
		return AddressFailures
	}
	return FreeFailures
}

// heldUntil is when attempts under the key are allowed again; zero (or a
// past time) when they are allowed now.
func (r *SignInFailures) heldUntil() time.Time {
	if r == nil {
		return time.Time{}
	}
	if isAddressKey(r.Key) {
		if r.Count >= AddressFailures {
			return r.First.Add(AddressWindow)
		}
		return time.Time{}
	}
	if d := HoldDelay(r.Count); d > 0 {
		return r.Last.Add(d)
	}
	return time.Time{}
}

// SignInFailureStore keeps the failure counts, so that a restart forgets
// no limit.
type SignInFailureStore interface {
	// SignInFailures drops the records that expired by now and returns the rest.
	SignInFailures(ctx context.Context, now time.Time) ([]SignInFailures, error)
	// PutSignInFailures stores r under r.Key, or deletes r.Key when r.Count is 0.
	PutSignInFailures(ctx context.Context, r SignInFailures) error
}

// SignInGuard counts failed sign-ins. It keeps the counts in memory, loaded
// from the store at first use and written through at each change; the
// attempts in flight are counted in memory only.
type SignInGuard struct {
	store SignInFailureStore
	now   func() time.Time

	mu      sync.Mutex
	loaded  bool
	recs    map[string]*SignInFailures
	busy    map[string]int
	changed chan struct{} // closed and replaced whenever an attempt ends
	pruned  time.Time

	persist sync.Mutex // orders the writes, so the last one is the latest state
}

// NewSignInGuard returns a guard over store on the clock now.
func NewSignInGuard(store SignInFailureStore, now func() time.Time) *SignInGuard {
	return &SignInGuard{store: store, now: now, recs: map[string]*SignInFailures{}, busy: map[string]int{}, changed: make(chan struct{})}
}

// tooMany is the refusal, saying how long to wait.
func tooMany(wait time.Duration) error {
	switch {
	case wait <= time.Minute:
		return Errorf(ETOOMANY, "Too many failed sign-ins. Wait a minute and try again, or ask your teacher or IT staff.")
	default:
		return Errorf(ETOOMANY, "Too many failed sign-ins. Wait %d minutes and try again, or ask your teacher or IT staff.", int((wait+time.Minute-1)/time.Minute))
	}
}

// load reads the stored counts once; g.mu is held.
func (g *SignInGuard) load(ctx context.Context) error {
	if g.loaded {
		return nil
	}
	now := g.now()
	recs, err := g.store.SignInFailures(ctx, now)
	if err != nil {
		return err
	}
	for i := range recs {
		g.recs[recs[i].Key] = &recs[i]
	}
	g.loaded, g.pruned = true, now
	return nil
}

// loadOnce reads the stored counts if that has not happened yet.
func (g *SignInGuard) loadOnce(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.load(ctx)
}

// live returns key's record unless it has expired; g.mu is held.
func (g *SignInGuard) live(key string, now time.Time) *SignInFailures {
	r := g.recs[key]
	if r != nil && !now.Before(r.Expires) {
		delete(g.recs, key)
		return nil
	}
	return r
}

// attempt is one attempt in flight under a key.
type attempt struct {
	g      *SignInGuard
	key    string
	failed bool
	done   bool
	// onHeld, when set, is called once the failure recorded by end is the
	// one that first holds the key (the FreeFailures-th).
	onHeld func()
}

// begin waits until an attempt under key may run and counts it in flight.
// It refuses (ETOOMANY) while the key is held. While failures plus the
// attempts in flight would pass the limit it waits for one of them to end
// instead of refusing, so that a burst of correct sign-ins queues.
func (g *SignInGuard) begin(ctx context.Context, key string) (*attempt, error) {
	for {
		g.mu.Lock()
		if err := g.load(ctx); err != nil {
			g.mu.Unlock()
			return nil, err
		}
		now := g.now()
		r := g.live(key, now)
		if until := r.heldUntil(); now.Before(until) {
			g.mu.Unlock()
			return nil, tooMany(until.Sub(now))
		}
		// The failures still free bound the attempts in flight, so that
		// guesses arriving together cannot all pass the limit; at least one.
		room := limitOf(key)
		if r != nil {
			room = max(1, room-r.Count)
		}
		if g.busy[key] < room {
			g.busy[key]++
			g.mu.Unlock()
			return &attempt{g: g, key: key}, nil
		}
		wait := g.changed
		g.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// end takes the attempt out of flight and counts it when it failed.
func (at *attempt) end(ctx context.Context) {
	if at.done {
		return
	}
	at.done = true
	g := at.g
	g.mu.Lock()
	g.busy[at.key]--
	if g.busy[at.key] <= 0 {
		delete(g.busy, at.key)
	}
	if at.failed {
		now := g.now()
		r := g.live(at.key, now)
		if r == nil {
			if len(g.recs) >= maxKeys {
				g.sweep(now)
			}
			r = &SignInFailures{Key: at.key, First: now}
			g.recs[at.key] = r
		}
		r.Count++
		r.Last = now
		if isAddressKey(r.Key) {
			r.Expires = r.First.Add(AddressWindow)
		} else {
			r.Expires = now.Add(max(FailureMemory, HoldDelay(r.Count)))
		}
	}
	held := at.failed && !isAddressKey(at.key) && g.recs[at.key] != nil && g.recs[at.key].Count == FreeFailures
	close(g.changed)
	g.changed = make(chan struct{})
	g.mu.Unlock()
	if at.failed {
		g.save(ctx, at.key)
	}
	if held && at.onHeld != nil {
		at.onHeld()
	}
}

// forgive forgets the failures under keys (after a success) and returns
// what the first key held.
func (g *SignInGuard) forgive(ctx context.Context, keys ...string) SignInFailures {
	var first SignInFailures
	var gone []string
	g.mu.Lock()
	now := g.now()
	for i, k := range keys {
		if r := g.live(k, now); r != nil {
			if i == 0 {
				first = *r
			}
			delete(g.recs, k)
			gone = append(gone, k)
		}
	}
	g.mu.Unlock()
	for _, k := range gone {
		g.save(ctx, k)
	}
	return first
}

// save writes key's current record (or its absence). A failed write is
// not the sign-in's failure: the count stays in memory.
func (g *SignInGuard) save(ctx context.Context, key string) {
	g.persist.Lock()
	defer g.persist.Unlock()
	g.mu.Lock()
	r := SignInFailures{Key: key}
	if cur := g.recs[key]; cur != nil {
		r = *cur
	}
	prune := g.now().Sub(g.pruned) >= AddressWindow
	if prune {
		g.pruned = g.now()
	}
	g.mu.Unlock()
	ctx = context.WithoutCancel(ctx)
	g.store.PutSignInFailures(ctx, r)
	if prune {
		g.store.SignInFailures(ctx, g.now())
	}
}

// sweep drops expired records, and unknown logins if that is not enough;
// g.mu is held.
func (g *SignInGuard) sweep(now time.Time) {
	for k, r := range g.recs {
		if !now.Before(r.Expires) {
			delete(g.recs, k)
		}
	}
	if len(g.recs) >= maxKeys {
		for k := range g.recs {
			if strings.HasPrefix(k, "login:") {
				delete(g.recs, k)
			}
		}
	}
}

// held returns the account records that are held now.
func (g *SignInGuard) held(ctx context.Context) ([]SignInFailures, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.load(ctx); err != nil {
		return nil, err
	}
	now := g.now()
	var out []SignInFailures
	for k := range g.recs {
		r := g.live(k, now)
		if r != nil && strings.HasPrefix(k, "account:") && now.Before(r.heldUntil()) {
			out = append(out, *r)
		}
	}
	return out, nil
}
