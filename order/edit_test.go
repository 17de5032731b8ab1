package order_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
)

const day = 24 * time.Hour

func TestCancel(t *testing.T) {
	tests := []struct {
		state     string
		cancelled int64 // the amount cancelled; 0 when rejected
		code      string
	}{
		{"ready", 528900, ""},
		{"not ready", 528900, ""},
		{"expired", 528900, ""},
		{"partially captured", 28900, ""},
		{"advance invoice", 0, kassa.EConflict},
		{"advance invoice acknowledged", 0, kassa.EConflict},
		{"fully captured", 0, kassa.EConflict},
		{"cancelled", 0, kassa.EConflict},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			c := newClock()
			o := states[tt.state](t, c)
			c.advance(time.Second)
			before := snapshot(o)
			got, err := o.Cancel(c.env())
			if tt.code != "" {
				rejected(t, "Cancel", before, o, got, err, tt.code, "")
				return
			}
			if err != nil {
				t.Fatalf("Cancel() in state %s error: %v", tt.state, err)
			}
			if diff := cmp.Diff(before, o); diff != "" {
				t.Errorf("Cancel changed its input (-before +after):\n%s", diff)
			}
			want := snapshot(o)
			want.Uncaptured = nil
			want.CancelledAmount = tt.cancelled
			want.UpdatedAt = c.now
			want.Events = append(want.Events, order.Event{ID: got.Events[len(got.Events)-1].ID, Type: order.EventCancel, LedgerID: o.Uncaptured.LedgerID, Amount: tt.cancelled, CreatedAt: c.now})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Cancel() mismatch (-want +got):\n%s", diff)
			}
			if err := got.Check(); err != nil {
				t.Errorf("Cancel().Check() = %v", err)
			}
		})
	}
}

func TestCancelChunk(t *testing.T) {
	tests := []struct {
		name   string
		state  string
		ledger func(o *order.Order) string
		code   string
	}{
		{"uncaptured", "ready", func(o *order.Order) string { return o.Uncaptured.LedgerID }, ""},
		{"uncaptured rest", "partially captured", func(o *order.Order) string { return o.Uncaptured.LedgerID }, ""},
		{"uncaptured advance invoice", "advance invoice", func(o *order.Order) string { return o.Uncaptured.LedgerID }, kassa.EConflict},
		{"captured", "partially captured", func(o *order.Order) string { return o.Captured[0].LedgerID }, kassa.EConflict},
		{"refunded", "refunded", func(o *order.Order) string { return o.Refunded[0].LedgerID }, kassa.EConflict},
		{"unknown", "ready", func(*order.Order) string { return "in_unknown" }, kassa.ENotFound},
		{"empty", "ready", func(*order.Order) string { return "" }, kassa.ENotFound},
		{"first ledger after cancel", "cancelled", func(o *order.Order) string { return o.FirstLedgerID }, kassa.ENotFound},
		{"first ledger after full capture", "fully captured", func(o *order.Order) string { return o.FirstLedgerID }, kassa.ENotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			var o *order.Order
			if tt.state == "refunded" {
				o = captured(t, c, phone())
				o = must(t, "Refund")(o.Refund(c.env(), o.Captured[0].LedgerID, ""))
			} else {
				o = states[tt.state](t, c)
			}
			ledger := tt.ledger(o)
			before := snapshot(o)
			got, err := o.CancelChunk(c.env(), ledger)
			if tt.code != "" {
				rejected(t, "CancelChunk("+ledger+")", before, o, got, err, tt.code, "")
				return
			}
			if err != nil {
				t.Fatalf("CancelChunk(%s) error: %v", ledger, err)
			}
			want, err := snapshot(o).Cancel(c.env())
			if err != nil {
				t.Fatalf("Cancel() error: %v", err)
			}
			if diff := cmp.Diff(stripEventIDs(want), stripEventIDs(got)); diff != "" {
				t.Errorf("CancelChunk(%s) differs from Cancel() (-want +got):\n%s", ledger, diff)
			}
		})
	}
}

// stripEventIDs copies o without its event ids, to compare the results of
// two operations that drew different ids.
func stripEventIDs(o *order.Order) *order.Order {
	o = snapshot(o)
	for i := range o.Events {
		o.Events[i].ID = ""
	}
	return o
}

