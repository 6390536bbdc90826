package app

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"rollcall/internal/argon2id"
)

// HashParams are argon2id parameters. They are written into every hash
// string, so hashes made with older parameters still verify.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultHashParams is the OWASP minimum for argon2id (19 MiB, 2 passes, 1 lane):
// about 19 ms a hash on the reference laptop.
var DefaultHashParams = HashParams{Memory: 19456, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// hashSlots bounds the argon2 work running at once to one hash per core
// Go may use (GOMAXPROCS): each hash holds its memory (19 MiB) while it
// runs, so 300 sign-ups or sign-ins arriving together wait for a slot
// instead of taking 300 × 19 MiB. Every hash and check goes through
// HashPassword and VerifyPassword, so every caller is bounded. The work
// areas themselves are reused (package argon2id), so a batch of 1,000
// leaves no garbage of 1,000 areas: memory while hashing is about
// GOMAXPROCS × 19 MiB.
var hashSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

func takeHashSlot() func() {
	hashSlots <- struct{}{}
	return func() { <-hashSlots }
}

// HashPassword returns an argon2id hash of password in the PHC string form
// $argon2id$v=19$m=19456,t=2,p=1$salt$hash. At most one hash per core runs
// at once; the others wait.
func HashPassword(rand io.Reader, p HashParams, password string) (string, error) {
	defer takeHashSlot()()
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2id.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2id.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches hash, and whether the hash
// was made with weaker parameters than want and should be rewritten. It
// shares HashPassword's bound on hashes running at once.
func VerifyPassword(hash, password string, want HashParams) (ok, rehash bool) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, false
	}
	var version int
	var p HashParams
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2id.Version {
		return false, false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || p.Threads == 0 {
		return false, false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return false, false
	}
	release := takeHashSlot()
	got := argon2id.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	release()
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false
	}
	return true, p.Memory < want.Memory || p.Time < want.Time || p.Threads < want.Threads
}

// dummyHash is verified against when an account does not exist, so that a
// failed sign-in takes as long whether or not the username is known.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword(strings.NewReader(strings.Repeat("x", saltLen)), DefaultHashParams, "not a password")
	return h
})

// PasswordPolicy is an organization's rule for passwords.
type PasswordPolicy struct {
	MinLength     int  `json:"min_length"`
	RequireLetter bool `json:"require_letter"`
	RequireDigit  bool `json:"require_digit"`
	RequireSymbol bool `json:"require_symbol"`
}

// DefaultPasswordPolicy: at least 10 characters with letters and digits.
var DefaultPasswordPolicy = PasswordPolicy{MinLength: 10, RequireLetter: true, RequireDigit: true}

// MaxPasswordLength bounds the work one hash may cost.
const MaxPasswordLength = 256

// Validate checks that the policy itself is sensible.
func (p PasswordPolicy) Validate() error {
	if p.MinLength < 6 || p.MinLength > 64 {
		return Errorf(EINVALID, "The minimum password length must be between 6 and 64 characters.")
	}
	return nil
}

// Check reports the first rule of the policy that password breaks, as an
// EINVALID error on the field "password", or nil.
func (p PasswordPolicy) Check(password string) error {
	n := utf8.RuneCountInString(password)
	var letter, digit, symbol bool
	for _, r := range password {
		switch {
		case unicode.IsLetter(r):
			letter = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsSpace(r):
		default:
			symbol = true
		}
	}
	switch {
	case n < p.MinLength:
		return FieldError(EINVALID, "password", "The password is too short: at least %d characters.", p.MinLength)
	case n > MaxPasswordLength:
		return FieldError(EINVALID, "password", "The password is too long: at most %d characters.", MaxPasswordLength)
	case hasControl(password):
		return FieldError(EINVALID, "password", "The password contains a control character.")
	case p.RequireLetter && !letter:
		return FieldError(EINVALID, "password", "The password needs at least one letter.")
	case p.RequireDigit && !digit:
		return FieldError(EINVALID, "password", "The password needs at least one digit.")
	case p.RequireSymbol && !symbol:
		return FieldError(EINVALID, "password", "The password needs at least one symbol such as ! or #.")
	}
	return nil
}

// String describes the policy in plain words, for forms.
func (p PasswordPolicy) String() string {
	s := fmt.Sprintf("at least %d characters", p.MinLength)
	var need []string
	if p.RequireLetter {
		need = append(need, "letters")
	}
	if p.RequireDigit {
		need = append(need, "digits")
	}
	if p.RequireSymbol {
		need = append(need, "a symbol")
	}
	if len(need) > 0 {
		s += " with " + strings.Join(need, " and ")
	}
	return s
}
