package store

import (
	"context"
	"errors"
	"time"

	"github.com/kassa-pay/kassa/payment"
)

// ErrStale is wrapped by the EConflict a payment-module update returns
// when the row's version is no longer the one the caller read: another
// transaction saved it first. Callers re-read and decide again.
var ErrStale = errors.New("store: record changed concurrently")

// PaymentReader reads the payment module's records. Lookups are scoped to
// a merchant, except PaymentSessionByRef and ProviderEvent, which serve
// unauthenticated webhooks.
type PaymentReader interface {
	PaymentCollection(ctx context.Context, merchantID, id string) (*payment.Collection, error)
	// PaymentCollectionRecords is PaymentCollection, PaymentSessionsOf
	// and PaymentsOf in one call: the lists are read after the
	// collection's lock is taken, and a backend sends the three reads
	// together.
	PaymentCollectionRecords(ctx context.Context, merchantID, id string) (*payment.Collection, []*payment.Session, []*payment.Payment, error)
	// PaymentCollections lists up to f.Limit of the merchant's
	// collections that match f, newest first (by creation time, then by
	// ID, the greater first).
	PaymentCollections(ctx context.Context, merchantID string, f CollectionFilter) ([]*payment.Collection, error)
	PaymentSession(ctx context.Context, merchantID, id string) (*payment.Session, error)
	// PaymentSessionByRef finds a session by its provider's reference.
	PaymentSessionByRef(ctx context.Context, providerID, ref string) (*payment.Session, error)
	// PaymentSessionsOf lists a collection's sessions, oldest first.
	PaymentSessionsOf(ctx context.Context, merchantID, collectionID string) ([]*payment.Session, error)
	Payment(ctx context.Context, merchantID, id string) (*payment.Payment, error)
	// PaymentsOf lists a collection's payments, oldest first.
	PaymentsOf(ctx context.Context, merchantID, collectionID string) ([]*payment.Payment, error)
	// ProviderEvent returns the recorded webhook event, or nil if none. In
	// a read-write transaction it also locks the event, recorded or not,
	// until the transaction ends: transactions that read an event in order
	// to record it take turns, and the second sees the first's record.
	ProviderEvent(ctx context.Context, providerID, eventID string) (*ProviderEvent, error)
}

// CollectionFilter selects a merchant's payment-module collections;
// empty fields match all.
type CollectionFilter struct {
	Statuses []string // payment.NotPaid, payment.Awaiting, …
	Currency string
	// After continues a listing: only the collections that come after
	// this position in the listing's order. Nil starts at the newest.
	After *ListPosition
	Limit int
}

// PaymentWriter writes them. Updates save a record whose Version is one
// more than the stored one's, and are EConflict wrapping ErrStale
// otherwise. Payments that break payment.Check are refused.
type PaymentWriter interface {
	CreatePaymentCollection(ctx context.Context, c *payment.Collection) error
	UpdatePaymentCollection(ctx context.Context, c *payment.Collection) error
	// DeletePaymentCollection deletes a collection and its sessions; one
	// with payments is EConflict (they are money records, kept).
	DeletePaymentCollection(ctx context.Context, merchantID, id string) error
	CreatePaymentSession(ctx context.Context, s *payment.Session) error
	UpdatePaymentSession(ctx context.Context, s *payment.Session) error
	DeletePaymentSession(ctx context.Context, merchantID, id string) error
	// CreatePayment inserts a payment; a second for one session is EConflict.
	CreatePayment(ctx context.Context, p *payment.Payment) error
	UpdatePayment(ctx context.Context, p *payment.Payment) error
	// PutProviderEvent inserts or replaces a webhook event record.
	PutProviderEvent(ctx context.Context, e *ProviderEvent) error
}

// Provider event statuses.
const (
	EventReceived  = "received"  // recorded, not yet applied (or being applied: see ClaimedUntil)
	EventProcessed = "processed" // applied; a redelivery is ignored
)

// ProviderEvent is a webhook event a provider delivered, kept to
// de-duplicate redeliveries and as evidence.
type ProviderEvent struct {
	ProviderID  string
	EventID     string
	MerchantID  string // "" until the event is matched to a session
	Status      string
	Action      string
	Body        []byte
	ReceivedAt  time.Time
	ProcessedAt time.Time // zero until processed
	// ClaimedUntil is when the claim of the delivery applying the event
	// ends; zero when no delivery is applying it.
	ClaimedUntil time.Time
}
