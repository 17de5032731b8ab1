package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/invoice/pdf/pdftest"
	"github.com/kassa-pay/kassa/store"
)

// chunkDocs is the document fields of an order's chunks.
type chunkDocs struct {
	Captured []struct{ LedgerID, DocumentReference, DocumentURL string }
	Refunded []struct{ LedgerID, DocumentReference, DocumentURL string }
}

type docList struct {
	Documents []struct {
		ID, Kind, DocumentReference, DocumentURL, LedgerID, Credits, PaymentReference, DueDate string
		TotalAmount, PayableAmount, PaidAmount                                                 struct{ MinorUnits int64 }
	}
}

// documents reads an order's stored documents, with their access tokens.
func (e *env) documents(orderID string) []*invoice.Document {
	e.t.Helper()
	var docs []*invoice.Document
	err := e.store.View(context.Background(), func(tx store.ReadTx) (err error) {
		docs, err = tx.OrderDocuments(context.Background(), e.a.merchantID, orderID)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return docs
}

// Captures issue invoices and refunds credit notes in the same request;
// each chunk links its PDF, which only its merchant can fetch, and the
// buyer fetches it through the unguessable link.
func TestInvoiceDocuments(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: map[string]any{
			"seller":       map[string]any{"name": "Merchant A AB", "orgNo": "556000-0001", "vatId": "SE556000000101"},
			"paymentTerms": 10, "bankgiro": "123-4567",
		}})
		if resp := e.do(request{method: "PUT", path: "/v1/invoice-settings", body: map[string]any{"paymentTerms": -3}}); resp.status != 400 {
			t.Errorf("negative payment terms = %d %s, want 400", resp.status, resp.body)
		}
		id := e.order(cart(line("A", 2, 10000), line("B", 1, 5000)))
		base := "/v1/orders/" + id
		e.must(201, request{method: "POST", path: base + "/acknowledge"})
		var o chunkDocs
		e.must(200, request{method: "POST", path: base + "/partialcapture", body: map[string]any{
			"orderLines": []any{line("A", 2, 10000)}, "totalCaptureAmount": 20000,
		}}).decode(t, &o)
		if len(o.Captured) != 1 || o.Captured[0].DocumentReference != "1" || o.Captured[0].DocumentURL == "" {
			t.Fatalf("after capture: %+v, want document 1 with a URL", o.Captured)
		}
		e.must(200, request{method: "POST", path: base + "/capture", body: map[string]any{
			"orderLines": []any{line("B", 1, 5000)}, "totalCaptureAmount": 5000,
		}})
		e.must(200, request{method: "POST", path: base + "/partialrefund/" + o.Captured[0].LedgerID, body: map[string]any{
			"orderLines": []any{line("A", 1, 10000)}, "totalRefundAmount": 10000,
		}}).decode(t, &o)
		if len(o.Refunded) != 1 || o.Refunded[0].DocumentReference != "3" || o.Captured[1].DocumentReference != "2" {
			t.Fatalf("after refund: %+v", o)
		}

		var list docList
		e.must(200, request{method: "GET", path: base + "/documents"}).decode(t, &list)
		if len(list.Documents) != 3 {
			t.Fatalf("documents = %+v, want 3", list)
		}
		inv, cn := list.Documents[0], list.Documents[2]
		if inv.Kind != "invoice" || inv.TotalAmount.MinorUnits != 20000 || inv.PayableAmount.MinorUnits != 20000 ||
			!invoice.ValidOCR(inv.PaymentReference) || inv.DueDate != "2026-03-14" {
			t.Errorf("invoice = %+v", inv)
		}
		if cn.Kind != "creditNote" || cn.Credits != "1" || cn.TotalAmount.MinorUnits != -10000 || cn.PaymentReference != "" {
			t.Errorf("credit note = %+v", cn)
		}

		path := strings.TrimPrefix(o.Captured[0].DocumentURL, "https://kassa.test")
		resp := e.must(200, request{method: "GET", path: path})
		if ct := resp.header.Get("Content-Type"); ct != "application/pdf" {
			t.Errorf("Content-Type = %q", ct)
		}
		text := pdftest.Text(t, resp.body)
		for _, want := range []string{"Invoice", "Merchant A AB", "Buyer AB", inv.PaymentReference, "123-4567"} {
			if !strings.Contains(text, want) {
				t.Errorf("invoice PDF lacks %q:\n%s", want, text)
			}
		}
		if resp := e.do(request{method: "GET", path: path, as: &e.b}); resp.status != 404 || resp.code() != "not_found" {
			t.Errorf("merchant B fetching A's document = %d %s, want 404", resp.status, resp.body)
		}
		if resp := e.do(request{method: "GET", path: base + "/documents", as: &e.b}); resp.status != 404 {
			t.Errorf("merchant B listing A's documents = %d, want 404", resp.status)
		}

		docs := e.documents(id)
		buyerResp := e.must(200, request{method: "GET", path: docs[2].BuyerPath()})
		if text := pdftest.Text(t, buyerResp.body); !strings.Contains(text, "Credit note") || !strings.Contains(text, "Credits invoice") {
			t.Errorf("buyer's credit note PDF:\n%s", text)
		}
		if resp := e.do(request{method: "GET", path: "/invoices/" + strings.Repeat("x", 43)}); resp.status != 404 {
			t.Errorf("a made-up token = %d, want 404", resp.status)
		}

		// Each document's e-mail was queued with it, once.
		var mails struct {
			Mails []struct {
				DocumentID, MessageID, Subject string
				To                             []string
			}
		}
		e.must(200, request{method: "GET", path: "/v1/sandbox/mails"}).decode(t, &mails)
		if len(mails.Mails) != 3 || mails.Mails[2].DocumentID != inv.ID || mails.Mails[2].To[0] != "buyer@example.com" ||
			mails.Mails[2].Subject != "Invoice 1 from Merchant A AB" || mails.Mails[2].MessageID != inv.ID+"@kassa.test" {
			t.Errorf("mail log = %+v", mails)
		}
		e.must(200, request{method: "GET", path: "/v1/sandbox/mails", as: &e.b}).decode(t, &mails)
		if len(mails.Mails) != 0 {
			t.Errorf("merchant B's mail log = %+v", mails)
		}
	})
}

