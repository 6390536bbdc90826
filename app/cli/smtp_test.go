package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rollcall/app/mail/mailtest"
)

func TestSMTPCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	key := filepath.Join(dir, "config", "secret.key")
	relay, err := mailtest.Start(mailtest.Options{Username: "relay", Password: "Relay-Pass-77"})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	runEnv := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
			if k == "ROLLCALL_KEY_FILE" {
				return key
			}
			return ""
		}}
		code := m.Run(context.Background(), args)
		return code, out.String(), errb.String()
	}
	port := fmt.Sprint(relay.Port)
	steps := []struct {
		args   []string
		stdin  string
		code   int
		output string
	}{
		{[]string{"org", "create", "--name", "Maple Primary", "--slug", "maple", "--db", db}, "", 0, "created"},
		{[]string{"smtp", "set", "--org", "maple", "--host", "127.0.0.1", "--port", port, "--security", "none", "--username", "relay", "--password-stdin", "--from", "Maple Primary <no-reply@maple.example>", "--db", db}, "Relay-Pass-77\n", 0, "password sealed with " + key},
		{[]string{"smtp", "set", "--org", "maple", "--host", "smtp.maple.example", "--security", "none", "--db", db}, "", 1, "only to a relay on this computer"},
		{[]string{"smtp", "set", "--org", "maple", "--password-stdin", "--db", db}, "", 2, "standard input is empty"},
		{[]string{"smtp", "test", "--org", "maple", "--to", "it@maple.example", "--db", db}, "", 0, "accepted the test message"},
		{[]string{"smtp", "test", "--org", "maple", "--db", db}, "", 2, "--to are required"},
		{[]string{"smtp"}, "", 2, "needs a subcommand"},
	}
	for _, s := range steps {
		code, out, errOut := runEnv(s.stdin, s.args...)
		where := out
		if s.code != 0 {
			where = errOut
		}
		if code != s.code || !strings.Contains(where, s.output) {
			t.Errorf("rollcall %q: exit %d, want %d; stdout %q stderr %q; want %q", s.args, code, s.code, out, errOut, s.output)
		}
	}
	if got := relay.Messages(); len(got) != 1 || got[0].Auth != "relay" {
		t.Fatalf("relay got %d messages", len(got))
	}
	// A wrong password: exit 1 with exactly what the server said.
	runEnv("Wrong\n", "smtp", "set", "--org", "maple", "--password-stdin", "--db", db)
	code, _, errOut := runEnv("", "smtp", "test", "--org", "maple", "--to", "it@maple.example", "--db", db)
	if code != 1 || !strings.Contains(errOut, "535 5.7.8 Authentication credentials invalid") {
		t.Fatalf("wrong password: exit %d, %q", code, errOut)
	}
	raw, _ := os.ReadFile(db)
	if bytes.Contains(raw, []byte("Relay-Pass-77")) {
		t.Fatal("the relay password is in the database file")
	}
	fi, err := os.Stat(key)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v", err)
	}
}

// Without ROLLCALL_KEY_FILE and without a user configuration folder there is
// no place for the key file: sealing the relay password fails with a clear
// message instead of dropping the key into the current folder; commands
// that need no secret still work.
func TestKeyFileNeedsAPlace(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	db := filepath.Join(dir, "r.db")
	runNoConfig := func(stdin string, args ...string) (int, string) {
		var out, errb bytes.Buffer
		m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
			UserConfigDir: func() (string, error) { return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME are defined") }}
		code := m.Run(context.Background(), args)
		return code, out.String() + errb.String()
	}
	if code, out := runNoConfig("", "org", "create", "--name", "Maple Primary", "--slug", "maple", "--db", db); code != 0 {
		t.Fatalf("org create: %d %s", code, out)
	}
	code, out := runNoConfig("Relay-Pass-77\n", "smtp", "set", "--org", "maple", "--host", "127.0.0.1", "--port", "2525", "--security", "none",
		"--username", "relay", "--password-stdin", "--from", "Maple <no-reply@maple.example>", "--db", db)
	if code != 1 || !strings.Contains(out, "ROLLCALL_KEY_FILE") {
		t.Fatalf("smtp set without a key file place: %d %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "rollcall")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a key file was made in the current folder")
	}
	if code, out := runNoConfig("", "org", "list", "--db", db); code != 0 || !strings.Contains(out, "maple") {
		t.Fatalf("org list: %d %s", code, out)
	}
}
