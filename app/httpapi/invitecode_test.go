package httpapi_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// decodeQR reads the QR code in a PNG, or in page 1 of a PDF rendered as a
// printer would, with zbarimg (zbar-tools, poppler-utils).
func decodeQR(t *testing.T, data []byte, pdf bool) string {
	t.Helper()
	dir := t.TempDir()
	img := filepath.Join(dir, "code.png")
	if pdf {
		in := filepath.Join(dir, "poster.pdf")
		os.WriteFile(in, data, 0o600)
		if out, err := exec.Command("pdftoppm", "-png", "-r", "60", "-singlefile", in, filepath.Join(dir, "code")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v %s", err, out)
		}
	} else {
		os.WriteFile(img, data, 0o600)
	}
	out, err := exec.Command("zbarimg", "--quiet", "--raw", img).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func (e *env) download(t *testing.T, method, path string, body any, cookie, wantType string) []byte {
	t.Helper()
	rec := e.serve(withCookie(newRequest(t, method, path, body), cookie))
	if rec.Code != http.StatusOK {
		t.Fatalf("%s %s = %d %s", method, path, rec.Code, rec.Body.String())
	}
	if got := rec.Header().Get("Content-Type"); got != wantType {
		t.Fatalf("%s: Content-Type %q, want %q", path, got, wantType)
	}
	if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") {
		t.Fatalf("%s: Content-Disposition %q", path, cd)
	}
	return rec.Body.Bytes()
}

// The QR codes of a group code, the organization code and an invite link —
// in the PNG and in the printed poster — decode to <PublicURL>/join/<CODE>
// (or /link/<token>).
func TestInviteCodeQR(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple", "public_url": "https://rollcall.maple.example/"})
	e.createGroup(t, cookie, "maple", map[string]any{"name": "Klasse 3B"})

	for _, owner := range []string{"/api/organizations/maple/groups/Klasse%203B/invite-code", "/api/organizations/maple/invite-code"} {
		c := call[map[string]any](t, e, "GET", owner, nil, cookie, http.StatusOK)
		code := c["code"].(string)
		want := "https://rollcall.maple.example/join/" + code
		if c["url"] != want || c["address"] != "rollcall.maple.example/join" || c["display"] != code[:4]+"-"+code[4:] {
			t.Fatalf("code %v", c)
		}
		if got := decodeQR(t, e.download(t, "GET", owner+"/qr.png?size=300", nil, cookie, "image/png"), false); got != want {
			t.Errorf("PNG decodes to %q, want %q", got, want)
		}
		svg := e.download(t, "GET", owner+"/qr.svg", nil, cookie, "image/svg+xml")
		if !strings.HasPrefix(string(svg), "<svg") {
			t.Errorf("svg %.60s", svg)
		}
		for _, paper := range []string{"a4", "letter"} {
			pdf := e.download(t, "GET", owner+"/poster.pdf?paper="+paper, nil, cookie, "application/pdf")
			if got := decodeQR(t, pdf, true); got != want {
				t.Errorf("%s poster decodes to %q, want %q", paper, got, want)
			}
		}
		// Only the organization's address or the LAN listener's may be the base.
		code2, body := e.do(t, "GET", owner+"/qr.png?base=http://evil.example", nil, cookie)
		checkError(t, code2, body, http.StatusBadRequest, "invalid", "base")
	}

	// An invite link: the QR code is made from the token the page still holds.
	nl := call[map[string]any](t, e, "POST", "/api/organizations/maple/invite-links", map[string]any{"name": "Staff day", "account_type": "teacher"}, cookie, http.StatusCreated)
	token, id := nl["token"].(string), nl["link"].(map[string]any)["id"].(string)
	want := "https://rollcall.maple.example/link/" + token
	if nl["url"] != want {
		t.Fatalf("link url %v", nl["url"])
	}
	p := "/api/organizations/maple/invite-links/" + id
	if got := decodeQR(t, e.download(t, "POST", p+"/qr.png", map[string]any{"token": token}, cookie, "image/png"), false); got != want {
		t.Errorf("link PNG decodes to %q", got)
	}
	if got := decodeQR(t, e.download(t, "POST", p+"/poster.pdf", map[string]any{"token": token, "paper": "letter"}, cookie, "application/pdf"), true); got != want {
		t.Errorf("link poster decodes to %q", got)
	}
	status, body := e.do(t, "POST", p+"/qr.png", map[string]any{"token": "not-the-token"}, cookie)
	checkError(t, status, body, http.StatusBadRequest, "invalid", "token")
	// The list never shows a token or hash.
	rec := e.serve(withCookie(newRequest(t, "GET", "/api/organizations/maple/invite-links", nil), cookie))
	if strings.Contains(rec.Body.String(), token) || strings.Contains(rec.Body.String(), "hash") {
		t.Fatalf("link list leaks: %s", rec.Body.String())
	}
}

func TestInviteCodeRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	e.createGroup(t, cookie, "maple", map[string]any{"name": "3B"})
	p := "/api/organizations/maple/groups/3B/invite-code"
	c := call[map[string]any](t, e, "GET", p, nil, cookie, 200)
	if c["signup_enabled"] != false || c["url"] != "" {
		t.Fatalf("new code %v", c)
	}
	n := call[map[string]any](t, e, "POST", p+"/regenerate", nil, cookie, 200)
	if n["code"] == c["code"] {
		t.Fatal("regenerate kept the code")
	}
	u := call[map[string]any](t, e, "PATCH", p, map[string]any{"disabled": true, "max_uses": 30, "require_approval": true, "expires_at": "2026-03-03T08:00:00Z"}, cookie, 200)
	if u["disabled"] != true || u["max_uses"] != 30.0 || u["require_approval"] != true || u["expires_at"] != "2026-03-03T08:00:00Z" {
		t.Fatalf("updated %v", u)
	}
	status, body := e.do(t, "PATCH", p, map[string]any{"max_uses": -1}, cookie)
	checkError(t, status, body, http.StatusBadRequest, "invalid", "max_uses")
	list := call[map[string][]map[string]any](t, e, "GET", "/api/organizations/maple/invite-codes", nil, cookie, 200)
	if len(list["codes"]) != 2 || list["codes"][0]["name"] != "Maple Primary" || list["codes"][1]["name"] != "3B" {
		t.Fatalf("list %v", list)
	}
}
