// Package payment is the merchant-side payment module's domain: payment
// collections, the provider sessions that try to pay them, the payments
// authorized sessions become, and the captures, refunds and cancellation
// of those payments. It does no I/O. Operations take the current value and
// return the next one or a *kassa.Error; inputs are never modified.
//
// Amounts are int64 minor units of one currency: a collection's sessions
// and payments all share its currency, so its derived amounts never mix
// currencies.
//
// Money leaving through a provider is two-phase: Begin records the intent
// (a pending capture or refund that already reserves its amount) and
// Settle records the provider's answer. A pending movement's amount is
// never available to another movement, so concurrent captures cannot
// together exceed the authorization, and a movement is never deleted: a
// retry finds it and reuses its ID as the provider's idempotency key.
package payment

import (
	"encoding/json"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
)

// ID prefixes of the module's records.
const (
	PrefixCollection = "pay_col_"
	PrefixSession    = "payses_"
	PrefixPayment    = "pay_"
	PrefixCapture    = "capt_"
	PrefixRefund     = "ref_"
	PrefixCancel     = "pcan_"
	PrefixCall       = "pscall_"
)

// Collection statuses.
const (
	NotPaid             = "not_paid"
	Awaiting            = "awaiting"
	Authorized          = "authorized"
	PartiallyAuthorized = "partially_authorized"
	Completed           = "completed"
	Canceled            = "canceled"
)

// Session statuses (also what providers answer for a session).
const (
	SessionPending              = "pending"
	SessionRequiresMore         = "requires_more"
	SessionPendingAuthorization = "pending_authorization"
	SessionAuthorized           = "authorized"
	SessionCaptured             = "captured" // a provider's answer only: stored as authorized plus a capture
	SessionError                = "error"
	SessionCanceled             = "canceled"
)

// Payment statuses.
const (
	PaymentAuthorized        = "authorized"
	PaymentPartiallyCaptured = "partially_captured"
	PaymentCaptured          = "captured"
	PaymentCanceled          = "canceled"
)

// Movement statuses: a capture, refund or cancellation sent to a provider.
const (
	Pending   = "pending"
	Succeeded = "succeeded"
	Failed    = "failed"
)

// maxMetadata bounds free-form JSON a caller may attach.
const maxMetadata = 16 << 10

// Collection is what a resource (a cart, an order) must be paid.
type Collection struct {
	ID         string          `json:"id"`
	MerchantID string          `json:"merchantId"`
	Currency   money.Currency  `json:"currency"`
	Amount     int64           `json:"amount"`
	Status     string          `json:"status"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`

	// Derived from the collection's payments by Derive.
	AuthorizedAmount int64 `json:"authorizedAmount"`
	CapturedAmount   int64 `json:"capturedAmount"`
	RefundedAmount   int64 `json:"refundedAmount"`

	CompletedAt *time.Time `json:"completedAt,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	// Version counts saves; a store refuses to save over a newer one.
	Version int64 `json:"version"`
}

// Session is one provider's attempt to pay (part of) a collection.
type Session struct {
	ID           string          `json:"id"`
	MerchantID   string          `json:"merchantId"`
	CollectionID string          `json:"collectionId"`
	ProviderID   string          `json:"providerId"`
	Currency     money.Currency  `json:"currency"`
	Amount       int64           `json:"amount"`
	Status       string          `json:"status"`
	Data         json.RawMessage `json:"data"`              // the provider's; public, never secrets
	Context      json.RawMessage `json:"context,omitempty"` // what the caller told the provider
	Metadata     json.RawMessage `json:"metadata,omitempty"`
	// ProviderRef is the provider's own id for the session, by which its
	// webhooks name it.
	ProviderRef string `json:"providerRef,omitempty"`
	// Revision counts the updates the provider accepted; an update's
	// idempotency key names the revision it makes, so each change is
	// sent as itself, and its retries as the same change.
	Revision  int64  `json:"revision,omitempty"`
	PaymentID string `json:"paymentId,omitempty"`
	// Failure is the last provider error, or why the module refused the
	// provider's authorization, kept for the merchant.
	Failure string `json:"failure,omitempty"`
	// Void is the cancellation of a provider authorization the session's
	// collection could not take (see Refused); its ID is the provider's
	// idempotency key.
	Void *Movement `json:"void,omitempty"`
	// InFlight is the provider call under way for the session, if any
	// (see StartCall): what the provider was sent is what is recorded.
	InFlight     *Call      `json:"inFlight,omitempty"`
	AuthorizedAt *time.Time `json:"authorizedAt,omitempty"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
	Version      int64      `json:"version"`
	// Stored is the version its store last read or saved of the record
	// this one derives from, which a save must find unchanged (a store
	// sets it). A transaction need not save each state it passes
	// through, so Version may move on by more than one a save.
	Stored int64 `json:"-"`
}

