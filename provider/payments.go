package provider

import (
	"context"

	"github.com/kassa-pay/kassa/reconcile"
	"github.com/kassa-pay/kassa/store"
)

// RecordPayments records a bank file's payments (or one sandbox payment)
// for the merchant, marking the orders they settle paid through
// ChangeOrder: the API's import, the sandbox payment and `kassa payments
// import` all record here.
func (s *Service) RecordPayments(ctx context.Context, tx store.Tx, merchantID string, f *reconcile.File) (*reconcile.Result, error) {
	if _, err := tx.Merchant(ctx, merchantID); err != nil {
		return nil, err
	}
	env, err := s.EnvOf(ctx, tx, merchantID)
	if err != nil {
		return nil, err
	}
	return reconcile.Record(ctx, tx, env, merchantID, f, s.ChangeOrder)
}

// MatchPayment matches the merchant's payment paymentID, recorded
// unmatched (its reference named no document, or one in another
// currency), to its document documentID by hand, with the effects of an
// automatic match in RecordPayments: the document's payments, and the
// order received or paid through ChangeOrder, with its events and
// notifications. Another merchant's payment or document is ENotFound, a
// payment matched already EConflict, a document in another currency or
// asking for no payment invalid; nothing is changed then.
func (s *Service) MatchPayment(ctx context.Context, tx store.Tx, merchantID, paymentID, documentID string) (*reconcile.Applied, error) {
	p, err := tx.BankPayment(ctx, merchantID, paymentID)
	if err != nil {
		return nil, err
	}
	d, err := tx.Document(ctx, merchantID, documentID)
	if err != nil {
		return nil, err
	}
	a, err := reconcile.Match(ctx, tx, merchantID, p, d, s.ChangeOrder)
	if err != nil {
		return nil, err
	}
	return &a, nil
}
