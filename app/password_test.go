package app_test

import (
	"crypto/rand"
	"runtime"
	"strings"
	"sync"
	"testing"

	"rollcall/app"
)

func TestHashPassword(t *testing.T) {
	h, err := app.HashPassword(rand.Reader, app.DefaultHashParams, "tiger-moon-47")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash = %q, want argon2id with the OWASP parameters inside", h)
	}
	if ok, rehash := app.VerifyPassword(h, "tiger-moon-47", app.DefaultHashParams); !ok || rehash {
		t.Fatalf("verify = %v, rehash = %v", ok, rehash)
	}
	if ok, _ := app.VerifyPassword(h, "tiger-moon-48", app.DefaultHashParams); ok {
		t.Fatal("wrong password verified")
	}
	stronger := app.HashParams{Memory: 32768, Time: 3, Threads: 1}
	if ok, rehash := app.VerifyPassword(h, "tiger-moon-47", stronger); !ok || !rehash {
		t.Fatalf("with raised parameters: ok=%v rehash=%v, want true, true", ok, rehash)
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA"} {
		if ok, _ := app.VerifyPassword(bad, "x", app.DefaultHashParams); ok {
			t.Fatalf("malformed hash %q verified", bad)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	p := app.DefaultPasswordPolicy
	tests := []struct{ pw, want string }{
		{"tiger-moon-47", ""},
		{"short1", "too short"},
		{"onlyletterslong", "digit"},
		{"1234567890", "letter"},
		{"tiger\x00moon47", "control"},
		{strings.Repeat("a1", 200), "too long"},
	}
	for _, tt := range tests {
		err := p.Check(tt.pw)
		if tt.want == "" {
			if err != nil {
				t.Errorf("Check(%q) = %v", tt.pw, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Check(%q) = %v, want it to say %q", tt.pw, err, tt.want)
		}
	}
	sym := app.PasswordPolicy{MinLength: 8, RequireSymbol: true}
	if err := sym.Check("abcdefgh"); err == nil {
		t.Error("symbol rule not enforced")
	}
	if got, want := p.String(), "at least 10 characters with letters and digits"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// gateReader is a random source that holds every salt read until the gate
// opens, counting how many hashes are inside at once.
type gateReader struct {
	gate            chan struct{}
	mu              sync.Mutex
	inside, peak, n int
}

func (g *gateReader) Read(p []byte) (int, error) {
	g.mu.Lock()
	g.inside++
	g.n++
	g.peak = max(g.peak, g.inside)
	g.mu.Unlock()
	<-g.gate
	g.mu.Lock()
	g.inside--
	g.mu.Unlock()
	return rand.Read(p)
}

func (g *gateReader) count() (inside, peak, n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inside, g.peak, g.n
}

// However many hashes are asked for at once, at most one per core runs:
// 300 sign-ups at once do not take 300 × 19 MiB.
func TestHashesBoundedByCores(t *testing.T) {
	g := &gateReader{gate: make(chan struct{})}
	cores := runtime.NumCPU()
	var wg sync.WaitGroup
	for range 4 * cores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := app.HashPassword(g, app.HashParams{Memory: 64, Time: 1, Threads: 1}, "pw"); err != nil {
				t.Error(err)
			}
		}()
	}
	// Wait (without sleeping) until as many hashes are inside as may be,
	// then give the others every chance to push in too.
	for inside, _, _ := g.count(); inside < cores; inside, _, _ = g.count() {
		runtime.Gosched()
	}
	for range 1000 {
		runtime.Gosched()
	}
	_, peak, _ := g.count()
	close(g.gate)
	wg.Wait()
	if peak > cores {
		t.Fatalf("%d hashes ran at once on %d cores", peak, cores)
	}
	if _, _, n := g.count(); n != 4*cores {
		t.Fatalf("%d hashes made; want %d", n, 4*cores)
	}
}
