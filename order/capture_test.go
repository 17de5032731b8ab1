package order_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
)

// captureOf is a capture request stating its total correctly.
func captureOf(lines ...order.Line) order.CaptureRequest {
	total, _ := order.Sum(lines)
	return order.CaptureRequest{Lines: lines, TotalAmount: total}
}

// states builds orders in the situations the operations care about; all
// hold phone, shipping and books unless said otherwise.
var states = map[string]func(t *testing.T, c *clock) *order.Order{
	"ready": func(t *testing.T, c *clock) *order.Order { return newOrder(t, c) },
	"not ready": func(t *testing.T, c *clock) *order.Order {
		p := newParams(phone(), shipping(), books())
		p.ProcessingDelay = time.Hour
		return must(t, "New")(order.New(c.env(), p))
	},
	"ready after its delay": func(t *testing.T, c *clock) *order.Order {
		p := newParams(phone(), shipping(), books())
		p.ProcessingDelay = time.Hour
		o := must(t, "New")(order.New(c.env(), p))
		c.advance(time.Hour)
		o, _ = o.MarkReady(c.env())
		return o
	},
	"just before expiry": func(t *testing.T, c *clock) *order.Order {
		o := newOrder(t, c)
		c.advance(order.DefaultExpiry - time.Minute) // tests advance by a second at most
		return o
	},
	"expired": func(t *testing.T, c *clock) *order.Order {
		o := newOrder(t, c)
		c.advance(order.DefaultExpiry)
		return o
	},
	"expired then extended": func(t *testing.T, c *clock) *order.Order {
		o := newOrder(t, c)
		c.advance(order.DefaultExpiry)
		return must(t, "ExtendExpiry")(o.ExtendExpiry(c.env()))
	},
	"advance invoice": func(t *testing.T, c *clock) *order.Order {
		return must(t, "EditPaymentMethod")(newOrder(t, c).EditPaymentMethod(c.env(), order.ProviderLedyer, order.AdvanceInvoice))
	},
	"advance invoice acknowledged": func(t *testing.T, c *clock) *order.Order {
		o := must(t, "EditPaymentMethod")(newOrder(t, c).EditPaymentMethod(c.env(), order.ProviderLedyer, order.AdvanceInvoice))
		return o.Acknowledge(c.env())
	},
	"advance invoice paid": func(t *testing.T, c *clock) *order.Order {
		o := must(t, "EditPaymentMethod")(newOrder(t, c).EditPaymentMethod(c.env(), order.ProviderLedyer, order.AdvanceInvoice))
		o, _ = o.Acknowledge(c.env()).MarkPaid(c.env(), o.UncapturedAmount())
		return o
	},
	"cancelled": func(t *testing.T, c *clock) *order.Order {
		return must(t, "Cancel")(newOrder(t, c).Cancel(c.env()))
	},
	"fully captured": func(t *testing.T, c *clock) *order.Order {
		o := newOrder(t, c)
		return must(t, "Capture")(o.Capture(c.env(), captureOf(o.Uncaptured.Lines...)))
	},
	"partially captured": func(t *testing.T, c *clock) *order.Order {
		o := newOrder(t, c)
		return must(t, "PartialCapture")(o.PartialCapture(c.env(), captureOf(o.Uncaptured.Lines[0])))
	},
}

