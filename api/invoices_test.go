package api_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/invoice/pdf/pdftest"
	"github.com/kassa-pay/kassa/jobs"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/observe"
	"github.com/kassa-pay/kassa/provider"
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
		Number                                                                                 int64
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

// Captures issue invoices and refunds credit notes in the same request,
// with the reference the chunk shows; they are numbered after, or when
// their PDF is fetched first. Each chunk links its PDF, which only its
// merchant can fetch, and the buyer fetches it through the unguessable
// link.
func TestInvoiceDocuments(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: map[string]any{
			"seller":       map[string]any{"name": "Merchant A AB", "orgNo": "556000-0001", "vatId": "SE556000000101", "country": "SE"},
			"paymentTerms": 10, "bankgiro": "5050-1055",
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
		if len(o.Captured) != 1 || !invoice.ValidOCR(o.Captured[0].DocumentReference) || o.Captured[0].DocumentURL == "" {
			t.Fatalf("after capture: %+v, want a document reference and URL", o.Captured)
		}
		e.must(200, request{method: "POST", path: base + "/capture", body: map[string]any{
			"orderLines": []any{line("B", 1, 5000)}, "totalCaptureAmount": 5000,
		}})
		e.must(200, request{method: "POST", path: base + "/partialrefund/" + o.Captured[0].LedgerID, body: map[string]any{
			"orderLines": []any{line("A", 1, 10000)}, "totalRefundAmount": 10000,
		}}).decode(t, &o)
		if len(o.Refunded) != 1 || len(o.Captured) != 2 {
			t.Fatalf("after refund: %+v", o)
		}

		// Not numbered yet: this server runs no numbering job, and no PDF
		// was fetched.
		var list docList
		e.must(200, request{method: "GET", path: base + "/documents"}).decode(t, &list)
		if len(list.Documents) != 3 {
			t.Fatalf("documents = %+v, want 3", list)
		}
		for i, ref := range []string{o.Captured[0].DocumentReference, o.Captured[1].DocumentReference, o.Refunded[0].DocumentReference} {
			if d := list.Documents[i]; d.DocumentReference != ref || d.Number != 0 {
				t.Errorf("document %d = %+v, want reference %s and no number yet", i, d, ref)
			}
		}
		if mails := e.mails(&e.a); len(mails) != 0 {
			t.Errorf("mails before numbering: %+v", mails)
		}

		// Fetching a PDF numbers it, and all others waiting, first.
		path := strings.TrimPrefix(o.Captured[0].DocumentURL, "https://kassa.test")
		resp := e.must(200, request{method: "GET", path: path})
		e.must(200, request{method: "GET", path: base + "/documents"}).decode(t, &list)
		inv, cn := list.Documents[0], list.Documents[2]
		for i, d := range list.Documents {
			if d.Number != int64(i+1) {
				t.Errorf("document %d numbered %d, want %d", i, d.Number, i+1)
			}
		}
		if inv.Kind != "invoice" || inv.TotalAmount.MinorUnits != 20000 || inv.PayableAmount.MinorUnits != 20000 ||
			inv.PaymentReference != inv.DocumentReference || inv.DueDate != "2026-03-14" {
			t.Errorf("invoice = %+v", inv)
		}
		if cn.Kind != "creditNote" || cn.Credits != "1" || cn.TotalAmount.MinorUnits != -10000 || cn.PaymentReference != "" {
			t.Errorf("credit note = %+v", cn)
		}
		if ct := resp.header.Get("Content-Type"); ct != "application/pdf" {
			t.Errorf("Content-Type = %q", ct)
		}
		text := strings.Join(strings.Fields(pdftest.Text(t, resp.body)), " ")
		for _, want := range []string{"Faktura", "Nummer 1 Referens " + inv.DocumentReference, "Merchant A AB", "Buyer AB", inv.PaymentReference, "5050-1055"} {
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
		buyerPath, err := docs[2].BuyerPath(kassatest.KEK())
		if err != nil {
			t.Fatal(err)
		}
		buyerResp := e.must(200, request{method: "GET", path: buyerPath})
		if text := pdftest.Text(t, buyerResp.body); !strings.Contains(text, "Kreditfaktura") || !strings.Contains(text, "Krediterar faktura") {
			t.Errorf("buyer's credit note PDF:\n%s", text)
		}
		if resp := e.do(request{method: "GET", path: "/invoices/" + strings.Repeat("x", 43)}); resp.status != 404 {
			t.Errorf("a made-up token = %d, want 404", resp.status)
		}

		// Each document's e-mail was queued when it was numbered, once.
		if n, err := e.app.NumberDocuments(t.Context()); n != 0 || err != nil {
			t.Errorf("NumberDocuments after all were numbered = %d, %v", n, err)
		}
		mails := e.mails(&e.a)
		if len(mails) != 3 || mails[2].DocumentID != inv.ID || mails[2].To[0] != "buyer@example.com" ||
			mails[2].Subject != "Faktura 1 från Merchant A AB" || mails[2].MessageID != inv.ID+"@kassa.test" {
			t.Errorf("mail log = %+v", mails)
		}
		if mails := e.mails(&e.b); len(mails) != 0 {
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
// none skipped or repeated, from two processes numbering at once: one
// woken by its own captures, one by its timer.
func TestDocumentNumbersConcurrent(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		ctx, stop := context.WithCancel(t.Context())
		var running sync.WaitGroup
		defer running.Wait()
		defer stop()
		other := e.other(provider.Config{PublicURL: "https://kassa.test"})
		running.Go(func() { jobs.Numbering(e.app, time.Hour).Run(ctx, slog.New(slog.DiscardHandler), observe.New()) })
		running.Go(func() { jobs.Numbering(other, time.Millisecond).Run(ctx, slog.New(slog.DiscardHandler), observe.New()) })
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
		for i := range ids {
			if status[i] != 200 {
				t.Fatalf("capture %d = %d", i, status[i])
			}
		}
		seen := map[int64]bool{}
		for deadline := time.Now().Add(time.Minute); len(seen) < n && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			clear(seen) // until the numberers are done, or surely stuck
			for _, id := range ids {
				for _, d := range e.documents(id) {
					if d.Number != 0 {
						seen[d.Number] = true
					}
				}
			}
		}
		for k := int64(1); k <= n; k++ {
			if !seen[k] {
				t.Errorf("document %d missing; have %v", k, seen)
			}
		}
		mailed := map[string]int{}
		for _, m := range e.mails(&e.a) {
			mailed[m.DocumentID]++
		}
		for _, id := range ids {
			if d := e.documents(id)[0]; mailed[d.ID] != 1 {
				t.Errorf("document %s has %d mails, want 1", d.ID, mailed[d.ID])
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
	if n, err := e.app.CaptureDueOrders(t.Context()); n != 1 || err != nil {
		t.Fatalf("CaptureDueOrders = %d, %v", n, err)
	}
	var got chunkDocs
	e.must(200, request{method: "GET", path: "/v1/orders/" + o.OrderID}).decode(t, &got)
	if docs := e.documents(o.OrderID); len(got.Captured) != 1 || len(docs) != 1 || got.Captured[0].DocumentReference != docs[0].Reference {
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
		if _, err := e.app.NumberDocuments(t.Context()); err != nil {
			t.Fatal(err)
		}
		e.must(200, request{method: "POST", path: "/v1/sandbox/payments", body: map[string]any{
			"paymentReference": e.documents(paid)[0].PaymentReference, "amount": 10000, "currency": "SEK",
		}})
		if n, err := e.app.RemindOverdue(t.Context()); n != 0 || err != nil {
			t.Fatalf("before the due date: %d, %v", n, err)
		}
		e.clock.Advance(31 * 24 * time.Hour)
		other := e.other(provider.Config{PublicURL: "https://kassa.test"})
		var wg sync.WaitGroup
		var total [2]int
		for i, s := range []*provider.Service{e.app, other} {
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
		var reminders []string
		for _, m := range e.mails(&e.a) {
			if strings.HasPrefix(m.Subject, "Påminnelse: ") {
				reminders = append(reminders, m.DocumentID)
			}
		}
		if want := e.documents(unpaid)[0].ID; len(reminders) != 1 || reminders[0] != want {
			t.Errorf("reminders for %v, want one for %s", reminders, want)
		}
	})
}

// mail is an entry of the sandbox mail log.
type mail struct {
	DocumentID, MessageID, Subject string
	To                             []string
}

// mails is c's merchant's sandbox mail log, newest first.
func (e *env) mails(c *creds) []mail {
	e.t.Helper()
	var log struct{ Mails []mail }
	e.must(200, request{method: "GET", path: "/v1/sandbox/mails", as: c}).decode(e.t, &log)
	return log.Mails
}

// The numbering job numbers a document soon after the capture that issued it,
// woken by the commit: its timer here never fires.
func TestNumberingWakesAfterCapture(t *testing.T) {
	e := newEnv(t)
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		jobs.Numbering(e.app, time.Hour).Run(ctx, slog.New(slog.DiscardHandler), observe.New())
		close(done)
	}()
	defer func() { stop(); <-done }()
	capture := map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}
	for i := range 2 { // the second can only be numbered by a wake-up: the first pass is over by then
		id := e.order(cart(line("A", 1, 10000)))
		e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/capture", body: capture})
		deadline := time.Now().Add(time.Minute)
		for e.documents(id)[0].Number == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := e.documents(id)[0].Number; got != int64(i+1) {
			t.Fatalf("invoice of capture %d numbered %d, want %d", i+1, got, i+1)
		}
	}
}
