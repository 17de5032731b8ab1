package user

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/kassa-pay/kassa"
)

// Argon2Params are argon2id's cost parameters: memory in KiB, passes,
// lanes.
type Argon2Params struct {
	Memory  uint32
	Time    uint32
	Threads uint8
}

// DefaultArgon2 is OWASP's first recommended configuration for argon2id
// (19 MiB, 2 passes, 1 lane): about 30 ms per hash on a server core.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// HashPassword hashes pw with argon2id under p and a fresh salt, in the
// PHC string format ($argon2id$v=19$m=…,t=…,p=…$salt$hash) that names its
// parameters, so that raising them later leaves older hashes verifiable.
func HashPassword(pw string, p Argon2Params) string {
	salt := make([]byte, saltLen)
	rand.Read(salt) // never fails (crypto/rand docs)
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// maxArgon2Memory bounds the memory a stored hash may ask for (256 MiB):
// a damaged or planted hash must not exhaust the process.
const maxArgon2Memory = 256 * 1024

// VerifyPassword says whether pw is the password hash was made from; a
// hash that is not HashPassword's text matches nothing. It compares in
// constant time.
func VerifyPassword(pw, hash string) bool {
	var (
		v, m, t uint32
		p       uint8
	)
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > maxArgon2Memory || t == 0 || t > 16 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// DummyHash is a hash no password is known for: signing in as an
// address no user has verifies against it, so that the answer takes as
// long as for a user's wrong password.
// It is made on first use, not when the program starts.
var DummyHash = sync.OnceValue(func() string {
	return HashPassword("no user has this password; it only spends the time a check takes", DefaultArgon2)
})

// The password policy's bounds (NIST SP 800-63B: a length, no composition
// rules, no common passwords).
const (
	MinPassword = 12  // characters
	MaxPassword = 256 // bytes: argon2id takes any length, the request should not
)

// common are passwords long enough to pass the length rule that lists of
// breached passwords hold most often.
var common = []string{
	"123456789012", "1234567890123", "12345678910111213", "qwertyuiopas", "qwerty123456",
	"passwordpassword", "password1234", "password12345", "password123456", "iloveyou1234",
	"aaaaaaaaaaaa", "abcdefghijkl", "abc123abc123", "111111111111", "000000000000",
	"qwertyqwerty", "letmeinletmein", "changemechangeme", "welcome12345", "adminadmin123",
}

// CheckPassword applies the password policy to pw, for the user with the
// address email: at least MinPassword characters, at most MaxPassword
// bytes, valid UTF-8, not the address or its local part, not one
// character repeated, not a common password.
func CheckPassword(pw, email string) error {
	switch {
	case !utf8.ValidString(pw):
		return kassa.Invalid("password", "the password is not valid text")
	case utf8.RuneCountInString(pw) < MinPassword:
		return kassa.Invalid("password", "the password must have at least %d characters", MinPassword)
	case len(pw) > MaxPassword:
		return kassa.Invalid("password", "the password must have at most %d bytes", MaxPassword)
	}
	lower := strings.ToLower(pw)
	local, _, _ := strings.Cut(email, "@")
	first, _ := utf8.DecodeRuneInString(pw)
	switch {
	case email != "" && (lower == email || lower == local):
		return kassa.Invalid("password", "the password must not be your e-mail address")
	case strings.Count(pw, string(first)) == utf8.RuneCountInString(pw):
		return kassa.Invalid("password", "the password must not repeat one character")
	case slices.Contains(common, lower):
		return kassa.Invalid("password", "the password is among the most common ones; choose another")
	}
	return nil
}
