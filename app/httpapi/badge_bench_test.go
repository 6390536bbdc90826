package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/httpapi"
	"rollcall/store"
)

// badgeSignInTarget is issue 15's target: a class of 30 holding up their
// badges at once signs in with a p95 under 50 ms through the handler.
const badgeSignInTarget = 50 * time.Millisecond

// BenchmarkClassBadgeSignIn30: a class of 30 signs in with badges at once
// from one school router, through the whole `serve` handler on a real file
// (each sign-in writes its session and audit entry, fsynced). No password
// hash is in the path. It reports the p95 and its ratio to the target; it
// asserts only that all 30 succeed (never a time).
func BenchmarkClassBadgeSignIn30(b *testing.B) {
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
	rules := map[string]string{app.TypeStudent: app.BadgeOnly}
	if _, err := a.UpdateOrganization(ctx, "maple", app.OrganizationUpdate{Badges: &rules}); err != nil {
		b.Fatal(err)
	}
	g, err := a.CreateGroup(ctx, "maple", &app.Group{Name: "2A"})
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if _, err := a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Pupil", Username: fmt.Sprintf("pupil%02d", i), Groups: []string{g.ID}}}); err != nil {
			b.Fatal(err)
		}
	}
	h := httpapi.New(httpapi.Config{App: a, Mode: httpapi.Serve, Log: apptest.DiscardLog()}).Handler()

	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		res, err := a.IssueBadges(ctx, "maple", app.BadgeSelection{Group: "2A"})
		if err != nil || len(res.Badges) != n {
			b.Fatalf("badges: %v", err)
		}
		b.StartTimer()
		bodies := make([]string, n)
		for i := range n {
			bodies[i] = fmt.Sprintf(`{"code":%q}`, res.Badges[i].Code)
		}
		lat, codes := classAtOnce(h, "/api/public/badge-signin", bodies)
		ok := 0
		for _, c := range codes {
			if c == http.StatusOK {
				ok++
			}
		}
		if ok != n {
			b.Fatalf("%d of %d badge sign-ins from one address succeeded (codes %v)", ok, n, codes)
		}
		slices.Sort(lat)
		p95 := lat[(n*95+99)/100-1]
		b.ReportMetric(ms(p95), "p95-ms")
		b.ReportMetric(float64(p95)/float64(badgeSignInTarget), "p95/target")
		b.Logf("%d of %d badge sign-ins from one address: p50 %.1f ms, p95 %.1f ms; target p95 < %.0f ms: ratio %.2f (below 1 meets it)",
			ok, n, ms(lat[n/2]), ms(p95), ms(badgeSignInTarget), float64(p95)/float64(badgeSignInTarget))
	}
}
