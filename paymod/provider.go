// Package paymod is the payment module's service: the operations a
// commerce backend calls (directly, as a library, or through package
// api), the provider interface, the provider registry and the built-in
// system provider. It holds no HTTP.
//
// Every operation that calls a provider that does I/O does so outside any
// database transaction, in three steps: an Update records the intent (a
// pending capture, say, which reserves its amount, with the ID the
// provider gets as its idempotency key), the provider is called, and a
// second Update records the outcome after re-reading the state. A call
// whose outcome is unknown leaves the intent pending; retrying the
// request with the same key finds it and sends the same idempotency key
// again. The system provider, which does no I/O, is called inside one
// transaction with both steps instead: the same records result, with one
// commit where the three steps take two.
package paymod

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"sort"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/payment"
)

// Provider is a payment provider. Methods return a *kassa.Error when the
// provider answered with a refusal (the outcome is known: nothing
// happened), and any other error when the outcome is unknown (a timeout,
// a 5xx): the module then keeps the operation pending and retries it with
// the same idempotency key.
type Provider interface {
	// Initiate starts a session at the provider.
	Initiate(ctx context.Context, in SessionInput) (payment.ProviderResult, error)
	// Update tells the provider the session changed.
	Update(ctx context.Context, in SessionInput) (payment.ProviderResult, error)
	// Authorize asks for the session's authorization. It may answer
	// pending_authorization or requires_more and be asked again later.
	Authorize(ctx context.Context, in SessionInput) (payment.ProviderResult, error)
	// Status reads the session's status at the provider.
	Status(ctx context.Context, in SessionInput) (payment.ProviderResult, error)
	// Delete discards a session that will not be authorized.
	Delete(ctx context.Context, in SessionInput) error
	Capture(ctx context.Context, in MovementInput) (MovementResult, error)
	Refund(ctx context.Context, in MovementInput) (MovementResult, error)
	// Cancel cancels an authorization nothing of which is captured: a
	// payment's, or (in.Payment nil) one the module refused to take.
	Cancel(ctx context.Context, in MovementInput) (MovementResult, error)
	// ParseWebhook verifies a webhook delivery and says what it means,
	// without calling the provider: nothing is fetched or changed on the
	// word of a delivery before it is verified. One that fails
	// verification is EUnauthorized, a malformed one EInvalid. A provider
	// whose sender does not sign cannot verify: it answers ActionSync with
	// the session's reference, and nothing else of the delivery is used.
	ParseWebhook(ctx context.Context, w Webhook) (*Event, error)
}

// SessionInput is what a provider is told about a session.
type SessionInput struct {
	Key       string // idempotency key: the session's ID
	SessionID string
	Ref       string // the provider's own reference, once it gave one
	Currency  money.Currency
	Amount    int64
	Data      json.RawMessage
	Context   json.RawMessage
	// Revision is the session's revision (payment.Session.Revision):
	// for an update, the one the change makes, which an idempotency key
	// for the change should name.
	Revision int64
}

// MovementInput asks for a capture, refund or cancellation.
type MovementInput struct {
	Key string // the movement's ID: the same on every attempt
	// Payment is the payment as recorded, the pending movement included;
	// nil for the cancellation of an authorization the module refused
	// (payment.Session.Void), which has no payment: the session's data
	// is the provider's answer to authorizing it.
	Payment *payment.Payment
	Session *payment.Session
	Amount  int64
	Note    string
}

// MovementResult is the provider's answer to a movement.
type MovementResult struct {
	Ref  string          // the provider's reference, e.g. an invoice's ledger id
	Data json.RawMessage // replaces the payment's provider data when non-nil
}

// Webhook is a delivery as received.
type Webhook struct {
	Header http.Header
	Body   []byte
	// ReceivedAt is the module's clock when it received the delivery; a
	// signature's timestamp is checked against it.
	ReceivedAt time.Time
}

// Webhook actions.
const (
	ActionAuthorized           = "authorized"
	ActionCaptured             = "captured"
	ActionFailed               = "failed"
	ActionCanceled             = "canceled"
	ActionRequiresMore         = "requires_more"
	ActionPendingAuthorization = "pending_authorization"
	ActionNotSupported         = "not_supported"
	// ActionSync is an unverified delivery's only meaning: something may
	// have happened to the session, whose status the module then asks the
	// provider for (as SyncSession does).
	ActionSync = "sync"
)

// Event is what a webhook delivery means.
type Event struct {
	// ID is the provider's event id (a Standard Webhooks webhook-id, say),
	// which de-duplicates deliveries; a hint (ActionSync) has none.
	ID         string
	Action     string
	SessionRef string // the provider's reference of the session
	// Amount is, for captured, the total the provider has captured; 0
	// means all of it.
	Amount int64
	// Data is merged into the session's data before authorizing (what the
	// buyer's dialog produced, say).
	Data map[string]any
}

// local says whether p is the system provider itself, which answers
// from memory (no network, no disk, no effect outside the module's
// records, the same answer to the same input): the module calls it inside
// the transaction that records its answer, one commit where a provider
// that does I/O takes two, and calls it again when that transaction is
// re-run after a conflict. A type that embeds System is not: it may add
// I/O.
func local(p Provider) bool {
	_, ok := p.(System)
	return ok
}

// Registry holds the providers by ID, such as pp_system_default.
type Registry map[string]Provider

// WithSystem is the providers r names and the system provider
// (SystemProviderID), which every module has.
func WithSystem(r Registry) Registry {
	out := Registry{SystemProviderID: System{}}
	maps.Copy(out, r)
	return out
}

// Get returns the provider id, or EInvalid naming param.
func (r Registry) Get(id, param string) (Provider, error) {
	if p, ok := r[id]; ok {
		return p, nil
	}
	return nil, kassa.Invalid(param, "no payment provider %q; the providers are %v", id, r.IDs())
}

// IDs lists the registered provider IDs in order.
func (r Registry) IDs() []string {
	ids := make([]string, 0, len(r))
	for id := range r {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// SystemProviderID is the built-in manual provider's ID.
const SystemProviderID = "pp_system_default"

// System is the manual provider: it authorizes at once, and captures,
// refunds and cancellations are only recorded (the money moves outside
// any provider, as with a bank transfer marked as paid).
type System struct{}

var _ Provider = System{}

func (System) Initiate(context.Context, SessionInput) (payment.ProviderResult, error) {
	return payment.ProviderResult{Status: payment.SessionPending}, nil
}

func (System) Update(context.Context, SessionInput) (payment.ProviderResult, error) {
	return payment.ProviderResult{}, nil
}

func (System) Authorize(context.Context, SessionInput) (payment.ProviderResult, error) {
	return payment.ProviderResult{Status: payment.SessionAuthorized}, nil
}

// Status is unknown to a provider that keeps no state.
func (System) Status(context.Context, SessionInput) (payment.ProviderResult, error) {
	return payment.ProviderResult{}, nil
}

func (System) Delete(context.Context, SessionInput) error { return nil }

func (System) Capture(context.Context, MovementInput) (MovementResult, error) {
	return MovementResult{}, nil
}

func (System) Refund(context.Context, MovementInput) (MovementResult, error) {
	return MovementResult{}, nil
}

func (System) Cancel(context.Context, MovementInput) (MovementResult, error) {
	return MovementResult{}, nil
}

func (System) ParseWebhook(context.Context, Webhook) (*Event, error) {
	return &Event{Action: ActionNotSupported}, nil
}
