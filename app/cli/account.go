package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"rollcall/app"
	"rollcall/app/slips"
)

// listFlag collects a flag given several times (--group 3B --group Choir).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// outputs are the files a batch writes its one-time passwords to. Each is
// written to a 0600 temporary file in its directory and renamed into place
// only when complete (writeFileAtomic), so an existing file keeps its
// content until then and never keeps a wider mode. check runs before any
// account is created, so that a wrong path fails before passwords exist
// that could not be printed.
type outputs struct {
	slips, sheet, csv string
	// print is the paper and layout of the PDFs; Now is set when printing.
	print slips.Options
}

// output is one file asked for: its kind (slips.FileSlips, FileSheet or FileCSV) and path.
type output struct{ kind, path string }

func (o *outputs) files() []output {
	var fs []output
	for _, f := range []output{{slips.FileSlips, o.slips}, {slips.FileSheet, o.sheet}, {slips.FileCSV, o.csv}} {
		if f.path != "" {
			fs = append(fs, f)
		}
	}
	return fs
}

func (o *outputs) paths() []string {
	var ps []string
	for _, f := range o.files() {
		ps = append(ps, f.path)
	}
	return ps
}

// check refuses a paper or layout that does not exist and the same file
// named twice (usage errors) and a file that cannot be written: its
// directory must take a temporary file, and the path must not be a directory.
func (o *outputs) check() error {
	if err := o.print.Check(); err != nil {
		return usagef("%s", app.ErrorMessage(err))
	}
	seen := map[string]string{}
	for _, p := range o.paths() {
		abs, err := filepath.Abs(p)
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", p, err)
		}
		if q, ok := seen[abs]; ok {
			return usagef("%s and %s are the same file; give each output its own path", q, p)
		}
		seen[abs] = p
	}
	for _, p := range o.paths() {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return fmt.Errorf("cannot write %s: it is a directory", p)
		}
		f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*.tmp")
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", p, err)
		}
		f.Close()
		os.Remove(f.Name())
	}
	return nil
}

func (o *outputs) write(res *app.AccountResult) error {
	var errs []error
	for _, f := range o.files() {
		var b bytes.Buffer
		err := slips.Write(&b, f.kind, res, o.print)
		if err == nil {
			_, err = writeFileAtomic(f.path, b.WriteTo)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("write %s: %w", f.path, err))
		}
	}
	return errors.Join(errs...)
}

