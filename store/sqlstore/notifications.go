package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

func (t *Tx) NotificationEndpoints(ctx context.Context, merchantID string) ([]notify.Endpoint, error) {
	q, es := endpointsQuery(merchantID)
	if err := t.c.Queries(ctx, q); err != nil {
		return nil, fmt.Errorf("list notification endpoints: %w", err)
	}
	return *es, nil
}

// endpointsQuery lists the merchant's endpoints into the slice it returns.
func endpointsQuery(merchantID string) (Query, *[]notify.Endpoint) {
	es := new([]notify.Endpoint)
	return Query{
		SQL: `SELECT id, merchant_id, url, secret, event_types, created_at FROM notification_endpoints
			WHERE merchant_id = $1 ORDER BY created_at, id`,
		Args: []any{merchantID},
		Scan: func(rows Scanner) error {
			var (
				e       notify.Endpoint
				types   string
				created int64
			)
			if err := rows.Scan(&e.ID, &e.MerchantID, &e.URL, &e.Secret, &types, &created); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(types), &e.EventTypes); err != nil {
				return err
			}
			e.CreatedAt = fromMicros(created)
			*es = append(*es, e)
			return nil
		},
	}, es
}

// NotificationTargets reads both in one round trip.
func (t *Tx) NotificationTargets(ctx context.Context, merchantID, sessionID string) (*session.Session, []notify.Endpoint, error) {
	var doc string
	q, es := endpointsQuery(merchantID)
	err := t.c.Queries(ctx, Query{
		SQL:  `SELECT doc FROM payment_sessions WHERE id = $1 AND merchant_id = $2`,
		Args: []any{sessionID, merchantID},
		Scan: func(rows Scanner) error { return rows.Scan(&doc) },
	}, q)
	if err != nil {
		return nil, nil, fmt.Errorf("read notification targets: %w", err)
	}
	if doc == "" {
		return nil, *es, nil
	}
	s := new(session.Session)
	if err := json.Unmarshal([]byte(doc), s); err != nil {
		return nil, nil, fmt.Errorf("decode session %s: %w", sessionID, err)
	}
	return s, *es, nil
}

