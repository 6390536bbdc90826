package httpapi_test

import (
	"net/http"
	"testing"

	"rollcall/app"
)

// Issue 10 #8b over HTTP: list, new password, disable, enable, delete; the
// last active admin is refused; a disabled admin's cookie stops working.
func TestAdminRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	head := e.setup(t)
	call[map[string]any](t, e, "POST", "/api/admins", map[string]string{"username": "deputy", "password": "Unusual-horse-staple-9"}, head, http.StatusCreated)
	rec := e.signIn(t, "deputy", "Unusual-horse-staple-9", lanAddr)
	if rec.Code != http.StatusOK {
		t.Fatalf("deputy sign-in = %d %s", rec.Code, rec.Body.String())
	}
	deputy := sessionCookie(t, rec).Value

	list := call[struct{ Admins []app.Admin }](t, e, "GET", "/api/admins", nil, head, http.StatusOK)
	if len(list.Admins) != 2 || list.Admins[1].Username != "deputy" || list.Admins[1].Disabled {
		t.Fatalf("GET /api/admins = %+v", list)
	}

	code, body := e.do(t, "PUT", "/api/admins/deputy/password", map[string]string{"password": "Aaaaaaaaaaaa1"}, head)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "password")

	adm := call[app.Admin](t, e, "POST", "/api/admins/deputy/disable", nil, head, http.StatusOK)
	if !adm.Disabled {
		t.Fatalf("disable = %+v", adm)
	}
	code, body = e.do(t, "GET", "/api/admins", nil, deputy)
	checkError(t, code, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")

	// The head is the last active admin now.
	code, body = e.do(t, "POST", "/api/admins/"+adminName+"/disable", nil, head)
	checkError(t, code, body, http.StatusConflict, app.ECONFLICT, "")
	code, body = e.do(t, "DELETE", "/api/admins/"+adminName, nil, head)
	checkError(t, code, body, http.StatusConflict, app.ECONFLICT, "")

	call[app.Admin](t, e, "POST", "/api/admins/deputy/enable", nil, head, http.StatusOK)
	call[app.Admin](t, e, "PUT", "/api/admins/deputy/password", map[string]string{"password": "maple-office-key-7"}, head, http.StatusOK)
	if code, _ := e.do(t, "DELETE", "/api/admins/deputy", nil, head); code != http.StatusNoContent {
		t.Fatalf("DELETE deputy = %d", code)
	}
	list = call[struct{ Admins []app.Admin }](t, e, "GET", "/api/admins", nil, head, http.StatusOK)
	if len(list.Admins) != 1 {
		t.Fatalf("after delete: %+v", list)
	}
	// Without a session: 401.
	code, body = e.do(t, "DELETE", "/api/admins/"+adminName, nil, "")
	checkError(t, code, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
}
