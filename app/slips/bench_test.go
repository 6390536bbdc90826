package slips_test

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/slips"
)

// BenchmarkSlips1000 renders 1,000 slips (names in several scripts, QR codes)
// as one PDF. Targets: < 1 s and < 3 MB.
func BenchmarkSlips1000(b *testing.B) {
	org := &app.Organization{Name: "Maple Primary School", Slug: "maple", PublicURL: "https://rollcall.maple.example"}
	var people [][2]string
	for i := range 1000 {
		p := pupils[i%(len(pupils)-2)]
		people = append(people, [2]string{p[0], fmt.Sprintf("%s%d", p[1], i)})
	}
	res := Result(b, org, people, "Year 3")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		cpu0 := cpuTime()
		start := time.Now()
		if err := slips.Slips(&buf, res, slips.Options{}); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		cpu := cpuTime() - cpu0
		b.ReportMetric(d.Seconds(), "s/1000-slips")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		b.ReportMetric(float64(buf.Len())/1e6, "MB")
		// CPU time tells what the rendering costs when other work shares the machine.
		b.Logf("1,000 slips in %v wall, %v CPU on %d cores (target < 1 s), %.2f MB (target < 3 MB)",
			d.Round(time.Millisecond), cpu.Round(time.Millisecond), runtime.GOMAXPROCS(0), float64(buf.Len())/1e6)
		if d > time.Second || buf.Len() > 3e6 {
			b.Errorf("slips: %v, %d bytes; targets 1 s and 3 MB", d, buf.Len())
		}
	}
}
