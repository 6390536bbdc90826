// Command rollcall adds people to an organization: a desktop window on a
// laptop, or `rollcall serve` on the school network, over one bbolt file.
package main

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"rollcall/app"
	"rollcall/app/httpapi"
	"rollcall/app/keyfile"
	"rollcall/app/mail"
	"rollcall/app/poster"
	"rollcall/store"
)

//go:embed all:frontend/dist
var dist embed.FS

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// Main is the program with its surroundings as fields, so tests run it end
// to end: m.Run(ctx, args) returns the exit status.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Listening, when set, is called with the address `serve` listens on.
	Listening func(addr string)
	// UserConfigDir finds the folder of the key file; nil means os.UserConfigDir.
	UserConfigDir func() (string, error)
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

const usage = `Rollcall adds people to an organization: pupils, teachers, staff.

Usage:
  rollcall                      open the desktop window (desktop builds only)
  rollcall serve [flags]        run the web server on this network
  rollcall admin create         create an admin who signs in under serve
  rollcall org create|set|list  manage organizations
  rollcall group create         create a class or department
  rollcall users list           list the users of an organization
  rollcall users create         accounts for pupils without email, with printable slips
  rollcall users reset-passwords  new passwords and slips for users or a group
  rollcall code show|new|poster an organization's or a group's invite code
  rollcall smtp set|test        the organization's mail relay for invitations
  rollcall import FILE          import people from a CSV or Excel file (import template: a template)
  rollcall backup OUT           write a consistent copy of the database
  rollcall version              print the version

Every command takes --help. The database is --db, else $ROLLCALL_DB, else
rollcall.db in the user's configuration folder.
`

// Run runs the command line args and returns the exit status: 0 on success,
// 1 on failure, 2 for a usage error.
func (m *Main) Run(ctx context.Context, args []string) int {
	err := m.run(ctx, args)
	var ue usageError
	var es exitStatus
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &es):
		return int(es)
	case errors.As(err, &ue):
		if ue.msg != "" {
			fmt.Fprintf(m.Stderr, "rollcall: %s\n", ue.msg)
		}
		return 2
	default:
		fmt.Fprintf(m.Stderr, "rollcall: %s\n", app.ErrorMessage(err))
		if app.ErrorCode(err) == app.EINTERNAL {
			fmt.Fprintf(m.Stderr, "  (%v)\n", err)
		}
		return 1
	}
}

func (m *Main) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return m.runDesktop(ctx)
	}
	cmd, rest := args[0], args[1:]
	sub := ""
	if len(rest) > 0 {
		sub = rest[0]
	}
	switch {
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	case cmd == "version":
		return m.runVersion(rest)
	case cmd == "serve":
		return m.runServe(ctx, rest)
	case cmd == "backup":
		return m.runBackup(ctx, rest)
	case cmd == "admin" && sub == "create":
		return m.runAdminCreate(ctx, rest[1:])
	case cmd == "org" && sub == "create":
		return m.runOrgCreate(ctx, rest[1:])
	case cmd == "org" && sub == "set":
		return m.runOrgSet(ctx, rest[1:])
	case cmd == "org" && sub == "list":
		return m.runOrgList(ctx, rest[1:])
	case cmd == "group" && sub == "create":
		return m.runGroupCreate(ctx, rest[1:])
	case cmd == "users" && sub == "list":
		return m.runUsersList(ctx, rest[1:])
	case cmd == "users" && sub == "create":
		return m.runUsersCreate(ctx, rest[1:])
	case cmd == "users" && sub == "reset-passwords":
		return m.runUsersResetPasswords(ctx, rest[1:])
	case cmd == "code" && (sub == "show" || sub == "new" || sub == "poster"):
		return m.runCode(ctx, sub, rest[1:])
	case cmd == "import" && sub == "template":
		return m.runImportTemplate(rest[1:])
	case cmd == "import":
		return m.runImport(ctx, rest)
	case cmd == "smtp" && sub == "set":
		return m.runSMTPSet(ctx, rest[1:])
	case cmd == "smtp" && sub == "test":
		return m.runSMTPTest(ctx, rest[1:])
	case cmd == "admin" || cmd == "org" || cmd == "group" || cmd == "users" || cmd == "smtp" || cmd == "code":
		fmt.Fprint(m.Stderr, usage)
		return usagef("%q needs a subcommand", cmd)
	default:
		fmt.Fprint(m.Stderr, usage)
		return usagef("unknown command %q", cmd)
	}
}