// Converting to advance invoice issues the advance invoice at once.
func TestAdvanceInvoiceDocument(t *testing.T) {
	e := newEnv(t)
	id := e.order(cart(line("A", 1, 10000)))
	e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/paymentmethod", body: map[string]any{"paymentMethod": map[string]any{"provider": "ledyer", "type": "advanceInvoice"}}})
	var list docList
	e.must(200, request{method: "GET", path: "/v1/orders/" + id + "/documents"}).decode(t, &list)
	if len(list.Documents) != 1 || list.Documents[0].Kind != "advanceInvoice" || list.Documents[0].PayableAmount.MinorUnits != 10000 {
		t.Fatalf("documents after conversion = %+v, want one advance invoice of 10000", list)
	}
}

// Concurrent captures of different orders get document numbers 1..n,
// none skipped or repeated.
func TestDocumentNumbersConcurrent(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		const n = 12
		ids := make([]string, n)
		for i := range ids {
			ids[i] = e.order(cart(line("A", 1, 10000)))
		}
		e.token(&e.a) // cache the token before the goroutines share it
		capture := map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}
		var wg sync.WaitGroup
		status := make([]int, n)
		for i, id := range ids {
			wg.Go(func() {
				status[i] = e.do(request{method: "POST", path: "/v1/orders/" + id + "/capture", body: capture}).status
			})
		}
		wg.Wait()
		seen := map[string]bool{}
		for i, id := range ids {
			if status[i] != 200 {
				t.Fatalf("capture %d = %d", i, status[i])
			}
			for _, d := range e.documents(id) {
				seen[d.Reference()] = true
			}
		}
		for k := 1; k <= n; k++ {
			if !seen[fmt.Sprint(k)] {
				t.Errorf("document %d missing; have %v", k, seen)
			}
		}
	})
}

// An automatic capture issues its invoice like a requested one.
func TestAutoCaptureIssuesInvoice(t *testing.T) {
	e := newEnv(t)
	c := cart(line("A", 1, 10000))
	tok := e.authorize(e.session(c), buyer)
	body := withCustomer(c, buyer)
	body["autoCapture"] = map[string]any{"enabled": true, "delayMinutes": 1}
	var o struct{ OrderID string }
	e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + tok + "/order", body: body}).decode(t, &o)
	e.clock.Advance(time.Minute)
	if n, err := e.srv.CaptureDueOrders(t.Context()); n != 1 || err != nil {
		t.Fatalf("CaptureDueOrders = %d, %v", n, err)
	}
	var got chunkDocs
	e.must(200, request{method: "GET", path: "/v1/orders/" + o.OrderID}).decode(t, &got)
	if len(got.Captured) != 1 || got.Captured[0].DocumentReference != "1" || len(e.documents(o.OrderID)) != 1 {
		t.Errorf("after the automatic capture: %+v, documents %d", got.Captured, len(e.documents(o.OrderID)))
	}
}

// An unpaid invoice past its due date gets one reminder, however many
// processes scan; a paid one gets none.
func TestOverdueReminder(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		capture := map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}
		unpaid, paid := e.order(cart(line("A", 1, 10000))), e.order(cart(line("A", 1, 10000)))
		e.must(200, request{method: "POST", path: "/v1/orders/" + unpaid + "/capture", body: capture})
		e.must(200, request{method: "POST", path: "/v1/orders/" + paid + "/capture", body: capture})
		e.must(200, request{method: "POST", path: "/v1/sandbox/payments", body: map[string]any{
			"paymentReference": e.documents(paid)[0].PaymentReference, "amount": 10000, "currency": "SEK",
		}})
		if n, err := e.srv.RemindOverdue(t.Context()); n != 0 || err != nil {
			t.Fatalf("before the due date: %d, %v", n, err)
		}
		e.clock.Advance(31 * 24 * time.Hour)
		other := api.NewServer(slog.New(slog.DiscardHandler), api.Config{PublicURL: "https://kassa.test"}, e.store, e.clock, otherIDs(), mustSigner(t, e))
		var wg sync.WaitGroup
		var total [2]int
		for i, s := range []*api.Server{e.srv, other} {
			wg.Go(func() {
				n, err := s.RemindOverdue(context.Background())
				if err != nil {
					t.Error(err)
				}
				total[i] = n
			})
		}
		wg.Wait()
		if total[0]+total[1] != 1 {
			t.Errorf("reminders sent by the two processes = %v, want 1 in all", total)
		}
		var mails struct {
			Mails []struct{ DocumentID, Subject, MessageID string }
		}
		e.must(200, request{method: "GET", path: "/v1/sandbox/mails"}).decode(t, &mails)
		var reminders []string
		for _, m := range mails.Mails {
			if strings.HasPrefix(m.Subject, "Reminder: ") {
				reminders = append(reminders, m.DocumentID)
			}
		}
		if want := e.documents(unpaid)[0].ID; len(reminders) != 1 || reminders[0] != want {
			t.Errorf("reminders for %v, want one for %s", reminders, want)
		}
	})
}
