package provider

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// outbox is the store as use cases see it: every transaction writes the
// notifications of the order and session changes it makes, and schedules
// automatic captures, in that same transaction; one that issued documents
// has them numbered once it commits. Use cases save orders and sessions
// with the store's own methods and cannot forget a notification; no
// notification exists for a change that did not commit. A transaction
// that fails after refusing credit (a rejected authorization or edit
// fails its request) has its refusals recorded by one of their own right
// after: a refusal is a decision too.
type outbox struct {
	store.Store
	srv *Service
}

func (o outbox) Update(ctx context.Context, fn func(store.Tx) error) error {
	var (
		wrote, issued bool
		clients       []merchant.Client
		refused       []*store.CreditDecision
	)
	err := o.Store.Update(ctx, func(tx store.Tx) error {
		otx := &outboxTx{Tx: tx, srv: o.srv}
		err := fn(otx)
		wrote, issued, clients, refused = otx.wrote, otx.issued, otx.clients, otx.refused
		return err
	})
	if err == nil && clients != nil { // rotated or revoked: this process refuses their tokens at once
		o.srv.clients.learn(time.Time{}, clients)
	}
	if err != nil && len(refused) > 0 {
		o.recordRefusals(ctx, refused)
	}
	if err == nil && wrote {
		o.srv.notices.notify()               // the feeds that follow them
		if o.srv.cfg.OnNotification != nil { // due now: wake the dispatcher
			o.srv.cfg.OnNotification()
		}
	}
	if err == nil && issued {
		o.srv.documentIssued()
	}
	return err
}

