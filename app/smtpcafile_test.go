package app_test

import (
	"context"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
)

// Issue 10 #8c: a CA file on a relay without TLS is refused with a plain
// message, not silently kept.
func TestSMTPCAFileNeedsTLS(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	org := mustOrg(t, a, &app.Organization{Name: "Maple"})
	str := func(s string) *string { return &s }
	port := 25
	_, err := a.SetSMTP(ctx, org.Slug, app.SMTPUpdate{Host: str("localhost"), Port: &port, Security: str(app.SecurityNone),
		From: str("Maple <no-reply@maple.example>"), CAFile: str("/etc/ssl/school-ca.pem")})
	e, ok := err.(*app.Error)
	if !ok || e.Code != app.EINVALID || e.Details["ca_file"] == "" {
		t.Fatalf("SetSMTP(none + ca_file) = %#v, want invalid on ca_file", err)
	}
	if _, err := a.SetSMTP(ctx, org.Slug, app.SMTPUpdate{Host: str("localhost"), Port: &port, Security: str(app.SecurityNone),
		From: str("Maple <no-reply@maple.example>"), CAFile: str("")}); err != nil {
		t.Fatalf("SetSMTP(none) = %v", err)
	}
}
