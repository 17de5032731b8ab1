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
