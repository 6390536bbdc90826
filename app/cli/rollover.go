package cli

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"rollcall/app"
	"rollcall/app/roster"
)

func (m *Main) runRollover(ctx context.Context, args []string) error {
	fs := m.flags("rollover", "rollover --org SLUG [--plan FILE.csv] [--dry-run] [--leavers-delete-after DAYS] [--keep-leavers-active] [--db PATH]\n\n"+
		"Moves every class of the organization to its next class at the end of the school year (1A → 2A; the\n"+
		"highest year leaves), in one step, after a backup. Without --plan the next classes are suggested from\n"+
		"the names. A plan is a CSV file of two columns, class and next class (\"leavers\" for those who leave;\n"+
		"the class itself to stay); classes it does not name stay. Run it while `serve` is stopped, or use\n"+
		"Groups → Year-end rollover in the browser.")
	org := fs.String("org", "", "the organization's slug (required)")
	planFile := fs.String("plan", "", "CSV file of class,next class (default: the suggested plan)")
	dry := fs.Bool("dry-run", false, "show what would happen and change nothing")
	days := fs.Int("leavers-delete-after", app.DefaultLeaverDeleteDays, "days until leavers are deleted (0: no deletion date)")
	keepActive := fs.Bool("keep-leavers-active", false, "leavers can still sign in (default: they are deactivated)")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "org"); err != nil {
		return err
	}
	var moves []app.RolloverMove
	if *planFile != "" {
		var err error
		if moves, err = readRolloverPlan(*planFile); err != nil {
			return err
		}
	}
	return m.withApp(*dbp, func(a *app.App) error {
		plan, err := a.SuggestRollover(ctx, *org)
		if err != nil {
			return err
		}
		if moves != nil {
			plan.Moves = moves
		}
		plan.LeaverDeleteDays, plan.DeactivateLeavers = *days, !*keepActive
		if *dry {
			p, err := a.PreviewRollover(ctx, *org, *plan)
			if err != nil {
				return err
			}
			m.printRollover(p, "would move")
			fmt.Fprintln(m.Stdout, "Dry run: nothing was changed.")
			return nil
		}
		res, err := a.Rollover(ctx, *org, *plan)
		if err != nil {
			return err
		}
		m.printRollover(&res.RolloverPreview, "moved")
		saved := filepath.Join(a.Backups.Dir, res.Backup.Name)
		fmt.Fprintf(m.Stdout, "A backup of the state before was written to %s.\nTo undo: rollcall restore %s\n", saved, saved)
		return nil
	})
}

func (m *Main) printRollover(p *app.RolloverPreview, verb string) {
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tNEXT CLASS\tPEOPLE")
	for _, r := range p.Rows {
		to := r.To
		switch {
		case r.Leavers:
			to = "leavers"
		case to == "":
			to = "(stays)"
		case r.NewClass:
			to += " (new)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\n", r.From, to, r.People)
	}
	tw.Flush()
	leavers := "stay active"
	if p.DeactivateLeavers {
		leavers = "are deactivated"
	}
	if p.DeleteOn != "" {
		leavers += ", to be deleted on " + p.DeleteOn
	}
	fmt.Fprintf(m.Stdout, "%d people %s to their next class; %d leave (they %s).\n", p.Moving, verb, p.Leaving, leavers)
}

// readRolloverPlan reads class,next class rows; a first row whose first
// cell is "class" or "from" is a header.
func readRolloverPlan(path string) ([]app.RolloverMove, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text, _, err := roster.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = roster.Delimiter(text)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	moves := []app.RolloverMove{}
	for i, row := range rows {
		if len(row) == 0 || (len(row) == 1 && strings.TrimSpace(row[0]) == "") {
			continue
		}
		if i == 0 && (app.Key(row[0]) == "class" || app.Key(row[0]) == "from") {
			continue
		}
		if len(row) < 2 {
			return nil, fmt.Errorf("%s, line %d: give the class and its next class, separated by a comma", path, i+1)
		}
		moves = append(moves, app.RolloverMove{From: row[0], To: row[1]})
	}
	return moves, nil
}
