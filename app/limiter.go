package app

import (
	"sync"
	"time"
)

// Limiter counts attempts per key (an account, a client address, a code) in
// a fixed window. It lives in memory: a restart forgets it, which is
// acceptable for a limit meant to slow guessing, not to record it.
//
// Take an attempt before doing the work, so that attempts arriving at the
// same moment are counted before any of them is judged; then Reset on
// success (sign-in) or Refund it (when only failures should count).
type Limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	hits map[string]*window
}

type window struct {
	start time.Time
	n     int
}

// maxKeys bounds the limiter's memory under a spray of keys.
const maxKeys = 100_000

// NewLimiter allows max attempts per key within the duration per.
func NewLimiter(max int, per time.Duration, now func() time.Time) *Limiter {
	return &Limiter{max: max, window: per, now: now, hits: map[string]*window{}}
}

// current returns key's live window, or nil; l.mu is held.
func (l *Limiter) current(key string, now time.Time) *window {
	w := l.hits[key]
	if w == nil || now.Sub(w.start) >= l.window {
		return nil
	}
	return w
}

// Allowed reports whether key has attempts left now, without taking one.
func (l *Limiter) Allowed(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.current(key, l.now())
	return w == nil || w.n < l.max
}

// Take counts one attempt for key and reports whether it is within the limit.
// A refused attempt is not counted.
func (l *Limiter) Take(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.current(key, now)
	if w == nil {
		if len(l.hits) >= maxKeys {
			l.sweep(now)
		}
		w = &window{start: now}
		l.hits[key] = w
	}
	if w.n >= l.max {
		return false
	}
	w.n++
	return true
}

// Refund gives back one attempt taken for key.
func (l *Limiter) Refund(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.current(key, l.now()); w != nil && w.n > 0 {
		w.n--
	}
}

// Reset forgets key's attempts (after a successful sign-in).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
}

// sweep drops expired windows, and everything if that is not enough; l.mu is held.
func (l *Limiter) sweep(now time.Time) {
	for k, w := range l.hits {
		if now.Sub(w.start) >= l.window {
			delete(l.hits, k)
		}
	}
	if len(l.hits) >= maxKeys {
		l.hits = map[string]*window{}
	}
}