// progress prints "Hashing passwords: 350/1000 (35%)" to w: redrawn in
// place at a terminal, else a line per tenth.
func (m *Main) progress(what string) app.Progress {
	var mu sync.Mutex
	tty := isTerminal(m.Stderr)
	last := -1
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		pct := done * 100 / max(total, 1)
		switch {
		case tty:
			fmt.Fprintf(m.Stderr, "\r%s: %d/%d (%d%%)", what, done, total, pct)
			if done == total {
				fmt.Fprintln(m.Stderr)
			}
		case pct/10 != last/10 || done == total:
			if last < 100 {
				fmt.Fprintf(m.Stderr, "%s: %d/%d (%d%%)\n", what, done, total, pct)
			}
		}
		last = pct
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (m *Main) runUsersCreate(ctx context.Context, args []string) error {
	fs := m.flags("users create", "users create --org SLUG --names FILE --slips OUT.pdf [--group NAME]... [--type student] "+
		"[--password-mode random|same|given] [--password-style words|random] [--must-change] [--badges] [--sheet OUT.pdf] [--csv OUT.csv] "+
		"[--paper a4|letter] [--layout cutlines|avery] [--db PATH]\n\n"+
		"Creates an account for each person in FILE, one per line: \"First Last\", \"Last, First\", tab-separated\n"+
		"columns (first, last[, username][, password]) or a bare username. With --password-mode same the\n"+
		"password is read from standard input. Nothing is created if any line has a problem.")
	org := fs.String("org", "", "the organization's slug (required)")
	var groups listFlag
	fs.Var(&groups, "group", "put everyone in this group (name or ID); repeat for more")
	typ := fs.String("type", "", "account type (default: the organization's first, e.g. student)")
	mode := fs.String("password-mode", app.PasswordRandom, "random (a new password each), same (one for all, from standard input) or given (a column of FILE)")
	style := fs.String("password-style", "", "words (tiger-moon-47) or random (no look-alikes); default: the organization's")
	mustChange := fs.Bool("must-change", false, "ask for a new password at the first sign-in")
	badges := fs.Bool("badges", false, "also make each person a sign-in badge, printed on their slip (account types whose badge rule is badge)")
	names := fs.String("names", "", "file with one person per line (required)")
	out := outputFlags(fs)
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "org", "names", "slips"); err != nil {
		return err
	}
	if err := out.check(); err != nil {
		return err
	}
	text, err := os.ReadFile(*names)
	if err != nil {
		return err
	}
	b := app.AccountBatch{People: app.ParseNames(string(text)), AccountType: *typ, Groups: groups,
		PasswordMode: *mode, PasswordStyle: *style, MustChangePassword: *mustChange, Badges: *badges}
	if *mode == app.PasswordSame {
		if b.Password, err = m.readPassword("everyone"); err != nil {
			return err
		}
	}
	return m.withApp(*dbp, func(a *app.App) error {
		pa, err := a.PrepareAccounts(ctx, *org, b)
		if pa != nil && pa.Preview.Problems > 0 {
			for _, r := range pa.Preview.Rows {
				for field, msg := range r.Problems {
					fmt.Fprintf(m.Stderr, "line %d (%s): %s\n", r.Line, field, msg)
				}
			}
		}
		if err != nil {
			return err
		}
		o, err := a.Organization(ctx, *org)
		if err != nil {
			return err
		}
		if o.PublicURL == "" {
			fmt.Fprintf(m.Stderr, "Note: %s has no public URL, so the slips have no QR code. Set one with `rollcall org set --org %s --public-url URL`.\n", o.Name, o.Slug)
		}
		out.print.Now = a.Now()
		res, err := a.CreatePrepared(ctx, pa, m.progress("Hashing passwords"))
		if err != nil {
			return err
		}
		if err := out.write(res); err != nil {
			return fmt.Errorf("%d accounts were created but their passwords could not all be written (%w); reset their passwords to print new slips", len(res.Accounts), err)
		}
		fmt.Fprintf(m.Stdout, "%d accounts created in %s (%s).\n", len(res.Accounts), o.Name, pa.Preview.PasswordStyle+" passwords")
		m.wrote(out)
		return nil
	})
}

func (m *Main) wrote(out *outputs) {
	for _, p := range out.paths() {
		fmt.Fprintf(m.Stdout, "Wrote %s\n", p)
	}
	fmt.Fprintln(m.Stdout, "These files hold the only copy of the passwords: print them, then delete the files.")
}

func (m *Main) runUsersResetPasswords(ctx context.Context, args []string) error {
	fs := m.flags("users reset-passwords", "users reset-passwords --org SLUG (--group NAME | --username U ...) --slips OUT.pdf "+
		"[--csv OUT.csv] [--sheet OUT.pdf] [--password-style words|random] [--paper a4|letter] [--layout cutlines|avery] [--db PATH]\n\n"+
		"Gives each chosen user a new generated password, ends their sessions, and prints new slips.")
	org := fs.String("org", "", "the organization's slug (required)")
	group := fs.String("group", "", "reset every member of this group")
	var usernames listFlag
	fs.Var(&usernames, "username", "reset this user; repeat for more")
	style := fs.String("password-style", "", "words or random; default: the organization's")
	out := outputFlags(fs)
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *org == "" || out.slips == "" || (*group == "") == (len(usernames) == 0) {
		fs.Usage()
		return usagef("--org, --slips and either --group or --username are required")
	}
	if err := out.check(); err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		if _, err := a.Organization(ctx, *org); err != nil {
			return err
		}
		out.print.Now = a.Now()
		res, err := a.ResetPasswords(ctx, *org, app.ResetRequest{Group: *group, Usernames: usernames, PasswordStyle: *style}, m.progress("Hashing passwords"))
		if err != nil {
			return err
		}
		if err := out.write(res); err != nil {
			return fmt.Errorf("%d passwords were reset but could not all be written (%w); reset them again", len(res.Accounts), err)
		}
		fmt.Fprintf(m.Stdout, "%d passwords reset in %s.\n", len(res.Accounts), res.Org.Name)
		m.wrote(out)
		return nil
	})
}
