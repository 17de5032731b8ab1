package dashboard_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

// camt054 is a camt.054 file with one booked SEK credit per payment:
// bank reference, payment reference, amount.
func camt054(payments ...[3]string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-05-04T18:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>MSG-1-1</Id><Acct><Id><IBAN>SE4550000000058398257466</IBAN></Id></Acct>`)
	for _, p := range payments {
		fmt.Fprintf(&b, `<Ntry><Amt Ccy="SEK">%[3]s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-05-04</Dt></BookgDt>
<NtryDtls><TxDtls><Refs><AcctSvcrRef>%[1]s</AcctSvcrRef></Refs><Amt Ccy="SEK">%[3]s</Amt>
<RmtInf><Strd><CdtrRefInf><Ref>%[2]s</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>`, p[0], p[1], p[2])
	}
	b.WriteString(`</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>`)
	return []byte(b.String())
}

// upload sends a multipart form with file as its file field, with the
// last page's CSRF token unless vs has one.
func (c *client) upload(path string, vs url.Values, file []byte) page {
	c.t.Helper()
	if _, ok := vs["csrf"]; !ok {
		vs.Set("csrf", c.csrf)
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range vs {
		mw.WriteField(k, v[0])
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", "bank.xml")
		fw.Write(file)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.e.base+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// invoiced captures the order and returns its invoice.
func (e *env) invoiced(merchantID, orderID string) *invoice.Document {
	e.t.Helper()
	ctx := e.t.Context()
	o, err := provider.View(ctx, e.app, func(tx store.ReadTx) (*order.Order, error) { return tx.Order(ctx, merchantID, orderID) })
	if err != nil {
		e.t.Fatal(err)
	}
	kassatest.Capture(e.t, e.app, o)
	docs, err := provider.View(ctx, e.app, func(tx store.ReadTx) ([]*invoice.Document, error) { return tx.OrderDocuments(ctx, merchantID, orderID) })
	if err != nil || len(docs) != 1 {
		e.t.Fatalf("documents of %s: %v, %v", orderID, docs, err)
	}
	return docs[0]
}

func (e *env) payments(merchantID string) []store.BankPayment {
	e.t.Helper()
	ps, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) ([]store.BankPayment, error) {
		return tx.BankPayments(e.t.Context(), merchantID, store.BankPaymentFilter{Limit: 100})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ps
}

func (e *env) paid(documentID string) int64 {
	e.t.Helper()
	n, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) (int64, error) { return tx.DocumentPaid(e.t.Context(), documentID) })
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) orderEvents(orderID string) []string {
	e.t.Helper()
	o, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) (*order.Order, error) { return tx.Order(e.t.Context(), e.a, orderID) })
	if err != nil {
		e.t.Fatal(err)
	}
	var types []string
	for _, ev := range o.Events {
		types = append(types, ev.Type)
	}
	return types
}

func count(ss []string, s string) (n int) {
	for _, v := range ss {
		if v == s {
			n++
		}
	}
	return n
}

// Uploading a bank file records its payments and says what became of
// them; the same file again records nothing new; a malformed, missing or
// too large file is refused with what is wrong and records nothing.
func TestPaymentsUpload(t *testing.T) { bothStores(t, testPaymentsUpload) }

func testPaymentsUpload(t *testing.T, newEnv envMaker) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	c := e.client()
	c.signIn("owner@a.example", password)
	p := c.get("/dashboard/payments")
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="no-payments"`) || !strings.Contains(p.body, `enctype="multipart/form-data"`) {
		t.Fatalf("payments page: %d\n%s", p.status, p.body)
	}
	file := camt054([3]string{"BANK-1", "1234574", "250.00"})
	p = c.upload("/dashboard/payments/import", url.Values{"once": {once(t, p)}}, file)
	if p.status != http.StatusOK || p.path != "/dashboard/payments" || !strings.Contains(p.body, "Imported the camt.054 file: 1 payment. 1 matched no invoice") || !strings.Contains(p.body, "SEK 250.00") {
		t.Fatalf("upload: %d at %s\n%s", p.status, p.path, p.body)
	}
	p = c.upload("/dashboard/payments/import", url.Values{"once": {once(t, p)}}, file)
	if !strings.Contains(p.body, "Imported the camt.054 file: 1 payment. 1 recorded before, skipped.") {
		t.Errorf("the same file again:\n%s", p.body)
	}
	if ps := e.payments(e.a); len(ps) != 1 || ps[0].Amount != 25000 || ps[0].DocumentID != "" {
		t.Fatalf("payments = %+v", ps)
	}

	// The once key of a form sent already, with another file: refused.
	used := once(t, c.get("/dashboard/payments"))
	c.upload("/dashboard/payments/import", url.Values{"once": {used}}, camt054([3]string{"BANK-2", "1234574", "1.00"}))
	for _, tt := range []struct {
		name   string
		once   string
		file   []byte
		status int
		want   string
	}{
		{"malformed", "", []byte("<not xml"), http.StatusBadRequest, `id="error"`},
		{"no file", "", nil, http.StatusBadRequest, "Choose a bank file"},
		{"not text", "", []byte("<?xml version=\"1.0\"?>\x00"), http.StatusBadRequest, "UTF-8"},
		{"too large", "", bytes.Repeat([]byte("x"), 1<<20+1), http.StatusRequestEntityTooLarge, "larger than 1024 KiB"},
		{"once key used with another file", used, camt054([3]string{"BANK-3", "1234574", "3.00"}), http.StatusUnprocessableEntity, "already sent with other values"},
	} {
		k := tt.once
		if k == "" {
			k = once(t, c.get("/dashboard/payments"))
		}
		p := c.upload("/dashboard/payments/import", url.Values{"once": {k}}, tt.file)
		if p.status != tt.status || !strings.Contains(p.body, tt.want) {
			t.Errorf("%s: %d, want %d with %q:\n%s", tt.name, p.status, tt.status, tt.want, p.body)
		}
	}
	if ps := e.payments(e.a); len(ps) != 2 { // BANK-1 and BANK-2
		t.Errorf("payments after the refused uploads = %+v", ps)
	}

	// A form that is not multipart, or without its CSRF token.
	if p := c.post("/dashboard/payments/import", url.Values{"once": {"x"}}); p.status != http.StatusBadRequest {
		t.Errorf("urlencoded import: %d", p.status)
	}
	if p := c.upload("/dashboard/payments/import", url.Values{"once": {"y"}, "csrf": {"forged"}}, file); p.status != http.StatusForbidden {
		t.Errorf("forged CSRF token: %d", p.status)
	}

	// Support reads, and may not import.
	e.newUser(e.a, "support@a.example", user.Support)
	cs := e.client()
	cs.signIn("support@a.example", password)
	p = cs.get("/dashboard/payments")
	if p.status != http.StatusOK || strings.Contains(p.body, `id="import"`) || !strings.Contains(p.body, "SEK 250.00") || strings.Contains(p.body, "Match to a document") {
		t.Errorf("support's payments page: %d\n%s", p.status, p.body)
	}
	if p := cs.upload("/dashboard/payments/import", url.Values{"once": {"z"}}, camt054([3]string{"BANK-4", "1234574", "4.00"})); p.status != http.StatusForbidden {
		t.Errorf("support's upload: %d", p.status)
	}
	if ps := e.payments(e.a); len(ps) != 2 {
		t.Errorf("payments after support's upload = %+v", ps)
	}
}

