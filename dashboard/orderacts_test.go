package dashboard_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

// order reads one of merchant a's orders.
func (e *env) order(id string) *order.Order {
	e.t.Helper()
	o, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) (*order.Order, error) {
		return tx.Order(e.t.Context(), e.a, id)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// twoLines makes a's order a desk (1 × 60.00) and four chairs (4 ×
// 10.00), as the API's order update would, and returns the order.
func (e *env) twoLines() *order.Order {
	e.t.Helper()
	desk, chair := int64(6000), int64(1000)
	lines := []order.Line{
		{Type: order.TypePhysical, Reference: "D", Description: "Desk", Quantity: 1, UnitPrice: &desk, VAT: 2500, TotalAmount: 6000, TotalVATAmount: 1200},
		{Type: order.TypePhysical, Reference: "C", Description: "Chair", Quantity: 4, UnitPrice: &chair, VAT: 2500, TotalAmount: 4000, TotalVATAmount: 800},
	}
	err := e.app.Update(e.t.Context(), func(tx store.Tx) error {
		_, _, err := e.app.EditOrder(e.t.Context(), tx, e.a, e.aOrder, order.EditRequest{Lines: lines, Totals: order.Totals{Amount: 10000, VATAmount: 2000}})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return e.order(e.aOrder)
}

// confirm opens an action's confirmation page and sends its form with
// fields added (a note, a reference), returning both pages.
func (c *client) confirm(path string, fields url.Values) (confirmation, done page) {
	c.t.Helper()
	confirmation = c.get(path)
	m := onceField.FindStringSubmatch(confirmation.body)
	if confirmation.status != http.StatusOK || m == nil {
		c.t.Fatalf("GET %s: %d, once key %v\n%s", path, confirmation.status, m != nil, confirmation.body)
	}
	form := hiddenFields(confirmation.body)
	for k, v := range fields {
		form[k] = v
	}
	action := regexp.MustCompile(`<form method="post" action="([^"]*)" class="card act">`).FindStringSubmatch(confirmation.body)
	return confirmation, c.post(strings.ReplaceAll(action[1], "&amp;", "&"), form)
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

// hiddenFields are the hidden fields of a page's forms but the sign-out's.
func hiddenFields(body string) url.Values {
	f := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(body, -1) {
		if m[1] != "review" {
			f.Set(m[1], m[2])
		}
	}
	return f
}

func lineSummary(lines []order.Line) []string {
	var s []string
	for _, l := range lines {
		s = append(s, l.Reference+" "+strconv.FormatInt(l.Quantity, 10)+" "+strconv.FormatInt(l.TotalAmount, 10)+"/"+strconv.FormatInt(l.TotalVATAmount, 10))
	}
	return s
}

// Every action applies through its confirmation and form, and leaves
// the order as the API's operation would: a partial capture by
// quantities, a partial and then a full refund of that capture, the
// reference, acknowledging, extending the expiry, capturing and
// cancelling. Each is offered only while the order's available actions
// allow it, and the audit log names the user.
func TestOrderActions(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	o := e.twoLines()
	desk, chair := o.Uncaptured.Lines[0].ID, o.Uncaptured.Lines[1].ID
	c := e.client()
	c.signIn("owner@a.example", password)
	base := "/dashboard/orders/" + e.aOrder

	p := c.get(base)
	for _, id := range []string{"act-capture", "act-partial-capture", "act-cancel", "act-acknowledge", "act-reference", "act-extend-expiry", "act-payment-method"} {
		if !strings.Contains(p.body, `id="`+id+`"`) {
			t.Errorf("order page offers no %s", id)
		}
	}

	// Capture two of the four chairs: the choice, then what will happen.
	if p = c.get(base + "/partial-capture"); p.status != http.StatusOK || !strings.Contains(p.body, `name="qty-`+chair+`"`) || strings.Contains(p.body, `name="once"`) {
		t.Fatalf("choosing lines: %d\n%s", p.status, p.body)
	}
	conf, done := c.confirm(base+"/partial-capture?review=1&qty-"+chair+"=2&qty-"+desk+"=0", nil)
	for _, want := range []string{"Lines to capture: SEK 20.00", "Chair", "SEK 100.00", "SEK 80.00", `id="confirm-button"`} {
		if !strings.Contains(conf.body, want) {
			t.Errorf("capture confirmation lacks %q", want)
		}
	}
	if done.path != base || !strings.Contains(done.body, "Captured SEK 20.00.") {
		t.Fatalf("partial capture: %d at %s\n%s", done.status, done.path, done.body)
	}
	o = e.order(e.aOrder)
	if len(o.Captured) != 1 || o.CapturedAmount() != 2000 || o.Events[len(o.Events)-1].Type != order.EventPartialCapture {
		t.Fatalf("after the partial capture: captured %+v", o.Captured)
	}
	if diff := cmp.Diff([]string{"D 1 6000/1200", "C 2 2000/400"}, lineSummary(o.Uncaptured.Lines)); diff != "" {
		t.Errorf("left uncaptured (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"C 2 2000/400"}, lineSummary(o.Captured[0].Lines)); diff != "" {
		t.Errorf("captured (-want +got):\n%s", diff)
	}
	if es := e.events("POST /dashboard/orders/{id}/partial-capture"); len(es) != 1 || es[0].Actor != provider.ActorOfUser(e.aOwner) || es[0].Target != e.aOrder || es[0].Outcome != audit.OK {
		t.Errorf("partial capture audit events %+v", es)
	}

	if p = c.get(base); !strings.Contains(p.body, "Capture part of the order · owner@a.example") || !strings.Contains(p.body, "Captured in part · SEK 20.00") {
		t.Error("the order page does not show the capture and who made it")
	}

	// Refund one chair of that capture, then the rest of it.
	ledger := o.Captured[0].LedgerID
	capturedChair := o.Captured[0].Lines[0].ID
	if p = c.get(base); !strings.Contains(p.body, `id="act-partial-refund-`+ledger+`"`) || !strings.Contains(p.body, `id="act-refund-`+ledger+`"`) {
		t.Errorf("the capture offers no refunds")
	}
	_, done = c.confirm(base+"/partial-refund/"+ledger+"?review=1&qty-"+capturedChair+"=1", url.Values{"note": {"One chair came back"}})
	o = e.order(e.aOrder)
	if !strings.Contains(done.body, "Refunded SEK 10.00.") || len(o.Refunded) != 1 || o.Refunded[0].Note != "One chair came back" || o.Refunded[0].CapturedLedgerID != ledger {
		t.Fatalf("partial refund: %d %+v", done.status, o.Refunded)
	}
	conf, done = c.confirm(base+"/refund/"+ledger, nil)
	o = e.order(e.aOrder)
	if !strings.Contains(conf.body, "Lines to refund: SEK 10.00") || !strings.Contains(done.body, "Refunded SEK 10.00.") || o.RefundedAmount() != 2000 || o.Events[len(o.Events)-1].Type != order.EventFullRefund {
		t.Fatalf("full refund of the rest: refunded %d", o.RefundedAmount())
	}
	if p = c.get(base); strings.Contains(p.body, `id="act-refund-`+ledger+`"`) {
		t.Error("a capture refunded in full still offers a refund")
	}
	if p = c.get(base + "/refund/" + ledger); p.status != http.StatusConflict || strings.Contains(p.body, `name="once"`) {
		t.Errorf("the refund page of a capture refunded in full: %d", p.status)
	}

	// The reference, acknowledging and the expiry.
	expires := o.ExpiresAt
	c.confirm(base+"/reference", url.Values{"reference": {"PO-1234"}})
	c.confirm(base+"/acknowledge", nil)
	c.confirm(base+"/extend-expiry", nil)
	o = e.order(e.aOrder)
	if o.Reference != "PO-1234" || !o.Acknowledged || !o.ExpiresAt.Equal(expires.Add(order.ExpiryExtension)) {
		t.Errorf("reference %q, acknowledged %v, expires %s (was %s)", o.Reference, o.Acknowledged, o.ExpiresAt, expires)
	}
	if p = c.get(base); strings.Contains(p.body, `id="act-acknowledge"`) {
		t.Error("an acknowledged order offers acknowledging")
	}

	// Cancel what is left; then nothing is left to capture or cancel.
	_, done = c.confirm(base+"/cancel", nil)
	o = e.order(e.aOrder)
	if !strings.Contains(done.body, "Cancelled SEK 80.00.") || o.Uncaptured != nil || o.CancelledAmount != 8000 {
		t.Fatalf("cancel: %q, cancelled %d", done.path, o.CancelledAmount)
	}
	p = c.get(base)
	for _, id := range []string{"act-capture", "act-partial-capture", "act-cancel", "act-extend-expiry"} {
		if strings.Contains(p.body, `id="`+id+`"`) {
			t.Errorf("a cancelled order offers %s", id)
		}
	}
	// An action not in the available actions: its page and its form
	// are refused, and nothing changes.
	for _, path := range []string{"/capture", "/partial-capture", "/cancel"} {
		if p := c.get(base + path); p.status != http.StatusConflict || strings.Contains(p.body, `name="once"`) {
			t.Errorf("GET %s of a cancelled order: %d", path, p.status)
		}
		if p := c.post(base+path, url.Values{"once": {"fresh-" + path}, "amount": {"8000"}, "qty-" + desk: {"1"}}); p.status != http.StatusConflict {
			t.Errorf("POST %s of a cancelled order: %d", path, p.status)
		}
	}
	if after := e.order(e.aOrder); len(after.Events) != len(o.Events) {
		t.Errorf("refused actions changed the order: %d events, want %d", len(after.Events), len(o.Events))
	}
}

// A full capture from the dashboard is the API's capture: the same
// lines, one fullCapture event, an invoice, a notification to the
// merchant's endpoint, which the order's page lists with its delivery.
func TestOrderActCapture(t *testing.T) { bothStores(t, testOrderActCapture) }

func testOrderActCapture(t *testing.T, newEnv envMaker) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	err := e.app.Update(t.Context(), func(tx store.Tx) error {
		_, err := e.app.CreateEndpoint(t.Context(), tx, e.a, "https://shop.example/hooks", nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	before := e.order(e.aOrder)
	c := e.client()
	c.signIn("owner@a.example", password)
	conf, done := c.confirm("/dashboard/orders/"+e.aOrder+"/capture", nil)
	if !strings.Contains(conf.body, "Lines to capture: SEK 100.00") || !strings.Contains(done.body, "Captured SEK 100.00.") {
		t.Fatalf("capture: %d\n%s", done.status, done.body)
	}
	o := e.order(e.aOrder)
	if o.Uncaptured != nil || len(o.Captured) != 1 || o.Events[len(o.Events)-1].Type != order.EventFullCapture {
		t.Fatalf("after capture: %+v", o)
	}
	if diff := cmp.Diff(lineSummary(before.Uncaptured.Lines), lineSummary(o.Captured[0].Lines)); diff != "" {
		t.Errorf("captured lines (-want +got):\n%s", diff)
	}
	if !strings.Contains(done.body, "/dashboard/documents/") {
		t.Error("the order page after capture links to no invoice")
	}
	if strings.Contains(done.body, `id="act-payment-method"`) {
		t.Error("a captured order offers changing to advance invoice")
	}
	if !strings.Contains(done.body, "com.ledyer.order.full_capture · pending") || !strings.Contains(done.body, "https://shop.example/hooks · pending · 0 attempts") {
		t.Errorf("the order page lists no notification of the capture:\n%s", done.body)
	}
}

// A form sent twice with its once key captures once; the second answer
// is the first's.
func TestOrderActOnce(t *testing.T) { bothStores(t, testOrderActOnce) }

func testOrderActOnce(t *testing.T, newEnv envMaker) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	e.twoLines()
	o := e.order(e.aOrder)
	c := e.client()
	c.signIn("owner@a.example", password)
	path := "/dashboard/orders/" + e.aOrder + "/partial-capture"
	conf := c.get(path + "?review=1&qty-" + o.Uncaptured.Lines[1].ID + "=1")
	form := hiddenFields(conf.body)
	first := c.post(path, form)
	form.Set("csrf", c.csrf)
	second := c.post(path, form)
	if first.path != second.path || !strings.Contains(second.body, "Captured SEK 10.00.") {
		t.Errorf("the second send: %d at %s", second.status, second.path)
	}
	if o = e.order(e.aOrder); len(o.Captured) != 1 || o.CapturedAmount() != 1000 {
		t.Errorf("two sends captured %d in %d captures", o.CapturedAmount(), len(o.Captured))
	}
	es := e.events("POST /dashboard/orders/{id}/partial-capture")
	if len(es) != 2 || es[0].Replay == es[1].Replay {
		t.Errorf("audit events %+v, want one change and one replay", es)
	}
	// The same once key with other quantities is refused.
	form.Set("qty-"+o.Uncaptured.Lines[1].ID, "2")
	if p := c.post(path, form); p.status != http.StatusConflict && p.status != http.StatusUnprocessableEntity && p.status != http.StatusBadRequest {
		t.Errorf("the once key with other values: %d", p.status)
	}
	if o = e.order(e.aOrder); len(o.Captured) != 1 {
		t.Errorf("a reused once key captured again")
	}
}

// Bad input is refused with 4xx and changes nothing: too many, an
// unknown line, a negative quantity, no number, nothing chosen, a note
// too long, a reference too long.
func TestOrderActBadInput(t *testing.T) { bothStores(t, testOrderActBadInput) }

func testOrderActBadInput(t *testing.T, newEnv envMaker) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	e.twoLines()
	captureDesk(t, e)
	o := e.order(e.aOrder)
	chair := o.Uncaptured.Lines[0].ID
	c := e.client()
	c.signIn("owner@a.example", password)
	base := "/dashboard/orders/" + e.aOrder
	ledger := o.Captured[0].LedgerID
	desk := o.Captured[0].Lines[0].ID
	for i, bad := range []struct {
		path string
		form url.Values
		want int
	}{
		{"/partial-capture", url.Values{"qty-" + chair: {"5"}}, http.StatusBadRequest},
		{"/partial-capture", url.Values{"qty-ol_nonesuch": {"1"}}, http.StatusBadRequest},
		{"/partial-capture", url.Values{"qty-" + chair: {"-1"}}, http.StatusBadRequest},
		{"/partial-capture", url.Values{"qty-" + chair: {"1.5"}}, http.StatusBadRequest},
		{"/partial-capture", url.Values{"qty-" + desk: {"1"}}, http.StatusBadRequest}, // captured already
		{"/partial-capture", url.Values{}, http.StatusBadRequest},
		{"/capture", url.Values{"amount": {"10000"}}, http.StatusConflict}, // not what is left
		{"/cancel", url.Values{"amount": {"10000"}}, http.StatusConflict},
		{"/partial-refund/" + ledger, url.Values{"qty-" + desk: {"2"}}, http.StatusBadRequest},
		{"/partial-refund/" + ledger, url.Values{"qty-ol_nonesuch": {"1"}}, http.StatusBadRequest},
		{"/partial-refund/" + ledger, url.Values{"qty-" + desk: {"-1"}}, http.StatusBadRequest},
		{"/partial-refund/" + ledger, url.Values{"qty-" + desk: {"two"}}, http.StatusBadRequest},
		{"/partial-refund/" + ledger, url.Values{"qty-" + desk: {"0"}}, http.StatusBadRequest},
		{"/partial-refund/" + ledger, url.Values{"qty-" + desk: {"1"}, "note": {strings.Repeat("n", 1001)}}, http.StatusBadRequest},
		{"/partial-refund/ld_nonesuch", url.Values{"qty-" + desk: {"1"}}, http.StatusNotFound},
		{"/refund/" + ledger, url.Values{"amount": {"1"}}, http.StatusConflict},
		{"/refund/" + ledger, url.Values{}, http.StatusBadRequest},
		{"/reference", url.Values{"reference": {strings.Repeat("r", 51)}}, http.StatusBadRequest},
	} {
		// The page that would confirm it refuses too, without a form.
		if strings.HasPrefix(bad.path, "/partial-") {
			q := url.Values{"review": {"1"}}
			for k, v := range bad.form {
				q[k] = v
			}
			if p := c.get(base + bad.path + "?" + q.Encode()); p.status != bad.want || strings.Contains(p.body, `name="once"`) {
				t.Errorf("%d: GET %s?%s: %d, want %d without a form", i, bad.path, q.Encode(), p.status, bad.want)
			}
		}
		c.get(base)
		bad.form.Set("once", "bad-"+strconv.Itoa(i))
		if p := c.post(base+bad.path, bad.form); p.status != bad.want || !strings.Contains(p.body, `id="error"`) {
			t.Errorf("%d: POST %s %v: %d, want %d\n%s", i, bad.path, bad.form, p.status, bad.want, p.body)
		}
	}
	if after := e.order(e.aOrder); len(after.Events) != len(o.Events) {
		t.Errorf("bad input changed the order: %d events, want %d", len(after.Events), len(o.Events))
	}
	// A form without its once key is refused too.
	c.get(base)
	if p := c.post(base+"/acknowledge", url.Values{}); p.status != http.StatusBadRequest {
		t.Errorf("no once key: %d", p.status)
	}
}

// captureDesk captures the desk of twoLines through the provider, as
// the API's partial capture does.
func captureDesk(t *testing.T, e *env) {
	t.Helper()
	err := e.app.Update(t.Context(), func(tx store.Tx) error {
		_, _, err := e.app.ChangeOrder(t.Context(), tx, e.a, e.aOrder, func(o *order.Order, env order.Env) (*order.Order, error) {
			return o.PartialCapture(env, order.CaptureRequest{Lines: o.Uncaptured.Lines[:1], TotalAmount: 6000})
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A support user sees no action and is refused one sent directly (403,
// the refusal in the audit log, nothing changed); another merchant's
// user is not found the order (404).
func TestOrderActRoles(t *testing.T) { bothStores(t, testOrderActRoles) }

func testOrderActRoles(t *testing.T, newEnv envMaker) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	support := e.newUser(e.a, "support@a.example", user.Support)
	before := e.order(e.aOrder)
	c := e.client()
	c.signIn("support@a.example", password)
	base := "/dashboard/orders/" + e.aOrder
	if p := c.get(base); p.status != http.StatusOK || strings.Contains(p.body, `id="act-`) || strings.Contains(p.body, `id="actions"`) {
		t.Errorf("support's order page: %d, offering actions %v", p.status, strings.Contains(p.body, `id="act-`))
	}
	if p := c.get(base + "/capture"); p.status != http.StatusForbidden || strings.Contains(p.body, `name="once"`) {
		t.Errorf("support at the capture page: %d", p.status)
	}
	p := c.post(base+"/capture", url.Values{"once": {"support-try"}, "amount": {"10000"}})
	if p.status != http.StatusForbidden {
		t.Errorf("support's capture: %d", p.status)
	}
	if o := e.order(e.aOrder); o.Uncaptured == nil || len(o.Events) != len(before.Events) {
		t.Error("support's refused capture changed the order")
	}
	es := e.events("POST /dashboard/orders/{id}/capture")
	if len(es) != 1 || es[0].Actor != provider.ActorOfUser(support) || es[0].Outcome != kassa.EForbidden || es[0].Status != http.StatusForbidden || es[0].Target != e.aOrder {
		t.Errorf("audit of the refusal %+v", es)
	}

	if p := c.get(base); !strings.Contains(p.body, "Capture the order · support@a.example · refused: forbidden") {
		t.Error("the order page does not show the refused capture")
	}

	e.newUser(e.b, "owner@b.example", user.Owner)
	b := e.client()
	b.signIn("owner@b.example", password)
	for _, path := range []string{"/capture", "/partial-capture?review=1", "/cancel"} {
		if p := b.get(base + path); p.status != http.StatusNotFound || strings.Contains(p.body, "Köpare") {
			t.Errorf("b's owner GET %s: %d", path, p.status)
		}
	}
	b.get("/dashboard")
	if p := b.post(base+"/capture", url.Values{"once": {"b-try"}, "amount": {"10000"}}); p.status != http.StatusNotFound || strings.Contains(p.body, "Köpare") {
		t.Errorf("b's owner capturing a's order: %d", p.status)
	}
	if o := e.order(e.aOrder); o.Uncaptured == nil || len(o.Events) != len(before.Events) {
		t.Error("b's owner changed a's order")
	}
}

// Changing to advance invoice is the API's payment method change: an
// advance invoice, and the order then offers no cancel and no capture
// until the buyer has paid.
func TestOrderActPaymentMethod(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	c := e.client()
	c.signIn("owner@a.example", password)
	base := "/dashboard/orders/" + e.aOrder
	conf, done := c.confirm(base+"/payment-method", nil)
	if !strings.Contains(conf.body, "Advance invoice") || !strings.Contains(done.body, "The order is now paid by advance invoice.") {
		t.Fatalf("payment method: %d\n%s", done.status, done.body)
	}
	o := e.order(e.aOrder)
	if o.PaymentMethod != order.AdvanceInvoice || o.Events[len(o.Events)-1].Type != order.EventEditPaymentMethod {
		t.Errorf("payment method %q", o.PaymentMethod)
	}
	if !strings.Contains(done.body, "Advance invoice") {
		t.Error("the order page lists no advance invoice")
	}
	for _, id := range []string{"act-capture", "act-cancel", "act-payment-method"} {
		if strings.Contains(done.body, `id="`+id+`"`) {
			t.Errorf("an unpaid advance-invoice order offers %s", id)
		}
	}
	if p := c.get(base + "/payment-method"); p.status != http.StatusConflict {
		t.Errorf("changing again: %d", p.status)
	}
}

// Editing the customer is the API's customer edit: the fields changed,
// shown before and after; a bad address or no change is refused.
func TestOrderActCustomer(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	c := e.client()
	c.signIn("owner@a.example", password)
	base := "/dashboard/orders/" + e.aOrder
	if p := c.get(base + "/customer"); p.status != http.StatusOK || !strings.Contains(p.body, `value="ap@buyer.test"`) || !strings.Contains(p.body, `<label for="billing-city">`) {
		t.Fatalf("the customer form: %d", p.status)
	}
	q := url.Values{"review": {"1"}, "email": {"new@buyer.test"}, "billing-city": {"Göteborg"}, "phone": {""}}
	conf, done := c.confirm(base+"/customer?"+q.Encode(), nil)
	for _, want := range []string{"<th scope=\"row\">E-mail</th><td>ap@buyer.test</td><td>new@buyer.test</td>", "Billing address: city", "Göteborg"} {
		if !strings.Contains(conf.body, want) {
			t.Errorf("the confirmation lacks %q", want)
		}
	}
	o := e.order(e.aOrder)
	if !strings.Contains(done.body, "The customer is saved.") || o.Customer.Email != "new@buyer.test" || o.Customer.BillingAddress.City != "Göteborg" || o.Customer.CompanyName != "Köpare AB" || o.Events[len(o.Events)-1].Type != order.EventEditCustomer {
		t.Errorf("after the edit: %+v", o.Customer)
	}
	if !strings.Contains(done.body, "<dt>Billing address</dt><dd>Göteborg</dd>") {
		t.Error("the order page does not show the new billing address")
	}
	for i, bad := range []url.Values{{"email": {"not an address"}}, {"email": {"new@buyer.test"}}, {"phone": {strings.Repeat("1", 256)}}} {
		bad.Set("review", "1")
		if p := c.get(base + "/customer?" + bad.Encode()); p.status != http.StatusBadRequest || strings.Contains(p.body, `name="once"`) || !strings.Contains(p.body, `id="fields"`) {
			t.Errorf("GET %v: %d, want 400 with the form again", bad, p.status)
		}
		bad.Set("once", "bad-customer-"+strconv.Itoa(i))
		if p := c.post(base+"/customer", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="error"`) {
			t.Errorf("POST %v: %d", bad, p.status)
		}
	}
	if after := e.order(e.aOrder); len(after.Events) != len(o.Events) {
		t.Error("a refused customer edit changed the order")
	}
}

// Editing the lines is the API's order update with the lines kept:
// lower quantities and removed lines; more than a line has is refused.
func TestOrderActLines(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	o := e.twoLines()
	desk, chair := o.Uncaptured.Lines[0].ID, o.Uncaptured.Lines[1].ID
	c := e.client()
	c.signIn("owner@a.example", password)
	base := "/dashboard/orders/" + e.aOrder
	if p := c.get(base + "/lines"); p.status != http.StatusOK || !strings.Contains(p.body, `name="qty-`+chair+`" type="number" inputmode="numeric" min="0" max="4" step="1" value="4"`) {
		t.Fatalf("the lines form: %d\n%s", p.status, p.body)
	}
	conf, done := c.confirm(base+"/lines?review=1&qty-"+desk+"=0&qty-"+chair+"=1", nil)
	if !strings.Contains(conf.body, "Lines not captured after the edit: SEK 10.00") || !strings.Contains(done.body, "The lines are saved: SEK 10.00 not captured.") {
		t.Fatalf("edit: %d\n%s", done.status, done.body)
	}
	o = e.order(e.aOrder)
	if diff := cmp.Diff([]string{"C 1 1000/200"}, lineSummary(o.Uncaptured.Lines)); diff != "" || o.Events[len(o.Events)-1].Type != order.EventEdit {
		t.Errorf("lines after the edit (-want +got):\n%s", diff)
	}
	chair = o.Uncaptured.Lines[0].ID
	if p := c.get(base + "/lines?review=1&qty-" + chair + "=2"); p.status != http.StatusBadRequest || strings.Contains(p.body, `name="once"`) {
		t.Errorf("more than the line has: %d", p.status)
	}
	if p := c.post(base+"/lines", url.Values{"once": {"lines-bad"}, "qty-" + chair: {"0"}}); p.status != http.StatusBadRequest {
		t.Errorf("every line removed: %d", p.status)
	}
	if after := e.order(e.aOrder); len(after.Events) != len(o.Events) {
		t.Error("a refused edit changed the order")
	}
}
