package api_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/provider"
)

func TestOrderLifecycle(t *testing.T) {
	e := newEnv(t)
	c := cart(line("A", 2, 10000), line("B", 1, 5000))
	id := e.order(c)
	base := "/v1/orders/" + id

	o := e.getOrder(id, nil)
	if diff := cmp.Diff([]string{"uncaptured", "unacknowledged"}, o.Status); diff != "" {
		t.Errorf("new order status (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"readyForCapture", "authorize", "create"}, eventTypes(o)); diff != "" {
		t.Errorf("new order events, newest first (-want +got):\n%s", diff)
	}
	if got := actions(o.Uncaptured.AvailableActions); !slices.Contains(got, "capture") || !slices.Contains(got, "editPaymentMethod") {
		t.Errorf("uncaptured actions = %v, want capture and editPaymentMethod among them", got)
	}

	// Acknowledge answers 201 with the order, whatever empty body it gets;
	// acknowledging again adds nothing.
	for _, body := range []any{nil, "[]", "{}"} {
		e.must(201, request{method: "POST", path: base + "/acknowledge", body: body})
	}
	o = e.getOrder(id, nil)
	if n := strings.Count(strings.Join(eventTypes(o), ","), "acknowledge"); n != 1 || slices.Contains(o.Status, "unacknowledged") {
		t.Errorf("after acknowledging thrice: %d acknowledge events, status %v; want 1 and acknowledged", n, o.Status)
	}

	e.must(200, request{method: "POST", path: base + "/reference", body: map[string]any{"reference": "WC-1001"}})
	if resp := e.do(request{method: "POST", path: base + "/reference", body: map[string]any{"reference": strings.Repeat("x", 51)}}); resp.status != 400 {
		t.Errorf("51-character reference = %d, want 400", resp.status)
	}

	// Partial capture of line A by id, then the rest in full.
	lineA := o.Uncaptured.OrderLines[0].ID
	pc := map[string]any{"orderLines": []any{withID(line("A", 2, 10000), lineA)}, "totalCaptureAmount": 20000}
	var after orderView
	e.must(200, request{method: "POST", path: base + "/partialcapture", body: pc}).decode(t, &after)
	if diff := cmp.Diff([]string{"partiallyCaptured"}, after.Status); diff != "" {
		t.Errorf("after partial capture (-want +got):\n%s", diff)
	}
	if resp := e.do(request{method: "POST", path: base + "/capture", body: map[string]any{"orderLines": []any{line("B", 1, 5000)}, "totalCaptureAmount": 4000}}); resp.status != 400 {
		t.Errorf("capture with the wrong total = %d %s, want 400", resp.status, resp.body)
	}
	e.must(200, request{method: "POST", path: base + "/capture", body: map[string]any{"orderLines": []any{line("B", 1, 5000)}, "totalCaptureAmount": 5000}}).decode(t, &after)
	if after.Uncaptured != nil || len(after.Captured) != 2 || after.CapturedAmount.MinorUnits != 25000 {
		t.Fatalf("after full capture: uncaptured %v, %d captured chunks, captured %d; want none, 2, 25000", after.Uncaptured, len(after.Captured), after.CapturedAmount.MinorUnits)
	}
	if resp := e.do(request{method: "POST", path: base + "/capture", body: map[string]any{"orderLines": []any{line("B", 1, 5000)}, "totalCaptureAmount": 5000}}); resp.status != 409 {
		t.Errorf("capturing a fully captured order = %d, want 409", resp.status)
	}

	// Refunds are per captured chunk and never exceed it.
	first, second := after.Captured[0].LedgerID, after.Captured[1].LedgerID
	refund := func(total int64) map[string]any {
		l := line("A", 1, total)
		delete(l, "unitPrice")
		return map[string]any{"orderLines": []any{l}, "totalRefundAmount": total, "note": "returned"}
	}
	e.must(200, request{method: "POST", path: base + "/partialrefund/" + first, body: refund(5000)}).decode(t, &after)
	if diff := cmp.Diff([]string{"fullyCaptured", "partiallyRefunded"}, after.Status); diff != "" {
		t.Errorf("after partial refund (-want +got):\n%s", diff)
	}
	if resp := e.do(request{method: "POST", path: base + "/partialrefund/" + first, body: refund(15001)}); resp.status != 409 {
		t.Errorf("refunding more than the chunk has left = %d %s, want 409", resp.status, resp.body)
	}
	if resp := e.do(request{method: "POST", path: base + "/partialrefund/in_unknown", body: refund(100)}); resp.status != 404 {
		t.Errorf("refund against an unknown ledger = %d, want 404", resp.status)
	}
	e.must(200, request{method: "POST", path: base + "/refund/" + first, body: "[]"})
	e.must(200, request{method: "POST", path: base + "/refund/" + second}).decode(t, &after)
	if diff := cmp.Diff([]string{"fullyCaptured", "fullyRefunded"}, after.Status); diff != "" {
		t.Errorf("after refunding everything (-want +got):\n%s", diff)
	}
	for _, c := range after.Captured {
		if len(c.AvailableActions) != 0 {
			t.Errorf("refunded chunk %s actions = %v, want none", c.LedgerID, actions(c.AvailableActions))
		}
	}
	if after.RefundedAmount.MinorUnits != 25000 || len(after.Refunded) != 3 || after.Refunded[0].CapturedLedgerID != first {
		t.Errorf("refunded %d in %d chunks, want 25000 in 3 crediting their invoices", after.RefundedAmount.MinorUnits, len(after.Refunded))
	}
	if resp := e.do(request{method: "POST", path: base + "/refund/" + first}); resp.status != 409 {
		t.Errorf("refunding a fully refunded chunk = %d, want 409", resp.status)
	}
	var st struct{ Status string }
	e.must(200, request{method: "GET", path: base + "/paymentstatus"}).decode(t, &st)
	if st.Status != "orderRefunded" {
		t.Errorf("payment status = %q, want orderRefunded", st.Status)
	}
}

func withID(l map[string]any, id string) map[string]any {
	l["id"] = id
	return l
}

func TestCancel(t *testing.T) {
	e := newEnv(t)
	id := e.order(cart(line("A", 1, 10000)))
	var o orderView
	e.must(200, request{method: "DELETE", path: "/v1/orders/" + id, body: "[]"}).decode(t, &o)
	if diff := cmp.Diff([]string{"cancelled", "unacknowledged"}, o.Status); diff != "" || o.Uncaptured != nil {
		t.Errorf("cancelled order status (-want +got):\n%s", diff)
	}
	if resp := e.do(request{method: "DELETE", path: "/v1/orders/" + id}); resp.status != 409 {
		t.Errorf("cancelling twice = %d, want 409", resp.status)
	}
	var st struct{ Status string }
	e.must(200, request{method: "GET", path: "/v1/paymentstatus?orderId=" + id}).decode(t, &st)
	if st.Status != "orderCancelled" {
		t.Errorf("payment status = %q, want orderCancelled", st.Status)
	}

	// Cancelling the uncaptured chunk by ledger id; captured chunks refuse.
	id = e.order(cart(line("A", 1, 10000), line("B", 1, 10000)))
	o = e.getOrder(id, nil)
	pc := map[string]any{"orderLines": []any{withID(line("A", 1, 10000), o.Uncaptured.OrderLines[0].ID)}, "totalCaptureAmount": 10000}
	e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/partialcapture", body: pc}).decode(t, &o)
	if resp := e.do(request{method: "DELETE", path: "/v1/orders/" + id + "/" + o.Captured[0].LedgerID}); resp.status != 409 {
		t.Errorf("cancelling a captured chunk = %d, want 409", resp.status)
	}
	if resp := e.do(request{method: "DELETE", path: "/v1/orders/" + id + "/in_nope"}); resp.status != 404 {
		t.Errorf("cancelling an unknown chunk = %d, want 404", resp.status)
	}
	e.must(200, request{method: "DELETE", path: "/v1/orders/" + id + "/" + o.Uncaptured.LedgerID}).decode(t, &o)
	if diff := cmp.Diff([]string{"fullyCaptured", "unacknowledged"}, o.Status); diff != "" {
		t.Errorf("after cancelling the rest (-want +got):\n%s", diff)
	}
}

func TestAdvanceInvoice(t *testing.T) {
	e := newEnv(t)
	id := e.order(cart(line("A", 1, 10000)))
	base := "/v1/orders/" + id
	for _, body := range []any{map[string]any{}, map[string]any{"paymentMethod": map[string]any{"provider": "ledyer", "type": "invoice"}}} {
		if resp := e.do(request{method: "POST", path: base + "/paymentmethod", body: body}); resp.status != 400 {
			t.Errorf("paymentmethod %v = %d, want 400", body, resp.status)
		}
	}
	var o orderView
	e.must(200, request{method: "POST", path: base + "/paymentmethod", body: map[string]any{"paymentMethod": map[string]any{"provider": "ledyer", "type": "advanceInvoice"}}}).decode(t, &o)
	if o.PaymentMethod.Type != "advanceInvoice" || slices.Contains(actions(o.Uncaptured.AvailableActions), "capture") {
		t.Errorf("after conversion: method %q, actions %v; want advanceInvoice without capture until acknowledged", o.PaymentMethod.Type, actions(o.Uncaptured.AvailableActions))
	}
	capture := map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}
	if resp := e.do(request{method: "POST", path: base + "/capture", body: capture}); resp.status != 409 {
		t.Errorf("capturing an unacknowledged advance invoice order = %d, want 409", resp.status)
	}
	if resp := e.do(request{method: "DELETE", path: base}); resp.status != 409 {
		t.Errorf("cancelling an advance invoice order = %d, want 409", resp.status)
	}
	if resp := e.do(request{method: "POST", path: base + "/paymentmethod", body: map[string]any{"paymentMethod": map[string]any{"provider": "ledyer", "type": "advanceInvoice"}}}); resp.status != 409 {
		t.Errorf("converting twice = %d, want 409", resp.status)
	}
	e.must(201, request{method: "POST", path: base + "/acknowledge"})
	if resp := e.do(request{method: "POST", path: base + "/capture", body: capture}); resp.status != 409 {
		t.Errorf("capturing before the advance invoice is paid = %d, want 409", resp.status)
	}
	// The buyer pays the advance invoice; the order can then be captured,
	// and its invoice asks for nothing more.
	var docs docList
	e.must(200, request{method: "GET", path: base + "/documents"}).decode(t, &docs)
	e.must(200, request{method: "POST", path: "/v1/sandbox/payments", body: map[string]any{
		"paymentReference": docs.Documents[0].PaymentReference, "amount": 10000, "currency": "SEK",
	}})
	e.must(200, request{method: "POST", path: base + "/capture", body: capture})
	e.must(200, request{method: "GET", path: base + "/documents"}).decode(t, &docs)
	if len(docs.Documents) != 2 || docs.Documents[1].Kind != "invoice" || docs.Documents[1].PayableAmount.MinorUnits != 0 {
		t.Errorf("documents after capture = %+v, want the advance invoice and an invoice with nothing to pay", docs)
	}
}

