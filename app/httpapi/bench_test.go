package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/httpapi"
	"rollcall/store"
)

// bigSchool is a fresh database with an organization "Big School" and its
// classes "Class 00"… (their IDs), for the benchmarks to seed people into.
func bigSchool(b *testing.B, classes int) (*store.DB, *app.App, *app.Organization, []string) {
	b.Helper()
	ctx := context.Background()
	db := apptest.OpenDB(b)
	a := app.New(db)
	org, err := a.CreateOrganization(ctx, &app.Organization{Name: "Big School"})
	if err != nil {
		b.Fatal(err)
	}
	var groups []string
	for i := range classes {
		g, err := a.CreateGroup(ctx, org.Slug, &app.Group{Name: fmt.Sprintf("Class %02d", i)})
		if err != nil {
			b.Fatal(err)
		}
		groups = append(groups, g.ID)
	}
	return db, a, org, groups
}

// BenchmarkUsers50k seeds 50,000 users in one organization and measures
// search and page requests through the whole `serve` handler (Host check,
// CSRF protection, admin session lookup, JSON). Target: p95 < 25 ms.
func BenchmarkUsers50k(b *testing.B) {
	const n, requests, target = 50_000, 300, 25 * time.Millisecond
	ctx := context.Background()
	db, a, org, groups := bigSchool(b, 40)
	first := []string{"Ada", "Łukasz", "Ольга", "Jürgen", "Aino", "Mehmet", "Sofia", "Liam", "Noor", "Kenji"}
	last := []string{"Lovelace", "Żółć", "Иванова", "Müller", "Virtanen", "Yılmaz", "Rossi", "Smith", "Haddad", "Sato"}
	users := make([]*app.User, n)
	now := time.Now().UTC()
	for i := range users {
		users[i] = &app.User{
			ID: fmt.Sprintf("u%07d", i), OrgID: org.ID,
			FirstName: first[i%len(first)], LastName: fmt.Sprintf("%s%d", last[(i/10)%len(last)], i),
			Username: fmt.Sprintf("pupil%06d", i), Email: fmt.Sprintf("pupil%06d@big.example", i),
			AccountType: app.TypeStudent, Groups: []string{groups[i%len(groups)]}, Language: "en",
			Status: app.StatusActive, CreatedVia: app.ViaImport, CreatedAt: now, UpdatedAt: now,
		}
	}
	start := time.Now()
	if err := db.CreateUsers(ctx, users); err != nil {
		b.Fatal(err)
	}
	seed := time.Since(start)

	a.Hash = app.HashParams{Memory: 64, Time: 1, Threads: 1}
	if _, err := a.CreateAdmin(ctx, "bench", "a quiet measuring pass 1", true); err != nil {
		b.Fatal(err)
	}
	_, token, err := a.SignInAdmin(ctx, "bench", "a quiet measuring pass 1", "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	h := httpapi.New(httpapi.Config{App: a, Mode: httpapi.Serve}).Handler()
	base := "/api/organizations/" + org.Slug + "/users"

	measure := func(name string, url func(i int) string) (p50, p95 time.Duration) {
		lat := make([]time.Duration, requests)
		for i := range requests {
			req := httptest.NewRequest("GET", url(i), nil)
			req.Host = "localhost"
			req.AddCookie(&http.Cookie{Name: "rollcall_session", Value: token})
			rec := httptest.NewRecorder()
			t0 := time.Now()
			h.ServeHTTP(rec, req)
			lat[i] = time.Since(t0)
			if rec.Code != http.StatusOK {
				b.Fatalf("%s: %d %s", name, rec.Code, rec.Body)
			}
		}
		slices.Sort(lat)
		return lat[requests/2], lat[requests*95/100]
	}
	b.ResetTimer()
	for range b.N {
		s50, s95 := measure("search", func(i int) string {
			return fmt.Sprintf("%s?q=%s", base, []string{"müller", "pupil01234", "ольга", "nobody"}[i%4])
		})
		p50, p95 := measure("page", func(i int) string { return fmt.Sprintf("%s?page=%d", base, 1+(i*37)%1000) })
		f50, f95 := measure("search+group", func(i int) string { return fmt.Sprintf("%s?q=ada&group=%s&page=2", base, groups[i%len(groups)]) })
		b.ReportMetric(float64(seed.Milliseconds()), "seed-ms")
		b.ReportMetric(float64(s95.Microseconds())/1000, "search-p95-ms")
		b.ReportMetric(float64(p95.Microseconds())/1000, "page-p95-ms")
		b.Logf("seed %d users in one transaction: %v", n, seed.Round(time.Millisecond))
		b.Logf("search        p50 %6.2f ms  p95 %6.2f ms  (p95/target %.2f)", ms(s50), ms(s95), float64(s95)/float64(target))
		b.Logf("page          p50 %6.2f ms  p95 %6.2f ms  (p95/target %.2f)", ms(p50), ms(p95), float64(p95)/float64(target))
		b.Logf("search+group  p50 %6.2f ms  p95 %6.2f ms  (p95/target %.2f)", ms(f50), ms(f95), float64(f95)/float64(target))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
