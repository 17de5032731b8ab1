package storetest

import (
	"errors"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
)

// A merchant's test clock starts at no offset, only goes forward (a
// refused change changes nothing), is its own, and is listed once it
// runs ahead.
func testTestClocks(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	offset := func(merchantID string) time.Duration {
		return mustRead(f, func(tx store.ReadTx) (time.Duration, error) { return tx.TestClockOffset(ctx, merchantID) })
	}
	set := func(d time.Duration) error {
		return f.s.Update(ctx, func(tx store.Tx) error { return tx.SetTestClockOffset(ctx, m, d) })
	}
	if got := offset(m); got != 0 {
		t.Errorf("TestClockOffset of a new merchant = %v, want 0", got)
	}
	f.ok("SetTestClockOffset(15 days)", set(15*24*time.Hour))
	f.ok("SetTestClockOffset(the same)", set(15*24*time.Hour))
	wantCode(t, "SetTestClockOffset(back)", set(24*time.Hour), kassa.EInvalid)
	wantCode(t, "SetTestClockOffset(negative)", set(-time.Second), kassa.EInvalid)
	if got := offset(m); got != 15*24*time.Hour {
		t.Errorf("TestClockOffset after refused changes = %v, want 15 days", got)
	}
	if got := offset(other); got != 0 {
		t.Errorf("TestClockOffset of another merchant = %v, want 0", got)
	}
	// Read ahead, a clock answers as read; set in the transaction, as set.
	err := f.s.Update(ctx, func(tx store.Tx) error {
		f.ok("PrefetchTestClock", tx.PrefetchTestClock(ctx, m))
		if got, err := tx.TestClockOffset(ctx, m); err != nil || got != 15*24*time.Hour {
			t.Errorf("TestClockOffset with the prefetch not yet sent = %v, %v; want 15 days", got, err)
		}
		f.ok("PrefetchTestClock", tx.PrefetchTestClock(ctx, other))
		if _, err := tx.Setting(ctx, "any"); err != nil { // sends the prefetch
			return err
		}
		if got, err := tx.TestClockOffset(ctx, other); err != nil || got != 0 {
			t.Errorf("TestClockOffset of another merchant, prefetched = %v, %v; want 0", got, err)
		}
		f.ok("SetTestClockOffset(20 days)", tx.SetTestClockOffset(ctx, m, 20*24*time.Hour))
		if got, err := tx.TestClockOffset(ctx, m); err != nil || got != 20*24*time.Hour {
			t.Errorf("TestClockOffset after setting it = %v, %v; want 20 days", got, err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("Update = %v, want %v", err, errBoom)
	}
	if got := offset(m); got != 15*24*time.Hour {
		t.Errorf("TestClockOffset after a rolled-back change = %v, want 15 days", got)
	}
	clocks := mustRead(f, func(tx store.ReadTx) ([]store.TestClock, error) { return tx.TestClocks(ctx) })
	if diff := cmp.Diff([]store.TestClock{{MerchantID: m, Offset: 15 * 24 * time.Hour}}, clocks); diff != "" {
		t.Errorf("TestClocks (-want +got):\n%s", diff)
	}
}

// An order is due for its expiry at expiresAt while it has lines
// uncaptured and that expiry is not recorded; recording it, or an
// extension, takes it off until its new expiry.
func testOrdersDueExpiry(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	a := f.newOrder(m, 0)
	f.createOrder(a)
	f.advance(time.Minute)
	b := f.newOrder(other, 0)
	f.createOrder(b)
	c := f.newOrder(m, 0)
	f.createOrder(c)
	cancelled, err := c.Cancel(f.env()) // nothing left to expire
	f.ok("Cancel", err)
	f.updateOrder(c, cancelled)

	key := func(o *order.Order) store.OrderKey { return store.OrderKey{MerchantID: o.MerchantID, OrderID: o.ID} }
	due := func(merchantID string, at time.Time) []store.OrderKey {
		return mustRead(f, func(tx store.ReadTx) ([]store.OrderKey, error) { return tx.OrdersDueExpiry(ctx, merchantID, at, 10) })
	}
	if got := due("", a.ExpiresAt.Add(-time.Microsecond)); len(got) != 0 {
		t.Errorf("OrdersDueExpiry before expiry = %v", got)
	}
	later := b.ExpiresAt
	if diff := cmp.Diff([]store.OrderKey{key(a), key(b)}, due("", later)); diff != "" {
		t.Errorf("OrdersDueExpiry (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]store.OrderKey{key(b)}, due(other, later)); diff != "" {
		t.Errorf("OrdersDueExpiry(other merchant) (-want +got):\n%s", diff)
	}

	f.now = later
	expired, ok := a.Expire(f.env())
	if !ok {
		t.Fatalf("Expire at %v of an order expiring %v did nothing", f.now, a.ExpiresAt)
	}
	f.updateOrder(a, expired)
	extended, err := b.ExtendExpiry(f.env())
	f.ok("ExtendExpiry", err)
	f.updateOrder(b, extended)
	if got := due("", later); len(got) != 0 {
		t.Errorf("OrdersDueExpiry after expiry and extension = %v", got)
	}
	if diff := cmp.Diff([]store.OrderKey{key(b)}, due("", extended.ExpiresAt)); diff != "" {
		t.Errorf("OrdersDueExpiry at the extended expiry (-want +got):\n%s", diff)
	}
}

// Advancing a merchant's deliveries makes its pending, unclaimed ones due
// that much sooner, and no one else's.
func testAdvanceDeliveries(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	due := f.now
	mine, theirs := f.notifyTo(m, "https://shop.example/n"), f.notifyTo(other, "https://shop.example/n")
	var n int
	f.mustUpdate(func(tx store.Tx) (err error) { n, err = tx.AdvanceDeliveries(ctx, m, 45*time.Minute); return err })
	if n != 1 {
		t.Errorf("AdvanceDeliveries = %d, want 1", n)
	}
	for _, c := range []struct {
		merchantID, notificationID string
		want                       time.Time
	}{{m, mine.ID, due.Add(-45 * time.Minute)}, {other, theirs.ID, due}} {
		ds := f.deliveries(c.merchantID, c.notificationID)
		if len(ds) != 1 || !ds[0].NextAt.Equal(c.want) {
			t.Errorf("deliveries of %s = %+v, want one due %v", c.merchantID, ds, c.want)
		}
	}
}
