package app

import (
	"sync"
	"time"
)

// Limiter counts failures per key (an account, a client address) in a fixed
// window. It lives in memory: a restart forgets it, which is acceptable for a
// limit meant to slow guessing, not to record it.
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

// NewLimiter allows max failures per key within the duration per.
func NewLimiter(max int, per time.Duration, now func() time.Time) *Limiter {
	return &Limiter{max: max, window: per, now: now, hits: map[string]*window{}}
}

// Allowed reports whether key may try again now.
func (l *Limiter) Allowed(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.hits[key]
	if w == nil || l.now().Sub(w.start) >= l.window {
		return true
	}
	return w.n < l.max
}

// Fail records one failure for key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.hits[key]
	if w == nil || now.Sub(w.start) >= l.window {
		if len(l.hits) > 100_000 { // bound memory under a spray of keys
			l.hits = map[string]*window{}
		}
		w = &window{start: now}
		l.hits[key] = w
	}
	w.n++
}

// Reset forgets key's failures (after a success).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
}
