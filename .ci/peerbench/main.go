// Command peerbench measures Rollcall beside PocketBase v0.36.8 on the same
// 50,000 people, on this machine, in one run (`make bench-peer`): the file
// size, the search p95, the time to create 1,000 accounts (each side
// divided by its own hashing floor: 1,000 hashes of its own algorithm on
// all cores, measured here), and the peak RSS of each server process while
// it creates them (/proc/PID/status VmHWM, reset before through
// /proc/PID/clear_refs). It prints each number and the ratio
// Rollcall / PocketBase.
//
// Both are seeded with the same names, usernames, email addresses and
// classes, and one shared precomputed hash each (argon2id with Rollcall's
// parameters; bcrypt with PocketBase's default cost 10): Rollcall through
// its store in batches of 1,000, PocketBase through SQL in transactions of
// 1,000 (.ci/pocketbase seed). Then both run as servers (`rollcall serve`,
// `pocketbase serve`) and are asked over HTTP on 127.0.0.1.
//
// It lives under .ci/ (a folder `go test ./...` skips) and is built by
// `make bench-peer`; the PocketBase binary comes from the module
// .ci/pocketbase, pinned there, so Rollcall's go.mod stays clean.
package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"rollcall/app"
	"rollcall/store"
)

const (
	password = "bench password 2026"
	admin    = "peeradmin"
	adminPW  = "correct horse battery 9"
	pbEmail  = "bench@peer.example"
)

var (
	first = []string{"Ada", "Aino", "Ben", "Chloé", "Daniel", "Eero", "Emma", "Fatima", "Hugo", "Ida", "Jonas", "Jürgen", "Kenji", "Lea", "Liam",
		"Łukasz", "Maja", "Mehmet", "Mila", "Noah", "Noor", "Olivia", "Oskar", "Paula", "Ravi", "Sara", "Sofia", "Tuomas", "Vera", "Zoe"}
	last = []string{"Ahonen", "Becker", "Costa", "Dubois", "Eriksson", "Fischer", "García", "Haddad", "Hämäläinen", "Ivanova", "Jansen",
		"Kaya", "Korhonen", "Lehtonen", "Lovelace", "Müller", "Nieminen", "Novak", "Okafor", "Peters", "Rossi", "Sato", "Schmidt",
		"Silva", "Smith", "Virtanen", "Wagner", "Weber", "Yılmaz", "Żółć", "Andersson", "Berg", "Laine", "Mäkinen", "Nowak", "Petrov",
		"Quinn", "Rahman", "Suzuki", "Tanaka"}
)

type person struct{ first, last, username, email, class string }

// people are n pupils of 40 classes; names repeat as in a district,
// usernames and addresses are unique.
func people(n int) []person {
	out := make([]person, n)
	for i := range out {
		f, l := first[(i*7)%len(first)], last[(i*13/7)%len(last)]
		u := fmt.Sprintf("%s.%s%d", strings.ToLower(app.SortKey(f)), strings.ToLower(strings.ReplaceAll(app.SortKey(l), " ", "")), i)
		out[i] = person{f, l, u, u + "@big.example", fmt.Sprintf("Class %02d", i%40)}
	}
	return out
}

