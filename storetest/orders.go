package storetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
)

// orderIDs lists the IDs of the merchant's orders that match f.
func (f *fixture) orderIDs(merchantID string, filter store.OrderFilter) []string {
	f.t.Helper()
	if filter.Limit == 0 {
		filter.Limit = 100
	}
	os := mustRead(f, func(tx store.ReadTx) ([]*order.Order, error) { return tx.Orders(f.ctx, merchantID, filter) })
	ids := make([]string, len(os))
	for i, o := range os {
		if o.MerchantID != merchantID {
			f.t.Errorf("Orders(%s) listed %s of merchant %s", merchantID, o.ID, o.MerchantID)
		}
		if o.Events != nil {
			f.t.Errorf("Orders listed %s with its events", o.ID)
		}
		ids[i] = o.ID
	}
	return ids
}

// Orders are listed newest first, a page at a time, each merchant only
// its own; every filter narrows the listing, and what the search
// matches follows the order as it is saved.
func testOrderList(f *fixture) {
	t := f.t
	m, other := f.createMerchant(), f.createMerchant()
	var all []*order.Order // oldest first
	for i := range 5 {
		o := f.newOrder(m, 0)
		o.Reference = fmt.Sprintf("Cart-%d", i)
		if i%2 == 1 {
			o.Currency = "EUR"
		}
		if i == 3 {
			o.Customer.CompanyName, o.Customer.CompanyID, o.Customer.Email = "Åkesson Bygg AB", "5591234567", "Ekonomi@Akesson.example"
		}
		f.createOrder(o)
		all = append(all, o)
		if i != 1 { // two orders created at the same time: their IDs order them
			f.advance(time.Minute)
		}
	}
	f.createOrder(f.newOrder(other, 0))
	want := func(what string, got []string, ids ...string) {
		t.Helper()
		if !slices.Equal(got, ids) {
			t.Errorf("%s = %v, want %v", what, got, ids)
		}
	}
	ids := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, all[i].ID)
		}
		return out
	}
	// Newest first; orders 1 and 2 share a time, the greater ID first.
	same := ids(2, 1)
	if all[1].ID > all[2].ID {
		same = ids(1, 2)
	}
	everything := append(append(ids(4, 3), same...), ids(0)...)
	want("all", f.orderIDs(m, store.OrderFilter{}), everything...)

	// Pages of two continue after their last order, to the end.
	var paged []string
	var after *store.ListPosition
	for range 4 {
		page := mustRead(f, func(tx store.ReadTx) ([]*order.Order, error) {
			return tx.Orders(f.ctx, m, store.OrderFilter{After: after, Limit: 2})
		})
		if len(page) == 0 {
			break
		}
		for _, o := range page {
			paged = append(paged, o.ID)
		}
		p := store.Position(page[len(page)-1])
		after = &p
	}
	want("pages", paged, everything...)

	want("q company, case folded", f.orderIDs(m, store.OrderFilter{Query: "åKESS"}), ids(3)...)
	want("q organisation number without its dash", f.orderIDs(m, store.OrderFilter{Query: "559123"}), ids(3)...)
	want("q organisation number with a dash", f.orderIDs(m, store.OrderFilter{Query: "556677-88"}), append(append(ids(4), same...), ids(0)...)...)
	want("q e-mail", f.orderIDs(m, store.OrderFilter{Query: "ekonomi@"}), ids(3)...)
	want("q reference", f.orderIDs(m, store.OrderFilter{Query: "cart-4"}), ids(4)...)
	want("q ID", f.orderIDs(m, store.OrderFilter{Query: all[0].ID}), ids(0)...)
	want("q order reference", f.orderIDs(m, store.OrderFilter{Query: all[0].OrderReference}), ids(0)...)
	want("q no match", f.orderIDs(m, store.OrderFilter{Query: "zz"}))
	want("q another merchant's", f.orderIDs(other, store.OrderFilter{Query: "åkess"}))
	want("currency", f.orderIDs(m, store.OrderFilter{Currency: "EUR"}), ids(3, 1)...)
	want("from, to", f.orderIDs(m, store.OrderFilter{From: all[2].CreatedAt, To: all[4].CreatedAt}), append(ids(3), same...)...)

	// The status and the searched fields follow the order as it is saved.
	o := all[0]
	next, err := o.SetReference(f.env(), "renamed-7")
	f.ok("SetReference", err)
	email := "new@byggvaror.example"
	next2, err := next.EditCustomer(f.env(), order.CustomerUpdate{Email: &email})
	f.ok("EditCustomer", err)
	f.updateOrder(o, next2)
	want("q old reference", f.orderIDs(m, store.OrderFilter{Query: "cart-0"}))
	want("q new reference", f.orderIDs(m, store.OrderFilter{Query: "RENAMED"}), ids(0)...)
	want("q new e-mail", f.orderIDs(m, store.OrderFilter{Query: "new@"}), ids(0)...)
	want("status confirmed", f.orderIDs(m, store.OrderFilter{Statuses: []string{order.StatusPaymentConfirmed}}), everything...)
	want("status pending", f.orderIDs(m, store.OrderFilter{Statuses: []string{order.StatusPaymentPending}}))

	// An invoice unpaid after its due date makes its order overdue.
	ocr, _ := invoice.NewOCR("4242")
	captured, _, err := f.issueInvoice(next2, ocr)
	f.ok("issue", err)
	f.numberDocuments(10)
	want("status captured", f.orderIDs(m, store.OrderFilter{Statuses: []string{order.StatusOrderCaptured, order.StatusOrderCancelled}}), captured.ID)
	later := f.now.Add(time.Duration(invoice.DefaultPaymentTerms+1) * 24 * time.Hour)
	want("overdue before the due date", f.orderIDs(m, store.OrderFilter{Overdue: true, Now: f.now}))
	want("overdue after the due date", f.orderIDs(m, store.OrderFilter{Overdue: true, Now: later}), captured.ID)
	want("overdue, another merchant's", f.orderIDs(other, store.OrderFilter{Overdue: true, Now: later}))
}

