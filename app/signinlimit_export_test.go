package app

import "context"

// ForgetSignIns forgets every failed sign-in counted, in memory and in the store.
func ForgetSignIns(a *App) {
	g := a.SignIns
	g.mu.Lock()
	keys := make([]string, 0, len(g.recs))
	for k := range g.recs {
		keys = append(keys, k)
	}
	g.mu.Unlock()
	g.forgive(context.Background(), keys...)
}
