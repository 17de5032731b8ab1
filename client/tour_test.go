package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/client"
)

// The tour calls every method against a real Kassa, whose answers the
// tests decode strictly (export_test.go): a member the client's types
// lack, or one of the wrong type, fails it.

// must is v, or a panic (which fails the test) with err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func chairs(quantity int64) client.OrderLine {
	price := int64(250000)
	return client.OrderLine{Type: "physical", Reference: "SKU-1", Description: "Office chair", Quantity: quantity, UnitPrice: &price, VAT: 2500,
		TotalAmount: quantity * price, TotalVATAmount: quantity * price / 5}
}

func cartOf(lines ...client.OrderLine) client.PaymentSessionParams {
	var total, vat int64
	for _, l := range lines {
		total += l.TotalAmount
		vat += l.TotalVATAmount
	}
	return client.PaymentSessionParams{
		Country: "SE", Currency: "SEK", Locale: "sv-SE", Reference: "WC-1", OrderLines: lines,
		TotalOrderAmount: total, TotalOrderVATAmount: vat, TotalOrderAmountExclVAT: total - vat,
	}
}

func buyer(companyID string) *client.Customer {
	return &client.Customer{
		CompanyID: companyID, Email: "ap@buyer.example", FirstName: "Sven", LastName: "Svensson", Phone: "0701234567",
		BillingAddress:  &client.Address{CompanyName: "Köpare AB", StreetAddress: "Sveavägen 49", PostalCode: "11359", City: "Stockholm", Country: "SE"},
		ShippingAddress: &client.Address{CompanyName: "Köpare AB", StreetAddress: "Lagergatan 1", PostalCode: "11359", City: "Stockholm", Country: "SE", Contact: &client.Contact{FirstName: "Greta", Email: "goods@buyer.example"}},
	}
}

// order places an order of cart for company and returns it.
func order(t *testing.T, c *client.Client, cart client.PaymentSessionParams, company string) *client.Order {
	t.Helper()
	ctx := t.Context()
	s := must(c.CreatePaymentSession(ctx, cart))
	a := must(c.SandboxAuthorize(ctx, s.ID, client.SandboxAuthorizeParams{Customer: buyer(company)}))
	id := must(c.CreateOrder(ctx, a.AuthorizationToken, client.OrderParams{PaymentSessionParams: cart, Customer: buyer(company)}))
	return must(c.GetOrder(ctx, id))
}

func TestTourSessions(t *testing.T) {
	k := newKassa(t)
	c, ctx := k.client(), t.Context()
	cart := cartOf(chairs(2))
	cart.Metadata = json.RawMessage(`{"cart":"c-1"}`)
	cart.Settings = &client.SessionSettings{Security: &client.Security{Level: 200}, URLs: &client.SessionURLs{Confirmation: "https://shop.example/thanks"}}
	s := must(c.CreatePaymentSession(ctx, cart))
	if s.ID == "" || s.ID != s.SessionID || s.State != "created" || len(s.Configuration) == 0 || s.Order.TotalOrderAmount != 500000 || s.Order.Settings.Security.Level != 200 {
		t.Errorf("created session = %+v", s)
	}
	cart.OrderLines, cart.TotalOrderAmount, cart.TotalOrderVATAmount, cart.TotalOrderAmountExclVAT = []client.OrderLine{chairs(1)}, 250000, 50000, 200000
	if u := must(c.UpdatePaymentSession(ctx, s.ID, cart)); u.Order.TotalOrderAmount != 250000 || len(u.Order.OrderLines) != 1 {
		t.Errorf("updated session = %+v", u.Order)
	}
	if st := must(c.SessionPaymentStatus(ctx, s.ID)); st.Status != "orderInitiated" {
		t.Errorf("a new session's payment status = %+v", st)
	}

	// A token cancelled opens its session again.
	a := must(c.SandboxAuthorize(ctx, s.ID, client.SandboxAuthorizeParams{Customer: buyer("559311-3714")}))
	ok(t, c.CancelAuthorizationToken(ctx, a.AuthorizationToken))
	if g := must(c.GetPaymentSession(ctx, s.ID)); g.State != "created" {
		t.Errorf("after its token was cancelled the session is %s", g.State)
	}

	// A buyer who needs a company signatory: the session waits for them;
	// cancelled, or signed, and the order's authorize event names who
	// approved it.
	for _, sign := range []bool{false, true} {
		s := must(c.CreatePaymentSession(ctx, cartOf(chairs(2))))
		a := must(c.SandboxAuthorize(ctx, s.ID, client.SandboxAuthorizeParams{Customer: buyer("556000-0001")}))
		if a.State != "awaitingSignatory" || a.AuthorizationToken != "" {
			t.Fatalf("authorize for a company that needs a signatory = %+v", a)
		}
		if !sign {
			if x := must(c.CancelPaymentSession(ctx, s.ID)); x.State != "cancelled" {
				t.Errorf("cancelled session = %s", x.State)
			}
			continue
		}
		a = must(c.SandboxSign(ctx, s.ID))
		id := must(c.CreateOrder(ctx, a.AuthorizationToken, client.OrderParams{PaymentSessionParams: cartOf(chairs(2)), Customer: buyer("556000-0001")}))
		o := must(c.GetOrder(ctx, id))
		i := slices.IndexFunc(o.Events, func(e client.Event) bool { return e.Type == "authorize" })
		if i < 0 || o.Events[i].Signatory == nil || o.Events[i].Signatory.Method == "" || o.Events[i].Signatory.At.IsZero() {
			t.Errorf("the signed order's events = %+v", o.Events)
		}
	}
}