func TestCapture(t *testing.T) {
	const total = 500000 + 4900 + 24000
	// Clients rebuild the lines without ids; only the sum has to match.
	rebuilt := []order.Line{line("", "everything", 1, total, 0)}
	tests := []struct {
		name, state string
		req         order.CaptureRequest
		code        string // "" for success
		param       string
	}{
		{"same lines", "ready", captureOf(phone(), shipping(), books()), "", ""},
		{"rebuilt lines", "ready", captureOf(rebuilt...), "", ""},
		{"other order", "ready", captureOf(books(), phone(), shipping()), "", ""},
		{"after the processing delay", "ready after its delay", captureOf(rebuilt...), "", ""},
		{"just before expiry", "just before expiry", captureOf(rebuilt...), "", ""},
		{"expired then extended", "expired then extended", captureOf(rebuilt...), "", ""},
		{"advance invoice paid", "advance invoice paid", captureOf(rebuilt...), "", ""},
		{"advance invoice acknowledged, unpaid", "advance invoice acknowledged", captureOf(rebuilt...), kassa.EConflict, ""},
		{"remainder after a partial capture", "partially captured", captureOf(shipping(), books()), "", ""},
		{"less than uncaptured", "ready", captureOf(phone(), shipping()), kassa.EInvalid, "totalCaptureAmount"},
		{"more than uncaptured", "ready", captureOf(phone(), shipping(), books(), shipping()), kassa.EInvalid, "totalCaptureAmount"},
		{"total not the sum of lines", "ready", order.CaptureRequest{Lines: []order.Line{phone(), shipping(), books()}, TotalAmount: total + 1}, kassa.EInvalid, "totalCaptureAmount"},
		{"no lines", "ready", order.CaptureRequest{Lines: nil, TotalAmount: total}, kassa.EInvalid, "orderLines"},
		{"invalid line", "ready", captureOf(with(phone(), func(l *order.Line) { l.TotalVATAmount = 0 }), shipping(), books()), kassa.EInvalid, "orderLines[0].totalVatAmount"},
		{"negative total", "ready", captureOf(rebate()), kassa.EInvalid, "totalCaptureAmount"},
		{"whole order after a partial capture", "partially captured", captureOf(rebuilt...), kassa.EInvalid, "totalCaptureAmount"},
		{"not ready", "not ready", captureOf(rebuilt...), kassa.EConflict, ""},
		{"expired", "expired", captureOf(rebuilt...), kassa.EConflict, ""},
		{"advance invoice before acknowledge", "advance invoice", captureOf(rebuilt...), kassa.EConflict, ""},
		{"cancelled", "cancelled", captureOf(rebuilt...), kassa.EConflict, ""},
		{"fully captured", "fully captured", captureOf(rebuilt...), kassa.EConflict, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			o := states[tt.state](t, c)
			c.advance(time.Second)
			before := snapshot(o)
			got, err := o.Capture(c.env(), tt.req)
			if tt.code != "" {
				rejected(t, "Capture", before, o, got, err, tt.code, tt.param)
				return
			}
			if err != nil {
				t.Fatalf("Capture(%d) error: %v", tt.req.TotalAmount, err)
			}
			if diff := cmp.Diff(before, o); diff != "" {
				t.Errorf("Capture changed its input (-before +after):\n%s", diff)
			}
			if err := got.Check(); err != nil {
				t.Errorf("Capture(%d).Check() = %v", tt.req.TotalAmount, err)
			}
			// The stored lines, ids included, are what gets invoiced.
			want := snapshot(o)
			ledger := got.Captured[len(got.Captured)-1].LedgerID
			want.Captured = append(want.Captured, order.Chunk{LedgerID: ledger, Lines: o.Uncaptured.Lines, CreatedAt: c.now})
			want.Uncaptured = nil
			want.UpdatedAt = c.now
			want.Events = append(want.Events, order.Event{ID: got.Events[len(got.Events)-1].ID, Type: order.EventFullCapture, LedgerID: ledger, Amount: o.UncapturedAmount(), CreatedAt: c.now})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Capture(%d) mismatch (-want +got):\n%s", tt.req.TotalAmount, diff)
			}
			if got.Amount() != o.Amount() || got.CapturedAmount() != o.Amount() {
				t.Errorf("Capture: Amount, CapturedAmount = %d, %d, want %d, %d", got.Amount(), got.CapturedAmount(), o.Amount(), o.Amount())
			}
		})
	}
}