// An unmatched payment is matched to an invoice from its match page,
// once however often the form is sent; the invoice and its order are
// paid. Support may not match; another merchant's payment or document is
// not found.
func TestPaymentMatch(t *testing.T) { bothStores(t, testPaymentMatch) }

func testPaymentMatch(t *testing.T, newEnv envMaker) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	d := e.invoiced(e.a, e.aOrder)
	bDoc := e.invoiced(e.b, e.bOrder)
	c := e.client()
	c.signIn("owner@a.example", password)
	c.upload("/dashboard/payments/import", url.Values{"once": {once(t, c.get("/dashboard/payments"))}}, camt054([3]string{"BANK-1", "1234574", "100.00"}))
	ps := e.payments(e.a)
	if len(ps) != 1 || ps[0].DocumentID != "" {
		t.Fatalf("payments = %+v", ps)
	}
	pay := ps[0].ID
	matchPath := "/dashboard/payments/" + pay + "/match"

	p := c.get("/dashboard/payments?unmatched=true")
	if !strings.Contains(p.body, `href="`+matchPath+`"`) {
		t.Fatalf("unmatched payments link to no match page:\n%s", p.body)
	}
	p = c.get(matchPath)
	if p.status != http.StatusOK || !strings.Contains(p.body, "?document="+d.ID) {
		t.Fatalf("match page: %d, want the unpaid invoice to choose:\n%s", p.status, p.body)
	}
	for q, found := range map[string]bool{d.Reference: true, d.PaymentReference: true, "nothing": false, bDoc.Reference: false} {
		if p := c.get(matchPath + "?q=" + url.QueryEscape(q)); strings.Contains(p.body, "?document="+d.ID) != found || strings.Contains(p.body, bDoc.ID) {
			t.Errorf("search %q: found %v, want %v", q, !found, found)
		}
	}
	if p := c.get(matchPath + "?q=" + strings.Repeat("1", 101)); p.status != http.StatusBadRequest {
		t.Errorf("a long search: %d", p.status)
	}
	confirm := c.get(matchPath + "?document=" + d.ID)
	if confirm.status != http.StatusOK || !strings.Contains(confirm.body, `id="after">SEK 100.00`) || !strings.Contains(confirm.body, `id="confirm"`) {
		t.Fatalf("confirmation: %d\n%s", confirm.status, confirm.body)
	}
	key := once(t, confirm)

	// Support, merchant b's user, and a's owner with b's document.
	e.newUser(e.a, "support@a.example", user.Support)
	cs := e.client()
	cs.signIn("support@a.example", password)
	if p := cs.get(matchPath); p.status != http.StatusForbidden {
		t.Errorf("support's match page: %d", p.status)
	}
	cs.get("/dashboard/payments")
	if p := cs.post(matchPath, url.Values{"once": {"s1"}, "document": {d.ID}}); p.status != http.StatusForbidden {
		t.Errorf("support's match: %d", p.status)
	}
	e.newUser(e.b, "owner@b.example", user.Owner)
	cb := e.client()
	cb.signIn("owner@b.example", password)
	if p := cb.get(matchPath); p.status != http.StatusNotFound {
		t.Errorf("b's owner at a's match page: %d", p.status)
	}
	cb.get("/dashboard/payments")
	if p := cb.post(matchPath, url.Values{"once": {"b1"}, "document": {bDoc.ID}}); p.status != http.StatusNotFound {
		t.Errorf("b's owner matching a's payment: %d", p.status)
	}
	if p := c.get(matchPath + "?document=" + bDoc.ID); p.status != http.StatusNotFound {
		t.Errorf("a's confirmation with b's document: %d", p.status)
	}
	c.get(matchPath)
	if p := c.post(matchPath, url.Values{"once": {"a1"}, "document": {bDoc.ID}}); p.status != http.StatusNotFound {
		t.Errorf("a's owner matching to b's document: %d", p.status)
	}
	if p := c.post(matchPath, url.Values{"once": {"a2"}, "document": {"doc_missing"}}); p.status != http.StatusNotFound {
		t.Errorf("matching to no document: %d", p.status)
	}
	if ps := e.payments(e.a); ps[0].DocumentID != "" || e.paid(d.ID) != 0 || e.paid(bDoc.ID) != 0 {
		t.Fatalf("a refused match changed something: %+v", ps)
	}

	// Confirmed, twice with the same once key: one match.
	c.get(matchPath + "?document=" + d.ID)
	for i := range 2 {
		p := c.post(matchPath, url.Values{"once": {key}, "document": {d.ID}})
		if p.status != http.StatusOK || p.path != "/dashboard/payments" || !strings.Contains(p.body, "Its order is now paid.") {
			t.Errorf("match %d: %d at %s\n%s", i, p.status, p.path, p.body)
		}
	}
	if ps := e.payments(e.a); ps[0].DocumentID != d.ID || e.paid(d.ID) != 10000 {
		t.Errorf("after the match: payment %+v, paid %d", ps[0], e.paid(d.ID))
	}
	if n := count(e.orderEvents(e.aOrder), order.EventPaid); n != 1 {
		t.Errorf("paid events = %d, want 1", n)
	}
	if p := c.post(matchPath, url.Values{"once": {"a3"}, "document": {d.ID}}); p.status != http.StatusConflict || !strings.Contains(p.body, "already matched") {
		t.Errorf("matching it again: %d\n%s", p.status, p.body)
	}
	if p := c.get("/dashboard/payments?unmatched=yes"); p.status != http.StatusBadRequest || strings.Contains(p.body, "SEK 100.00") {
		t.Errorf("a bad filter: %d, want 400 listing nothing", p.status)
	}
	if p := c.get("/dashboard/payments?unmatched=true"); !strings.Contains(p.body, `id="no-payments"`) {
		t.Errorf("unmatched payments after the match:\n%s", p.body)
	}
	if p := c.get("/dashboard/payments"); !strings.Contains(p.body, `<a href="/dashboard/documents/`+d.ID+`">Matched</a>`) {
		t.Errorf("all payments after the match:\n%s", p.body)
	}
	if p := c.get(matchPath); !strings.Contains(p.body, `id="matched"`) || strings.Contains(p.body, `id="confirm"`) {
		t.Errorf("the match page of a matched payment:\n%s", p.body)
	}
	if es := e.events("POST /dashboard/payments/{id}/match"); len(es) == 0 {
		t.Error("no audit events of the matches")
	}
}

