package cli

import (
	"context"
	"fmt"

	"rollcall/app"
)

// runSCIMToken makes, lists and revokes the bearer tokens with which the
// school's directory provisions an organization over SCIM (app/scim.go).
func (m *Main) runSCIMToken(ctx context.Context, sub string, args []string) error {
	synopsis := map[string]string{
		"add":    "scim token add --org SLUG --name NAME [--db PATH]   (the token is printed once)",
		"list":   "scim token list --org SLUG [--db PATH]",
		"revoke": "scim token revoke --org SLUG --id ID [--db PATH]",
	}[sub]
	fs := m.flags("scim token "+sub, synopsis)
	org := fs.String("org", "", "the organization's slug (required)")
	var name, id *string
	switch sub {
	case "add":
		name = fs.String("name", "", "who uses the token, e.g. Entra ID (required)")
	case "revoke":
		id = fs.String("id", "", "the token's ID, as token list shows it (required)")
	}
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	need := map[string][]string{"add": {"org", "name"}, "list": {"org"}, "revoke": {"org", "id"}}[sub]
	if err := required(fs, need...); err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		switch sub {
		case "add":
			t, err := a.CreateSCIMToken(ctx, *org, *name)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "Provisioning token %s made (ID %s).\nSecret token: %s\n(shown this once: Rollcall keeps only its hash)\n", t.Token.Name, t.Token.ID, t.Secret)
			fmt.Fprintf(m.Stdout, "Give the directory the tenant URL https://<Rollcall's address>/scim/v2/%s and this secret token.\n", *org)
		case "list":
			p, err := a.SCIMProvisioning(ctx, *org)
			if err != nil {
				return err
			}
			for _, t := range p.Tokens {
				used := "never used"
				if t.LastUsed != nil {
					used = "last used " + t.LastUsed.Local().Format("2006-01-02 15:04")
				}
				fmt.Fprintf(m.Stdout, "%s\t%s\tmade %s\t%s\n", t.ID, t.Name, t.CreatedAt.Local().Format("2006-01-02 15:04"), used)
			}
			fmt.Fprintf(m.Stdout, "A removal by the directory will %s the person.\n", p.OnDelete)
		case "revoke":
			if err := a.RevokeSCIMToken(ctx, *org, *id); err != nil {
				return err
			}
			fmt.Fprintln(m.Stdout, "Token revoked: the directory's next request with it is refused.")
		}
		return nil
	})
}
