// Package keyfile seals small secrets (the SMTP relay password, invitation
// tokens waiting in the outbox) with AES-256-GCM under a key kept in a file
// outside the database, so that a copy of the database alone reveals none of
// them. The key file is created, mode 0600, when the first secret is sealed.
package keyfile

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

const keySize = 32

// Box seals and opens secrets with the key in one file. The key is read on
// the first Seal or Open, not when the Box is made, so commands that never
// touch a secret never touch the file. Only Seal creates the key, when none
// exists yet; Open never does: a key file that went missing is an error
// (ErrNoKey), not a reason to make another.
type Box struct {
	path string
	err  error // set by Unavailable

	mu   sync.Mutex
	aead cipher.AEAD
}

// New returns a Box over the key file at path.
func New(path string) *Box { return &Box{path: path} }

// Unavailable returns a Box whose every Seal and Open fails with err: for
// when no place for the key file could be found.
func Unavailable(err error) *Box { return &Box{err: err} }

// ErrNoKey is returned by Open when the key file does not exist: whatever
// was sealed cannot be opened until the file is put back.
var ErrNoKey = errors.New("the key file is missing")

func (b *Box) load(create bool) (cipher.AEAD, error) {
	if b.err != nil {
		return nil, b.err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.aead != nil {
		return b.aead, nil
	}
	var key []byte
	var err error
	if create {
		key, err = readOrCreate(b.path)
	} else {
		key, err = read(b.path)
	}
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if b.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	return b.aead, nil
}

// read reads an existing key file.
func read(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist, and the relay password and the links waiting in the outbox were sealed with it. Put the file back from a backup, or enter the relay password again and resend the waiting invitations", ErrNoKey, path)
	} else if err != nil {
		return nil, fmt.Errorf("read the key file: %w", err)
	}
	if len(key) != keySize {
		return nil, fmt.Errorf("the key file %s is damaged (%d bytes, want %d); move it away to make a new one, then enter the relay password again", path, len(key), keySize)
	}
	return key, nil
}

// readOrCreate reads the key file, or creates it when there is none yet.
func readOrCreate(path string) ([]byte, error) {
	key, err := read(path)
	if !errors.Is(err, ErrNoKey) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the folder of the key file: %w", err)
	}
	key = make([]byte, keySize)
	if _, err := io.ReadFull(rand.Reader, key); err != nil {
		return nil, err
	}
	// O_EXCL: when two processes race, one creates and the other reads.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return readOrCreate(path)
	} else if err != nil {
		return nil, fmt.Errorf("create the key file: %w", err)
	}
	_, err = f.Write(key)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write the key file: %w", err)
	}
	return key, nil
}

// Seal encrypts plaintext; the result holds a random nonce and the sealed
// text. The key file is created if there is none yet.
func (b *Box) Seal(plaintext []byte) ([]byte, error) {
	aead, err := b.load(true)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plaintext, nil), nil
}

// ErrWrongKey is returned by Open for text sealed under another key (the
// database was moved to another computer, or the key file was replaced).
var ErrWrongKey = errors.New("the secret was sealed with another key file")

// Open decrypts what Seal returned. Errors: ErrNoKey (no key file),
// ErrWrongKey (sealed under another key, or damaged).
func (b *Box) Open(sealed []byte) ([]byte, error) {
	aead, err := b.load(false)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrWrongKey
	}
	out, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
	if err != nil {
		return nil, ErrWrongKey
	}
	return out, nil
}
