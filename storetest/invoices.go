package storetest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
)

// issueInvoice captures o whole and stores its invoice, unnumbered, in the
// same transaction, as the API does.
func (f *fixture) issueInvoice(o *order.Order, ref string) (*order.Order, *invoice.Document, error) {
	next, err := o.Capture(f.env(), order.CaptureRequest{Lines: o.Uncaptured.Lines, TotalAmount: o.UncapturedAmount()})
	if err != nil {
		return nil, nil, err
	}
	var d *invoice.Document
	err = f.s.Update(f.ctx, func(tx store.Tx) error {
		settings, err := tx.InvoiceSettings(f.ctx, o.MerchantID)
		if err != nil {
			return err
		}
		d, err = invoice.Issue(next, invoice.Need{Kind: invoice.KindInvoice, LedgerID: next.Captured[0].LedgerID}, invoice.Params{
			ID: f.ids.New("iv_"), Reference: ref, Settings: *settings, AccessToken: f.ids.New("tok_"), Now: f.now,
		}, nil, nil)
		if err != nil {
			return err
		}
		d.SealToken(kassatest.KEK())
		if err := tx.UpdateOrder(f.ctx, next, next.Events[len(o.Events):]); err != nil {
			return err
		}
		return tx.CreateDocument(f.ctx, d)
	})
	return next, d, err
}

// numberDocuments numbers up to limit documents in a transaction of its
// own and returns them.
func (f *fixture) numberDocuments(limit int) []*invoice.Document {
	var docs []*invoice.Document
	f.mustUpdate(func(tx store.Tx) (err error) { docs, err = tx.NumberDocuments(f.ctx, limit); return err })
	return docs
}

