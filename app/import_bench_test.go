package app_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/roster"
)

// heapPeak runs fn and returns the highest live heap seen while it ran,
// sampled every millisecond.
func heapPeak(fn func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	return peak.Load()
}

func benchCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("\ufeffFirst name;Last name;E-mail;Class;Role;Language\r\n")
	for i := range n {
		fmt.Fprintf(&b, "Pupil%05d;Müller-Lüdenscheidt;p%05d@school.example;%dB;student;de\r\n", i, i, i%9+1)
	}
	return b.Bytes()
}

// BenchmarkImportPreview reads a 10,000-row CSV and previews it (every row
// checked against the store). Targets: < 0.5 s and < 200 MB peak heap.
func BenchmarkImportPreview(b *testing.B) {
	ctx := context.Background()
	a := apptest.New(b).App
	o := mustOrg(b, a, &app.Organization{Name: "Maple"})
	for g := 1; g <= 9; g++ {
		if _, err := a.CreateGroup(ctx, o.Slug, &app.Group{Name: fmt.Sprintf("%dB", g)}); err != nil {
			b.Fatal(err)
		}
	}
	data := benchCSV(10_000)
	var worst time.Duration
	var peak uint64
	b.ResetTimer()
	for range b.N {
		var p *app.ImportPreview
		var err error
		start := time.Now()
		pk := heapPeak(func() {
			var f *app.ImportFile
			f, err = roster.Read(bytes.NewReader(data), "class.csv", int64(len(data)), roster.DefaultLimits)
			if err == nil {
				p, err = a.PreviewImport(ctx, o.Slug, f, app.ImportOptions{})
			}
		})
		el := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if p.Create != 10_000 {
			b.Fatalf("preview: %d to create, %d errors", p.Create, p.Errors)
		}
		worst, peak = max(worst, el), max(peak, pk)
	}
	b.ReportMetric(worst.Seconds(), "s/preview")
	b.ReportMetric(float64(peak)/(1<<20), "MB-peak-heap")
	b.Logf("preview of a 10,000-row CSV: %v (target < 0.5 s), peak heap %d MB (target < 200 MB)", worst.Round(time.Millisecond), peak>>20)
	if worst > 500*time.Millisecond || peak > 200<<20 {
		b.Errorf("over target")
	}
}

// BenchmarkImportCommit commits 1,000 rows with generated passwords at the
// real hash parameters, and compares with the floor measured in the same
// run: hashing 1,000 passwords on all cores and nothing else. Target ≤ 1.10.
func BenchmarkImportCommit(b *testing.B) {
	ctx := context.Background()
	a := apptest.New(b).App
	a.Hash = app.DefaultHashParams
	o := mustOrg(b, a, &app.Organization{Name: "Maple"})
	passwords := make([]string, 1000)
	for i := range passwords {
		passwords[i] = fmt.Sprintf("password-%04d", i)
	}
	// The floor hashes on all cores with its own workers (not
	// a.HashPasswords), so a commit that hashed serially would show against it.
	floor := func() (wall, cpu time.Duration) {
		start, c0 := time.Now(), cpuTime()
		var next atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1) - 1); i < len(passwords); i = int(next.Add(1) - 1) {
					if _, err := app.HashPassword(a.Rand, a.Hash, passwords[i]); err != nil {
						panic(err)
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start), cpuTime() - c0
	}
	b.ResetTimer()
	for n := range b.N {
		// The floor is measured before and after the commit and averaged, so
		// that a change in the machine's load during the run shows in both.
		w1, c1 := floor()
		var rows []app.ImportRow
		for i := range 1000 {
			rows = append(rows, row(i+2, fmt.Sprintf("first_name=Kid%d", i), fmt.Sprintf("last_name=Run%d", n)))
		}
		f := importFile(rows...)
		f.SHA256 = fmt.Sprint("run", n)
		start, c0 := time.Now(), cpuTime()
		res, err := a.CommitImport(ctx, o.Slug, f, app.ImportOptions{}, nil)
		wall, cpu := time.Since(start), cpuTime()-c0
		if err != nil {
			b.Fatal(err)
		}
		if res.Import.Created != 1000 {
			b.Fatalf("created %d", res.Import.Created)
		}
		w2, c2 := floor()
		floorWall, floorCPU := (w1+w2)/2, (c1+c2)/2
		ratio, cpuRatio := wall.Seconds()/floorWall.Seconds(), cpu.Seconds()/floorCPU.Seconds()
		b.ReportMetric(wall.Seconds(), "s/commit")
		b.ReportMetric(floorWall.Seconds(), "s/hash-floor")
		b.ReportMetric(ratio, "ratio")
		b.ReportMetric(cpuRatio, "cpu-ratio")
		b.Logf("commit of 1,000 rows with passwords: %v; hashing floor %v (%v and %v) on %d cores; ratio %.3f (target ≤ 1.10); CPU time %v vs %v, ratio %.3f",
			wall.Round(time.Millisecond), floorWall.Round(time.Millisecond), w1.Round(time.Millisecond), w2.Round(time.Millisecond),
			runtime.GOMAXPROCS(0), ratio, cpu.Round(time.Millisecond), floorCPU.Round(time.Millisecond), cpuRatio)
		// The machine is shared: other processes change the wall-clock time of
		// the floor and the commit unevenly (seen: 0.96 to 1.25 in one hour),
		// while the CPU time this process spends is steady. The CPU-time ratio
		// is the gate; the wall-clock ratio is reported beside the load.
		if cpuRatio > 1.10 {
			b.Errorf("CPU-time ratio %.3f over 1.10", cpuRatio)
		}
		if ratio > 1.10 {
			load, _ := os.ReadFile("/proc/loadavg")
			b.Logf("wall-clock ratio %.3f over 1.10 with load average %s", ratio, strings.TrimSpace(string(load)))
		}
		// Hashing on all cores: the wall time is about the CPU time spread
		// over the cores (spread 1); serial hashing makes it the whole CPU
		// time (spread = cores). A loose gate, against the floor measured in
		// the same run so that other load on the machine does not fail it:
		// serial hashing would fail it whatever the load.
		cores := float64(runtime.GOMAXPROCS(0))
		spread := wall.Seconds() / (cpu.Seconds() / cores)
		floorSpread := floorWall.Seconds() / (floorCPU.Seconds() / cores)
		b.ReportMetric(spread, "wall/(cpu/cores)")
		b.Logf("wall time / (CPU time / %v cores): commit %.2f, hashing floor %.2f (1 = all cores busy, %v = serial)", cores, spread, floorSpread, cores)
		if cores >= 2 && spread > max(1+0.6*(cores-1), 1.3*floorSpread) {
			b.Errorf("the commit's wall time is %.2f× its CPU time per core (floor %.2f): the hashing does not use the cores", spread, floorSpread)
		}
	}
}

// cpuTime is the CPU time this process has used (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
