package cli

import (
	"context"
	"fmt"
	"rollcall/app"
	"text/tabwriter"
)

func (m *Main) runOrgCreate(ctx context.Context, args []string) error {
	fs := m.flags("org create", `org create --name "Maple Primary" [--kind school|enterprise] [--slug maple] [--db PATH]`)
	name := fs.String("name", "", "the organization's name (required)")
	kind := fs.String("kind", app.KindSchool, "school (students, teachers, admins) or enterprise (learners, creators, admins)")
	slug := fs.String("slug", "", "short name for the command line and addresses (default: from the name)")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "name"); err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		o, err := a.CreateOrganization(ctx, &app.Organization{Name: *name, Kind: *kind, Slug: *slug})
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Organization %s created (slug %s, %s).\n", o.Name, o.Slug, o.Kind)
		return nil
	})
}

func (m *Main) runOrgSet(ctx context.Context, args []string) error {
	fs := m.flags("org set", "org set --org SLUG [--name NAME] [--public-url URL] [--login-domain DOMAIN] [--language CODE] [--country CC] [--db PATH]")
	org := fs.String("org", "", "the organization's slug (required)")
	var upd app.OrganizationUpdate
	setFields := updateFlags(fs,
		updateFlag{"name", "new name", &upd.Name},
		updateFlag{"public-url", "base address of links and QR codes, e.g. https://rollcall.maple.example (empty to clear)", &upd.PublicURL},
		updateFlag{"login-domain", "domain for generated login emails, e.g. pupils.maple.example (empty to clear)", &upd.LoginDomain},
		updateFlag{"language", "default language code, e.g. en, fi, sv, de", &upd.Language},
		updateFlag{"country", "country code (ISO 3166, e.g. FI): phone numbers without + are read as its numbers (empty to clear)", &upd.Country})
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := required(fs, "org"); err != nil {
		return err
	}
	setFields()
	return m.withApp(*dbp, func(a *app.App) error {
		o, err := a.UpdateOrganization(ctx, *org, upd)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Organization %s updated.\n", o.Name)
		return nil
	})
}

func (m *Main) runOrgList(ctx context.Context, args []string) error {
	fs := m.flags("org list", "org list [--db PATH]")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		orgs, err := a.Organizations(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SLUG\tNAME\tKIND\tLANGUAGE\tPUBLIC URL")
		for _, o := range orgs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.Slug, o.Name, o.Kind, o.Language, o.PublicURL)
		}
		return tw.Flush()
	})
}