func TestTourOrders(t *testing.T) {
	k := newKassa(t)
	c, ctx := k.client(), t.Context()
	o := order(t, c, cartOf(chairs(2), chairs(1)), "559311-3714")
	o = must(c.AcknowledgeOrder(ctx, o.ID))
	o = must(c.SetOrderReference(ctx, o.ID, "PO-7"))
	if o.MerchantReference != "PO-7" {
		t.Errorf("reference = %q", o.MerchantReference)
	}
	phone := "0709999999"
	o = must(c.EditOrderCustomer(ctx, o.ID, client.CustomerUpdate{Phone: &phone}))
	if o.Customer.Phone != phone || o.Customer.BillingAddress == nil || o.Customer.PaymentMethod == nil {
		t.Errorf("customer = %+v", o.Customer)
	}
	o = must(c.ExtendOrderExpiry(ctx, o.ID))
	edit := cartOf(chairs(2), chairs(1))
	o = must(c.EditOrder(ctx, o.ID, client.EditOrderParams{OrderLines: edit.OrderLines, TotalOrderAmount: edit.TotalOrderAmount, TotalOrderVATAmount: edit.TotalOrderVATAmount, TotalOrderAmountExclVAT: edit.TotalOrderAmountExclVAT}))
	first := o.Uncaptured.OrderLines[0]
	o = must(c.PartialCaptureOrder(ctx, o.ID, client.CaptureParams{OrderLines: []client.OrderLine{first}, TotalCaptureAmount: first.TotalAmount}))
	o = must(c.CaptureOrder(ctx, o.ID, client.CaptureParams{OrderLines: o.Uncaptured.OrderLines, TotalCaptureAmount: o.UncapturedAmount.MinorUnits}))
	if len(o.Captured) != 2 || o.Uncaptured != nil || o.CapturedAmount.MinorUnits != 750000 {
		t.Fatalf("after two captures: %d invoices, %+v uncaptured, %d captured", len(o.Captured), o.Uncaptured, o.CapturedAmount.MinorUnits)
	}
	if o.Captured[0].DocumentURL == "" || !slices.ContainsFunc(o.Captured[0].AvailableActions, func(a client.Action) bool { return a.Type == "refund" }) {
		t.Errorf("captured chunk = %+v", o.Captured[0])
	}
	half := chairs(1)
	half.UnitPrice = nil
	o = must(c.PartialRefundOrder(ctx, o.ID, o.Captured[0].LedgerID, client.RefundParams{OrderLines: []client.OrderLine{half}, TotalRefundAmount: half.TotalAmount, Note: "returned"}))
	o = must(c.RefundOrder(ctx, o.ID, o.Captured[1].LedgerID, "all of it"))
	if len(o.Refunded) != 2 || o.Refunded[1].Note != "all of it" || o.Refunded[1].CapturedLedgerID != o.Captured[1].LedgerID {
		t.Errorf("refunds = %+v", o.Refunded)
	}
	if st := must(c.OrderPaymentStatus(ctx, o.ID)); st.Status == "" || st.PaymentMethod.Type != "invoice" {
		t.Errorf("payment status = %+v", st)
	}

	docs := must(c.OrderDocuments(ctx, o.ID))
	if len(docs) != 4 {
		t.Fatalf("%d documents, want 2 invoices and 2 credit notes", len(docs))
	}
	pdf := must(c.DocumentPDF(ctx, docs[0].ID))
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("the document is not a PDF: %.20q", pdf)
	}
	pay := must(c.SandboxPayment(ctx, client.SandboxPaymentParams{PaymentReference: docs[0].PaymentReference, Amount: 1000, Currency: "SEK"}))
	if len(pay.Payments) != 1 || pay.Payments[0].Outcome == "" {
		t.Errorf("sandbox payment = %+v", pay)
	}
	camt, err := os.ReadFile("../reconcile/testdata/camt054.xml")
	ok(t, err)
	imported := must(c.ImportPayments(ctx, camt))
	if len(imported.Payments) == 0 || imported.Format != "camt.054" {
		t.Errorf("import = %+v", imported)
	}
	if ps := must(c.ListBankPayments(ctx, false)); len(ps) != 1+len(imported.Payments) {
		t.Errorf("%d payments, want %d", len(ps), 1+len(imported.Payments))
	}
	unmatched := must(c.ListBankPayments(ctx, true))
	if len(unmatched) == 0 || slices.ContainsFunc(unmatched, func(p client.BankPayment) bool { return p.DocumentID != "" }) {
		t.Fatalf("unmatched payments = %+v", unmatched)
	}
	// One matched by hand, once.
	inv := docs[slices.IndexFunc(docs, func(d client.Document) bool { return d.PaymentReference != "" })]
	matched := must(c.MatchPayment(ctx, unmatched[0].ID, inv.ID))
	if matched.DocumentID != inv.ID || matched.Outcome == "" || matched.OrderID != o.ID {
		t.Errorf("match = %+v", matched)
	}
	if _, err := c.MatchPayment(ctx, unmatched[0].ID, inv.ID); !isCode(err, "conflict") {
		t.Errorf("matching it again: %v, want a 409", err)
	}
	// The year's accounting export holds today's documents, and a period
	// that is not one is refused.
	now := time.Now().UTC()
	sie := must(c.ExportSIE(ctx, client.SIEExportParams{From: now.Format("2006") + "-01-01", To: now.Format(time.DateOnly)}))
	if !bytes.HasPrefix(sie, []byte("#FLAGGA 0\r\n")) || bytes.Count(sie, []byte("#VER ")) < len(docs) {
		t.Errorf("the SIE export does not hold the order's %d documents:\n%s", len(docs), sie)
	}
	if _, err := c.ExportSIE(ctx, client.SIEExportParams{From: "2026-03-31", To: "2026-03-01"}); !isCode(err, "invalid_request") {
		t.Errorf("an export from after to: %v, want a 400", err)
	}
	mails := must(c.SandboxMails(ctx))
	if len(mails) == 0 || len(mails[0].To) == 0 {
		t.Errorf("mails = %+v", mails)
	}

	// Cancelling: a chunk, then the rest of an order.
	o = order(t, c, cartOf(chairs(1)), "559311-3714")
	o = must(c.CancelOrderChunk(ctx, o.ID, o.Uncaptured.LedgerID))
	if !slices.Contains(o.Status, "cancelled") {
		t.Errorf("after its chunk was cancelled the order is %v", o.Status)
	}
	o = order(t, c, cartOf(chairs(1)), "559311-3714")
	o = must(c.EditOrderPaymentMethod(ctx, o.ID, client.PaymentMethod{Provider: "ledyer", Type: "advanceInvoice"}))
	if o.PaymentMethod.Type != "advanceInvoice" {
		t.Errorf("payment method = %+v", o.PaymentMethod)
	}
	o = order(t, c, cartOf(chairs(1)), "559311-3714")
	if o = must(c.CancelOrder(ctx, o.ID)); !slices.Contains(o.Status, "cancelled") {
		t.Errorf("cancelled order is %v", o.Status)
	}
}

