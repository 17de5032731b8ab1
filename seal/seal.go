// Package seal encrypts the secrets Kassa stores under a key-encryption
// key (KEK) that the process is given and the database never holds:
// AES-256-GCM with a random 96-bit nonce per value, and associated data
// that binds each value to what it is (a setting's name, an endpoint's
// ID), so a sealed value copied into another row does not open there.
//
// A sealed value is text, so it fits any column:
//
//	ks1:<key id>:<base64url of nonce, ciphertext and tag>
//
// ks1 is the form's version; the key ID (16 hex digits derived from the
// key, revealing nothing of it) names the key that sealed it, so a value
// sealed under another key is told apart from a damaged one, and a key
// can be replaced by re-sealing every value under a new one.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is a key's length in bytes: AES-256.
const KeySize = 32

const (
	version  = "ks1"
	prefix   = version + ":"
	idLen    = 16 // hex digits of a key ID
	nonceLen = 12
	tagLen   = 16
)

var (
	// ErrMalformed is the error for text that is not a sealed value.
	ErrMalformed = errors.New("seal: not a sealed value")
	// ErrWrongKey is the error for a value sealed under another key.
	ErrWrongKey = errors.New("seal: sealed under another key")
	// ErrNotAuthentic is the error for a value that names the key but
	// does not open: damaged, or sealed for another place.
	ErrNotAuthentic = errors.New("seal: the value does not open under its key: it was changed, or sealed for another place")
)

// encoding is strict, so each value has one sealed text.
var encoding = base64.RawURLEncoding.Strict()

// Key is a key-encryption key.
type Key struct {
	id   string
	aead cipher.AEAD
}

// Generate returns a new random key's bytes.
func Generate() []byte {
	b := make([]byte, KeySize)
	rand.Read(b) // never fails (crypto/rand docs)
	return b
}

// Encode writes a key's bytes as Parse reads them: standard base64.
func Encode(raw []byte) string { return base64.StdEncoding.EncodeToString(raw) }

// Parse reads a key written by Encode; white space around it, such as a
// key file's final newline, is ignored.
func Parse(text string) (*Key, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil || len(raw) != KeySize {
		return nil, fmt.Errorf("seal: a key is the standard base64 of %d bytes", KeySize)
	}
	return New(raw)
}

// New returns the key whose bytes are raw.
func New(raw []byte) (*Key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("seal: a key has %d bytes, not %d", KeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, raw)
	m.Write([]byte("kassa key id"))
	return &Key{id: hex.EncodeToString(m.Sum(nil)[:idLen/2]), aead: aead}, nil
}

// ID names the key without revealing it.
func (k *Key) ID() string { return k.id }

// Seal encrypts plain for the place context names (the same context opens
// it, no other does).
func (k *Key) Seal(plain []byte, context string) string {
	out := make([]byte, nonceLen, nonceLen+len(plain)+tagLen)
	rand.Read(out) // never fails (crypto/rand docs)
	out = k.aead.Seal(out, out, plain, ad(k.id, context))
	return prefix + k.id + ":" + encoding.EncodeToString(out)
}

// Open decrypts a value Seal sealed for context.
func (k *Key) Open(sealed, context string) ([]byte, error) {
	id, data, err := Decode(sealed)
	if err != nil {
		return nil, err
	}
	if id != k.id {
		return nil, fmt.Errorf("%w: key %s sealed it, this key is %s", ErrWrongKey, id, k.id)
	}
	plain, err := k.aead.Open(nil, data[:nonceLen], data[nonceLen:], ad(id, context))
	if err != nil {
		return nil, ErrNotAuthentic
	}
	return plain, nil
}

// ad is the associated data: the form's version and key ID (fixed
// lengths, so the context after them cannot be confused with them) and
// the context.
func ad(id, context string) []byte { return []byte(version + id + context) }

// Decode takes a sealed value apart: the ID of the key that sealed it and
// the nonce, ciphertext and tag.
func Decode(sealed string) (keyID string, data []byte, err error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		if v, _, found := strings.Cut(sealed, ":"); found && strings.HasPrefix(v, "ks") && v != version {
			return "", nil, fmt.Errorf("%w: form %q is not %s (a newer Kassa sealed it?)", ErrMalformed, v, version)
		}
		return "", nil, ErrMalformed
	}
	id, text, ok := strings.Cut(rest, ":")
	if !ok || len(id) != idLen || !isLowerHex(id) {
		return "", nil, fmt.Errorf("%w: no key ID", ErrMalformed)
	}
	data, err = encoding.DecodeString(text)
	// The decoder skips line breaks; a sealed value has none.
	if err != nil || len(data) < nonceLen+tagLen || encoding.EncodedLen(len(data)) != len(text) {
		return "", nil, fmt.Errorf("%w: the data is not base64url of a nonce, ciphertext and tag", ErrMalformed)
	}
	return id, data, nil
}

// IsSealed reports whether s is a sealed value, which no Standard Webhooks
// secret, base64 key or link token is.
func IsSealed(s string) bool {
	_, _, err := Decode(s)
	return err == nil
}

func isLowerHex(s string) bool {
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
