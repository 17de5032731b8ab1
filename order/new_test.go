package order_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
)

func TestNew(t *testing.T) {
	c := newClock()
	p := newParams(phone(), with(shipping(), func(l *order.Line) { l.Type = "" }))
	p.Metadata = json.RawMessage(`{"cart":"42"}`)
	p.RiskTags = []string{"manualReview"}
	p.AuthorizeStatus = order.Forced
	got, err := order.New(c.env(), p)
	if err != nil {
		t.Fatalf("New(phone, shipping) error: %v", err)
	}

	wantLines := []order.Line{phone(), shipping()}
	wantLines[0].ID, wantLines[1].ID = "ol_00000001", "ol_00000002"
	wantLines[1].Type = order.TypePhysical // an empty type is stored as physical
	const total = 500000 + 4900
	want := &order.Order{
		ID: "or_00000001", MerchantID: "ac_merchant", StoreID: "store-1", SessionID: "ps_session",
		Currency: "SEK", Country: "SE", Locale: "sv-SE", Reference: "1001",
		OrderReference: "00000001", PaymentMethod: order.Invoice, Customer: customer(),
		RiskTags: []string{"manualReview"}, Metadata: json.RawMessage(`{"cart":"42"}`),
		AuthorizeStatus: order.Forced, AuthorizedAmount: total,
		ReadyAt: t0, Ready: true,
		Uncaptured:    &order.Chunk{LedgerID: "in_00000001", Lines: wantLines, CreatedAt: t0},
		FirstLedgerID: "in_00000001",
		CreatedAt:     t0, UpdatedAt: t0, ExpiresAt: t0.Add(14 * 24 * time.Hour),
		Events: []order.Event{
			{ID: "oe_00000001", Type: order.EventCreate, LedgerID: "in_00000001", Amount: total, CreatedAt: t0},
			{ID: "oe_00000002", Type: order.EventAuthorize, LedgerID: "in_00000001", Amount: total, CreatedAt: t0},
			{ID: "oe_00000003", Type: order.EventReadyForCapture, LedgerID: "in_00000001", Amount: 0, CreatedAt: t0},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("New(phone, shipping) mismatch (-want +got):\n%s", diff)
	}
	if err := got.Check(); err != nil {
		t.Errorf("New(phone, shipping).Check() = %v, want nil", err)
	}

	// The order keeps no alias of the request's lines or tags.
	p.Lines[0].TotalAmount = 1
	p.RiskTags[0] = "changed"
	if got.Uncaptured.Lines[0].TotalAmount != 500000 || got.RiskTags[0] != "manualReview" {
		t.Errorf("New aliases its params: line total %d, tags %v", got.Uncaptured.Lines[0].TotalAmount, got.RiskTags)
	}
}

func TestNewDefaults(t *testing.T) {
	c := newClock()
	p := newParams(phone())
	p.RiskTags = nil
	p.ProcessingDelay = time.Hour
	got, err := order.New(c.env(), p)
	if err != nil {
		t.Fatalf("New(delay 1h) error: %v", err)
	}
	if got.RiskTags == nil || len(got.RiskTags) != 0 {
		t.Errorf("New(nil tags).RiskTags = %#v, want []string{}", got.RiskTags)
	}
	if got.Ready || !got.ReadyAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("New(delay 1h) Ready, ReadyAt = %v, %v, want false, %v", got.Ready, got.ReadyAt, t0.Add(time.Hour))
	}
	if diff := cmp.Diff([]string{order.EventCreate, order.EventAuthorize}, eventTypes(got, 0)); diff != "" {
		t.Errorf("New(delay 1h) events (-want +got):\n%s", diff)
	}
	if got.PaymentStatus() != order.StatusPaymentPending {
		t.Errorf("New(delay 1h).PaymentStatus() = %q, want %q", got.PaymentStatus(), order.StatusPaymentPending)
	}
}

