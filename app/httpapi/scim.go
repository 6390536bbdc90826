package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"rollcall/app"
)

// The SCIM 2.0 service provider (RFC 7643, 7644) of each organization, at
// /scim/v2/<org>/, under serve only: the desktop window has no network
// clients and the LAN sign-up listener never serves it (lan.go). A request
// carries the organization's bearer token (app/scim.go); the JSON of SCIM
// (resources, filters, PATCH operations, error bodies) is turned here into
// the app's calls and back.

// SCIM schema and message URNs.
const (
	scimUserSchema       = "urn:ietf:params:scim:schemas:core:2.0:User"
	scimEnterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	scimGroupSchema      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	scimListSchema       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	scimErrorSchema      = "urn:ietf:params:scim:api:messages:2.0:Error"
	scimPatchSchema      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	scimConfigSchema     = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	scimTypeSchema       = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	scimSchemaSchema     = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// scimContentType is the media type of every SCIM answer (RFC 7644 §3.1).
const scimContentType = "application/scim+json"

// Paging: the default and largest count of a list.
const (
	scimDefaultCount = 100
	scimMaxCount     = 1000
)

// enterpriseKey is the enterprise extension's key in a resource whose keys
// are lower-cased (see lowerKeys).
var enterpriseKey = strings.ToLower(scimEnterpriseSchema)

// scimRoutes are the SCIM endpoints, on a mux of their own that Handler
// mounts at /scim/v2/.
func (s *Server) scimRoutes() *http.ServeMux {
	sm := http.NewServeMux()
	const p = "/scim/v2/{org}"
	sm.HandleFunc("GET "+p+"/ServiceProviderConfig", s.directory(s.scimConfig))
	sm.HandleFunc("GET "+p+"/ResourceTypes", s.directory(s.scimResourceTypes))
	sm.HandleFunc("GET "+p+"/ResourceTypes/{id}", s.directory(s.scimResourceTypes))
	sm.HandleFunc("GET "+p+"/Schemas", s.directory(s.scimSchemas))
	sm.HandleFunc("GET "+p+"/Schemas/{id}", s.directory(s.scimSchemas))
	sm.HandleFunc("GET "+p+"/Users", s.directory(s.scimListUsers))
	sm.HandleFunc("POST "+p+"/Users", s.directory(s.scimCreateUser))
	sm.HandleFunc("GET "+p+"/Users/{id}", s.directory(s.scimGetUser))
	sm.HandleFunc("PUT "+p+"/Users/{id}", s.directory(s.scimPutUser))
	sm.HandleFunc("PATCH "+p+"/Users/{id}", s.directory(s.scimPatchUser))
	sm.HandleFunc("DELETE "+p+"/Users/{id}", s.directory(s.scimDeleteUser))
	sm.HandleFunc("GET "+p+"/Groups", s.directory(s.scimListGroups))
	sm.HandleFunc("POST "+p+"/Groups", s.directory(s.scimCreateGroup))
	sm.HandleFunc("GET "+p+"/Groups/{id}", s.directory(s.scimGetGroup))
	sm.HandleFunc("PUT "+p+"/Groups/{id}", s.directory(s.scimPutGroup))
	sm.HandleFunc("PATCH "+p+"/Groups/{id}", s.directory(s.scimPatchGroup))
	sm.HandleFunc("DELETE "+p+"/Groups/{id}", s.directory(s.scimDeleteGroup))
	// Another method on a known path is refused with a SCIM body too
	// (a pattern without a method ranks below those with one).
	for _, path := range []string{"/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/{id}", "/Schemas", "/Schemas/{id}",
		"/Users", "/Users/{id}", "/Groups", "/Groups/{id}"} {
		sm.HandleFunc(p+path, func(w http.ResponseWriter, r *http.Request) {
			scimFail(w, r, s, scimProblem(http.StatusMethodNotAllowed, "", "%s is not allowed on %s.", r.Method, r.URL.Path))
		})
	}
	sm.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		scimFail(w, r, s, scimProblem(http.StatusNotFound, "", "There is no SCIM endpoint %s %s.", r.Method, r.URL.Path))
	})
	return sm
}