func TestTourKassa(t *testing.T) {
	k := newKassa(t)
	c, ctx := k.client(), t.Context()

	m := must(c.SetMerchantEmail(ctx, "billing@example.test"))
	if g := must(c.GetMerchant(ctx)); g.MerchantID != k.MerchantID || g.Email != "billing@example.test" || *g != *m {
		t.Errorf("merchant = %+v, after setting its address %+v", g, m)
	}

	reader := must(c.CreateAPIClient(ctx, client.APIClientParams{Name: "reports", Scope: "read"}))
	if reader.ClientSecret == "" || reader.Scope != "read" || reader.State != "active" {
		t.Errorf("created client = %+v", reader)
	}
	overlap := int64(0)
	rotated := must(c.RotateAPIClient(ctx, reader.ClientID, client.RotateAPIClientParams{OverlapSeconds: &overlap}))
	if rotated.ClientSecret == "" || rotated.ClientSecret == reader.ClientSecret || rotated.RotatedAt.IsZero() {
		t.Errorf("rotated client = %+v", rotated)
	}
	if list := must(c.ListAPIClients(ctx)); len(list) != 2 || list[0].ClientSecret != "" {
		t.Errorf("clients = %+v", list)
	}
	if r := must(c.RevokeAPIClient(ctx, reader.ClientID)); r.State != "revoked" || r.RevokedAt.IsZero() {
		t.Errorf("revoked client = %+v", r)
	}

	e := must(c.CreateNotificationEndpoint(ctx, client.NotificationEndpointParams{URL: "http://127.0.0.1:1/hooks", EventTypes: []string{"com.kassa.order.paid"}}))
	if e.Secret == "" || len(e.EventTypes) != 1 {
		t.Errorf("endpoint = %+v", e)
	}
	if es := must(c.ListNotificationEndpoints(ctx)); len(es) != 1 || es[0].Secret != "" {
		t.Errorf("endpoints = %+v", es)
	}
	overlap = 60
	r := must(c.RotateEndpointSecret(ctx, e.ID, client.RotateEndpointSecretParams{OverlapSeconds: &overlap}))
	if r.Secret == "" || r.Secret == e.Secret || r.SecretRotatedAt.IsZero() || r.PreviousSecretExpiresAt.Sub(r.SecretRotatedAt) != time.Minute {
		t.Errorf("rotated endpoint = %+v", r)
	}
	if en := must(c.EnableNotificationEndpoint(ctx, e.ID)); en.State != "enabled" || en.Secret != "" {
		t.Errorf("enabled endpoint = %+v", en)
	}
	ok(t, c.DeleteNotificationEndpoint(ctx, e.ID))
	if secret := must(c.NotificationSigningSecret(ctx)); len(secret) < 10 {
		t.Errorf("signing secret %q", secret)
	}
	cart := cartOf(chairs(1))
	cart.Settings = &client.SessionSettings{URLs: &client.SessionURLs{Notification: "http://127.0.0.1:1/nowhere"}}
	o := order(t, c, cart, "559311-3714")
	ns := must(c.ListNotifications(ctx, client.NotificationListParams{OrderID: o.ID, Limit: 10}))
	if len(ns) != 2 || ns[0].OrderID != o.ID || len(ns[0].Payload) == 0 {
		t.Fatalf("notifications of the order = %+v", ns)
	}
	n := must(c.GetNotification(ctx, ns[0].ID))
	if len(n.Deliveries) != 1 {
		t.Fatalf("deliveries = %+v", n.Deliveries)
	}
	for deadline := time.Now().Add(10 * time.Second); len(n.Deliveries[0].Attempts) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		n = must(c.GetNotification(ctx, n.ID))
	}
	if a := n.Deliveries[0].Attempts; len(a) == 0 || a[0].Error == "" {
		t.Errorf("attempts to an address where nobody listens = %+v", a)
	}
	var redelivered *client.Notification
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var err error // a 409 while an attempt is in flight
		if redelivered, err = c.RedeliverNotification(ctx, n.ID); err == nil {
			break
		}
	}
	if redelivered == nil || redelivered.Deliveries[0].Status != "pending" || redelivered.Deliveries[0].NextAttemptAt == nil {
		t.Errorf("redelivered = %+v", redelivered)
	}

	settings := must(c.GetInvoiceSettings(ctx))
	settings.Seller.Name, settings.PaymentTerms, settings.Bankgiro = "Example AB", 20, "5050-1055"
	if s := must(c.PutInvoiceSettings(ctx, *settings)); s.Seller.Name != "Example AB" || s.PaymentTerms != 20 {
		t.Errorf("invoice settings = %+v", s)
	}

	p := must(c.GetCreditPolicy(ctx))
	p.Blocklist = []string{"556677-8899"}
	p.SignatoryAbove = map[string]int64{"SEK": 1_000_000}
	if p = must(c.PutCreditPolicy(ctx, *p)); p.Version != 1 || p.UpdatedAt == nil || len(p.Blocklist) != 1 || p.PaymentTerms == nil || *p.PaymentTerms != 20 {
		t.Errorf("credit policy = %+v", p)
	}
	order(t, c, cartOf(chairs(1)), "559311-3714") // decided under the new policy
	decisions := must(c.ListCreditDecisions(ctx, client.CreditDecisionListParams{Outcome: "approved", Limit: 1}))
	if len(decisions.Data) != 1 || decisions.NextCursor == "" || decisions.Data[0].PolicyVersion != 1 {
		t.Errorf("credit decisions = %+v", decisions)
	}
	if next := must(c.ListCreditDecisions(ctx, client.CreditDecisionListParams{Cursor: decisions.NextCursor})); len(next.Data) == 0 {
		t.Errorf("the next page is empty")
	}

	page := must(c.ListAuditEvents(ctx, client.AuditEventListParams{Limit: 2, From: time.Now().Add(-time.Hour)}))
	if len(page.Data) != 2 || page.NextCursor == "" || page.Data[0].Action == "" {
		t.Fatalf("audit events = %+v", page)
	}
	if more := must(c.ListAuditEvents(ctx, client.AuditEventListParams{Cursor: page.NextCursor, Actor: k.ClientID})); len(more.Data) == 0 || more.Data[0].ID == page.Data[0].ID {
		t.Errorf("the next page = %+v", more.Data)
	}
}

