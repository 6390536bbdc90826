package tlsca

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	ca, err := Load(dir, []string{"localhost", "127.0.0.1", "rollcall.school.example"}, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{rootKeyFile, leafKeyFile} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, fi.Mode().Perm(), err)
		}
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.RootPEM)
	for _, name := range []string{"localhost", "127.0.0.1", "rollcall.school.example"} {
		if _, err := ca.Leaf.Leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, CurrentTime: now}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if ca.root.NotAfter.Sub(now) < 9*365*24*time.Hour || !ca.root.IsCA {
		t.Errorf("root: CA %v until %v", ca.root.IsCA, ca.root.NotAfter)
	}

	again, err := Load(dir, []string{"127.0.0.1", "LOCALHOST", "rollcall.school.example"}, now.Add(24*time.Hour))
	if err != nil || again.Issued || again.Fingerprint() != ca.Fingerprint() {
		t.Fatalf("same names: issued %v, same root %v, %v", again.Issued, again.Fingerprint() == ca.Fingerprint(), err)
	}
	moved, err := Load(dir, []string{"localhost", "10.0.0.7"}, now.Add(48*time.Hour))
	if err != nil || !moved.Issued || moved.Fingerprint() != ca.Fingerprint() {
		t.Fatalf("new names: issued %v, same root %v, %v", moved.Issued, moved.Fingerprint() == ca.Fingerprint(), err)
	}
	late, err := Load(dir, []string{"localhost", "10.0.0.7"}, now.Add(48*time.Hour+LeafValidity-Renew+time.Hour))
	if err != nil || !late.Issued {
		t.Fatalf("near its end: issued %v, %v", late.Issued, err)
	}
}