// flags returns a FlagSet whose --help prints the command's synopsis.
func (m *Main) flags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: rollcall %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, turning flag mistakes into usage errors, and checks the
// number of positional arguments.
func parse(fs *flag.FlagSet, args []string, positional int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{} // flag has printed the problem and the usage
	}
	if fs.NArg() != positional {
		fs.Usage()
		return usagef("%s takes %d argument(s), got %d", fs.Name(), positional, fs.NArg())
	}
	return nil
}

// required returns a usage error naming the flags a command needs when any
// of them was left empty ("--org and --name are required").
func required(fs *flag.FlagSet, names ...string) error {
	flags := make([]string, len(names))
	missing := false
	for i, n := range names {
		flags[i] = "--" + n
		missing = missing || fs.Lookup(n).Value.String() == ""
	}
	if !missing {
		return nil
	}
	fs.Usage()
	list, verb := flags[0], "is"
	if len(flags) > 1 {
		list, verb = strings.Join(flags[:len(flags)-1], ", ")+" and "+flags[len(flags)-1], "are"
	}
	return usagef("%s %s required", list, verb)
}

func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", "", "database file (default $ROLLCALL_DB, else rollcall/rollcall.db in the user config folder)")
}

// dbPath resolves the database path: the flag, $ROLLCALL_DB, or the user
// configuration folder (created 0700).
func (m *Main) dbPath(flagValue string) (string, error) {
	p := flagValue
	if p == "" {
		p = m.Getenv("ROLLCALL_DB")
	}
	if p == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("find the configuration folder (set --db or ROLLCALL_DB): %w", err)
		}
		p = filepath.Join(dir, "rollcall", "rollcall.db")
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", fmt.Errorf("create the folder for %s: %w", p, err)
	}
	return p, nil
}

func (m *Main) openDB(flagValue string) (*store.DB, error) {
	p, err := m.dbPath(flagValue)
	if err != nil {
		return nil, err
	}
	return store.Open(p)
}

// withApp opens the database, runs fn with the app over it, and closes it.
func (m *Main) withApp(dbFlagValue string, fn func(a *app.App) error) error {
	db, err := m.openDB(dbFlagValue)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(m.newApp(db))
}

// newApp is the app over db with the key file and the SMTP mailer.
func (m *Main) newApp(db *store.DB) *app.App {
	a := app.New(db)
	if p, err := m.keyPath(); err != nil {
		a.Secrets = keyfile.Unavailable(err) // only what seals or opens a secret fails
	} else {
		a.Secrets = keyfile.New(p)
	}
	a.Mailer = &mail.Mailer{}
	return a
}

// keyPath is the key file that seals the relay password and waiting links:
// $ROLLCALL_KEY_FILE, else secret.key in the user's configuration folder,
// deliberately not beside the database, so a copied database alone opens
// nothing. Without a configuration folder it is an error, never a guess
// (such as the current folder, where the key would land beside whatever
// is there and be lost when run from elsewhere).
func (m *Main) keyPath() (string, error) {
	if p := m.Getenv("ROLLCALL_KEY_FILE"); p != "" {
		return p, nil
	}
	configDir := m.UserConfigDir
	if configDir == nil {
		configDir = os.UserConfigDir
	}
	dir, err := configDir()
	if err != nil || dir == "" {
		return "", fmt.Errorf("no place for the key file that protects the relay password and invitation links: the user's configuration folder is unknown (%v). Set ROLLCALL_KEY_FILE to a file outside the database's folder, e.g. ROLLCALL_KEY_FILE=/etc/rollcall/secret.key", err)
	}
	return filepath.Join(dir, "rollcall", "secret.key"), nil
}

func (m *Main) logger() *slog.Logger { return slog.New(slog.NewTextHandler(m.Stderr, nil)) }

// assets is the built frontend.
func assets() fs.FS {
	sub, err := fs.Sub(dist, "frontend/dist")
	if err != nil {
		panic(err)
	}
	return sub
}