// approver records its calls and approves or rejects as told.
type approver struct {
	calls  []int64
	reject bool
}

func (a *approver) approve(total int64) error {
	a.calls = append(a.calls, total)
	if a.reject {
		return kassa.Errorf(kassa.ERejected, "the new total %d was declined", total)
	}
	return nil
}

func editOf(lines ...order.Line) order.EditRequest {
	return order.EditRequest{Lines: lines, Totals: totalsOf(lines...)}
}

func TestEdit(t *testing.T) {
	// The order: phone, shipping and books, 528900, all authorized.
	tests := []struct {
		name       string
		state      string
		req        order.EditRequest
		reject     bool
		approvals  []int64 // the totals the approver was asked about
		authorized int64
		code       string
		param      string
	}{
		{name: "fewer lines", state: "ready", req: editOf(phone()), authorized: 528900},
		{name: "other lines at the same total", state: "ready", req: editOf(line("", "all", 1, 528900, 2500)), authorized: 528900},
		{name: "one above the authorized", state: "ready", req: editOf(line("", "all", 1, 528901, 2500)), approvals: []int64{528901}, authorized: 528901},
		{name: "one above the authorized, declined", state: "ready", req: editOf(line("", "all", 1, 528901, 2500)), reject: true, approvals: []int64{528901}, code: kassa.ERejected},
		{name: "more lines above the authorized", state: "ready", req: editOf(phone(), shipping(), books(), books()), approvals: []int64{552900}, authorized: 552900},
		{name: "after a partial capture, counting the captured", state: "partially captured", req: editOf(shipping(), books(), books()), approvals: []int64{552900}, authorized: 552900},
		{name: "after a partial capture, below the authorized", state: "partially captured", req: editOf(books()), authorized: 528900},
		{name: "not ready", state: "not ready", req: editOf(phone()), authorized: 528900},
		{name: "expired", state: "expired", req: editOf(phone()), authorized: 528900},
		{name: "acknowledged advance invoice", state: "advance invoice acknowledged", req: editOf(phone()), code: kassa.EConflict},
		{name: "approver rejects", state: "ready", req: editOf(phone(), phone()), reject: true, approvals: []int64{1000000}, code: kassa.ERejected},
		{name: "advance invoice", state: "advance invoice", req: editOf(phone()), code: kassa.EConflict},
		{name: "cancelled", state: "cancelled", req: editOf(phone()), code: kassa.EConflict},
		{name: "fully captured", state: "fully captured", req: editOf(phone()), code: kassa.EConflict},
		{name: "no lines", state: "ready", req: order.EditRequest{}, code: kassa.EInvalid, param: "orderLines"},
		{name: "invalid line", state: "ready", req: editOf(with(phone(), func(l *order.Line) { l.Quantity = 0 })), code: kassa.EInvalid, param: "orderLines[0].quantity"},
		{name: "totals mismatch", state: "ready", req: order.EditRequest{Lines: []order.Line{phone()}, Totals: order.Totals{Amount: 1, VATAmount: 100000}}, code: kassa.EInvalid, param: "totalOrderAmount"},
		{name: "vat total mismatch", state: "ready", req: order.EditRequest{Lines: []order.Line{phone()}, Totals: order.Totals{Amount: 500000, VATAmount: 0}}, code: kassa.EInvalid, param: "totalOrderVatAmount"},
		{name: "total zero", state: "ready", req: editOf(line("", "free", 1, 0, 0)), code: kassa.EInvalid, param: "totalOrderAmount"},
		{name: "only a discount", state: "ready", req: editOf(rebate()), code: kassa.EInvalid, param: "totalOrderAmount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			o := states[tt.state](t, c)
			c.advance(time.Second)
			a := &approver{reject: tt.reject}
			before := snapshot(o)
			got, err := o.Edit(c.env(), tt.req, a.approve)
			if diff := cmp.Diff(tt.approvals, a.calls); diff != "" {
				t.Errorf("Edit(%d) approver calls (-want +got):\n%s", tt.req.Totals.Amount, diff)
			}
			if tt.code != "" {
				rejected(t, "Edit", before, o, got, err, tt.code, tt.param)
				return
			}
			if err != nil {
				t.Fatalf("Edit(%d) error: %v", tt.req.Totals.Amount, err)
			}
			if diff := cmp.Diff(before, o); diff != "" {
				t.Errorf("Edit changed its input (-before +after):\n%s", diff)
			}
			if err := got.Check(); err != nil {
				t.Errorf("Edit(%d).Check() = %v", tt.req.Totals.Amount, err)
			}
			wantLines := stripLineIDs(tt.req.Lines)
			for i := range wantLines {
				if wantLines[i].Type == "" {
					wantLines[i].Type = order.TypePhysical
				}
			}
			if diff := cmp.Diff(wantLines, stripLineIDs(got.Uncaptured.Lines)); diff != "" {
				t.Errorf("Edit uncaptured lines (-want +got):\n%s", diff)
			}
			for _, l := range got.Uncaptured.Lines {
				if !strings.HasPrefix(l.ID, kassa.PrefixOrderLine) {
					t.Errorf("Edit line id %q, want a fresh %s id", l.ID, kassa.PrefixOrderLine)
				}
			}
			if got.Uncaptured.LedgerID != o.Uncaptured.LedgerID {
				t.Errorf("Edit uncaptured ledger = %s, want %s", got.Uncaptured.LedgerID, o.Uncaptured.LedgerID)
			}
			if got.AuthorizedAmount != tt.authorized {
				t.Errorf("Edit AuthorizedAmount = %d, want %d", got.AuthorizedAmount, tt.authorized)
			}
			var wantEvents []order.Event
			ledger := o.Uncaptured.LedgerID
			if len(tt.approvals) > 0 {
				wantEvents = append(wantEvents, order.Event{Type: order.EventAuthorize, LedgerID: ledger, Amount: tt.authorized, CreatedAt: c.now})
			}
			wantEvents = append(wantEvents, order.Event{Type: order.EventEdit, LedgerID: ledger, Amount: tt.req.Totals.Amount, CreatedAt: c.now})
			newEvents := snapshot(got).Events[len(o.Events):]
			for i := range newEvents {
				newEvents[i].ID = ""
			}
			if diff := cmp.Diff(wantEvents, newEvents); diff != "" {
				t.Errorf("Edit events (-want +got):\n%s", diff)
			}
			if got.CapturedAmount() != o.CapturedAmount() || !got.UpdatedAt.Equal(c.now) {
				t.Errorf("Edit captured, updatedAt = %d, %v, want %d, %v", got.CapturedAmount(), got.UpdatedAt, o.CapturedAmount(), c.now)
			}
		})
	}
}