func testDocuments(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	settings := &invoice.Settings{Seller: invoice.Party{Name: "Säljaren AB", OrgNo: "556000-0001", Country: "SE"}, PaymentTerms: 15, Bankgiro: "123-4567"}
	f.mustUpdate(func(tx store.Tx) error { return tx.PutInvoiceSettings(ctx, m, settings) })
	if got := mustRead(f, func(tx store.ReadTx) (*invoice.Settings, error) { return tx.InvoiceSettings(ctx, other) }); !cmp.Equal(got, &invoice.Settings{}) {
		t.Errorf("InvoiceSettings of a merchant without any = %+v, want the zero value", got)
	}

	o := f.newOrder(m, 0)
	f.createOrder(o)
	ocr, _ := invoice.NewOCR("1000001")
	o, d, err := f.issueInvoice(o, ocr)
	f.ok("issue", err)
	if d.Number != 0 || d.Reference != ocr || d.Seller.Name != "Säljaren AB" || !d.DueDate.Equal(d.IssueDate.AddDate(0, 0, 15)) {
		t.Errorf("issued document: number %d, reference %s, seller %q, due %s", d.Number, d.Reference, d.Seller.Name, d.DueDate)
	}
	reads := map[string]func(store.ReadTx) (*invoice.Document, error){
		"Document":                   func(tx store.ReadTx) (*invoice.Document, error) { return tx.Document(ctx, m, d.ID) },
		"DocumentByToken":            func(tx store.ReadTx) (*invoice.Document, error) { return tx.DocumentByToken(ctx, d.AccessToken) },
		"DocumentByPaymentReference": func(tx store.ReadTx) (*invoice.Document, error) { return tx.DocumentByPaymentReference(ctx, m, ocr) },
	}
	readAll := func(issued *invoice.Document) {
		t.Helper()
		want := *issued
		want.AccessToken = "" // the store keeps the token's hash and its sealed copy, never the token
		for name, get := range reads {
			got, err := read(f, get)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
			}
		}
		docs := mustRead(f, func(tx store.ReadTx) ([]*invoice.Document, error) { return tx.OrderDocuments(ctx, m, o.ID) })
		if len(docs) == 0 || !cmp.Equal(docs[0], &want) {
			t.Errorf("OrderDocuments = %v, want %s first", docs, want.ID)
		}
	}
	readAll(d) // unnumbered

	numbered := f.numberDocuments(10)
	if len(numbered) != 1 || numbered[0].ID != d.ID || numbered[0].Number != 1 {
		t.Fatalf("NumberDocuments = %v, want %s numbered 1", numbered, d.ID)
	}
	d.Number = 1
	readAll(d)
	if again := f.numberDocuments(10); len(again) != 0 {
		t.Errorf("NumberDocuments numbered %v again", again)
	}

	// A credit note shows the number of the invoice it credits.
	refunded, err := o.Refund(f.env(), o.Captured[0].LedgerID, "")
	f.ok("Refund", err)
	cnRef, _ := invoice.NewOCR("1000002")
	cn, err := invoice.Issue(refunded, invoice.Need{Kind: invoice.KindCreditNote, LedgerID: refunded.Refunded[0].LedgerID},
		invoice.Params{ID: f.ids.New("iv_"), Reference: cnRef, AccessToken: f.ids.New("tok_"), Now: f.now}, d, nil)
	f.ok("Issue credit note", err)
	cn.SealToken(kassatest.KEK())
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateDocument(ctx, cn) })
	if numbered := f.numberDocuments(10); len(numbered) != 1 || numbered[0].Number != 2 {
		t.Fatalf("NumberDocuments = %v, want the credit note numbered 2", numbered)
	}
	docs := mustRead(f, func(tx store.ReadTx) ([]*invoice.Document, error) { return tx.OrderDocuments(ctx, m, o.ID) })
	if len(docs) != 2 || docs[0].ID != d.ID || docs[1].ID != cn.ID || docs[1].Credits != 1 || docs[1].RefersTo != d.ID {
		t.Errorf("OrderDocuments = %+v, want the invoice, then its credit note", docs)
	}

	// IssueBasis reads what InvoiceSettings, Merchant and OrderDocuments
	// read; the documents only when asked for.
	owner := mustRead(f, func(tx store.ReadTx) (*merchant.Merchant, error) { return tx.Merchant(ctx, m) })
	basis := mustRead(f, func(tx store.ReadTx) (*store.IssueBasis, error) { return tx.IssueBasis(ctx, m, o.ID) })
	want := &store.IssueBasis{Settings: mustRead(f, func(tx store.ReadTx) (*invoice.Settings, error) { return tx.InvoiceSettings(ctx, m) }),
		MerchantName: owner.Name, Documents: docs}
	if diff := cmp.Diff(want, basis); diff != "" || owner.Name == "" {
		t.Errorf("IssueBasis mismatch (-want +got):\n%s", diff)
	}
	basis = mustRead(f, func(tx store.ReadTx) (*store.IssueBasis, error) { return tx.IssueBasis(ctx, m, "") })
	if want.Documents = nil; !cmp.Equal(basis, want) {
		t.Errorf("IssueBasis without an order = %+v, want %+v", basis, want)
	}
	basis = mustRead(f, func(tx store.ReadTx) (*store.IssueBasis, error) { return tx.IssueBasis(ctx, other, o.ID) })
	if !cmp.Equal(basis.Settings, &invoice.Settings{}) || basis.Documents == nil || len(basis.Documents) != 0 {
		t.Errorf("IssueBasis of another merchant's order = %+v, want no settings and no documents", basis)
	}
	_, err = read(f, func(tx store.ReadTx) (*store.IssueBasis, error) { return tx.IssueBasis(ctx, "m_missing", "") })
	wantCode(t, "IssueBasis of no merchant", err, kassa.ENotFound)

	// Another merchant sees none of it; a document is never written twice.
	_, err = read(f, func(tx store.ReadTx) (*invoice.Document, error) { return tx.Document(ctx, other, d.ID) })
	wantCode(t, "Document of another merchant", err, kassa.ENotFound)
	_, err = read(f, func(tx store.ReadTx) (*invoice.Document, error) {
		return tx.DocumentByPaymentReference(ctx, other, ocr)
	})
	wantCode(t, "DocumentByPaymentReference of another merchant", err, kassa.ENotFound)
	if docs := mustRead(f, func(tx store.ReadTx) ([]*invoice.Document, error) { return tx.OrderDocuments(ctx, other, o.ID) }); len(docs) != 0 {
		t.Errorf("OrderDocuments of another merchant = %v", docs)
	}
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.CreateDocument(ctx, d) })
	wantCode(t, "CreateDocument twice", err, kassa.EConflict)
}

