package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"rollcall/app"
)

// Who may use a route (access.go):
const (
	forServer = "server" // server admins only
	forOrg    = "org"    // admins of the whole organization
	forGroup  = "group"  // group admins too, on their groups' resources
	forList   = "list"   // group admins too: a list narrowed to their groups
	forAny    = "any"    // every signed-in admin (nothing of an organization in it)
	forOwner  = "owner"  // the admin who started the job
)

// routeAccess is who may use each admin route. A route missing here fails
// TestRoleMatrix: every new route is given its rule.
var routeAccess = map[string]string{
	"DELETE /api/admins/{admin}":         forServer,
	"GET /api/admins":                    forServer,
	"POST /api/admins":                   forServer,
	"POST /api/admins/{admin}/disable":   forServer,
	"POST /api/admins/{admin}/enable":    forServer,
	"PUT /api/admins/{admin}/password":   forServer,
	"GET /api/audit":                     forServer, // without ?org=: the whole installation's log
	"GET /api/audit.csv":                 forServer,
	"GET /api/backup":                    forServer,
	"GET /api/backups":                   forServer,
	"POST /api/backups":                  forServer,
	"POST /api/backups/restore":          forServer,
	"POST /api/backups/compact":          forServer,
	"POST /api/backups/{name}/restore":   forServer,
	"GET /api/signin-holds":              forServer,
	"DELETE /api/signin-holds/{account}": forServer,
	"DELETE /api/signup-pause":           forServer,
	"GET /api/signup-pause":              forAny,
	"POST /api/lan":                      forServer,
	"DELETE /api/lan":                    forServer,
	"GET /api/lan":                       forAny,
	"GET /api/imports/template":          forAny,
	"POST /api/organizations":            forServer,
	"GET /api/organizations":             forAny, // narrowed to their own

	"PUT /api/admins/{admin}/name":             forServer,
	"DELETE /api/admins/{admin}/two-step":      forServer,
	"GET /api/security":                        forServer,
	"PUT /api/security":                        forServer,
	"GET /api/me/two-step":                     forAny, // one's own: admin accounts and people with a role
	"POST /api/me/two-step/setup":              forAny,
	"POST /api/me/two-step/confirm":            forAny,
	"POST /api/me/two-step/off":                forAny,
	"POST /api/me/two-step/recovery-codes":     forAny,
	"GET /api/me/sessions":                     forAny,
	"DELETE /api/me/sessions/{session}":        forAny,
	"POST /api/me/sessions/sign-out-others":    forAny,
	"GET /api/me/sso-identities":               forServer, // links of admin accounts; people with a role sign in with their own
	"DELETE /api/me/sso-identities/{provider}": forServer,

	"DELETE /api/jobs/{job}":             forOwner,
	"GET /api/jobs/{job}":                forOwner,
	"GET /api/jobs/{job}/credentials":    forOwner,
	"GET /api/jobs/{job}/csv":            forOwner,
	"GET /api/jobs/{job}/import":         forOwner,
	"GET /api/jobs/{job}/import-results": forOwner,
	"GET /api/jobs/{job}/import-slips":   forOwner,
	"GET /api/jobs/{job}/sheet":          forOwner,
	"GET /api/jobs/{job}/slips":          forOwner,
	"POST /api/jobs/{job}/cancel":        forOwner,
	"GET /api/organizations/{org}/jobs":  forList, // one's own jobs in the organization

	"GET /api/organizations/{org}":                                        forList,
	"PATCH /api/organizations/{org}":                                      forOrg,
	"GET /api/organizations/{org}/deletions":                              forOrg,
	"GET /api/organizations/{org}/groups":                                 forList,
	"POST /api/organizations/{org}/groups":                                forOrg,
	"GET /api/organizations/{org}/groups/{group}":                         forGroup,
	"PATCH /api/organizations/{org}/groups/{group}":                       forOrg,
	"DELETE /api/organizations/{org}/groups/{group}":                      forOrg,
	"GET /api/organizations/{org}/groups/{group}/invite-code":             forGroup,
	"PATCH /api/organizations/{org}/groups/{group}/invite-code":           forGroup,
	"POST /api/organizations/{org}/groups/{group}/invite-code/regenerate": forGroup,
	"GET /api/organizations/{org}/groups/{group}/invite-code/poster.pdf":  forGroup,
	"GET /api/organizations/{org}/groups/{group}/invite-code/qr.png":      forGroup,
	"GET /api/organizations/{org}/groups/{group}/invite-code/qr.svg":      forGroup,
	"GET /api/organizations/{org}/invite-code":                            forOrg,
	"PATCH /api/organizations/{org}/invite-code":                          forOrg,
	"POST /api/organizations/{org}/invite-code/regenerate":                forOrg,
	"GET /api/organizations/{org}/invite-code/poster.pdf":                 forOrg,
	"GET /api/organizations/{org}/invite-code/qr.png":                     forOrg,
	"GET /api/organizations/{org}/invite-code/qr.svg":                     forOrg,
	"GET /api/organizations/{org}/invite-codes":                           forList,
	"GET /api/organizations/{org}/apps":                                   forOrg,
	"POST /api/organizations/{org}/apps":                                  forOrg,
	"DELETE /api/organizations/{org}/apps/{app}":                          forOrg,
	"POST /api/oidc/rotate-key":                                           forServer,
	"GET /api/organizations/{org}/invite-links":                           forList,
	"POST /api/organizations/{org}/invite-links":                          forGroup,
	"DELETE /api/organizations/{org}/invite-links/{link}":                 forGroup,
	"POST /api/organizations/{org}/invite-links/{link}/poster.pdf":        forGroup,
	"POST /api/organizations/{org}/invite-links/{link}/qr.png":            forGroup,
	"POST /api/organizations/{org}/invite-links/{link}/qr.svg":            forGroup,
	"POST /api/organizations/{org}/invite-links/{link}/renew":             forGroup,
	"POST /api/organizations/{org}/invite-links/{link}/revoke":            forGroup,
	"GET /api/organizations/{org}/imports":                                forOrg,
	"POST /api/organizations/{org}/imports":                               forOrg,
	"POST /api/organizations/{org}/imports/{draft}/commit":                forOrg,
	"POST /api/organizations/{org}/imports/{draft}/preview":               forOrg,
	"GET /api/organizations/{org}/invitations":                            forList,
	"POST /api/organizations/{org}/invitations":                           forGroup,
	"POST /api/organizations/{org}/invitations/resend-expired":            forOrg,
	"POST /api/organizations/{org}/invitations/{invitation}/cancel":       forGroup,
	"POST /api/organizations/{org}/invitations/{invitation}/resend":       forGroup,
	"GET /api/organizations/{org}/labels":                                 forList,
	"GET /api/organizations/{org}/outbox":                                 forOrg,
	"POST /api/organizations/{org}/outbox/retry":                          forOrg,
	"POST /api/organizations/{org}/outbox/{message}/retry":                forOrg,
	"GET /api/organizations/{org}/rollover":                               forOrg,
	"POST /api/organizations/{org}/rollover":                              forOrg,
	"POST /api/organizations/{org}/rollover/preview":                      forOrg,
	"GET /api/organizations/{org}/signups":                                forList,
	"GET /api/organizations/{org}/signups/count":                          forList,
	"POST /api/organizations/{org}/signups/approve":                       forGroup,
	"POST /api/organizations/{org}/signups/reject":                        forGroup,
	"GET /api/organizations/{org}/scim":                                   forOrg,
	"PUT /api/organizations/{org}/scim":                                   forOrg,
	"POST /api/organizations/{org}/scim/tokens":                           forOrg,
	"DELETE /api/organizations/{org}/scim/tokens/{token}":                 forOrg,
	"GET /api/organizations/{org}/smtp":                                   forOrg,
	"GET /api/organizations/{org}/sms":                                    forOrg,
	"PUT /api/organizations/{org}/sms":                                    forOrg,
	"POST /api/organizations/{org}/sms/test":                              forOrg,
	"GET /api/organizations/{org}/sso-providers":                          forOrg,
	"POST /api/organizations/{org}/sso-providers":                         forOrg,
	"PATCH /api/organizations/{org}/sso-providers/{provider}":             forOrg,
	"DELETE /api/organizations/{org}/sso-providers/{provider}":            forOrg,
	"POST /api/organizations/{org}/sso-providers/{provider}/test":         forOrg,
	"PUT /api/organizations/{org}/smtp":                                   forOrg,
	"POST /api/organizations/{org}/smtp/test":                             forOrg,
	"GET /api/organizations/{org}/users":                                  forList,
	"POST /api/organizations/{org}/users":                                 forGroup,
	"POST /api/organizations/{org}/users/bulk":                            forOrg,
	"POST /api/organizations/{org}/users/export":                          forOrg,
	"GET /api/organizations/{org}/users/{user}":                           forGroup,
	"PATCH /api/organizations/{org}/users/{user}":                         forGroup,
	"DELETE /api/organizations/{org}/users/{user}":                        forOrg,
	"POST /api/organizations/{org}/users/{user}/activate":                 forGroup,
	"POST /api/organizations/{org}/users/{user}/activation":               forGroup,
	"POST /api/organizations/{org}/users/{user}/deactivate":               forGroup,
	"POST /api/organizations/{org}/users/{user}/erase":                    forOrg,
	"GET /api/organizations/{org}/users/{user}/export":                    forOrg,
	"PUT /api/organizations/{org}/users/{user}/roles":                     forOrg,
	"POST /api/organizations/{org}/users/{user}/badge":                    forGroup,
	"DELETE /api/organizations/{org}/users/{user}/badge":                  forGroup,
	"POST /api/organizations/{org}/groups/{group}/badges":                 forGroup,
	"POST /api/organizations/{org}/groups/{group}/badges/void":            forGroup,
	"POST /api/organizations/{org}/badges":                                forOrg,
	"POST /api/organizations/{org}/badges/void":                           forOrg,
	"DELETE /api/organizations/{org}/users/{user}/two-step":               forOrg,
	"POST /api/organizations/{org}/accounts":                              forGroup,
	"POST /api/organizations/{org}/accounts/preview":                      forGroup,
	"POST /api/organizations/{org}/accounts/reset":                        forGroup,
	"POST /api/organizations/{org}/accounts/parse":                        forAny,
}

