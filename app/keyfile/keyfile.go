// Package keyfile seals small secrets (the SMTP relay password, invitation
// tokens waiting in the outbox) with AES-256-GCM under a key kept in a file
// outside the database, so that a copy of the database alone reveals none of
// them. The key file is created on first use with mode 0600.
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

// Box seals and opens secrets with the key in one file. The key is read (or
// created) on the first Seal or Open, not when the Box is made, so commands
// that never touch a secret never touch the file.
type Box struct {
	path string

	once sync.Once
	aead cipher.AEAD
	err  error
}

// New returns a Box over the key file at path.
func New(path string) *Box { return &Box{path: path} }

// Path is the key file's location.
func (b *Box) Path() string { return b.path }

func (b *Box) load() (cipher.AEAD, error) {
	b.once.Do(func() {
		key, err := readOrCreate(b.path)
		if err != nil {
			b.err = err
			return
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			b.err = err
			return
		}
		b.aead, b.err = cipher.NewGCM(block)
	})
	return b.aead, b.err
}

func readOrCreate(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != keySize {
			return nil, fmt.Errorf("the key file %s is damaged (%d bytes, want %d); move it away to make a new one, then enter the relay password again", path, len(key), keySize)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read the key file: %w", err)
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

// Seal encrypts plaintext; the result holds a random nonce and the sealed text.
func (b *Box) Seal(plaintext []byte) ([]byte, error) {
	aead, err := b.load()
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

// Open decrypts what Seal returned.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	aead, err := b.load()
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
