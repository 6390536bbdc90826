package cli

import (
	"context"
	"fmt"
	"strings"

	"rollcall/app"
)

// runApp registers, lists and removes connected apps (OpenID Connect
// clients), and rotates the provider's signing key.
func (m *Main) runApp(ctx context.Context, sub string, args []string) error {
	synopsis := map[string]string{
		"add":        "app add --org SLUG --name NAME --redirect URI [--redirect URI...] [--public] [--refresh-tokens] [--account-type T...] [--group NAME...] [--db PATH]",
		"list":       "app list --org SLUG [--db PATH]",
		"remove":     "app remove --org SLUG --id CLIENT_ID [--db PATH]",
		"rotate-key": "app rotate-key [--db PATH]   (a new ID-token signing key; the old one stays published until its tokens expire)",
	}[sub]
	fs := m.flags("app "+sub, synopsis)
	var org, name, id *string
	var public, refresh *bool
	var redirects, types, groups listFlag
	if sub != "rotate-key" {
		org = fs.String("org", "", "the organization's slug (required)")
	}
	switch sub {
	case "add":
		name = fs.String("name", "", "the app's name, e.g. Moodle (required)")
		fs.Var(&redirects, "redirect", "an address the app returns to after sign-in, matched exactly (required; repeat for more)")
		public = fs.Bool("public", false, "an app without a secret (in a browser or on a tablet): PKCE with S256 is required")
		fs.Var(&types, "account-type", "only people of this account type may use the app (repeat for more)")
		fs.Var(&groups, "group", "only members of this group may use the app (repeat for more)")
		refresh = fs.Bool("refresh-tokens", false, fmt.Sprintf("the app may ask for refresh tokens (scope offline_access): people stay signed in to it for up to %d days", int(app.OIDCGrantMaxAge.Hours()/24)))
	case "remove":
		id = fs.String("id", "", "the app's client ID (required)")
	}
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	switch sub {
	case "add":
		if err := required(fs, "org", "name"); err != nil {
			return err
		}
	case "list":
		if err := required(fs, "org"); err != nil {
			return err
		}
	case "remove":
		if err := required(fs, "org", "id"); err != nil {
			return err
		}
	}
	return m.withApp(*dbp, func(a *app.App) error {
		switch sub {
		case "add":
			c, secret, err := a.AddConnectedApp(ctx, *org, app.NewConnectedApp{Name: *name, RedirectURIs: redirects,
				Public: *public, AccountTypes: types, Groups: groups, RefreshTokens: *refresh})
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "Connected app %s added.\nClient ID:     %s\n", c.Name, c.ID)
			if secret != "" {
				fmt.Fprintf(m.Stdout, "Client secret: %s\n(shown this once: Rollcall keeps only its hash)\n", secret)
			} else {
				fmt.Fprintln(m.Stdout, "A public app: no secret; it must use PKCE with S256.")
			}
			fmt.Fprintln(m.Stdout, "Give the app Rollcall's address as its OpenID Connect issuer (discovery at /.well-known/openid-configuration).")
		case "list":
			apps, err := a.ConnectedApps(ctx, *org)
			if err != nil {
				return err
			}
			for _, c := range apps {
				kind := "confidential"
				if c.Public {
					kind = "public"
				}
				if c.RefreshTokens {
					kind += ", refresh tokens"
				}
				fmt.Fprintf(m.Stdout, "%s\t%s\t%s\t%s\n", c.ID, c.Name, kind, strings.Join(c.RedirectURIs, " "))
			}
		case "remove":
			if err := a.RemoveConnectedApp(ctx, *org, *id); err != nil {
				return err
			}
			fmt.Fprintln(m.Stdout, "Connected app removed; its sign-ins and tokens no longer work.")
		case "rotate-key":
			kid, err := a.RotateSigningKey(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "New signing key %s; the previous one stays published for %s.\n", kid, app.OIDCIDTokenTTL+app.OIDCClockSkew)
		}
		return nil
	})
}
