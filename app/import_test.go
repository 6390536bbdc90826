package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
)

// row builds an import row from field=value pairs.
func row(line int, pairs ...string) app.ImportRow {
	v := make([]string, len(app.ImportFields))
	for _, p := range pairs {
		f, val, _ := strings.Cut(p, "=")
		k := app.ImportFieldIndex(f)
		if k < 0 {
			panic("no field " + f)
		}
		v[k] = val
	}
	return app.ImportRow{Line: line, Values: v}
}

func importFile(rows ...app.ImportRow) *app.ImportFile {
	return &app.ImportFile{Name: "class.csv", SHA256: "feedface", Format: app.FormatCSV, Columns: app.ImportFields, Unknown: []string{}, Rows: rows}
}

func TestPreviewImport(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	var clockMu sync.Mutex
	clock := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	a.Now = func() time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		clock = clock.Add(time.Millisecond)
		return clock
	}
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	if _, err := a.CreateGroup(ctx, o.Slug, &app.Group{Name: "3B"}); err != nil {
		t.Fatal(err)
	}
	existing, err := a.CreateUser(ctx, o.Slug, app.UserCreate{User: app.User{FirstName: "Old", LastName: "Timer", Username: "taken.user", Email: "taken@school.example"}})
	if err != nil {
		t.Fatal(err)
	}
	f := importFile(
		row(2, "first_name=Ada", "last_name=Lovelace", "email=ada@school.example", "groups=3b", "account_type=Student"),
		row(3, "last_name=Nofirst"),
		row(4, "first_name=Cher"),
		row(5, "first_name=Bad", "last_name=Mail", "email=not-an-email"),
		row(6, "first_name=Twin", "last_name=One", "email=twin@school.example"),
		row(7, "first_name=Twin", "last_name=Two", "email=TWIN@school.example"),
		row(8, "first_name=Taken", "last_name=Name", "username=Taken.User"),
		row(9, "first_name=Merlin", "last_name=Wiz", "account_type=wizard"),
		row(10, "first_name=Pat", "last_name=Pupil", "account_type=Pupil"),
		row(11, "first_name=Weak", "last_name=Pass", "password=abc"),
		row(12, "first_name=Past", "last_name=Date", "deletion_date=2020-01-01"),
		row(13, "first_name=Bad", "last_name=Date", "deletion_date=next summer"),
		row(14, "first_name=German", "last_name=Date", "deletion_date=31.07.2030"),
		row(15, "first_name=New", "last_name=Group", "groups=7Z|3B"),
		row(16, "first_name=Bell\x07", "last_name=Char"),
		row(17, "first_name=Same", "last_name=User", "username=dup.user"),
		row(18, "first_name=Same", "last_name=User", "username=DUP.user"),
		row(19, "first_name=Old", "last_name=Email", "email=taken@school.example"),
		row(20, "first_name=Teach", "last_name=Er", "account_type=teacher", "password=good-pass-123", "language=de", "phone=+49 30 1234", "labels=a;b", "job_title=Maths"),
		row(21, "first_name=Local", "last_name=Number", "phone=040 123 4567"),
		row(22, "first_name=Short", "last_name=Number", "phone=+1 555"),
	)
	p, err := a.PreviewImport(ctx, o.Slug, f, app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byLine := map[int]app.ImportRowPreview{}
	for _, r := range p.Rows {
		byLine[r.Line] = r
	}
	expect := func(line int, status, field, contains string) {
		t.Helper()
		r := byLine[line]
		if r.Status != status {
			t.Errorf("row %d: status %q, want %q (%s)", line, r.Status, status, r.Reason())
			return
		}
		msgs := r.Problems
		if status == app.RowWarning {
			msgs = r.Warnings
		}
		if field != "" && !strings.Contains(msgs[field], contains) {
			t.Errorf("row %d: %s = %q, want it to say %q", line, field, msgs[field], contains)
		}
	}
	expect(2, app.RowCreate, "", "")
	expect(3, app.RowError, "first_name", "first name is required")
	expect(4, app.RowWarning, "last_name", "No last name")
	expect(5, app.RowError, "email", "not a valid email")
	expect(6, app.RowError, "email", "also on row 7")
	expect(7, app.RowError, "email", "also on row 6")
	expect(8, app.RowError, "username", "already taken")
	expect(9, app.RowError, "account_type", "student, teacher, admin")
	expect(10, app.RowCreate, "", "")
	expect(11, app.RowError, "password", "at least 10 characters")
	expect(12, app.RowError, "deletion_date", "not in the future")
	expect(13, app.RowError, "deletion_date", "YYYY-MM-DD")
	expect(14, app.RowCreate, "", "")
	expect(21, app.RowError, "phone", "with its country code") // the organization names no country
	expect(22, app.RowError, "phone", "not a valid phone number")
	expect(15, app.RowError, "groups", "no group 7Z")
	expect(16, app.RowError, "first_name", "control character")
	expect(17, app.RowError, "username", "also on row 18")
	expect(18, app.RowError, "username", "also on row 17")
	expect(19, app.RowError, "email", "already belongs to an account")
	expect(20, app.RowCreate, "", "")
	if p.Create != 4 || p.Warnings != 1 || p.Errors != 16 {
		t.Errorf("counts = %d create, %d warnings, %d errors", p.Create, p.Warnings, p.Errors)
	}
	if strings.Join(p.MissingGroups, ",") != "7Z" {
		t.Errorf("missing groups = %v", p.MissingGroups)
	}
	if r := byLine[2]; r.Username != "ada.lovelace" || !r.UsernameGenerated || !r.PasswordGenerated {
		t.Errorf("row 2 = %+v", r)
	}
	if r := byLine[20]; r.PasswordGenerated {
		t.Error("a given password is reported as generated")
	}
	if page, _ := a.Users(ctx, o.Slug, app.UserFilter{}); page.Total != 1 {
		t.Fatalf("the preview wrote users: %d", page.Total)
	}

	// With the option, the missing group becomes a warning.
	p, err = a.PreviewImport(ctx, o.Slug, f, app.ImportOptions{CreateGroups: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Rows {
		if r.Line == 15 && (r.Status != app.RowWarning || !strings.Contains(r.Warnings["groups"], "7Z will be created")) {
			t.Errorf("row 15 with create_groups = %+v", r)
		}
	}

	// All or nothing refuses the file and writes nothing.
	_, err = a.CommitImport(ctx, o.Slug, f, app.ImportOptions{AllOrNothing: true}, nil)
	if app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("all or nothing = %v", err)
	}
	if page, _ := a.Users(ctx, o.Slug, app.UserFilter{}); page.Total != 1 {
		t.Fatalf("all or nothing wrote users: %d", page.Total)
	}

	// Fix row 3 in place, commit the rest with the missing groups created.
	fixed, err := f.Edit([]app.ImportEdit{{Line: 3, Field: "first_name", Value: "Nora"}})
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows[1].Values[app.ColFirstName] != "" {
		t.Fatal("Edit changed the original file")
	}
	if _, err := f.Edit([]app.ImportEdit{{Line: 99, Field: "first_name"}}); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("edit of a missing row = %v", err)
	}
	var mu sync.Mutex
	var progress []int
	res, err := a.CommitImport(ctx, o.Slug, fixed, app.ImportOptions{CreateGroups: true}, func(done, total int) {
		mu.Lock() // called from every hashing goroutine
		progress = append(progress, done)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Import.Created != 7 || res.Import.Skipped != 14 || len(res.Rows) != 21 || strings.Join(res.Import.GroupsCreated, ",") != "7Z" {
		t.Fatalf("import = %+v", res.Import)
	}
	if len(progress) != 7 {
		t.Errorf("progress reported %d times", len(progress))
	}
	created := map[int]app.ImportResultRow{}
	for _, r := range res.Rows {
		if r.Status == app.RowCreated {
			created[r.Line] = r
		} else if r.Reason == "" || r.Password != "" {
			t.Errorf("skipped row %d = %+v", r.Line, r)
		}
	}
	if r := created[3]; r.Username != "nora.nofirst" || r.Password == "" {
		t.Errorf("fixed row = %+v", r)
	}
	if r := created[20]; r.Password != "good-pass-123" {
		t.Errorf("given password = %q", r.Password)
	}
	u, err := a.Store.UserByLogin(ctx, "teach.er")
	if err != nil {
		t.Fatal(err)
	}
	if u.AccountType != app.TypeTeacher || u.Language != "de" || u.Phone != "+49301234" /* written in E.164 */ || strings.Join(u.Labels, ",") != "a,b" || u.JobTitle != "Maths" || u.CreatedVia != app.ViaImport || u.ImportID != res.Import.ID {
		t.Errorf("teacher = %+v", u)
	}
	if ok, _ := app.VerifyPassword(u.PasswordHash, "good-pass-123", a.Hash); !ok {
		t.Error("the given password does not verify")
	}
	g, err := a.Group(ctx, o.Slug, "7Z")
	if err != nil {
		t.Fatal(err)
	}
	nu, _ := a.Store.UserByLogin(ctx, "new.group")
	if nu == nil || len(nu.Groups) != 2 || nu.Groups[0] != g.ID {
		t.Errorf("user of the new group = %+v", nu)
	}
	if d, _ := a.Store.UserByLogin(ctx, "german.date"); d == nil || d.DeleteOn != "2030-07-31" {
		t.Errorf("German date = %+v", d)
	}
	if len(res.Accounts.Accounts) != 7 || res.Accounts.Accounts[0].Password == "" {
		t.Errorf("accounts for slips = %+v", res.Accounts)
	}
	// The existing user named by row 19 was not changed.
	again, _ := a.User(ctx, o.Slug, existing.ID)
	if !again.UpdatedAt.Equal(existing.UpdatedAt) || again.FirstName != "Old" || again.LastName != "Timer" {
		t.Errorf("existing user changed: %+v", again)
	}

	// The same file again is noticed and refused unless confirmed.
	p, _ = a.PreviewImport(ctx, o.Slug, fixed, app.ImportOptions{})
	if len(p.Previous) != 1 || p.Previous[0].ID != res.Import.ID {
		t.Errorf("previous imports = %+v", p.Previous)
	}
	_, err = a.CommitImport(ctx, o.Slug, fixed, app.ImportOptions{}, nil)
	var e *app.Error
	if !errors.As(err, &e) || e.Code != app.ECONFLICT || !strings.Contains(e.Message, "already imported") {
		t.Fatalf("second commit = %v", err)
	}
	res2, err := a.CommitImport(ctx, o.Slug, fixed, app.ImportOptions{Again: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Emails are now taken; rows without one get new usernames.
	if res2.Import.Created == 0 || !res2.Import.Again {
		t.Errorf("confirmed second import = %+v", res2.Import)
	}
	imports, _ := a.Imports(ctx, o.Slug)
	if len(imports) != 2 || imports[0].ID != res2.Import.ID {
		t.Errorf("imports = %+v", imports)
	}
}

func TestImportPasswordModes(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	f := importFile(row(2, "first_name=A", "last_name=One"), row(3, "first_name=B", "last_name=Two", "password=own-password-9"))
	if _, err := a.CommitImport(ctx, o.Slug, f, app.ImportOptions{PasswordMode: app.PasswordSame, Password: "short"}, nil); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("weak same password = %v", err)
	}
	if _, err := a.PreviewImport(ctx, o.Slug, f, app.ImportOptions{PasswordMode: "given"}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("mode given = %v", err)
	}
	res, err := a.CommitImport(ctx, o.Slug, f, app.ImportOptions{PasswordMode: app.PasswordSame, Password: "class-pass-2026"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0].Password != "class-pass-2026" || res.Rows[1].Password != "own-password-9" {
		t.Errorf("passwords = %q, %q", res.Rows[0].Password, res.Rows[1].Password)
	}
	for _, acc := range res.Accounts.Accounts {
		if ok, _ := app.VerifyPassword(acc.User.PasswordHash, acc.Password, a.Hash); !ok {
			t.Errorf("%s: password does not verify", acc.User.Username)
		}
	}
}

func TestImportCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	var rows []app.ImportRow
	for i := range 300 {
		rows = append(rows, row(i+2, "first_name=P"+strings.Repeat("x", i%5)+string(rune('a'+i%26)), "last_name=Q"))
	}
	_, err := a.CommitImport(ctx, o.Slug, importFile(rows...), app.ImportOptions{}, func(done, total int) {
		if done == 20 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled import = %v", err)
	}
	if page, _ := a.Users(context.Background(), o.Slug, app.UserFilter{}); page.Total != 0 {
		t.Fatalf("%d users after cancel", page.Total)
	}
	if imps, _ := a.Imports(context.Background(), o.Slug); len(imps) != 0 {
		t.Fatalf("import recorded after cancel: %+v", imps)
	}
}

func TestImportDrafts(t *testing.T) {
	ctx := context.Background()
	e := apptest.New(t)
	a, clk := e.App, e.Clock
	clk.Set(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC))
	maple := mustOrg(t, a, &app.Organization{Name: "Maple"})
	oak := mustOrg(t, a, &app.Organization{Name: "Oak"})
	f := importFile(row(2, "first_name=A"))
	id, err := a.SaveImportDraft(ctx, maple.Slug, "adm1", f)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := a.ImportDraft(ctx, maple.Slug, "adm1", id); err != nil || got != f {
		t.Fatalf("draft = %v, %v", got, err)
	}
	if _, err := a.ImportDraft(ctx, oak.Slug, "adm1", id); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("another organization's draft = %v", err)
	}
	if _, err := a.ImportDraft(ctx, maple.Slug, "adm2", id); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("another admin's draft = %v", err)
	}
	// Used drafts stay; unused ones expire.
	clk.Add(app.DraftTTL - time.Minute)
	if _, err := a.ImportDraft(ctx, maple.Slug, "adm1", id); err != nil {
		t.Fatalf("draft used within the TTL: %v", err)
	}
	clk.Add(app.DraftTTL + time.Minute)
	if _, err := a.ImportDraft(ctx, maple.Slug, "adm1", id); app.ErrorCode(err) != app.ENOTFOUND || !strings.Contains(err.Error(), "choose it again") {
		t.Errorf("expired draft = %v", err)
	}
	// At most MaxDrafts are kept; the oldest goes first.
	var ids []string
	for range app.MaxDrafts + 1 {
		clk.Add(time.Second)
		id, _ := a.SaveImportDraft(ctx, maple.Slug, "adm1", f)
		ids = append(ids, id)
	}
	if _, err := a.ImportDraft(ctx, maple.Slug, "adm1", ids[0]); err == nil {
		t.Error("the oldest draft was kept beyond MaxDrafts")
	}
	if _, err := a.ImportDraft(ctx, maple.Slug, "adm1", ids[len(ids)-1]); err != nil {
		t.Errorf("the newest draft: %v", err)
	}
	a.DropImportDraft(ids[len(ids)-1])
	if _, err := a.ImportDraft(ctx, maple.Slug, "adm1", ids[len(ids)-1]); err == nil {
		t.Error("a dropped draft is still there")
	}
}

// Generating usernames for many people with the same name is linear: the
// next suffix per base is remembered and the store is asked about many
// candidates at once. 10× the rows must cost well under 100× the time.
// Giving 20,000 rows of the same name their usernames makes a number of
// store look-ups linear in the rows (each row starts where the last
// stopped), not quadratic (each row counting up from ada.lovelace again).
// Counted, not timed: a timing ratio flakes on a busy machine.
func TestSameNameUsernamesLinear(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	if _, err := a.CreateUser(ctx, o.Slug, app.UserCreate{User: app.User{FirstName: "Ada", LastName: "Lovelace", Username: "ada.lovelace3"}}); err != nil {
		t.Fatal(err)
	}
	var lookups atomic.Int64
	a.Store = countingStore{Store: a.Store, n: &lookups}
	var rows []app.ImportRow
	for i := range 20000 {
		rows = append(rows, row(i+2, "first_name=Ada", "last_name=Lovelace"))
	}
	p, err := a.PreviewImport(ctx, o.Slug, importFile(rows...), app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("20,000 same-name rows: %d username look-ups (linear ≈ 20,000; counting up from 1 each time ≈ 900,000)", lookups.Load())
	if n := lookups.Load(); n > 3*20000 {
		t.Errorf("20,000 rows made %d username look-ups; want at most 60,000 (linear)", n)
	}
	seen := map[string]bool{}
	for i, r := range p.Rows {
		if seen[r.Username] || r.Username == "ada.lovelace3" {
			t.Fatalf("row %d: username %q given twice or taken", i, r.Username)
		}
		seen[r.Username] = true
	}
	if p.Rows[0].Username != "ada.lovelace" || p.Rows[1].Username != "ada.lovelace2" || p.Rows[2].Username != "ada.lovelace4" || p.Rows[19999].Username != "ada.lovelace20001" {
		t.Errorf("usernames %s %s %s … %s", p.Rows[0].Username, p.Rows[1].Username, p.Rows[2].Username, p.Rows[19999].Username)
	}
}

// lateCancelStore cancels the job right after the import is written.
type lateCancelStore struct {
	app.Store
	after func()
}

func (s lateCancelStore) CreateImport(ctx context.Context, imp *app.Import, g []app.NewGroup, u []*app.User, mails ...*app.ResetMail) error {
	err := s.Store.CreateImport(ctx, imp, g, u, mails...)
	s.after()
	return err
}

// waitJob polls until the job has finished.
func waitJob(t *testing.T, a *app.App, id string) app.JobStatus {
	t.Helper()
	for range 2000 {
		st, err := a.Jobs.Status(id)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != app.JobRunning {
			return st
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the job did not finish")
	return app.JobStatus{}
}

// A cancel that races the write leaves either nothing created and the job
// cancelled, or the accounts created and the job done with their passwords:
// never accounts whose passwords nobody can see.
func TestImportCancelRacingTheWrite(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	check := func(t *testing.T, id string, want int) {
		st := waitJob(t, a, id)
		page, err := a.Users(ctx, o.Slug, app.UserFilter{})
		if err != nil {
			t.Fatal(err)
		}
		created := page.Total - want
		switch st.State {
		case app.JobCancelled:
			if created != 0 {
				t.Fatalf("job cancelled but %d users created", created)
			}
		case app.JobDone:
			res, err := a.Jobs.Result(id)
			if err != nil {
				t.Fatal(err)
			}
			r := res.(*app.ImportResult)
			if created == 0 || len(r.Accounts.Accounts) != created || r.Accounts.Accounts[0].Password == "" {
				t.Fatalf("job done: %d users created, %d in the result", created, len(r.Accounts.Accounts))
			}
		default:
			t.Fatalf("job %s: %s", st.State, st.Error)
		}
	}
	users := 0
	count := func() int {
		page, _ := a.Users(ctx, o.Slug, app.UserFilter{})
		return page.Total
	}
	t.Run("CancelAfterWrite", func(t *testing.T) {
		var id string
		ready := make(chan struct{})
		plain := a.Store
		a.Store = lateCancelStore{Store: plain, after: func() { <-ready; a.Jobs.Cancel(id) }}
		defer func() { a.Store = plain }()
		id = a.Jobs.Start("import", func(ctx context.Context, p app.Progress) (any, error) {
			return a.CommitImport(ctx, o.Slug, importFile(row(2, "first_name=Ada", "last_name=Late")), app.ImportOptions{}, p)
		})
		close(ready)
		if st := waitJob(t, a, id); st.State != app.JobDone {
			t.Fatalf("state %s, want done", st.State)
		}
		check(t, id, users)
		users = count()
	})
	t.Run("RandomCancel", func(t *testing.T) {
		outcomes := map[string]int{}
		for i := range 40 {
			id := a.Jobs.Start("import", func(ctx context.Context, p app.Progress) (any, error) {
				return a.CommitImport(ctx, o.Slug, importFile(row(2, "first_name=Ada", fmt.Sprintf("last_name=Race%d", i)), row(3, "first_name=Bo", fmt.Sprintf("last_name=Race%d", i))), app.ImportOptions{Again: true}, p)
			})
			time.Sleep(time.Duration(i*20) * time.Microsecond)
			if err := a.Jobs.Cancel(id); err != nil {
				t.Fatal(err) // a cancel never forgets a job, finished or not
			}
			st := waitJob(t, a, id)
			outcomes[string(st.State)]++
			check(t, id, users)
			users = count()
		}
		t.Logf("outcomes: %v", outcomes)
	})
}

// PrepareImport makes every check the commit makes, at once; the job then
// commits exactly the plan the admin was shown.
func TestPrepareThenCommitThePlan(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	f := importFile(row(2, "first_name=Ada", "last_name=Lovelace"), row(3, "first_name=Grace", "last_name=Hopper"))
	pi, err := a.PrepareImport(ctx, o.Slug, f, app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pi.Preview.Rows[0].Username != "ada.lovelace" {
		t.Fatalf("preview username %q", pi.Preview.Rows[0].Username)
	}
	// The username shown is taken meanwhile: the commit refuses instead of
	// silently giving another one than the preview showed.
	if _, err := a.CreateUser(ctx, o.Slug, app.UserCreate{User: app.User{FirstName: "Ada", LastName: "Other", Username: "ada.lovelace"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CommitPrepared(ctx, pi, nil); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("commit after the username was taken: %v", err)
	}
	pi, err = a.PrepareImport(ctx, o.Slug, f, app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.CommitPrepared(ctx, pi, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0].Username != pi.Preview.Rows[0].Username || res.Rows[0].Username != "ada.lovelace2" {
		t.Fatalf("committed %q, previewed %q", res.Rows[0].Username, pi.Preview.Rows[0].Username)
	}
	// The same file again: ECONFLICT with the detail the UI shows, from PrepareImport.
	_, err = a.PrepareImport(ctx, o.Slug, f, app.ImportOptions{})
	var e *app.Error
	if !errors.As(err, &e) || e.Code != app.ECONFLICT || e.Details["again"] == "" {
		t.Fatalf("same file again: %v", err)
	}
}

// Imports and batch accounts check password options with one rule.
func TestPasswordOptionsOneRule(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	f := importFile(row(2, "first_name=Ada", "last_name=Lovelace"))
	b := app.AccountBatch{People: []app.NameLine{{Line: 1, FirstName: "Ada", LastName: "Lovelace"}}}
	for _, c := range []struct {
		mode, style, password, field string
	}{
		{"sometimes", "", "", "password_mode"},
		{"", "emoji", "", "password_style"},
		{app.PasswordSame, "", "short", ""},
	} {
		_, ierr := a.PreviewImport(ctx, o.Slug, f, app.ImportOptions{PasswordMode: c.mode, PasswordStyle: c.style, Password: c.password})
		b.PasswordMode, b.PasswordStyle, b.Password = c.mode, c.style, c.password
		_, berr := a.PreviewAccounts(ctx, o.Slug, b)
		for _, err := range []error{ierr, berr} {
			if app.ErrorCode(err) != app.EINVALID {
				t.Fatalf("%+v: %v", c, err)
			}
			if c.field != "" && !strings.Contains(fmt.Sprint(err.(*app.Error).Details), c.field) {
				t.Errorf("%+v: %v does not name %s", c, err, c.field)
			}
		}
	}
	// An import may not use "given" for all rows (rows give their own).
	if _, err := a.PreviewImport(ctx, o.Slug, f, app.ImportOptions{PasswordMode: app.PasswordGiven}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("given: %v", err)
	}
}

// A given password that a spreadsheet would read as a formula is a row
// problem naming the character (the results file shows passwords as given).
func TestGivenPasswordFormulaStart(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	p, err := a.PreviewImport(ctx, o.Slug, importFile(
		row(2, "first_name=Ada", "password=-minus-start-2026"),
		row(3, "first_name=Bo", "password=@at-start-2026"),
		row(4, "first_name=Cy", "password=+plus-start-2026"),
		row(5, "first_name=Di", "password=fine-pass-2026"),
	), app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{`"-"`, `"@"`, `"+"`} {
		if got := p.Rows[i].Problems["password"]; !strings.Contains(got, "starts with "+want) {
			t.Errorf("row %d: password problem %q, want it to name %s", p.Rows[i].Line, got, want)
		}
	}
	if p.Rows[3].Problems["password"] != "" {
		t.Errorf("fine password: %q", p.Rows[3].Problems["password"])
	}
	_, err = a.PreviewImport(ctx, o.Slug, importFile(row(2, "first_name=Ada")), app.ImportOptions{PasswordMode: app.PasswordSame, Password: "=class-pass-2026"})
	if app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.Error(), `starts with "="`) {
		t.Fatalf("same password starting with =: %v", err)
	}
}

// Drafts are bounded by rows and by bytes together: the oldest go first,
// the newest is always kept.
func TestImportDraftBudgets(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	a.Now = func() time.Time { now = now.Add(time.Second); return now }
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	file := func(rows, cell int) *app.ImportFile {
		f := &app.ImportFile{Name: "x.csv", Rows: make([]app.ImportRow, rows)}
		v := strings.Repeat("x", cell)
		for i := range f.Rows {
			f.Rows[i] = app.ImportRow{Line: i + 2, Values: make([]string, len(app.ImportFields))}
			f.Rows[i].Values[app.ColFirstName] = v
		}
		return f
	}
	kept := func(ids []string) (n int) {
		for _, id := range ids {
			if _, err := a.ImportDraft(ctx, o.Slug, "", id); err == nil {
				n++
			}
		}
		return n
	}
	// Rows: three drafts of MaxDraftRows/2 rows: the first goes.
	var ids []string
	for range 3 {
		id, err := a.SaveImportDraft(ctx, o.Slug, "", file(app.MaxDraftRows/2, 1))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if n := kept(ids); n != 2 {
		t.Errorf("%d drafts of %d rows kept; want 2 (MaxDraftRows %d)", n, app.MaxDraftRows/2, app.MaxDraftRows)
	}
	if _, err := a.ImportDraft(ctx, o.Slug, "", ids[0]); err == nil {
		t.Error("the oldest draft was kept beyond MaxDraftRows")
	}
	// Bytes: few rows with 3,000-byte cells; 200 MB holds fewer than 5 of 50 MB.
	ids = nil
	for range 5 {
		id, err := a.SaveImportDraft(ctx, o.Slug, "", file(50<<20/3000, 3000))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if n := kept(ids); n != app.MaxDraftBytes/(50<<20) && n != app.MaxDraftBytes/(50<<20)-1 {
		t.Errorf("%d drafts of 50 MB kept; want at most %d MB in all", n, app.MaxDraftBytes>>20)
	}
	if _, err := a.ImportDraft(ctx, o.Slug, "", ids[4]); err != nil {
		t.Errorf("the newest draft: %v", err)
	}
}

// A job started for an admin is found only by that admin (or in process).
func TestJobsBoundToAdmin(t *testing.T) {
	a := apptest.New(t).App
	id := a.Jobs.StartFor("adm1", "import", func(ctx context.Context, p app.Progress) (any, error) { return "secret", nil })
	st := waitJob(t, a, id)
	if st.State != app.JobDone {
		t.Fatal(st)
	}
	if _, err := a.Jobs.ResultFor("adm2", id); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("another admin's result: %v", err)
	}
	if _, err := a.Jobs.StatusFor("adm2", id); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("another admin's status: %v", err)
	}
	if err := a.Jobs.CancelFor("adm2", id); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("another admin's cancel: %v", err)
	}
	if v, err := a.Jobs.ResultFor("adm1", id); err != nil || v != "secret" {
		t.Errorf("own result: %v, %v", v, err)
	}
}

// A group deleted between the preview and the write refuses the import
// inside its transaction: no user joins a group that does not exist.
func TestImportGroupDeletedMeanwhile(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	g, err := a.CreateGroup(ctx, o.Slug, &app.Group{Name: "3B"})
	if err != nil {
		t.Fatal(err)
	}
	pi, err := a.PrepareImport(ctx, o.Slug, importFile(row(2, "first_name=Ada", "groups=3B")), app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteGroup(ctx, o.Slug, g.ID); err != nil {
		t.Fatal(err)
	}
	_, err = a.CommitPrepared(ctx, pi, nil)
	if app.ErrorCode(err) != app.ECONFLICT || !strings.Contains(err.Error(), "deleted meanwhile") {
		t.Fatalf("commit after the group was deleted: %v", err)
	}
	if page, _ := a.Users(ctx, o.Slug, app.UserFilter{}); page.Total != 0 {
		t.Fatalf("%d users created", page.Total)
	}
}

// importPlans counts the plans of an import: planning a file asks the store
// once for the earlier imports of the same file, and nothing else does.
type importPlans struct {
	app.Store
	n *atomic.Int64
}

func (s importPlans) ImportsByHash(ctx context.Context, orgID, sha256 string) ([]*app.Import, error) {
	s.n.Add(1)
	return s.Store.ImportsByHash(ctx, orgID, sha256)
}

// The API's sequence lives in the app: UploadImport reads (after finding
// the organization), previews and keeps the draft; StartImport applies the
// edits, prepares once and commits in a job of the admin that drops the
// draft. Each plans the file once.
func TestUploadAndStartImport(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	var n atomic.Int64
	a.Store = importPlans{Store: a.Store, n: &n}
	f := importFile(row(2, "first_name=Ada", "last_name=Lovelace"), row(3, "last_name=Nofirst"))

	read := false
	if _, err := a.UploadImport(ctx, "nowhere", "adm1", func() (*app.ImportFile, error) { read = true; return f, nil }); app.ErrorCode(err) != app.ENOTFOUND || read {
		t.Fatalf("upload to an unknown organization: %v (file read: %v)", err, read)
	}
	up, err := a.UploadImport(ctx, o.Slug, "adm1", func() (*app.ImportFile, error) { return f, nil })
	if err != nil || up.Draft == "" || up.Preview.Create != 1 || up.Preview.Errors != 1 || n.Load() != 1 {
		t.Fatalf("upload: %+v %v, %d plans", up, err, n.Load())
	}
	edits := []app.ImportEdit{{Line: 3, Field: "first_name", Value: "Grace"}}
	n.Store(0)
	p, err := a.PreviewDraft(ctx, o.Slug, "adm1", up.Draft, app.ImportRequest{Edits: edits})
	if err != nil || p.Create != 2 || n.Load() != 1 {
		t.Fatalf("preview of the draft: %+v %v, %d plans", p, err, n.Load())
	}
	if _, err := a.StartImport(ctx, o.Slug, "adm2", up.Draft, app.ImportRequest{Edits: edits}); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("another admin's draft: %v", err)
	}
	n.Store(0)
	st, err := a.StartImport(ctx, o.Slug, "adm1", up.Draft, app.ImportRequest{Edits: edits})
	if err != nil || st.Kind != "import" || st.Total != 2 {
		t.Fatalf("start: %+v %v", st, err)
	}
	if st := waitJob(t, a, st.ID); st.State != app.JobDone {
		t.Fatalf("job: %+v", st)
	}
	if n.Load() != 1 {
		t.Errorf("StartImport planned the file %d times, want once", n.Load())
	}
	v, _ := a.Jobs.ResultFor("adm1", st.ID)
	if res, ok := v.(*app.ImportResult); !ok || res.Import.Created != 2 {
		t.Fatalf("result: %#v", v)
	}
	if _, err := a.ImportDraft(ctx, o.Slug, "adm1", up.Draft); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("the draft is kept after the import: %v", err)
	}
}

// A row that joins groups the import makes says so in the preview ("will
// be created", every new group named) and, once written, in the results
// file ("was created"), never the future of a thing done.
func TestImportNewGroupsNote(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	f := importFile(row(2, "first_name=Ada", "last_name=Lovelace", "groups=3B|Chess"), row(3, "first_name=Alan", "last_name=Turing", "groups=3B"))
	p, err := a.PreviewImport(ctx, o.Slug, f, app.ImportOptions{CreateGroups: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Rows[0].Warnings["groups"]; got != "The groups 3B, Chess will be created." {
		t.Errorf("preview: %q", got)
	}
	res, err := a.CommitImport(ctx, o.Slug, f, app.ImportOptions{CreateGroups: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows[0].Reason; got != "The groups 3B, Chess were created by this import." {
		t.Errorf("results row 2: %q", got)
	}
	if got := res.Rows[1].Reason; got != "The group 3B was created by this import." {
		t.Errorf("results row 3: %q", got)
	}
}

// Cells beyond the header's columns (a semicolon too many, a comma inside
// a name) are no longer dropped unnoticed: the row warns and names them.
func TestImportExtraCellsWarn(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	f := importFile(row(2, "first_name=Ada", "last_name=Lovelace"), row(3, "first_name=Alan", "last_name=Turing"))
	f.Header = []string{"first_name", "last_name"}
	f.Rows[0].Cells = []string{"Ada", "Lovelace"}
	f.Rows[1].Cells = []string{"Alan", "Turing", "3B", ""}
	p, err := a.PreviewImport(ctx, o.Slug, f, app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows[0].Status != app.RowCreate {
		t.Errorf("row 2: %s %v", p.Rows[0].Status, p.Rows[0].Warnings)
	}
	if w := p.Rows[1].Warnings["cells"]; p.Rows[1].Status != app.RowWarning || !strings.Contains(w, `this cell is left out: "3B"`) {
		t.Errorf("row 3: %s %q", p.Rows[1].Status, w)
	}
}
