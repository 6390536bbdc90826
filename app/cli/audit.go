package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"rollcall/app"
	"rollcall/app/sheet"
)

// runAudit prints the audit log, newest first, or writes it as CSV.
func (m *Main) runAudit(ctx context.Context, args []string) error {
	fs := m.flags("audit", "audit [--org SLUG] [--since DATE] [--action A] [--csv] [--db PATH]")
	dbp := dbFlag(fs)
	org := fs.String("org", "", "only this organization's entries (its short name)")
	since := fs.String("since", "", "only entries from this date on (YYYY-MM-DD)")
	action := fs.String("action", "", `only this action, e.g. user.delete, or all of a kind: "user."`)
	asCSV := fs.Bool("csv", false, "write CSV (formula-safe, for Excel) instead of a table")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	f := app.AuditFilter{Action: *action}
	if *since != "" {
		t, err := time.Parse(time.DateOnly, *since)
		if err != nil {
			return usagef("--since %q is not a date; use YYYY-MM-DD", *since)
		}
		f.From = t
	}
	return m.withApp(*dbp, func(a *app.App) error {
		rows, err := a.AuditTable(ctx, *org, f)
		if err != nil {
			return err
		}
		if *asCSV {
			return sheet.WriteCSV(m.Stdout, rows)
		}
		if len(rows) == 1 {
			fmt.Fprintln(m.Stdout, "No audit entries match.")
			return nil
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tORGANIZATION\tACTOR\tACTION\tTARGET\tDETAIL")
		for _, r := range rows[1:] {
			actor := r[2]
			if r[4] != "" {
				actor += " " + r[4]
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r[0], r[1], actor, r[5], r[8], r[9])
		}
		return tw.Flush()
	})
}
