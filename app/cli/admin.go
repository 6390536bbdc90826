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
	"net/url"
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
	body, _ := json.Marshal(map[string]string{"username": *username, "password": password})
	if err := m.localOrServe(ctx, *dbp, func(a *app.App) error {
		_, err := a.CreateAdmin(ctx, *username, password, false)
		return err
	}, http.MethodPost, "/api/admins", body); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Admin %s created; they can sign in to `rollcall serve` now.\n", app.CleanUsername(*username))
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

// runAdminChange is `rollcall admin set-password|disable|enable|delete`:
// one change to an existing admin, through the running serve when it holds
// the file.
func (m *Main) runAdminChange(ctx context.Context, sub string, args []string) error {
	fs := m.flags("admin "+sub, "admin "+sub+" --username NAME [--db PATH]"+map[bool]string{true: "   (password on standard input)"}[sub == "set-password"])
	username := fs.String("username", "", "the admin's username (required)")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "username"); err != nil {
		return err
	}
	var password string
	if sub == "set-password" {
		var err error
		if password, err = m.readPassword(*username); err != nil {
			return err
		}
	}
	method, route, body := http.MethodPost, "/api/admins/"+url.PathEscape(*username)+"/"+sub, []byte(nil)
	switch sub {
	case "set-password":
		method, route = http.MethodPut, "/api/admins/"+url.PathEscape(*username)+"/password"
		body, _ = json.Marshal(map[string]string{"password": password})
	case "delete":
		method, route = http.MethodDelete, "/api/admins/"+url.PathEscape(*username)
	}
	if err := m.localOrServe(ctx, *dbp, func(a *app.App) error {
		var err error
		switch sub {
		case "set-password":
			_, err = a.SetAdminPassword(ctx, "", *username, password)
		case "disable", "enable":
			_, err = a.SetAdminDisabled(ctx, *username, sub == "disable")
		case "delete":
			err = a.DeleteAdmin(ctx, *username)
		}
		return err
	}, method, route, body); err != nil {
		return err
	}
	done := map[string]string{
		"set-password": "has a new password; their sessions have ended",
		"disable":      "is disabled and signed out",
		"enable":       "is enabled; they can sign in again",
		"delete":       "is deleted and signed out",
	}[sub]
	fmt.Fprintf(m.Stdout, "Admin %s %s.\n", app.CleanUsername(*username), done)
	return nil
}

// localOrServe runs local over the database, or, when `serve` holds the
// file, sends the same change to it as method route with the JSON body.
func (m *Main) localOrServe(ctx context.Context, dbFlagValue string, local func(a *app.App) error, method, route string, body []byte) error {
	path, err := m.dbPath(dbFlagValue)
	if err != nil {
		return err
	}
	db, err := m.open(path)
	if errors.Is(err, store.ErrAlreadyOpen) { // serve holds the file: ask it
		resp, err := callServer(ctx, path, method, route, bytes.NewReader(body))
		if err != nil {
			return err
		}
		return resp.Body.Close()
	} else if err != nil {
		return err
	}
	defer db.Close()
	return local(app.New(db))
}