func TestEditOrderAndCustomer(t *testing.T) {
	e := newEnv(t)
	id := e.order(cart(line("A", 2, 10000)))
	base := "/v1/orders/" + id
	edit := cart(line("A", 1, 10000))
	var o struct {
		orderView
		OrderAmount struct{ MinorUnits int64 }
		Customer    struct {
			Email          string
			Phone          string
			BillingAddress struct{ City string }
		}
	}
	e.must(200, request{method: "POST", path: base, body: edit}).decode(t, &o)
	if o.OrderAmount.MinorUnits != 10000 || o.Events[0].Type != "edit" {
		t.Errorf("after edit: amount %d, last event %q; want 10000, edit", o.OrderAmount.MinorUnits, o.Events[0].Type)
	}
	// Growing within the credit policy re-authorizes; beyond it is rejected.
	e.must(200, request{method: "POST", path: base, body: cart(line("A", 3, 10000))}).decode(t, &o)
	if o.Events[0].Type != "edit" || o.Events[1].Type != "authorize" {
		t.Errorf("events after growing = %v, want edit after a new authorize", eventTypes(o.orderView))
	}
	if resp := e.do(request{method: "POST", path: base, body: cart(line("A", 1, 200_000_000))}); resp.status != 402 {
		t.Errorf("edit beyond the credit limit = %d %s, want 402", resp.status, resp.body)
	}

	e.must(200, request{method: "POST", path: base + "/customer", body: map[string]any{
		"email": "new@example.com", "billingAddress": map[string]any{"companyName": "Buyer AB", "city": "Göteborg"},
	}}).decode(t, &o)
	if o.Customer.Email != "new@example.com" || o.Customer.Phone != "0701234567" || o.Customer.BillingAddress.City != "Göteborg" {
		t.Errorf("customer after edit = %+v; want the new e-mail and city, the phone kept", o.Customer)
	}
	if resp := e.do(request{method: "POST", path: base + "/customer", body: map[string]any{"email": "nope"}}); resp.status != 400 {
		t.Errorf("customer with a bad e-mail = %d, want 400", resp.status)
	}

	var x struct{ ExpiresAt time.Time }
	e.must(200, request{method: "POST", path: base + "/extendexpiry"}).decode(t, &x)
	if want := t0.Add(28 * 24 * time.Hour); !x.ExpiresAt.Equal(want) {
		t.Errorf("expiresAt after extending = %s, want %s", x.ExpiresAt, want)
	}
}