// directory lets a request through with its organization's bearer token
// (never a session cookie), the token as the actor of the changes.
func (s *Server) directory(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		secret := ""
		if scheme, rest, ok := strings.Cut(auth, " "); ok && strings.EqualFold(scheme, "Bearer") {
			secret = strings.TrimSpace(rest)
		}
		ctx, err := s.app.SCIMSignIn(r.Context(), r.PathValue("org"), secret)
		if err != nil {
			scimFail(w, r, s, err)
			return
		}
		h(w, r.WithContext(ctx))
	}
}

// scimError is a protocol error found here (a bad filter or PATCH).
type scimError struct {
	status   int
	scimType string
	detail   string
}

func (e *scimError) Error() string { return e.detail }

func scimProblem(status int, scimType, format string, args ...any) error {
	return &scimError{status: status, scimType: scimType, detail: fmt.Sprintf(format, args...)}
}

// scimFail writes err as a SCIM error body (RFC 7644 §3.12): status as a
// string, scimType where one applies.
func scimFail(w http.ResponseWriter, r *http.Request, s *Server, err error) {
	body := map[string]any{"schemas": []string{scimErrorSchema}}
	status := http.StatusInternalServerError
	var se *scimError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &se):
		status, body["detail"] = se.status, se.detail
		if se.scimType != "" {
			body["scimType"] = se.scimType
		}
	case errors.As(err, &tooLarge):
		status, body["detail"] = http.StatusRequestEntityTooLarge, "The request is too large."
	default:
		code := app.ErrorCode(err)
		if st, ok := errorStatus[code]; ok {
			status = st
		}
		body["detail"] = app.ErrorMessage(err)
		switch code {
		case app.ECONFLICT:
			body["scimType"] = "uniqueness"
		case app.EINVALID:
			body["scimType"] = "invalidValue"
		case app.EINTERNAL:
			s.log.Error("SCIM request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="rollcall-scim"`)
	}
	body["status"] = strconv.Itoa(status)
	writeSCIM(w, status, body)
}

func writeSCIM(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", scimContentType)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// readSCIM reads a JSON object body (at most MaxBodyBytes), its keys
// lower-cased: SCIM attribute names are case-insensitive.
func readSCIM(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, scimProblem(http.StatusBadRequest, "invalidSyntax", "The request body is not a JSON object.")
	}
	return lowerKeys(m).(map[string]any), nil
}

// lowerKeys returns v with every object key lower-cased, deeply.
func lowerKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[strings.ToLower(k)] = lowerKeys(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = lowerKeys(e)
		}
		return out
	}
	return v
}

// scimBase is the absolute address of the organization's endpoint, for
// meta.location.
func scimBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.URL.Scheme == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/scim/v2/" + r.PathValue("org")
}

func scimTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// --- Users ---

// userResource is u as a SCIM User (with the enterprise extension);
// groups, when not nil, names the organization's groups for the read-only
// groups attribute and the department.
func userResource(r *http.Request, u *app.User, groups map[string]*app.Group) map[string]any {
	full := strings.TrimSpace(u.FirstName + " " + u.LastName)
	loc := scimBase(r) + "/Users/" + u.ID
	m := map[string]any{
		"schemas":     []string{scimUserSchema, scimEnterpriseSchema},
		"id":          u.ID,
		"userName":    u.DirectoryUserName(),
		"name":        map[string]any{"givenName": u.FirstName, "familyName": u.LastName, "formatted": full},
		"displayName": full,
		"userType":    u.AccountType,
		"active":      u.Status == app.StatusActive,
		"meta":        map[string]any{"resourceType": "User", "created": scimTime(u.CreatedAt), "lastModified": scimTime(u.UpdatedAt), "location": loc},
	}
	if u.ExternalID != "" {
		m["externalId"] = u.ExternalID
	}
	if u.Email != "" {
		m["emails"] = []any{map[string]any{"value": u.Email, "type": "work", "primary": true}}
	}
	if u.Phone != "" {
		m["phoneNumbers"] = []any{map[string]any{"value": u.Phone, "type": "work", "primary": true}}
	}
	if u.JobTitle != "" {
		m["title"] = u.JobTitle
	}
	if groups != nil {
		refs := []any{}
		department := ""
		for _, id := range u.Groups {
			g := groups[id]
			if g == nil {
				continue
			}
			refs = append(refs, map[string]any{"value": g.ID, "display": g.Name, "$ref": scimBase(r) + "/Groups/" + g.ID, "type": "direct"})
			if g.Kind == app.GroupDepartment && department == "" {
				department = g.Name
			}
		}
		m["groups"] = refs
		if department != "" {
			m[scimEnterpriseSchema] = map[string]any{"department": department}
		}
	}
	return m
}