func TestPartialCapture(t *testing.T) {
	twoPhones := line(order.TypePhysical, "1334227", 2, 500000, 2500)
	half := func(l order.Line) order.Line { // one of two units, without id
		l.ID, l.Quantity, l.TotalAmount, l.TotalVATAmount = "", l.Quantity/2, l.TotalAmount/2, l.TotalVATAmount/2
		return l
	}
	type result struct {
		captured   []order.Line // without ids
		uncaptured []order.Line // ids kept when a line is untouched; nil when none remain
	}
	tests := []struct {
		name  string
		lines []order.Line // the order's lines (phone, shipping, books when nil)
		req   func(u []order.Line) order.CaptureRequest
		want  result
		code  string
		param string
	}{
		{
			name: "line with id taken whole",
			req:  func(u []order.Line) order.CaptureRequest { return captureOf(u[0]) },
			want: result{captured: []order.Line{phone()}, uncaptured: []order.Line{shipping(), books()}},
		},
		{
			name: "two lines with ids",
			req:  func(u []order.Line) order.CaptureRequest { return captureOf(u[2], u[0]) },
			want: result{captured: []order.Line{books(), phone()}, uncaptured: []order.Line{shipping()}},
		},
		{
			name: "every line with ids leaves nothing uncaptured",
			req:  func(u []order.Line) order.CaptureRequest { return captureOf(u...) },
			want: result{captured: []order.Line{phone(), shipping(), books()}},
		},
		{
			name: "every line without ids leaves nothing uncaptured",
			req:  func(u []order.Line) order.CaptureRequest { return captureOf(stripLineIDs(u)...) },
			want: result{captured: []order.Line{phone(), shipping(), books()}},
		},
		{
			name:  "line without id reduces the matching line",
			lines: []order.Line{twoPhones, shipping()},
			req:   func(u []order.Line) order.CaptureRequest { return captureOf(half(u[0])) },
			want: result{
				captured:   []order.Line{half(twoPhones)},
				uncaptured: []order.Line{with(twoPhones, func(l *order.Line) { *l = half(*l); l.UnitPrice = ptr(int64(500000)) }), shipping()},
			},
		},
		{
			name:  "line without id taking the whole amount removes the line",
			lines: []order.Line{twoPhones, shipping()},
			req:   func(u []order.Line) order.CaptureRequest { return captureOf(stripLineIDs(u[:1])...) },
			want:  result{captured: []order.Line{twoPhones}, uncaptured: []order.Line{shipping()}},
		},
		{
			name:  "line without id in two requests lines of one unit",
			lines: []order.Line{twoPhones, shipping()},
			req: func(u []order.Line) order.CaptureRequest {
				return captureOf(half(u[0]), half(u[0]))
			},
			want: result{captured: []order.Line{half(twoPhones), half(twoPhones)}, uncaptured: []order.Line{shipping()}},
		},
		{
			name:  "line without id reduces the line with its unit price",
			lines: []order.Line{line(order.TypePhysical, "1334227", 4, 400000, 2500), twoPhones},
			req:   func(u []order.Line) order.CaptureRequest { return captureOf(half(u[1])) },
			want: result{
				captured: []order.Line{half(twoPhones)},
				uncaptured: []order.Line{line(order.TypePhysical, "1334227", 4, 400000, 2500),
					with(twoPhones, func(l *order.Line) { *l = half(*l); l.UnitPrice = ptr(int64(500000)) })},
			},
		},
		{
			name:  "line without id, all units for part of the amount",
			lines: []order.Line{twoPhones, shipping()},
			req: func(u []order.Line) order.CaptureRequest {
				return captureOf(with(half(u[0]), func(l *order.Line) { l.Quantity = 2; l.UnitPrice = nil }))
			},
			code: kassa.EInvalid, param: "orderLines[0].quantity",
		},
		{
			name:  "with id and without id for the same line",
			lines: []order.Line{twoPhones, shipping()},
			req:   func(u []order.Line) order.CaptureRequest { return captureOf(u[0], half(u[0])) },
			code:  kassa.EInvalid, param: "orderLines[1]",
		},
		{
			name:  "discount captured with what it reduces",
			lines: []order.Line{phone(), shipping(), rebate()},
			req:   func(u []order.Line) order.CaptureRequest { return captureOf(u[0], u[2]) },
			want:  result{captured: []order.Line{phone(), rebate()}, uncaptured: []order.Line{shipping()}},
		},
		{
			name:  "part of a discount without id",
			lines: []order.Line{phone(), shipping(), rebate()},
			req: func(u []order.Line) order.CaptureRequest {
				return captureOf(u[0], discount("rebate", 5000, 2500))
			},
			code: kassa.EInvalid, param: "orderLines[1].quantity", // a discount line has quantity 1
		},
		{
			name: "id unknown",
			req: func(u []order.Line) order.CaptureRequest {
				return captureOf(with(u[0], func(l *order.Line) { l.ID = "ol_unknown" }))
			},
			code: kassa.EInvalid, param: "orderLines[0].id",
		},
		{
			name: "id twice",
			req:  func(u []order.Line) order.CaptureRequest { return captureOf(u[1], u[1]) },
			code: kassa.EInvalid, param: "orderLines[1].id",
		},
		{
			name: "id with other amounts",
			req: func(u []order.Line) order.CaptureRequest {
				return captureOf(with(u[2], func(l *order.Line) { *l = line(l.Type, l.Reference, 1, 12000, 600); l.ID = "ol_00000003" }))
			},
			code: kassa.EInvalid, param: "orderLines[0].id",
		},
		{
			name: "id with other vat amount",
			req: func(u []order.Line) order.CaptureRequest {
				return captureOf(with(u[0], func(l *order.Line) { l.TotalVATAmount++ }))
			},
			code: kassa.EInvalid, param: "orderLines[0].id",
		},
		{
			name: "without id, unknown reference",
			req: func(u []order.Line) order.CaptureRequest {
				return captureOf(with(stripLineIDs(u)[1], func(l *order.Line) { l.Reference = "nope" }))
			},
			code: kassa.EInvalid, param: "orderLines[0]",
		},
		{
			name: "without id, other vat rate",
			req: func(u []order.Line) order.CaptureRequest {
				return captureOf(line(order.TypeShippingFee, "flat_rate:1", 1, 4900, 1200))
			},
			code: kassa.EInvalid, param: "orderLines[0]",
		},
		{
			name: "without id, more than the line",
			req: func(u []order.Line) order.CaptureRequest {
				return captureOf(line(order.TypeShippingFee, "flat_rate:1", 1, 4901, 2500))
			},
			code: kassa.EInvalid, param: "orderLines[0]",
		},
		{
			name: "without id, part of a single unit",
			req: func(u []order.Line) order.CaptureRequest {
				return captureOf(line(order.TypeShippingFee, "flat_rate:1", 1, 2000, 2500))
			},
			code: kassa.EInvalid, param: "orderLines[0].quantity",
		},
		{
			name: "total not the sum",
			req: func(u []order.Line) order.CaptureRequest {
				return order.CaptureRequest{Lines: []order.Line{u[0]}, TotalAmount: u[0].TotalAmount - 1}
			},
			code: kassa.EInvalid, param: "totalCaptureAmount",
		},
		{
			name: "no lines",
			req:  func(u []order.Line) order.CaptureRequest { return order.CaptureRequest{} },
			code: kassa.EInvalid, param: "orderLines",
		},
		{
			name:  "only a discount",
			lines: []order.Line{phone(), rebate()},
			req:   func(u []order.Line) order.CaptureRequest { return captureOf(u[1]) },
			code:  kassa.EInvalid, param: "totalCaptureAmount",
		},
		{
			// Capturing the phone alone would invoice 500000 of an order
			// authorized for 480000 and leave −20000 uncaptured.
			name:  "leaving only a discount uncaptured",
			lines: []order.Line{phone(), rebate()},
			req:   func(u []order.Line) order.CaptureRequest { return captureOf(u[0]) },
			code:  kassa.EInvalid, param: "orderLines",
		},
		{
			name:  "leaving lines that sum to zero",
			lines: []order.Line{phone(), line(order.TypePhysical, "case", 1, 20000, 2500), rebate()},
			req:   func(u []order.Line) order.CaptureRequest { return captureOf(u[0]) },
			code:  kassa.EInvalid, param: "orderLines",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			o := newOrder(t, c, tt.lines...)
			c.advance(time.Second)
			before := snapshot(o)
			req := tt.req(snapshot(o).Uncaptured.Lines)
			got, err := o.PartialCapture(c.env(), req)
			if tt.code != "" {
				rejected(t, "PartialCapture", before, o, got, err, tt.code, tt.param)
				return
			}
			if err != nil {
				t.Fatalf("PartialCapture(%d) error: %v", req.TotalAmount, err)
			}
			if diff := cmp.Diff(before, o); diff != "" {
				t.Errorf("PartialCapture changed its input (-before +after):\n%s", diff)
			}
			if err := got.Check(); err != nil {
				t.Errorf("PartialCapture(%d).Check() = %v", req.TotalAmount, err)
			}
			if n := len(got.Captured); n != 1 {
				t.Fatalf("PartialCapture: %d captured chunks, want 1", n)
			}
			ch := got.Captured[0]
			if diff := cmp.Diff(tt.want.captured, stripLineIDs(ch.Lines)); diff != "" {
				t.Errorf("PartialCapture captured lines (-want +got):\n%s", diff)
			}
			for _, l := range ch.Lines {
				for _, u := range o.Uncaptured.Lines {
					if l.ID == "" || l.ID == u.ID {
						t.Errorf("PartialCapture captured line id %q, want a fresh id", l.ID)
					}
				}
			}
			if tt.want.uncaptured == nil {
				if got.Uncaptured != nil {
					t.Errorf("PartialCapture left %+v uncaptured, want nil", got.Uncaptured)
				}
			} else {
				if got.Uncaptured == nil {
					t.Fatalf("PartialCapture left nothing uncaptured, want %d lines", len(tt.want.uncaptured))
				}
				if diff := cmp.Diff(tt.want.uncaptured, stripLineIDs(got.Uncaptured.Lines)); diff != "" {
					t.Errorf("PartialCapture uncaptured lines (-want +got):\n%s", diff)
				}
				if got.Uncaptured.LedgerID != o.Uncaptured.LedgerID {
					t.Errorf("PartialCapture uncaptured ledger = %s, want %s", got.Uncaptured.LedgerID, o.Uncaptured.LedgerID)
				}
			}
			wantEvent := order.Event{ID: got.Events[len(got.Events)-1].ID, Type: order.EventPartialCapture, LedgerID: ch.LedgerID, Amount: req.TotalAmount, CreatedAt: c.now}
			if diff := cmp.Diff(append(snapshot(o).Events, wantEvent), got.Events); diff != "" {
				t.Errorf("PartialCapture events (-want +got):\n%s", diff)
			}
			if got.Amount() != o.Amount() || got.CapturedAmount() != req.TotalAmount {
				t.Errorf("PartialCapture: Amount, CapturedAmount = %d, %d, want %d, %d", got.Amount(), got.CapturedAmount(), o.Amount(), req.TotalAmount)
			}
		})
	}
}

