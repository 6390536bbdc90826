package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"rollcall/app"
)

func TestOrganizationCreateGetList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	rec := e.serve(withCookie(newRequest(t, "GET", "/api/organizations", nil), cookie))
	if got, want := strings.TrimSpace(rec.Body.String()), `{"organizations":[]}`; got != want {
		t.Errorf("no organizations = %s, want %s", got, want)
	}

	maple := e.createOrg(t, cookie, map[string]any{"name": "  Maple Primary  ", "language": "fi"})
	if maple.ID == "" {
		t.Error("no ID")
	}
	for _, c := range []struct{ name, got, want string }{
		{"name", maple.Name, "Maple Primary"},
		{"slug", maple.Slug, "maple-primary"},
		{"kind", maple.Kind, app.KindSchool},
		{"language", maple.Language, "fi"},
		{"policy text", maple.PolicyText, "at least 10 characters with letters and digits"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if got, want := maple.PasswordPolicy, app.DefaultPasswordPolicy; got != want {
		t.Errorf("password_policy = %+v, want %+v", got, want)
	}
	if got, want := maple.AccountTypes, []string{"student", "teacher", "admin"}; !slices.Equal(got, want) {
		t.Errorf("account_types = %v, want %v", got, want)
	}
	if !maple.CreatedAt.Equal(e.Clock.Now()) || !maple.UpdatedAt.Equal(maple.CreatedAt) {
		t.Errorf("created_at %v updated_at %v, want both %v", maple.CreatedAt, maple.UpdatedAt, e.Clock.Now())
	}

	acme := e.createOrg(t, cookie, map[string]any{"name": "acme Training", "slug": " ACME ", "kind": "Enterprise", "public_url": "https://learn.acme.example/"})
	if got, want := acme.Slug, "acme"; got != want {
		t.Errorf("slug = %q, want %q", got, want)
	}
	if got, want := acme.Kind, app.KindEnterprise; got != want {
		t.Errorf("kind = %q, want %q", got, want)
	}
	if got, want := acme.Language, "en"; got != want {
		t.Errorf("default language = %q, want %q", got, want)
	}
	if got, want := acme.PublicURL, "https://learn.acme.example"; got != want {
		t.Errorf("public_url = %q, want %q (no trailing slash)", got, want)
	}
	if got, want := acme.AccountTypes, []string{"learner", "creator", "admin"}; !slices.Equal(got, want) {
		t.Errorf("account_types = %v, want %v", got, want)
	}
	list := call[map[string][]orgOut](t, e, "GET", "/api/organizations", nil, cookie, http.StatusOK)["organizations"]
	var names []string
	for _, o := range list {
		names = append(names, o.Slug)
	}
	if got, want := names, []string{"acme", "maple-primary"}; !slices.Equal(got, want) {
		t.Errorf("organizations by name = %v, want %v", got, want)
	}
	if got, want := list[0].AccountTypes, []string{"learner", "creator", "admin"}; !slices.Equal(got, want) {
		t.Errorf("listed account_types = %v, want %v", got, want)
	}

	// Limits count characters, not bytes: 100 accented letters are fine.
	long := e.createOrg(t, cookie, map[string]any{"name": strings.Repeat("é", app.MaxNameLength), "slug": "long"})
	if got, want := len([]rune(long.Name)), app.MaxNameLength; got != want {
		t.Errorf("name length = %d, want %d", got, want)
	}
	// The slug derived from accents and punctuation.
	if got, want := e.createOrg(t, cookie, map[string]any{"name": "École Saint-Jean (Nord)"}).Slug, "ecole-saint-jean-nord"; got != want {
		t.Errorf("derived slug = %q, want %q", got, want)
	}

	for _, ref := range []string{maple.ID, "maple-primary", "MAPLE-PRIMARY"} {
		got := call[orgOut](t, e, "GET", "/api/organizations/"+ref, nil, cookie, http.StatusOK)
		if got.ID != maple.ID || got.Name != maple.Name || got.PolicyText != maple.PolicyText {
			t.Errorf("GET %s = %+v, want %+v", ref, got, maple)
		}
	}
}

func TestOrganizationUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	path := "/api/organizations/" + org.ID

	e.Clock.Add(time.Hour)
	got := call[orgOut](t, e, "PATCH", path, map[string]any{
		"name":            " Maple Primary School ",
		"language":        "sv",
		"login_domain":    "Pupils.Maple.Example",
		"public_url":      "https://rollcall.maple.example/",
		"password_policy": map[string]any{"min_length": 12, "require_letter": true, "require_digit": true, "require_symbol": true},
	}, cookie, http.StatusOK)
	for _, c := range []struct{ name, got, want string }{
		{"name", got.Name, "Maple Primary School"},
		{"slug", got.Slug, "maple"},
		{"kind", got.Kind, app.KindSchool},
		{"language", got.Language, "sv"},
		{"login_domain", got.LoginDomain, "pupils.maple.example"},
		{"public_url", got.PublicURL, "https://rollcall.maple.example"},
		{"policy text", got.PolicyText, "at least 12 characters with letters and digits and a symbol"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if want := (app.PasswordPolicy{MinLength: 12, RequireLetter: true, RequireDigit: true, RequireSymbol: true}); got.PasswordPolicy != want {
		t.Errorf("password_policy = %+v, want %+v", got.PasswordPolicy, want)
	}
	if !got.UpdatedAt.Equal(e.Clock.Now()) || !got.CreatedAt.Equal(org.CreatedAt) {
		t.Errorf("created_at %v updated_at %v, want %v and %v", got.CreatedAt, got.UpdatedAt, org.CreatedAt, e.Clock.Now())
	}
	// Stored: a fresh GET shows the same.
	if again := call[orgOut](t, e, "GET", path, nil, cookie, http.StatusOK); again.Name != got.Name || again.PasswordPolicy != got.PasswordPolicy || again.PublicURL != got.PublicURL {
		t.Errorf("GET after PATCH = %+v, want %+v", again, got)
	}

	// Absent fields stay as they are.
	same := call[orgOut](t, e, "PATCH", path, map[string]any{}, cookie, http.StatusOK)
	if same.Name != got.Name || same.PublicURL != got.PublicURL || same.PasswordPolicy != got.PasswordPolicy || same.LoginDomain != got.LoginDomain {
		t.Errorf("empty PATCH changed %+v into %+v", got, same)
	}
	// An empty public_url clears it; http:// is allowed for a school LAN.
	if cleared := call[orgOut](t, e, "PATCH", path, map[string]any{"public_url": ""}, cookie, http.StatusOK); cleared.PublicURL != "" {
		t.Errorf("public_url = %q, want it cleared", cleared.PublicURL)
	}
	if lan := call[orgOut](t, e, "PATCH", path, map[string]any{"public_url": "http://10.0.0.5:8080"}, cookie, http.StatusOK); lan.PublicURL != "http://10.0.0.5:8080" {
		t.Errorf("public_url = %q, want http://10.0.0.5:8080", lan.PublicURL)
	}

	// The password policy applies to users' passwords at once.
	users := path + "/users"
	code, body := e.do(t, "POST", users, map[string]any{"first_name": "Ann", "last_name": "Smith", "username": "ann", "password": "abcdefghij12"}, cookie)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "password")
	if msg := body["message"].(string); !strings.Contains(msg, "symbol") {
		t.Errorf("message %q does not say a symbol is needed", msg)
	}
	code, body = e.do(t, "POST", users, map[string]any{"first_name": "Ann", "last_name": "Smith", "username": "ann", "password": "abc!ef12"}, cookie)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "password")
	e.createUser(t, cookie, org.ID, map[string]any{"first_name": "Ann", "last_name": "Smith", "username": "ann", "password": "abcdefghi!12"})
}

func TestOrganizationInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple", "public_url": "https://rollcall.maple.example"})
	long := strings.Repeat("a", app.MaxNameLength+1)

	create := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"empty name", map[string]any{"name": ""}, "name"},
		{"blank name", map[string]any{"name": " \t "}, "name"},
		{"no name", map[string]any{"slug": "birch"}, "name"},
		{"name too long", map[string]any{"name": long}, "name"},
		{"name too long in runes", map[string]any{"name": strings.Repeat("é", app.MaxNameLength+1)}, "name"},
		{"bell in name", map[string]any{"name": "Ann\u0007"}, "name"},
		{"bidi override in name", map[string]any{"name": "Bob\u202e"}, "name"},
		{"zero-width space in name", map[string]any{"name": "Maple\u200bSchool"}, "name"},
		{"newline in name", map[string]any{"name": "Maple\nSchool"}, "name"},
		{"slug with spaces", map[string]any{"name": "Birch", "slug": "birch school"}, "slug"},
		{"slug with dash at end", map[string]any{"name": "Birch", "slug": "birch-"}, "slug"},
		{"slug too long", map[string]any{"name": "Birch", "slug": strings.Repeat("b", 41)}, "slug"},
		{"slug with accent", map[string]any{"name": "Birch", "slug": "écola"}, "slug"},
		{"unknown kind", map[string]any{"name": "Birch", "kind": "university"}, "kind"},
		{"bad language", map[string]any{"name": "Birch", "language": "xx-!!"}, "language"},
		{"language too long", map[string]any{"name": "Birch", "language": strings.Repeat("a", 36)}, "language"},
		{"public_url ftp", map[string]any{"name": "Birch", "public_url": "ftp://rollcall.birch.example"}, "public_url"},
		{"public_url javascript", map[string]any{"name": "Birch", "public_url": "javascript:alert(1)"}, "public_url"},
		{"public_url no host", map[string]any{"name": "Birch", "public_url": "https://"}, "public_url"},
		{"public_url with user", map[string]any{"name": "Birch", "public_url": "https://admin@rollcall.birch.example"}, "public_url"},
		{"public_url with query", map[string]any{"name": "Birch", "public_url": "https://rollcall.birch.example/?next=x"}, "public_url"},
		{"public_url relative", map[string]any{"name": "Birch", "public_url": "rollcall.birch.example"}, "public_url"},
		{"policy not settable at creation", map[string]any{"name": "Birch", "password_policy": map[string]any{"min_length": 6}}, "password_policy"},
	}
	for _, tt := range create {
		t.Run("create/"+tt.name, func(t *testing.T) {
			t.Parallel()
			code, body := e.do(t, "POST", "/api/organizations", tt.body, cookie)
			checkError(t, code, body, http.StatusBadRequest, app.EINVALID, tt.field)
		})
	}

	update := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"empty name", map[string]any{"name": ""}, "name"},
		{"name too long", map[string]any{"name": long}, "name"},
		{"bell in name", map[string]any{"name": "Ann\u0007"}, "name"},
		{"bidi override in name", map[string]any{"name": "Bob\u202e"}, "name"},
		{"bad language", map[string]any{"language": "not a language"}, "language"},
		{"bad login domain", map[string]any{"login_domain": "not a domain"}, "login_domain"},
		{"login domain with scheme", map[string]any{"login_domain": "https://pupils.maple.example"}, "login_domain"},
		{"public_url not a url", map[string]any{"public_url": "not a url"}, "public_url"},
		{"public_url javascript", map[string]any{"public_url": "javascript:alert(document.cookie)"}, "public_url"},
		{"public_url fragment", map[string]any{"public_url": "https://rollcall.maple.example/#x"}, "public_url"},
		{"public_url control", map[string]any{"public_url": "https://rollcall.maple.example/\u0000"}, "public_url"},
		{"policy too short", map[string]any{"password_policy": map[string]any{"min_length": 5, "require_letter": true}}, "password_policy"},
		{"policy too long", map[string]any{"password_policy": map[string]any{"min_length": 65}}, "password_policy"},
		{"policy missing length", map[string]any{"password_policy": map[string]any{"require_digit": true}}, "password_policy"},
		{"slug", map[string]any{"slug": "birch"}, "slug"},
		{"kind", map[string]any{"kind": "enterprise"}, "kind"},
		{"id", map[string]any{"id": "x"}, "id"},
	}
	for _, tt := range update {
		t.Run("update/"+tt.name, func(t *testing.T) {
			t.Parallel()
			code, body := e.do(t, "PATCH", "/api/organizations/"+org.ID, tt.body, cookie)
			checkError(t, code, body, http.StatusBadRequest, app.EINVALID, tt.field)
		})
	}

	t.Cleanup(func() {
		list := call[map[string][]orgOut](t, e, "GET", "/api/organizations", nil, cookie, http.StatusOK)["organizations"]
		if got, want := len(list), 1; got != want {
			t.Fatalf("organizations = %d, want %d", got, want)
		}
		got := list[0]
		if got.Name != org.Name || got.Slug != org.Slug || got.Kind != org.Kind || got.Language != org.Language ||
			got.PublicURL != org.PublicURL || got.LoginDomain != org.LoginDomain || got.PasswordPolicy != org.PasswordPolicy ||
			!got.UpdatedAt.Equal(org.UpdatedAt) {
			t.Errorf("after refused updates the organization is %+v, want %+v", got, org)
		}
	})
}

