package store

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa/money"
)

// CreditLine is what a credit limit applies to: one buyer company at one
// merchant, in one currency.
type CreditLine struct {
	MerchantID string
	CompanyID  string
	Currency   money.Currency
}

// CreditHold is the credit one payment session draws on its line: while it
// is authorized (or awaits a signatory) the authorized amount, until
// ExpiresAt; once it has an order, the order's exposure, with a zero
// ExpiresAt (no expiry).
type CreditHold struct {
	SessionID string
	Line      CreditLine
	Amount    int64
	ExpiresAt time.Time
}

// CheckoutReader reads what the buyer-facing pages need: a session's
// owner.
type CheckoutReader interface {
	// SessionOwner returns the merchant of a payment session, for the
	// buyer-facing pages, which know only the session ID.
	SessionOwner(ctx context.Context, sessionID string) (merchantID string, err error)
}

// CheckoutWriter reserves credit.
//
// An authorization calls LockCreditLine, then CreditStanding (the line's
// exposure, with the merchant's credit policy), then PutCreditHold,
// in one Update: the lock is a row lock on the line (created on first use),
// so two transactions authorizing the same company are serialized by the
// database itself, across processes, and the second one's CreditStanding sees
// the first one's hold. (On PostgreSQL this needs READ COMMITTED, where
// each statement reads the latest committed rows, or a stricter level,
// where the second transaction fails with a serialization error instead.)
type CheckoutWriter interface {
	LockCreditLine(ctx context.Context, line CreditLine) error
	// PutCreditHold sets session h.SessionID's hold, replacing any earlier
	// one (on any line); an Amount of 0 removes it.
	PutCreditHold(ctx context.Context, h CreditHold) error
}
