package roster_test

import (
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/roster"
)

// BenchmarkExport writes a district of 20,000 people in 600 groups (each in
// two) in every format, and reports the time and the heap it took.
func BenchmarkExport(b *testing.B) {
	org := &app.Organization{ID: "0190c8a2-0000-7000-8000-000000000001", Name: "District", Slug: "district", Kind: app.KindSchool, LoginDomain: "district.example"}
	x := &app.Roster{Org: org, At: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	for g := range 600 {
		x.Groups = append(x.Groups, &app.Group{ID: fmt.Sprintf("0190c8a2-0000-7000-8001-%012d", g), Name: fmt.Sprintf("%dG", g), Kind: app.GroupClass})
	}
	for i := range 20_000 {
		u := &app.User{ID: fmt.Sprintf("0190c8a2-0000-7000-8002-%012d", i), FirstName: fmt.Sprintf("Pupil%d", i), LastName: "Müller",
			Username: fmt.Sprintf("pupil%d.mueller", i), AccountType: app.TypeStudent, Language: "de", Status: app.StatusActive,
			Groups: []string{x.Groups[i%600].ID, x.Groups[(i+7)%600].ID}}
		x.People = append(x.People, app.RosterPerson{User: u})
	}
	for _, f := range app.ExportFormats {
		b.Run(f, func(b *testing.B) {
			x.Options = app.ExportOptions{Format: f, Delimiter: ";", Encoding: app.EncodingUTF8}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			for range b.N {
				if err := roster.WriteExport(io.Discard, x); err != nil {
					b.Fatal(err)
				}
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/export")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "MB-alloc/export")
		})
	}
}
