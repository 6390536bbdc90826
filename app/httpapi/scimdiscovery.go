package httpapi

import (
	"net/http"
	"strings"
)

// The SCIM discovery endpoints (RFC 7644 §4): what this service provider
// supports, its resource types and their schemas (RFC 7643 §7), listing
// only the attributes Rollcall keeps.

func (s *Server) scimConfig(w http.ResponseWriter, r *http.Request) {
	no := map[string]any{"supported": false}
	writeSCIM(w, http.StatusOK, map[string]any{
		"schemas":          []string{scimConfigSchema},
		"documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": scimMaxCount},
		"changePassword":   no,
		"sort":             no,
		"etag":             no,
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "Bearer token", "primary": true,
			"description": "A provisioning token made under Settings → Provisioning, sent as Authorization: Bearer <token>.",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": scimBase(r) + "/ServiceProviderConfig"},
	})
}

func resourceTypeList(r *http.Request) []map[string]any {
	return []map[string]any{
		{
			"schemas": []string{scimTypeSchema}, "id": "User", "name": "User", "endpoint": "/Users",
			"description": "A person of the organization", "schema": scimUserSchema,
			"schemaExtensions": []any{map[string]any{"schema": scimEnterpriseSchema, "required": false}},
			"meta":             map[string]any{"resourceType": "ResourceType", "location": scimBase(r) + "/ResourceTypes/User"},
		},
		{
			"schemas": []string{scimTypeSchema}, "id": "Group", "name": "Group", "endpoint": "/Groups",
			"description": "A class or department of the organization", "schema": scimGroupSchema,
			"meta": map[string]any{"resourceType": "ResourceType", "location": scimBase(r) + "/ResourceTypes/Group"},
		},
	}
}

func (s *Server) scimResourceTypes(w http.ResponseWriter, r *http.Request) {
	s.discovery(w, r, resourceTypeList(r))
}

func (s *Server) scimSchemas(w http.ResponseWriter, r *http.Request) {
	s.discovery(w, r, scimSchemaList(r))
}

// discovery answers a list, or with {id} its one entry.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request, all []map[string]any) {
	id := r.PathValue("id")
	if id == "" {
		list := make([]any, len(all))
		for i, e := range all {
			list[i] = e
		}
		writeSCIM(w, http.StatusOK, listResponse(list, len(list), 1))
		return
	}
	for _, e := range all {
		if strings.EqualFold(e["id"].(string), id) {
			writeSCIM(w, http.StatusOK, e)
			return
		}
	}
	scimFail(w, r, s, scimProblem(http.StatusNotFound, "", "There is no %q here.", id))
}

// attribute describes one attribute of a schema.
func attribute(name, typ string, multi, required bool, mutability, uniqueness string, sub ...map[string]any) map[string]any {
	a := map[string]any{
		"name": name, "type": typ, "multiValued": multi, "required": required, "caseExact": false,
		"mutability": mutability, "returned": "default", "uniqueness": uniqueness,
	}
	if len(sub) > 0 {
		a["subAttributes"] = sub
	}
	return a
}

func scimSchemaList(r *http.Request) []map[string]any {
	str := func(name string) map[string]any { return attribute(name, "string", false, false, "readWrite", "none") }
	multi := func(name string) map[string]any {
		return attribute(name, "complex", true, false, "readWrite", "none", str("value"), str("type"), attribute("primary", "boolean", false, false, "readWrite", "none"))
	}
	ref := func(name, mutability string) map[string]any {
		return attribute(name, "complex", true, false, mutability, "none", str("value"), str("display"), attribute("$ref", "reference", false, false, mutability, "none"))
	}
	schema := func(id, name, desc string, attrs ...map[string]any) map[string]any {
		return map[string]any{"schemas": []string{scimSchemaSchema}, "id": id, "name": name, "description": desc, "attributes": attrs,
			"meta": map[string]any{"resourceType": "Schema", "location": scimBase(r) + "/Schemas/" + id}}
	}
	return []map[string]any{
		schema(scimUserSchema, "User", "A person of the organization",
			attribute("userName", "string", false, true, "readWrite", "server"),
			attribute("name", "complex", false, false, "readWrite", "none", str("givenName"), str("familyName"), str("formatted")),
			str("displayName"), str("title"), str("externalId"), str("userType"),
			attribute("active", "boolean", false, false, "readWrite", "none"),
			multi("emails"), multi("phoneNumbers"), ref("groups", "readOnly")),
		schema(scimEnterpriseSchema, "EnterpriseUser", "The department, when the organization has a group of that name", str("department")),
		schema(scimGroupSchema, "Group", "A class or department of the organization",
			attribute("displayName", "string", false, true, "readWrite", "server"), str("externalId"), ref("members", "readWrite")),
	}
}