func main() {
	n := flag.Int("n", 50_000, "people seeded into each")
	rollcallBin := flag.String("rollcall", "build/bin/rollcall-bench", "the rollcall binary")
	pbBin := flag.String("pocketbase", "build/bin/pocketbase-peer", "the PocketBase binary (.ci/pocketbase)")
	rcAddr := flag.String("rollcall-addr", "127.0.0.1:18600", "")
	pbAddr := flag.String("pocketbase-addr", "127.0.0.1:18601", "")
	seedOnly := flag.String("seed-only", "", "only seed Rollcall's side into this file and stop (to look inside it)")
	rssOnly := flag.String("rss-only", "", "only Rollcall's peak RSS creating 1,000 accounts in this seeded file (-seed-only)")
	big := flag.Int("big", 0, "instead of the side by side: this many people in one Rollcall file (`make bench-500k`)")
	flag.Parse()
	if *rssOnly != "" {
		rc := start(*rollcallBin, "serve", "--db", *rssOnly, "--addr", *rcAddr)
		defer rc.stop()
		ready("http://" + *rcAddr + "/healthz")
		for t := time.Now(); time.Since(t) < 5*time.Minute; time.Sleep(50 * time.Millisecond) {
			if m, _ := filepath.Glob(*rssOnly + ".backups/rollcall-*-daily.db"); len(m) > 0 {
				break
			}
		}
		fmt.Printf("RSS at rest %s\n", mb(rc.rss("VmRSS")))
		d, peak := rc.peakDuring(func() { rollcallClient(*rcAddr).create(people(1000)) })
		fmt.Printf("1,000 accounts in %v, peak RSS %s, RSS after %s\n", d.Round(time.Millisecond), mb(peak), mb(rc.rss("VmRSS")))
		return
	}
	if *big > 0 {
		bench500k(*big, *rollcallBin, *rcAddr)
		return
	}
	if *seedOnly != "" {
		hash, err := app.HashPassword(crand.Reader, app.DefaultHashParams, password)
		check(err)
		seedRollcall(context.Background(), *seedOnly, people(*n), hash)
		return
	}
	dir, err := os.MkdirTemp("", "peerbench-")
	check(err)
	defer os.RemoveAll(dir)
	ctx := context.Background()
	ps := people(*n)
	fmt.Printf("peerbench: %d people each, GOMAXPROCS %d, load average %s\n", *n, runtime.GOMAXPROCS(0), loadavg())

	// One shared hash each, and the hashing floors.
	rcHash, err := app.HashPassword(crand.Reader, app.DefaultHashParams, password)
	check(err)
	pbHashB, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	check(err)
	floors := func() (time.Duration, time.Duration) {
		return floor(func() { app.HashPassword(crand.Reader, app.DefaultHashParams, password) }),
			floor(func() { bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost) })
	}
	rcFloor, pbFloor := floors()
	fmt.Printf("hashing floor, 1,000 hashes on all cores: argon2id m=%d KiB t=%d %v; bcrypt cost %d %v\n",
		app.DefaultHashParams.Memory, app.DefaultHashParams.Time, rcFloor.Round(time.Millisecond), bcrypt.DefaultCost, pbFloor.Round(time.Millisecond))

	// Seed.
	rcPath := filepath.Join(dir, "rollcall.db")
	t0 := time.Now()
	seedRollcall(ctx, rcPath, ps, rcHash)
	fmt.Printf("rollcall seeded in %v\n", time.Since(t0).Round(time.Millisecond))
	pbDir := filepath.Join(dir, "pb_data")
	tsv := filepath.Join(dir, "people.tsv")
	var buf bytes.Buffer
	for _, p := range ps {
		fmt.Fprintf(&buf, "%s\t%s\t%s\t%s\t%s\n", p.first, p.last, p.username, p.email, p.class)
	}
	check(os.WriteFile(tsv, buf.Bytes(), 0o600))
	t0 = time.Now()
	run(*pbBin, "seed", "--dir", pbDir, tsv, string(pbHashB))
	run(*pbBin, "superuser", "upsert", "--dir", pbDir, pbEmail, adminPW)
	fmt.Printf("pocketbase seeded in %v\n", time.Since(t0).Round(time.Millisecond))
	rcSize := size(rcPath)
	pbSize := size(filepath.Join(pbDir, "data.db"))
	pbAux := size(filepath.Join(pbDir, "auxiliary.db"))

	// Serve.
	rc := start(*rollcallBin, "serve", "--db", rcPath, "--addr", *rcAddr)
	defer rc.stop()
	rcReady := ready("http://" + *rcAddr + "/healthz")
	pb := start(*pbBin, "serve", "--dir", pbDir, "--http", *pbAddr)
	defer pb.stop()
	pbReady := ready("http://" + *pbAddr + "/api/health")
	// serve's first scheduler pass compacts a sparse file (a fifth free
	// pages, as 50 batches leave it) before its start-up backup: the file
	// at rest is the one after that backup.
	for t := time.Now(); time.Since(t) < 5*time.Minute; time.Sleep(50 * time.Millisecond) {
		if m, _ := filepath.Glob(rcPath + ".backups/rollcall-*-daily.db"); len(m) > 0 {
			break
		}
	}
	rcRest := size(rcPath)
	rcc := rollcallClient(*rcAddr)
	pbc := pocketbaseClient(*pbAddr)

	// 1,000 accounts: peak RSS and time.
	rcCreate, rcPeak := rc.peakDuring(func() { rcc.create(ps) })
	pbCreate, pbPeak := pb.peakDuring(func() { pbc.create() })

	// Search.
	queries := []string{"müller", "ada", "mila.berg12", "class", "nobody", "tanaka", "sofia", "jonas.h"}
	rcP50, rcP95 := latency(300, func(i int) { rcc.search(queries[i%len(queries)]) })
	pbP50, pbP95 := latency(300, func(i int) { pbc.search(queries[i%len(queries)]) })

	rcFloor2, pbFloor2 := floors()
	rcFloor, pbFloor = (rcFloor+rcFloor2)/2, (pbFloor+pbFloor2)/2
	fmt.Printf("hashing floors after: argon2id %v, bcrypt %v (the mean of before and after is used)\n", rcFloor2.Round(time.Millisecond), pbFloor2.Round(time.Millisecond))
	rcNorm := float64(rcCreate) / float64(rcFloor)
	pbNorm := float64(pbCreate) / float64(pbFloor)
	fmt.Printf("\n%-40s %14s %14s %10s %s\n", "", "Rollcall", "PocketBase", "ratio", "target")
	fmt.Printf("%-40s %14s %14s %10.2f\n", "file size right after seeding", mb(rcSize), mb(pbSize), float64(rcSize)/float64(pbSize))
	fmt.Printf("%-40s %14s %14s %10.2f %s\n", "file size at rest (serve compacted it)", mb(rcRest), mb(pbSize), float64(rcRest)/float64(pbSize), "≤ 1.0× (was 7.0×)")
	fmt.Printf("%-40s %14s %14s\n", "  PocketBase's auxiliary.db (logs)", "", mb(pbAux))
	fmt.Printf("%-40s %14v %14v %10.2f %s\n", "search p95 (p50 "+ms(rcP50)+" / "+ms(pbP50)+")", rcP95.Round(10*time.Microsecond), pbP95.Round(10*time.Microsecond), float64(rcP95)/float64(pbP95), "≤ 0.5×")
	fmt.Printf("%-40s %14v %14v\n", "1,000 accounts, wall", rcCreate.Round(time.Millisecond), pbCreate.Round(time.Millisecond))
	fmt.Printf("%-40s %14.2f %14.2f %10.2f %s\n", "  ÷ own hashing floor", rcNorm, pbNorm, pbNorm/rcNorm, "≥ 1.3× (PocketBase ÷ Rollcall: how much faster per hash cost)")
	fmt.Printf("%-40s %14s %14s %10.2f %s\n", "peak RSS creating 1,000 (VmHWM)", mb(rcPeak), mb(pbPeak), float64(rcPeak)/float64(pbPeak), "≤ 1.5× (was 4.3×)")
	fmt.Printf("%-40s %14v %14v\n", "ready after start", rcReady.Round(time.Millisecond), pbReady.Round(time.Millisecond))
	fmt.Printf("%-40s %14s %14s\n", "RSS after the searches", mb(rc.rss("VmRSS")), mb(pb.rss("VmRSS")))
	fmt.Printf("load average at the end: %s\n", loadavg())
}

