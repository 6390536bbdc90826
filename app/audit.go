package app

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
)

// Who acts: the kinds of Actor.
const (
	ActorAdmin    = "admin"     // a signed-in admin, or the person at the desktop window
	ActorOrgAdmin = "org-admin" // a person who administers their organization
	ActorTeacher  = "teacher"   // a person acting on the groups they administer
	ActorPerson   = "person"    // the person themself (their own account)
	ActorSignUp   = "sign-up"   // someone signing up with a code or link
	ActorSystem   = "system"    // the scheduler (retention, deletion dates, backups)
	ActorCLI      = "cli"       // the command line on the machine that holds the file
	ActorUnknown  = "unknown"   // a change made without an actor: a bug to fix
)

// DefaultAuditRetentionDays is how long audit entries are kept when an
// organization sets nothing: two years.
const DefaultAuditRetentionDays = 730

// MaxAuditRetentionDays is the longest retention an organization may set.
const MaxAuditRetentionDays = 3650

// DeletedPerson replaces the name of a purged person in the audit log.
const DeletedPerson = "deleted person"

// Actor is who made a change. The transport puts it into the context
// (WithActor); a use case that learns who acts (a sign-in, a person's own
// session) puts it there itself.
type Actor struct {
	Kind string `json:"kind"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	// scope limits an organization or group admin (access.go); never stored.
	scope *Scope
}

// AuditTarget is what a change was made to: an entity's kind, ID and a
// display name (never a secret).
type AuditTarget struct {
	Kind string `json:"kind,omitempty"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// AuditEntry is one line of the append-only audit log. It never holds a
// password, token, invite code or relay secret: Detail is a short note made
// from counts and field names.
type AuditEntry struct {
	// ID is the entry's key: its time and a sequence number, so that the log
	// reads in order.
	ID     string      `json:"id,omitempty"`
	Time   time.Time   `json:"time"`
	OrgID  string      `json:"org_id,omitempty"`
	Actor  Actor       `json:"actor"`
	Action string      `json:"action"`
	Target AuditTarget `json:"target"`
	// People are the IDs of the people the change touched (besides Target),
	// for the person filter and for forgetting a purged person.
	People []string `json:"people,omitempty"`
	Detail string   `json:"detail,omitempty"`
}

// Involves reports whether the entry names the person with id as actor,
// target or one of the people touched.
func (e *AuditEntry) Involves(id string) bool {
	if id == "" {
		return false
	}
	if e.Actor.ID == id || e.Target.ID == id {
		return true
	}
	for _, p := range e.People {
		if p == id {
			return true
		}
	}
	return false
}

// Forget drops what identifies the person with id from the entry: their
// name as actor or target, and that name in the detail. The action, time
// and IDs stay.
func (e *AuditEntry) Forget(id string) bool {
	if !e.Involves(id) {
		return false
	}
	var names []string
	if e.Actor.ID == id && e.Actor.Name != "" {
		names = append(names, e.Actor.Name)
		e.Actor.Name = DeletedPerson
	}
	if (e.Target.ID == id || len(e.People) == 1 && e.People[0] == id && e.Target.Kind == "person") && e.Target.Name != "" {
		names = append(names, e.Target.Name)
		e.Target.Name = DeletedPerson
	}
	for _, n := range names {
		if n != DeletedPerson {
			e.Detail = strings.ReplaceAll(e.Detail, n, DeletedPerson)
		}
	}
	return true
}

// The actors the transports name.
var (
	// DesktopActor is the person at the desktop window, its local administrator.
	DesktopActor = Actor{Kind: ActorAdmin, Name: "desktop window"}
	// CLIActor is the command line on the machine that holds the file.
	CLIActor = Actor{Kind: ActorCLI, Name: "command line"}
	// SystemActor is the scheduler.
	SystemActor = Actor{Kind: ActorSystem, Name: "scheduler"}
	// SignUpActor is someone signing up with a code or link.
	SignUpActor = Actor{Kind: ActorSignUp, Name: "sign-up"}
)

// AdminActor is the signed-in admin adm.
func AdminActor(adm *Admin) Actor {
	switch {
	case adm.Scope == nil:
		return Actor{Kind: ActorAdmin, ID: adm.ID, Name: adm.Username}
	case adm.Scope.OrgAdmin:
		return Actor{Kind: ActorOrgAdmin, ID: adm.ID, Name: adm.Name, scope: adm.Scope}
	default:
		return Actor{Kind: ActorTeacher, ID: adm.ID, Name: adm.Name, scope: adm.Scope}
	}
}

// PersonActor is the person u acting on their own account.
func PersonActor(u *User) Actor {
	return Actor{Kind: ActorPerson, ID: u.ID, Name: auditName(u)}
}

// personTarget names the person u as an audit target.
func personTarget(u *User) AuditTarget {
	return AuditTarget{Kind: "person", ID: u.ID, Name: auditName(u)}
}

// auditName names u in the audit log: "First Last (username)".
func auditName(u *User) string {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	switch {
	case u.Username == "":
		return name
	case name == "":
		return u.Username
	}
	return name + " (" + u.Username + ")"
}

type actorKey struct{}
type auditKey struct{}

// WithActor returns ctx with the actor of the changes made under it.
func WithActor(ctx context.Context, actor Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor WithActor put into ctx; ActorUnknown if none.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Kind: ActorUnknown}
}

