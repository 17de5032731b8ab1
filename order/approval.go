package order

import "time"

// Approval is a signatory's approval of a purchase (or refusal of it):
// who, when, and how Kassa knew it was them. An order a signatory
// approved keeps it (Order.Signatory); the API shows it on the order's
// authorize event.
type Approval struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	// Method is how the signatory was verified: VerifiedByEmailCode,
	// an identity provider's name, or, in the sandbox, VerifiedByLink or
	// VerifiedBySandboxAPI (not verified at all).
	Method string `json:"method"`
	// Subject is the identity provider's identifier of the person, when
	// one verified them.
	Subject string    `json:"subject,omitempty"`
	At      time.Time `json:"at"`
}

// How a signatory was verified (Approval.Method), besides an identity
// provider's name.
const (
	VerifiedByEmailCode  = "emailCode"   // a one-time code sent to the signatory's e-mail address
	VerifiedByLink       = "signingLink" // the sandbox: whoever opened the signing link
	VerifiedBySandboxAPI = "sandboxApi"  // the sandbox endpoint, on the merchant's behalf
)
