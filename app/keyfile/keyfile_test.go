package keyfile_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"rollcall/app/keyfile"
)

func TestSealOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "secret.key")
	b := keyfile.New(path)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the key file was made before it was needed")
	}
	sealed, err := b.Seal([]byte("relay password"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("relay password")) {
		t.Fatal("sealed text holds the plain text")
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
	// Another Box over the same file (a restart) opens it.
	got, err := keyfile.New(path).Open(sealed)
	if err != nil || string(got) != "relay password" {
		t.Fatalf("open: %q %v", got, err)
	}
	// Two seals differ (random nonce); a tampered one or another key fails.
	again, _ := b.Seal([]byte("relay password"))
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals are equal")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := b.Open(sealed); !errors.Is(err, keyfile.ErrWrongKey) {
		t.Fatalf("tampered: %v", err)
	}
	other := keyfile.New(filepath.Join(dir, "other.key"))
	if _, err := other.Open(again); !errors.Is(err, keyfile.ErrWrongKey) {
		t.Fatalf("other key: %v", err)
	}
	// A damaged key file is reported, not replaced.
	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(bad, []byte("short"), 0o600)
	if _, err := keyfile.New(bad).Seal([]byte("x")); err == nil {
		t.Fatal("a damaged key file was used")
	}
}
