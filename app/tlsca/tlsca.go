// Package tlsca is a small local certificate authority for `rollcall serve
// --tls-local`: on a school network without a certificate of its own,
// Rollcall makes a root certificate (ECDSA P-256, valid 10 years) that an
// admin installs once on the school's tablets and computers, and with it a
// server certificate for the names and addresses Rollcall is reached by,
// issued again whenever those change.
package tlsca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Validity of the root and of the server certificates. Apple devices refuse
// server certificates valid longer than 825 days; a shorter one is issued
// again on any start within Renew of its end.
const (
	RootValidity = 10 * 365 * 24 * time.Hour
	LeafValidity = 397 * 24 * time.Hour
	Renew        = 30 * 24 * time.Hour
)

// File names inside the CA's folder. The keys are 0600, the folder 0700.
const (
	RootCertFile = "rollcall-root-ca.crt"
	rootKeyFile  = "root.key"
	leafCertFile = "server.crt"
	leafKeyFile  = "server.key"
)

// CA is the local authority in its folder, with a server certificate.
type CA struct {
	Dir     string
	RootPEM []byte
	root    *x509.Certificate
	rootKey *ecdsa.PrivateKey
	// Leaf is the server certificate with its key, for tls.Config.
	Leaf tls.Certificate
	// Issued is true when Load made a new server certificate.
	Issued bool
}

// Fingerprint is the SHA-256 of the root certificate, as devices show it
// (colon-separated hex), to compare before trusting a downloaded root.
func (ca *CA) Fingerprint() string {
	sum := sha256.Sum256(ca.root.Raw)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// Load opens the CA in dir, creating its root on first use, and makes sure
// the server certificate covers hosts (DNS names or IP addresses) and is not
// near its end; otherwise it issues a new one.
func Load(dir string, hosts []string, now time.Time) (*CA, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ca := &CA{Dir: dir}
	if err := ca.loadRoot(now); err != nil {
		return nil, err
	}
	hosts = normalize(hosts)
	if leaf, err := tls.LoadX509KeyPair(filepath.Join(dir, leafCertFile), filepath.Join(dir, leafKeyFile)); err == nil &&
		ca.leafFits(leaf.Leaf, hosts, now) {
		ca.Leaf = leaf
		return ca, nil
	}
	if err := ca.issue(hosts, now); err != nil {
		return nil, err
	}
	ca.Issued = true
	return ca, nil
}

func normalize(hosts []string) []string {
	var out []string
	for _, h := range hosts {
		h = strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]"))
		if ip := net.ParseIP(h); ip != nil {
			h = ip.String()
		}
		if h != "" && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out
}

func (ca *CA) loadRoot(now time.Time) error {
	certPath, keyPath := filepath.Join(ca.Dir, RootCertFile), filepath.Join(ca.Dir, rootKeyFile)
	certPEM, cerr := os.ReadFile(certPath)
	keyPEM, kerr := os.ReadFile(keyPath)
	if errors.Is(cerr, os.ErrNotExist) && errors.Is(kerr, os.ErrNotExist) {
		return ca.newRoot(now)
	}
	if cerr != nil || kerr != nil {
		return fmt.Errorf("read the local certificate authority in %s: %w", ca.Dir, errors.Join(cerr, kerr))
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("the local certificate authority in %s is damaged: %w", ca.Dir, err)
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return fmt.Errorf("the local certificate authority in %s has a key of an unexpected kind", ca.Dir)
	}
	if now.After(pair.Leaf.NotAfter) {
		return fmt.Errorf("the local root certificate %s expired on %s: move the folder %s away to make a new one, and install the new root on every device", certPath, pair.Leaf.NotAfter.Format(time.DateOnly), ca.Dir)
	}
	ca.RootPEM, ca.root, ca.rootKey = certPEM, pair.Leaf, key
	return nil
}

func (ca *CA) newRoot(now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Rollcall local root " + host, Organization: []string{"Rollcall"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(RootValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := writeKey(filepath.Join(ca.Dir, rootKeyFile), key); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(ca.Dir, RootCertFile), certPEM, 0o644); err != nil {
		return err
	}
	ca.RootPEM, ca.root, ca.rootKey = certPEM, cert, key
	return nil
}

// leafFits: signed by this root, for exactly these hosts, and not near its end.
func (ca *CA) leafFits(leaf *x509.Certificate, hosts []string, now time.Time) bool {
	if leaf == nil || leaf.CheckSignatureFrom(ca.root) != nil || now.Add(Renew).After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		return false
	}
	var have []string
	have = append(have, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		have = append(have, ip.String())
	}
	return slices.Equal(normalize(have), hosts)
}

func (ca *CA) issue(hosts []string, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "Rollcall", Organization: []string{"Rollcall"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(LeafValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.root, &key.PublicKey, ca.rootKey)
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	chain := append(bytes.Clone(certPEM), ca.RootPEM...)
	if err := writeKey(filepath.Join(ca.Dir, leafKeyFile), key); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(ca.Dir, leafCertFile), chain, 0o644); err != nil {
		return err
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(ca.Dir, leafCertFile), filepath.Join(ca.Dir, leafKeyFile))
	if err != nil {
		return err
	}
	ca.Leaf = pair
	return nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writeFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

// writeFile writes through a temporary file and a rename, so a crash leaves
// the old file or the new one, never half of one.
func writeFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	return err
}