// AuditBatch is the audit entries a use case attached to its context, waiting
// for the store's next write transaction. The store writes them inside the
// transaction that makes the change and marks them written after it commits,
// so a later write under the same context does not write them again.
type AuditBatch struct {
	mu      sync.Mutex
	entries []AuditEntry
	written bool
}

// PendingAudit returns the entries under ctx not yet written; the store
// calls it inside a write transaction.
func PendingAudit(ctx context.Context) []AuditEntry {
	b, _ := ctx.Value(auditKey{}).(*AuditBatch)
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.written {
		return nil
	}
	return append([]AuditEntry(nil), b.entries...)
}

// amendAudit changes the last entry pending under ctx: a use case fills in,
// inside its store transaction, what it learns only there (the person a
// token names). The store reads the entries after that.
// AmendAudit is amendAudit for a store that learns inside its transaction
// what the entry must say (an invited account purged with its invitation).
func AmendAudit(ctx context.Context, fn func(e *AuditEntry)) { amendAudit(ctx, fn) }

func amendAudit(ctx context.Context, fn func(e *AuditEntry)) {
	b, _ := ctx.Value(auditKey{}).(*AuditBatch)
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if n := len(b.entries); n > 0 && !b.written {
		fn(&b.entries[n-1])
	}
}

// AuditWritten marks the entries under ctx as written; the store calls it
// after the transaction that wrote them committed.
func AuditWritten(ctx context.Context) {
	if b, _ := ctx.Value(auditKey{}).(*AuditBatch); b != nil {
		b.mu.Lock()
		b.written = true
		b.mu.Unlock()
	}
}

// audit returns ctx carrying one audit entry: the actor in ctx did action
// to target. Pass the returned context only to the store call that makes
// the change, so that the entry is written in its transaction.
func (a *App) audit(ctx context.Context, orgID, action string, target AuditTarget, detail string, people ...string) context.Context {
	e := AuditEntry{Time: a.now(), OrgID: orgID, Actor: ActorFrom(ctx), Action: action, Target: target, People: people, Detail: detail}
	b := &AuditBatch{entries: []AuditEntry{e}}
	if prev, _ := ctx.Value(auditKey{}).(*AuditBatch); prev != nil {
		prev.mu.Lock()
		if !prev.written {
			b.entries = append(append([]AuditEntry(nil), prev.entries...), e)
		}
		prev.mu.Unlock()
	}
	return context.WithValue(ctx, auditKey{}, b)
}

// adminTarget names the admin adm as an audit target.
func adminTarget(adm *Admin) AuditTarget {
	if adm.Scope != nil { // a person with an admin role
		return AuditTarget{Kind: "person", ID: adm.ID, Name: adm.Name}
	}
	return AuditTarget{Kind: "admin", ID: adm.ID, Name: adm.Username}
}

// flushAudit writes the entries in ctx that no store write has taken, for a
// change that may not have written to the database (nothing was held).
func (a *App) flushAudit(ctx context.Context) error { return a.Store.AppendAudit(ctx) }

// AuditStore keeps the audit log.
type AuditStore interface {
	// AppendAudit writes the entries pending in ctx in a transaction of
	// their own, for changes that are not in the database (a listener opened).
	AppendAudit(ctx context.Context) error
	// AuditEntries returns the entries that pass f, newest first, at most
	// f.Limit, and the cursor of the next page ("" when there is none).
	AuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, string, error)
	// PruneAudit removes the entries keep rejects among those older than
	// before; it returns how many it removed.
	PruneAudit(ctx context.Context, before time.Time, keep func(e *AuditEntry) bool) (int, error)
	// ForgetPersonInAudit drops the person's name from every entry that
	// names them (AuditEntry.Forget).
	ForgetPersonInAudit(ctx context.Context, personID string) error
}

// AuditFilter selects audit entries. Empty fields select everything.
type AuditFilter struct {
	OrgID string
	// Actor matches the actor's kind, ID or name (case-insensitive part).
	Actor string
	// Action matches an action exactly, or a prefix ending in "." (user.).
	Action string
	// Person is a person's ID: entries with them as actor, target or touched.
	Person string
	From   time.Time // inclusive
	To     time.Time // exclusive
	// Cursor is where the previous page ended; Limit caps the page (0: all).
	Cursor string
	Limit  int
}

