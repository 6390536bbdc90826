package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"rollcall/app"
	"rollcall/app/roster"
)

// exitStatus ends the command with a status other than 0, 1 or 2 after it
// has said what it has to say (import: 3 when some rows were skipped).
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// parseInterspersed parses flags that may come before and after the
// positional arguments (`import --org x FILE --result OUT`); a negative
// positional count -n asks for at least n.
func parseInterspersed(fs *flag.FlagSet, args []string, positional int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if positional < 0 && len(pos) >= -positional {
		return pos, nil
	}
	if positional < 0 {
		fs.Usage()
		return nil, usagef("%s takes at least %d argument(s), got %d", fs.Name(), -positional, len(pos))
	}
	if len(pos) != positional {
		fs.Usage()
		return nil, usagef("%s takes %d argument(s), got %d", fs.Name(), positional, len(pos))
	}
	return pos, nil
}

func (m *Main) runImportTemplate(args []string) error {
	fs := m.flags("import template", "import template --format csv|xlsx OUT")
	format := fs.String("format", "xlsx", "csv or xlsx")
	pos, err := parseInterspersed(fs, args, 1)
	if err != nil {
		return err
	}
	write := roster.WriteTemplateXLSX
	switch *format {
	case "xlsx":
	case "csv":
		write = roster.WriteTemplateCSV
	default:
		fs.Usage()
		return usagef("--format is csv or xlsx")
	}
	if _, err := writeFileAtomic(pos[0], func(w io.Writer) (int64, error) { return 0, write(w) }); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Template written to %s: one person per row; the columns are explained in it.\n", pos[0])
	return nil
}

// runImport: rollcall import --org SLUG [--dry-run] FILE [--result OUT].
func (m *Main) runImport(ctx context.Context, args []string) error {
	fs := m.flags("import", "import --org SLUG [--dry-run [--json]] [--create-groups] [--all-or-nothing] [--password-mode random|same] [--again]\n       [--type ACCOUNT_TYPE] [--replace-bad-passwords] [--columns FIELD,FIELD,... [--header]]\n       FILE.csv|FILE.xlsx|BUNDLE.zip|users.csv classes.csv enrollments.csv ... [--result OUT.csv|OUT.xlsx]\n       rollcall import template --format csv|xlsx OUT\n\nExit status: 0 when every row was created, 3 when some rows were skipped, 1 on failure.")
	org := fs.String("org", "", "the organization's slug (required)")
	dryRun := fs.Bool("dry-run", false, "show what would be created and why rows would be skipped; write nothing")
	asJSON := fs.Bool("json", false, "with --dry-run: print the preview as JSON")
	createGroups := fs.Bool("create-groups", false, "create the groups the file names that do not exist")
	allOrNothing := fs.Bool("all-or-nothing", false, "import nothing if any row has an error")
	mode := fs.String("password-mode", app.PasswordRandom, "random (a generated password for each person) or same (one password for all, read from standard input); rows with a password keep theirs")
	style := fs.String("password-style", "", "words or random (default: the organization's)")
	mustChange := fs.Bool("must-change", false, "ask each new person for a new password at the first sign-in (a row's change_password column wins)")
	again := fs.Bool("again", false, "import a file that was imported before")
	accountType := fs.String("type", "", "the account type of every row whose account type cell is empty")
	replaceBad := fs.Bool("replace-bad-passwords", false, "generate a password for each row whose password breaks the organization's rules (instead of skipping the row)")
	columns := fs.String("columns", "", "for a file without a header Rollcall knows: what each column holds, in order (first_name, last_name, full_name, email, username, password, account_type, groups, ..., or - to leave a column out)")
	header := fs.Bool("header", false, "with --columns: the file's first row names the columns")
	result := fs.String("result", "", "write the results file (every row with its status; usernames and passwords of the created accounts) to OUT.csv or OUT.xlsx")
	dbp := dbFlag(fs)
	pos, err := parseInterspersed(fs, args, -1)
	if err != nil {
		return err
	}
	if err := required(fs, "org"); err != nil {
		return err
	}
	resultFormat := strings.TrimPrefix(strings.ToLower(filepath.Ext(*result)), ".")
	if *result != "" && resultFormat != app.FormatCSV && resultFormat != app.FormatXLSX {
		return usagef("--result must end in .csv or .xlsx")
	}
	opt := app.ImportOptions{CreateGroups: *createGroups, AllOrNothing: *allOrNothing, PasswordMode: *mode, PasswordStyle: *style,
		MustChangePassword: *mustChange, Again: *again, AccountType: *accountType, ReplaceBadPasswords: *replaceBad}
	if *columns != "" {
		opt.Mapping = &app.ColumnMapping{Header: *header}
		for _, c := range strings.Split(*columns, ",") {
			if c = strings.TrimSpace(c); c == "-" {
				c = ""
			}
			opt.Mapping.Columns = append(opt.Mapping.Columns, c)
		}
	}
	// Read for a dry run too: the preview checks it against the policy,
	// as the import will.
	if *mode == app.PasswordSame {
		if opt.Password, err = m.readPassword("everyone in the file"); err != nil {
			return err
		}
	}
	f, err := readImportFiles(pos)
	if err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		if *dryRun {
			p, err := a.PreviewImport(ctx, *org, f, opt)
			if err != nil {
				return err
			}
			if *asJSON {
				enc := json.NewEncoder(m.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(p); err != nil {
					return err
				}
			} else {
				m.printPreview(p)
			}
			if p.Errors > 0 {
				return exitStatus(3)
			}
			return nil
		}
		// One plan: the summary shown is the import committed.
		pi, err := a.PrepareImport(ctx, *org, f, opt)
		if pi != nil {
			m.printSummary(pi.Preview)
		}
		if err != nil {
			if pi != nil && app.ErrorCode(err) == app.EINVALID && pi.Preview.Errors > 0 {
				m.printProblems(pi.Preview)
			}
			if pi != nil && app.ErrorCode(err) == app.ECONFLICT && len(pi.Preview.Previous) > 0 && !opt.Again {
				fmt.Fprintln(m.Stderr, "Add --again to import the same file again.")
			}
			return err
		}
		res, err := a.CommitPrepared(ctx, pi, m.progress("Hashing passwords"))
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Imported %s: %s created, %s skipped.\n", f.Name, app.Plural(res.Import.Created, "account"), app.Plural(res.Import.Skipped, "row"))
		if len(res.Import.GroupsCreated) > 0 {
			fmt.Fprintf(m.Stdout, "Groups created: %s.\n", strings.Join(res.Import.GroupsCreated, ", "))
		}
		if *result != "" {
			write := roster.WriteResultsCSV
			if resultFormat == app.FormatXLSX {
				write = roster.WriteResultsXLSX
			}
			if _, err := writeFileAtomic(*result, func(w io.Writer) (int64, error) { return 0, write(w, res) }); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "Results written to %s. It holds the new passwords: hand them out, then delete the file.\n", *result)
		} else {
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ROW\tSTATUS\tUSERNAME\tLOGIN EMAIL\tPASSWORD\tREASON")
			for _, r := range res.Rows {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Line, r.Status, oneLine(r.Username), oneLine(r.LoginEmail), r.Password, oneLine(r.Reason))
			}
			tw.Flush()
			fmt.Fprintln(m.Stdout, "These passwords are shown once. Use --result OUT.csv to save them to a file.")
		}
		if res.Import.Skipped > 0 {
			return exitStatus(3)
		}
		return nil
	})
}

