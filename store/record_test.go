package store

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"rollcall/app"
)

// A user survives the compact record and its index entry field by field,
// IDs, hashes and times included; text that is not a UUID, a canonical
// argon2id string or a hex digest is kept as written.
func TestUserRecordRoundTrip(t *testing.T) {
	at := time.Date(2026, 9, 1, 8, 0, 0, 123456789, time.UTC)
	h, err := app.HashPassword(strings.NewReader(strings.Repeat("s", 64)), app.HashParams{Memory: 64, Time: 1, Threads: 1}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []*app.User{
		{ID: "0190f000-0000-7000-8000-000000000001", OrgID: "0190f000-0000-7000-8000-0000000000aa", FirstName: "Åsa", LastName: "van  Dijk",
			Username: "asa", Email: "Asa@Example.org", Groups: []string{"0190f000-0000-7000-8000-0000000000b1", "not-a-uuid"},
			Labels: []string{"Bus", "lunch"}, Status: app.StatusActive, AccountType: app.TypeStudent, DeleteOn: "2027-06-30",
			PasswordHash: h, BadgeHash: strings.Repeat("ab", 32), BadgePINHash: "$argon2id$v=19$m=64,t=1,p=1$bad", BadgeIssued: &at,
			CreatedAt: at, UpdatedAt: at.Add(time.Hour), MustChangePassword: true, AdminGroups: []string{"g1"},
			Identities: []app.Identity{{Provider: "p", Issuer: "https://i", Subject: "s", LinkedAt: at}},
			TOTP:       app.AdminTOTP{Secret: []byte{1, 2}, LastStep: 7, Recovery: []string{"r"}, PendingAt: at}},
		{ID: "short-id", OrgID: "org-16-bytes-abc", Groups: []string{}, Labels: []string{}, Identities: []app.Identity{}, Status: app.StatusPending,
			PasswordHash: "not a phc hash", BadgeHash: strings.Repeat("AB", 32)},
		{ID: "0123456789abcdef", OrgID: "o"},
	} {
		data, err := encodeRecord(userRecOf(u))
		if err != nil {
			t.Fatal(err)
		}
		if u.Username == "asa" && bytes.Contains(data, []byte("asa")) {
			t.Errorf("the record repeats the username the index keeps: %q", data)
		}
		var rec userRec
		if err := decodeRecord(data, &rec); err != nil {
			t.Fatal(err)
		}
		got := rec.user(idOfUKey(uidKey(u.ID)))
		k := indexKeyIn("en", u)
		fillFromIndex(got, indexEntry{k, indexValue(u)}, rec.Empty)
		u.TwoStep = u.TOTP.On()
		if g, w := jsonOf(t, got), jsonOf(t, u); g != w {
			t.Errorf("round trip:\n got %s\nwant %s", g, w)
		}
		if got.PasswordHash != u.PasswordHash || got.BadgeHash != u.BadgeHash || got.BadgePINHash != u.BadgePINHash ||
			string(got.TOTP.Secret) != string(u.TOTP.Secret) || !got.TOTP.PendingAt.Equal(u.TOTP.PendingAt) {
			t.Errorf("hidden fields: got %+v", got)
		}
		if id := (indexEntry{k, nil}).userID(); id != u.ID {
			t.Errorf("userID from the index key = %q, want %q", id, u.ID)
		}
	}
	// The argon2id hash is kept as 2 + 4 varints + salt + key, not 97 characters.
	if b, ok := packPHC(h); !ok || len(b) > 60 {
		t.Errorf("packPHC = %d bytes, %v", len(b), ok)
	}
	if _, err := encodeRecord(userRecOf(&app.User{})); err != nil {
		t.Fatal(err)
	}
	if err := decodeRecord([]byte(`{"first_name":"x"}`), &userRec{}); err == nil {
		t.Error("a JSON record decoded as a compact one")
	}
}

// The search finds the names with and without their accents, and the
// username.
func TestIndexSearchFindsNames(t *testing.T) {
	u := &app.User{ID: "0190f000-0000-7000-8000-000000000001", OrgID: "o", FirstName: "Ada", LastName: "Ågren", Username: "a.l"}
	e := indexEntry{indexKeyIn("sv", u), indexValue(u)}
	for q, want := range map[string]bool{"ada": true, "ågren": true, "agren": true, "a.l": true, "bob": false} {
		if got := userMatcher(app.UserFilter{Query: q})(e); got != want {
			t.Errorf("match %q = %v, want %v", q, got, want)
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every field of app.User survives the record and its index entry: a
// field added to app.User and forgotten here (userRec, userRecOf, user)
// fails this test instead of being dropped silently at the next write.
func TestUserRecordKeepsEveryField(t *testing.T) {
	u := &app.User{}
	v := reflect.ValueOf(u).Elem()
	at := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if !sf.IsExported() {
			continue
		}
		switch f.Interface().(type) {
		case string:
			f.SetString("v-" + strings.ToLower(sf.Name))
		case bool:
			f.SetBool(true)
		case []string:
			f.Set(reflect.ValueOf([]string{"x-" + strings.ToLower(sf.Name)}))
		case time.Time:
			f.Set(reflect.ValueOf(at))
		case *time.Time:
			f.Set(reflect.ValueOf(&at))
		}
	}
	u.Status, u.AccountType, u.DeleteOn = app.StatusActive, app.TypeStudent, "2027-06-30"
	u.Identities = []app.Identity{{Provider: "p", Issuer: "i", Subject: "s", LinkedAt: at}}
	u.TOTP = app.AdminTOTP{Secret: []byte{1}, LastStep: 2, Recovery: []string{"r"}, PendingAt: at}
	u.TwoStep = u.TOTP.On()
	data, err := encodeRecord(userRecOf(u))
	if err != nil {
		t.Fatal(err)
	}
	var rec userRec
	if err := decodeRecord(data, &rec); err != nil {
		t.Fatal(err)
	}
	got := rec.user(u.ID)
	fillFromIndex(got, indexEntry{indexKeyIn("en", u), indexValue(u)}, rec.Empty)
	gv := reflect.ValueOf(got).Elem()
	for i := range v.NumField() {
		sf := v.Type().Field(i)
		if sf.IsExported() && !reflect.DeepEqual(v.Field(i).Interface(), gv.Field(i).Interface()) {
			t.Errorf("%s: kept %v, want %v", sf.Name, gv.Field(i).Interface(), v.Field(i).Interface())
		}
	}
}

// An index entry keeps a known status and account type as a one-byte
// code; one that kept them as text (written before the codes) reads the
// same, and so does a value that has no code.
func TestIndexStatusCodes(t *testing.T) {
	u := &app.User{ID: "0190a2b4-0000-7000-8000-000000000001", OrgID: "0190a2b4-0000-7000-8000-000000000002",
		FirstName: "Åsa", LastName: "Berg", Username: "asa.berg", Status: app.StatusDeactivated, AccountType: app.TypeTeacher}
	coded := indexEntry{value: indexValue(u)}
	if got := coded.field(statusField); len(got) != 1 {
		t.Fatalf("status kept as %q, want one byte", got)
	}
	text := indexEntry{value: []byte(app.StatusDeactivated + "\x1f" + app.TypeTeacher + "\x1fasa.berg\x1f\x1f\x1f\x1f\x1f")}
	for _, e := range []indexEntry{coded, text} {
		if s, typ := string(e.codedField(statusField)), string(e.codedField(typeField)); s != app.StatusDeactivated || typ != app.TypeTeacher {
			t.Errorf("read %q %q, want %q %q", s, typ, app.StatusDeactivated, app.TypeTeacher)
		}
	}
	u.AccountType = "caretaker"
	if got := string((indexEntry{value: indexValue(u)}).codedField(typeField)); got != "caretaker" {
		t.Errorf("a type without a code reads %q", got)
	}
	m := userMatcher(app.UserFilter{Status: app.StatusDeactivated, AccountType: "caretaker"})
	if !m(indexEntry{value: indexValue(u)}) {
		t.Error("the filter does not find the coded status")
	}
}

// An entry whose email is its username's address keeps only a mark and
// the domain; the person reads back whole and is found by any part of the
// address, across the username and the domain too.
func TestIndexEmailOfUsername(t *testing.T) {
	u := &app.User{ID: "0190a2b4-0000-7000-8000-000000000001", OrgID: "0190a2b4-0000-7000-8000-000000000002",
		FirstName: "Ada", LastName: "Lovelace", Username: "ada.lovelace", Email: "Ada.Lovelace@School.example", Status: app.StatusActive}
	e := indexEntry{value: indexValue(u)}
	if got := string(e.field(emailField)); got != "\x01@school.example" {
		t.Fatalf("email kept as %q", got)
	}
	if got := string(e.email(nil)); got != "ada.lovelace@school.example" {
		t.Errorf("email reads %q", got)
	}
	for _, q := range []string{"lovelace@school", "ace@sch", "school.example", "ada.lovelace@school.example"} {
		if !userMatcher(app.UserFilter{Query: q})(e) {
			t.Errorf("%q does not find the address", q)
		}
	}
	if userMatcher(app.UserFilter{Query: "ada@school"})(e) {
		t.Error("ada@school finds ada.lovelace@school.example")
	}
	u.Email = "someone.else@school.example"
	if got := string((indexEntry{value: indexValue(u)}).email(nil)); got != u.Email {
		t.Errorf("another address reads %q", got)
	}
	u.Username, u.Email = "ada", "ada.l@school.example" // the username is a prefix of the local part only
	if got := string((indexEntry{value: indexValue(u)}).field(emailField)); got != u.Email {
		t.Errorf("kept as %q", got)
	}
}
