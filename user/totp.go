package user

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"hash"
	"net/url"
	"strings"
	"time"
)

// TOTP per RFC 6238 as authenticator apps implement it: HMAC-SHA-1, a
// 30-second time step from the Unix epoch, 6 digits.
const (
	TOTPStep   = 30 * time.Second
	TOTPDigits = 6
	// TOTPSkew is how many steps before or after now a code is still
	// accepted: a phone's clock a little off, a code typed as it changed.
	TOTPSkew = 1
)

// b32 is the secret's text form: base32 without padding, as the
// otpauth:// URI carries it.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a fresh 160-bit secret (RFC 4226's recommended
// length) in its text form.
func NewTOTPSecret() string {
	b := make([]byte, 20)
	rand.Read(b) // never fails (crypto/rand docs)
	return b32.EncodeToString(b)
}

// TOTPURI is the otpauth:// URI an authenticator app enrols the secret
// from, for the account email, issued by issuer.
func TOTPURI(secret, issuer, email string) string {
	q := url.Values{"secret": {secret}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return "otpauth://totp/" + url.PathEscape(issuer+":"+email) + "?" + q.Encode()
}

// hotp is RFC 4226's HOTP of counter under key with h, digits long.
func hotp(h func() hash.Hash, key []byte, counter uint64, digits int) string {
	mac := hmac.New(h, key)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], counter)
	mac.Write(c[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// totpAt is RFC 6238's TOTP at time t: HOTP of the number of steps since
// the epoch.
func totpAt(h func() hash.Hash, key []byte, t time.Time, step time.Duration, digits int) string {
	return hotp(h, key, uint64(t.Unix()/int64(step/time.Second)), digits)
}

// StepAt is the TOTP time step t falls in.
func StepAt(t time.Time) int64 { return t.Unix() / int64(TOTPStep/time.Second) }

// TOTPCode is the code for secret (its text form) at t; "" for a secret
// that is not base32.
func TOTPCode(secret string, t time.Time) string {
	key, err := b32.DecodeString(strings.ToUpper(secret))
	if err != nil {
		return ""
	}
	return totpAt(sha1.New, key, t, TOTPStep, TOTPDigits)
}

// VerifyTOTP checks code against secret at now, within TOTPSkew steps,
// and returns the step it matched. A step at or before last (the last
// step accepted) is refused, so that a code seen over a shoulder or
// replayed cannot be used again.
func VerifyTOTP(secret, code string, now time.Time, last int64) (step int64, ok bool) {
	key, err := b32.DecodeString(strings.ToUpper(secret))
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if err != nil || len(code) != TOTPDigits {
		return 0, false
	}
	cur := StepAt(now)
	for s := cur - TOTPSkew; s <= cur+TOTPSkew; s++ {
		if s <= last {
			continue
		}
		want := hotp(sha1.New, key, uint64(s), TOTPDigits)
		if hmac.Equal([]byte(want), []byte(code)) {
			return s, true
		}
	}
	return 0, false
}
