package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"rollcall/app"
	"rollcall/app/slips"
)

// runBadges makes, prints or voids sign-in badges, or sets which account
// types have them (app/badge.go).
func (m *Main) runBadges(ctx context.Context, sub string, args []string) error {
	synopsis := map[string]string{
		"new":   "badges new --org SLUG [--group G] [--user U] --out badges.pdf [--paper a4|letter] [--layout cutlines|avery] [--db PATH]   (old badges of those people stop working)",
		"print": "badges print --org SLUG [--group G] [--user U] --out badges.pdf [--paper a4|letter] [--layout cutlines|avery] [--db PATH]   (only people without a badge)",
		"void":  "badges void --org SLUG [--group G] [--user U] [--db PATH]   (without --group and --user: the whole organization)",
		"allow": "badges allow --org SLUG --type ACCOUNT_TYPE --rule badge|badge_pin|off [--db PATH]",
	}[sub]
	fs := m.flags("badges "+sub, synopsis)
	org := fs.String("org", "", "the organization's slug (required)")
	var group, user, out, paper, layout, typ, rule *string
	if sub == "allow" {
		typ = fs.String("type", "", "the account type, e.g. student (required)")
		rule = fs.String("rule", "", "badge (the badge alone), badge_pin (badge and a PIN) or off (required)")
	} else {
		group = fs.String("group", "", "a group's name: its members")
		user = fs.String("user", "", "one person's username or email")
	}
	if sub == "new" || sub == "print" {
		out = fs.String("out", "", "the PDF file to write (required)")
		paper = fs.String("paper", slips.PaperA4, "a4 or letter")
		layout = fs.String("layout", slips.LayoutCutLines, "cutlines or avery")
	}
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	need := []string{"org"}
	switch sub {
	case "new", "print":
		need = append(need, "out")
	case "allow":
		need = append(need, "type", "rule")
	}
	if err := required(fs, need...); err != nil {
		return err
	}
	if group != nil && *group != "" && *user != "" {
		return usagef("give --group or --user, not both")
	}
	return m.withApp(*dbp, func(a *app.App) error {
		if sub == "allow" {
			o, err := a.Organization(ctx, *org)
			if err != nil {
				return err
			}
			rules := map[string]string{}
			for t, r := range o.Badges {
				rules[t] = r
			}
			rules[*typ] = *rule
			if *rule == "off" {
				delete(rules, *typ)
			}
			if _, err := a.UpdateOrganization(ctx, *org, app.OrganizationUpdate{Badges: &rules}); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "Badges for %s in %s: %s.\n", *typ, o.Name, *rule)
			return nil
		}
		sel := app.BadgeSelection{Group: *group, OnlyMissing: sub == "print"}
		if *user != "" {
			u, err := a.Store.UserByLogin(ctx, app.Key(*user))
			if err != nil {
				return fmt.Errorf("there is no person %q", *user)
			}
			sel.User = u.ID
		}
		if sub == "void" {
			n, err := a.VoidBadges(ctx, *org, sel)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "%d badges voided.\n", n)
			return nil
		}
		o := slips.Options{Paper: *paper, Layout: *layout, Now: a.Now()}
		if err := o.Check(); err != nil {
			return err
		}
		res, err := a.IssueBadges(ctx, *org, sel)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := slips.Badges(&buf, res, o); err != nil {
			return err
		}
		if _, err := writeFileAtomic(*out, func(w io.Writer) (int64, error) {
			n, err := w.Write(buf.Bytes())
			return int64(n), err
		}); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%d badges written to %s", len(res.Badges), *out)
		if res.Skipped > 0 {
			fmt.Fprintf(m.Stdout, " (%d people of account types without badges skipped)", res.Skipped)
		}
		fmt.Fprintln(m.Stdout, ".")
		return nil
	})
}
