package order_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
)

// captured returns an order of lines, fully captured into one chunk.
func captured(t *testing.T, c *clock, lines ...order.Line) *order.Order {
	t.Helper()
	o := newOrder(t, c, lines...)
	c.advance(time.Minute)
	return must(t, "Capture")(o.Capture(c.env(), captureOf(o.Uncaptured.Lines...)))
}

// refundOf is a partial refund request stating its total correctly.
func refundOf(lines ...order.Line) order.RefundRequest {
	total, _ := order.Sum(lines)
	return order.RefundRequest{Lines: lines, TotalAmount: total}
}

// amountLine is a one-unit line of amount at rate, without unit price.
func amountLine(typ string, amount, vat int64) order.Line {
	return order.Line{Type: typ, Reference: "r", Quantity: 1, VAT: vat, TotalAmount: amount, TotalVATAmount: money.VATPortion(amount, vat)}
}

func remainder(ledger string, amount, vat int64, desc string) order.Line {
	typ := order.TypeService
	if amount < 0 {
		typ = order.TypeDiscount
	}
	return order.Line{Type: typ, Reference: "remainder", Description: "Remaining amount of " + ledger + " at " + desc + " % VAT",
		Quantity: 1, VAT: vat, TotalAmount: amount, TotalVATAmount: money.VATPortion(amount, vat)}
}

func TestRefund(t *testing.T) {
	voucher := order.Line{Type: order.TypeGiftCard, Reference: "voucher", Quantity: 1, VAT: 0, TotalAmount: -10000}
	tests := []struct {
		name    string
		lines   []order.Line
		earlier []order.RefundRequest // partial refunds first
		note    string
		want    func(ledger string) []order.Line // the credit note's lines, without ids
	}{
		{
			name:  "no earlier refunds repeats the invoice",
			lines: []order.Line{phone(), shipping(), books(), rebate()},
			note:  "returned",
			want:  func(string) []order.Line { return []order.Line{phone(), shipping(), books(), rebate()} },
		},
		{
			name:    "after a partial refund one line per vat rate",
			lines:   []order.Line{phone(), shipping(), books(), rebate()},
			earlier: []order.RefundRequest{refundOf(amountLine(order.TypeService, 100000, 2500))},
			want: func(ledger string) []order.Line {
				return []order.Line{
					remainder(ledger, 24000, 600, "6.00"),
					remainder(ledger, 500000+4900-20000-100000, 2500, "25.00"),
				}
			},
		},
		{
			name:    "a rate fully refunded gets no line",
			lines:   []order.Line{phone(), books()},
			earlier: []order.RefundRequest{refundOf(amountLine(order.TypeService, 24000, 600))},
			want:    func(ledger string) []order.Line { return []order.Line{remainder(ledger, 500000, 2500, "25.00")} },
		},
		{
			name:    "a negative remainder is a discount line",
			lines:   []order.Line{phone(), voucher},
			earlier: []order.RefundRequest{refundOf(amountLine(order.TypeService, 250000, 2500))},
			want: func(ledger string) []order.Line {
				return []order.Line{remainder(ledger, -10000, 0, "0.00"), remainder(ledger, 250000, 2500, "25.00")}
			},
		},
		{
			name:  "two earlier partial refunds",
			lines: []order.Line{phone(), books()},
			earlier: []order.RefundRequest{
				refundOf(amountLine(order.TypeService, 1000, 600), amountLine(order.TypeService, 2000, 2500)),
				refundOf(amountLine(order.TypeService, 3000, 600)),
			},
			want: func(ledger string) []order.Line {
				return []order.Line{remainder(ledger, 20000, 600, "6.00"), remainder(ledger, 498000, 2500, "25.00")}
			},
		},
		{
			// A negative partial-refund line at a rate the invoice never had
			// leaves that rate owed back: the full refund must include it, or
			// the chunk could never be fully refunded.
			name:    "a rate only in an earlier refund",
			lines:   []order.Line{phone()},
			earlier: []order.RefundRequest{refundOf(amountLine(order.TypeService, 200000, 2500), amountLine(order.TypeDiscount, -1000, 600))},
			want: func(ledger string) []order.Line {
				return []order.Line{remainder(ledger, 1000, 600, "6.00"), remainder(ledger, 300000, 2500, "25.00")}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			o := captured(t, c, tt.lines...)
			ledger := o.Captured[0].LedgerID
			for i, r := range tt.earlier {
				c.advance(time.Minute)
				o = must(t, "PartialRefund")(o.PartialRefund(c.env(), ledger, r))
				if i == 0 && o.Refunded[0].CapturedLedgerID != ledger {
					t.Errorf("PartialRefund chunk credits %q, want %q", o.Refunded[0].CapturedLedgerID, ledger)
				}
			}
			c.advance(time.Minute)
			before := snapshot(o)
			got, err := o.Refund(c.env(), ledger, tt.note)
			if err != nil {
				t.Fatalf("Refund(%s) error: %v", ledger, err)
			}
			if diff := cmp.Diff(before, o); diff != "" {
				t.Errorf("Refund changed its input (-before +after):\n%s", diff)
			}
			if err := got.Check(); err != nil {
				t.Errorf("Refund(%s).Check() = %v", ledger, err)
			}
			r := got.Refunded[len(got.Refunded)-1]
			if diff := cmp.Diff(tt.want(ledger), stripLineIDs(r.Lines)); diff != "" {
				t.Errorf("Refund(%s) credit note lines (-want +got):\n%s", ledger, diff)
			}
			for _, l := range r.Lines {
				if !strings.HasPrefix(l.ID, kassa.PrefixOrderLine) {
					t.Errorf("Refund(%s) line id %q, want a fresh %s id", ledger, l.ID, kassa.PrefixOrderLine)
				}
			}
			if r.Note != tt.note || r.CapturedLedgerID != ledger || !r.CreatedAt.Equal(c.now) {
				t.Errorf("Refund(%s) chunk note, credits, createdAt = %q, %q, %v, want %q, %q, %v", ledger, r.Note, r.CapturedLedgerID, r.CreatedAt, tt.note, ledger, c.now)
			}
			left := o.RefundableOf(&o.Captured[0])
			last := got.Events[len(got.Events)-1]
			wantEvent := order.Event{ID: last.ID, Type: order.EventFullRefund, LedgerID: r.LedgerID, Amount: left, CreatedAt: c.now}
			if diff := cmp.Diff(wantEvent, last); diff != "" {
				t.Errorf("Refund(%s) event (-want +got):\n%s", ledger, diff)
			}
			if got := got.RefundableOf(&got.Captured[0]); got != 0 {
				t.Errorf("after Refund(%s) RefundableOf = %d, want 0", ledger, got)
			}
			if got.RefundedAmount() != got.CapturedAmount() {
				t.Errorf("after Refund(%s) refunded %d of captured %d, want all", ledger, got.RefundedAmount(), got.CapturedAmount())
			}
			if diff := cmp.Diff([]string{}, got.CapturedActions(&got.Captured[0])); diff != "" {
				t.Errorf("after Refund(%s) CapturedActions (-want +got):\n%s", ledger, diff)
			}
			if got.PaymentStatus() != order.StatusOrderRefunded {
				t.Errorf("after Refund(%s) PaymentStatus() = %q, want %q", ledger, got.PaymentStatus(), order.StatusOrderRefunded)
			}
		})
	}
}