func (t *Tx) CreateNotificationEndpoint(ctx context.Context, e *notify.Endpoint) error {
	types := e.EventTypes
	if types == nil {
		types = []string{}
	}
	b, _ := json.Marshal(types)
	_, err := t.c.Exec(ctx, `INSERT INTO notification_endpoints (id, merchant_id, url, secret, event_types, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, e.ID, e.MerchantID, e.URL, e.Secret, string(b), e.CreatedAt.UnixMicro())
	return t.writeErr(err, "notification endpoint "+e.ID)
}

func (t *Tx) DeleteNotificationEndpoint(ctx context.Context, merchantID, id string) error {
	what := "notification endpoint " + id
	n, err := t.c.Exec(ctx, `DELETE FROM notification_endpoints WHERE id = $1 AND merchant_id = $2`, id, merchantID)
	if err != nil {
		return t.writeErr(err, what)
	}
	if err := mustChange(n, what); err != nil {
		return err
	}
	_, err = t.c.Exec(ctx, `UPDATE notification_deliveries SET state = 'failed', claim = ''
		WHERE endpoint_id = $1 AND merchant_id = $2 AND state = 'pending'`, id, merchantID)
	return t.writeErr(err, what)
}

// notificationStatus sums up a notification's deliveries in SQL, so that
// lists can filter on it.
const notificationStatus = `CASE
	WHEN EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = n.id AND d.state = 'pending') THEN 'pending'
	WHEN EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = n.id AND d.state = 'failed') THEN 'failed'
	ELSE 'delivered' END`

const notificationColumns = `n.id, n.merchant_id, n.type, n.order_id, n.session_id, n.body, n.created_at, ` + notificationStatus

func scanNotification(rows Scanner) (notify.Notification, error) {
	var (
		n       notify.Notification
		created int64
	)
	err := rows.Scan(&n.ID, &n.MerchantID, &n.Type, &n.OrderID, &n.SessionID, &n.Body, &created, &n.Status)
	n.CreatedAt = fromMicros(created)
	return n, err
}

func (t *Tx) Notification(ctx context.Context, merchantID, id string) (*notify.Notification, error) {
	var (
		n       notify.Notification
		created int64
	)
	err := t.c.QueryRow(ctx, []any{&n.ID, &n.MerchantID, &n.Type, &n.OrderID, &n.SessionID, &n.Body, &created, &n.Status},
		`SELECT `+notificationColumns+` FROM notifications n WHERE n.id = $1 AND n.merchant_id = $2`, id, merchantID)
	if err != nil {
		return nil, readErr(err, "notification "+id)
	}
	n.CreatedAt = fromMicros(created)
	return &n, nil
}

func (t *Tx) Notifications(ctx context.Context, merchantID string, f store.NotificationFilter) ([]notify.Notification, error) {
	if f.Limit <= 0 {
		return nil, nil
	}
	var ns []notify.Notification
	err := t.c.Query(ctx, func(rows Scanner) error {
		n, err := scanNotification(rows)
		ns = append(ns, n)
		return err
	}, `SELECT * FROM (SELECT `+notificationColumns+` AS status FROM notifications n
			WHERE n.merchant_id = $1 AND ($2 = '' OR n.order_id = $2) AND ($3 = '' OR n.session_id = $3)) x
		WHERE $4 = '' OR x.status = $4
		ORDER BY x.created_at DESC, x.id DESC LIMIT $5`,
		merchantID, f.OrderID, f.SessionID, f.Status, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return ns, nil
}

func (t *Tx) Deliveries(ctx context.Context, merchantID, notificationID string) ([]notify.Delivery, error) {
	var ds []notify.Delivery
	err := t.c.Query(ctx, func(rows Scanner) error {
		var (
			d             notify.Delivery
			next, created int64
		)
		if err := rows.Scan(&d.ID, &d.NotificationID, &d.MerchantID, &d.EndpointID, &d.URL, &d.State, &d.Attempts, &next, &d.Claim, &created); err != nil {
			return err
		}
		d.NextAt, d.CreatedAt = fromMicros(next), fromMicros(created)
		ds = append(ds, d)
		return nil
	}, `SELECT id, notification_id, merchant_id, endpoint_id, url, state, attempts, next_at, claim, created_at
		FROM notification_deliveries WHERE notification_id = $1 AND merchant_id = $2 ORDER BY created_at, id`,
		notificationID, merchantID)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	for i := range ds {
		err := t.c.Query(ctx, func(rows Scanner) error {
			var (
				a           notify.Attempt
				at, latency int64
			)
			if err := rows.Scan(&at, &a.StatusCode, &latency, &a.Body, &a.Error); err != nil {
				return err
			}
			a.DeliveryID, a.At, a.Latency = ds[i].ID, fromMicros(at), time.Duration(latency)*time.Microsecond
			ds[i].Log = append(ds[i].Log, a)
			return nil
		}, `SELECT at, status_code, latency_us, body, error FROM notification_attempts WHERE delivery_id = $1 ORDER BY seq`, ds[i].ID)
		if err != nil {
			return nil, fmt.Errorf("list attempts: %w", err)
		}
	}
	return ds, nil
}

func (t *Tx) CreateNotification(ctx context.Context, n *notify.Notification, ds []notify.Delivery) error {
	err := t.writeLater(ctx, "notification "+n.ID, `INSERT INTO notifications (id, merchant_id, type, order_id, session_id, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, n.ID, n.MerchantID, n.Type, n.OrderID, n.SessionID, n.Body, n.CreatedAt.UnixMicro())
	if err != nil {
		return err
	}
	return t.AddDeliveries(ctx, n, ds, n.CreatedAt)
}

func (t *Tx) AddDeliveries(ctx context.Context, n *notify.Notification, ds []notify.Delivery, now time.Time) error {
	for _, d := range ds {
		err := t.writeLater(ctx, "notification delivery "+d.ID, `INSERT INTO notification_deliveries
			(id, notification_id, merchant_id, endpoint_id, url, state, attempts, next_at, claim, created_at)
			VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, '', $7)`,
			d.ID, n.ID, n.MerchantID, d.EndpointID, d.URL, d.NextAt.UnixMicro(), now.UnixMicro())
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *Tx) ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, claim string, limit int, sessionSecret func(string) string) ([]notify.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	type due struct {
		notify.Delivery
		next int64
	}
	var cands []due
	err := t.c.Query(ctx, func(rows Scanner) error {
		var d due
		if err := rows.Scan(&d.ID, &d.NotificationID, &d.MerchantID, &d.EndpointID, &d.URL, &d.Attempts, &d.next, &d.Body, &d.Secret); err != nil {
			return err
		}
		cands = append(cands, d)
		return nil
	}, `SELECT d.id, d.notification_id, d.merchant_id, d.endpoint_id, d.url, d.attempts, d.next_at, n.body, COALESCE(e.secret, '')
		FROM notification_deliveries d
		JOIN notifications n ON n.id = d.notification_id
		LEFT JOIN notification_endpoints e ON e.id = d.endpoint_id
		WHERE d.state = 'pending' AND d.next_at <= $1
		ORDER BY d.next_at, d.id LIMIT $2`+skipLocked(t.c.ForUpdate()), now.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("list due deliveries: %w", err)
	}
	var out []notify.Delivery
	for _, c := range cands {
		n, err := t.c.Exec(ctx, `UPDATE notification_deliveries SET next_at = $3, claim = $4
			WHERE id = $1 AND state = 'pending' AND next_at = $2`, c.ID, c.next, leaseUntil.UnixMicro(), claim)
		if err != nil {
			return nil, t.writeErr(err, "notification delivery "+c.ID)
		}
		if n == 0 {
			continue // another process claimed it first
		}
		d := c.Delivery
		d.State, d.Claim, d.NextAt = notify.Pending, claim, leaseUntil
		if d.EndpointID == "" {
			d.Secret = sessionSecret(d.MerchantID)
		}
		out = append(out, d)
	}
	return out, nil
}