func TestProcessingDelay(t *testing.T) {
	e := newEnv(t, withProvider(func(c *provider.Config) { c.ProcessingDelay = time.Hour }))
	id := e.order(cart(line("A", 1, 10000)))
	o := e.getOrder(id, nil)
	if slices.Contains(actions(o.Uncaptured.AvailableActions), "capture") {
		t.Errorf("actions before the delay = %v, want no capture", actions(o.Uncaptured.AvailableActions))
	}
	capture := map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}
	if resp := e.do(request{method: "POST", path: "/v1/orders/" + id + "/capture", body: capture}); resp.status != 409 {
		t.Errorf("capture before ready = %d, want 409", resp.status)
	}
	var st struct{ Status string }
	e.must(200, request{method: "GET", path: "/v1/orders/" + id + "/paymentstatus"}).decode(t, &st)
	if st.Status != "paymentPending" {
		t.Errorf("payment status before ready = %q, want paymentPending", st.Status)
	}
	if n, err := e.app.MarkDueOrdersReady(t.Context()); err != nil || n != 0 {
		t.Fatalf("MarkDueOrdersReady before the delay = %d, %v; want 0", n, err)
	}
	e.clock.Advance(time.Hour)
	if n, err := e.app.MarkDueOrdersReady(t.Context()); err != nil || n != 1 {
		t.Fatalf("MarkDueOrdersReady after the delay = %d, %v; want 1", n, err)
	}
	if o := e.getOrder(id, nil); o.Events[0].Type != "readyForCapture" {
		t.Errorf("latest event = %q, want readyForCapture", o.Events[0].Type)
	}
	e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/capture", body: capture})
}

func TestOrderExpiry(t *testing.T) {
	e := newEnv(t)
	id := e.order(cart(line("A", 1, 10000)))
	e.clock.Advance(14 * 24 * time.Hour)
	capture := map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}
	if resp := e.do(request{method: "POST", path: "/v1/orders/" + id + "/capture", body: capture}); resp.status != 409 {
		t.Errorf("capture after expiry = %d, want 409", resp.status)
	}
}