func TestRefundRejects(t *testing.T) {
	tests := []struct {
		name   string
		ledger func(o *order.Order) string
		prep   func(t *testing.T, c *clock, o *order.Order) *order.Order
		note   string
		code   string
		param  string
	}{
		{
			name:   "fully refunded",
			ledger: func(o *order.Order) string { return o.Captured[0].LedgerID },
			prep: func(t *testing.T, c *clock, o *order.Order) *order.Order {
				return must(t, "Refund")(o.Refund(c.env(), o.Captured[0].LedgerID, ""))
			},
			code: kassa.EConflict,
		},
		{
			name:   "fully refunded by partial refunds",
			ledger: func(o *order.Order) string { return o.Captured[0].LedgerID },
			prep: func(t *testing.T, c *clock, o *order.Order) *order.Order {
				return must(t, "PartialRefund")(o.PartialRefund(c.env(), o.Captured[0].LedgerID, refundOf(phone(), shipping())))
			},
			code: kassa.EConflict,
		},
		{name: "unknown ledger", ledger: func(*order.Order) string { return "in_unknown" }, code: kassa.ENotFound},
		{name: "empty ledger", ledger: func(*order.Order) string { return "" }, code: kassa.ENotFound},
		{name: "order id", ledger: func(o *order.Order) string { return o.ID }, code: kassa.ENotFound},
		{
			name:   "refund chunk",
			ledger: func(o *order.Order) string { return o.Refunded[0].LedgerID },
			prep: func(t *testing.T, c *clock, o *order.Order) *order.Order {
				return must(t, "PartialRefund")(o.PartialRefund(c.env(), o.Captured[0].LedgerID, refundOf(amountLine("", 100, 2500))))
			},
			code: kassa.ENotFound,
		},
		{
			name:   "uncaptured chunk",
			ledger: func(o *order.Order) string { return o.Uncaptured.LedgerID },
			prep: func(t *testing.T, c *clock, o *order.Order) *order.Order {
				p := newOrder(t, c)
				return must(t, "PartialCapture")(p.PartialCapture(c.env(), captureOf(shipping())))
			},
			code: kassa.ENotFound,
		},
		{
			name:   "cancelled order",
			ledger: func(o *order.Order) string { return o.FirstLedgerID },
			prep: func(t *testing.T, c *clock, o *order.Order) *order.Order {
				return must(t, "Cancel")(newOrder(t, c).Cancel(c.env()))
			},
			code: kassa.ENotFound,
		},
		{name: "note of 1001", ledger: func(o *order.Order) string { return o.Captured[0].LedgerID }, note: strings.Repeat("n", 1001), code: kassa.EInvalid, param: "note"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			o := captured(t, c, phone(), shipping())
			if tt.prep != nil {
				o = tt.prep(t, c, o)
			}
			c.advance(time.Minute)
			ledger := tt.ledger(o)
			before := snapshot(o)
			got, err := o.Refund(c.env(), ledger, tt.note)
			rejected(t, "Refund("+ledger+")", before, o, got, err, tt.code, tt.param)
		})
	}
}