func TestNewRejects(t *testing.T) {
	voucher := order.Line{Type: order.TypeGiftCard, Reference: "voucher", Quantity: 1, VAT: 0, TotalAmount: -10000}
	tests := []struct {
		name  string
		p     order.NewParams
		param string // "" when valid
	}{
		{"valid", newParams(phone(), shipping(), books(), rebate()), ""},
		{"vat +1", newParams(books(), with(phone(), func(l *order.Line) { l.TotalVATAmount++ })), ""},
		{"vat -1", newParams(books(), with(phone(), func(l *order.Line) { l.TotalVATAmount-- })), ""},
		{"vat +2", newParams(books(), with(phone(), func(l *order.Line) { l.TotalVATAmount += 2 })), "orderLines[1].totalVatAmount"},
		{"vat -2", newParams(books(), with(phone(), func(l *order.Line) { l.TotalVATAmount -= 2 })), "orderLines[1].totalVatAmount"},
		// books: 24000 at 6 % holds 1358.49 VAT, so 1359 is within one and 1357 is not.
		{"vat within one of the exact portion", newParams(with(books(), func(l *order.Line) { l.TotalVATAmount = 1359 })), ""},
		{"vat one below the rounded portion", newParams(with(books(), func(l *order.Line) { l.TotalVATAmount = 1357 })), "orderLines[0].totalVatAmount"},
		{"unit price with discount", newParams(order.Line{Quantity: 1, UnitPrice: ptr(int64(30000)), UnitDiscountAmount: 6000, VAT: 2500, TotalAmount: 24000, TotalVATAmount: 4800}), ""},
		{"unit price ignoring the discount", newParams(order.Line{Quantity: 1, UnitPrice: ptr(int64(30000)), UnitDiscountAmount: 6000, VAT: 2500, TotalAmount: 30000, TotalVATAmount: 6000}), "orderLines[0].totalAmount"},
		{"unit price × quantity wrong", newParams(with(books(), func(l *order.Line) { l.Quantity = 3 })), "orderLines[0].totalAmount"},
		{"negative physical", newParams(phone(), order.Line{Type: order.TypePhysical, Quantity: 1, VAT: 0, TotalAmount: -1}), "orderLines[1].totalAmount"},
		{"negative discount", newParams(phone(), rebate()), ""},
		{"negative gift card", newParams(phone(), voucher), ""},
		{"empty lines", newParams(), "orderLines"},
		{"totals: amount mismatch", func() order.NewParams { p := newParams(phone()); p.Totals.Amount++; return p }(), "totalOrderAmount"},
		{"totals: vat mismatch", func() order.NewParams { p := newParams(phone()); p.Totals.VATAmount--; return p }(), "totalOrderVatAmount"},
		{"totals: exclVat mismatch", func() order.NewParams { p := newParams(phone()); *p.Totals.AmountExclVAT++; return p }(), "totalOrderAmountExclVat"},
		{"totals: the Checkout plugin's exclVat without the voucher", func() order.NewParams {
			p := newParams(phone(), voucher)
			p.Totals.AmountExclVAT = ptr(int64(400000)) // 500000 − 100000; the voucher left out
			return p
		}(), ""},
		{"totals: exclVat with the voucher", func() order.NewParams {
			p := newParams(phone(), voucher)
			p.Totals.AmountExclVAT = ptr(int64(390000))
			return p
		}(), ""},
		{"total zero", newParams(order.Line{Quantity: 1, VAT: 0}), "totalOrderAmount"},
		{"total negative", newParams(phone(), discount("big", 600000, 2500)), "totalOrderAmount"},
		{"reference 50", func() order.NewParams { p := newParams(phone()); p.Reference = strings.Repeat("r", 50); return p }(), ""},
		{"reference 51", func() order.NewParams { p := newParams(phone()); p.Reference = strings.Repeat("r", 51); return p }(), "reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			got, err := order.New(c.env(), tt.p)
			if tt.param == "" {
				if err != nil {
					t.Fatalf("New(%s) error: %v", tt.name, err)
				}
				total, _ := order.Sum(tt.p.Lines)
				if got.AuthorizedAmount != total || got.UncapturedAmount() != total {
					t.Errorf("New(%s) authorized, uncaptured = %d, %d, want %d", tt.name, got.AuthorizedAmount, got.UncapturedAmount(), total)
				}
				if err := got.Check(); err != nil {
					t.Errorf("New(%s).Check() = %v", tt.name, err)
				}
				return
			}
			if got != nil {
				t.Errorf("New(%s) returned an order with its error", tt.name)
			}
			wantError(t, "New("+tt.name+")", err, kassa.EInvalid, tt.param)
		})
	}
}