// Documents issued concurrently by several merchants, numbered by
// concurrent numberers of which some roll back, get each merchant's
// consecutive numbers: none skipped, none twice.
func testDocumentNumbers(f *fixture) {
	t, ctx := f.t, f.ctx
	const n = 24
	merchants := []string{f.createMerchant(), f.createMerchant()}
	orders := make([]*order.Order, n)
	for i := range orders {
		orders[i] = f.newOrder(merchants[i%2], 0)
		f.createOrder(orders[i])
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	numberErrs := make([]error, n)
	for i, o := range orders {
		ocr, _ := invoice.NewOCR(fmt.Sprint(2000 + i))
		wg.Go(func() { _, _, errs[i] = f.issueInvoice(o, ocr) })
		if i%4 == 3 { // number while others still issue
			wg.Go(func() {
				numberErrs[i] = f.s.Update(ctx, func(tx store.Tx) error { _, err := tx.NumberDocuments(ctx, 3); return err })
			})
			wg.Go(func() {
				f.s.Update(ctx, func(tx store.Tx) error {
					if _, err := tx.NumberDocuments(ctx, 5); err != nil {
						return err
					}
					return errBoom // its numbers must go to the next numberer
				})
			})
		}
	}
	wg.Wait()
	for len(f.numberDocuments(7)) > 0 {
	}
	for i := range orders {
		if errs[i] != nil || numberErrs[i] != nil {
			t.Fatalf("issue %d: %v; numbering: %v", i, errs[i], numberErrs[i])
		}
	}
	for _, m := range merchants {
		var docs []*invoice.Document
		for _, o := range orders {
			if o.MerchantID == m {
				docs = append(docs, mustRead(f, func(tx store.ReadTx) ([]*invoice.Document, error) { return tx.OrderDocuments(ctx, m, o.ID) })...)
			}
		}
		seen := map[int64]bool{}
		for _, d := range docs {
			seen[d.Number] = true
		}
		for k := int64(1); k <= n/2; k++ {
			if !seen[k] {
				t.Errorf("merchant %s: number %d was never given; given %v", m, k, seen)
			}
		}
		if len(docs) != n/2 || len(seen) != n/2 {
			t.Errorf("merchant %s: %d documents with %d distinct numbers, want %d", m, len(docs), len(seen), n/2)
		}
	}
}

func testPayments(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	o := f.newOrder(m, 0)
	f.createOrder(o)
	ocr, _ := invoice.NewOCR("3000")
	_, d, err := f.issueInvoice(o, ocr)
	f.ok("issue", err)
	pay := func(id, merchantID, bankRef, docID string, amount int64) bool {
		var added bool
		f.mustUpdate(func(tx store.Tx) (err error) {
			added, err = tx.AddBankPayment(ctx, &store.BankPayment{
				ID: id, MerchantID: merchantID, BankRef: bankRef, Reference: ocr, Amount: amount, Currency: "SEK",
				DocumentID: docID, BookedAt: f.now, CreatedAt: f.now,
			})
			return err
		})
		return added
	}
	if !pay("pm_1", m, "B1", d.ID, 10000) || !pay("pm_2", m, "B2", d.ID, 5000) || !pay("pm_3", m, "B3", "", 700) {
		t.Fatal("new payments were not added")
	}
	if pay("pm_4", m, "B1", d.ID, 10000) {
		t.Error("a payment with a known bank reference was added again")
	}
	if !pay("pm_5", other, "B1", "", 1) {
		t.Error("another merchant's payment with the same bank reference was refused")
	}
	if paid := mustRead(f, func(tx store.ReadTx) (int64, error) { return tx.DocumentPaid(ctx, d.ID) }); paid != 15000 {
		t.Errorf("DocumentPaid = %d, want 15000", paid)
	}
	payments := func(pf store.BankPaymentFilter) []store.BankPayment {
		return mustRead(f, func(tx store.ReadTx) ([]store.BankPayment, error) { return tx.BankPayments(ctx, m, pf) })
	}
	ids := func(ps []store.BankPayment) (out []string) {
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	all := payments(store.BankPaymentFilter{Limit: 10})
	unmatched := payments(store.BankPaymentFilter{Unmatched: true, Limit: 10})
	if !slices.Equal(ids(all), []string{"pm_3", "pm_2", "pm_1"}) || len(unmatched) != 1 || unmatched[0].ID != "pm_3" || unmatched[0].Amount != 700 || !unmatched[0].BookedAt.Equal(f.now) {
		t.Errorf("Payments = %v, unmatched %+v", ids(all), unmatched)
	}
	// A page at a time, newest first (one time, ties by ID), continuing
	// after the last one shown.
	first := payments(store.BankPaymentFilter{Limit: 2})
	rest := payments(store.BankPaymentFilter{Limit: 2, After: &store.ListPosition{CreatedAt: first[1].CreatedAt, ID: first[1].ID}})
	if !slices.Equal(ids(first), []string{"pm_3", "pm_2"}) || !slices.Equal(ids(rest), []string{"pm_1"}) {
		t.Errorf("pages of payments: %v then %v", ids(first), ids(rest))
	}

	// One payment read, and matching an unmatched one by hand: once.
	if p := mustRead(f, func(tx store.ReadTx) (*store.BankPayment, error) { return tx.BankPayment(ctx, m, "pm_3") }); p.Amount != 700 || p.DocumentID != "" || p.BankRef != "B3" {
		t.Errorf("BankPayment = %+v", p)
	}
	for _, id := range []string{"pm_5", "pm_missing"} {
		err := f.s.View(ctx, func(tx store.ReadTx) error { _, err := tx.BankPayment(ctx, m, id); return err })
		wantCode(t, "BankPayment of "+id, err, kassa.ENotFound)
		err = f.s.Update(ctx, func(tx store.Tx) error { return tx.MatchBankPayment(ctx, m, id, d.ID) })
		wantCode(t, "MatchBankPayment of "+id, err, kassa.ENotFound)
	}
	f.mustUpdate(func(tx store.Tx) error { return tx.MatchBankPayment(ctx, m, "pm_3", d.ID) })
	for _, id := range []string{"pm_3", "pm_1"} {
		err := f.s.Update(ctx, func(tx store.Tx) error { return tx.MatchBankPayment(ctx, m, id, d.ID) })
		wantCode(t, "matching the matched "+id, err, kassa.EConflict)
	}
	if paid := mustRead(f, func(tx store.ReadTx) (int64, error) { return tx.DocumentPaid(ctx, d.ID) }); paid != 15700 {
		t.Errorf("DocumentPaid after the match = %d, want 15700", paid)
	}
	if ps := payments(store.BankPaymentFilter{Unmatched: true, Limit: 10}); len(ps) != 0 {
		t.Errorf("unmatched after the match = %+v", ps)
	}
	if p := mustRead(f, func(tx store.ReadTx) (*store.BankPayment, error) { return tx.BankPayment(ctx, other, "pm_5") }); p.DocumentID != "" {
		t.Errorf("another merchant's payment = %+v", p)
	}
}

func testMailOutbox(f *fixture) {
	t, ctx := f.t, f.ctx
	m := f.createMerchant()
	mail := &store.Mail{
		ID: "ml_1", MerchantID: m, DocumentID: "iv_1", MessageID: "<iv_1@kassa>", To: []string{"a@example.com"},
		Cc: []string{"b@example.com"}, Subject: "Invoice 1", NextAt: f.now, CreatedAt: f.now,
	}
	f.mustUpdate(func(tx store.Tx) error { return tx.EnqueueMails(ctx, mail) })
	claim := func() []store.Mail {
		var ms []store.Mail
		f.mustUpdate(func(tx store.Tx) (err error) { ms, err = tx.ClaimMails(ctx, f.now, time.Minute, 10); return err })
		return ms
	}
	got := claim()
	if len(got) != 1 || got[0].Attempts != 1 || got[0].MessageID != mail.MessageID || !got[0].NextAt.Equal(f.now.Add(time.Minute)) {
		t.Fatalf("first claim = %+v", got)
	}
	if again := claim(); len(again) != 0 {
		t.Errorf("a leased mail was claimed again: %+v", again)
	}
	f.mustUpdate(func(tx store.Tx) error { return tx.MailFailed(ctx, "ml_1", f.now.Add(30*time.Second), "421 busy") })
	f.advance(30 * time.Second)
	if got := claim(); len(got) != 1 || got[0].Attempts != 2 || got[0].LastError != "421 busy" {
		t.Fatalf("claim after the retry time = %+v", got)
	}
	f.mustUpdate(func(tx store.Tx) error { return tx.MailSent(ctx, "ml_1", f.now) })
	f.advance(time.Hour)
	if got := claim(); len(got) != 0 {
		t.Errorf("a sent mail was claimed: %+v", got)
	}
	log := mustRead(f, func(tx store.ReadTx) ([]store.Mail, error) { return tx.Mails(ctx, m, 10) })
	if len(log) != 1 || !log[0].NextAt.IsZero() || log[0].SentAt.IsZero() || log[0].Cc[0] != "b@example.com" {
		t.Errorf("Mails = %+v", log)
	}
	// A message carries its own (sealed) body and no document.
	msg := &store.Mail{ID: "ml_m", MerchantID: m, MessageID: "<m@kassa>", To: []string{"c@example.com"}, Subject: "Code", Body: "ks1:sealed", NextAt: f.now, CreatedAt: f.now}
	f.mustUpdate(func(tx store.Tx) error { return tx.EnqueueMails(ctx, msg) })
	if got := claim(); len(got) != 1 || got[0].ID != "ml_m" || got[0].Body != msg.Body || got[0].DocumentID != "" {
		t.Errorf("claimed message = %+v", got)
	}
	err := f.s.Update(ctx, func(tx store.Tx) error { return tx.MailFailed(ctx, "ml_1", f.now, "late") })
	wantCode(t, "MailFailed of a sent mail", err, kassa.ENotFound)

	// Several mails are queued together, or none is.
	second, third := *mail, *mail
	second.ID, third.ID = "ml_2", "ml_1"
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.EnqueueMails(ctx, &second, &third) })
	wantCode(t, "EnqueueMails with a known ID", err, kassa.EConflict)
	if log := mustRead(f, func(tx store.ReadTx) ([]store.Mail, error) { return tx.Mails(ctx, m, 10) }); len(log) != 2 {
		t.Errorf("after a failed EnqueueMails, Mails = %+v, want ml_1 and ml_m alone", log)
	}
}

