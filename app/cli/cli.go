// Package cli is Rollcall's command line: every subcommand (one file per
// entity) and the one place that builds the running system for `serve` and
// the desktop window.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"rollcall/app"
	"rollcall/app/keyfile"
	"rollcall/app/mail"
	"rollcall/app/oidc"
	"rollcall/app/sms"
	"rollcall/store"
	"runtime/debug"
	"strings"
)

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
	// Version is what `rollcall version` prints ("dev" when empty); Icon is
	// the desktop window's icon.
	Version string
	Icon    []byte

	// appHook, when set, sees every app newApp builds (a test seam: tests
	// wrap its store to count what a command asks of it).
	appHook func(*app.App)
}

// New is the command line of the rollcall binary, on the process's own
// standard streams and environment.
func New(version string, icon []byte) *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Version: version, Icon: icon}
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
  rollcall admin set-password|disable|enable|delete  change an existing admin
  rollcall org create|set|list  manage organizations
  rollcall group create         create a class or department
  rollcall users list           list the users of an organization
  rollcall users create         accounts for pupils without email, with printable slips
  rollcall users reset-passwords  new passwords and slips for users or a group
  rollcall users export         everything about one person, as JSON or a one-page PDF
  rollcall users erase          erase one person and everything about them, now
  rollcall users roles          make a person an admin of their organization or of groups
  rollcall code show|new|poster an organization's or a group's invite code
  rollcall smtp set|test        the organization's mail relay for invitations
  rollcall app add|list|remove  connected apps that sign people in through Rollcall (OpenID Connect);
                                app rotate-key: a new ID-token signing key
  rollcall scim token add|list|revoke  bearer tokens of the school's directory (SCIM provisioning)
  rollcall badges new|print|void|allow  QR sign-in badges of a person, a group or the organization
  rollcall import FILE          import people from a CSV or Excel file (import template: a template)
  rollcall export --org SLUG --format F OUT  the people of an organization or group for another system
                                (csv, xlsx, oneroster, google, entra, moodle)
  rollcall backup OUT           write a consistent copy of the database
  rollcall restore BACKUP       put a backup in place of the database (the current state is backed up first)
  rollcall rollover --org SLUG  year-end rollover: every class to its next class (--dry-run to preview)
  rollcall check                check the database file for damage
  rollcall compact              rewrite the database file with its live pages only (smaller)
  rollcall audit [--org SLUG] [--since DATE] [--action A] [--csv]  who changed what, newest first
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
	case errors.As(err, new(*store.DamagedError)):
		fmt.Fprintf(m.Stderr, "rollcall: %v\n", err) // names the file and the way out
		return 1
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
	if cmd != "serve" {
		// Changes made by a command are the command line's in the audit
		// log; under serve each request names its own actor.
		ctx = app.WithActor(ctx, app.CLIActor)
	}
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
	case cmd == "restore":
		return m.runRestore(ctx, rest)
	case cmd == "rollover":
		return m.runRollover(ctx, rest)
	case cmd == "check":
		return m.runCheck(ctx, rest)
	case cmd == "compact":
		return m.runCompact(ctx, rest)
	case cmd == "audit":
		return m.runAudit(ctx, rest)
	case cmd == "admin" && sub == "create":
		return m.runAdminCreate(ctx, rest[1:])
	case cmd == "admin" && (sub == "set-password" || sub == "disable" || sub == "enable" || sub == "delete"):
		return m.runAdminChange(ctx, sub, rest[1:])
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
	case cmd == "users" && sub == "export":
		return m.runUsersExport(ctx, rest[1:])
	case cmd == "users" && sub == "erase":
		return m.runUsersErase(ctx, rest[1:])
	case cmd == "users" && sub == "roles":
		return m.runUsersRoles(ctx, rest[1:])
	case cmd == "code" && (sub == "show" || sub == "new" || sub == "poster"):
		return m.runCode(ctx, sub, rest[1:])
	case cmd == "badges" && (sub == "new" || sub == "print" || sub == "void" || sub == "allow"):
		return m.runBadges(ctx, sub, rest[1:])
	case cmd == "export":
		return m.runExport(ctx, rest)
	case cmd == "import" && sub == "template":
		return m.runImportTemplate(rest[1:])
	case cmd == "import":
		return m.runImport(ctx, rest)
	case cmd == "smtp" && sub == "set":
		return m.runSMTPSet(ctx, rest[1:])
	case cmd == "smtp" && sub == "test":
		return m.runSMTPTest(ctx, rest[1:])
	case cmd == "app" && (sub == "add" || sub == "list" || sub == "remove" || sub == "rotate-key"):
		return m.runApp(ctx, sub, rest[1:])
	case cmd == "scim" && sub == "token" && len(rest) > 1 && (rest[1] == "add" || rest[1] == "list" || rest[1] == "revoke"):
		return m.runSCIMToken(ctx, rest[1], rest[2:])
	case cmd == "admin" || cmd == "org" || cmd == "group" || cmd == "users" || cmd == "smtp" || cmd == "code" || cmd == "app" || cmd == "badges" || cmd == "scim":
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
	return m.open(p)
}

// open opens the database at path, showing on standard error how a
// conversion to this Rollcall's format goes and where the backup taken
// before it is.
func (m *Main) open(path string) (*store.DB, error) {
	last := ""
	db, err := store.OpenWith(path, store.Options{Progress: func(step string, done, total int) {
		if step != last && last != "" {
			fmt.Fprintln(m.Stderr)
		}
		last = step
		if total > 1 {
			fmt.Fprintf(m.Stderr, "\r%s: %d of %d", step, done, total)
		} else {
			fmt.Fprintf(m.Stderr, "%s", step)
		}
	}})
	if last != "" {
		fmt.Fprintln(m.Stderr)
	}
	if err == nil && db.UpgradeBackup != "" {
		fmt.Fprintf(m.Stderr, "The database was converted to this Rollcall's format; the file as it was is backed up at %s.\n", db.UpgradeBackup)
	}
	return db, err
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
	a.SMSSender = &sms.Sender{}
	a.OIDC = oidc.New()
	a.Backups = app.BackupSettings{Dir: db.Path + ".backups", Keep: app.DefaultBackupKeep}
	if m.appHook != nil {
		m.appHook(a)
	}
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

func (m *Main) runVersion(args []string) error {
	fs := m.flags("version", "version")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	v := m.Version
	if v == "" {
		v = "dev"
	}
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