// bench500k seeds n people into one file, in 50 organizations (a
// district's schools) of n/50 each, 10,000 a transaction, all with one
// shared hash (argon2id with the real parameters, computed once: the seed
// costs no hashing, the records are their real size). Then it starts
// `rollcall serve` on it and prints the file size, the time until serve
// answers, search and page p95 in one organization (500 requests each:
// 1,000 in all), the time of a backup (Back up now), and serve's RSS after
// the queries.
func bench500k(n int, bin, addr string) {
	dir, err := os.MkdirTemp("", "bench500k-")
	check(err)
	defer os.RemoveAll(dir)
	ctx := context.Background()
	fmt.Printf("bench-500k: %d people in 50 organizations, GOMAXPROCS %d, load average %s\n", n, runtime.GOMAXPROCS(0), loadavg())
	hash, err := app.HashPassword(crand.Reader, app.DefaultHashParams, password)
	check(err)
	path := filepath.Join(dir, "rollcall.db")
	db, err := store.Open(path)
	check(err)
	a := app.New(db)
	_, err = a.CreateAdmin(ctx, admin, adminPW, true)
	check(err)
	ps := people(n)
	perOrg := n / 50
	t0 := time.Now()
	var org *app.Organization
	groups := map[string]string{}
	var batch []*app.User
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i, p := range ps {
		if i%perOrg == 0 {
			slug := fmt.Sprintf("school%02d", i/perOrg)
			_, err = a.CreateOrganization(ctx, &app.Organization{Name: "School " + slug, Slug: slug})
			check(err)
			org, err = db.OrganizationBySlug(ctx, slug)
			check(err)
			for g := range 40 {
				gr, err := a.CreateGroup(ctx, slug, &app.Group{Name: fmt.Sprintf("Class %02d", g)})
				check(err)
				groups[gr.Name] = gr.ID
			}
		}
		id, err := newID()
		check(err)
		batch = append(batch, &app.User{ID: id, OrgID: org.ID, FirstName: p.first, LastName: p.last, Username: p.username,
			Email: p.email, EmailVerified: true, AccountType: app.TypeStudent, Groups: []string{groups[p.class]}, Language: "en",
			Status: app.StatusActive, CreatedVia: app.ViaImport, CreatedAt: now, UpdatedAt: now, PasswordHash: hash})
		if len(batch) == 10_000 || i == len(ps)-1 {
			check(db.CreateUsers(ctx, batch))
			batch = batch[:0]
		}
	}
	seeded := size(path)
	t1 := time.Now()
	_, err = db.CompactIfDue(ctx)
	check(err)
	check(db.Close())
	fmt.Printf("seeded in %v: %s; compacted (a fifth free pages) in %v: %s\n", t1.Sub(t0).Round(time.Millisecond), mb(seeded),
		time.Since(t1).Round(time.Millisecond), mb(size(path)))

	t0 = time.Now()
	rc := start(bin, "serve", "--db", path, "--addr", addr)
	defer rc.stop()
	readyIn := ready("http://" + addr + "/healthz")
	_ = t0
	// The start-up pass (deletion dates, and its first daily backup) runs
	// beside the requests; wait for it, so that the queries are timed alone.
	for t := time.Now(); time.Since(t) < 10*time.Minute; time.Sleep(50 * time.Millisecond) {
		if m, _ := filepath.Glob(path + ".backups/rollcall-*-daily.db"); len(m) > 0 {
			break
		}
	}
	c := rollcallClient(addr)
	org0 := "/api/organizations/school07/users"
	queries := []string{"müller", "ada", "mila.berg", "nobody", "tanaka", "sofia.s", "jonas.h", "class"}
	s50, s95 := latency(500, func(i int) { c.call("GET", org0+"?q="+url.QueryEscape(queries[i%len(queries)]), nil, nil) })
	pages := perOrg / 50
	p50, p95 := latency(500, func(i int) { c.call("GET", fmt.Sprintf("%s?page=%d", org0, 1+(i*37)%pages), nil, nil) })
	rss := rc.rss("VmRSS")
	t0 = time.Now()
	c.call("POST", "/api/backups", nil, nil)
	backup := time.Since(t0)

	fmt.Printf("\n%-44s %12s %s\n", "", "measured", "target")
	fmt.Printf("%-44s %12s\n", "file size", mb(size(path)))
	fmt.Printf("%-44s %12v %s\n", "serve answers /healthz after start", readyIn.Round(time.Millisecond), "< 0.5 s")
	fmt.Printf("%-44s %12v %s\n", fmt.Sprintf("search p95 in an organization of %d (p50 %s)", perOrg, ms(s50)), s95.Round(10*time.Microsecond), "< 25 ms")
	fmt.Printf("%-44s %12v %s\n", fmt.Sprintf("page p95 (p50 %s)", ms(p50)), p95.Round(10*time.Microsecond), "< 15 ms")
	fmt.Printf("%-44s %12v\n", "backup (Back up now, written and checked)", backup.Round(time.Millisecond))
	fmt.Printf("%-44s %12s\n", "serve RSS after 1,000 queries", mb(rss))
	fmt.Printf("load average at the end: %s\n", loadavg())
}