func TestRefundNoteLimit(t *testing.T) {
	c := newClock()
	o := captured(t, c, phone())
	note := strings.Repeat("n", 1000)
	got := must(t, "Refund(note 1000)")(o.Refund(c.env(), o.Captured[0].LedgerID, note))
	if got.Refunded[0].Note != note {
		t.Errorf("Refund(note 1000) note has %d characters, want 1000", len(got.Refunded[0].Note))
	}
}

func TestPartialRefund(t *testing.T) {
	// The captured chunk: phone, shipping and rebate at 25 % (484900) and
	// books at 6 % (24000), 508900 in all.
	type step struct {
		req   order.RefundRequest
		code  string
		param string
	}
	withID := amountLine(order.TypeService, 1000, 2500)
	withID.ID = "ol_00000001"
	tests := []struct {
		name  string
		steps []step
	}{
		{"one line", []step{{req: refundOf(amountLine(order.TypeService, 1000, 2500))}}},
		{"lines at two rates", []step{{req: refundOf(amountLine(order.TypeService, 1000, 2500), amountLine(order.TypePhysical, 24000, 600))}}},
		{"with a note", []step{{req: order.RefundRequest{Lines: []order.Line{amountLine(order.TypeService, 5, 2500)}, TotalAmount: 5, Note: "goodwill"}}}},
		{"line ids dropped", []step{{req: refundOf(withID)}}},
		{"everything in parts", []step{
			{req: refundOf(amountLine(order.TypeService, 400000, 2500))},
			{req: refundOf(amountLine(order.TypeService, 84900, 2500), amountLine(order.TypeService, 24000, 600))},
			{req: refundOf(amountLine(order.TypeService, 1, 2500)), code: kassa.EConflict},
		}},
		{"over the chunk's total", []step{{req: refundOf(amountLine(order.TypeService, 508901, 2500)), code: kassa.EConflict}}},
		{"over what is left of the chunk", []step{
			{req: refundOf(amountLine(order.TypeService, 400000, 2500))},
			{req: refundOf(amountLine(order.TypeService, 100000, 2500)), code: kassa.EConflict},
		}},
		{"over what was invoiced at a rate", []step{{req: refundOf(amountLine(order.TypeService, 24001, 600)), code: kassa.EConflict}}},
		{"over what is left at a rate", []step{
			{req: refundOf(amountLine(order.TypeService, 20000, 600))},
			{req: refundOf(amountLine(order.TypeService, 4001, 600)), code: kassa.EConflict},
			{req: refundOf(amountLine(order.TypeService, 4000, 600))},
		}},
		{"at a rate never invoiced", []step{{req: refundOf(amountLine(order.TypeService, 100, 1200)), code: kassa.EConflict}}},
		{"negative line lifts a rate's sum", []step{{req: refundOf(amountLine(order.TypeService, 30000, 600), amountLine(order.TypeDiscount, -6000, 600))}}},
		{"total not the sum", []step{{req: order.RefundRequest{Lines: []order.Line{amountLine("", 1000, 0)}, TotalAmount: 999}, code: kassa.EInvalid, param: "totalRefundAmount"}}},
		{"total zero", []step{{req: refundOf(amountLine("", 0, 0)), code: kassa.EInvalid, param: "totalRefundAmount"}}},
		{"total negative", []step{{req: refundOf(amountLine(order.TypeDiscount, -100, 0)), code: kassa.EInvalid, param: "totalRefundAmount"}}},
		{"no lines", []step{{req: order.RefundRequest{}, code: kassa.EInvalid, param: "orderLines"}}},
		{"invalid line", []step{{req: refundOf(amountLine(order.TypePhysical, -100, 0)), code: kassa.EInvalid, param: "orderLines[0].totalAmount"}}},
		{"note of 1001", []step{{req: order.RefundRequest{Lines: []order.Line{amountLine("", 5, 0)}, TotalAmount: 5, Note: strings.Repeat("n", 1001)}, code: kassa.EInvalid, param: "note"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			o := captured(t, c, phone(), shipping(), books(), rebate())
			ledger := o.Captured[0].LedgerID
			for i, s := range tt.steps {
				c.advance(time.Minute)
				before := snapshot(o)
				got, err := o.PartialRefund(c.env(), ledger, s.req)
				if s.code != "" {
					rejected(t, "PartialRefund", before, o, got, err, s.code, s.param)
					continue
				}
				if err != nil {
					t.Fatalf("step %d: PartialRefund(%d) error: %v", i, s.req.TotalAmount, err)
				}
				if diff := cmp.Diff(before, o); diff != "" {
					t.Errorf("PartialRefund changed its input (-before +after):\n%s", diff)
				}
				if err := got.Check(); err != nil {
					t.Errorf("step %d: PartialRefund(%d).Check() = %v", i, s.req.TotalAmount, err)
				}
				r := got.Refunded[len(got.Refunded)-1]
				if diff := cmp.Diff(stripLineIDs(s.req.Lines), stripLineIDs(r.Lines)); diff != "" {
					t.Errorf("step %d: PartialRefund lines (-want +got):\n%s", i, diff)
				}
				for _, l := range r.Lines {
					if l.ID == "" || l.ID == withID.ID {
						t.Errorf("step %d: PartialRefund line id %q, want a fresh id", i, l.ID)
					}
				}
				if r.Note != s.req.Note || r.CapturedLedgerID != ledger {
					t.Errorf("step %d: PartialRefund chunk note, credits = %q, %q, want %q, %q", i, r.Note, r.CapturedLedgerID, s.req.Note, ledger)
				}
				last := got.Events[len(got.Events)-1]
				wantEvent := order.Event{ID: last.ID, Type: order.EventPartialRefund, LedgerID: r.LedgerID, Amount: s.req.TotalAmount, CreatedAt: c.now}
				if diff := cmp.Diff(wantEvent, last); diff != "" {
					t.Errorf("step %d: PartialRefund event (-want +got):\n%s", i, diff)
				}
				if diff := got.RefundedAmount() - o.RefundedAmount(); diff != s.req.TotalAmount {
					t.Errorf("step %d: PartialRefund refunded %d more, want %d", i, diff, s.req.TotalAmount)
				}
				o = got
			}
		})
	}
}

func TestPartialRefundUnknownLedger(t *testing.T) {
	c := newClock()
	o := captured(t, c, phone())
	before := snapshot(o)
	got, err := o.PartialRefund(c.env(), "in_unknown", refundOf(amountLine("", 100, 0)))
	rejected(t, "PartialRefund(in_unknown)", before, o, got, err, kassa.ENotFound, "")
}

// TestRefundsPerChunk checks that refunds of one captured chunk leave the
// other chunk alone.
func TestRefundsPerChunk(t *testing.T) {
	c := newClock()
	o := newOrder(t, c, phone(), books())
	o = must(t, "PartialCapture(phone)")(o.PartialCapture(c.env(), captureOf(phone())))
	o = must(t, "Capture(books)")(o.Capture(c.env(), captureOf(books())))
	first, second := o.Captured[0].LedgerID, o.Captured[1].LedgerID

	// Books were captured into the second chunk, so 6 % cannot be refunded on the first.
	before := snapshot(o)
	got, err := o.PartialRefund(c.env(), first, refundOf(amountLine("", 100, 600)))
	rejected(t, "PartialRefund(first, 6 %)", before, o, got, err, kassa.EConflict, "")

	o = must(t, "Refund(second)")(o.Refund(c.env(), second, ""))
	if got := o.RefundableOf(&o.Captured[0]); got != 500000 {
		t.Errorf("RefundableOf(first) = %d, want 500000", got)
	}
	if diff := cmp.Diff([]string{"fullyCaptured", "partiallyRefunded", "unacknowledged"}, o.Status()); diff != "" {
		t.Errorf("Status() (-want +got):\n%s", diff)
	}
	if o.PaymentStatus() != order.StatusOrderCaptured {
		t.Errorf("PaymentStatus() = %q, want %q", o.PaymentStatus(), order.StatusOrderCaptured)
	}
	o = must(t, "Refund(first)")(o.Refund(c.env(), first, ""))
	if diff := cmp.Diff([]string{"fullyCaptured", "fullyRefunded", "unacknowledged"}, o.Status()); diff != "" {
		t.Errorf("Status() (-want +got):\n%s", diff)
	}
}
