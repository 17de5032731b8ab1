package merchant

import (
	"net/mail"
	"strings"

	"github.com/kassa-pay/kassa"
)

// maxEmail bounds a contact address: the longest an SMTP path takes
// (RFC 5321, 4.5.3.1.3, less its angle brackets).
const maxEmail = 254

// ParseEmail checks a merchant's contact address and returns it without
// surrounding space: one bare address (local@domain, no display name or
// comment), at most 254 characters; or "", for none.
func ParseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > maxEmail {
		return "", kassa.Invalid("email", "email must be one e-mail address of at most %d characters, such as finance@shop.example", maxEmail)
	}
	return s, nil
}
