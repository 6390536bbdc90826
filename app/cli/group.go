package cli

import (
	"context"
	"fmt"
	"rollcall/app"
)

func (m *Main) runGroupCreate(ctx context.Context, args []string) error {
	fs := m.flags("group create", "group create --org SLUG --name 3B [--kind class|department] [--type ACCOUNT_TYPE] [--db PATH]")
	org := fs.String("org", "", "the organization's slug (required)")
	name := fs.String("name", "", "the group's name (required)")
	kind := fs.String("kind", app.GroupClass, "class or department")
	typ := fs.String("type", "", "default account type of people who join (default: student/learner; teacher for departments)")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "org", "name"); err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		g, err := a.CreateGroup(ctx, *org, &app.Group{Name: *name, Kind: *kind, DefaultAccountType: *typ})
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Group %s created (%s, new members are %ss).\n", g.Name, g.Kind, g.DefaultAccountType)
		return nil
	})
}
