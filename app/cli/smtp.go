package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"rollcall/app"
)

func (m *Main) runSMTPSet(ctx context.Context, args []string) error {
	fs := m.flags("smtp set", `smtp set --org SLUG --host H --port P --security starttls|tls|none [--username U --password-stdin] --from "Name <addr>" [--ca-file PEM] [--db PATH]`)
	org := fs.String("org", "", "the organization's slug (required)")
	var upd app.SMTPUpdate
	setFields := updateFlags(fs,
		updateFlag{"host", "the relay's host name, e.g. smtp.maple.example", &upd.Host},
		updateFlag{"security", "starttls (port 587; refused if the relay does not offer it), tls (port 465) or none (only to localhost)", &upd.Security},
		updateFlag{"username", "the relay account (empty: no sign-in)", &upd.Username},
		updateFlag{"from", `the sender, e.g. "Maple Primary <no-reply@maple.example>"`, &upd.From},
		updateFlag{"ca-file", "a PEM file of extra certificate authorities to trust (a school's private CA)", &upd.CAFile})
	port := fs.Int("port", 0, "the relay's port (587 for starttls, 465 for tls)")
	pwStdin := fs.Bool("password-stdin", false, "read the relay password from the first line of standard input")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "org"); err != nil {
		return err
	}
	setFields()
	if given(fs, "port") {
		upd.Port = port
	}
	if *pwStdin {
		b, err := io.ReadAll(io.LimitReader(m.Stdin, 4096))
		if err != nil {
			return err
		}
		line, _, _ := strings.Cut(string(b), "\n")
		p := strings.TrimRight(line, "\r")
		if p == "" {
			return usagef("--password-stdin: standard input is empty")
		}
		upd.Password = &p
	}
	return m.withApp(*dbp, func(a *app.App) error {
		v, err := a.SetSMTP(ctx, *org, upd)
		if err != nil {
			return err
		}
		pw := "no password"
		if v.PasswordSet {
			p, _ := m.keyPath() // sealing succeeded, so there is one
			pw = "password sealed with " + p
		}
		fmt.Fprintf(m.Stdout, "Mail relay of %s: %s:%d (%s), sender %s, %s.\n", *org, v.Host, v.Port, v.Security, v.From, pw)
		return nil
	})
}

func (m *Main) runSMTPTest(ctx context.Context, args []string) error {
	fs := m.flags("smtp test", "smtp test --org SLUG --to ADDR [--db PATH]")
	org := fs.String("org", "", "the organization's slug (required)")
	to := fs.String("to", "", "the address to send the test message to (required)")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "org", "to"); err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		res, err := a.TestSMTP(ctx, *org, *to)
		if err != nil {
			return err
		}
		if !res.OK {
			return errors.New(res.Headline + " " + res.Message)
		}
		fmt.Fprintln(m.Stdout, res.Headline)
		return nil
	})
}