func TestPartialCaptureStates(t *testing.T) {
	tests := []struct {
		state string
		code  string
	}{
		{"ready", ""},
		{"ready after its delay", ""},
		{"advance invoice paid", ""},
		{"advance invoice acknowledged", kassa.EConflict},
		{"partially captured", ""},
		{"not ready", kassa.EConflict},
		{"expired", kassa.EConflict},
		{"advance invoice", kassa.EConflict},
		{"cancelled", kassa.EConflict},
		{"fully captured", kassa.EConflict},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			c := newClock()
			o := states[tt.state](t, c)
			req := captureOf(shipping()) // shipping stays uncaptured in every state that has lines
			before := snapshot(o)
			got, err := o.PartialCapture(c.env(), req)
			if tt.code != "" {
				rejected(t, "PartialCapture", before, o, got, err, tt.code, "")
				return
			}
			if err != nil {
				t.Fatalf("PartialCapture(shipping) in state %s error: %v", tt.state, err)
			}
			if got.CapturedAmount()-o.CapturedAmount() != shipping().TotalAmount {
				t.Errorf("PartialCapture(shipping) captured %d more, want %d", got.CapturedAmount()-o.CapturedAmount(), shipping().TotalAmount)
			}
		})
	}
}

// TestSuccessiveCaptures captures an order in three parts and checks the
// chunks, amounts and events.
func TestSuccessiveCaptures(t *testing.T) {
	c := newClock()
	o := newOrder(t, c, line(order.TypePhysical, "1334227", 3, 100000, 2500), shipping(), rebate())
	u := o.Uncaptured.Lines
	one := line(order.TypePhysical, "1334227", 1, 100000, 2500)

	c.advance(time.Hour)
	o = must(t, "PartialCapture(one phone)")(o.PartialCapture(c.env(), captureOf(one)))
	c.advance(time.Hour)
	o = must(t, "PartialCapture(one phone, rebate)")(o.PartialCapture(c.env(), captureOf(one, u[2])))
	c.advance(time.Hour)
	o = must(t, "Capture(rest)")(o.Capture(c.env(), captureOf(one, u[1])))

	if o.Uncaptured != nil {
		t.Errorf("after three captures Uncaptured = %+v, want nil", o.Uncaptured)
	}
	var amounts []int64
	for i := range o.Captured {
		total, _ := o.Captured[i].Totals()
		amounts = append(amounts, total)
	}
	if diff := cmp.Diff([]int64{100000, 80000, 104900}, amounts); diff != "" {
		t.Errorf("captured chunk totals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{order.EventCreate, order.EventAuthorize, order.EventReadyForCapture, order.EventPartialCapture, order.EventPartialCapture, order.EventFullCapture}, eventTypes(o, 0)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if got, want := o.CapturedAmount(), o.AuthorizedAmount; got != want {
		t.Errorf("CapturedAmount() = %d, want the authorized %d", got, want)
	}
}