func TestTourPaymentModule(t *testing.T) {
	k := newKassa(t)
	c, ctx := k.client(), t.Context()
	if ps := must(c.PaymentProviders(ctx)); !slices.Contains(ps, "pp_system_default") {
		t.Errorf("providers = %v", ps)
	}
	col := must(c.CreateCollection(ctx, client.CollectionParams{Currency: "SEK", Amount: 10000, Metadata: json.RawMessage(`{"cart":"c-1"}`)}))
	amount := int64(12000)
	col = must(c.UpdateCollection(ctx, col.ID, client.CollectionUpdate{Amount: &amount}))
	if col.Amount != 12000 || col.Status != "not_paid" {
		t.Errorf("collection = %+v", col)
	}
	s := must(c.CreateModuleSession(ctx, col.ID, client.ModuleSessionParams{ProviderID: "pp_system_default", Amount: 8000}))
	half := int64(6000)
	s = must(c.UpdateModuleSession(ctx, s.ID, client.ModuleSessionUpdate{Amount: &half, Data: json.RawMessage(`{"po":"PO-1"}`)}))
	if s.Amount != 6000 {
		t.Errorf("session = %+v", s)
	}
	a := must(c.AuthorizeModuleSession(ctx, s.ID, nil))
	if a.Status != "authorized" || a.Payment == nil {
		t.Fatalf("authorization = %+v", a)
	}
	if again := must(c.SyncModuleSession(ctx, s.ID)); again.Payment == nil || again.Payment.ID != a.Payment.ID {
		t.Errorf("sync = %+v", again)
	}
	p := must(c.CapturePayment(ctx, a.Payment.ID, client.MovementParams{Amount: 6000}))
	p = must(c.RefundPayment(ctx, p.ID, client.MovementParams{Amount: 1000, Reason: "damaged", Note: "one chair"}))
	if p.Status != "captured" || len(p.Captures) != 1 || len(p.Refunds) != 1 || p.Refunds[0].Note != "one chair" {
		t.Errorf("payment = %+v", p)
	}
	if g := must(c.GetPayment(ctx, p.ID)); g.Version != p.Version {
		t.Errorf("read payment = %+v", g)
	}
	if g := must(c.GetModuleSession(ctx, s.ID)); g.PaymentID != p.ID || g.AuthorizedAt == nil {
		t.Errorf("read session = %+v", g)
	}
	d := must(c.GetCollection(ctx, col.ID))
	if d.CapturedAmount != 6000 || len(d.Sessions) != 1 || len(d.Payments) != 1 {
		t.Errorf("collection details = %+v", d)
	}

	// The rest of the collection: a session deleted, another authorized
	// and its payment cancelled.
	s2 := must(c.CreateModuleSession(ctx, col.ID, client.ModuleSessionParams{ProviderID: "pp_system_default", Amount: 6000}))
	ok(t, c.DeleteModuleSession(ctx, s2.ID))
	s3 := must(c.CreateModuleSession(ctx, col.ID, client.ModuleSessionParams{ProviderID: "pp_system_default", Amount: 6000}))
	a3 := must(c.AuthorizeModuleSession(ctx, s3.ID, map[string]any{"note": "second"}))
	if p3 := must(c.CancelPayment(ctx, a3.Payment.ID, client.MovementParams{})); p3.Status != "canceled" {
		t.Errorf("cancelled payment = %+v", p3)
	}

	empty := must(c.CreateCollection(ctx, client.CollectionParams{Currency: "SEK", Amount: 100}))
	if x := must(c.CancelCollection(ctx, empty.ID)); x.Status != "canceled" {
		t.Errorf("cancelled collection = %+v", x)
	}
	gone := must(c.CreateCollection(ctx, client.CollectionParams{Currency: "SEK", Amount: 100}))
	ok(t, c.DeleteCollection(ctx, gone.ID))
	list := must(c.ListCollections(ctx, client.CollectionListParams{Limit: 1}))
	if len(list) != 1 {
		t.Fatalf("collections = %+v", list)
	}
	if rest := must(c.ListCollections(ctx, client.CollectionListParams{After: list[0].ID})); len(rest) != 1 {
		t.Errorf("collections after the first = %+v", rest)
	}
	if _, err := c.GetCollection(ctx, gone.ID); !isCode(err, "not_found") {
		t.Errorf("a deleted collection = %v", err)
	}
}