// Each change an update makes to what an order is listed or found by
// moves it in the lists and the due work, read in the same transaction
// before the update, as every change is (provider.ChangeOrder); and
// what the update leaves as it was still finds it.
func testUpdateOrderIndexes(f *fixture) {
	t, ctx := f.t, f.ctx
	m := f.createMerchant()
	o := f.newOrder(m, time.Hour)
	f.createOrder(o)

	// change saves what edit makes of the order as the transaction reads
	// it; edit may save more than once.
	change := func(edit func(tx store.Tx, prev *order.Order) (*order.Order, error)) {
		t.Helper()
		f.advance(time.Minute)
		f.mustUpdate(func(tx store.Tx) error {
			prev, err := tx.Order(ctx, m, o.ID)
			if err != nil {
				return err
			}
			next, err := edit(tx, prev)
			if err != nil {
				return err
			}
			o = next
			return nil
		})
	}
	save := func(tx store.Tx, prev, next *order.Order) error {
		return tx.UpdateOrder(ctx, next, next.Events[len(prev.Events):])
	}
	apply := func(op func(o *order.Order) (*order.Order, error)) {
		t.Helper()
		change(func(tx store.Tx, prev *order.Order) (*order.Order, error) {
			n, err := op(prev)
			if err != nil {
				return nil, err
			}
			return n, save(tx, prev, n)
		})
	}
	// set makes a change that no operation of the order makes on its own.
	set := func(edit func(n *order.Order)) {
		t.Helper()
		apply(func(o *order.Order) (*order.Order, error) {
			n := o.Clone()
			edit(n)
			return n, nil
		})
	}

	found := func(what string, filter store.OrderFilter, want bool) {
		t.Helper()
		got := f.orderIDs(m, filter)
		if want && !slices.Equal(got, []string{o.ID}) || !want && len(got) != 0 {
			t.Errorf("%s: listed %v, want the order listed: %t", what, got, want)
		}
	}
	due := func(what string, list func(tx store.ReadTx, at time.Time) ([]store.OrderKey, error), at time.Time, want bool) {
		t.Helper()
		got := mustRead(f, func(tx store.ReadTx) ([]store.OrderKey, error) { return list(tx, at) })
		if listed := slices.Contains(got, store.OrderKey{MerchantID: m, OrderID: o.ID}); listed != want {
			t.Errorf("%s: due at %v = %v, want the order listed: %t", what, at, got, want)
		}
	}
	dueReady := func(tx store.ReadTx, at time.Time) ([]store.OrderKey, error) {
		return tx.OrdersDueReady(ctx, m, at, 10)
	}
	dueExpiry := func(tx store.ReadTx, at time.Time) ([]store.OrderKey, error) {
		return tx.OrdersDueExpiry(ctx, m, at, 10)
	}
	never := o.CreatedAt.Add(10 * order.MaxExpiry)
	// indexed checks that the order is found by everything it now holds.
	indexed := func(step string) {
		t.Helper()
		for _, q := range []string{o.Reference, o.Customer.CompanyName, o.Customer.CompanyID, o.Customer.Email} {
			found(step+": q "+q, store.OrderFilter{Query: q}, true)
		}
		found(step+": status "+o.PaymentStatus(), store.OrderFilter{Statuses: []string{o.PaymentStatus()}}, true)
		if pending := !o.Ready && o.Uncaptured != nil; pending {
			due(step+": ready", dueReady, o.ReadyAt.Add(-time.Microsecond), false)
			due(step+": ready", dueReady, o.ReadyAt, true)
		} else {
			due(step+": ready", dueReady, never, false)
		}
		if o.ExpiryDue() {
			due(step+": expiry", dueExpiry, o.ExpiresAt.Add(-time.Microsecond), false)
			due(step+": expiry", dueExpiry, o.ExpiresAt, true)
		} else {
			due(step+": expiry", dueExpiry, never, false)
		}
	}
	gone := func(step, q string) {
		t.Helper()
		found(step+": old q "+q, store.OrderFilter{Query: q}, false)
	}
	indexed("created")

	// Each step changes one indexed column, but for becoming ready,
	// which is a status too.
	set(func(n *order.Order) { n.ReadyAt = n.ReadyAt.Add(time.Hour) })
	indexed("ready later")

	old := o.ExpiresAt
	apply(func(o *order.Order) (*order.Order, error) { return o.ExtendExpiry(f.env()) })
	due("extended expiry", dueExpiry, old, false)
	indexed("extended expiry")

	f.now = o.ReadyAt
	apply(func(o *order.Order) (*order.Order, error) {
		n, ok := o.MarkReady(f.env())
		if !ok {
			return nil, fmt.Errorf("marking ready at %v an order ready at %v did nothing", f.now, o.ReadyAt)
		}
		return n, nil
	})
	found("ready", store.OrderFilter{Statuses: []string{order.StatusPaymentPending}}, false)
	indexed("ready")

	one := widget
	one.Quantity, one.TotalAmount, one.TotalVATAmount = 1, 12500, 2500
	apply(func(o *order.Order) (*order.Order, error) {
		return o.PartialCapture(f.env(), order.CaptureRequest{Lines: []order.Line{one}, TotalAmount: 12500})
	})
	found("captured", store.OrderFilter{Statuses: []string{order.StatusPaymentConfirmed}}, false)
	indexed("captured")

	apply(func(o *order.Order) (*order.Order, error) { return o.SetReference(f.env(), "Renamed-7") })
	gone("reference", "cart-42")
	indexed("reference")

	email := "ekonomi@norrbygg.example"
	apply(func(o *order.Order) (*order.Order, error) {
		return o.EditCustomer(f.env(), order.CustomerUpdate{Email: &email})
	})
	gone("e-mail", customer.Email)
	indexed("e-mail")

	set(func(n *order.Order) { n.Customer.CompanyName = "Åkesson Bygg AB" })
	gone("company", customer.CompanyName)
	indexed("company")

	set(func(n *order.Order) { n.Customer.CompanyID = "559123-4567" })
	gone("organisation number", customer.CompanyID)
	indexed("organisation number")

	// Saved twice in one transaction, there and back: the second save
	// changes the column from what the first wrote.
	ref := o.Reference
	change(func(tx store.Tx, prev *order.Order) (*order.Order, error) {
		there, err := prev.SetReference(f.env(), "Elsewhere-1")
		if err != nil {
			return nil, err
		}
		if err := save(tx, prev, there); err != nil {
			return nil, err
		}
		back, err := there.SetReference(f.env(), ref)
		if err != nil {
			return nil, err
		}
		return back, save(tx, there, back)
	})
	gone("there and back", "Elsewhere")
	indexed("there and back")

	f.now = o.ExpiresAt
	apply(func(o *order.Order) (*order.Order, error) {
		n, ok := o.Expire(f.env())
		if !ok {
			return nil, fmt.Errorf("expiring at %v an order expiring %v did nothing", f.now, o.ExpiresAt)
		}
		return n, nil
	})
	indexed("expired")
	f.wantOrder(o)
}