// readImportFiles reads one roster file, or the CSV files of a OneRoster bundle.
func readImportFiles(paths []string) (*app.ImportFile, error) {
	if len(paths) == 1 {
		return readImportFile(paths[0])
	}
	var files []roster.File
	var total int64
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if total += st.Size(); total > roster.DefaultLimits.MaxBytes {
			return nil, app.Errorf(app.EINVALID, "The files are larger than %d MB together.", roster.DefaultLimits.MaxBytes>>20)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		files = append(files, roster.File{Name: filepath.Base(p), Data: data})
	}
	return roster.ReadFiles(files, roster.DefaultLimits)
}

func readImportFile(path string) (*app.ImportFile, error) {
	in, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return nil, err
	}
	return roster.Read(in, path, st.Size(), roster.DefaultLimits)
}

func (m *Main) printSummary(p *app.ImportPreview) {
	fi := p.File
	how := fi.Format
	if fi.Encoding != "" {
		how += ", " + fi.Encoding + ", " + fi.Delimiter + "-separated"
	}
	if fi.Sheet != "" {
		how += ", sheet " + fi.Sheet
	}
	if fi.Layout != "" {
		how += ", " + fi.Layout
	}
	if p.Mapping != nil && p.Mapping.Required {
		fmt.Fprintf(m.Stdout, "%s (%s): Rollcall does not know its columns. Say what each holds with --columns (and --header if the first row names them); the first row reads:\n", fi.Name, how)
		for i, c := range p.Mapping.Columns {
			fmt.Fprintf(m.Stdout, "  column %d: %s\n", i+1, oneLine(c.First))
		}
		return
	}
	fmt.Fprintf(m.Stdout, "%s (%s): %s — %d to create, %d with warnings, %d with errors, %d left out.\n", fi.Name, how, app.Plural(len(p.Rows), "row"), p.Create, p.Warnings, p.Errors, p.Skipped)
	if len(fi.Unknown) > 0 {
		fmt.Fprintf(m.Stdout, "Columns left out (not known to Rollcall, not stored): %s.\n", strings.Join(fi.Unknown, ", "))
	}
	if len(p.MissingGroups) > 0 {
		fmt.Fprintf(m.Stdout, "Groups that do not exist: %s%s.\n", strings.Join(p.MissingGroups, ", "),
			map[bool]string{true: " (they will be created)", false: " (use --create-groups to create them)"}[p.Options.CreateGroups])
	}
	for _, imp := range p.Previous {
		fmt.Fprintf(m.Stdout, "This file was imported before, on %s (%s created)%s.\n", imp.CreatedAt.Local().Format("2 Jan 2006 15:04"), app.Plural(imp.Created, "account"),
			map[bool]string{true: "", false: "; use --again to import it again"}[p.Options.Again])
	}
}

func (m *Main) printPreview(p *app.ImportPreview) {
	m.printSummary(p)
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tSTATUS\tFIRST NAME\tLAST NAME\tUSERNAME\tLOGIN EMAIL\tREASON")
	status := map[string]string{app.RowCreate: "create", app.RowWarning: "warning", app.RowError: "ERROR", app.RowSkip: "left out"}
	for _, r := range p.Rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Line, status[r.Status], oneLine(r.Values[app.ColFirstName]), oneLine(r.Values[app.ColLastName]), oneLine(r.Username), oneLine(r.LoginEmail), oneLine(r.Reason()))
	}
	tw.Flush()
}

func (m *Main) printProblems(p *app.ImportPreview) {
	for _, r := range p.Rows {
		if r.Status == app.RowError {
			fmt.Fprintf(m.Stderr, "  row %d: %s\n", r.Line, oneLine(r.Reason()))
		}
	}
}

// oneLine keeps a table row on one line whatever a cell holds.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '·'
		}
		return r
	}, s)
}
