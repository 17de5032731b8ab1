package provider

import (
	"context"

	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// OrderFromToken turns an authorization token into an order: the API's
// order creation and the demo shop's backend both use it.
func (s *Service) OrderFromToken(ctx context.Context, tx store.Tx, merchantID, token string, req session.OrderRequest) (*order.Order, error) {
	if req.StoreID != "" { // empty keeps the session's store
		if _, err := callerStore(ctx, tx, merchantID, req.StoreID); err != nil {
			return nil, err
		}
	}
	tok, err := tx.Token(ctx, merchantID, token)
	if err != nil {
		return nil, err
	}
	ps, err := tx.Session(ctx, merchantID, tok.SessionID)
	if err != nil {
		return nil, err
	}
	env, err := s.EnvOf(ctx, tx, merchantID)
	if err != nil {
		return nil, err
	}
	o, usedTok, done, err := session.CreateOrder(env, tok, ps, req, s.cfg.ProcessingDelay)
	if err != nil {
		return nil, err
	}
	if err := o.Check(); err != nil {
		return nil, err
	}
	if err := tx.CreateOrder(ctx, o); err != nil {
		return nil, err
	}
	if err := holdOrder(ctx, tx, o); err != nil {
		return nil, err
	}
	if err := tx.PutToken(ctx, usedTok); err != nil {
		return nil, err
	}
	if err := tx.UpdateSession(ctx, done); err != nil {
		return nil, err
	}
	return o, nil
}

// CancelToken cancels an unused token; its session reopens so the
// merchant can update it and have the buyer authorize again.
func (s *Service) CancelToken(ctx context.Context, tx store.Tx, merchantID, token string) error {
	tok, err := tx.Token(ctx, merchantID, token)
	if err != nil {
		return err
	}
	env, err := s.EnvOf(ctx, tx, merchantID)
	if err != nil {
		return err
	}
	cancelled, err := tok.Cancel(env.Now)
	if err != nil {
		return err
	}
	ps, err := tx.Session(ctx, merchantID, tok.SessionID)
	if err != nil {
		return err
	}
	if err := tx.PutToken(ctx, cancelled); err != nil {
		return err
	}
	reopened := ps.Reopen(env, token)
	if err := tx.UpdateSession(ctx, reopened); err != nil {
		return err
	}
	if reopened != ps {
		return releaseHold(ctx, tx, ps.ID)
	}
	return nil
}