// directoryUser reads a User resource (keys lower-cased) into what the app
// takes. active may be a boolean or, as Entra ID sends it, "True"/"False".
func directoryUser(m map[string]any) (app.DirectoryUser, error) {
	var in app.DirectoryUser
	str := func(v any, field string) (string, error) {
		switch x := v.(type) {
		case nil:
			return "", nil
		case string:
			return x, nil
		}
		return "", scimProblem(http.StatusBadRequest, "invalidValue", "The attribute %s must be a string.", field)
	}
	var err error
	get := func(dst *string, v any, field string) {
		if err == nil {
			*dst, err = str(v, field)
		}
	}
	name, _ := m["name"].(map[string]any)
	ent, _ := m[enterpriseKey].(map[string]any)
	get(&in.UserName, m["username"], "userName")
	get(&in.ExternalID, m["externalid"], "externalId")
	get(&in.JobTitle, m["title"], "title")
	get(&in.UserType, m["usertype"], "userType")
	get(&in.FirstName, name["givenname"], "name.givenName")
	get(&in.LastName, name["familyname"], "name.familyName")
	get(&in.Department, ent["department"], "department")
	if err != nil {
		return in, err
	}
	if in.FirstName == "" && in.LastName == "" {
		display, _ := m["displayname"].(string)
		if first, last, ok := strings.Cut(strings.TrimSpace(display), " "); ok {
			in.FirstName, in.LastName = first, last
		} else {
			in.FirstName = display
		}
	}
	if in.Email, err = primaryValue(m["emails"], "emails"); err != nil {
		return in, err
	}
	if in.Phone, err = primaryValue(m["phonenumbers"], "phoneNumbers"); err != nil {
		return in, err
	}
	switch a := m["active"].(type) {
	case nil:
	case bool:
		in.Active = &a
	case string:
		b, perr := strconv.ParseBool(strings.ToLower(a))
		if perr != nil {
			return in, scimProblem(http.StatusBadRequest, "invalidValue", "active must be true or false, not %q.", a)
		}
		in.Active = &b
	default:
		return in, scimProblem(http.StatusBadRequest, "invalidValue", "active must be true or false.")
	}
	if strings.TrimSpace(in.UserName) == "" {
		return in, scimProblem(http.StatusBadRequest, "invalidValue", "userName is required.")
	}
	return in, nil
}

// primaryValue is the value of the primary entry of a multi-valued
// attribute, else of its "work" entry, else of its first.
func primaryValue(v any, field string) (string, error) {
	if v == nil {
		return "", nil
	}
	list, ok := v.([]any)
	if !ok {
		return "", scimProblem(http.StatusBadRequest, "invalidValue", "%s must be a list.", field)
	}
	pick := -1
	for i, e := range list {
		m, _ := e.(map[string]any)
		if m == nil {
			continue
		}
		if p, _ := m["primary"].(bool); p {
			pick = i
			break
		}
		if t, _ := m["type"].(string); strings.EqualFold(t, "work") && pick < 0 {
			pick = i
		}
	}
	if pick < 0 && len(list) > 0 {
		pick = 0
	}
	if pick < 0 {
		return "", nil
	}
	m, _ := list[pick].(map[string]any)
	value, _ := m["value"].(string)
	return value, nil
}

// groupIndex maps the IDs of the groups the people are in to the groups.
func (s *Server) groupIndex(r *http.Request, users ...*app.User) (map[string]*app.Group, error) {
	var ids []string
	for _, u := range users {
		ids = append(ids, u.Groups...)
	}
	return s.app.DirectoryGroupsOf(r.Context(), r.PathValue("org"), ids)
}

