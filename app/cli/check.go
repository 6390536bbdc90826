package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"rollcall/store"
)

// runCheck runs bbolt's full consistency check over the database file and
// says what it finds; exit status 1 when the file is damaged.
func (m *Main) runCheck(_ context.Context, args []string) error {
	fs := m.flags("check", "check [--db PATH]")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	path, err := m.dbPath(*dbp)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil { // check never creates a database
		return fmt.Errorf("there is no database file to check at %s: %w", path, err)
	}
	db, err := m.open(path)
	if errors.Is(err, store.ErrAlreadyOpen) {
		return fmt.Errorf("%w; `rollcall backup` copies it from the running server and checks the copy", err)
	} else if err != nil {
		return err
	}
	defer db.Close()
	problems, pages, err := db.CheckAll()
	if err != nil {
		return err
	}
	if len(problems) == 0 {
		fmt.Fprintf(m.Stdout, "%s: no problems found (%d pages checked).\n", path, pages)
		return nil
	}
	for i, p := range problems {
		if i == 20 {
			fmt.Fprintf(m.Stdout, "  ... and %d more\n", len(problems)-i)
			break
		}
		fmt.Fprintf(m.Stdout, "  %v\n", p)
	}
	return &store.DamagedError{Path: path, Problem: fmt.Sprintf("its check finds %d problem(s), the first: %v", len(problems), problems[0])}
}
