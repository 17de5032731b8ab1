package order_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
)

// t0 is the fixed start of every test clock.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// seqIDs is a deterministic kassa.IDs: the prefix followed by an 8-digit
// counter kept per prefix, so the first order is or_00000001, its first
// ledger in_00000001 and its first event oe_00000001.
type seqIDs struct {
	mu sync.Mutex
	n  map[string]int
}

func (g *seqIDs) New(prefix string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n == nil {
		g.n = map[string]int{}
	}
	g.n[prefix]++
	return fmt.Sprintf("%s%08d", prefix, g.n[prefix])
}

// clock is a deterministic environment: time stands still until advance.
type clock struct {
	now time.Time
	ids *seqIDs
}

func newClock() *clock { return &clock{now: t0, ids: &seqIDs{}} }

func (c *clock) env() order.Env { return order.Env{Now: c.now, IDs: c.ids} }

func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

// ptr returns a pointer to v, for optional fields.
func ptr[T any](v T) *T { return &v }

// line builds a line whose totals follow the unit-price rule exactly and
// whose VAT amount is the rounded VAT portion.
func line(typ, ref string, qty, unitPrice, vat int64) order.Line {
	total := qty * unitPrice
	return order.Line{
		Type: typ, Reference: ref, Description: "Item " + ref,
		Quantity: qty, UnitPrice: ptr(unitPrice), VAT: vat,
		TotalAmount: total, TotalVATAmount: money.VATPortion(total, vat),
	}
}

// discount builds an order-level discount line as the docs describe it:
// quantity 1, unitPrice 0 and unitDiscountAmount the discount.
func discount(ref string, amount, vat int64) order.Line {
	return order.Line{
		Type: order.TypeDiscount, Reference: ref, Description: "Discount",
		Quantity: 1, UnitPrice: ptr(int64(0)), UnitDiscountAmount: amount, VAT: vat,
		TotalAmount: -amount, TotalVATAmount: money.VATPortion(-amount, vat),
	}
}

// Fixture lines: the docs' phone, a shipping fee, books at 6 % and a
// 25 % discount.
func phone() order.Line    { return line(order.TypePhysical, "1334227", 1, 500000, 2500) }
func shipping() order.Line { return line(order.TypeShippingFee, "flat_rate:1", 1, 4900, 2500) }
func books() order.Line    { return line(order.TypePhysical, "book", 2, 12000, 600) }
func rebate() order.Line   { return discount("rebate", 20000, 2500) }

// totalsOf states the totals of lines correctly.
func totalsOf(lines ...order.Line) order.Totals {
	total, vat := order.Sum(lines)
	return order.Totals{Amount: total, VATAmount: vat, AmountExclVAT: ptr(total - vat)}
}

func customer() order.Customer {
	addr := order.Address{City: "Stockholm", CompanyName: "Kalles kulor AB", Country: "SE", PostalCode: "11359", StreetAddress: "Sveavägen 49"}
	return order.Customer{
		CompanyID: "559311-7314", CompanyName: "Kalles kulor AB", VATID: "SE559311731401",
		Email: "kalle@kulor.com", FirstName: "Kalle", LastName: "Kulor", Phone: "0700000000",
		InvoiceChannel:  order.InvoiceChannel{Type: "email"},
		BillingAddress:  addr,
		ShippingAddress: order.ShippingAddress{Address: addr, Contact: order.Contact{Email: "kalle@kulor.com", FirstName: "Kalle"}},
	}
}

func newParams(lines ...order.Line) order.NewParams {
	return order.NewParams{
		MerchantID: "ac_merchant", StoreID: "store-1", SessionID: "ps_session",
		Currency: "SEK", Country: "SE", Locale: "sv-SE", Reference: "1001",
		Lines: lines, Totals: totalsOf(lines...), Customer: customer(),
		AuthorizeStatus: order.Authorized, RiskTags: []string{},
	}
}