// seedRollcall writes the organization, its 40 classes, an admin and the
// people in batches of 1,000 (as imports would), then closes the file.
func seedRollcall(ctx context.Context, path string, ps []person, hash string) {
	db, err := store.Open(path)
	check(err)
	a := app.New(db)
	_, err = a.CreateOrganization(ctx, &app.Organization{Name: "Big School", Slug: "big"})
	check(err)
	org, err := db.OrganizationBySlug(ctx, "big")
	check(err)
	groups := map[string]string{}
	for i := range 40 {
		g, err := a.CreateGroup(ctx, "big", &app.Group{Name: fmt.Sprintf("Class %02d", i)})
		check(err)
		groups[g.Name] = g.ID
	}
	_, err = a.CreateAdmin(ctx, admin, adminPW, true)
	check(err)
	now := time.Now().UTC().Truncate(time.Microsecond)
	for start := 0; start < len(ps); start += 1000 {
		var batch []*app.User
		for _, p := range ps[start:min(start+1000, len(ps))] {
			id, err := newID()
			check(err)
			batch = append(batch, &app.User{ID: id, OrgID: org.ID, FirstName: p.first, LastName: p.last, Username: p.username,
				Email: p.email, EmailVerified: true, AccountType: app.TypeStudent, Groups: []string{groups[p.class]}, Language: "en",
				Status: app.StatusActive, CreatedVia: app.ViaImport, CreatedAt: now, UpdatedAt: now, PasswordHash: hash})
		}
		check(db.CreateUsers(ctx, batch))
	}
	check(db.Close())
}