// recordRefusals records the credit refusals of a transaction that failed.
// The failure is the request's answer; a failure to record is logged.
func (o outbox) recordRefusals(ctx context.Context, ds []*store.CreditDecision) {
	err := o.Store.Update(context.WithoutCancel(ctx), func(tx store.Tx) error {
		for _, d := range ds {
			if err := tx.AddCreditDecision(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		o.srv.log.ErrorContext(ctx, "recording refused credit decisions", "err", err, "decisions", len(ds))
	}
}

// outboxTx adds the outbox writes to the saves of orders and sessions.
type outboxTx struct {
	store.Tx
	srv     *Service
	wrote   bool                    // a notification was written
	issued  bool                    // a document was issued, to be numbered
	clients []merchant.Client       // API clients rotated or revoked
	refused []*store.CreditDecision // credit refused: recorded even if the transaction fails
	// sessions holds a copy of each session this transaction has locked by
	// reading it (Session) or has saved, as its row now holds it:
	// UpdateSession compares the new session with it, and an order's
	// notifications take the order's session from it, without reading the
	// row again. No other transaction can change a locked row, and only
	// UpdateSession changes it in this one.
	sessions map[sessionKey]*session.Session
}

// sessionKey names a session of a merchant.
type sessionKey struct{ merchantID, id string }

// remember notes s as its row now holds it.
func (t *outboxTx) remember(s *session.Session) {
	if t.sessions == nil {
		t.sessions = make(map[sessionKey]*session.Session, 1)
	}
	c := *s // the fields notify.ForSession and notify.ForOrder read are values
	t.sessions[sessionKey{s.MerchantID, s.ID}] = &c
}

func (t *outboxTx) Session(ctx context.Context, merchantID, id string) (*session.Session, error) {
	s, err := t.Tx.Session(ctx, merchantID, id)
	if err == nil {
		t.remember(s)
	}
	return s, err
}

func (t *outboxTx) AddCreditDecision(ctx context.Context, d *store.CreditDecision) error {
	if d.Outcome == risk.Rejected {
		t.refused = append(t.refused, d)
	}
	return t.Tx.AddCreditDecision(ctx, d)
}

func (t *outboxTx) CreateDocument(ctx context.Context, d *invoice.Document) error {
	err := t.Tx.CreateDocument(ctx, d)
	t.issued = t.issued || err == nil
	return err
}

func (t *outboxTx) CreateOrder(ctx context.Context, o *order.Order) error {
	if err := t.Tx.CreateOrder(ctx, o); err != nil {
		return err
	}
	return t.orderChanged(ctx, o, o.Events)
}

func (t *outboxTx) UpdateOrder(ctx context.Context, o *order.Order, newEvents []order.Event) error {
	if err := t.Tx.UpdateOrder(ctx, o, newEvents); err != nil {
		return err
	}
	return t.orderChanged(ctx, o, newEvents)
}

func (t *outboxTx) UpdateSession(ctx context.Context, s *session.Session) error {
	prev, read := t.sessions[sessionKey{s.MerchantID, s.ID}]
	if !read {
		var err error
		if prev, err = t.Tx.Session(ctx, s.MerchantID, s.ID); err != nil {
			return err
		}
	}
	if err := t.Tx.UpdateSession(ctx, s); err != nil {
		return err
	}
	t.remember(s) // should the update fail, so does the transaction
	msgs := notify.ForSession(prev, s)
	if len(msgs) == 0 {
		return nil
	}
	endpoints, err := t.Tx.NotificationEndpoints(ctx, s.MerchantID)
	if err != nil {
		return err
	}
	return t.write(ctx, s.MerchantID, s.Settings.NotificationURL, endpoints, msgs)
}

func (t *outboxTx) Redeliver(ctx context.Context, merchantID, notificationID string, now time.Time) (int, error) {
	n, err := t.Tx.Redeliver(ctx, merchantID, notificationID, now)
	t.wrote = t.wrote || n > 0
	return n, err
}

func (t *outboxTx) orderChanged(ctx context.Context, o *order.Order, events []order.Event) error {
	if notify.NotifiesOrder(events) {
		s, read := t.sessions[sessionKey{o.MerchantID, o.SessionID}]
		var (
			endpoints []notify.Endpoint
			err       error
		)
		if read { // creating the order from its session's token
			endpoints, err = t.Tx.NotificationEndpoints(ctx, o.MerchantID)
		} else {
			s, endpoints, err = t.Tx.NotificationTargets(ctx, o.MerchantID, o.SessionID)
		}
		if err != nil {
			return err
		}
		url := ""
		if s != nil {
			url = s.Settings.NotificationURL
		}
		if err := t.write(ctx, o.MerchantID, url, endpoints, notify.ForOrder(o, events, s)); err != nil {
			return err
		}
	}
	return t.scheduleAutoCapture(ctx, o, events)
}

// scheduleAutoCapture books the automatic capture when the order becomes
// ready, and drops it once nothing is left to capture.
func (t *outboxTx) scheduleAutoCapture(ctx context.Context, o *order.Order, events []order.Event) error {
	k := store.OrderKey{MerchantID: o.MerchantID, OrderID: o.ID}
	if o.AutoCapture == nil {
		return nil
	}
	if o.Uncaptured == nil {
		return t.Tx.CancelAutoCapture(ctx, k)
	}
	for _, e := range events {
		if e.Type != order.EventReadyForCapture {
			continue
		}
		if at, ok := o.AutoCapture.Due(e.CreatedAt); ok {
			return t.Tx.ScheduleAutoCapture(ctx, k, at)
		}
	}
	return nil
}

// write stores the messages (writeNotifications) and remembers to wake
// the dispatcher once the transaction commits.
func (t *outboxTx) write(ctx context.Context, merchantID, url string, endpoints []notify.Endpoint, msgs []notify.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := t.srv.writeNotifications(ctx, t.Tx, merchantID, url, endpoints, msgs); err != nil {
		return err
	}
	t.wrote = true
	return nil
}

// writeNotifications stores each message with a delivery to url (the
// session's notification URL, if any) and to each of endpoints, the
// merchant's, that subscribes to it.
func (s *Service) writeNotifications(ctx context.Context, tx store.Tx, merchantID, url string, endpoints []notify.Endpoint, msgs []notify.Message) error {
	now := s.clock.Now()
	for _, m := range msgs {
		if m.ID == "" {
			m.ID = s.ids.New(kassa.PrefixNotification)
		}
		n := &notify.Notification{
			ID: m.ID, MerchantID: merchantID,
			Type: m.Type, OrderID: m.OrderID, SessionID: m.SessionID, Body: m.Body, CreatedAt: now,
		}
		ds := notify.Destinations(url, endpoints, m.Type)
		nameDeliveries(n.ID, ds, 0, now)
		if err := tx.CreateNotification(ctx, n, ds); err != nil {
			return err
		}
	}
	return nil
}

// nameDeliveries names a notification's deliveries from number first on
// after the notification (so that IDs are spent only on what the API
// shows) and makes them due at now.
func nameDeliveries(notificationID string, ds []notify.Delivery, first int, now time.Time) {
	for i := range ds {
		ds[i].ID = kassa.PrefixDelivery + strings.TrimPrefix(notificationID, kassa.PrefixNotification) + "-" + strconv.Itoa(first+i)
		ds[i].NextAt = now
	}
}
