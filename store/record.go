package store

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/google/uuid"
)

// The compact record encoding (schema 5) of the large buckets: one version
// byte, then CBOR (RFC 8949) with small integers for field names, so no
// record repeats its field names, and empty fields are left out. IDs that
// are UUIDs are kept as their 16 bytes, argon2id hashes as their parameters
// and raw salt and key, SHA-256 hex digests as their 32 bytes; anything
// else is kept as the text it is. A decoder meets only the versions it
// knows; a new layout gets a new version byte and a migration.
const recordV1 = 1

var (
	cborEnc = func() cbor.EncMode {
		m, err := cbor.CoreDetEncOptions().EncMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
	cborDec = func() cbor.DecMode {
		m, err := cbor.DecOptions{MaxArrayElements: 1 << 20, MaxMapPairs: 1 << 20}.DecMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
)

// encodeRecord is the version byte and v in CBOR.
func encodeRecord(v any) ([]byte, error) {
	data, err := cborEnc.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte{recordV1}, data...), nil
}

// decodeRecord reads what encodeRecord wrote into v.
func decodeRecord(data []byte, v any) error {
	if len(data) == 0 || data[0] != recordV1 {
		return fmt.Errorf("unknown record version %d", firstByte(data))
	}
	return cborDec.Unmarshal(data[1:], v)
}

func firstByte(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}

// idKey is how an ID is kept in keys and index values: a UUID (the IDs
// Rollcall makes) as its 16 bytes, anything else as its text, with a zero
// byte after it when the text is 16 bytes long too, so that the two never
// meet.
func uidKey(id string) []byte {
	if b, ok := uuidBytes(id); ok {
		return b
	}
	if len(id) == 16 {
		return append([]byte(id), 0)
	}
	return []byte(id)
}

// idOfKey is the ID idKey made k from.
func idOfUKey(k []byte) string {
	switch {
	case len(k) == 16:
		return uuid.UUID(k).String()
	case len(k) == 17 && k[16] == 0:
		return string(k[:16])
	}
	return string(k)
}

// uuidBytes is id's 16 bytes when id is a UUID in its canonical form
// (lower case, with dashes), which is the form it is read back in.
func uuidBytes(id string) ([]byte, bool) {
	if len(id) != 36 {
		return nil, false
	}
	u, err := uuid.Parse(id)
	if err != nil || u.String() != id {
		return nil, false
	}
	return u[:], true
}

// cid is an ID in a record: a CBOR byte string of 16 for a UUID, else a
// text string.
type cid string

func (c cid) MarshalCBOR() ([]byte, error) {
	if b, ok := uuidBytes(string(c)); ok {
		return cborEnc.Marshal(b)
	}
	return cborEnc.Marshal(string(c))
}

func (c *cid) UnmarshalCBOR(data []byte) error {
	var v any
	if err := cborDec.Unmarshal(data, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case []byte:
		if len(v) != 16 {
			return errors.New("an ID of bytes is not 16 long")
		}
		*c = cid(uuid.UUID(v).String())
	case string:
		*c = cid(v)
	default:
		return fmt.Errorf("an ID of type %T", v)
	}
	return nil
}

func cids(ids []string) []cid {
	if len(ids) == 0 {
		return nil
	}
	out := make([]cid, len(ids))
	for i, id := range ids {
		out[i] = cid(id)
	}
	return out
}

func strs(ids []cid) []string {
	if len(ids) == 0 {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// digest is a SHA-256 hex digest in a record: its 32 bytes when it is one
// in lower-case hex, else its text.
type digest string

func (d digest) MarshalCBOR() ([]byte, error) {
	if len(d) == 64 && strings.ToLower(string(d)) == string(d) {
		if b, err := hex.DecodeString(string(d)); err == nil {
			return cborEnc.Marshal(b)
		}
	}
	return cborEnc.Marshal(string(d))
}

func (d *digest) UnmarshalCBOR(data []byte) error {
	var v any
	if err := cborDec.Unmarshal(data, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case []byte:
		*d = digest(hex.EncodeToString(v))
	case string:
		*d = digest(v)
	default:
		return fmt.Errorf("a digest of type %T", v)
	}
	return nil
}

// phc is an argon2id hash in the PHC string form
// ($argon2id$v=19$m=19456,t=2,p=1$salt$key) in a record: as bytes (version,
// m, t, p as varints, the salt's length, the salt and the key) when the
// string is exactly what those bytes give back, else as its text.
type phc string

func (h phc) MarshalCBOR() ([]byte, error) {
	if b, ok := packPHC(string(h)); ok {
		return cborEnc.Marshal(b)
	}
	return cborEnc.Marshal(string(h))
}

func (h *phc) UnmarshalCBOR(data []byte) error {
	var v any
	if err := cborDec.Unmarshal(data, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case []byte:
		s, err := unpackPHC(v)
		if err != nil {
			return err
		}
		*h = phc(s)
	case string:
		*h = phc(v)
	default:
		return fmt.Errorf("a password hash of type %T", v)
	}
	return nil
}

func packPHC(s string) ([]byte, bool) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return nil, false
	}
	var v, m, t, p uint64
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil {
		return nil, false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return nil, false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) > 255 {
		return nil, false
	}
	var out []byte
	for _, n := range []uint64{v, m, t, p} {
		out = binary.AppendUvarint(out, n)
	}
	out = append(out, byte(len(salt)))
	out = append(append(out, salt...), key...)
	if back, err := unpackPHC(out); err != nil || back != s {
		return nil, false // not in the one form unpackPHC writes: kept as text
	}
	return out, true
}

func unpackPHC(b []byte) (string, error) {
	var n [4]uint64
	for i := range n {
		v, l := binary.Uvarint(b)
		if l <= 0 {
			return "", errors.New("a cut password hash")
		}
		n[i], b = v, b[l:]
	}
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return "", errors.New("a cut password hash")
	}
	salt, key := b[1:1+int(b[0])], b[1+int(b[0]):]
	return "$argon2id$v=" + strconv.FormatUint(n[0], 10) + "$m=" + strconv.FormatUint(n[1], 10) + ",t=" + strconv.FormatUint(n[2], 10) +
		",p=" + strconv.FormatUint(n[3], 10) + "$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key), nil
}