type server struct {
	cmd *exec.Cmd
}

func start(bin string, args ...string) *server {
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	cmd.Env = append(os.Environ(), "ROLLCALL_KEY_FILE="+filepath.Join(os.TempDir(), "peerbench-secret.key"))
	check(cmd.Start())
	return &server{cmd}
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
	}
}

// rss reads a field of /proc/PID/status in bytes.
func (s *server) rss(field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	check(err)
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// peakDuring resets the process's peak RSS, runs fn, and returns fn's time
// and the peak.
func (s *server) peakDuring(fn func()) (time.Duration, int64) {
	check(os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.cmd.Process.Pid), []byte("5"), 0))
	t0 := time.Now()
	fn()
	return time.Since(t0), s.rss("VmHWM")
}

func ready(u string) time.Duration {
	t0 := time.Now()
	for time.Since(t0) < 30*time.Second {
		if r, err := http.Get(u); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return time.Since(t0)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	panic("not ready: " + u)
}

type client struct {
	base   string
	header http.Header
	call   func(method, path string, body any, out any) int
}

func newClient(base string) *client {
	c := &client{base: base, header: http.Header{}}
	c.call = func(method, path string, body, out any) int {
		var r io.Reader
		if body != nil {
			data, _ := json.Marshal(body)
			r = bytes.NewReader(data)
		}
		req, err := http.NewRequest(method, base+path, r)
		check(err)
		for k, v := range c.header {
			req.Header[k] = v
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		check(err)
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			panic(fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, data))
		}
		if out != nil {
			check(json.Unmarshal(data, out))
		}
		return resp.StatusCode
	}
	return c
}

