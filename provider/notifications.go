package provider

import (
	"context"
	"crypto/rand"
	"slices"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/store"
)

// maxEndpoints bounds a merchant's endpoints: each one multiplies the
// deliveries of every notification.
const maxEndpoints = 20

// CreateEndpoint adds a notification endpoint for the merchant, with a
// new signing secret, subscribed to types (all of them when empty). In
// live mode its URL must be https. It returns the endpoint with its
// secret, which is stored sealed.
func (s *Service) CreateEndpoint(ctx context.Context, tx store.Tx, merchantID, url string, types []string) (*notify.Endpoint, error) {
	if err := notify.CheckURL(url, s.cfg.AllowPrivateWebhooks); err != nil {
		return nil, err
	}
	if s.cfg.Live {
		if err := notify.CheckHTTPS("url", url); err != nil {
			return nil, err
		}
	}
	var subscribed []string
	for i, t := range types {
		if !slices.Contains(notify.Types, t) {
			return nil, kassa.Invalid("eventTypes", "eventTypes[%d] %q is not a notification type", i, t)
		}
		if !slices.Contains(subscribed, t) {
			subscribed = append(subscribed, t)
		}
	}
	es, err := tx.NotificationEndpoints(ctx, merchantID)
	if err != nil {
		return nil, err
	}
	if len(es) >= maxEndpoints {
		return nil, kassa.Errorf(kassa.EConflict, "a merchant can have at most %d notification endpoints", maxEndpoints)
	}
	var random [24]byte
	rand.Read(random[:])
	e := &notify.Endpoint{
		ID: s.ids.New(kassa.PrefixEndpoint), MerchantID: merchantID, URL: url,
		Secret: notify.NewSecret(random), EventTypes: subscribed, CreatedAt: s.clock.Now(),
	}
	stored := *e
	if stored.Secret, err = s.SealSecret(e); err != nil {
		return nil, err
	}
	return e, tx.CreateNotificationEndpoint(ctx, &stored)
}

// SealSecret seals an endpoint's secret, as it is stored: for anything
// else that keeps it, such as the API's stored answer to the request
// that created the endpoint. OpenSecret opens it.
func (s *Service) SealSecret(e *notify.Endpoint) (string, error) {
	kek, err := s.kek()
	if err != nil {
		return "", err
	}
	return kek.Seal([]byte(e.Secret), notify.SecretContext(e.ID)), nil
}

// OpenSecret opens the secret of endpoint id that SealSecret sealed.
func (s *Service) OpenSecret(id, sealed string) (string, error) {
	kek, err := s.kek()
	if err != nil {
		return "", err
	}
	secret, err := kek.Open(sealed, notify.SecretContext(id))
	return string(secret), err
}

// SigningSecret is the secret that signs deliveries to the merchant's
// session notification URLs.
func (s *Service) SigningSecret(merchantID string) (string, error) {
	if len(s.cfg.NotificationKey) == 0 {
		return "", kassa.Errorf(kassa.ENotFound, "notification signing is not configured")
	}
	return notify.SessionSecret(s.cfg.NotificationKey, merchantID), nil
}

// Redeliver sends a notification again to each of its destinations that
// still exists, and to the endpoints created since that subscribe to its
// type, with a fresh retry schedule; the earlier attempts stay in the log.
// While an attempt is in flight it is a conflict (store.Redeliver).
func (s *Service) Redeliver(ctx context.Context, tx store.Tx, merchantID, notificationID string) error {
	nt, err := tx.Notification(ctx, merchantID, notificationID)
	if err != nil {
		return err
	}
	existing, err := tx.Deliveries(ctx, merchantID, notificationID)
	if err != nil {
		return err
	}
	endpoints, err := tx.NotificationEndpoints(ctx, merchantID)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	added := notify.NewDestinations(existing, endpoints, nt.Type)
	nameDeliveries(nt.ID, added, len(existing), now)
	if err := tx.AddDeliveries(ctx, nt, added, now); err != nil {
		return err
	}
	n, err := tx.Redeliver(ctx, merchantID, notificationID, now)
	if err != nil {
		return err
	}
	if n == 0 {
		return kassa.Errorf(kassa.EConflict, "notification %s had no destination to deliver to", notificationID)
	}
	return nil
}
