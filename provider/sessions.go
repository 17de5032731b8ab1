package provider

import (
	"context"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// CreateSession creates a payment session for the merchant; an empty
// store ID is the merchant's default store.
func (s *Service) CreateSession(ctx context.Context, tx store.Tx, merchantID string, p session.Params) (*session.Session, error) {
	if err := s.checkNotificationURL(p); err != nil {
		return nil, err
	}
	var storeID string
	if p.StoreID != nil {
		storeID = *p.StoreID
	}
	storeID, err := callerStore(ctx, tx, merchantID, storeID)
	if err != nil {
		return nil, err
	}
	p.StoreID = &storeID
	env, err := s.EnvOf(ctx, tx, merchantID)
	if err != nil {
		return nil, err
	}
	ps, err := session.New(env, merchantID, p)
	if err != nil {
		return nil, err
	}
	return ps, tx.CreateSession(ctx, ps)
}

// ChangeSession is the one path of a change to a session by its merchant:
// it loads the merchant's session, applies change and saves the result
// (the outbox writes its notifications).
func (s *Service) ChangeSession(ctx context.Context, tx store.Tx, merchantID, sessionID string, change func(ps *session.Session, env order.Env) (*session.Session, error)) (*session.Session, error) {
	ps, err := tx.Session(ctx, merchantID, sessionID)
	if err != nil {
		return nil, err
	}
	env, err := s.EnvOf(ctx, tx, merchantID)
	if err != nil {
		return nil, err
	}
	next, err := change(ps, env)
	if err != nil {
		return nil, err
	}
	return next, tx.UpdateSession(ctx, next)
}

// UpdateSession applies the merchant's update to a session. Settings
// without URLs keep the session's URLs: the WooCommerce Payments plugin's
// updates send settings.security alone, and the URLs it set at creation
// stay (the dialog's frame-ancestors come from them).
func (s *Service) UpdateSession(ctx context.Context, tx store.Tx, merchantID, sessionID string, p session.Params, withURLs bool) (*session.Session, error) {
	if withURLs {
		if err := s.checkNotificationURL(p); err != nil {
			return nil, err
		}
	}
	return s.ChangeSession(ctx, tx, merchantID, sessionID, func(ps *session.Session, env order.Env) (*session.Session, error) {
		if p.StoreID != nil {
			storeID, err := callerStore(ctx, tx, ps.MerchantID, *p.StoreID)
			if err != nil {
				return nil, err
			}
			p.StoreID = &storeID
		}
		if p.Settings != nil && !withURLs {
			p.Settings.ConfirmationURL, p.Settings.NotificationURL = ps.Settings.ConfirmationURL, ps.Settings.NotificationURL
		}
		return ps.Update(env, p)
	})
}

// checkNotificationURL holds the notification URL a session create or
// update sets to live mode's rule: https, or none. The sandbox takes any,
// as Ledyer's clients send them unchecked (a shop on a laptop has no TLS).
func (s *Service) checkNotificationURL(p session.Params) error {
	if !s.cfg.Live || p.Settings == nil || p.Settings.NotificationURL == "" {
		return nil
	}
	return notify.CheckHTTPS("settings.urls.notification", p.Settings.NotificationURL)
}

// CancelSession cancels a session and gives back the credit it reserved.
func (s *Service) CancelSession(ctx context.Context, tx store.Tx, merchantID, sessionID string) (*session.Session, error) {
	return s.ChangeSession(ctx, tx, merchantID, sessionID, func(ps *session.Session, env order.Env) (*session.Session, error) {
		next, err := ps.Cancel(env)
		if err != nil {
			return nil, err
		}
		return next, releaseHold(ctx, tx, ps.ID)
	})
}

// PublicSession loads a session by its ID alone: the buyer's pages know
// no merchant.
func PublicSession(ctx context.Context, tx store.ReadTx, id string) (*session.Session, error) {
	m, err := tx.SessionOwner(ctx, id)
	if err != nil {
		return nil, err
	}
	return tx.Session(ctx, m, id)
}

// callerStore resolves a request's storeId for the calling merchant:
// empty is its default store ("if not set, defaults to the first store"),
// and any other must be one of its stores, of which a merchant has one.
func callerStore(ctx context.Context, tx store.ReadTx, merchantID, storeID string) (string, error) {
	m, err := tx.Merchant(ctx, merchantID)
	if err != nil {
		return "", err
	}
	if storeID != "" && storeID != m.StoreID {
		return "", kassa.Invalid("storeId", "storeId %q is not a store of this merchant", storeID)
	}
	return m.StoreID, nil
}

// supersede cancels a session's earlier token that a new authorization
// replaces, so only the newest can create the order.
func (s *Service) supersede(ctx context.Context, tx store.Tx, merchantID, token string, env order.Env) error {
	if token == "" {
		return nil
	}
	old, err := tx.Token(ctx, merchantID, token)
	if err != nil {
		return err
	}
	if cancelled, err := old.Cancel(env.Now); err == nil {
		return tx.PutToken(ctx, cancelled)
	}
	return nil // already used, cancelled or expired: nothing to undo
}