func TestMarkReady(t *testing.T) {
	const delay = 2 * time.Hour
	tests := []struct {
		name    string
		elapsed time.Duration
		prepare func(*testing.T, *clock, *order.Order) *order.Order
		ok      bool
	}{
		{"before the delay", delay - time.Nanosecond, nil, false},
		{"at the end of the delay", delay, nil, true},
		{"long after", 30 * 24 * time.Hour, nil, true},
		{"already ready", delay, func(t *testing.T, c *clock, o *order.Order) *order.Order {
			n, ok := o.MarkReady(c.env())
			if !ok {
				t.Fatalf("first MarkReady at %v = false, want true", c.now)
			}
			return n
		}, false},
		{"cancelled", delay, func(t *testing.T, c *clock, o *order.Order) *order.Order {
			return must(t, "Cancel")(o.Cancel(c.env()))
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			p := newParams(phone())
			p.ProcessingDelay = delay
			o := must(t, "New")(order.New(c.env(), p))
			c.advance(tt.elapsed)
			if tt.prepare != nil {
				o = tt.prepare(t, c, o)
			}
			before := snapshot(o)
			got, ok := o.MarkReady(c.env())
			if ok != tt.ok {
				t.Fatalf("MarkReady(+%v) ok = %v, want %v", tt.elapsed, ok, tt.ok)
			}
			if diff := cmp.Diff(before, o); diff != "" {
				t.Errorf("MarkReady changed its input (-before +after):\n%s", diff)
			}
			if !ok {
				if got != o {
					t.Errorf("MarkReady(+%v) = %p, want its receiver %p", tt.elapsed, got, o)
				}
				return
			}
			want := snapshot(o)
			want.Ready = true
			want.UpdatedAt = c.now
			want.Events = append(want.Events, order.Event{ID: "oe_00000003", Type: order.EventReadyForCapture, LedgerID: o.FirstLedgerID, CreatedAt: c.now})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("MarkReady(+%v) mismatch (-want +got):\n%s", tt.elapsed, diff)
			}
		})
	}
}

func TestAcknowledge(t *testing.T) {
	c := newClock()
	o := newOrder(t, c)
	c.advance(time.Minute)
	before := snapshot(o)

	first := o.Acknowledge(c.env())
	if diff := cmp.Diff(before, o); diff != "" {
		t.Errorf("Acknowledge changed its input (-before +after):\n%s", diff)
	}
	want := snapshot(o)
	want.Acknowledged = true
	want.UpdatedAt = c.now
	want.Events = append(want.Events, order.Event{ID: "oe_00000004", Type: order.EventAcknowledge, LedgerID: o.FirstLedgerID, CreatedAt: c.now})
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("Acknowledge() mismatch (-want +got):\n%s", diff)
	}

	c.advance(time.Minute)
	second := first.Acknowledge(c.env())
	if second != first {
		t.Errorf("second Acknowledge() = %p, want its receiver %p", second, first)
	}
	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("second Acknowledge() added something (-want +got):\n%s", diff)
	}

	// Acknowledging works in every state, cancelled included.
	cancelled := must(t, "Cancel")(newOrder(t, c).Cancel(c.env()))
	if got := cancelled.Acknowledge(c.env()); !got.Acknowledged {
		t.Errorf("Acknowledge(cancelled).Acknowledged = false, want true")
	}
}

func TestSetReference(t *testing.T) {
	tests := []struct {
		name string
		ref  string
		ok   bool
	}{
		{"empty clears", "", true},
		{"shop number", "WC-1001", true},
		{"50 characters", strings.Repeat("x", 50), true},
		{"51 characters", strings.Repeat("x", 51), false},
		{"50 bytes of multibyte text", strings.Repeat("å", 25), true},
		{"52 bytes of multibyte text", strings.Repeat("å", 26), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			o := newOrder(t, c)
			c.advance(time.Second)
			before := snapshot(o)
			got, err := o.SetReference(c.env(), tt.ref)
			if !tt.ok {
				rejected(t, "SetReference", before, o, got, err, kassa.EInvalid, "reference")
				return
			}
			if err != nil {
				t.Fatalf("SetReference(%q) error: %v", tt.ref, err)
			}
			want := snapshot(o)
			want.Reference = tt.ref
			want.UpdatedAt = c.now
			want.Events = append(want.Events, order.Event{ID: "oe_00000004", Type: order.EventSetReference, LedgerID: o.FirstLedgerID, CreatedAt: c.now})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("SetReference(%q) mismatch (-want +got):\n%s", tt.ref, diff)
			}
			if diff := cmp.Diff(before, o); diff != "" {
				t.Errorf("SetReference changed its input (-before +after):\n%s", diff)
			}
		})
	}
}
