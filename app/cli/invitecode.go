package cli

import (
	"context"
	"fmt"
	"io"
	"rollcall/app"
	"rollcall/app/poster"
)

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
		paper = fs.String("paper", app.PaperA4, "a4 or letter")
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
			if _, err := writeFileAtomic(*out, func(w io.Writer) (int64, error) {
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
		v, err := a.ViewInviteCode(ctx, c, nil, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s: code %s\n", v.Name, v.Display)
		fmt.Fprintf(m.Stdout, "  The code %s; %s", v.StateText, app.Plural(c.Uses, "sign-up"))
		if c.MaxUses > 0 {
			fmt.Fprintf(m.Stdout, " of %d allowed", c.MaxUses)
		}
		if c.RequireApproval {
			fmt.Fprint(m.Stdout, "; new people wait for approval")
		}
		fmt.Fprintln(m.Stdout, ".")
		if v.URL != "" {
			fmt.Fprintf(m.Stdout, "  Sign-up address: %s\n", v.URL)
		} else {
			fmt.Fprintf(m.Stdout, "  No public address is set, so there is no link or QR code yet: `rollcall org set --org %s --public-url URL`,\n  or open sign-up on this network (`rollcall serve --public-addr 0.0.0.0:8081`).\n", *org)
		}
		return nil
	})
}