// Call is a provider call under way for a session: an authorization or
// an update sent to the provider and not yet recorded. It holds until
// Until, so that a process that died during the call does not block the
// session for good.
type Call struct {
	ID    string    `json:"id"`
	Kind  string    `json:"kind"` // CallAuthorize or CallUpdate
	Until time.Time `json:"until"`
}

// Kinds of Call.
const (
	CallAuthorize = "authorize"
	CallUpdate    = "update"
)

// Payment is an authorized session's money: what may be captured, and what
// was captured and refunded.
type Payment struct {
	ID           string          `json:"id"`
	MerchantID   string          `json:"merchantId"`
	CollectionID string          `json:"collectionId"`
	SessionID    string          `json:"sessionId"`
	ProviderID   string          `json:"providerId"`
	Currency     money.Currency  `json:"currency"`
	Amount       int64           `json:"amount"` // authorized
	Status       string          `json:"status"`
	Data         json.RawMessage `json:"data"`
	Captures     []Movement      `json:"captures"`
	Refunds      []Movement      `json:"refunds"`
	Cancels      []Movement      `json:"cancels"`
	CapturedAt   *time.Time      `json:"capturedAt,omitempty"`
	CanceledAt   *time.Time      `json:"canceledAt,omitempty"`
	CreatedAt    time.Time       `json:"createdAt"`
	UpdatedAt    time.Time       `json:"updatedAt"`
	Version      int64           `json:"version"`
	Stored       int64           `json:"-"` // as Session's
}

// Movement is a capture, refund or cancellation as sent to the provider.
// Its ID is the idempotency key the provider sees, on every attempt.
type Movement struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Amount int64  `json:"amount"`
	// Key is the caller's idempotency key, by which a retried request
	// finds this movement again.
	Key         string    `json:"key,omitempty"`
	ProviderRef string    `json:"providerRef,omitempty"` // e.g. the invoice's ledger id
	Reason      string    `json:"reason,omitempty"`      // refunds
	Note        string    `json:"note,omitempty"`        // refunds
	CreatedBy   string    `json:"createdBy,omitempty"`
	Attempts    int       `json:"attempts"`
	Failure     string    `json:"failure,omitempty"` // the last attempt's error
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// Env is what operations need from outside: the time and new IDs.
type Env struct {
	Now time.Time
	IDs kassa.IDs
}

func checkMetadata(param string, raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if len(raw) > maxMetadata {
		return nil, kassa.Invalid(param, "%s is larger than %d bytes", param, maxMetadata)
	}
	if !json.Valid(raw) || raw[0] != '{' {
		return nil, kassa.Invalid(param, "%s must be a JSON object", param)
	}
	return append(json.RawMessage(nil), raw...), nil
}

func checkAmount(param string, amount int64) error {
	if amount <= 0 || amount > money.MaxAmount {
		return kassa.Invalid(param, "%s must be between 1 and %d minor units", param, money.MaxAmount)
	}
	return nil
}

func at(t time.Time) *time.Time { return &t }
