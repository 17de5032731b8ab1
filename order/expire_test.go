package order_test

import (
	"testing"

	"github.com/kassa-pay/kassa/order"
)

// An order's expiry is recorded once, at expiresAt, with the uncaptured
// amount; nothing else changes. An extension makes a new expiry due, and
// an order with nothing uncaptured has none.
func TestExpire(t *testing.T) {
	c := newClock()
	o := newOrder(t, c)
	if _, ok := o.Expire(c.env()); ok {
		t.Fatal("Expire before expiresAt did something")
	}
	c.advance(order.DefaultExpiry)
	expired, ok := o.Expire(c.env())
	if !ok {
		t.Fatal("Expire at expiresAt did nothing")
	}
	last := expired.Events[len(expired.Events)-1]
	if last.Type != order.EventExpire || last.Amount != o.UncapturedAmount() || !last.CreatedAt.Equal(c.env().Now) {
		t.Errorf("expire event = %+v, want the uncaptured %d at %v", last, o.UncapturedAmount(), c.env().Now)
	}
	if expired.UncapturedAmount() != o.UncapturedAmount() || expired.ExpiryDue() || expired.Check() != nil {
		t.Errorf("expired order: uncaptured %d, expiry due %v, check %v", expired.UncapturedAmount(), expired.ExpiryDue(), expired.Check())
	}
	if _, ok := expired.Expire(c.env()); ok {
		t.Error("the same expiry was recorded twice")
	}
	extended := must(t, "ExtendExpiry")(expired.ExtendExpiry(c.env()))
	if !extended.ExpiryDue() {
		t.Error("an extended order has no expiry due")
	}
	cancelled := must(t, "Cancel")(extended.Cancel(c.env()))
	if cancelled.ExpiryDue() {
		t.Error("a cancelled order has an expiry due")
	}
	c.advance(order.ExpiryExtension)
	if _, ok := cancelled.Expire(c.env()); ok {
		t.Error("a cancelled order expired")
	}
}