// nanos is a time in a record: nanoseconds since 1970 (UTC), 0 for the
// zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func nanosPtr(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	if t.IsZero() {
		return -1 << 63 // a set but zero time
	}
	return t.UnixNano()
}

func fromNanosPtr(n int64) *time.Time {
	switch n {
	case 0:
		return nil
	case -1 << 63:
		return &time.Time{}
	}
	t := time.Unix(0, n).UTC()
	return &t
}

// userRec is a user as stored in the people bucket (schema 5). The fields
// the user index holds — status, account type, groups, labels, deletion
// date, and the username and email in their keyed form — are not repeated
// here: getUser reads them from the index entry, whose key the record's
// organization and names give.
//
// The fields of types with their own encoding (cid, phc, digest) say
// omitzero as well as omitempty: the CBOR library takes a value that
// encodes itself as never empty, so with omitempty alone an empty one was
// written (2 bytes each, 8 in a record without invitation, import or
// badge). A record written so still reads the same.
type userRec struct {
	OrgID         cid    `cbor:"1,keyasint,omitempty,omitzero"`
	FirstName     string `cbor:"2,keyasint,omitempty"`
	LastName      string `cbor:"3,keyasint,omitempty"`
	Username      string `cbor:"4,keyasint,omitempty"`
	Email         string `cbor:"5,keyasint,omitempty"`
	EmailVerified bool   `cbor:"6,keyasint,omitempty"`
	Phone         string `cbor:"7,keyasint,omitempty"`
	Language      string `cbor:"8,keyasint,omitempty"`
	JobTitle      string `cbor:"9,keyasint,omitempty"`
	CreatedVia    string `cbor:"10,keyasint,omitempty"`
	InviteCode    string `cbor:"11,keyasint,omitempty"`
	InviteLink    cid    `cbor:"12,keyasint,omitempty,omitzero"`
	ImportID      cid    `cbor:"13,keyasint,omitempty,omitzero"`
	CreatedAt     int64  `cbor:"14,keyasint,omitempty"`
	UpdatedAt     int64  `cbor:"15,keyasint,omitempty"` // after CreatedAt; 0: the same

	MustChange   bool          `cbor:"16,keyasint,omitempty"`
	AdminRole    string        `cbor:"17,keyasint,omitempty"`
	AdminGroups  []cid         `cbor:"18,keyasint,omitempty"`
	Identities   []identityRec `cbor:"19,keyasint,omitempty"`
	PasswordHash phc           `cbor:"20,keyasint,omitempty,omitzero"`
	BadgeHash    digest        `cbor:"21,keyasint,omitempty,omitzero"`
	BadgePINHash phc           `cbor:"22,keyasint,omitempty,omitzero"`
	BadgeIssued  int64         `cbor:"23,keyasint,omitempty"`
	TOTP         *totpRec      `cbor:"24,keyasint,omitempty"`
	// Empty tells empty lists (emptyGroups, emptyLabels, emptyIdentities)
	// from none, which JSON answers show apart ([] and null).
	Empty uint8 `cbor:"25,keyasint,omitempty"`
	// Provisioned by the school's directory (SCIM).
	Directory     bool   `cbor:"26,keyasint,omitempty"`
	ExternalID    string `cbor:"27,keyasint,omitempty"`
	DirectoryName string `cbor:"28,keyasint,omitempty"`
}

type identityRec struct {
	Provider cid    `cbor:"1,keyasint,omitempty,omitzero"`
	Issuer   string `cbor:"2,keyasint,omitempty"`
	Subject  string `cbor:"3,keyasint,omitempty"`
	LinkedAt int64  `cbor:"4,keyasint,omitempty"`
}

type totpRec struct {
	Secret    []byte   `cbor:"1,keyasint,omitempty"`
	LastStep  int64    `cbor:"2,keyasint,omitempty"`
	Recovery  []string `cbor:"3,keyasint,omitempty"`
	Pending   []byte   `cbor:"4,keyasint,omitempty"`
	PendingAt int64    `cbor:"5,keyasint,omitempty"`
}

const (
	emptyGroups uint8 = 1 << iota
	emptyLabels
	emptyIdentities
)