func testOverdue(f *fixture) {
	t, ctx := f.t, f.ctx
	m := f.createMerchant()
	var keys []store.DocumentKey
	for i := range 2 {
		o := f.newOrder(m, 0)
		f.createOrder(o)
		ocr, _ := invoice.NewOCR(fmt.Sprint(4000 + i))
		_, d, err := f.issueInvoice(o, ocr)
		f.ok("issue", err)
		keys = append(keys, store.DocumentKey{MerchantID: m, DocumentID: d.ID})
	}
	f.numberDocuments(10) // only numbered documents are overdue
	overdue := func() []store.DocumentKey {
		return mustRead(f, func(tx store.ReadTx) ([]store.DocumentKey, error) { return tx.OverdueDocuments(ctx, "", f.now, 10) })
	}
	if got := overdue(); len(got) != 0 {
		t.Errorf("overdue before the due date: %v", got)
	}
	// The second invoice is paid in full in two parts, the first in part.
	f.mustUpdate(func(tx store.Tx) error {
		for i, p := range []struct {
			doc    string
			amount int64
		}{{keys[0].DocumentID, 100}, {keys[1].DocumentID, totals.Amount - 100}, {keys[1].DocumentID, 100}} {
			if _, err := tx.AddBankPayment(ctx, &store.BankPayment{ID: fmt.Sprint("bp_", i), MerchantID: m, BankRef: fmt.Sprint("R", i),
				Reference: "x", Amount: p.amount, Currency: "SEK", DocumentID: p.doc, BookedAt: f.now, CreatedAt: f.now}); err != nil {
				return err
			}
		}
		return nil
	})
	f.advance(time.Duration(invoice.DefaultPaymentTerms+1) * 24 * time.Hour)
	if got := overdue(); len(got) != 1 || got[0] != keys[0] {
		t.Fatalf("overdue after the due date = %v, want [%v]", got, keys[0])
	}
	for merchantID, want := range map[string]int{m: 1, f.createMerchant(): 0} {
		got := mustRead(f, func(tx store.ReadTx) ([]store.DocumentKey, error) {
			return tx.OverdueDocuments(ctx, merchantID, f.now, 10)
		})
		if len(got) != want {
			t.Errorf("OverdueDocuments(merchant %s) = %v, want %d", merchantID, got, want)
		}
	}
	var first, second bool
	f.mustUpdate(func(tx store.Tx) (err error) { first, err = tx.MarkOverdue(ctx, keys[0], f.now); return err })
	f.mustUpdate(func(tx store.Tx) (err error) { second, err = tx.MarkOverdue(ctx, keys[0], f.now); return err })
	if !first || second {
		t.Errorf("MarkOverdue twice = %v, %v; want true, false", first, second)
	}
	if got := overdue(); len(got) != 0 {
		t.Errorf("overdue after marking: %v", got)
	}
}

