// Package reconcile matches incoming payments to invoice documents by
// their payment reference, records them, and marks an order paid once its
// documents are. It runs inside a store transaction, so a whole bank file
// is applied or none of it is; package provider runs it for the API and
// the command line, and saves the orders it marks paid.
package reconcile

import (
	"context"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
)

// Outcomes of one payment.
const (
	Matched   = "matched"   // exactly what the document asks
	Partial   = "partial"   // less than is left to pay
	Over      = "over"      // more than was asked
	Unmatched = "unmatched" // no document of the merchant has its reference (or currency)
	Duplicate = "duplicate" // already recorded (its key, BankRef, is known): skipped
)

// Applied is what became of one entry.
type Applied struct {
	store.BankPayment
	Outcome string `json:"outcome"`
	// OrderID and DocumentReference name the matched document.
	OrderID           string `json:"orderId,omitempty"`
	DocumentReference string `json:"documentReference,omitempty"`
	// OrderPaid says this payment completed the order's payment.
	OrderPaid bool `json:"orderPaid"`
}

// Result is what an import did: the outcome of each payment, and what
// the file held that is not a payment.
type Result struct {
	// Format is the bank file's format (FormatCamt054, FormatBgMax);
	// absent for payments that come from no file.
	Format   string    `json:"format,omitempty"`
	Payments []Applied `json:"payments"`
	Skipped  []Skip    `json:"skipped"`
}

// ChangeOrder locks the merchant's order, applies change to it under the
// order's clock guard and saves the result: the application's one
// order-apply path (provider.Service.ChangeOrder).
type ChangeOrder func(ctx context.Context, tx store.Tx, merchantID, orderID string, change func(o *order.Order, env order.Env) (*order.Order, error)) (*order.Order, order.Env, error)

// Record records f's payments as payments of merchantID, in order, and
// marks paid, through change, each order they settle.
func Record(ctx context.Context, tx store.Tx, env order.Env, merchantID string, f *File, change ChangeOrder) (*Result, error) {
	r := &Result{Format: f.Format, Payments: make([]Applied, 0, len(f.Payments)), Skipped: f.Skipped}
	if r.Skipped == nil {
		r.Skipped = []Skip{}
	}
	for _, e := range f.Payments {
		a, err := record(ctx, tx, env, merchantID, e, change)
		if err != nil {
			return nil, err
		}
		r.Payments = append(r.Payments, a)
	}
	return r, nil
}

func record(ctx context.Context, tx store.Tx, env order.Env, merchantID string, e Entry, change ChangeOrder) (Applied, error) {
	a := Applied{BankPayment: store.BankPayment{
		ID: env.IDs.New(kassa.PrefixBankPayment), MerchantID: merchantID, BankRef: e.BankRef, Reference: e.Reference,
		Amount: e.Amount, Currency: e.Currency, BookedAt: e.BookedAt, CreatedAt: env.Now,
	}}
	var d *invoice.Document
	// Documents hold their references in the compact form a payer's may
	// differ from (spaces, case, a FI card's code line).
	if ref := invoice.NormalizeReference(e.Reference); invoice.ValidPaymentReference(ref) {
		found, err := tx.DocumentByPaymentReference(ctx, merchantID, ref)
		switch {
		case kassa.ErrorCode(err) == kassa.ENotFound:
		case err != nil:
			return a, err
		case found.Currency == e.Currency:
			d = found
			a.DocumentID = d.ID
		}
	}
	added, err := tx.AddBankPayment(ctx, &a.BankPayment)
	if err != nil {
		return a, err
	}
	switch {
	case !added:
		a.Outcome, a.DocumentID = Duplicate, ""
		return a, nil
	case d == nil:
		a.Outcome = Unmatched
		return a, nil
	}
	return a, applyTo(ctx, tx, merchantID, &a, d, change)
}

// Match matches the merchant's payment p, recorded unmatched, to its
// document d by hand, with what an automatic match does: the document's
// payments, and the order received or paid through change. A document
// that asks for no payment, or in another currency, is invalid; a payment
// matched already (to any document) is EConflict. d must be the
// merchant's: the caller read it so.
func Match(ctx context.Context, tx store.Tx, merchantID string, p *store.BankPayment, d *invoice.Document, change ChangeOrder) (Applied, error) {
	a := Applied{BankPayment: *p}
	switch {
	case p.DocumentID != "":
		return a, kassa.Errorf(kassa.EConflict, "payment %s is already matched to a document", p.ID)
	case d.Payable() <= 0:
		return a, kassa.Invalid("documentId", "document %s asks for no payment: only an invoice with a payment reference can be paid", d.ID)
	case d.Currency != p.Currency:
		return a, kassa.Invalid("documentId", "the payment is in %s and document %s in %s: a payment is matched only to a document in its currency", p.Currency, d.ID, d.Currency)
	}
	if err := tx.MatchBankPayment(ctx, merchantID, p.ID, d.ID); err != nil {
		return a, err
	}
	a.DocumentID = d.ID
	return a, applyTo(ctx, tx, merchantID, &a, d, change)
}

// applyTo completes a, a payment just matched to d: its outcome against
// what d asks, and the order d is of settled as far as its documents are
// paid.
func applyTo(ctx context.Context, tx store.Tx, merchantID string, a *Applied, d *invoice.Document, change ChangeOrder) error {
	a.OrderID, a.DocumentReference = d.OrderID, d.Reference
	paid, err := tx.DocumentPaid(ctx, d.ID)
	if err != nil {
		return err
	}
	switch {
	case paid < d.Payable():
		a.Outcome = Partial
	case paid == d.Payable():
		a.Outcome = Matched
	default:
		a.Outcome = Over
	}
	a.OrderPaid, err = settle(ctx, tx, merchantID, d.OrderID, change)
	return err
}

// settle records on the order what its documents have received, which
// lowers its credit exposure, and marks it paid when they are. The
// documents' payments are read once the order is locked, so of two
// imports paying one order at once the second sees the first's payment.
func settle(ctx context.Context, tx store.Tx, merchantID, orderID string, change ChangeOrder) (paidNow bool, err error) {
	_, _, err = change(ctx, tx, merchantID, orderID, func(o *order.Order, env order.Env) (*order.Order, error) {
		docs, err := tx.OrderDocuments(ctx, merchantID, orderID)
		if err != nil {
			return nil, err
		}
		paid := map[string]int64{}
		for _, d := range docs {
			if paid[d.ID], err = tx.DocumentPaid(ctx, d.ID); err != nil {
				return nil, err
			}
		}
		received, _ := o.Receive(env, invoice.Received(docs, paid))
		if !invoice.Settled(o, docs, paid) {
			return received, nil
		}
		var total int64
		for _, v := range paid {
			total += v
		}
		next, ok := received.MarkPaid(env, total)
		if !ok {
			return received, nil
		}
		paidNow = true
		return next, nil
	})
	return paidNow, err
}
