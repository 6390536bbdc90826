package sms_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"rollcall/app"
	"rollcall/app/sms"
)

// TestTwilio checks the exact REST shape a Twilio-compatible API expects:
// POST /2010-04-01/Accounts/{SID}/Messages.json, the form To, From, Body,
// basic auth with the SID and the token.
func TestTwilio(t *testing.T) {
	t.Parallel()
	type got struct {
		method, path, ctype, user, pass string
		form                            url.Values
		ok                              bool
	}
	reqs := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		user, pass, ok := r.BasicAuth()
		reqs <- got{r.Method, r.URL.Path, r.Header.Get("Content-Type"), user, pass, form, ok}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"sid":"SM123","status":"queued"}`)
	}))
	defer srv.Close()
	gw := &app.SMSGateway{Provider: app.SMSTwilio, URL: srv.URL, Username: "AC0123456789abcdef", Secret: "tok-en", From: "+15005550006"}
	if err := (&sms.Sender{}).SendSMS(context.Background(), gw, &app.SMS{To: "+358401234567", Body: "Hei, code 123456 ✓"}); err != nil {
		t.Fatal(err)
	}
	g := <-reqs
	for _, c := range []struct{ name, got, want string }{
		{"method", g.method, "POST"},
		{"path", g.path, "/2010-04-01/Accounts/AC0123456789abcdef/Messages.json"},
		{"content type", g.ctype, "application/x-www-form-urlencoded"},
		{"user", g.user, "AC0123456789abcdef"},
		{"password", g.pass, "tok-en"},
		{"To", g.form.Get("To"), "+358401234567"},
		{"From", g.form.Get("From"), "+15005550006"},
		{"Body", g.form.Get("Body"), "Hei, code 123456 ✓"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !g.ok || len(g.form) != 3 {
		t.Errorf("basic auth %v, form %v: want basic auth and exactly To, From, Body", g.ok, g.form)
	}
}

// TestRefusals: a refused number is permanent, with the API's message; a
// refused sign-in, a rate limit and the gateway's own trouble are retried;
// an unreachable gateway is retried and its error keeps Kannel's password
// out.
func TestRefusals(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status    int
		body      string
		permanent bool
		reply     string
	}{
		{400, `{"code": 21211, "message": "The 'To' number +1555 is not a valid phone number.", "status": 400}`, true, "400 The 'To' number +1555 is not a valid phone number. (code 21211)"},
		{401, `{"code": 20003, "message": "Authenticate"}`, false, "401 Authenticate (code 20003)"},
		{429, ``, false, "429 Too Many Requests"},
		{503, `busy`, false, "503 busy"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(c.status)
			io.WriteString(w, c.body)
		}))
		gw := &app.SMSGateway{Provider: app.SMSTwilio, URL: srv.URL, Username: "AC1", Secret: "x", From: "+15005550006"}
		err := (&sms.Sender{}).SendSMS(context.Background(), gw, &app.SMS{To: "+358401234567", Body: "x"})
		srv.Close()
		var se *app.SMSError
		if !errors.As(err, &se) {
			t.Fatalf("%d: err = %v, want *app.SMSError", c.status, err)
		}
		if se.Permanent != c.permanent || se.Reply != c.reply || se.Status != c.status {
			t.Errorf("%d: permanent %v reply %q, want %v %q", c.status, se.Permanent, se.Reply, c.permanent, c.reply)
		}
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	gw := &app.SMSGateway{Provider: app.SMSKannel, URL: srv.URL + "/cgi-bin/sendsms", Username: "rollcall", Secret: "s3cret-pass"}
	err := (&sms.Sender{}).SendSMS(context.Background(), gw, &app.SMS{To: "+358401234567", Body: "x"})
	var se *app.SMSError
	if !errors.As(err, &se) || se.Permanent || se.Status != 0 {
		t.Fatalf("unreachable: %v, want a temporary *app.SMSError", err)
	}
	if msg := err.Error(); msg == "" || contains(msg, "s3cret-pass") {
		t.Errorf("error %q: want a reason without the password", msg)
	}
}

// TestKannelRequest checks the sendsms query: user, password, to, from,
// text, and UCS-2 for text that is not ASCII.
func TestKannelRequest(t *testing.T) {
	t.Parallel()
	qs := make(chan url.Values, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "GET" || r.URL.Path != "/cgi-bin/sendsms" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		qs <- r.URL.Query()
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "0: Accepted for delivery")
	}))
	defer srv.Close()
	gw := &app.SMSGateway{Provider: app.SMSKannel, URL: srv.URL + "/cgi-bin/sendsms", Username: "rollcall", Secret: "pw", From: "Maple"}
	for _, body := range []string{"plain text", "Hyvää päivää"} {
		if err := (&sms.Sender{}).SendSMS(context.Background(), gw, &app.SMS{To: "+358401234567", Body: body}); err != nil {
			t.Fatal(err)
		}
		q := <-qs
		wantCoding := ""
		if body != "plain text" {
			wantCoding = "2"
		}
		if q.Get("username") != "rollcall" || q.Get("password") != "pw" || q.Get("to") != "+358401234567" || q.Get("from") != "Maple" || q.Get("text") != body || q.Get("coding") != wantCoding {
			t.Errorf("query %v", q)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