// A logo is stored apart from the settings, by its hash: the settings
// read for issuing name it, a document issued under them carries it when
// read to be rendered, and later settings without it leave the
// document's as it was.
func testInvoiceLogos(f *fixture) {
	t, ctx := f.t, f.ctx
	m := f.createMerchant()
	logo := []byte("\x89PNG not checked by the store")
	const hash = "5f0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
	f.mustUpdate(func(tx store.Tx) error {
		return tx.PutInvoiceSettings(ctx, m, &invoice.Settings{Seller: invoice.Party{Name: "Logo AB"}, Logo: logo, LogoSHA256: hash})
	})
	got := mustRead(f, func(tx store.ReadTx) (*invoice.Settings, error) { return tx.InvoiceSettings(ctx, m) })
	if got.Logo != nil || got.LogoSHA256 != hash || got.Seller.Name != "Logo AB" {
		t.Errorf("settings read = logo %q, hash %q, seller %q; want the hash alone", got.Logo, got.LogoSHA256, got.Seller.Name)
	}
	if image := mustRead(f, func(tx store.ReadTx) ([]byte, error) { return tx.InvoiceLogo(ctx, hash) }); string(image) != string(logo) {
		t.Errorf("InvoiceLogo = %q", image)
	}
	_, err := read(f, func(tx store.ReadTx) ([]byte, error) { return tx.InvoiceLogo(ctx, "00"+hash[2:]) })
	wantCode(t, "InvoiceLogo of an unknown hash", err, kassa.ENotFound)
	// The same logo again, by another merchant too, is one row.
	another := f.createMerchant()
	f.mustUpdate(func(tx store.Tx) error {
		return tx.PutInvoiceSettings(ctx, another, &invoice.Settings{Logo: logo, LogoSHA256: hash})
	})

	o := f.newOrder(m, 0)
	f.createOrder(o)
	ocr, _ := invoice.NewOCR("2000001")
	_, d, err := f.issueInvoice(o, ocr)
	f.ok("issue", err)
	f.mustUpdate(func(tx store.Tx) error { return tx.PutInvoiceSettings(ctx, m, &invoice.Settings{}) }) // logo removed
	for name, get := range map[string]func(store.ReadTx) (*invoice.Document, error){
		"Document":        func(tx store.ReadTx) (*invoice.Document, error) { return tx.Document(ctx, m, d.ID) },
		"DocumentByToken": func(tx store.ReadTx) (*invoice.Document, error) { return tx.DocumentByToken(ctx, d.AccessToken) },
	} {
		got := mustRead(f, get)
		if got.LogoSHA256 != hash || string(got.Logo) != string(logo) {
			t.Errorf("%s: logo %q, hash %q; want the logo it was issued with", name, got.Logo, got.LogoSHA256)
		}
	}
}

