// Package store defines the persistence interface every storage backend
// implements, and the records that exist only for persistence. The
// conformance suite in storetest holds every backend to it.
package store

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
)

// Store gives transactions over Kassa's data.
type Store interface {
	// Update runs fn in a read-write transaction and returns once it has
	// committed durably, or with fn's error after undoing fn's writes. A
	// backend may commit several concurrent Updates together (group commit):
	// each fn then sees the writes of the ones before it, and one fn's error
	// undoes only its own writes. fn may run on another goroutine and must
	// not call Update or View itself. Cancelling ctx after fn has run does
	// not undo a commit; Close waits for pending Updates.
	//
	// A backend may send a write later than the call that makes it, so its
	// failure can be returned by a later call in fn, or by Update after fn
	// returns nil. A transaction in which a write failed never commits,
	// even if fn goes on and returns nil.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn against a consistent read-only snapshot.
	View(ctx context.Context, fn func(ReadTx) error) error
	// Stats reads the store's connections and commits so far, from
	// memory.
	Stats() Stats
	Close() error
}

// ReadTx reads. Lookups of a missing row return a *kassa.Error with code
// ENotFound, except IdempotencyRecord and Setting, which return nil only
// when the row does not exist. Merchant-scoped lookups never return another
// merchant's rows: those are ENotFound too.
type ReadTx interface {
	Merchant(ctx context.Context, id string) (*merchant.Merchant, error)
	CountMerchants(ctx context.Context) (int, error)
	Client(ctx context.Context, id string) (*merchant.Client, error)

	// Order returns the order with all its events, oldest first.
	Order(ctx context.Context, merchantID, id string) (*order.Order, error)
	Session(ctx context.Context, merchantID, id string) (*session.Session, error)
	Token(ctx context.Context, merchantID, token string) (*session.Token, error)
	// OrdersDueReady lists up to limit orders not yet ready for capture
	// whose processing delay ended at or before t, ordered by that time and
	// then by order ID: the merchant's, or every merchant's when
	// merchantID is empty (as for every read of due work).
	OrdersDueReady(ctx context.Context, merchantID string, t time.Time, limit int) ([]OrderKey, error)
	// OrdersDueExpiry lists up to limit orders with lines uncaptured
	// whose expiry, not recorded yet (order.Order.ExpiryDue), came at or
	// before t, ordered by that time and then by order ID.
	OrdersDueExpiry(ctx context.Context, merchantID string, t time.Time, limit int) ([]OrderKey, error)

	IdempotencyRecord(ctx context.Context, merchantID, key string) (*IdempotencyRecord, error)
	Setting(ctx context.Context, name string) ([]byte, error)
	OrderLister
	SessionLister
	ClientReader
	NotificationReader
	CheckoutReader
	PaymentReader
	InvoiceReader
	AuditReader
	CreditReader
	SigningKeyReader
	BacklogReader
	UserReader
	TestClockReader
}

// Tx reads and writes. Creating a row that already exists is EConflict;
// updating a row that does not exist, or belongs to another merchant, is
// ENotFound.
type Tx interface {
	ReadTx
	CreateMerchant(ctx context.Context, m *merchant.Merchant) error
	// SetMerchantEmail sets the merchant's contact address.
	SetMerchantEmail(ctx context.Context, id, email string) error
	CreateClient(ctx context.Context, c *merchant.Client) error

	// CreateOrder inserts an order and all of its events.
	CreateOrder(ctx context.Context, o *order.Order) error
	// UpdateOrder saves the order and appends its new events, the last
	// len(newEvents) of o.Events. Events are never changed or removed.
	UpdateOrder(ctx context.Context, o *order.Order, newEvents []order.Event) error

	CreateSession(ctx context.Context, s *session.Session) error
	UpdateSession(ctx context.Context, s *session.Session) error
	// PutToken inserts or replaces a token; replacing another merchant's
	// token is EConflict, which a backend may return from a later call or
	// the commit, as it may a write's failure.
	PutToken(ctx context.Context, t *session.Token) error

	// PutIdempotencyRecord stores a response for replay, or a pending
	// record, and replaces a pending record of the key; any other second
	// record for the same merchant and key is EConflict.
	PutIdempotencyRecord(ctx context.Context, r *IdempotencyRecord) error
	// DeleteIdempotencyRecords removes up to limit records created before
	// t, oldest first, and returns how many it removed.
	DeleteIdempotencyRecords(ctx context.Context, before time.Time, limit int) (int, error)
	PutSetting(ctx context.Context, name string, value []byte) error
	ClientWriter
	NotificationWriter
	CheckoutWriter
	PaymentWriter
	InvoiceWriter
	AuditWriter
	SecretWriter
	CreditWriter
	UserWriter
	TestClockWriter
}

// OrderKey names an order.
type OrderKey struct{ MerchantID, OrderID string }

// IdempotencyRecord is the stored outcome of a request made with an
// Idempotency-Key, kept for replay; or, with Status Pending, the record
// of a payment-module call that has begun (its first transaction
// committed) but not answered: its Body is what the call needs to resume
// (the IDs of what it created), and its Fingerprint ties the key to the
// request.
type IdempotencyRecord struct {
	MerchantID  string
	Key         string
	Fingerprint []byte // hash of method, path and body
	Status      int    // the HTTP status, or Pending
	Body        []byte
	CreatedAt   time.Time
}

// Pending is the Status of a record whose request has not answered yet.
const Pending = 0

// Pending says the record's request has not answered yet.
func (r *IdempotencyRecord) Pending() bool { return r.Status == Pending }
