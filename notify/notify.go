// Package notify turns order and session changes into the notifications
// Ledyer sends merchants, and holds the rules of their delivery: the
// payloads, who receives them, the retry schedule and the Standard
// Webhooks signature. It does no I/O; package provider's outbox writes
// notifications in the transaction of the change that causes them, and
// package webhook delivers them.
package notify

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"

	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
)

// Notification types, as Ledyer names them on the wire.
const (
	OrderCreate          = "com.ledyer.order.create"
	OrderReadyForCapture = "com.ledyer.order.ready_for_capture"
	OrderFullCapture     = "com.ledyer.order.full_capture"
	OrderPartCapture     = "com.ledyer.order.part_capture"
	OrderFullRefund      = "com.ledyer.order.full_refund"
	OrderPartRefund      = "com.ledyer.order.part_refund"
	OrderCancel          = "com.ledyer.order.cancel"
	AuthorizationCreate  = "com.ledyer.authorization.create"
	AuthorizationPending = "com.ledyer.authorization.pending"

	// OrderPaid is Kassa's own: the order's invoices are paid (a bank
	// file's payments, or the sandbox's). Ledyer has no such type, so it
	// goes to notification endpoints only, never to a session's
	// notification URL, whose receivers (Ledyer's plugins) know Ledyer's
	// types alone.
	OrderPaid = "com.kassa.order.paid"

	// OrderExpired is Kassa's own too, and for endpoints only: the order
	// expired with lines uncaptured, which can no longer be captured
	// unless its expiry is extended.
	OrderExpired = "com.kassa.order.expired"

	// EndpointDisabled is Kassa's own too: one of the merchant's
	// endpoints was disabled (Endpoint.Attempted). It goes to the
	// merchant's other endpoints.
	EndpointDisabled = "com.kassa.endpoint.disabled"
)

// Types lists every notification type, for validating endpoint filters.
var Types = []string{
	OrderCreate, OrderReadyForCapture, OrderFullCapture, OrderPartCapture,
	OrderFullRefund, OrderPartRefund, OrderCancel,
	AuthorizationCreate, AuthorizationPending, OrderPaid, OrderExpired, EndpointDisabled,
}

// orderTypes maps the order events merchants are notified of; the other
// events (acknowledge, edit, …) are the merchant's own doing.
var orderTypes = map[string]string{
	order.EventCreate:          OrderCreate,
	order.EventReadyForCapture: OrderReadyForCapture,
	order.EventFullCapture:     OrderFullCapture,
	order.EventPartialCapture:  OrderPartCapture,
	order.EventFullRefund:      OrderFullRefund,
	order.EventPartialRefund:   OrderPartRefund,
	order.EventCancel:          OrderCancel,
	order.EventPaid:            OrderPaid,
	order.EventExpire:          OrderExpired,
}

// Message is a notification before it is stored: its type, what it is
// about and the exact JSON body receivers get.
type Message struct {
	// ID is derived from what caused the message, when that is unique:
	// the order event or the authorization token. Empty: make a new one.
	ID        string
	Type      string
	OrderID   string // "" for authorization and endpoint events
	SessionID string // "" for endpoint events
	Body      []byte
}

// orderBody is Ledyer's order event payload; keys in its documented order.
type orderBody struct {
	EventType  string `json:"eventType"`
	MerchantID string `json:"merchantId"`
	OrderID    string `json:"orderId"`
	Reference  string `json:"reference"`
	StoreID    string `json:"storeId"`
}

// authorizationBody is Ledyer's payments authorization payload. A pending
// authorization has no token yet, so the key is left out.
type authorizationBody struct {
	EventType          string `json:"eventType"`
	AuthorizationToken string `json:"authorizationToken,omitempty"`
	SessionID          string `json:"sessionId"`
	MerchantID         string `json:"merchantId"`
	StoreID            string `json:"storeId"`
}

// Reference is the reference order notifications carry. An order from a
// session that waited for a signatory carries the session's reference, or
// the session ID when it had none: the merchant created its pending order
// from the session before the order existed, and finds it by that. Other
// orders carry the merchant's order reference, or the order ID when empty.
func Reference(o *order.Order, s *session.Session) string {
	if s != nil && s.SignatoryRequested {
		if s.Reference != "" {
			return s.Reference
		}
		return s.ID
	}
	if o.Reference != "" {
		return o.Reference
	}
	return o.ID
}

// NotifiesOrder reports whether any of an order's new events makes a
// notification (ForOrder), so that one that makes none need not read
// where notifications go.
func NotifiesOrder(events []order.Event) bool {
	return slices.ContainsFunc(events, func(e order.Event) bool {
		_, ok := orderTypes[e.Type]
		return ok
	})
}