// matrixWorld is one organization, Maple, with classes 2A and 2B, a pupil
// in each, a link and an invitation into each; a second organization, Oak,
// with its own admin; and the five principals.
type matrixWorld struct {
	e                         *env
	org                       string
	group, user, link, invite map[string]string // by class: "2A", "2B"
	job                       string
	server, teacher, oakAdmin string // admin session cookies
	pupil                     string // a portal session, sent as the admin cookie
}

func newMatrixWorld(t *testing.T) *matrixWorld {
	t.Helper()
	e := newEnv(t)
	w := &matrixWorld{e: e, group: map[string]string{}, user: map[string]string{}, link: map[string]string{}, invite: map[string]string{}}
	w.server = e.setup(t)
	org := e.createOrg(t, w.server, map[string]any{"name": "Maple Primary", "slug": "maple"})
	w.org = org.ID
	for _, c := range []string{"2A", "2B"} {
		w.group[c] = e.createGroup(t, w.server, org.ID, map[string]any{"name": c}).ID
		w.user[c] = e.createUser(t, w.server, org.ID, map[string]any{"first_name": "Pupil", "last_name": c, "username": "pupil." + strings.ToLower(c),
			"password": "Pupil-pass-1234", "groups": []string{w.group[c]}}).ID
		l := call[app.NewInviteLink](t, e, "POST", "/api/organizations/"+org.ID+"/invite-links",
			map[string]any{"name": c + " link", "password": "link-pass", "groups": []string{w.group[c]}}, w.server, http.StatusCreated)
		w.link[c] = l.Link.ID
		inv := &app.Invitation{ID: "inv-" + c, OrgID: org.ID, Email: "parent." + strings.ToLower(c) + "@maple.example", Mode: app.ModeCreate,
			Groups: []string{w.group[c]}, Status: app.InvitationPending, TokenHash: "hash-" + c, CreatedAt: e.Clock.Now(), ExpiresAt: e.Clock.Now().Add(time.Hour)}
		if err := e.DB.CreateInvitations(context.Background(), nil, nil, []*app.Invitation{inv}, nil); err != nil {
			t.Fatal(err)
		}
		w.invite[c] = inv.ID
	}
	// Ms Virtanen teaches 2A: a person of Maple with a role on 2A.
	teacher := e.createUser(t, w.server, org.ID, map[string]any{"first_name": "Tiina", "last_name": "Virtanen", "username": "t.virtanen",
		"password": "Teacher-pass-1234", "account_type": "teacher"})
	call[app.User](t, e, "PUT", "/api/organizations/"+org.ID+"/users/"+teacher.ID+"/roles", map[string]any{"groups": []string{"2A"}}, w.server, http.StatusOK)
	w.teacher = sessionCookie(t, e.signIn(t, "t.virtanen", "Teacher-pass-1234", lanAddr)).Value
	// Oak's organization admin.
	oak := e.createOrg(t, w.server, map[string]any{"name": "Oak Academy", "slug": "oak"})
	head := e.createUser(t, w.server, oak.ID, map[string]any{"first_name": "Olli", "last_name": "Oak", "username": "olli.oak", "password": "Oak-admin-pass-1"})
	call[app.User](t, e, "PUT", "/api/organizations/"+oak.ID+"/users/"+head.ID+"/roles", map[string]any{"org_admin": true}, w.server, http.StatusOK)
	w.oakAdmin = sessionCookie(t, e.signIn(t, "olli.oak", "Oak-admin-pass-1", lanAddr)).Value
	// A pupil's portal session.
	rec := e.serve(newRequest(t, "POST", "/api/public/signin", map[string]string{"login": "pupil.2a", "password": "Pupil-pass-1234"}))
	for _, c := range rec.Result().Cookies() {
		if c.Value != "" && c.Name != "rollcall_device" {
			w.pupil = c.Value
		}
	}
	if w.pupil == "" {
		t.Fatalf("the pupil's sign-in set no session: %d %s", rec.Code, rec.Body.String())
	}
	w.job = call[app.JobStatus](t, e, "POST", "/api/organizations/"+org.ID+"/accounts",
		map[string]any{"people": []map[string]any{{"first_name": "Job", "last_name": "Pupil"}}, "groups": []string{w.group["2A"]}}, w.server, http.StatusAccepted).ID
	waitFor(t, e, w.job)
	return w
}

