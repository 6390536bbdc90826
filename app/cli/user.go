package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"rollcall/app"
	"strings"
	"text/tabwriter"
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
