package provider

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
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
	if err := s.checkEndpointURL(url); err != nil {
		return nil, err
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
	e := &notify.Endpoint{
		ID: s.ids.New(kassa.PrefixEndpoint), MerchantID: merchantID, URL: url,
		Secret: newEndpointSecret(), EventTypes: subscribed, CreatedAt: s.clock.Now(),
	}
	stored := *e
	if stored.Secret, err = s.SealSecret(e); err != nil {
		return nil, err
	}
	return e, tx.CreateNotificationEndpoint(ctx, &stored)
}

// checkEndpointURL holds an endpoint's URL to the destination policy
// and, in live mode, to https.
func (s *Service) checkEndpointURL(url string) error {
	if err := notify.CheckURL(url, s.cfg.AllowPrivateWebhooks); err != nil {
		return err
	}
	if s.cfg.Live {
		return notify.CheckHTTPS("url", url)
	}
	return nil
}

// usableEndpoint refuses to give a new secret to, or enable, an endpoint
// whose URL this process would not take at creation: one made in a
// sandbox whose database now runs in live mode, say, with an http URL.
func (s *Service) usableEndpoint(e *notify.Endpoint) error {
	if err := s.checkEndpointURL(e.URL); err != nil {
		msg := err.Error()
		if ke, ok := errors.AsType[*kassa.Error](err); ok {
			msg = ke.Message
		}
		return kassa.Errorf(kassa.EConflict, "notification endpoint %s cannot be used: its %s; create an endpoint with a URL that can, and delete this one", e.ID, msg)
	}
	return nil
}

func newEndpointSecret() string {
	var random [24]byte
	rand.Read(random[:])
	return notify.NewSecret(random)
}

// RotateEndpointSecret gives the merchant's endpoint id a new secret,
// stored sealed, and keeps signing with the one it replaces for overlap
// (notify.Endpoint.Rotate). It returns the endpoint with its new secret
// in clear, for the merchant to see once.
func (s *Service) RotateEndpointSecret(ctx context.Context, tx store.Tx, merchantID, id string, overlap time.Duration) (*notify.Endpoint, error) {
	e, err := tx.NotificationEndpoint(ctx, merchantID, id)
	if err != nil {
		return nil, err
	}
	if err := s.usableEndpoint(e); err != nil {
		return nil, err
	}
	// The current secret becomes the previous one as it is stored: both
	// are sealed to the endpoint alike.
	next, err := e.Rotate(s.clock.Now(), overlap, newEndpointSecret())
	if err != nil {
		return nil, err
	}
	stored := next
	if stored.Secret, err = s.SealSecret(&next); err != nil {
		return nil, err
	}
	return &next, tx.UpdateNotificationEndpoint(ctx, &stored)
}

// EnableEndpoint makes deliveries to the merchant's endpoint id go out
// again, with no failure streak (notify.Endpoint.Enable); the
// deliveries failed while it was disabled stay failed, to be redelivered.
// Enabling an enabled endpoint clears its failure streak only.
func (s *Service) EnableEndpoint(ctx context.Context, tx store.Tx, merchantID, id string) (*notify.Endpoint, error) {
	e, err := tx.NotificationEndpoint(ctx, merchantID, id)
	if err != nil {
		return nil, err
	}
	if err := s.usableEndpoint(e); err != nil {
		return nil, err
	}
	next := e.Enable()
	return &next, tx.UpdateNotificationEndpoint(ctx, &next)
}

// DisableEndpoint stops deliveries to the merchant's endpoint id at the
// merchant's request (notify.Endpoint.Disable), until EnableEndpoint: its
// pending deliveries fail, as when Kassa disables an endpoint, and those
// made meanwhile fail too, to be redelivered once it is enabled. No one
// is told, the merchant having done it. An endpoint already disabled is
// left as it is.
func (s *Service) DisableEndpoint(ctx context.Context, tx store.Tx, merchantID, id string) (*notify.Endpoint, error) {
	e, err := tx.NotificationEndpoint(ctx, merchantID, id)
	if err != nil || e.Disabled() {
		return e, err
	}
	next := e.Disable(s.clock.Now())
	if err := tx.UpdateNotificationEndpoint(ctx, &next); err != nil {
		return nil, err
	}
	if _, err := tx.FailEndpointDeliveries(ctx, merchantID, id); err != nil {
		return nil, err
	}
	return &next, nil
}