type rcClient struct{ *client }

func rollcallClient(addr string) rcClient {
	c := newClient("http://" + addr)
	req, _ := http.NewRequest("POST", c.base+"/api/session", strings.NewReader(`{"username":"`+admin+`","password":"`+adminPW+`"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	check(err)
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		c.header.Add("Cookie", ck.Name+"="+ck.Value)
	}
	if resp.StatusCode != 200 {
		panic(fmt.Sprintf("rollcall sign-in: %d", resp.StatusCode))
	}
	return rcClient{c}
}

// create makes 1,000 accounts in one request (the bulk path an admin
// uses) and waits for its job.
func (c rcClient) create(ps []person) {
	var lines []string
	for i := range 1000 {
		lines = append(lines, fmt.Sprintf("%s%d %s", ps[i].first, i, ps[i].last))
	}
	var st app.JobStatus
	c.call("POST", "/api/organizations/big/accounts", map[string]any{"text": strings.Join(lines, "\n"), "groups": []string{"Class 01"}}, &st)
	for st.State == app.JobRunning || st.State == "" {
		time.Sleep(20 * time.Millisecond)
		c.call("GET", "/api/jobs/"+st.ID, nil, &st)
	}
	if st.State != app.JobDone {
		panic(fmt.Sprintf("rollcall job: %+v", st))
	}
}

func (c rcClient) search(q string) {
	c.call("GET", "/api/organizations/big/users?q="+url.QueryEscape(q), nil, nil)
}

type pbClient struct{ *client }

func pocketbaseClient(addr string) pbClient {
	c := newClient("http://" + addr)
	var auth struct{ Token string }
	c.call("POST", "/api/collections/_superusers/auth-with-password", map[string]string{"identity": pbEmail, "password": adminPW}, &auth)
	c.header.Set("Authorization", auth.Token)
	return pbClient{c}
}

// create makes 1,000 accounts, two requests per core at a time (it has no
// bulk path for accounts).
func (c pbClient) create() {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= 1000 {
					return
				}
				u := fmt.Sprintf("new.pupil%d", i)
				c.call("POST", "/api/collections/users/records", map[string]any{"email": u + "@big.example", "password": "tiger-moon-" + strconv.Itoa(i),
					"passwordConfirm": "tiger-moon-" + strconv.Itoa(i), "name": "New Pupil" + strconv.Itoa(i), "username": u, "class": "Class 01"}, nil)
			}
		})
	}
	wg.Wait()
}

func (c pbClient) search(q string) {
	q = strings.ReplaceAll(q, "'", "")
	filter := fmt.Sprintf("(name~'%s' || username~'%s' || email~'%s')", q, q, q)
	c.call("GET", "/api/collections/users/records?perPage=50&sort=name&filter="+url.QueryEscape(filter), nil, nil)
}

// floor is the time of 1,000 runs of hash on all cores, from 250 runs
// (hashing time is linear in the count; a shared machine is slow enough).
func floor(hash func()) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for next.Add(1) <= 250 {
				hash()
			}
		})
	}
	wg.Wait()
	return 4 * time.Since(t0)
}

func latency(n int, fn func(i int)) (p50, p95 time.Duration) {
	for i := range 10 {
		fn(i) // warm
	}
	lat := make([]time.Duration, n)
	for i := range lat {
		t0 := time.Now()
		fn(i)
		lat[i] = time.Since(t0)
	}
	slices.Sort(lat)
	return lat[n/2], lat[n*95/100]
}

func run(bin string, args ...string) {
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		panic(fmt.Sprintf("%s %v: %v\n%s", bin, args, err, out))
	}
}

func newID() (string, error) {
	id, err := uuid.NewV7()
	return id.String(), err
}

func size(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

func loadavg() string {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