// The number series starts where the merchant chose, which it may change
// until the first document is numbered and not after; a merchant that
// chose nothing starts at 1.
func testNumberSeriesStart(f *fixture) {
	t, ctx := f.t, f.ctx
	m, plain := f.createMerchant(), f.createMerchant()
	first := func(m string) int64 {
		return mustRead(f, func(tx store.ReadTx) (*invoice.Settings, error) { return tx.InvoiceSettings(ctx, m) }).FirstNumber
	}
	start := func(m string, n int64) error {
		return f.s.Update(ctx, func(tx store.Tx) error { return tx.StartDocumentNumbers(ctx, m, n) })
	}
	issue := func(m, base string) {
		t.Helper()
		o := f.newOrder(m, 0)
		f.createOrder(o)
		ocr, _ := invoice.NewOCR(base)
		_, _, err := f.issueInvoice(o, ocr)
		f.ok("issue", err)
	}
	if n := first(m); n != 0 {
		t.Errorf("first number before any = %d, want 0", n)
	}
	f.ok("start at 100", start(m, 100))
	f.ok("start at 5000 instead", start(m, 5000))
	if n := first(m); n != 5000 {
		t.Errorf("first number = %d, want 5000", n)
	}
	issue(m, "3000001")
	issue(plain, "3000002")
	numbered := map[string]int64{}
	for _, d := range f.numberDocuments(10) {
		numbered[d.MerchantID] = d.Number
	}
	if numbered[m] != 5000 || numbered[plain] != 1 {
		t.Errorf("numbers %v, want 5000 for the merchant that chose it and 1 for the other", numbered)
	}
	f.ok("start where it began", start(m, 5000))
	wantCode(t, "a new start after the first number", start(m, 100), kassa.EConflict)
	wantCode(t, "a start after the first number, upward", start(m, 9000), kassa.EConflict)
	wantCode(t, "a start for a merchant numbered from 1", start(plain, 10), kassa.EConflict)
	if n := first(m); n != 5000 {
		t.Errorf("first number after the refused starts = %d, want 5000", n)
	}
	issue(m, "3000003")
	if d := f.numberDocuments(10); len(d) != 1 || d[0].Number != 5001 {
		t.Errorf("next document = %v, want 5001", d)
	}
}

// A start and the first numbering racing each other: either the series
// starts at the chosen number, or the start is refused and the documents
// are numbered from 1. Never both, never a gap.
func testNumberSeriesStartRace(f *fixture) {
	t, ctx := f.t, f.ctx
	for round := range 6 {
		m := f.createMerchant()
		for i := range 3 {
			o := f.newOrder(m, 0)
			f.createOrder(o)
			ocr, _ := invoice.NewOCR(fmt.Sprintf("4%02d%d", round, i))
			_, _, err := f.issueInvoice(o, ocr)
			f.ok("issue", err)
		}
		var (
			wg       sync.WaitGroup
			startErr error
			docs     []*invoice.Document
		)
		wg.Add(2)
		go func() {
			defer wg.Done()
			startErr = f.s.Update(ctx, func(tx store.Tx) error { return tx.StartDocumentNumbers(ctx, m, 700) })
		}()
		go func() {
			defer wg.Done()
			_ = f.s.Update(ctx, func(tx store.Tx) (err error) { docs, err = tx.NumberDocuments(ctx, 100); return err })
		}()
		wg.Wait()
		if startErr != nil && kassa.ErrorCode(startErr) != kassa.EConflict {
			t.Fatalf("start: %v", startErr)
		}
		docs = append(docs, f.numberDocuments(100)...)
		var numbers []int64
		for _, d := range docs {
			if d.MerchantID == m {
				numbers = append(numbers, d.Number)
			}
		}
		from := int64(700)
		if startErr != nil {
			from = 1
		}
		if want := []int64{from, from + 1, from + 2}; !cmp.Equal(numbers, want) {
			t.Errorf("round %d: start %v, numbers %v; want %v", round, startErr, numbers, want)
		}
	}
}