// newOrder creates a ready order of lines (phone, shipping and books when
// none are given).
func newOrder(t testing.TB, c *clock, lines ...order.Line) *order.Order {
	t.Helper()
	if len(lines) == 0 {
		lines = []order.Line{phone(), shipping(), books()}
	}
	o, err := order.New(c.env(), newParams(lines...))
	if err != nil {
		t.Fatalf("New(%v) error: %v", lines, err)
	}
	return o
}

// must fails the test when an operation that should succeed does not.
func must(t testing.TB, call string) func(*order.Order, error) *order.Order {
	t.Helper()
	return func(o *order.Order, err error) *order.Order {
		t.Helper()
		if err != nil {
			t.Fatalf("%s error: %v", call, err)
		}
		if err := o.Check(); err != nil {
			t.Fatalf("%s broke an invariant: %v", call, err)
		}
		return o
	}
}

// wantError checks err's code and, when param is not empty, its Param.
func wantError(t testing.TB, call string, err error, code, param string) {
	t.Helper()
	if got := kassa.ErrorCode(err); got != code {
		t.Errorf("%s error code = %q, want %q (error: %v)", call, got, code, err)
		return
	}
	if param == "" {
		return
	}
	var e *kassa.Error
	if !errors.As(err, &e) {
		t.Errorf("%s error = %T, want *kassa.Error", call, err)
		return
	}
	if e.Param != param {
		t.Errorf("%s error param = %q, want %q (error: %v)", call, e.Param, param, err)
	}
}

// rejected checks a failed operation: the error's code and param, no next
// order, and the input order exactly as it was before the call.
func rejected(t testing.TB, call string, before, input, next *order.Order, err error, code, param string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s succeeded, want error %q", call, code)
		return
	}
	wantError(t, call, err, code, param)
	if next != nil {
		t.Errorf("%s returned an order with its error %v", call, err)
	}
	if diff := cmp.Diff(before, input); diff != "" {
		t.Errorf("%s changed its input (-before +after):\n%s", call, diff)
	}
}

// snapshot is an independent deep copy of o (independent of Clone, which
// is under test).
func snapshot(o *order.Order) *order.Order {
	if o == nil {
		return nil
	}
	c := *o
	c.RiskTags = slices.Clone(o.RiskTags)
	c.Metadata = slices.Clone(o.Metadata)
	copyLines := func(ls []order.Line) []order.Line {
		if ls == nil {
			return nil
		}
		out := make([]order.Line, len(ls))
		for i, l := range ls {
			if l.UnitPrice != nil {
				l.UnitPrice = ptr(*l.UnitPrice)
			}
			out[i] = l
		}
		return out
	}
	copyChunks := func(cs []order.Chunk) []order.Chunk {
		if cs == nil {
			return nil
		}
		out := make([]order.Chunk, len(cs))
		for i, ch := range cs {
			ch.Lines = copyLines(ch.Lines)
			out[i] = ch
		}
		return out
	}
	if o.Uncaptured != nil {
		u := *o.Uncaptured
		u.Lines = copyLines(u.Lines)
		c.Uncaptured = &u
	}
	c.Captured = copyChunks(o.Captured)
	c.Refunded = copyChunks(o.Refunded)
	c.Events = slices.Clone(o.Events)
	return &c
}

// eventTypes lists the types of events from index from on.
func eventTypes(o *order.Order, from int) []string {
	var s []string
	for _, e := range o.Events[from:] {
		s = append(s, e.Type)
	}
	return s
}

// stripLineIDs returns lines without their ids, for comparing lines whose
// ids are fresh.
func stripLineIDs(lines []order.Line) []order.Line {
	out := slices.Clone(lines)
	for i := range out {
		out[i].ID = ""
	}
	return out
}

func TestSeqIDs(t *testing.T) {
	g := &seqIDs{}
	got := []string{g.New(kassa.PrefixOrder), g.New(kassa.PrefixLedger), g.New(kassa.PrefixOrder)}
	want := []string{"or_00000001", "in_00000001", "or_00000002"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seqIDs.New mismatch (-want +got):\n%s", diff)
	}
}
