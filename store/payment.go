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
	PaymentCollectionRecords(ctx context.Context, merchantID, id string) (*CollectionRecords, error)
	// PaymentSessionRecords reads a session, locked in a read-write
	// transaction, and then its collection's records as
	// PaymentCollectionRecords does: the locks in the order every
	// transaction takes them, the reads together where a backend can.
	PaymentSessionRecords(ctx context.Context, merchantID, id string) (*payment.Session, *CollectionRecords, error)
	// PaymentRecords is PaymentSessionRecords for a payment.
	PaymentRecords(ctx context.Context, merchantID, id string) (*payment.Payment, *CollectionRecords, error)
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

// CollectionRecords are a collection and its sessions and payments,
// oldest first.
type CollectionRecords struct {
	Collection *payment.Collection
	Sessions   []*payment.Session
	Payments   []*payment.Payment
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

// PaymentWriter writes them. An update must find the stored record at
// the version it was read at (a session's or payment's Stored; a
// collection's Version less one), and is EConflict wrapping ErrStale
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
