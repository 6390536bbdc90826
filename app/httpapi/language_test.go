package httpapi_test

import (
	"net/http"
	"testing"
)

// TestErrorsInTheRequestLanguage: an error's message and details come out
// in the language of the request's Accept-Language header, English without.
func TestErrorsInTheRequestLanguage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary"})
	for _, c := range []struct{ header, message, detail string }{
		{"", "The username or password is wrong.", "A username or an email address is needed: that is what signs in."},
		{"fi-FI,fi;q=0.9,en;q=0.8", "Käyttäjätunnus tai salasana on väärin.", "Käyttäjätunnus tai sähköpostiosoite tarvitaan: sillä kirjaudutaan."},
		{"de", "Benutzername oder Passwort ist falsch.", "Ein Benutzername oder eine E-Mail-Adresse wird benötigt: Damit meldet man sich an."},
	} {
		req := newRequest(t, "POST", "/api/session", map[string]string{"username": "nobody", "password": "wrong-password-1"})
		req.Header.Set("Accept-Language", c.header)
		body := decodeBody(t, e.serve(req))
		if body["message"] != c.message {
			t.Errorf("%q: sign-in message %q, want %q", c.header, body["message"], c.message)
		}
		req = withCookie(newRequest(t, "POST", "/api/organizations/"+org.ID+"/users", map[string]any{"first_name": "Bo", "last_name": "Lind"}), cookie)
		req.Header.Set("Accept-Language", c.header)
		rec := e.serve(req)
		body = decodeBody(t, rec)
		details, _ := body["details"].(map[string]any)
		if rec.Code != http.StatusBadRequest || body["message"] != c.detail || len(details) == 0 {
			t.Errorf("%q: create user = %d %v, want the message %q in it and its details", c.header, rec.Code, body, c.detail)
		}
		for f, m := range details {
			if m != c.detail {
				t.Errorf("%q: detail %s = %q, want %q", c.header, f, m, c.detail)
			}
		}
	}
	// A form's field label goes into the sentence in the same language.
	req := withCookie(newRequest(t, "POST", "/api/organizations/"+org.ID+"/groups", map[string]any{"name": ""}), cookie)
	req.Header.Set("Accept-Language", "fi")
	if body := decodeBody(t, e.serve(req)); body["message"] != "Ryhmän nimi vaaditaan." {
		t.Errorf("an empty group name in Finnish: %v", body)
	}
}
