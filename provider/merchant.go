package provider

import (
	"context"

	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/store"
)

// SetMerchantEmail sets the address Kassa writes to the merchant at
// (merchant.ParseEmail; "" for nowhere), such as when one of its
// notification endpoints is disabled, and returns the merchant.
func (s *Service) SetMerchantEmail(ctx context.Context, tx store.Tx, merchantID, email string) (*merchant.Merchant, error) {
	email, err := merchant.ParseEmail(email)
	if err != nil {
		return nil, err
	}
	if err := tx.SetMerchantEmail(ctx, merchantID, email); err != nil {
		return nil, err
	}
	return tx.Merchant(ctx, merchantID)
}