func (m *Main) runVersion(args []string) error {
	fs := m.flags("version", "version")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + info.GoVersion
	}
	fmt.Fprintf(m.Stdout, "rollcall %s\n", v)
	return nil
}

// serveInfo is written beside the database while `serve` runs (mode 0600),
// so that `rollcall backup` and `rollcall admin create` can ask the running
// server. Whoever can read it can read and change the database file itself:
// it grants nothing more.
type serveInfo struct {
	Addr  string `json:"addr"`
	Token string `json:"token"`
	PID   int    `json:"pid"`
}

func serveInfoPath(db string) string { return db + ".serve" }

func (m *Main) runServe(ctx context.Context, args []string) error {
	fs := m.flags("serve", "serve [--addr 127.0.0.1:8080] [--public-addr 0.0.0.0:8081] [--db PATH] [--allow-host NAME,...]")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on; loopback by default, 0.0.0.0:8080 exposes it to the network")
	publicAddr := fs.String("public-addr", "", "also serve only the public sign-up pages here, e.g. 0.0.0.0:8081 for pupils' tablets on the school network (off by default)")
	dbp := dbFlag(fs)
	allow := fs.String("allow-host", "", "comma-separated host names the server is reached by, besides localhost and the organizations' public addresses")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	db, err := m.openDB(*dbp)
	if err != nil {
		return err
	}
	defer db.Close()
	a := m.newApp(db)
	a.Log = m.logger()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	defer ln.Close()
	token, err := a.NewToken()
	if err != nil {
		return err
	}
	hosts := listenHosts(ln.Addr())
	for _, h := range strings.Split(*allow, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	log := m.logger()
	srv := httpapi.New(httpapi.Config{App: a, Mode: httpapi.Serve, Assets: assets(), AllowedHosts: hosts,
		LocalToken: token, Backup: db.WriteBackup, Log: log, PublicAddr: *publicAddr})
	if *publicAddr != "" {
		st, err := srv.StartPublic(*publicAddr)
		if err != nil {
			return err
		}
		defer srv.StopPublic()
		fmt.Fprintf(m.Stdout, "Sign-up is open on this network at %s (public pages only).\n", strings.Join(st.URLs, ", "))
	}
	info, _ := json.Marshal(serveInfo{Addr: ln.Addr().String(), Token: token, PID: os.Getpid()})
	if _, err := store.WriteFileAtomic(serveInfoPath(db.Path), func(w io.Writer) (int64, error) {
		n, err := w.Write(info)
		return int64(n), err
	}); err != nil {
		return err
	}
	defer os.Remove(serveInfoPath(db.Path))

	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	// The outbox worker sends invitation mails while serve runs; it stops
	// before the database closes.
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan struct{})
	go func() { a.RunOutbox(workerCtx); close(workerDone) }()
	defer func() { stopWorker(); <-workerDone }()

	url := "http://" + displayAddr(ln.Addr())
	fmt.Fprintf(m.Stdout, "Rollcall is running at %s (database %s). Press Ctrl+C to stop.\n", url, db.Path)
	if p, err := m.keyPath(); err == nil {
		fmt.Fprintf(m.Stdout, "Relay passwords and waiting invitation links are sealed with the key file %s: keep it beside your backups.\n", p)
	}
	if needed, _ := a.SetupNeeded(ctx); needed {
		fmt.Fprintf(m.Stdout, "No admin yet: open %s on this computer to create one, or run `rollcall admin create`.\n", url)
	}
	if m.Listening != nil {
		m.Listening(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(shutdown)
}

// listenHosts returns the IPs the listener is reached by: its own, or every
// interface address when it listens on all of them.
func listenHosts(addr net.Addr) []string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil
	}
	if !tcp.IP.IsUnspecified() {
		return []string{tcp.IP.String()}
	}
	var out []string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			out = append(out, n.IP.String())
		}
	}
	return out
}

// displayAddr is the address to open in a browser: localhost for loopback
// or all-interfaces listeners.
func displayAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if ok && (tcp.IP.IsLoopback() || tcp.IP.IsUnspecified()) {
		return fmt.Sprintf("localhost:%d", tcp.Port)
	}
	return addr.String()
}

