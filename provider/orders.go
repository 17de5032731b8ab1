package provider

import (
	"context"

	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
)

// ChangeOrder is the one path of a change to an existing order: it loads
// the merchant's order, applies change under the order's environment (the
// clock guard, order.Env.For) and saves the result (SaveOrder). It returns
// the order as it now is, and the environment the change ran in.
func (s *Service) ChangeOrder(ctx context.Context, tx store.Tx, merchantID, orderID string, change func(o *order.Order, env order.Env) (*order.Order, error)) (*order.Order, order.Env, error) {
	o, err := tx.Order(ctx, merchantID, orderID)
	if err != nil {
		return nil, order.Env{}, err
	}
	env, err := s.EnvOf(ctx, tx, merchantID)
	if err != nil {
		return nil, env, err
	}
	env = env.For(o)
	next, err := change(o, env)
	if err != nil {
		return nil, env, err
	}
	if next != o {
		if err := s.SaveOrder(ctx, tx, o, next, env); err != nil {
			return nil, env, err
		}
	}
	return next, env, nil
}

// EditOrder replaces an order's lines and totals (Ledyer's order update);
// an order that grows must pass a new credit check (creditCheck).
func (s *Service) EditOrder(ctx context.Context, tx store.Tx, merchantID, orderID string, req order.EditRequest) (*order.Order, order.Env, error) {
	return s.EditOrderBy(ctx, tx, merchantID, orderID, func(*order.Order, order.Env) (order.EditRequest, error) { return req, nil })
}

// EditOrderBy is EditOrder with the request made from the order as it
// is, within the change: for an adapter whose edit names the order's own
// lines (the dashboard's).
func (s *Service) EditOrderBy(ctx context.Context, tx store.Tx, merchantID, orderID string, req func(o *order.Order, env order.Env) (order.EditRequest, error)) (*order.Order, order.Env, error) {
	return s.ChangeOrder(ctx, tx, merchantID, orderID, func(o *order.Order, env order.Env) (*order.Order, error) {
		r, err := req(o, env)
		if err != nil {
			return nil, err
		}
		return o.Edit(env, r, s.creditCheck(ctx, tx, o, env.Now))
	})
}

// SaveOrder stores an order's change from prev to next, the one way a
// change to an existing order is written: it checks next's invariants
// before anything is written (a violation is a bug and commits nothing),
// issues the documents the change calls for, saves next with its new
// events (the outbox adds their notifications), and makes its session's
// credit hold what it now draws on.
func (s *Service) SaveOrder(ctx context.Context, tx store.Tx, prev, next *order.Order, env order.Env) error {
	if err := next.Check(); err != nil {
		return err
	}
	if err := s.issueDocuments(ctx, tx, prev, next, env); err != nil {
		return err
	}
	if err := tx.UpdateOrder(ctx, next, next.Events[len(prev.Events):]); err != nil {
		return err
	}
	if next.Exposure() == prev.Exposure() && next.Customer.CompanyID == prev.Customer.CompanyID {
		return nil // the hold already says so: a capture moves credit, it draws no more
	}
	return holdOrder(ctx, tx, next)
}

// PreviewOrder is what change would make of the merchant's order now,
// without saving it: the order as it is, as it would be, and the
// environment; or why change would be refused. A page that asks to
// confirm a change shows it, from the same operation ChangeOrder runs.
func (s *Service) PreviewOrder(ctx context.Context, tx store.ReadTx, merchantID, orderID string, change func(o *order.Order, env order.Env) (*order.Order, error)) (prev, next *order.Order, env order.Env, err error) {
	if prev, err = tx.Order(ctx, merchantID, orderID); err != nil {
		return nil, nil, env, err
	}
	if env, err = s.EnvOf(ctx, tx, merchantID); err != nil {
		return prev, nil, env, err
	}
	env = env.For(prev)
	next, err = change(prev, env)
	if err == nil {
		err = next.Check()
	}
	return prev, next, env, err
}