// Match reports whether e passes the filter (the cursor and limit aside).
func (f *AuditFilter) Match(e *AuditEntry) bool {
	if f.OrgID != "" && e.OrgID != f.OrgID {
		return false
	}
	if f.Action != "" && e.Action != f.Action && !(strings.HasSuffix(f.Action, ".") && strings.HasPrefix(e.Action, f.Action)) {
		return false
	}
	if f.Person != "" && !e.Involves(f.Person) {
		return false
	}
	if !f.From.IsZero() && e.Time.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !e.Time.Before(f.To) {
		return false
	}
	if f.Actor != "" {
		q := strings.ToLower(f.Actor)
		if e.Actor.Kind != q && e.Actor.ID != f.Actor && !strings.Contains(strings.ToLower(e.Actor.Name), q) {
			return false
		}
	}
	return true
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	// Next is the cursor of the next (older) page; "" on the last page.
	Next string `json:"next,omitempty"`
}

// MaxAuditPage caps one page of the audit log.
const MaxAuditPage = 500

// AuditLog returns a page of the audit log that passes f, newest first. An
// organization given by slug or ID selects its entries. Limit 0 means 100;
// a negative limit means every entry (for exports).
func (a *App) AuditLog(ctx context.Context, org string, f AuditFilter) (*AuditPage, error) {
	if org != "" {
		o, err := a.Organization(ctx, org)
		if err != nil {
			return nil, err
		}
		f.OrgID = o.ID
	} else if err := RequireServerAdmin(ctx); err != nil {
		return nil, err // the whole installation's log
	}
	if f.Person != "" { // a username or email names the person too
		if u, err := a.Store.UserByLogin(ctx, Key(f.Person)); err == nil {
			f.Person = u.ID
		}
	}
	switch {
	case f.Limit == 0:
		f.Limit = 100
	case f.Limit < 0:
		f.Limit = 0
	case f.Limit > MaxAuditPage:
		f.Limit = MaxAuditPage
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, FieldError(EINVALID, "to", "The end of the date range must come after its start.")
	}
	entries, next, err := a.Store.AuditEntries(ctx, f)
	if err != nil {
		return nil, err
	}
	if entries == nil {
		entries = []AuditEntry{}
	}
	return &AuditPage{Entries: entries, Next: next}, nil
}

// AuditTable is the audit log as rows for a spreadsheet, a header first;
// the transport writes them with app/sheet (formula-safe CSV).
func (a *App) AuditTable(ctx context.Context, org string, f AuditFilter) ([][]string, error) {
	f.Limit = -1
	page, err := a.AuditLog(ctx, org, f)
	if err != nil {
		return nil, err
	}
	orgs, err := a.Store.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	slugs := map[string]string{}
	for _, o := range orgs {
		slugs[o.ID] = o.Slug
	}
	rows := [][]string{{"time", "organization", "actor", "actor_id", "actor_name", "action", "target", "target_id", "target_name", "detail"}}
	for _, e := range page.Entries {
		rows = append(rows, []string{e.Time.UTC().Format(time.RFC3339), slugs[e.OrgID], e.Actor.Kind, e.Actor.ID, e.Actor.Name,
			e.Action, e.Target.Kind, e.Target.ID, e.Target.Name, e.Detail})
	}
	return rows, nil
}

// PruneAudit removes the audit entries older than their organization's
// retention (AuditRetentionDays, default 730 days) on the app's clock.
// Entries of no organization (admins, backups) are kept as long as the
// longest retention of any organization. It returns how many it removed.
// The scheduler calls it with the actor "system".
func (a *App) PruneAudit(ctx context.Context) (int, error) {
	orgs, err := a.Store.Organizations(ctx)
	if err != nil {
		return 0, err
	}
	now := a.now()
	cutoff := map[string]time.Time{}
	longest := DefaultAuditRetentionDays
	if len(orgs) > 0 {
		longest = 0
	}
	for _, o := range orgs {
		days := o.auditRetentionDays()
		cutoff[o.ID] = now.AddDate(0, 0, -days)
		longest = max(longest, days)
	}
	cutoff[""] = now.AddDate(0, 0, -longest)
	latest := now.AddDate(0, 0, -minRetention(orgs))
	return a.Store.PruneAudit(ctx, latest, func(e *AuditEntry) bool {
		c, ok := cutoff[e.OrgID]
		if !ok { // an organization that is gone: the default retention
			c = now.AddDate(0, 0, -DefaultAuditRetentionDays)
		}
		return !e.Time.Before(c)
	})
}