func (m *Main) runBackup(ctx context.Context, args []string) error {
	fs := m.flags("backup", "backup [--db PATH] OUT")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 1); err != nil {
		return err
	}
	out := fs.Arg(0)
	path, err := m.dbPath(*dbp)
	if err != nil {
		return err
	}
	var n int64
	db, err := store.Open(path)
	switch {
	case err == nil:
		n, err = db.Backup(out)
		db.Close()
	case errors.Is(err, store.ErrAlreadyOpen):
		n, err = backupFromServer(ctx, path, out)
	}
	if err != nil {
		return err
	}
	if err := store.Verify(out); err != nil {
		return fmt.Errorf("the backup %s does not pass its check: %w", out, err)
	}
	fmt.Fprintf(m.Stdout, "Backup written to %s (%d bytes), checked.\n", out, n)
	return nil
}

// callServer sends a request to the `serve` that holds the database file,
// with the local token from its note.
func callServer(ctx context.Context, dbPath, method, path string, body io.Reader) (*http.Response, error) {
	raw, err := os.ReadFile(serveInfoPath(dbPath))
	if err != nil {
		return nil, fmt.Errorf("%s is open in another Rollcall that is not `serve` (a desktop window?): close it first, or use the window", dbPath)
	}
	var info serveInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return nil, fmt.Errorf("read %s: %w", serveInfoPath(dbPath), err)
	}
	host := info.Addr
	if tcp, err := net.ResolveTCPAddr("tcp", info.Addr); err == nil && tcp.IP.IsUnspecified() {
		host = fmt.Sprintf("127.0.0.1:%d", tcp.Port)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+host+path, body)
	if err != nil {
		return nil, err
	}
	req.Host = "localhost"
	req.Header.Set("Authorization", "Bearer "+info.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ask the running `rollcall serve` (pid %d): %w", info.PID, err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		var e app.Error
		if json.NewDecoder(resp.Body).Decode(&e) == nil && e.Message != "" {
			return nil, &e
		}
		return nil, fmt.Errorf("the running `rollcall serve` answered %s", resp.Status)
	}
	return resp, nil
}

// backupFromServer asks the `serve` that holds the file for a copy, and
// refuses one shorter than the server announced.
func backupFromServer(ctx context.Context, dbPath, out string) (int64, error) {
	resp, err := callServer(ctx, dbPath, http.MethodGet, "/api/backup", nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return store.WriteFileAtomic(out, func(w io.Writer) (int64, error) {
		n, err := io.Copy(w, resp.Body)
		if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
			err = fmt.Errorf("the copy was cut short: %d of %d bytes", n, resp.ContentLength)
		}
		return n, err
	})
}

func (m *Main) runAdminCreate(ctx context.Context, args []string) error {
	fs := m.flags("admin create", "admin create --username NAME [--db PATH]   (password on standard input)")
	username := fs.String("username", "", "the admin's username (required)")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "username"); err != nil {
		return err
	}
	password, err := m.readPassword(*username)
	if err != nil {
		return err
	}
	path, err := m.dbPath(*dbp)
	if err != nil {
		return err
	}
	db, err := store.Open(path)
	if errors.Is(err, store.ErrAlreadyOpen) { // serve holds the file: ask it
		body, _ := json.Marshal(map[string]string{"username": *username, "password": password})
		resp, err := callServer(ctx, path, http.MethodPost, "/api/admins", bytes.NewReader(body))
		if err != nil {
			return err
		}
		resp.Body.Close()
	} else if err != nil {
		return err
	} else {
		defer db.Close()
		if _, err := app.New(db).CreateAdmin(ctx, *username, password, false); err != nil {
			return err
		}
	}
	fmt.Fprintf(m.Stdout, "Admin %s created; they can sign in to `rollcall serve` now.\n", app.Clean(*username))
	return nil
}