func waitFor(t *testing.T, e *env, id string) {
	t.Helper()
	for range 500 {
		if st, err := e.App.Jobs.Status(id); err == nil && st.State != app.JobRunning {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("job %s did not end", id)
}

// request is the path and body of route r for the resources of class c.
func (w *matrixWorld) request(r route, c string) (string, any) {
	path := strings.NewReplacer("{org}", w.org, "{group}", w.group[c], "{user}", w.user[c], "{link}", w.link[c],
		"{invitation}", w.invite[c], "{job}", w.job, "{draft}", "d1", "{message}", "m1", "{name}", "rollcall-2026-01-01-000000-manual.db",
		"{admin}", "a1", "{account}", "x1", "{session}", "s1", "{provider}", "p1", "{app}", "app1").Replace(r.path)
	groups := []string{w.group[c]}
	switch r.method + " " + r.path {
	case "POST /api/organizations/{org}/users":
		return path, map[string]any{"first_name": "New", "last_name": "Pupil", "username": "new.pupil", "groups": groups}
	case "POST /api/organizations/{org}/accounts", "POST /api/organizations/{org}/accounts/preview":
		return path, map[string]any{"people": []map[string]any{{"first_name": "Uusi", "last_name": "Oppilas"}}, "groups": groups}
	case "POST /api/organizations/{org}/accounts/reset":
		return path, map[string]any{"user_ids": []string{w.user[c]}}
	case "POST /api/organizations/{org}/invite-links":
		return path, map[string]any{"name": "More", "password": "link-pass", "groups": groups}
	case "POST /api/organizations/{org}/invitations":
		return path, map[string]any{"addresses": "new.parent@maple.example", "groups": groups}
	case "POST /api/organizations/{org}/signups/approve", "POST /api/organizations/{org}/signups/reject":
		return path, map[string]any{"ids": []string{w.user[c]}}
	case "PATCH /api/organizations/{org}/users/{user}":
		return path, map[string]any{"first_name": "Renamed"}
	case "POST /api/lan":
		return path, map[string]any{"addr": "127.0.0.1:0"}
	case "POST /api/organizations/{org}/apps":
		return path, map[string]any{"name": "Moodle", "redirect_uris": []string{"https://moodle.maple.example/cb"}}
	case "POST /api/organizations/{org}/invite-links/{link}/poster.pdf", "POST /api/organizations/{org}/invite-links/{link}/qr.png",
		"POST /api/organizations/{org}/invite-links/{link}/qr.svg":
		return path, map[string]any{"token": "wrong"}
	}
	if b := routeBody(r.method, r.path); b != nil || r.method == "GET" {
		return path, b
	}
	return path, map[string]any{}
}

// send sends a request as the holder of the admin cookie and returns the
// status and, for a JSON answer, its object.
func (w *matrixWorld) send(t *testing.T, method, path string, body any, cookie string) (int, map[string]any) {
	t.Helper()
	rec := w.e.serve(withCookie(newRequest(t, method, path, body), cookie))
	var out map[string]any
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && rec.Body.Len() > 0 {
		json.Unmarshal(rec.Body.Bytes(), &out)
	}
	return rec.Code, out
}

// refused reports whether an answer says the principal may not: 401, 403,
// or a 404 that hides an organization or a job that is not theirs.
func refused(status int, body map[string]any) bool {
	msg, _ := body["message"].(string)
	return status == http.StatusUnauthorized || status == http.StatusForbidden ||
		status == http.StatusNotFound && (strings.Contains(msg, "no organization") || strings.Contains(msg, "results were cleared"))
}

// TestRoleMatrix walks every admin route (read from the router's source)
// for five principals — anonymous, a pupil, the group admin of 2A, the
// admin of another organization, a server admin — against 2A's and 2B's
// resources, and checks each answer against the route's rule: 401 for
// anonymous and the pupil; for the others refused (401/403, or 404 for
// another organization's resources and another admin's jobs) or allowed
// (anything else: 200, or 400/404/409 of the use case itself).
func TestRoleMatrix(t *testing.T) {
	signIn := map[string]bool{"GET /api/setup": true, "POST /api/setup": true, "GET /api/session": true, "POST /api/session": true, "DELETE /api/session": true,
		"POST /api/session/second-factor": true}
	var routes []route
	for _, r := range allRoutes(t) {
		if isPublic(r) || signIn[r.method+" "+r.path] || r.path == "/api/" {
			continue
		}
		if _, ok := routeAccess[r.method+" "+r.path]; !ok {
			t.Errorf("%s %s has no rule in routeAccess: say who may use it", r.method, r.path)
			continue
		}
		routes = append(routes, r)
	}
	n := 0
	for _, r := range routes {
		rule := routeAccess[r.method+" "+r.path]
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			try := func(w *matrixWorld, who, cookie, class string, allow bool) {
				t.Helper()
				path, body := w.request(r, class)
				status, got := w.send(t, r.method, path, body, cookie)
				n++
				if refused(status, got) == allow {
					want := "allowed"
					if !allow {
						want = "refused"
					}
					t.Errorf("%s on %s: %d %v, want %s (rule %q)", who, class, status, got, want, rule)
				}
				if r.path == "/api/lan" && r.method == "POST" {
					w.e.Server.StopPublic()
				}
			}
			// Refusals change nothing: one world serves them, and the group
			// admin's own class comes last.
			w := newMatrixWorld(t)
			for _, c := range []string{"2B", "2A"} {
				for who, cookie := range map[string]string{"anonymous": "", "pupil": w.pupil} {
					status, got := w.send(t, r.method, strings.Replace(r.path, "{org}", w.org, 1), nil, cookie)
					n++
					if status != http.StatusUnauthorized {
						t.Errorf("%s on %s: %d %v, want 401", who, c, status, got)
					}
				}
				try(w, "Oak's admin", w.oakAdmin, c, rule == forAny)
			}
			teacherMay := rule == forAny || rule == forList || rule == forGroup
			try(w, "2A's teacher", w.teacher, "2B", teacherMay && rule != forGroup)
			try(w, "2A's teacher", w.teacher, "2A", teacherMay)
			// The server admin in a world of their own.
			s := newMatrixWorld(t)
			if rule == forOwner { // one job
				try(s, "a server admin", s.server, "2A", true)
				return
			}
			try(s, "a server admin", s.server, "2B", true)
			try(s, "a server admin", s.server, "2A", true)
		})
	}
	t.Logf("%d routes, %d requests", len(routes), n)
}