func isCode(err error, code string) bool {
	e, ok := errors.AsType[*client.Error](err)
	return ok && e.Code == code
}

// A document fetched as an e-invoice is its Peppol BIS Billing 3.0 XML:
// an Invoice for the capture, a CreditNote naming it for the refund.
func TestDocumentUBL(t *testing.T) {
	k := newKassa(t)
	c, ctx := k.client(), t.Context()
	settings := must(c.GetInvoiceSettings(ctx))
	settings.Seller = client.Party{Name: "Example AB", OrgNo: "556123-4567", VATID: "SE556123456701",
		StreetAddress: "Ringvägen 10", PostalCode: "118 60", City: "Stockholm", Country: "SE"}
	settings.Bankgiro = "5050-1055"
	must(c.PutInvoiceSettings(ctx, *settings))
	o := order(t, c, cartOf(chairs(1)), "559311-3714")
	o = must(c.AcknowledgeOrder(ctx, o.ID))
	o = must(c.CaptureOrder(ctx, o.ID, client.CaptureParams{OrderLines: o.Uncaptured.OrderLines, TotalCaptureAmount: o.UncapturedAmount.MinorUnits}))
	must(c.RefundOrder(ctx, o.ID, o.Captured[0].LedgerID, "returned"))
	docs := must(c.OrderDocuments(ctx, o.ID))
	if len(docs) != 2 {
		t.Fatalf("%d documents, want an invoice and a credit note", len(docs))
	}
	inv, cn := must(c.DocumentUBL(ctx, docs[0].ID)), must(c.DocumentUBL(ctx, docs[1].ID))
	if !bytes.Contains(inv, []byte("<Invoice ")) || !bytes.Contains(inv, []byte("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0")) {
		t.Errorf("invoice:\n%s", inv)
	}
	if !bytes.Contains(cn, []byte("<CreditNote ")) || !bytes.Contains(cn, []byte("<cac:InvoiceDocumentReference>")) {
		t.Errorf("credit note:\n%s", cn)
	}
}
