package store_test

import (
	"context"
	"strings"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
)

func TestOrganizations(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	maple := MustOrg(t, a, "Maple Primary")
	if maple.Slug != "maple-primary" || maple.Kind != app.KindSchool || maple.PasswordPolicy != app.DefaultPasswordPolicy {
		t.Fatalf("defaults: %+v", maple)
	}
	t.Run("ErrSlugTaken", func(t *testing.T) {
		_, err := a.CreateOrganization(ctx, &app.Organization{Name: "Other", Slug: "MAPLE-primary"})
		if app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("duplicate slug = %v", err)
		}
	})
	t.Run("BySlugOrID", func(t *testing.T) {
		for _, ref := range []string{maple.ID, "maple-primary", "Maple-Primary"} {
			o, err := a.Organization(ctx, ref)
			if err != nil || o.ID != maple.ID {
				t.Fatalf("Organization(%q) = %v, %v", ref, o, err)
			}
		}
		if _, err := a.Organization(ctx, "nope"); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("unknown = %v", err)
		}
	})
	t.Run("Update", func(t *testing.T) {
		url, domain := "https://rollcall.maple.example/", "Pupils.Maple.Example"
		o, err := a.UpdateOrganization(ctx, maple.Slug, app.OrganizationUpdate{PublicURL: &url, LoginDomain: &domain})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := a.Organization(ctx, maple.ID)
		if got.PublicURL != "https://rollcall.maple.example" || got.LoginDomain != "pupils.maple.example" || !got.UpdatedAt.Equal(o.UpdatedAt) {
			t.Fatalf("stored = %+v", got)
		}
		noScheme := "127.0.0.1:8080"
		if _, err := a.UpdateOrganization(ctx, maple.Slug, app.OrganizationUpdate{PublicURL: &noScheme}); app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.Error(), "Add http:// or https://") {
			t.Fatalf("address without scheme = %v, want a hint to add http://", err)
		}
		bad := "javascript:alert(1)"
		if _, err := a.UpdateOrganization(ctx, maple.Slug, app.OrganizationUpdate{PublicURL: &bad}); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("bad url = %v", err)
		}
	})
	t.Run("ListByName", func(t *testing.T) {
		MustOrg(t, a, "Birch Academy")
		orgs, err := a.Organizations(ctx)
		if err != nil || len(orgs) != 2 || orgs[0].Name != "Birch Academy" {
			t.Fatalf("orgs = %v, %v", orgs, err)
		}
	})
}