// skipLocked turns a backend's row lock into one that passes over rows
// another transaction holds, so concurrent claimers (on PostgreSQL) take
// different deliveries instead of queueing for the same ones. The claim's
// compare-and-set keeps it correct without: SQLite writes one at a time.
func skipLocked(forUpdate string) string {
	if forUpdate == "" {
		return ""
	}
	return forUpdate + " OF d SKIP LOCKED"
}

func (t *Tx) RecordAttempt(ctx context.Context, d *notify.Delivery, a notify.Attempt) error {
	what := "notification delivery " + d.ID
	n, err := t.c.Exec(ctx, `UPDATE notification_deliveries SET state = $3, attempts = $4, next_at = $5, claim = ''
		WHERE id = $1 AND claim = $2 AND state = 'pending'`,
		d.ID, d.Claim, d.State, d.Attempts, d.NextAt.UnixMicro())
	if err != nil {
		return t.writeErr(err, what)
	}
	if n == 0 {
		return kassa.Errorf(kassa.EConflict, "%s is no longer claimed by %s", what, d.Claim)
	}
	_, err = t.c.Exec(ctx, `INSERT INTO notification_attempts (delivery_id, at, status_code, latency_us, body, error)
		VALUES ($1, $2, $3, $4, $5, $6)`, d.ID, a.At.UnixMicro(), a.StatusCode, a.Latency.Microseconds(), a.Body, a.Error)
	return t.writeErr(err, what)
}

func (t *Tx) ReleaseClaim(ctx context.Context, d *notify.Delivery, now time.Time) error {
	_, err := t.c.Exec(ctx, `UPDATE notification_deliveries SET next_at = $3, claim = ''
		WHERE id = $1 AND claim = $2 AND state = 'pending'`, d.ID, d.Claim, now.UnixMicro())
	return t.writeErr(err, "notification delivery "+d.ID)
}

func (t *Tx) Redeliver(ctx context.Context, merchantID, notificationID string, now time.Time) (int, error) {
	n, err := t.c.Exec(ctx, `UPDATE notification_deliveries SET state = 'pending', attempts = 0, next_at = $3, claim = ''
		WHERE notification_id = $1 AND merchant_id = $2`, notificationID, merchantID, now.UnixMicro())
	if err != nil {
		return 0, t.writeErr(err, "deliveries of "+notificationID)
	}
	return int(n), nil
}

func (t *Tx) ScheduleAutoCapture(ctx context.Context, k store.OrderKey, at time.Time) error {
	_, err := t.c.Exec(ctx, `INSERT INTO auto_captures (order_id, merchant_id, due_at) VALUES ($1, $2, $3)
		ON CONFLICT (order_id) DO UPDATE SET due_at = excluded.due_at`, k.OrderID, k.MerchantID, at.UnixMicro())
	return t.writeErr(err, "auto capture of "+k.OrderID)
}

func (t *Tx) CancelAutoCapture(ctx context.Context, k store.OrderKey) error {
	_, err := t.c.Exec(ctx, `DELETE FROM auto_captures WHERE order_id = $1 AND merchant_id = $2`, k.OrderID, k.MerchantID)
	return t.writeErr(err, "auto capture of "+k.OrderID)
}

func (t *Tx) AutoCapturesDue(ctx context.Context, at time.Time, limit int) ([]store.OrderKey, error) {
	if limit <= 0 {
		return nil, nil
	}
	var keys []store.OrderKey
	err := t.c.Query(ctx, func(rows Scanner) error {
		var k store.OrderKey
		if err := rows.Scan(&k.MerchantID, &k.OrderID); err != nil {
			return err
		}
		keys = append(keys, k)
		return nil
	}, `SELECT merchant_id, order_id FROM auto_captures WHERE due_at <= $1 ORDER BY due_at, order_id LIMIT $2`, at.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("list auto captures due: %w", err)
	}
	return keys, nil
}
