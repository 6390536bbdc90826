package httpapi_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/httpapi"
	"rollcall/store"
)

// BenchmarkClassSignIn30: a class of 30 signs in at once from one school
// router, through the whole `serve` handler on a real file, with the real
// argon2id parameters. Target: all 30 succeed. It reports the p95 latency
// as a ratio to one argon2id hash measured in the same run; hashing is
// bounded to one per core (app's hash semaphore), so the floor is about
// 30 / cores.
func BenchmarkClassSignIn30(b *testing.B) {
	const n = 30
	ctx := context.Background()
	db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := app.New(db) // DefaultHashParams
	if _, err := a.CreateOrganization(ctx, &app.Organization{Name: "Maple Primary", Slug: "maple"}); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if _, err := a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Pupil", Username: fmt.Sprintf("pupil%02d", i)}, Password: "a fine password 1"}); err != nil {
			b.Fatal(err)
		}
	}
	h := httpapi.New(httpapi.Config{App: a, Mode: httpapi.Serve, Log: apptest.DiscardLog()}).Handler()

	// One hash, alone, several times: the unit.
	var one time.Duration
	for range 5 {
		t0 := time.Now()
		if _, err := app.HashPassword(rand.Reader, app.DefaultHashParams, "a fine password 1"); err != nil {
			b.Fatal(err)
		}
		if d := time.Since(t0); one == 0 || d < one {
			one = d
		}
	}

	b.ResetTimer()
	for range b.N {
		bodies := make([]string, n)
		for i := range n {
			bodies[i] = fmt.Sprintf(`{"login":"pupil%02d","password":"a fine password 1"}`, i)
		}
		lat, codes := classAtOnce(h, "/api/public/signin", bodies)
		ok := 0
		for _, c := range codes {
			if c == http.StatusOK {
				ok++
			}
		}
		if ok != n {
			b.Fatalf("%d of %d sign-ins from one address succeeded (codes %v)", ok, n, codes)
		}
		slices.Sort(lat)
		p95 := lat[(n*95+99)/100-1]
		b.ReportMetric(float64(ok), "successes")
		b.ReportMetric(float64(p95)/float64(one), "p95/hash")
		b.Logf("%d of %d sign-ins from one address: p50 %.1f ms, p95 %.1f ms; one argon2id hash %.1f ms; p95 = %.1f hashes (floor %d/%d cores = %.1f)",
			ok, n, ms(lat[n/2]), ms(p95), ms(one), float64(p95)/float64(one), n, runtime.NumCPU(), float64(n)/float64(runtime.NumCPU()))
	}
}

// classAtOnce sends one POST per body to path at the same moment, as a class
// behind the school router does, and returns each request's latency and
// status.
func classAtOnce(h http.Handler, path string, bodies []string) ([]time.Duration, []int) {
	n := len(bodies)
	lat, codes := make([]time.Duration, n), make([]int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req := httptest.NewRequest("POST", path, strings.NewReader(bodies[i]))
			req.Host = "localhost"
			req.RemoteAddr = "10.20.30.40:5000" // the school router
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			<-start
			t0 := time.Now()
			h.ServeHTTP(rec, req)
			lat[i], codes[i] = time.Since(t0), rec.Code
		})
	}
	close(start)
	wg.Wait()
	return lat, codes
}