// ForOrder returns the notifications of an order's new events, in order.
// s is the order's session (nil if it is gone), for the reference.
func ForOrder(o *order.Order, events []order.Event, s *session.Session) []Message {
	var out []Message
	for _, e := range events {
		t, ok := orderTypes[e.Type]
		if !ok {
			continue
		}
		out = append(out, Message{
			ID: derivedID(e.ID), Type: t, OrderID: o.ID, SessionID: o.SessionID,
			Body: mustJSON(orderBody{EventType: t, MerchantID: o.MerchantID, OrderID: o.ID, Reference: Reference(o, s), StoreID: o.StoreID}),
		})
	}
	return out
}

// ForSession returns the notifications of a session's change from prev to
// next: pending when it starts waiting for a signatory, create whenever a
// new authorization token is issued (directly or once signed).
func ForSession(prev, next *session.Session) []Message {
	var out []Message
	add := func(t, token string) {
		out = append(out, Message{
			ID: derivedID(token), Type: t, SessionID: next.ID,
			Body: mustJSON(authorizationBody{EventType: t, AuthorizationToken: token, SessionID: next.ID, MerchantID: next.MerchantID, StoreID: next.StoreID}),
		})
	}
	if next.State == session.StateAwaitingSignatory && (prev == nil || prev.State != session.StateAwaitingSignatory) {
		add(AuthorizationPending, "")
	}
	if next.Token != "" && (prev == nil || prev.Token != next.Token) {
		add(AuthorizationCreate, next.Token)
	}
	return out
}

// derivedID names the notification of the event or token with the given
// ID: the same unique part under the notification prefix.
func derivedID(cause string) string {
	if _, unique, ok := strings.Cut(cause, "_"); ok && unique != "" {
		return kassa.PrefixNotification + unique
	}
	return ""
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // flat structs of strings always encode
	}
	return b
}

// Delivery states.
const (
	Pending   = "pending"
	Delivered = "delivered"
	Failed    = "failed"
)

// Notification is a stored notification.
type Notification struct {
	ID         string
	MerchantID string
	Type       string
	OrderID    string
	SessionID  string
	Body       []byte
	CreatedAt  time.Time
	// Status sums up its deliveries: pending while any is, else failed if
	// any failed, else delivered (also when it had no destination).
	Status string
}

// Delivery is one notification on its way to one destination.
type Delivery struct {
	ID             string
	NotificationID string
	MerchantID     string
	EndpointID     string // "" for the session's notification URL
	URL            string
	State          string
	Attempts       int       // attempts made so far
	NextAt         time.Time // when the next attempt is due, while pending
	CreatedAt      time.Time
	// Claim is the lease token of the process that claimed it; only that
	// process may record its attempt.
	Claim string
	// Filled by a claim, for sending. Secret is an endpoint's as stored,
	// sealed (SecretContext); a session URL's, derived. PreviousSecret
	// and PreviousUntil are the endpoint's (Endpoint.Rotate).
	Body           []byte
	Secret         string
	PreviousSecret string
	PreviousUntil  time.Time
	Log            []Attempt // filled by the delivery log
}

// Secrets are what sign an attempt at d made at t (Sign): its secret,
// and the one its endpoint's last rotation replaced while the rotation's
// overlap runs, newest first.
func (d *Delivery) Secrets(t time.Time) []string {
	if d.PreviousSecret != "" && t.Before(d.PreviousUntil) {
		return []string{d.Secret, d.PreviousSecret}
	}
	return []string{d.Secret}
}

// Attempt is one try at a delivery, as the delivery log shows it.
type Attempt struct {
	DeliveryID string
	At         time.Time
	StatusCode int // 0 when no response came
	Latency    time.Duration
	Body       string // the response body, truncated
	Error      string // why no response came, or why it did not count
}

// NewDestinations returns deliveries to the enabled endpoints that
// subscribe to type t and have none among existing: what a replay adds
// for endpoints created after the notification.
func NewDestinations(existing []Delivery, endpoints []Endpoint, t string) []Delivery {
	var ds []Delivery
	for i := range endpoints {
		e := &endpoints[i]
		has := slices.ContainsFunc(existing, func(d Delivery) bool { return d.EndpointID == e.ID })
		if e.Wants(t) && !has && !e.Disabled() {
			ds = append(ds, Delivery{EndpointID: e.ID, URL: e.URL})
		}
	}
	return ds
}

// Destinations returns the deliveries of one notification: the session's
// notification URL (if any, and for Ledyer's types only) and every
// endpoint that subscribes to its type. A delivery to a disabled endpoint
// is failed from the start: it is not sent, and is there to be
// redelivered once the endpoint is enabled again. The others have no
// state yet: they are stored pending.
func Destinations(notificationURL string, endpoints []Endpoint, t string) []Delivery {
	var ds []Delivery
	if notificationURL != "" && strings.HasPrefix(t, "com.ledyer.") {
		ds = append(ds, Delivery{URL: notificationURL})
	}
	for i := range endpoints {
		if e := &endpoints[i]; e.Wants(t) {
			d := Delivery{EndpointID: e.ID, URL: e.URL}
			if e.Disabled() {
				d.State = Failed
			}
			ds = append(ds, d)
		}
	}
	return ds
}