// InvoiceLogosImmutable checks that the database refuses to change or
// remove a logo, and a series' first number once it has begun, even to a
// connection past the store: exec runs SQL on the database of s.
func InvoiceLogosImmutable(t *testing.T, s store.Store, exec Exec) {
	ctx := context.Background()
	if err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutInvoiceSettings(ctx, "ac_1", &invoice.Settings{Logo: []byte("logo"), LogoSHA256: "ab"}); err != nil {
			return err
		}
		return tx.StartDocumentNumbers(ctx, "ac_1", 10)
	}); err != nil {
		t.Fatal(err)
	}
	refused(t, exec, "immutable", `UPDATE invoice_logos SET sha256 = 'cd'`, `DELETE FROM invoice_logos`)
	if err := exec(ctx, `UPDATE document_counters SET last = 10 WHERE merchant_id = 'ac_1'`); err != nil {
		t.Fatalf("numbering past the store: %v", err)
	}
	refused(t, exec, "first number cannot change", `UPDATE document_counters SET first = 1, last = 0`)
}

// testExportReads checks the accounting export's reads: a merchant's
// documents issued and payments booked in a half-open period, in order,
// nobody else's.
func testExportReads(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	day := f.now.Truncate(24 * time.Hour)
	var issued []*invoice.Document
	for i, at := range []time.Duration{0, 14 * time.Hour, 24 * time.Hour} { // the last on the next day
		f.now = day.Add(at)
		o := f.newOrder(m, 0)
		f.createOrder(o)
		ocr, _ := invoice.NewOCR(fmt.Sprint(5000 + i))
		_, d, err := f.issueInvoice(o, ocr)
		f.ok("issue", err)
		issued = append(issued, d)
	}
	o := f.newOrder(other, 0)
	f.createOrder(o)
	ocr, _ := invoice.NewOCR("5100")
	_, _, err := f.issueInvoice(o, ocr)
	f.ok("issue", err)
	f.numberDocuments(10)

	for i, p := range []store.BankPayment{
		{ID: "pm_3", MerchantID: m, BankRef: "B3", Reference: "x", Amount: 300, Currency: "EUR", BookedAt: day.Add(24 * time.Hour)},
		{ID: "pm_1", MerchantID: m, BankRef: "B1", Reference: issued[0].Reference, Amount: 100, Currency: "SEK", DocumentID: issued[0].ID, BookedAt: day},
		{ID: "pm_2", MerchantID: m, BankRef: "B2", Reference: "y", Amount: 200, Currency: "SEK", BookedAt: day.Add(24*time.Hour - time.Microsecond)},
		{ID: "pm_4", MerchantID: other, BankRef: "B1", Reference: "z", Amount: 400, Currency: "SEK", BookedAt: day},
	} {
		p.CreatedAt = f.now.Add(time.Duration(i) * time.Second)
		f.mustUpdate(func(tx store.Tx) error { _, err := tx.AddBankPayment(ctx, &p); return err })
	}

	docs := mustRead(f, func(tx store.ReadTx) ([]*invoice.Document, error) {
		return tx.DocumentsIssued(ctx, m, day, day.Add(24*time.Hour))
	})
	if len(docs) != 2 || docs[0].ID != issued[0].ID || docs[1].ID != issued[1].ID || docs[0].Number != 1 || docs[1].Total != issued[1].Total {
		t.Errorf("DocumentsIssued on the first day = %+v, want the first two documents, numbered", docs)
	}
	if docs := mustRead(f, func(tx store.ReadTx) ([]*invoice.Document, error) {
		return tx.DocumentsIssued(ctx, m, day.Add(24*time.Hour), day.Add(48*time.Hour))
	}); len(docs) != 1 || docs[0].ID != issued[2].ID {
		t.Errorf("DocumentsIssued on the second day = %+v, want the third document", docs)
	}
	ps := mustRead(f, func(tx store.ReadTx) ([]store.BankPayment, error) {
		return tx.PaymentsBooked(ctx, m, day, day.Add(24*time.Hour))
	})
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	if diff := cmp.Diff([]string{"pm_1", "pm_2"}, ids); diff != "" || ps[0].DocumentID != issued[0].ID || ps[1].DocumentID != "" || ps[1].Amount != 200 {
		t.Errorf("PaymentsBooked on the first day (-want +got ids):\n%s%+v", diff, ps)
	}
	if ps := mustRead(f, func(tx store.ReadTx) ([]store.BankPayment, error) {
		return tx.PaymentsBooked(ctx, m, day.Add(24*time.Hour), day.Add(48*time.Hour))
	}); len(ps) != 1 || ps[0].ID != "pm_3" || ps[0].Currency != "EUR" {
		t.Errorf("PaymentsBooked on the second day = %+v, want pm_3", ps)
	}
}