// readPassword reads a password: hidden and twice at a terminal, else the
// first line of standard input.
func (m *Main) readPassword(username string) (string, error) {
	if f, ok := m.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(m.Stderr, "Password for %s (%s): ", username, app.AdminPasswordPolicy)
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(m.Stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(m.Stderr, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(m.Stderr)
		if err != nil {
			return "", err
		}
		if string(p1) != string(p2) {
			return "", errors.New("the two passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(m.Stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("give the password on standard input, e.g. `echo \"$PW\" | rollcall admin create --username NAME`")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (m *Main) runOrgCreate(ctx context.Context, args []string) error {
	fs := m.flags("org create", `org create --name "Maple Primary" [--kind school|enterprise] [--slug maple] [--db PATH]`)
	name := fs.String("name", "", "the organization's name (required)")
	kind := fs.String("kind", app.KindSchool, "school (students, teachers, admins) or enterprise (learners, creators, admins)")
	slug := fs.String("slug", "", "short name for the command line and addresses (default: from the name)")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "name"); err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		o, err := a.CreateOrganization(ctx, &app.Organization{Name: *name, Kind: *kind, Slug: *slug})
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Organization %s created (slug %s, %s).\n", o.Name, o.Slug, o.Kind)
		return nil
	})
}

func (m *Main) runOrgSet(ctx context.Context, args []string) error {
	fs := m.flags("org set", "org set --org SLUG [--name NAME] [--public-url URL] [--login-domain DOMAIN] [--language CODE] [--db PATH]")
	org := fs.String("org", "", "the organization's slug (required)")
	var upd app.OrganizationUpdate
	fields := map[string]**string{"name": &upd.Name, "public-url": &upd.PublicURL, "login-domain": &upd.LoginDomain, "language": &upd.Language}
	help := map[string]string{
		"name":         "new name",
		"public-url":   "base address of links and QR codes, e.g. https://rollcall.maple.example (empty to clear)",
		"login-domain": "domain for generated login emails, e.g. pupils.maple.example (empty to clear)",
		"language":     "default language code, e.g. en, fi, sv, de",
	}
	for name := range fields {
		fs.String(name, "", help[name])
	}
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "org"); err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		if dst, ok := fields[f.Name]; ok {
			v := f.Value.String()
			*dst = &v
		}
	})
	return m.withApp(*dbp, func(a *app.App) error {
		o, err := a.UpdateOrganization(ctx, *org, upd)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Organization %s updated.\n", o.Name)
		return nil
	})
}

func (m *Main) runOrgList(ctx context.Context, args []string) error {
	fs := m.flags("org list", "org list [--db PATH]")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		orgs, err := a.Organizations(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SLUG\tNAME\tKIND\tLANGUAGE\tPUBLIC URL")
		for _, o := range orgs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.Slug, o.Name, o.Kind, o.Language, o.PublicURL)
		}
		return tw.Flush()
	})
}

func (m *Main) runGroupCreate(ctx context.Context, args []string) error {
	fs := m.flags("group create", "group create --org SLUG --name 3B [--kind class|department] [--type ACCOUNT_TYPE] [--db PATH]")
	org := fs.String("org", "", "the organization's slug (required)")
	name := fs.String("name", "", "the group's name (required)")
	kind := fs.String("kind", app.GroupClass, "class or department")
	typ := fs.String("type", "", "default account type of people who join (default: student/learner; teacher for departments)")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "org", "name"); err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		g, err := a.CreateGroup(ctx, *org, &app.Group{Name: *name, Kind: *kind, DefaultAccountType: *typ})
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Group %s created (%s, new members are %ss).\n", g.Name, g.Kind, g.DefaultAccountType)
		return nil
	})
}

func (m *Main) runUsersList(ctx context.Context, args []string) error {
	fs := m.flags("users list", "users list --org SLUG [--group NAME] [--json] [--db PATH]")
	org := fs.String("org", "", "the organization's slug (required)")
	group := fs.String("group", "", "only the members of this group")
	asJSON := fs.Bool("json", false, "print JSON, one array of users")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "org"); err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		groups, err := a.Groups(ctx, *org)
		if err != nil {
			return err
		}
		groupName := map[string]string{}
		for _, g := range groups {
			groupName[g.ID] = g.Name
		}
		var users []*app.User
		for page := 1; ; page++ {
			p, err := a.Users(ctx, *org, app.UserFilter{Group: *group, Page: page, PerPage: app.MaxPerPage})
			if err != nil {
				return err
			}
			users = append(users, p.Users...)
			if len(users) >= p.Total || len(p.Users) == 0 {
				break
			}
		}
		if *asJSON {
			if users == nil {
				users = []*app.User{}
			}
			enc := json.NewEncoder(m.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(users)
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "LAST NAME\tFIRST NAME\tUSERNAME\tEMAIL\tTYPE\tSTATUS\tGROUPS")
		for _, u := range users {
			names := make([]string, len(u.Groups))
			for i, id := range u.Groups {
				names[i] = groupName[id]
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.LastName, u.FirstName, u.Username, u.Email, u.AccountType, u.Status, strings.Join(names, ", "))
		}
		fmt.Fprintf(tw, "(%d users)\n", len(users))
		return tw.Flush()
	})
}