// The invoices page lists documents by kind, unpaid and overdue, linking
// each to its PDF and its order; a filter it cannot read is 400.
func TestInvoicesList(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	d := e.invoiced(e.a, e.aOrder)
	e.invoiced(e.b, e.bOrder)
	c := e.client()
	c.signIn("owner@a.example", password)
	has := func(q string) bool {
		t.Helper()
		p := c.get("/dashboard/invoices" + q)
		if p.status != http.StatusOK {
			t.Errorf("invoices%s: %d", q, p.status)
		}
		return strings.Contains(p.body, `id="document-`+d.ID+`"`)
	}
	p := c.get("/dashboard/invoices")
	for _, want := range []string{`href="/dashboard/documents/` + d.ID + `"`, `href="/dashboard/orders/` + e.aOrder + `"`, "Köpare AB", "Unpaid"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("invoices page lacks %s", want)
		}
	}
	if strings.Count(p.body, `id="document-`) != 1 {
		t.Errorf("invoices page lists another merchant's documents:\n%s", p.body)
	}
	for q, want := range map[string]bool{"?kind=invoice": true, "?kind=creditNote": false, "?unpaid=true": true, "?overdue=true": false} {
		if has(q) != want {
			t.Errorf("invoices%s: listed %v, want %v", q, !want, want)
		}
	}
	e.clock.Advance(time.Duration(invoice.DefaultPaymentTerms+1) * 24 * time.Hour)
	c.signIn("owner@a.example", password) // the session has lapsed meanwhile
	if !has("?overdue=true") || !strings.Contains(c.get("/dashboard/invoices").body, "Overdue") {
		t.Error("an invoice past its due date is not overdue")
	}
	for _, bad := range []string{"kind=receipt", "cursor=yesterday"} {
		if p := c.get("/dashboard/invoices?" + bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="error"`) || strings.Contains(p.body, d.ID) {
			t.Errorf("%s: %d, want 400 listing nothing:\n%s", bad, p.status, p.body)
		}
	}
}

// quotes numbers the sessions' references.
var quotes atomic.Int64

// session makes a payment session of a's; with buyer, authorized by it
// (a signatory's test company leaves it awaiting a signatory).
func (e *env) session(buyer *order.Customer) string {
	e.t.Helper()
	ctx := e.t.Context()
	cur, country := "SEK", "SE"
	price := int64(5000)
	lines := []order.Line{{Type: order.TypePhysical, Reference: "B", Description: "Chair", Quantity: 1, UnitPrice: &price, VAT: 2500, TotalAmount: 5000, TotalVATAmount: 1000}}
	var id string
	ref := "Quote " + strconv.FormatInt(1041+quotes.Add(1), 10)
	err := e.app.Update(ctx, func(tx store.Tx) error {
		ps, err := e.app.CreateSession(ctx, tx, e.a, session.Params{Currency: &cur, Country: &country, Reference: &ref, Lines: lines, Totals: order.Totals{Amount: 5000, VATAmount: 1000}})
		if err != nil || buyer == nil {
			id = ps.ID
			return err
		}
		id = ps.ID
		_, err = e.app.ChangeSession(ctx, tx, e.a, ps.ID, func(ps *session.Session, env order.Env) (*session.Session, error) {
			next, _, err := e.app.Authorize(ctx, tx, ps, provider.Confirmation{Buyer: *buyer, Method: order.Invoice}, env)
			return next, err
		})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) sessionState(id string) string {
	e.t.Helper()
	ps, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) (*session.Session, error) { return tx.Session(e.t.Context(), e.a, id) })
	if err != nil {
		e.t.Fatal(err)
	}
	return ps.StateAt(e.clock.Now())
}

// The sessions page lists open sessions and those awaiting a signatory
// by default, any state on request; a session awaiting its signatory is
// cancelled from its confirmation page, by a role that may cancel.
func TestSessionsList(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	open := e.session(nil)
	signer := kassatest.Buyer
	signer.CompanyID, signer.CompanyName = risk.SignatoryCompany, "Firmatecknare AB"
	waiting := e.session(&signer)
	if st := e.sessionState(waiting); st != session.StateAwaitingSignatory {
		t.Fatalf("the signatory company's session is %s", st)
	}
	c := e.client()
	c.signIn("owner@a.example", password)
	p := c.get("/dashboard/sessions")
	cancelPath := "/dashboard/sessions/" + waiting + "/cancel"
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="session-`+open+`"`) || !strings.Contains(p.body, `id="session-`+waiting+`"`) ||
		strings.Count(p.body, `class="cancel"`) != 1 || !strings.Contains(p.body, `href="`+cancelPath+`"`) || !strings.Contains(p.body, "Firmatecknare AB") {
		t.Fatalf("sessions page: %d\n%s", p.status, p.body)
	}
	if p := c.get("/dashboard/sessions?status=authorized"); strings.Contains(p.body, open) || strings.Contains(p.body, waiting) || !strings.Contains(p.body, `href="/dashboard/orders/`+e.aOrder+`"`) {
		t.Errorf("authorised sessions:\n%s", p.body)
	}
	if p := c.get("/dashboard/sessions?status=any"); strings.Count(p.body, `id="session-`) != 3 {
		t.Errorf("any state: %d sessions, want 3", strings.Count(p.body, `id="session-`))
	}
	for _, bad := range []string{"status=paid", "cursor=x"} {
		if p := c.get("/dashboard/sessions?" + bad); p.status != http.StatusBadRequest || strings.Contains(p.body, waiting) {
			t.Errorf("%s: %d, want 400 listing nothing", bad, p.status)
		}
	}

	// Support may not cancel; nor may b's owner, who finds no session.
	e.newUser(e.a, "support@a.example", user.Support)
	cs := e.client()
	cs.signIn("support@a.example", password)
	if p := cs.get("/dashboard/sessions"); strings.Contains(p.body, `class="cancel"`) {
		t.Error("support is offered to cancel")
	}
	if p := cs.get(cancelPath); p.status != http.StatusForbidden {
		t.Errorf("support's cancel page: %d", p.status)
	}
	if p := cs.post(cancelPath, url.Values{"once": {"s1"}}); p.status != http.StatusForbidden {
		t.Errorf("support's cancel: %d", p.status)
	}
	e.newUser(e.b, "owner@b.example", user.Owner)
	cb := e.client()
	cb.signIn("owner@b.example", password)
	if p := cb.get(cancelPath); p.status != http.StatusNotFound {
		t.Errorf("b's owner at a's cancel page: %d", p.status)
	}
	cb.get("/dashboard/sessions")
	if p := cb.post(cancelPath, url.Values{"once": {"b1"}}); p.status != http.StatusNotFound {
		t.Errorf("b's owner cancelling a's session: %d", p.status)
	}
	if st := e.sessionState(waiting); st != session.StateAwaitingSignatory {
		t.Fatalf("a refused cancel changed the session: %s", st)
	}

	// An open session cannot be cancelled; the one awaiting its
	// signatory is, once.
	c.get("/dashboard/sessions/" + open + "/cancel")
	if p := c.post("/dashboard/sessions/"+open+"/cancel", url.Values{"once": {"a1"}}); p.status != http.StatusConflict {
		t.Errorf("cancelling an open session: %d", p.status)
	}
	p = c.get(cancelPath)
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="confirm"`) {
		t.Fatalf("cancel page: %d\n%s", p.status, p.body)
	}
	key := once(t, p)
	for i := range 2 {
		if p := c.post(cancelPath, url.Values{"once": {key}}); p.status != http.StatusOK || p.path != "/dashboard/sessions" || !strings.Contains(p.body, "The payment session is cancelled.") {
			t.Errorf("cancel %d: %d at %s", i, p.status, p.path)
		}
	}
	if st := e.sessionState(waiting); st != session.StateCancelled {
		t.Errorf("the session is %s after its cancel", st)
	}
	if p := c.get("/dashboard/sessions"); strings.Contains(p.body, waiting) || !strings.Contains(p.body, open) {
		t.Errorf("open sessions after the cancel:\n%s", p.body)
	}
}