// paging reads startIndex (1-based) and count.
func paging(r *http.Request) (start, count int, err error) {
	start, count = 1, scimDefaultCount
	q := r.URL.Query()
	if v := q.Get("startIndex"); v != "" {
		if start, err = strconv.Atoi(v); err != nil {
			return 0, 0, scimProblem(http.StatusBadRequest, "invalidValue", "startIndex must be a number.")
		}
	}
	if v := q.Get("count"); v != "" {
		if count, err = strconv.Atoi(v); err != nil {
			return 0, 0, scimProblem(http.StatusBadRequest, "invalidValue", "count must be a number.")
		}
	}
	return max(start, 1), min(max(count, 0), scimMaxCount), nil
}

// listFilter parses the filter parameter; nil without one.
func listFilter(r *http.Request) (filter.Expression, error) {
	raw := strings.TrimSpace(r.URL.Query().Get("filter"))
	if raw == "" {
		return nil, nil
	}
	expr, err := filter.ParseFilter([]byte(raw))
	if err != nil {
		// Entra ID matches on a multi-valued attribute with a sub-attribute
		// after the brackets, which RFC 7644's grammar lacks:
		// emails[type eq "work"].value eq "x" is emails[type eq "work" and value eq "x"].
		if m := subAfterBrackets.FindStringSubmatch(raw); m != nil && !strings.Contains(strings.ToLower(m[2]), " or ") {
			if e, err2 := filter.ParseFilter([]byte(m[1] + "[" + m[2] + " and " + m[3] + " " + m[4] + "]")); err2 == nil {
				return e, nil
			}
		}
		return nil, scimProblem(http.StatusBadRequest, "invalidFilter", "The filter %q cannot be read: %v", raw, err)
	}
	return expr, nil
}

// subAfterBrackets is attr[filter].sub op value, the whole filter.
var subAfterBrackets = regexp.MustCompile(`^([A-Za-z][\w:.-]*)\[(.+)\]\.([A-Za-z][\w-]*)\s+(.+)$`)

func listResponse(resources []any, total, start int) map[string]any {
	return map[string]any{"schemas": []string{scimListSchema}, "totalResults": total, "itemsPerPage": len(resources), "startIndex": start, "Resources": resources}
}

func (s *Server) scimListUsers(w http.ResponseWriter, r *http.Request) {
	start, count, err := paging(r)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	expr, err := listFilter(r)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	q := app.DirectoryQuery{Start: start - 1, Count: count}
	if expr != nil {
		q.Match = func(u *app.User) bool {
			return scimMatch(expr, lowerKeys(userResource(r, u, nil)).(map[string]any))
		}
		// The lookups a directory makes for every person it syncs are
		// answered from an index.
		if e, ok := expr.(*filter.AttributeExpression); ok && e.Operator == filter.EQ && e.AttributePath.URIPrefix == nil && e.AttributePath.SubAttribute == nil {
			v, _ := e.CompareValue.(string)
			switch strings.ToLower(e.AttributePath.AttributeName) {
			case "username":
				q.UserName = v
			case "externalid":
				q.ExternalID = v
			}
		}
	}
	page, err := s.app.DirectoryUsers(r.Context(), r.PathValue("org"), q)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	groups, err := s.groupIndex(r, page.Users...)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	out := make([]any, len(page.Users))
	for i, u := range page.Users {
		out[i] = userResource(r, u, groups)
	}
	writeSCIM(w, http.StatusOK, listResponse(out, page.Total, start))
}

// writeUser answers with the user as the directory now sees them.
func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, status int, u *app.User) {
	groups, err := s.groupIndex(r, u)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	res := userResource(r, u, groups)
	if status == http.StatusCreated {
		w.Header().Set("Location", res["meta"].(map[string]any)["location"].(string))
	}
	writeSCIM(w, status, res)
}

func (s *Server) scimGetUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.app.DirectoryUserByID(r.Context(), r.PathValue("org"), r.PathValue("id"))
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	s.writeUser(w, r, http.StatusOK, u)
}

func (s *Server) scimCreateUser(w http.ResponseWriter, r *http.Request) {
	m, err := readSCIM(w, r)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	in, err := directoryUser(m)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	u, err := s.app.ProvisionUser(r.Context(), r.PathValue("org"), in)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	s.writeUser(w, r, http.StatusCreated, u)
}