// minRetention is the shortest retention of any organization in days (the
// default when there is none): no entry newer than that is ever removed.
func minRetention(orgs []*Organization) int {
	days := DefaultAuditRetentionDays
	for _, o := range orgs {
		days = min(days, o.auditRetentionDays())
	}
	return days
}

// auditRetentionDays is how long the organization keeps audit entries.
func (o *Organization) auditRetentionDays() int {
	if o.AuditRetentionDays <= 0 {
		return DefaultAuditRetentionDays
	}
	return o.AuditRetentionDays
}

// Backup records that a copy of the database was taken: write makes the copy
// (the store's consistent hot backup) and, once it has succeeded, one audit
// entry says who took it and its size.
func (a *App) Backup(ctx context.Context, write func() (int64, error)) (int64, error) {
	if err := RequireServerAdmin(ctx); err != nil {
		return 0, err
	}
	n, err := write()
	if err != nil {
		return n, err
	}
	ctx = a.audit(ctx, "", "database.backup", AuditTarget{Kind: "database", Name: "database"}, fmt.Sprintf("%d bytes", n))
	return n, a.Store.AppendAudit(ctx)
}

// accountName is the display name of an admin's or a person's account, ""
// when it is gone.
func (a *App) accountName(ctx context.Context, id string) string {
	if adm, err := a.Store.Admin(ctx, id); err == nil {
		return adm.Username
	}
	if u, err := a.Store.User(ctx, "", id); err == nil {
		return auditName(u)
	}
	return ""
}

// changedFields names the fields an update sets (its non-nil pointer
// fields, by JSON name), never their values: "changed name, password".
func changedFields(upd any) string {
	v := reflect.ValueOf(upd)
	var names []string
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			names = append(names, strings.ReplaceAll(name, "_", " "))
		}
	}
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}

func groupTarget(g *Group) AuditTarget { return AuditTarget{Kind: "group", ID: g.ID, Name: g.Name} }

func orgTarget(o *Organization) AuditTarget {
	return AuditTarget{Kind: "organization", ID: o.ID, Name: o.Name}
}

// codeTarget names the invite code of the organization or of group g (never
// the code itself).
func codeTarget(org *Organization, g *Group) AuditTarget {
	if g != nil {
		return AuditTarget{Kind: "invite code", ID: g.ID, Name: g.Name}
	}
	return AuditTarget{Kind: "invite code", ID: org.ID, Name: org.Name}
}

func linkTarget(l *InviteLink) AuditTarget {
	name := l.Name
	if name == "" {
		name = "invite link"
	}
	return AuditTarget{Kind: "invite link", ID: l.ID, Name: name}
}

// auditLink attaches action on the invite link id to ctx. Errors: ENOTFOUND.
func (a *App) auditLink(ctx context.Context, org *Organization, id, action, detail string) (context.Context, error) {
	l, err := a.Store.InviteLink(ctx, org.ID, id)
	if err != nil {
		return ctx, err
	}
	return a.audit(ctx, org.ID, action, linkTarget(l), detail), nil
}

// auditInvitation attaches action on invitation id to ctx; the invited
// person is the target. Errors: ENOTFOUND.
func (a *App) auditInvitation(ctx context.Context, org *Organization, id, action, detail string) (context.Context, error) {
	inv, err := a.Store.Invitation(ctx, org.ID, id)
	if err != nil {
		return ctx, err
	}
	if !ScopeOf(ctx).hasGroups(inv.Groups) {
		return ctx, errNotYourGrp
	}
	name := inv.Name
	if name == "" {
		name = inv.Email
	}
	return a.audit(ctx, org.ID, action, AuditTarget{Kind: "person", ID: inv.UserID, Name: name}, detail), nil
}

// Record runs change, made outside the database by a transport (the sign-up
// listener opened or closed), and once it has succeeded writes one audit
// entry for it in a transaction of its own.
// Such changes are to the whole installation: only a server admin makes them.
func (a *App) Record(ctx context.Context, action string, target AuditTarget, detail string, change func() error) error {
	if err := RequireServerAdmin(ctx); err != nil {
		return err
	}
	if err := change(); err != nil {
		return err
	}
	return a.flushAudit(a.audit(ctx, "", action, target, detail))
}

// differentFields names the fields (by JSON name) whose values differ
// between two values of one struct type, never the values themselves; times
// of creation and change are left out.
func differentFields(old, cur any) string {
	a, b := reflect.ValueOf(old), reflect.ValueOf(cur)
	var names []string
	for i := 0; i < a.NumField(); i++ {
		name, _, _ := strings.Cut(a.Type().Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" || name == "created_at" || name == "updated_at" {
			continue
		}
		if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			names = append(names, strings.ReplaceAll(name, "_", " "))
		}
	}
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}