// Documents lists a merchant's documents newest first, ties by ID, each
// with what has been paid on it, filtered and continued after a position.
func testDocumentList(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	start := f.now
	var docs []*invoice.Document
	for i, at := range []time.Duration{0, time.Second, time.Second} { // the last two tie on time
		f.now = start.Add(at)
		o := f.newOrder(m, 0)
		f.createOrder(o)
		ocr, _ := invoice.NewOCR(fmt.Sprint(6000 + i))
		_, d, err := f.issueInvoice(o, ocr)
		f.ok("issue", err)
		docs = append(docs, d)
	}
	o := f.newOrder(other, 0)
	f.createOrder(o)
	ocr, _ := invoice.NewOCR("6100")
	_, _, err := f.issueInvoice(o, ocr)
	f.ok("issue", err)
	// The first is paid in part, the second in full, the third not at all.
	for i, p := range []struct {
		d      *invoice.Document
		amount int64
	}{{docs[0], 100}, {docs[1], docs[1].Payable()}} {
		f.mustUpdate(func(tx store.Tx) error {
			_, err := tx.AddBankPayment(ctx, &store.BankPayment{ID: fmt.Sprint("bp_list_", i), MerchantID: m, BankRef: fmt.Sprint("L", i),
				Reference: "x", Amount: p.amount, Currency: "SEK", DocumentID: p.d.ID, BookedAt: f.now, CreatedAt: f.now})
			return err
		})
	}
	numbers := map[string]int64{}
	for _, d := range f.numberDocuments(10) {
		numbers[d.ID] = d.Number
	}
	newest := []*invoice.Document{docs[2], docs[1], docs[0]}
	if docs[1].ID > docs[2].ID {
		newest[0], newest[1] = docs[1], docs[2]
	}
	list := func(flt store.DocumentFilter) []store.ListedDocument {
		if flt.Limit == 0 {
			flt.Limit = 10
		}
		return mustRead(f, func(tx store.ReadTx) ([]store.ListedDocument, error) { return tx.Documents(ctx, m, flt) })
	}
	all := list(store.DocumentFilter{})
	var ids []string
	for _, d := range all {
		ids = append(ids, d.ID)
	}
	if diff := cmp.Diff([]string{newest[0].ID, newest[1].ID, newest[2].ID}, ids); diff != "" {
		t.Fatalf("Documents (-want +got):\n%s", diff)
	}
	paid := map[string]int64{docs[0].ID: 100, docs[1].ID: docs[1].Payable(), docs[2].ID: 0}
	for _, d := range all {
		if d.Paid != paid[d.ID] || d.Total != docs[0].Total || d.MerchantID != m {
			t.Errorf("listed %s paid %d, total %d; want paid %d, total %d", d.ID, d.Paid, d.Total, paid[d.ID], docs[0].Total)
		}
	}
	afterDue := start.Add(time.Duration(invoice.DefaultPaymentTerms+1) * 24 * time.Hour)
	first := &store.ListPosition{CreatedAt: newest[0].CreatedAt, ID: newest[0].ID}
	unpaid := []string{docs[2].ID, docs[0].ID}
	tests := []struct {
		name string
		flt  store.DocumentFilter
		want []string
	}{
		{"limit", store.DocumentFilter{Limit: 1}, []string{newest[0].ID}},
		{"after the first", store.DocumentFilter{After: first}, []string{newest[1].ID, newest[2].ID}},
		{"invoices", store.DocumentFilter{Kind: invoice.KindInvoice}, []string{newest[0].ID, newest[1].ID, newest[2].ID}},
		{"credit notes", store.DocumentFilter{Kind: invoice.KindCreditNote}, nil},
		{"unpaid", store.DocumentFilter{Unpaid: true}, unpaid},
		{"overdue before the due date", store.DocumentFilter{Overdue: true, Now: start}, nil},
		{"overdue after it", store.DocumentFilter{Overdue: true, Now: afterDue}, unpaid},
		{"unpaid after the third", store.DocumentFilter{Unpaid: true, After: &store.ListPosition{CreatedAt: docs[2].CreatedAt, ID: docs[2].ID}}, []string{docs[0].ID}},
		{"search by reference", store.DocumentFilter{Search: docs[1].Reference}, []string{docs[1].ID}},
		{"search by payment reference", store.DocumentFilter{Search: docs[2].PaymentReference}, []string{docs[2].ID}},
		{"search by number", store.DocumentFilter{Search: strconv.FormatInt(numbers[docs[0].ID], 10)}, []string{docs[0].ID}},
		{"search, unpaid", store.DocumentFilter{Search: docs[1].Reference, Unpaid: true}, nil},
		{"search for nothing", store.DocumentFilter{Search: "0" + strconv.FormatInt(numbers[docs[0].ID], 10)}, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, d := range list(tt.flt) {
			got = append(got, d.ID)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	if got := mustRead(f, func(tx store.ReadTx) ([]store.ListedDocument, error) {
		return tx.Documents(ctx, f.createMerchant(), store.DocumentFilter{Limit: 10})
	}); len(got) != 0 {
		t.Errorf("Documents of a merchant without any = %v", got)
	}
}
