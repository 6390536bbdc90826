package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"rollcall/app"
	"rollcall/app/personpdf"
)

func (m *Main) runUsersList(ctx context.Context, args []string) error {
	fs := m.flags("users list", "users list --org SLUG [--group NAME] [--json] [--db PATH]")
	org := fs.String("org", "", "the organization's slug (required)")
	group := fs.String("group", "", "only the members of this group")
	asJSON := fs.Bool("json", false, "print JSON, one array of users")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "org"); err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		groups, err := a.Groups(ctx, *org)
		if err != nil {
			return err
		}
		groupName := map[string]string{}
		for _, g := range groups {
			groupName[g.ID] = g.Name
		}
		var users []*app.User
		for page := 1; ; page++ {
			p, err := a.Users(ctx, *org, app.UserFilter{Group: *group, Page: page, PerPage: app.MaxPerPage})
			if err != nil {
				return err
			}
			users = append(users, p.Users...)
			if len(users) >= p.Total || len(p.Users) == 0 {
				break
			}
		}
		if *asJSON {
			if users == nil {
				users = []*app.User{}
			}
			enc := json.NewEncoder(m.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(users)
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "LAST NAME\tFIRST NAME\tUSERNAME\tEMAIL\tTYPE\tSTATUS\tGROUPS")
		for _, u := range users {
			names := make([]string, len(u.Groups))
			for i, id := range u.Groups {
				names[i] = groupName[id]
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.LastName, u.FirstName, u.Username, u.Email, u.AccountType, u.Status, strings.Join(names, ", "))
		}
		fmt.Fprintf(tw, "(%d users)\n", len(users))
		return tw.Flush()
	})
}

// findUser finds a user of the organization by ID, username or email.
func findUser(ctx context.Context, a *app.App, org, name string) (*app.User, error) {
	if u, err := a.User(ctx, org, name); err == nil {
		return u, nil
	}
	p, err := a.Users(ctx, org, app.UserFilter{Query: name, PerPage: app.MaxPerPage})
	if err != nil {
		return nil, err
	}
	for _, u := range p.Users {
		if app.LoginKey(u.Username) == app.LoginKey(name) || u.Email != "" && app.LoginKey(u.Email) == app.LoginKey(name) {
			return u, nil
		}
	}
	return nil, app.Errorf(app.ENOTFOUND, "There is no user %q in %s.", name, org)
}

func (m *Main) runUsersExport(ctx context.Context, args []string) error {
	fs := m.flags("users export", "users export --org SLUG --user NAME --out FILE.json|FILE.pdf [--db PATH]")
	org := fs.String("org", "", "the organization's slug (required)")
	user := fs.String("user", "", "the person's username, email or ID (required)")
	out := fs.String("out", "", "the file to write: .json for machines, .pdf to print for parents (required)")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "org", "user", "out"); err != nil {
		return err
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if ext != ".json" && ext != ".pdf" {
		return usagef("--out must end in .json or .pdf")
	}
	return m.withApp(*dbp, func(a *app.App) error {
		u, err := findUser(ctx, a, *org, *user)
		if err != nil {
			return err
		}
		x, err := a.ExportUser(ctx, *org, u.ID)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if ext == ".pdf" {
			err = personpdf.Write(&b, x)
		} else {
			enc := json.NewEncoder(&b)
			enc.SetIndent("", "  ")
			err = enc.Encode(x)
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, b.Bytes(), 0o600); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Wrote everything about %s %s to %s\n", u.FirstName, u.LastName, *out)
		return nil
	})
}

func (m *Main) runUsersErase(ctx context.Context, args []string) error {
	fs := m.flags("users erase", "users erase --org SLUG --user NAME --yes [--db PATH]")
	org := fs.String("org", "", "the organization's slug (required)")
	user := fs.String("user", "", "the person's username, email or ID (required)")
	yes := fs.Bool("yes", false, "confirm: erase this person and everything about them now; this cannot be undone")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "org", "user"); err != nil {
		return err
	}
	if !*yes {
		return usagef("erasing cannot be undone: add --yes to confirm")
	}
	return m.withApp(*dbp, func(a *app.App) error {
		u, err := findUser(ctx, a, *org, *user)
		if err != nil {
			return err
		}
		login := u.Username
		if login == "" {
			login = u.Email
		}
		if err := a.EraseUser(ctx, *org, u.ID, login); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Erased %s %s (%s) and everything about them; the database file was compacted.\n", u.FirstName, u.LastName, login)
		return nil
	})
}

func (m *Main) runUsersRoles(ctx context.Context, args []string) error {
	fs := m.flags("users roles", "users roles --org SLUG --user NAME [--org-admin] [--group NAME]... [--db PATH]\n\n"+
		"Sets what a person administers: their whole organization (--org-admin) and/or groups (--group,\n"+
		"repeat for more). Without either, the person's admin roles are taken away. They sign in at the\n"+
		"admin sign-in with their own username and password.")
	org := fs.String("org", "", "the organization's slug (required)")
	user := fs.String("user", "", "the person's username, email or ID (required)")
	orgAdmin := fs.Bool("org-admin", false, "administrator of the whole organization")
	var groups listFlag
	fs.Var(&groups, "group", "administrator of this group (name or ID); repeat for more")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "org", "user"); err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		u, err := findUser(ctx, a, *org, *user)
		if err != nil {
			return err
		}
		u, err = a.SetUserRoles(ctx, *org, u.ID, app.RolesUpdate{OrgAdmin: *orgAdmin, Groups: groups})
		if err != nil {
			return err
		}
		switch {
		case u.AdminRole == app.RoleOrgAdmin:
			fmt.Fprintf(m.Stdout, "%s %s is an administrator of the whole organization", u.FirstName, u.LastName)
		case len(u.AdminGroups) > 0:
			fmt.Fprintf(m.Stdout, "%s %s is an administrator of %d group(s)", u.FirstName, u.LastName, len(u.AdminGroups))
		default:
			fmt.Fprintf(m.Stdout, "%s %s has no admin role", u.FirstName, u.LastName)
		}
		fmt.Fprintln(m.Stdout, ".")
		return nil
	})
}
