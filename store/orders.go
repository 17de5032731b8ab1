package store

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa/order"
)

// OrderFilter selects a merchant's orders; empty fields match all.
type OrderFilter struct {
	// Query matches orders one of whose ID, merchant reference, order
	// reference, company name, organisation number or e-mail address
	// begins with it, ignoring case (an organisation number ignoring its
	// dashes and spaces too).
	Query string
	// Statuses matches orders whose payment status (order.PaymentStatus)
	// is one of them.
	Statuses []string
	Currency string
	// From and To bound the orders' creation: From ≤ CreatedAt < To. A
	// zero time leaves that side open.
	From, To time.Time
	// Overdue matches the orders with an invoice document that asks for a
	// payment not fully made by a due date before Now.
	Overdue bool
	Now     time.Time
	// After continues a listing: only the orders that come after this
	// position in the listing's order. Nil starts at the newest.
	After *ListPosition
	Limit int
}

// ListPosition is an item's place in a listing of orders, sessions or
// documents: its creation time, then its ID.
type ListPosition struct {
	CreatedAt time.Time
	ID        string
}

// Position is o's place in a listing.
func Position(o *order.Order) ListPosition { return ListPosition{CreatedAt: o.CreatedAt, ID: o.ID} }

// OrderLister lists orders.
type OrderLister interface {
	// Orders lists up to f.Limit of the merchant's orders that match f,
	// newest first (by creation time, then by ID, the greater first),
	// without their events.
	Orders(ctx context.Context, merchantID string, f OrderFilter) ([]*order.Order, error)
}