func TestEditCustomer(t *testing.T) {
	newAddr := order.Address{City: "Göteborg", StreetAddress: "Avenyn 1"}
	newShip := order.ShippingAddress{Address: order.Address{City: "Malmö"}, Contact: order.Contact{FirstName: "Lisa"}}
	tests := []struct {
		name   string
		state  string
		u      order.CustomerUpdate
		change func(*order.Customer)
		code   string
		param  string
	}{
		{name: "nothing", state: "ready", code: kassa.EInvalid, param: "customer"},
		{name: "nothing but an unchanged value", state: "ready", u: order.CustomerUpdate{Phone: ptr("0700000000")}, change: func(*order.Customer) {}},
		{name: "email only", state: "ready", u: order.CustomerUpdate{Email: ptr("ny@kulor.com")}, change: func(c *order.Customer) { c.Email = "ny@kulor.com" }},
		{name: "every field", state: "ready", u: order.CustomerUpdate{
			Email: ptr("a@b.se"), Phone: ptr("08-123"), Reference1: ptr("ref1"), Reference2: ptr("ref2"), InvoiceChannelDetails: ptr("copy@b.se"),
		}, change: func(c *order.Customer) {
			c.Email, c.Phone, c.Reference1, c.Reference2, c.InvoiceChannel.Details = "a@b.se", "08-123", "ref1", "ref2", "copy@b.se"
		}},
		{name: "empty string clears", state: "ready", u: order.CustomerUpdate{Phone: ptr(""), Email: ptr("")}, change: func(c *order.Customer) { c.Phone, c.Email = "", "" }},
		{name: "billing address replaced whole", state: "ready", u: order.CustomerUpdate{BillingAddress: &newAddr}, change: func(c *order.Customer) { c.BillingAddress = newAddr }},
		{name: "shipping address replaced whole", state: "ready", u: order.CustomerUpdate{ShippingAddress: &newShip}, change: func(c *order.Customer) { c.ShippingAddress = newShip }},
		{name: "fully captured", state: "fully captured", u: order.CustomerUpdate{Reference1: ptr("x")}, change: func(c *order.Customer) { c.Reference1 = "x" }},
		{name: "advance invoice", state: "advance invoice", u: order.CustomerUpdate{Reference1: ptr("x")}, change: func(c *order.Customer) { c.Reference1 = "x" }},
		{name: "bad email", state: "ready", u: order.CustomerUpdate{Email: ptr("kalle")}, code: kassa.EInvalid, param: "customer.email"},
		{name: "email without domain", state: "ready", u: order.CustomerUpdate{Email: ptr("kalle@")}, code: kassa.EInvalid, param: "customer.email"},
		{name: "email without user", state: "ready", u: order.CustomerUpdate{Email: ptr("@kulor.com")}, code: kassa.EInvalid, param: "customer.email"},
		{name: "email with a space", state: "ready", u: order.CustomerUpdate{Email: ptr("kalle @kulor.com")}, code: kassa.EInvalid, param: "customer.email"},
		{name: "bad contact email", state: "ready", u: order.CustomerUpdate{ShippingAddress: &order.ShippingAddress{Contact: order.Contact{Email: "nope"}}}, code: kassa.EInvalid, param: "customer.shippingAddress.contact.email"},
		{name: "phone of 256", state: "ready", u: order.CustomerUpdate{Phone: ptr(strings.Repeat("1", 256))}, code: kassa.EInvalid, param: "customer.phone"},
		{name: "billing city of 256", state: "ready", u: order.CustomerUpdate{BillingAddress: &order.Address{City: strings.Repeat("c", 256)}}, code: kassa.EInvalid, param: "customer.billingAddress.city"},
		{name: "cancelled", state: "cancelled", u: order.CustomerUpdate{Email: ptr("a@b.se")}, code: kassa.EConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			o := states[tt.state](t, c)
			c.advance(time.Second)
			before := snapshot(o)
			got, err := o.EditCustomer(c.env(), tt.u)
			if tt.code != "" {
				rejected(t, "EditCustomer", before, o, got, err, tt.code, tt.param)
				return
			}
			if err != nil {
				t.Fatalf("EditCustomer(%s) error: %v", tt.name, err)
			}
			if diff := cmp.Diff(before, o); diff != "" {
				t.Errorf("EditCustomer changed its input (-before +after):\n%s", diff)
			}
			want := snapshot(o)
			tt.change(&want.Customer)
			want.UpdatedAt = c.now
			want.Events = append(want.Events, order.Event{ID: got.Events[len(got.Events)-1].ID, Type: order.EventEditCustomer, LedgerID: o.FirstLedgerID, CreatedAt: c.now})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("EditCustomer(%s) mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestEditPaymentMethod(t *testing.T) {
	tests := []struct {
		name             string
		state            string
		provider, method string
		code             string
		param            string
	}{
		{"invoice to advance invoice", "ready", order.ProviderLedyer, order.AdvanceInvoice, "", ""},
		{"before ready", "not ready", order.ProviderLedyer, order.AdvanceInvoice, "", ""},
		{"expired", "expired", order.ProviderLedyer, order.AdvanceInvoice, "", ""},
		{"other provider", "ready", "klarna", order.AdvanceInvoice, kassa.EInvalid, "paymentMethod"},
		{"to invoice", "ready", order.ProviderLedyer, order.Invoice, kassa.EInvalid, "paymentMethod"},
		{"empty", "ready", "", "", kassa.EInvalid, "paymentMethod"},
		{"type in other case", "ready", order.ProviderLedyer, "ADVANCEINVOICE", kassa.EInvalid, "paymentMethod"},
		{"already advance invoice", "advance invoice", order.ProviderLedyer, order.AdvanceInvoice, kassa.EConflict, ""},
		{"after a partial capture", "partially captured", order.ProviderLedyer, order.AdvanceInvoice, kassa.EConflict, ""},
		{"after a full capture", "fully captured", order.ProviderLedyer, order.AdvanceInvoice, kassa.EConflict, ""},
		{"cancelled", "cancelled", order.ProviderLedyer, order.AdvanceInvoice, kassa.EConflict, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			o := states[tt.state](t, c)
			c.advance(time.Second)
			before := snapshot(o)
			got, err := o.EditPaymentMethod(c.env(), tt.provider, tt.method)
			if tt.code != "" {
				rejected(t, "EditPaymentMethod", before, o, got, err, tt.code, tt.param)
				return
			}
			if err != nil {
				t.Fatalf("EditPaymentMethod(%q, %q) error: %v", tt.provider, tt.method, err)
			}
			want := snapshot(o)
			want.PaymentMethod = order.AdvanceInvoice
			want.UpdatedAt = c.now
			want.Events = append(want.Events, order.Event{ID: got.Events[len(got.Events)-1].ID, Type: order.EventEditPaymentMethod, LedgerID: o.Uncaptured.LedgerID, Amount: o.UncapturedAmount(), CreatedAt: c.now})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("EditPaymentMethod(%q, %q) mismatch (-want +got):\n%s", tt.provider, tt.method, diff)
			}
		})
	}
}

func TestExtendExpiry(t *testing.T) {
	tests := []struct {
		times int           // extensions in a row
		want  time.Duration // expiresAt − createdAt after the last
		code  string        // of the last
	}{
		{1, 28 * day, ""},
		{2, 42 * day, ""},
		{11, 168 * day, ""},
		{12, 180 * day, ""}, // 182 days capped at 180
		{13, 180 * day, kassa.EConflict},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("extension %d", tt.times), func(t *testing.T) {
			c := newClock()
			o := newOrder(t, c)
			for i := 1; i < tt.times; i++ {
				c.advance(time.Hour)
				o = must(t, "ExtendExpiry")(o.ExtendExpiry(c.env()))
			}
			c.advance(time.Hour)
			before := snapshot(o)
			got, err := o.ExtendExpiry(c.env())
			if tt.code != "" {
				rejected(t, "ExtendExpiry", before, o, got, err, tt.code, "")
				if d := o.ExpiresAt.Sub(o.CreatedAt); d != tt.want {
					t.Errorf("after %d extensions expiresAt − createdAt = %v, want %v", tt.times-1, d, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("ExtendExpiry() #%d error: %v", tt.times, err)
			}
			want := snapshot(o)
			want.ExpiresAt = o.CreatedAt.Add(tt.want)
			want.UpdatedAt = c.now
			want.Events = append(want.Events, order.Event{ID: got.Events[len(got.Events)-1].ID, Type: order.EventExtendExpiry, LedgerID: o.Uncaptured.LedgerID, CreatedAt: c.now})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ExtendExpiry() #%d mismatch (-want +got):\n%s", tt.times, diff)
			}
		})
	}
}

func TestExtendExpiryStates(t *testing.T) {
	tests := []struct {
		state string
		code  string
	}{
		{"ready", ""},
		{"not ready", ""},
		{"expired", ""},
		{"advance invoice", ""},
		{"partially captured", ""},
		{"fully captured", kassa.EConflict},
		{"cancelled", kassa.EConflict},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			c := newClock()
			o := states[tt.state](t, c)
			before := snapshot(o)
			got, err := o.ExtendExpiry(c.env())
			if tt.code != "" {
				rejected(t, "ExtendExpiry", before, o, got, err, tt.code, "")
				return
			}
			if err != nil {
				t.Fatalf("ExtendExpiry() in state %s error: %v", tt.state, err)
			}
			if d := got.ExpiresAt.Sub(o.ExpiresAt); d != order.ExpiryExtension {
				t.Errorf("ExtendExpiry() in state %s moved expiresAt by %v, want %v", tt.state, d, order.ExpiryExtension)
			}
		})
	}
}

// TestExpiredOrderExtended shows that an extension revives an expired
// order's capture.
func TestExpiredOrderExtended(t *testing.T) {
	c := newClock()
	o := newOrder(t, c)
	c.advance(order.DefaultExpiry + day)
	if _, err := o.Capture(c.env(), captureOf(o.Uncaptured.Lines...)); kassa.ErrorCode(err) != kassa.EConflict {
		t.Fatalf("Capture(expired) error = %v, want %s", err, kassa.EConflict)
	}
	o = must(t, "ExtendExpiry")(o.ExtendExpiry(c.env()))
	must(t, "Capture(extended)")(o.Capture(c.env(), captureOf(o.Uncaptured.Lines...)))
}
