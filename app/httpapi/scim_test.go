package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
)

// scimWorld is an organization (Maple) with a provisioning token, served
// as `rollcall serve` serves it, and the IDs a sequence learns on the way.
type scimWorld struct {
	e      *env
	cookie string // the server admin's session
	org    string // Maple's ID
	token  string
	vars   map[string]string
}

func newSCIMWorld(t *testing.T) *scimWorld {
	t.Helper()
	e := newEnv(t)
	w := &scimWorld{e: e, vars: map[string]string{}}
	w.cookie = e.setup(t)
	w.org = e.createOrg(t, w.cookie, map[string]any{"name": "Maple Primary", "slug": "maple"}).ID
	w.token = w.newToken(t, "maple", "Entra ID")
	return w
}

// newToken makes a provisioning token of organization org as its admin would.
func (w *scimWorld) newToken(t *testing.T, org, name string) string {
	t.Helper()
	nt := call[app.NewSCIMToken](t, w.e, "POST", "/api/organizations/"+org+"/scim/tokens", map[string]any{"name": name}, w.cookie, http.StatusCreated)
	if nt.Secret == "" || nt.Token == nil || nt.Token.Name != name {
		t.Fatalf("token answer %+v", nt)
	}
	return nt.Secret
}

// expand replaces {name} with the variables the sequence saved.
func (w *scimWorld) expand(s string) string {
	for k, v := range w.vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// scim sends a SCIM request to Maple's endpoint with the authorization
// header given ("" for none) and returns the status and the decoded body,
// after checking its content type.
func (w *scimWorld) scim(t *testing.T, method, path, body, auth string) (int, map[string]any) {
	t.Helper()
	var b any
	if body != "" {
		b = w.expand(body)
	}
	req := newRequest(t, method, w.expand(path), b)
	req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	req.Header.Set("Accept", "application/scim+json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := w.e.serve(req)
	return rec.Code, decodeSCIM(t, rec)
}

func decodeSCIM(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if rec.Code == http.StatusNoContent {
		return nil
	}
	if got := rec.Header().Get("Content-Type"); got != "application/scim+json" {
		t.Fatalf("Content-Type = %q, want application/scim+json (%d %s)", got, rec.Code, rec.Body.String())
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("decode %q: %v", rec.Body.String(), err)
	}
	return m
}

// at reads a dotted path (numbers index lists) from a decoded body; a key
// may itself hold dots (a schema URN such as ...:enterprise:2.0:User).
func at(v any, path string) any {
	for path != "" {
		switch x := v.(type) {
		case map[string]any:
			key, rest := path, ""
			for k := range x {
				if strings.HasPrefix(path, k+".") && len(k) < len(key) || path == k {
					key, rest = k, strings.TrimPrefix(path[len(k):], ".")
				}
			}
			if _, ok := x[key]; !ok {
				key, rest, _ = strings.Cut(path, ".")
			}
			v, path = x[key], rest
		case []any:
			p, rest, _ := strings.Cut(path, ".")
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(x) {
				return nil
			}
			v, path = x[i], rest
		default:
			return nil
		}
	}
	return v
}

// scimStep is one request of a vendor's published sequence: the body as
// the vendor documents it, the status it expects and the values it checks
// (a dotted path → the value, "*" for "not empty", "-" for "absent").
type scimStep struct {
	note         string
	method, path string
	body         string
	status       int
	want         map[string]any
	save         map[string]string // variable → dotted path in the answer
	auth         string            // Authorization header; empty: the token
}

func (w *scimWorld) replay(t *testing.T, steps []scimStep) {
	t.Helper()
	for _, s := range steps {
		auth := s.auth
		if auth == "" {
			auth = "Bearer " + w.token
		}
		status, res := w.scim(t, s.method, "/scim/v2/maple"+s.path, s.body, auth)
		if status != s.status {
			t.Fatalf("%s: %s %s = %d %v, want %d", s.note, s.method, w.expand(s.path), status, res, s.status)
		}
		for path, want := range s.want {
			got := at(res, path)
			switch want {
			case "*":
				if got == nil || got == "" {
					t.Errorf("%s: %s is empty in %v", s.note, path, res)
				}
			case "-":
				if got != nil {
					t.Errorf("%s: %s = %v, want it absent", s.note, path, got)
				}
			default:
				if ws, ok := want.(string); ok {
					want = w.expand(ws)
				}
				if got != want {
					t.Errorf("%s: %s = %#v, want %#v", s.note, path, got, want)
				}
			}
		}
		for name, path := range s.save {
			v, _ := at(res, path).(string)
			if v == "" {
				t.Fatalf("%s: nothing at %s to save in %v", s.note, path, res)
			}
			w.vars[name] = v
		}
	}
}

// TestSCIMEntraSequence replays the requests Microsoft documents for an
// Entra ID SCIM endpoint ("Develop and plan provisioning for a SCIM
// endpoint": user and group operations, with their sample bodies), and the
// forms Entra ID sends besides (active as the string "False", a path into
// the enterprise extension).
func TestSCIMEntraSequence(t *testing.T) {
	w := newSCIMWorld(t)
	w.e.createGroup(t, w.cookie, w.org, map[string]any{"name": "Finance", "kind": "department"})
	const patch = `"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
	w.replay(t, []scimStep{
		{note: "Create User", method: "POST", path: "/Users", status: 201, body: `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
			"userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
			"active": true,
			"emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
			"meta": {"resourceType": "User"},
			"name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
			"roles": []}`,
			want: map[string]any{"userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1", "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
				"active": true, "name.givenName": "givenName", "name.familyName": "familyName",
				"emails.0.value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com", "meta.resourceType": "User", "id": "*"},
			save: map[string]string{"user": "id"}},
		{note: "Get User", method: "GET", path: "/Users/{user}", status: 200,
			want: map[string]any{"id": "{user}", "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"}},
		{note: "Get User by query", method: "GET", path: `/Users?filter=userName+eq+%22Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1%22`, status: 200,
			want: map[string]any{"totalResults": 1.0, "Resources.0.id": "{user}", "schemas.0": "urn:ietf:params:scim:api:messages:2.0:ListResponse"}},
		{note: "Get User by query - Zero results", method: "GET", path: `/Users?filter=userName+eq+%22non-existent%20user%22`, status: 200,
			want: map[string]any{"totalResults": 0.0, "itemsPerPage": 0.0}},
		{note: "Get User by externalId", method: "GET", path: `/Users?filter=externalId+eq+%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22`, status: 200,
			want: map[string]any{"totalResults": 1.0, "Resources.0.id": "{user}"}},
		{note: "Update User [Multi-valued properties]", method: "PATCH", path: "/Users/{user}", status: 200, body: `{` + patch + `,
			"Operations": [
				{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
				{"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}]}`,
			want: map[string]any{"emails.0.value": "updatedEmail@microsoft.com", "name.familyName": "updatedFamilyName", "name.givenName": "givenName"}},
		{note: "Update User [Single-valued properties]", method: "PATCH", path: "/Users/{user}", status: 200, body: `{` + patch + `,
			"Operations": [{"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}]}`,
			want: map[string]any{"userName": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com", "emails.0.value": "updatedEmail@microsoft.com"}},
		{note: "Update User: title, department (enterprise extension) and an Add to the work email", method: "PATCH", path: "/Users/{user}", status: 200, body: `{` + patch + `,
			"Operations": [
				{"op": "Replace", "path": "title", "value": "tester"},
				{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Finance"},
				{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "updated.again@microsoft.com"}]}`,
			want: map[string]any{"title": "tester", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department": "Finance",
				"emails.0.value": "updated.again@microsoft.com", "groups.0.display": "Finance"}},
		{note: "Update User without a path (Entra ID's name.givenName key)", method: "PATCH", path: "/Users/{user}", status: 200, body: `{` + patch + `,
			"Operations": [{"op": "Replace", "value": {"name.givenName": "Mary", "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"}}]}`,
			want: map[string]any{"name.givenName": "Mary", "name.familyName": "updatedFamilyName"}},
		{note: "Disable User", method: "PATCH", path: "/Users/{user}", status: 200, body: `{"Operations": [{"op": "Replace", "path": "active", "value": false}], ` + patch + `}`,
			want: map[string]any{"active": false}},
		{note: "Enable User with active as the string \"True\"", method: "PATCH", path: "/Users/{user}", status: 200, body: `{` + patch + `,
			"Operations": [{"op": "Replace", "path": "active", "value": "True"}]}`,
			want: map[string]any{"active": true}},
		{note: "Disable User with active as the string \"False\"", method: "PATCH", path: "/Users/{user}", status: 200, body: `{` + patch + `,
			"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}`,
			want: map[string]any{"active": false}},
		{note: "Create a second user to be a member", method: "POST", path: "/Users", status: 201, body: `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "6d3b9c0e-1b9f-4bb6-9a8e-0c1b0c9a7f11",
			"userName": "Test_User_member@testuser.com", "active": true,
			"name": {"familyName": "Member", "givenName": "Mia"}}`,
			save: map[string]string{"member": "id"}},
		{note: "Create Group", method: "POST", path: "/Groups", status: 201, body: `{
			"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
			"displayName": "displayName",
			"meta": {"resourceType": "Group"},
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"]}`,
			want: map[string]any{"displayName": "displayName", "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "meta.resourceType": "Group"},
			save: map[string]string{"group": "id"}},
		{note: "Get Group", method: "GET", path: "/Groups/{group}?excludedAttributes=members", status: 200,
			want: map[string]any{"id": "{group}", "displayName": "displayName", "members": "-"}},
		{note: "Get Group by displayName", method: "GET", path: `/Groups?excludedAttributes=members&filter=displayName+eq+%22displayName%22`, status: 200,
			want: map[string]any{"totalResults": 1.0, "Resources.0.id": "{group}", "Resources.0.members": "-"}},
		{note: "Update Group [Non-member attributes]", method: "PATCH", path: "/Groups/{group}", status: 200, body: `{` + patch + `,
			"Operations": [{"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]}`,
			want: map[string]any{"displayName": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}},
		{note: "Update Group [Add Members]", method: "PATCH", path: "/Groups/{group}", status: 200, body: `{` + patch + `,
			"Operations": [{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "{user}"}, {"$ref": null, "value": "{member}"}]}]}`,
			want: map[string]any{"members.0.value": "*", "members.1.value": "*", "members.2": "-"}},
		{note: "the member's groups name the group", method: "GET", path: "/Users/{member}", status: 200,
			want: map[string]any{"groups.0.value": "{group}"}},
		{note: "Update Group [Remove Members]", method: "PATCH", path: "/Groups/{group}", status: 200, body: `{` + patch + `,
			"Operations": [{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "{user}"}]}]}`,
			want: map[string]any{"members.0.value": "{member}", "members.1": "-"}},
		{note: "Remove a member by a filtered path", method: "PATCH", path: "/Groups/{group}", status: 200, body: `{` + patch + `,
			"Operations": [{"op": "Remove", "path": "members[value eq \"{member}\"]"}]}`,
			want: map[string]any{"members.0": "-"}},
		{note: "Delete Group", method: "DELETE", path: "/Groups/{group}", status: 204},
		{note: "the group is gone", method: "GET", path: "/Groups/{group}", status: 404,
			want: map[string]any{"status": "404", "schemas.0": "urn:ietf:params:scim:api:messages:2.0:Error"}},
		{note: "Delete User (the organization deactivates)", method: "DELETE", path: "/Users/{user}", status: 204},
		{note: "the user is deactivated", method: "GET", path: "/Users/{user}", status: 200, want: map[string]any{"active": false}},
	})

	// The people are managed by the directory, created through it, and
	// every change is in the audit log with the token's name as actor.
	u, err := w.e.App.Store.User(context.Background(), w.org, w.vars["member"])
	if err != nil {
		t.Fatal(err)
	}
	if !u.Directory || u.CreatedVia != app.ViaSCIM || u.ExternalID != "6d3b9c0e-1b9f-4bb6-9a8e-0c1b0c9a7f11" || u.DirectoryName != "Test_User_member@testuser.com" {
		t.Errorf("member = directory %v via %q external %q name %q", u.Directory, u.CreatedVia, u.ExternalID, u.DirectoryName)
	}
	log := call[app.AuditPage](t, w.e, "GET", "/api/audit?org=maple&limit=500", nil, w.cookie, http.StatusOK)
	byToken := map[string]int{}
	for _, e := range log.Entries {
		if e.Actor.Kind == app.ActorDirectory {
			if e.Actor.Name != "Entra ID" {
				t.Errorf("directory entry %s by %q, want the token's name", e.Action, e.Actor.Name)
			}
			byToken[e.Action]++
		}
	}
	for _, action := range []string{"user.create", "user.update", "user.deactivate", "user.activate", "group.create", "group.update", "user.bulk.add_to_group", "user.bulk.remove_from_group", "group.delete"} {
		if byToken[action] == 0 {
			t.Errorf("no %s entry by the token in %v", action, byToken)
		}
	}
}

// TestSCIMOktaSequence replays Okta's published SCIM 2.0 spec test (the
// Runscope suite "Okta SCIM 2.0 SPEC Test", its requests and assertions),
// then Okta's deactivation by PATCH and by PUT from its SCIM 2.0 reference.
func TestSCIMOktaSequence(t *testing.T) {
	w := newSCIMWorld(t)
	// Okta's first step needs one user with names and an email.
	w.e.createUser(t, w.cookie, w.org, map[string]any{"first_name": "Ann", "last_name": "Smith", "username": "ann.smith", "email": "ann.smith@maple.example"})
	w.vars = map[string]string{
		"randomUsername": "Runscope6823Tester@atko.com", "randomUsernameCaps": "RUNSCOPE6823TESTER@ATKO.COM",
		"randomEmail": "Runscope1234Tester@atko.com", "randomGivenName": "Runscope", "randomFamilyName": "Tester",
		"InvalidUserEmail": "abcdefgh@atko.com", "UserIdThatDoesNotExist": "010101001010101010101",
	}
	const okta = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
	user := `{` + okta + `,"userName":"{randomUsername}","name":{"givenName":"{randomGivenName}","familyName":"{randomFamilyName}"},` +
		`"emails":[{"primary":true,"value":"{randomEmail}","type":"work"}],"displayName":"{randomGivenName} {randomFamilyName}","active":true}`
	list := map[string]any{"schemas.0": "urn:ietf:params:scim:api:messages:2.0:ListResponse"}
	with := func(m map[string]any, more map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		for k, v := range more {
			out[k] = v
		}
		return out
	}
	w.replay(t, []scimStep{
		{note: "Required Test: Test Users endpoint", method: "GET", path: "/Users?count=1&startIndex=1", status: 200,
			want: with(list, map[string]any{"itemsPerPage": 1.0, "startIndex": 1.0, "totalResults": 1.0, "Resources.0.id": "*",
				"Resources.0.name.familyName": "*", "Resources.0.name.givenName": "*", "Resources.0.userName": "*", "Resources.0.active": true,
				"Resources.0.emails.0.value": "*"}),
			save: map[string]string{"ISVUserid": "Resources.0.id"}},
		{note: "Required Test: Get Users/{{id}}", method: "GET", path: "/Users/{ISVUserid}", status: 200,
			want: map[string]any{"id": "{ISVUserid}", "name.familyName": "*", "name.givenName": "*", "userName": "*", "active": true, "emails.0.value": "*"}},
		{note: "Required Test: Test invalid User by username", method: "GET", path: "/Users?filter=userName%20eq%20%22{InvalidUserEmail}%22", status: 200,
			want: with(list, map[string]any{"totalResults": 0.0})},
		{note: "Required Test: Test invalid User by ID", method: "GET", path: "/Users/{UserIdThatDoesNotExist}", status: 404,
			want: map[string]any{"detail": "*", "schemas.0": "urn:ietf:params:scim:api:messages:2.0:Error", "status": "404"}},
		{note: "Required Test: Make sure random user doesn't exist", method: "GET", path: "/Users?filter=userName%20eq%20%22{randomEmail}%22", status: 200,
			want: with(list, map[string]any{"totalResults": 0.0})},
		{note: "Required Test: Create Okta user with realistic values", method: "POST", path: "/Users", status: 201, body: user,
			want: map[string]any{"active": true, "id": "*", "name.familyName": "{randomFamilyName}", "name.givenName": "{randomGivenName}",
				"schemas.0": "urn:ietf:params:scim:schemas:core:2.0:User", "userName": "{randomUsername}"},
			save: map[string]string{"idUserOne": "id", "randomUserEmail": "emails.0.value"}},
		{note: "Required Test: Verify that user was created", method: "GET", path: "/Users/{idUserOne}", status: 200,
			want: map[string]any{"userName": "{randomUsername}", "name.familyName": "{randomFamilyName}", "name.givenName": "{randomGivenName}"}},
		{note: "Required Test: Expect failure when recreating user with same values", method: "POST", path: "/Users", status: 409,
			body: `{` + okta + `,"userName":"{randomUsername}","name":{"givenName":"{randomGivenName}","familyName":"{randomFamilyName}"},` +
				`"emails":[{"primary":true,"value":"{randomUsername}","type":"work"}],"displayName":"{randomGivenName} {randomFamilyName}","active":true}`,
			want: map[string]any{"scimType": "uniqueness", "status": "409"}},
		{note: "Required Test: Username Case Sensitivity Check", method: "GET", path: "/Users?filter=userName%20eq%20%22{randomUsernameCaps}%22", status: 200,
			want: with(list, map[string]any{"totalResults": 1.0, "Resources.0.id": "{idUserOne}"})},
		{note: "Optional Test: Verify Groups endpoint", method: "GET", path: "/Groups", status: 200, want: list},
		{note: "Required Test: Check status 401", method: "GET", path: "/Users?filter=userName%20eq%20%22{randomUsernameCaps}%22", status: 401,
			auth: "non-token", want: map[string]any{"status": "401", "schemas.0": "urn:ietf:params:scim:api:messages:2.0:Error", "detail": "*"}},
		// Okta's SCIM 2.0 reference: deactivation by PATCH without a path, and by PUT.
		{note: "Okta: deactivate by PATCH", method: "PATCH", path: "/Users/{idUserOne}", status: 200,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`,
			want: map[string]any{"active": false}},
		{note: "Okta: reactivate by PUT", method: "PUT", path: "/Users/{idUserOne}", status: 200, body: `{` + okta + `,"id":"{idUserOne}",` +
			`"userName":"{randomUsername}","name":{"givenName":"{randomGivenName}","familyName":"{randomFamilyName}"},` +
			`"emails":[{"primary":true,"value":"{randomEmail}","type":"work"}],"active":true}`,
			want: map[string]any{"active": true}},
		{note: "Okta: update the first name by PUT", method: "PUT", path: "/Users/{idUserOne}", status: 200, body: `{` + okta + `,"id":"{idUserOne}",` +
			`"userName":"{randomUsername}","name":{"givenName":"Changed","familyName":"{randomFamilyName}"},` +
			`"emails":[{"primary":true,"value":"{randomEmail}","type":"work"}],"active":true}`,
			want: map[string]any{"name.givenName": "Changed", "active": true}},
		{note: "Okta: deactivate by PUT", method: "PUT", path: "/Users/{idUserOne}", status: 200, body: `{` + okta + `,"id":"{idUserOne}",` +
			`"userName":"{randomUsername}","name":{"givenName":"Changed","familyName":"{randomFamilyName}"},` +
			`"emails":[{"primary":true,"value":"{randomEmail}","type":"work"}],"active":false}`,
			want: map[string]any{"active": false}},
		{note: "Okta: filter by active", method: "GET", path: "/Users?filter=active%20eq%20false", status: 200,
			want: with(list, map[string]any{"totalResults": 1.0, "Resources.0.id": "{idUserOne}"})},
	})
}

// A missing, wrong or revoked token is 401 with a SCIM error body; a token
// of one organization finds no other (404); a token never opens an admin
// route, and an admin's session never opens the SCIM endpoint. The store
// keeps only the token's SHA-256; its last use is shown.
func TestSCIMTokens(t *testing.T) {
	w := newSCIMWorld(t)
	w.e.createOrg(t, w.cookie, map[string]any{"name": "Oak Academy", "slug": "oak"})
	oakToken := w.newToken(t, "oak", "Oak directory")
	spare := w.newToken(t, "maple", "Spare")
	unauthorized := func(note, auth string) {
		t.Helper()
		status, res := w.scim(t, "GET", "/scim/v2/maple/Users", "", auth)
		if status != http.StatusUnauthorized || at(res, "status") != "401" || at(res, "schemas.0") != "urn:ietf:params:scim:api:messages:2.0:Error" || at(res, "detail") == nil {
			t.Errorf("%s: %d %v, want 401 with a SCIM error body", note, status, res)
		}
	}
	unauthorized("no token", "")
	unauthorized("a wrong token", "Bearer scim_wrong")
	unauthorized("a token without Bearer", w.token)
	unauthorized("Basic credentials", "Basic YWRtaW46YWRtaW4=")
	// An admin's session cookie does not open SCIM.
	req := withCookie(newRequest(t, "GET", "/scim/v2/maple/Users", nil), w.cookie)
	if rec := w.e.serve(req); rec.Code != http.StatusUnauthorized {
		t.Errorf("an admin session on SCIM = %d, want 401", rec.Code)
	}
	// A SCIM token does not open an admin route.
	for _, p := range []string{"/api/organizations/maple/users", "/api/organizations/maple/scim", "/api/organizations"} {
		req := newRequest(t, "GET", p, nil)
		req.Header.Set("Authorization", "Bearer "+w.token)
		if rec := w.e.serve(req); rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s with a SCIM token = %d, want 401", p, rec.Code)
		}
	}
	// Oak's token on Maple, and Maple's on Oak: not found, like an organization that does not exist.
	for _, c := range []struct{ path, token string }{{"/scim/v2/maple/Users", oakToken}, {"/scim/v2/oak/Users", w.token}, {"/scim/v2/nowhere/Users", w.token}} {
		req := newRequest(t, "GET", c.path, nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		rec := w.e.serve(req)
		res := decodeSCIM(t, rec)
		if rec.Code != http.StatusNotFound || at(res, "status") != "404" {
			t.Errorf("GET %s with another organization's token = %d %v, want 404", c.path, rec.Code, res)
		}
	}
	status, _ := w.scim(t, "POST", "/scim/v2/oak/Users", `{"userName":"intruder","name":{"givenName":"In","familyName":"Truder"}}`, "Bearer "+w.token)
	if status != http.StatusNotFound {
		t.Errorf("creating in Oak with Maple's token = %d, want 404", status)
	}

	// Last use is shown; the raw file holds no token.
	if status, res := w.scim(t, "GET", "/scim/v2/maple/Users", "", "Bearer "+w.token); status != http.StatusOK {
		t.Fatalf("Maple's token on Maple: %d %v", status, res)
	}
	p := call[app.SCIMProvisioning](t, w.e, "GET", "/api/organizations/maple/scim", nil, w.cookie, http.StatusOK)
	if len(p.Tokens) != 2 || p.OnDelete != app.SCIMDeactivate {
		t.Fatalf("provisioning %+v", p)
	}
	if p.Tokens[0].LastUsed == nil || !p.Tokens[0].LastUsed.Equal(w.e.Clock.Now().UTC().Truncate(time.Microsecond)) || p.Tokens[1].LastUsed != nil {
		t.Errorf("last used: %v, %v", p.Tokens[0].LastUsed, p.Tokens[1].LastUsed)
	}
	raw, err := os.ReadFile(w.e.DB.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{w.token, oakToken, spare} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the database file holds the token %q", secret)
		}
	}

	// Revoked: refused at once; the other token still works.
	if status, res := w.scim(t, "GET", "/scim/v2/maple/Users", "", "Bearer "+spare); status != http.StatusOK {
		t.Fatalf("spare token before revoking: %d %v", status, res)
	}
	if status, res := w.e.do(t, "DELETE", "/api/organizations/maple/scim/tokens/"+p.Tokens[1].ID, nil, w.cookie); status != http.StatusNoContent {
		t.Fatalf("revoke: %d %v", status, res)
	}
	unauthorized("a revoked token", "Bearer "+spare)
	if status, res := w.scim(t, "GET", "/scim/v2/maple/Users", "", "Bearer "+w.token); status != http.StatusOK {
		t.Errorf("the other token after a revocation: %d %v", status, res)
	}
}

// The LAN sign-up listener never serves SCIM, not even with a valid token.
func TestSCIMNotOnLANListener(t *testing.T) {
	w := newSCIMWorld(t)
	base := openLAN(t, w.e)
	for _, p := range []string{"/scim/v2/maple/Users", "/scim/v2/maple/ServiceProviderConfig", "/scim/v2/maple/Groups"} {
		for _, method := range []string{"GET", "POST"} {
			req, _ := http.NewRequest(method, base+p, strings.NewReader(`{"userName":"lan.user","name":{"givenName":"Lan"}}`))
			req.Header.Set("Authorization", "Bearer "+w.token)
			req.Header.Set("Content-Type", "application/scim+json")
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || strings.Contains(resp.Header.Get("Content-Type"), "scim") {
				t.Errorf("%s %s through the LAN listener = %d %q %s, want a plain 404", method, p, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		}
	}
	// Through the main listener the same token works.
	if status, _ := w.scim(t, "GET", "/scim/v2/maple/ServiceProviderConfig", "", "Bearer "+w.token); status != http.StatusOK {
		t.Errorf("ServiceProviderConfig on the main listener = %d", status)
	}
	if n := len(call[app.UserPage](t, w.e, "GET", "/api/organizations/maple/users", nil, w.cookie, http.StatusOK).Users); n != 0 {
		t.Errorf("%d users after SCIM requests through the LAN listener", n)
	}
}

// The desktop window's handler has no SCIM endpoint: only serve has one.
func TestSCIMNotInDesktopWindow(t *testing.T) {
	e := newEnv(t, apptest.Desktop)
	e.createOrg(t, "", map[string]any{"name": "Maple Primary", "slug": "maple"})
	nt := call[app.NewSCIMToken](t, e, "POST", "/api/organizations/maple/scim/tokens", map[string]any{"name": "Entra ID"}, "", http.StatusCreated)
	req := newRequest(t, "GET", "/scim/v2/maple/Users", nil)
	req.Header.Set("Authorization", "Bearer "+nt.Secret)
	if rec := e.serve(req); rec.Code != http.StatusNotFound || strings.Contains(rec.Header().Get("Content-Type"), "scim") {
		t.Errorf("SCIM in the desktop window = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

// Filters (eq, co, sw, and, or, on userName, externalId, emails.value,
// displayName), paging, a filter that cannot be read, and uniqueness of
// the email address.
func TestSCIMFiltersAndPaging(t *testing.T) {
	w := newSCIMWorld(t)
	auth := "Bearer " + w.token
	for i, p := range []struct{ user, first, last, email, ext string }{
		{"alice@maple.example", "Alice", "Archer", "alice@maple.example", "ext-1"},
		{"bob.baker", "Bob", "Baker", "bob@maple.example", "ext-2"},
		{"carol@maple.example", "Carol", "Cook", "carol.cook@staff.example", "ext-3"},
		{"dave.dyer", "Dave", "Dyer", "", "EXT-4"},
	} {
		body, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": p.user, "externalId": p.ext,
			"name": map[string]any{"givenName": p.first, "familyName": p.last}, "emails": emailsOf(p.email), "active": true})
		if status, res := w.scim(t, "POST", "/scim/v2/maple/Users", string(body), auth); status != http.StatusCreated {
			t.Fatalf("user %d: %d %v", i, status, res)
		}
	}
	ids := func(filter string, total int, names ...string) {
		t.Helper()
		status, res := w.scim(t, "GET", "/scim/v2/maple/Users?filter="+url.QueryEscape(filter), "", auth)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %v", filter, status, res)
		}
		var got []string
		for _, r := range res["Resources"].([]any) {
			got = append(got, at(r, "userName").(string))
		}
		if at(res, "totalResults") != float64(total) || strings.Join(got, ",") != strings.Join(names, ",") {
			t.Errorf("%s: total %v %v, want %d %v", filter, at(res, "totalResults"), got, total, names)
		}
	}
	ids(`userName eq "BOB.BAKER"`, 1, "bob.baker")
	ids(`userName eq "alice@maple.example"`, 1, "alice@maple.example")
	ids(`externalId eq "ext-3"`, 1, "carol@maple.example")
	ids(`externalId eq "ext-4"`, 0) // caseExact
	ids(`emails.value co "@maple.example"`, 2, "alice@maple.example", "bob.baker")
	ids(`emails[type eq "work" and value sw "carol"]`, 1, "carol@maple.example")
	ids(`emails[type eq "work"].value eq "BOB@maple.example"`, 1, "bob.baker") // as Entra ID matches by mail
	ids(`userName sw "d"`, 1, "dave.dyer")
	ids(`displayName eq "Bob Baker"`, 1, "bob.baker")
	ids(`userName sw "a" or userName sw "c"`, 2, "alice@maple.example", "carol@maple.example")
	ids(`userName co "maple" and emails.value co "staff"`, 1, "carol@maple.example")
	ids(`userName pr and not (userName co "@")`, 2, "bob.baker", "dave.dyer")
	ids(`userType eq "Student"`, 4, "alice@maple.example", "bob.baker", "carol@maple.example", "dave.dyer")
	// userType names the account type; one the organization lacks leaves it as it is.
	_, res := w.scim(t, "PATCH", "/scim/v2/maple/Users/"+firstID(t, w, `userName eq "bob.baker"`),
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userType","value":"Teacher"}]}`, auth)
	if at(res, "userType") != "teacher" {
		t.Errorf("userType after a replace: %v", res)
	}
	_, res = w.scim(t, "PATCH", "/scim/v2/maple/Users/"+firstID(t, w, `userName eq "bob.baker"`),
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userType","value":"Astronaut"}]}`, auth)
	if at(res, "userType") != "teacher" {
		t.Errorf("userType after an unknown one: %v", res)
	}
	ids(`userType eq "teacher"`, 1, "bob.baker")

	// Paging: startIndex is 1-based; count 0 gives the total only.
	page := func(q string, total, start int, names ...string) {
		t.Helper()
		_, res := w.scim(t, "GET", "/scim/v2/maple/Users?"+q, "", auth)
		var got []string
		for _, r := range res["Resources"].([]any) {
			got = append(got, at(r, "name.familyName").(string))
		}
		if at(res, "totalResults") != float64(total) || at(res, "startIndex") != float64(start) || at(res, "itemsPerPage") != float64(len(names)) ||
			strings.Join(got, ",") != strings.Join(names, ",") {
			t.Errorf("?%s: %v", q, res)
		}
	}
	page("startIndex=2&count=2", 4, 2, "Baker", "Cook")
	page("startIndex=4&count=10", 4, 4, "Dyer")
	page("startIndex=9&count=10", 4, 9)
	page("count=0", 4, 1)
	page("startIndex=0&count=1", 4, 1, "Archer")
	page("filter="+url.QueryEscape(`userName co "a"`)+"&startIndex=2&count=1", 4, 2, "Baker")

	status, res := w.scim(t, "GET", "/scim/v2/maple/Users?filter="+url.QueryEscape(`userName eq`), "", auth)
	if status != http.StatusBadRequest || at(res, "scimType") != "invalidFilter" || at(res, "status") != "400" {
		t.Errorf("a broken filter: %d %v", status, res)
	}
	// The email is taken by Bob: uniqueness.
	status, res = w.scim(t, "POST", "/scim/v2/maple/Users", `{"userName":"eve.early","name":{"givenName":"Eve"},"emails":[{"value":"BOB@maple.example","primary":true}]}`, auth)
	if status != http.StatusConflict || at(res, "scimType") != "uniqueness" || at(res, "status") != "409" {
		t.Errorf("a taken email: %d %v", status, res)
	}
	// Carol's userName (kept as her directory name) and Alice's externalId are taken too.
	for _, body := range []string{`{"userName":"CAROL@maple.example","name":{"givenName":"Carol"}}`, `{"userName":"eve.early","externalId":"ext-1","name":{"givenName":"Eve"}}`} {
		if status, res := w.scim(t, "POST", "/scim/v2/maple/Users", body, auth); status != http.StatusConflict || at(res, "scimType") != "uniqueness" {
			t.Errorf("%s: %d %v, want 409 uniqueness", body, status, res)
		}
	}
	status, res = w.scim(t, "POST", "/scim/v2/maple/Users", `{"userName":"eve.early","name":{"givenName":"Eve"},"active":"perhaps"}`, auth)
	if status != http.StatusBadRequest || at(res, "scimType") != "invalidValue" {
		t.Errorf("active perhaps: %d %v", status, res)
	}
	// Another method, or a path that is not SCIM's: SCIM error bodies too.
	for _, c := range []struct {
		method, path string
		status       int
	}{{"POST", "/Users/x", 405}, {"DELETE", "/Users", 405}, {"PUT", "/ServiceProviderConfig", 405}, {"GET", "/Bulk", 404}} {
		if status, res := w.scim(t, c.method, "/scim/v2/maple"+c.path, "", auth); status != c.status || at(res, "status") != strconv.Itoa(c.status) {
			t.Errorf("%s %s = %d %v, want %d", c.method, c.path, status, res, c.status)
		}
	}
	// Discovery.
	for _, p := range []string{"ServiceProviderConfig", "ResourceTypes", "ResourceTypes/User", "Schemas", "Schemas/urn:ietf:params:scim:schemas:core:2.0:Group"} {
		if status, res := w.scim(t, "GET", "/scim/v2/maple/"+p, "", auth); status != http.StatusOK {
			t.Errorf("GET %s = %d %v", p, status, res)
		}
	}
	if _, res := w.scim(t, "GET", "/scim/v2/maple/ServiceProviderConfig", "", auth); at(res, "patch.supported") != true || at(res, "filter.supported") != true {
		t.Errorf("ServiceProviderConfig %v", res)
	}
}

func emailsOf(addr string) []any {
	if addr == "" {
		return nil
	}
	return []any{map[string]any{"value": addr, "type": "work", "primary": true}}
}

// When the organization chose delete, the directory's DELETE deactivates
// the person with a deletion date of today: gone for the directory at
// once (404), purged by the scheduler after the grace period.
func TestSCIMDeleteMode(t *testing.T) {
	w := newSCIMWorld(t)
	auth := "Bearer " + w.token
	call[app.SCIMProvisioning](t, w.e, "PUT", "/api/organizations/maple/scim", map[string]any{"on_delete": "delete"}, w.cookie, http.StatusOK)
	_, res := w.scim(t, "POST", "/scim/v2/maple/Users", `{"userName":"gone.soon@maple.example","externalId":"x-9","name":{"givenName":"Gone","familyName":"Soon"}}`, auth)
	id, _ := res["id"].(string)
	if status, _ := w.scim(t, "DELETE", "/scim/v2/maple/Users/"+id, "", auth); status != http.StatusNoContent {
		t.Fatalf("DELETE = %d", status)
	}
	if status, res := w.scim(t, "GET", "/scim/v2/maple/Users/"+id, "", auth); status != http.StatusNotFound || at(res, "status") != "404" {
		t.Errorf("GET after DELETE = %d %v, want 404", status, res)
	}
	if _, res := w.scim(t, "GET", "/scim/v2/maple/Users", "", auth); at(res, "totalResults") != 0.0 {
		t.Errorf("list after DELETE: %v", res)
	}
	if status, _ := w.scim(t, "DELETE", "/scim/v2/maple/Users/"+id, "", auth); status != http.StatusNotFound {
		t.Errorf("a second DELETE = %d, want 404", status)
	}
	u, err := w.e.App.Store.User(context.Background(), w.org, id)
	if err != nil {
		t.Fatal(err)
	}
	today := w.e.Clock.Now().In(time.Local).Format(time.DateOnly)
	if u.Status != app.StatusDeactivated || u.DeleteOn != today {
		t.Fatalf("after DELETE: status %s, delete on %q, want deactivated, %s", u.Status, u.DeleteOn, today)
	}
	// The scheduler purges after the grace period (30 days by default), not before.
	ctx := app.WithActor(context.Background(), app.SystemActor)
	w.e.Clock.Add(29 * 24 * time.Hour)
	if err := w.e.App.ApplyDeletionDates(ctx, w.e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.e.App.Store.User(context.Background(), w.org, id); err != nil {
		t.Fatalf("purged before the grace period ended: %v", err)
	}
	w.e.Clock.Add(2 * 24 * time.Hour)
	if err := w.e.App.ApplyDeletionDates(ctx, w.e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.e.App.Store.User(context.Background(), w.org, id); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("after the grace period: %v, want purged", err)
	}
	status, res := w.scim(t, "PUT", "/scim/v2/maple/Users/"+id, `{"userName":"gone.soon"}`, auth)
	if status != http.StatusNotFound {
		t.Errorf("PUT on a purged person = %d %v", status, res)
	}
	// The purge freed the directory's names: the person can come back.
	if status, res := w.scim(t, "POST", "/scim/v2/maple/Users", `{"userName":"gone.soon@maple.example","externalId":"x-9","name":{"givenName":"Back"}}`, auth); status != http.StatusCreated {
		t.Errorf("the same names again after the purge: %d %v", status, res)
	}
}

// firstID is the id of the first person the filter finds.
func firstID(t *testing.T, w *scimWorld, filter string) string {
	t.Helper()
	_, res := w.scim(t, "GET", "/scim/v2/maple/Users?filter="+url.QueryEscape(filter), "", "Bearer "+w.token)
	id, _ := at(res, "Resources.0.id").(string)
	if id == "" {
		t.Fatalf("nobody found by %s: %v", filter, res)
	}
	return id
}