func TestOrganizationConflict(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	e.createOrg(t, cookie, map[string]any{"name": "Birch Secondary"}) // slug birch-secondary
	conflict := func(name string, body map[string]any) scenario {
		return scenario{name: name, method: "POST", url: "/api/organizations", body: body, as: cookie,
			status: http.StatusConflict, code: app.ECONFLICT, field: "slug", message: []string{"short name"}}
	}
	e.run(t, []scenario{
		conflict("same slug", map[string]any{"name": "Other", "slug": "maple"}),
		conflict("slug in capitals", map[string]any{"name": "Other", "slug": "MAPLE"}),
		conflict("slug with spaces", map[string]any{"name": "Other", "slug": "  maple "}),
		conflict("derived slug", map[string]any{"name": "Maple"}),
		conflict("same name again", map[string]any{"name": "Birch Secondary"}),
		conflict("name deriving the same slug", map[string]any{"name": "Birch — Secondary!"}),
	})
	t.Cleanup(func() {
		list := call[map[string][]orgOut](t, e, "GET", "/api/organizations", nil, cookie, http.StatusOK)["organizations"]
		if got, want := len(list), 2; got != want {
			t.Errorf("organizations = %d, want %d", got, want)
		}
	})
}

func TestOrganizationNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	notFound := func(method, url string, body any) scenario {
		return scenario{method: method, url: url, body: body, as: f.cookie, status: http.StatusNotFound, code: app.ENOTFOUND}
	}
	e.run(t, []scenario{
		notFound("GET", "/api/organizations/nope", nil),
		notFound("GET", "/api/organizations/0190e2a4-7c1b-7000-8000-000000000000", nil),
		notFound("PATCH", "/api/organizations/nope", map[string]any{"name": "X"}),
		notFound("GET", "/api/organizations/nope/groups", nil),
		notFound("POST", "/api/organizations/nope/groups", map[string]any{"name": "5A"}),
		notFound("GET", "/api/organizations/nope/groups/"+f.group, nil),
		notFound("PATCH", "/api/organizations/nope/groups/"+f.group, map[string]any{"name": "6A"}),
		notFound("DELETE", "/api/organizations/nope/groups/"+f.group, nil),
		notFound("GET", "/api/organizations/nope/users", nil),
		notFound("POST", "/api/organizations/nope/users", map[string]any{"first_name": "Bo", "last_name": "Lind", "username": "bo"}),
		notFound("GET", "/api/organizations/nope/users/"+f.user, nil),
		notFound("PATCH", "/api/organizations/nope/users/"+f.user, map[string]any{"first_name": "X"}),
		notFound("DELETE", "/api/organizations/nope/users/"+f.user, nil),
		notFound("POST", "/api/organizations/nope/users/"+f.user+"/deactivate", nil),
		notFound("POST", "/api/organizations/nope/users/"+f.user+"/activate", nil),
	})
	t.Cleanup(func() {
		u := call[app.User](t, e, "GET", f.path("/api/organizations/{org}/users/{user}"), nil, f.cookie, http.StatusOK)
		if u.FirstName != "Ann" || u.Status != app.StatusActive || len(u.Groups) != 1 {
			t.Errorf("user changed by requests to an unknown organization: %+v", u)
		}
	})
}
