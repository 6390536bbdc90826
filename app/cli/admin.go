package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"rollcall/app"
	"rollcall/store"
	"strings"

	"golang.org/x/term"
)

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