// The dispatcher is the audit log's actor when it disables an endpoint,
// with actionDisableEndpoint.
const (
	jobDeliver            = "deliver-notifications"
	actionDisableEndpoint = "disable-endpoint"
)

// EndpointAttempted keeps the health of d's endpoint after a, an attempt
// sent to it (notify.Endpoint.Attempted), in tx: the dispatcher's, which
// records the attempt (webhook.Config.Endpoints). An endpoint deleted
// meanwhile is no one's concern.
func (s *Service) EndpointAttempted(ctx context.Context, tx store.Tx, d *notify.Delivery, a notify.Attempt) error {
	e, err := tx.NotificationEndpoint(ctx, d.MerchantID, d.EndpointID)
	if kassa.ErrorCode(err) == kassa.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	next, changed := e.Attempted(a, s.cfg.DisableEndpointsAfter)
	if !changed {
		return nil
	}
	if err := tx.UpdateNotificationEndpoint(ctx, &next); err != nil {
		return err
	}
	if next.Disabled() {
		return s.endpointDisabled(ctx, tx, &next)
	}
	return nil
}

// endpointDisabled follows e's disabling, in its transaction: e's pending
// deliveries fail, and the merchant hears of it three ways. An e-mail to
// its contact address, if it has one; a com.kassa.endpoint.disabled
// notification to its other endpoints that subscribe to it (to those
// disabled as well, failed like everything meant for them); and an event
// in its audit log, by the dispatcher.
func (s *Service) endpointDisabled(ctx context.Context, tx store.Tx, e *notify.Endpoint) error {
	if _, err := tx.FailEndpointDeliveries(ctx, e.MerchantID, e.ID); err != nil {
		return err
	}
	endpoints, err := tx.NotificationEndpoints(ctx, e.MerchantID)
	if err != nil {
		return err
	}
	others := slices.DeleteFunc(endpoints, func(o notify.Endpoint) bool { return o.ID == e.ID })
	if err := s.writeNotifications(ctx, tx, e.MerchantID, "", others, []notify.Message{notify.ForEndpointDisabled(e)}); err != nil {
		return err
	}
	m, err := tx.Merchant(ctx, e.MerchantID)
	if err != nil {
		return err
	}
	if m.Email != "" {
		subject, body := disabledNotice(e)
		if err := s.QueueMessage(ctx, tx, Message{MerchantID: m.ID, To: m.Email, Subject: subject, Body: body}); err != nil {
			return err
		}
	}
	return s.Audit(ctx, tx, audit.Event{Actor: audit.System(jobDeliver), MerchantID: e.MerchantID, Action: actionDisableEndpoint, Target: e.ID})
}

// disabledNotice is the e-mail that tells a merchant its endpoint e was
// disabled.
func disabledNotice(e *notify.Endpoint) (subject, body string) {
	const stamp = "2006-01-02 15:04 UTC"
	why := "it answered 410 Gone, which asks the sender to stop"
	if e.DisabledReason == notify.DisabledFailing {
		why = "every attempt to deliver to it has failed since " + e.FailingSince.UTC().Format(stamp)
	}
	body = fmt.Sprintf(`Kassa stopped sending notifications to your endpoint %s (%s) at %s: %s.

While it is disabled, nothing is sent to it: the notifications that were waiting for it, and those made meanwhile, are marked failed.

Once it answers again, enable it:
  POST /v1/notification-endpoints/%s/enable
and send it what it missed: GET /v1/notifications?status=failed lists the notifications, and POST /v1/notifications/{id}/redeliver sends one again.
`, e.URL, e.ID, e.DisabledAt.UTC().Format(stamp), why, e.ID)
	return "Kassa disabled your notification endpoint " + e.ID, body
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