// runCode shows an invite code, makes a new one, or writes its poster.
func (m *Main) runCode(ctx context.Context, sub string, args []string) error {
	synopsis := map[string]string{
		"show":   "code show --org SLUG [--group NAME] [--db PATH]",
		"new":    "code new --org SLUG [--group NAME] [--db PATH]   (the old code stops working)",
		"poster": "code poster --org SLUG [--group NAME] [--paper a4|letter] [--base URL] --out FILE.pdf [--db PATH]",
	}[sub]
	fs := m.flags("code "+sub, synopsis)
	org := fs.String("org", "", "the organization's slug (required)")
	group := fs.String("group", "", "the group's name; without it, the organization's own code")
	var paper, base, out *string
	if sub == "poster" {
		paper = fs.String("paper", poster.A4, "a4 or letter")
		base = fs.String("base", "", "the address pupils reach Rollcall by (default: the organization's public address)")
		out = fs.String("out", "", "the PDF file to write (required)")
	}
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	need := []string{"org"}
	if sub == "poster" {
		need = append(need, "out")
	}
	if err := required(fs, need...); err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		if sub == "poster" {
			var extra []string
			if *base != "" {
				extra = []string{*base}
			}
			f, err := a.CodePoster(ctx, *org, *group, extra, *base, *paper)
			if _, ok := app.ErrorDetails(err)["base"]; ok {
				o, oerr := a.Organization(ctx, *org)
				if oerr != nil {
					return oerr
				}
				return fmt.Errorf("%s has no public address, so the QR code has nowhere to lead: set one with `rollcall org set --org %s --public-url URL`, or give --base", o.Name, o.Slug)
			}
			if err != nil {
				return err
			}
			pdf, err := poster.PDF(f.Poster)
			if err != nil {
				return err
			}
			if _, err := store.WriteFileAtomic(*out, func(w io.Writer) (int64, error) {
				n, err := w.Write(pdf)
				return int64(n), err
			}); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "Poster for %s (code %s) written to %s.\n", f.Poster.Title, f.Poster.Code, *out)
			return nil
		}
		var c *app.InviteCode
		var err error
		if sub == "new" {
			c, err = a.RegenerateInviteCode(ctx, *org, *group)
		} else {
			c, err = a.InviteCodeOf(ctx, *org, *group)
		}
		if err != nil {
			return err
		}
		o, err := a.Organization(ctx, c.OrgID)
		if err != nil {
			return err
		}
		name := o.Name
		if c.GroupID != "" {
			g, err := a.Group(ctx, o.ID, c.GroupID)
			if err != nil {
				return err
			}
			name = g.Name
		}
		fmt.Fprintf(m.Stdout, "%s: code %s\n", name, c.Display())
		state := "works"
		switch {
		case !o.SignUp.Enabled:
			state = "does not work: sign-up is switched off for " + o.Name + " (Settings → Sign-up)"
		case c.Disabled:
			state = "is switched off"
		}
		fmt.Fprintf(m.Stdout, "  The code %s; %d sign-up(s)", state, c.Uses)
		if c.MaxUses > 0 {
			fmt.Fprintf(m.Stdout, " of %d allowed", c.MaxUses)
		}
		if c.RequireApproval {
			fmt.Fprint(m.Stdout, "; new people wait for approval")
		}
		fmt.Fprintln(m.Stdout, ".")
		if addr := a.CodeAddress(o, c, nil, ""); addr.URL != "" {
			fmt.Fprintf(m.Stdout, "  Sign-up address: %s\n", addr.URL)
		} else {
			fmt.Fprintf(m.Stdout, "  No public address is set, so there is no link or QR code yet: `rollcall org set --org %s --public-url URL`,\n  or open sign-up on this network (`rollcall serve --public-addr 0.0.0.0:8081`).\n", o.Slug)
		}
		return nil
	})
}
