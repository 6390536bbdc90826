package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateMails = flag.Bool("update-mails", false, "rewrite testdata/mails from the code")

// mailStore is the part of a Store the mail renderers read.
type mailStore struct {
	Store
	reset  *PasswordReset
	verify *EmailVerification
	user   *User
}

func (s *mailStore) PasswordReset(_ context.Context, _ string, activation bool) (*PasswordReset, error) {
	r := *s.reset
	r.Activation = activation
	return &r, nil
}
func (s *mailStore) EmailVerification(context.Context, string) (*EmailVerification, error) {
	return s.verify, nil
}
func (s *mailStore) User(context.Context, string, string) (*User, error) { return s.user, nil }

type plainSealer struct{}

func (plainSealer) Seal(b []byte) ([]byte, error) { return b, nil }
func (plainSealer) Open(b []byte) ([]byte, error) { return b, nil }

// TestMailsStayTheSame renders every kind of mail in every language and
// compares it with testdata/mails, written from the code before the mails'
// words moved into the catalogues: each must stay byte for byte the same
// (go test ./app -run TestMailsStayTheSame -update-mails rewrites them
// after a wanted change).
func TestMailsStayTheSame(t *testing.T) {
	org := &Organization{ID: "o1", Name: "Maple Primary", PublicURL: "https://rollcall.maple.example"}
	// A wall-clock time in the local zone, as the renderers show it.
	expires := time.Date(2026, 9, 8, 14, 30, 0, 0, time.Local)
	now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.Local)
	got := map[string]string{}
	for _, lang := range Languages {
		for _, mode := range []string{ModeInvite, ModeCreate, ModeJoin} {
			for _, by := range []string{"", "Anna Berg"} {
				for _, name := range []string{"", "Emil Lind"} {
					inv := &Invitation{Email: "emil@maple.example", Name: name, Mode: mode, Language: lang, InvitedBy: by, ExpiresAt: expires}
					text, html, subject, err := renderInvitation(org, inv, "https://rollcall.maple.example/invite/TOKEN")
					if err != nil {
						t.Fatal(err)
					}
					got[fmt.Sprintf("invitation-%s-by%t-name%t.%s", mode, by != "", name != "", lang)] = subject + "\n====\n" + text + "\n====\n" + html
				}
			}
		}
		for _, name := range []string{"", "Emil"} {
			u := &User{ID: "u1", OrgID: "o1", FirstName: name, Username: "emil.lind", Email: "emil@maple.example", EmailVerified: true,
				Status: StatusActive, Language: lang}
			st := &mailStore{user: u,
				reset:  &PasswordReset{UserID: "u1", OrgID: "o1", Email: u.Email, MessageID: "m1", ExpiresAt: expires},
				verify: &EmailVerification{UserID: "u1", OrgID: "o1", Email: u.Email, MessageID: "m1", ExpiresAt: expires}}
			a := &App{Store: st, Secrets: plainSealer{}, Now: func() time.Time { return now }}
			for _, kind := range []string{KindPasswordReset, KindActivation, KindVerifyEmail} {
				if kind == KindVerifyEmail {
					u.EmailVerified = false
				}
				m := &OutboxMessage{ID: "m1", OrgID: "o1", Kind: kind, UserID: "u1", To: u.Email, ToName: name, SealedToken: []byte("TOKEN")}
				var msg *Message
				var skip bool
				var reason string
				if kind == KindVerifyEmail {
					msg, skip, reason = a.renderVerification(context.Background(), org, m)
				} else {
					msg, skip, reason = a.renderReset(context.Background(), org, m)
				}
				if msg == nil {
					t.Fatalf("%s %s: skip %v, %s", kind, lang, skip, reason)
				}
				got[fmt.Sprintf("%s-name%t.%s", kind, name != "", lang)] = msg.Subject + "\n====\n" + msg.Text + "\n====\n" + msg.HTML +
					"\n====\n" + fmt.Sprint(msg.Headers)
			}
		}
	}
	dir := filepath.Join("testdata", "mails")
	if *updateMails {
		os.MkdirAll(dir, 0o755)
		for k, v := range got {
			if err := os.WriteFile(filepath.Join(dir, k+".txt"), []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(files) != len(got) {
		t.Errorf("%d files in %s, %d mails rendered", len(files), dir, len(got))
	}
	for k, v := range got {
		want, err := os.ReadFile(filepath.Join(dir, k+".txt"))
		if err != nil {
			t.Error(err)
			continue
		}
		if string(want) != v {
			t.Errorf("%s differs:\n%s", k, firstDiff(string(want), v))
		}
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d\nwant %q\ngot  %q", i+1, a, b)
		}
	}
	return ""
}

// TestSMSInEveryLanguage: each SMS text is written in each language, with
// the link and the code in it, and the shortest is chosen when the others
// do not fit in one SMS.
func TestSMSInEveryLanguage(t *testing.T) {
	link := "https://rollcall.maple.example/reset/" + strings.Repeat("x", 43)
	seen := map[string]bool{}
	for _, lang := range Languages {
		tx := TextsFor(lang)
		act := []any{"Org", "Maple Primary", "Login", "emil.lind", "Link", link, "Code", "123456", "Hours", 72}
		code := []any{"Org", "Maple Primary", "Code", "654321", "Minutes", 15}
		for id, data := range map[string][]any{"sms.activation.long": act, "sms.activation.medium": act, "sms.activation.short": act,
			"sms.signUpCode.long": code, "sms.signUpCode.short": code, "sms.test": code} {
			s := tx.T(id, data...)
			if strings.Contains(s, "<no value>") || s == id || (strings.HasPrefix(id, "sms.activation") && !strings.Contains(s, link)) ||
				(strings.HasPrefix(id, "sms.signUpCode") && !strings.Contains(s, "654321")) {
				t.Errorf("%s %s: %q", lang, id, s)
			}
			if lang != "en" && s == TextsFor("en").T(id, data...) {
				t.Errorf("%s %s is the English %q", lang, id, s)
			}
			seen[s] = true
		}
		if got, want := oneSMS(tx.T("sms.activation.long", act...), tx.T("sms.activation.medium", act...), tx.T("sms.activation.short", act...)), tx.T("sms.activation.short", act...); lang != "en" && got != want && len(got) > SMSLength {
			t.Errorf("%s: %q does not fit in one SMS", lang, got)
		}
	}
	if got := oneSMS("Koodisi on 123456. Se toimii 15 minuuttia.", "short"); got != "Koodisi on 123456. Se toimii 15 minuuttia." {
		t.Errorf("oneSMS picks %q", got)
	}
	if got := oneSMS(strings.Repeat("ä", 71), "short"); got != "short" {
		t.Errorf("oneSMS picks %q over 70 letters beyond ASCII", got)
	}
}
