package app_test

import (
	"strings"
	"testing"

	"rollcall/app"
)

func TestUserValidate(t *testing.T) {
	org := &app.Organization{Kind: app.KindSchool}
	valid := func() app.User {
		return app.User{FirstName: "Łukasz", LastName: "Żółć", Username: "lukasz.zolc", AccountType: app.TypeStudent, Status: app.StatusActive}
	}
	tests := []struct {
		name  string
		edit  func(u *app.User)
		field string // "" = valid
	}{
		{"OK", func(u *app.User) {}, ""},
		{"EmailOnly", func(u *app.User) { u.Username = ""; u.Email = "l@maple.example" }, ""},
		{"NoLogin", func(u *app.User) { u.Username = "" }, "username"},
		{"EmptyFirst", func(u *app.User) { u.FirstName = "" }, "first_name"},
		{"LongLast", func(u *app.User) { u.LastName = strings.Repeat("ż", 101) }, "last_name"},
		{"Name100", func(u *app.User) { u.LastName = strings.Repeat("ż", 100) }, ""},
		{"ControlChar", func(u *app.User) { u.FirstName = "Ann\u0007" }, "first_name"},
		{"BidiOverride", func(u *app.User) { u.LastName = "Bob\u202e" }, "last_name"},
		{"BadEmail", func(u *app.User) { u.Email = "not-an-email" }, "email"},
		{"EmailWithName", func(u *app.User) { u.Email = "Ann <ann@maple.example>" }, "email"},
		{"EmailNoDot", func(u *app.User) { u.Email = "ann@localhost" }, "email"},
		{"LongEmail", func(u *app.User) { u.Email = strings.Repeat("a", 250) + "@x.io" }, "email"},
		{"UsernameAt", func(u *app.User) { u.Username = "a@b" }, "username"},
		{"UsernameSpace", func(u *app.User) { u.Username = "a b" }, "username"},
		{"UsernameShort", func(u *app.User) { u.Username = "a" }, "username"},
		{"UsernameCyrillic", func(u *app.User) { u.Username = "ольга" }, ""},
		{"WrongType", func(u *app.User) { u.AccountType = app.TypeLearner }, "account_type"},
		{"BadDate", func(u *app.User) { u.DeleteOn = "2027-13-01" }, "delete_on"},
		{"BadLanguage", func(u *app.User) { u.Language = "not a language" }, "language"},
		{"BadPhone", func(u *app.User) { u.Phone = "call me" }, "phone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := valid()
			tt.edit(&u)
			err := u.Validate(org)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			e, ok := err.(*app.Error)
			if !ok || e.Code != app.EINVALID || e.Details[tt.field] == "" {
				t.Fatalf("Validate = %#v, want invalid naming %q", err, tt.field)
			}
		})
	}
}

func TestSlugify(t *testing.T) {
	tests := map[string]string{
		"Maple Primary":               "maple-primary",
		"  École Saint-Exupéry ":      "ecole-saint-exupery",
		"Школа 5":                     "5",
		"東京":                          "org",
		"A" + strings.Repeat("b", 60): "a" + strings.Repeat("b", 39),
	}
	for in, want := range tests {
		if got := app.Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorCode(t *testing.T) {
	if got := app.ErrorCode(nil); got != "" {
		t.Errorf("ErrorCode(nil) = %q", got)
	}
	if got := app.ErrorCode(app.Errorf(app.ECONFLICT, "x")); got != app.ECONFLICT {
		t.Errorf("code = %q", got)
	}
	if got := app.ErrorCode(strings.NewReader("").UnreadByte()); got != app.EINTERNAL {
		t.Errorf("plain error code = %q, want internal", got)
	}
	if msg := app.ErrorMessage(strings.NewReader("").UnreadByte()); strings.Contains(msg, "UnreadByte") {
		t.Errorf("internal detail leaked: %q", msg)
	}
}