func (s *Server) scimPutUser(w http.ResponseWriter, r *http.Request) {
	m, err := readSCIM(w, r)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	in, err := directoryUser(m)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	u, err := s.app.ReplaceDirectoryUser(r.Context(), r.PathValue("org"), r.PathValue("id"), in)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	s.writeUser(w, r, http.StatusOK, u)
}

func (s *Server) scimPatchUser(w http.ResponseWriter, r *http.Request) {
	ops, err := readPatch(w, r)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	ctx, org, id := r.Context(), r.PathValue("org"), r.PathValue("id")
	u, err := s.app.DirectoryUserByID(ctx, org, id)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	res := lowerKeys(userResource(r, u, nil)).(map[string]any)
	if err := applyPatch(res, ops); err != nil {
		scimFail(w, r, s, err)
		return
	}
	in, err := directoryUser(res)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	if u, err = s.app.ReplaceDirectoryUser(ctx, org, id, in); err != nil {
		scimFail(w, r, s, err)
		return
	}
	s.writeUser(w, r, http.StatusOK, u)
}

func (s *Server) scimDeleteUser(w http.ResponseWriter, r *http.Request) {
	if err := s.app.DeprovisionUser(r.Context(), r.PathValue("org"), r.PathValue("id")); err != nil {
		scimFail(w, r, s, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// --- Groups ---

func groupResource(r *http.Request, g *app.Group, members []*app.User, withMembers bool) map[string]any {
	m := map[string]any{
		"schemas":     []string{scimGroupSchema},
		"id":          g.ID,
		"displayName": g.Name,
		"meta":        map[string]any{"resourceType": "Group", "created": scimTime(g.CreatedAt), "lastModified": scimTime(g.UpdatedAt), "location": scimBase(r) + "/Groups/" + g.ID},
	}
	if g.ExternalID != "" {
		m["externalId"] = g.ExternalID
	}
	if withMembers {
		list := make([]any, len(members))
		for i, u := range members {
			list[i] = map[string]any{"value": u.ID, "display": u.DirectoryUserName(), "$ref": scimBase(r) + "/Users/" + u.ID, "type": "User"}
		}
		m["members"] = list
	}
	return m
}

// withMembers reports whether the answer lists members: not when the
// directory asks to leave them out (excludedAttributes=members, as Entra ID does).
func withMembers(r *http.Request) bool {
	for _, a := range strings.Split(r.URL.Query().Get("excludedAttributes"), ",") {
		if strings.EqualFold(strings.TrimSpace(a), "members") {
			return false
		}
	}
	return true
}

// groupMembers reads the members of a Group resource (keys lower-cased).
func groupMembers(m map[string]any) ([]string, error) {
	var ids []string
	switch list := m["members"].(type) {
	case nil:
	case []any:
		for _, e := range list {
			em, _ := e.(map[string]any)
			id, _ := em["value"].(string)
			if id == "" {
				return nil, scimProblem(http.StatusBadRequest, "invalidValue", "Each member needs a value (the user's id).")
			}
			ids = append(ids, id)
		}
	default:
		return nil, scimProblem(http.StatusBadRequest, "invalidValue", "members must be a list.")
	}
	return ids, nil
}

func (s *Server) scimListGroups(w http.ResponseWriter, r *http.Request) {
	start, count, err := paging(r)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	expr, err := listFilter(r)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	ctx, org := r.Context(), r.PathValue("org")
	groups, err := s.app.DirectoryGroups(ctx, org)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	members := withMembers(r)
	var out []any
	total := 0
	for _, g := range groups {
		if expr != nil && !scimMatch(expr, lowerKeys(groupResource(r, g, nil, false)).(map[string]any)) {
			continue
		}
		total++
		if total < start || len(out) >= count {
			continue
		}
		var ms []*app.User
		if members {
			if _, ms, err = s.app.DirectoryGroup(ctx, org, g.ID, true); err != nil {
				scimFail(w, r, s, err)
				return
			}
		}
		out = append(out, groupResource(r, g, ms, members))
	}
	if out == nil {
		out = []any{}
	}
	writeSCIM(w, http.StatusOK, listResponse(out, total, start))
}

func (s *Server) writeGroup(w http.ResponseWriter, r *http.Request, status int, id string) {
	members := withMembers(r)
	g, ms, err := s.app.DirectoryGroup(r.Context(), r.PathValue("org"), id, members)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	res := groupResource(r, g, ms, members)
	if status == http.StatusCreated {
		w.Header().Set("Location", res["meta"].(map[string]any)["location"].(string))
	}
	writeSCIM(w, status, res)
}

func (s *Server) scimGetGroup(w http.ResponseWriter, r *http.Request) {
	s.writeGroup(w, r, http.StatusOK, r.PathValue("id"))
}

// groupInput reads a Group resource: its name, external ID and members.
func groupInput(m map[string]any) (name, externalID string, members []string, err error) {
	name, _ = m["displayname"].(string)
	externalID, _ = m["externalid"].(string)
	if strings.TrimSpace(name) == "" {
		return "", "", nil, scimProblem(http.StatusBadRequest, "invalidValue", "displayName is required.")
	}
	members, err = groupMembers(m)
	return name, externalID, members, err
}

func (s *Server) scimCreateGroup(w http.ResponseWriter, r *http.Request) {
	m, err := readSCIM(w, r)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	name, externalID, members, err := groupInput(m)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	g, err := s.app.ProvisionGroup(r.Context(), r.PathValue("org"), name, externalID, members)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	s.writeGroup(w, r, http.StatusCreated, g.ID)
}

func (s *Server) scimPutGroup(w http.ResponseWriter, r *http.Request) {
	m, err := readSCIM(w, r)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	name, _, members, err := groupInput(m)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	if _, err := s.app.ReplaceDirectoryGroup(r.Context(), r.PathValue("org"), r.PathValue("id"), name, members); err != nil {
		scimFail(w, r, s, err)
		return
	}
	s.writeGroup(w, r, http.StatusOK, r.PathValue("id"))
}

func (s *Server) scimPatchGroup(w http.ResponseWriter, r *http.Request) {
	ops, err := readPatch(w, r)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	ctx, org, id := r.Context(), r.PathValue("org"), r.PathValue("id")
	g, ms, err := s.app.DirectoryGroup(ctx, org, id, true)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	res := lowerKeys(groupResource(r, g, ms, true)).(map[string]any)
	if err := applyPatch(res, ops); err != nil {
		scimFail(w, r, s, err)
		return
	}
	name, _, members, err := groupInput(res)
	if err != nil {
		scimFail(w, r, s, err)
		return
	}
	if _, err := s.app.ReplaceDirectoryGroup(ctx, org, id, name, members); err != nil {
		scimFail(w, r, s, err)
		return
	}
	if len(ms) > scimMaxCount {
		w.WriteHeader(http.StatusNoContent) // a large group is not sent back whole (RFC 7644 §3.5.2 allows 204)
		return
	}
	s.writeGroup(w, r, http.StatusOK, id)
}

func (s *Server) scimDeleteGroup(w http.ResponseWriter, r *http.Request) {
	if err := s.app.DeprovisionGroup(r.Context(), r.PathValue("org"), r.PathValue("id")); err != nil {
		scimFail(w, r, s, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// --- Settings → Provisioning (admin routes) ---

func (s *Server) scimAdminRoutes(m *http.ServeMux) {
	m.Handle("GET /api/organizations/{org}/scim", s.admin(s.getSCIM))
	m.Handle("PUT /api/organizations/{org}/scim", s.admin(s.putSCIM))
	m.Handle("POST /api/organizations/{org}/scim/tokens", s.admin(s.createSCIMToken))
	m.Handle("DELETE /api/organizations/{org}/scim/tokens/{token}", s.admin(s.revokeSCIMToken))
}

func (s *Server) getSCIM(w http.ResponseWriter, r *http.Request) {
	p, err := s.app.SCIMProvisioning(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) putSCIM(w http.ResponseWriter, r *http.Request) {
	var in app.SCIMSettings
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.app.SetSCIMSettings(r.Context(), r.PathValue("org"), in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) createSCIMToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	t, err := s.app.CreateSCIMToken(r.Context(), r.PathValue("org"), in.Name)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) revokeSCIMToken(w http.ResponseWriter, r *http.Request) {
	if err := s.app.RevokeSCIMToken(r.Context(), r.PathValue("org"), r.PathValue("token")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
