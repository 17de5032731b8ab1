package sqlstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
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

// endpointColumns are what scanEndpoint reads.
const endpointColumns = `id, merchant_id, url, secret, event_types, created_at,
	rotated_at, previous_secret, previous_until, failing_since, disabled_at, disabled_reason`

func scanEndpoint(rows Scanner) (notify.Endpoint, error) {
	var (
		e                                          notify.Endpoint
		types                                      string
		created, rotated, until, failing, disabled int64
	)
	err := rows.Scan(&e.ID, &e.MerchantID, &e.URL, &e.Secret, &types, &created,
		&rotated, &e.PreviousSecret, &until, &failing, &disabled, &e.DisabledReason)
	if err != nil {
		return e, err
	}
	if err := unmarshal(types, &e.EventTypes); err != nil {
		return e, err
	}
	e.CreatedAt, e.RotatedAt, e.PreviousUntil = fromMicros(created), timeOrZero(rotated), timeOrZero(until)
	e.FailingSince, e.DisabledAt = timeOrZero(failing), timeOrZero(disabled)
	return e, nil
}

// endpointsQuery lists the merchant's endpoints into the slice it returns.
func endpointsQuery(merchantID string) (Query, *[]notify.Endpoint) {
	es := new([]notify.Endpoint)
	return Query{
		SQL:  `SELECT ` + endpointColumns + ` FROM notification_endpoints WHERE merchant_id = $1 ORDER BY created_at, id`,
		Args: []any{merchantID},
		Scan: func(rows Scanner) error {
			e, err := scanEndpoint(rows)
			*es = append(*es, e)
			return err
		},
	}, es
}

func (t *Tx) NotificationEndpoint(ctx context.Context, merchantID, id string) (*notify.Endpoint, error) {
	what := "notification endpoint " + id
	var found []notify.Endpoint
	err := t.c.Query(ctx, func(rows Scanner) error {
		e, err := scanEndpoint(rows)
		found = append(found, e)
		return err
	}, `SELECT `+endpointColumns+` FROM notification_endpoints WHERE `+byID+t.c.ForUpdate(), id, merchantID)
	if err != nil {
		return nil, readErr(err, what)
	}
	if len(found) == 0 {
		return nil, kassa.Errorf(kassa.ENotFound, "%s not found", what)
	}
	return &found[0], nil
}

// NotificationTargets reads both in one round trip.
func (t *Tx) NotificationTargets(ctx context.Context, merchantID, sessionID string) (*session.Session, []notify.Endpoint, error) {
	var doc string
	q, es := endpointsQuery(merchantID)
	err := t.c.Queries(ctx, Query{
		SQL:  `SELECT doc FROM payment_sessions WHERE ` + byID,
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
	if err := unmarshal(doc, s); err != nil {
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
	_, err := t.c.Exec(ctx, `INSERT INTO notification_endpoints (id, merchant_id, url, secret, event_types, created_at,
			rotated_at, previous_secret, previous_until, failing_since, disabled_at, disabled_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, e.ID, e.MerchantID, e.URL, e.Secret, string(b), e.CreatedAt.UnixMicro(),
		microsOrZero(e.RotatedAt), e.PreviousSecret, microsOrZero(e.PreviousUntil), microsOrZero(e.FailingSince), microsOrZero(e.DisabledAt), e.DisabledReason)
	return t.writeErr(err, "notification endpoint "+e.ID)
}

func (t *Tx) UpdateNotificationEndpoint(ctx context.Context, e *notify.Endpoint) error {
	what := "notification endpoint " + e.ID
	n, err := t.c.Exec(ctx, `UPDATE notification_endpoints SET secret = $3, rotated_at = $4, previous_secret = $5, previous_until = $6,
			failing_since = $7, disabled_at = $8, disabled_reason = $9
		WHERE `+byID,
		e.ID, e.MerchantID, e.Secret, microsOrZero(e.RotatedAt), e.PreviousSecret, microsOrZero(e.PreviousUntil),
		microsOrZero(e.FailingSince), microsOrZero(e.DisabledAt), e.DisabledReason)
	if err != nil {
		return t.writeErr(err, what)
	}
	return mustChange(n, what)
}

func (t *Tx) DeleteNotificationEndpoint(ctx context.Context, merchantID, id string) error {
	what := "notification endpoint " + id
	n, err := t.c.Exec(ctx, `DELETE FROM notification_endpoints WHERE `+byID, id, merchantID)
	if err != nil {
		return t.writeErr(err, what)
	}
	if err := mustChange(n, what); err != nil {
		return err
	}
	_, err = t.FailEndpointDeliveries(ctx, merchantID, id)
	return err
}

// FailEndpointDeliveries leaves a claimed delivery to its attempt, which
// RecordAttempt records whatever the endpoint has become.
func (t *Tx) FailEndpointDeliveries(ctx context.Context, merchantID, id string) (int, error) {
	n, err := t.c.Exec(ctx, `UPDATE notification_deliveries SET state = 'failed'
		WHERE endpoint_id = $1 AND merchant_id = $2 AND state = 'pending' AND claim = ''`, id, merchantID)
	return int(n), t.writeErr(err, "deliveries to notification endpoint "+id)
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
		`SELECT `+notificationColumns+` FROM notifications n WHERE n.id = $1 AND n.merchant_id || '' = $2`, id, merchantID)
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
	beforeAt, beforeID := int64(math.MaxInt64), ""
	if f.Before != nil {
		beforeAt, beforeID = f.Before.At.UnixMicro(), f.Before.ID
	}
	var ns []notify.Notification
	err := t.c.Query(ctx, func(rows Scanner) error {
		n, err := scanNotification(rows)
		ns = append(ns, n)
		return err
	}, `SELECT * FROM (SELECT `+notificationColumns+` AS status FROM notifications n
			WHERE n.merchant_id = $1 AND ($2 = '' OR n.order_id = $2) AND ($3 = '' OR n.session_id = $3)
			AND ($8 = '' OR n.type = $8) AND (n.created_at < $6 OR n.created_at = $6 AND n.id < $7)) x
		WHERE $4 = '' OR x.status = $4
		ORDER BY x.created_at DESC, x.id DESC LIMIT $5`,
		merchantID, f.OrderID, f.SessionID, f.Status, f.Limit, beforeAt, beforeID, f.Type)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return ns, nil
}

func (t *Tx) NotificationsAfter(ctx context.Context, merchantID string, p store.NotificationPosition, limit int) ([]notify.Notification, error) {
	var ns []notify.Notification
	at := p.At.UnixMicro()
	err := t.c.Query(ctx, func(rows Scanner) error {
		n, err := scanNotification(rows)
		ns = append(ns, n)
		return err
	}, `SELECT `+notificationColumns+` FROM notifications n
		WHERE n.merchant_id = $1 AND (n.created_at > $2 OR n.created_at = $2 AND n.id > $3)
		ORDER BY n.created_at, n.id LIMIT $4`,
		merchantID, at, p.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("list notifications after %d %s: %w", at, p.ID, err)
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
			(id, notification_id, merchant_id, endpoint_id, url, destination, state, attempts, next_at, claim, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, '', $9)`,
			d.ID, n.ID, n.MerchantID, d.EndpointID, d.URL, notify.Destination(n.MerchantID, d.URL), cmp.Or(d.State, notify.Pending),
			d.NextAt.UnixMicro(), now.UnixMicro())
		if err != nil {
			return err
		}
	}
	return nil
}

// claimsLock serialises claims, and redeliveries, across processes: a
// claim counts each destination's claimed deliveries and then adds to
// them, which two claimers must not do at once. Whatever writes
// deliveries' claims takes it before it locks any delivery row, so that
// no two transactions wait on each other in opposite orders (the
// dispatcher records attempts and claims more in one transaction).
const claimsLock = "notification claims"

// lockClaims takes claimsLock for the rest of the transaction.
func (t *Tx) lockClaims(ctx context.Context) error {
	if t.claimsLocked {
		return nil
	}
	if err := t.c.Lock(ctx, claimsLock); err != nil {
		return fmt.Errorf("lock notification claims: %w", err)
	}
	t.claimsLocked = true
	return nil
}

// dueDestination is a destination with pending deliveries: the soonest
// one's due time and how many of them are claimed under a running lease.
type dueDestination struct {
	name    string
	next    int64
	claimed int
}

// dueDelivery is a candidate for a claim.
type dueDelivery struct {
	notify.Delivery
	next  int64
	turn  int   // its place in its destination's queue, from 0
	gone  bool  // its endpoint was deleted or disabled
	until int64 // its endpoint's PreviousUntil
}

func (t *Tx) ClaimDeliveries(ctx context.Context, c store.DeliveryClaim, sessionSecret func(string) string) ([]notify.Delivery, error) {
	if c.Limit <= 0 || c.PerDestination <= 0 {
		return nil, nil
	}
	if err := t.lockClaims(ctx); err != nil {
		return nil, err
	}
	now := c.Now.UnixMicro()
	// The destinations with pending deliveries, one index lookup each (a
	// loose index scan), so that the work does not grow with a backlog
	// that waits at one destination.
	var dests []dueDestination
	err := t.c.Query(ctx, func(rows Scanner) error {
		var d dueDestination
		if err := rows.Scan(&d.name, &d.next, &d.claimed); err != nil {
			return err
		}
		if d.next <= now && d.claimed < c.PerDestination {
			dests = append(dests, d)
		}
		return nil
	}, `WITH RECURSIVE dest (name) AS (
			SELECT MIN(destination) FROM notification_deliveries WHERE state = 'pending'
			UNION ALL
			SELECT (SELECT MIN(destination) FROM notification_deliveries WHERE state = 'pending' AND destination > dest.name)
			FROM dest WHERE dest.name IS NOT NULL)
		SELECT name,
			(SELECT MIN(next_at) FROM notification_deliveries WHERE state = 'pending' AND destination = dest.name),
			(SELECT COUNT(*) FROM notification_deliveries WHERE claim <> '' AND destination = dest.name AND state = 'pending' AND next_at > $1)
		FROM dest WHERE name IS NOT NULL`, now)
	if err != nil {
		return nil, fmt.Errorf("list destinations due: %w", err)
	}
	// Only the Limit destinations due longest can have a delivery in the
	// claim's first turn; each gives what its cap leaves room for.
	slices.SortFunc(dests, func(a, b dueDestination) int { return cmp.Compare(a.next, b.next) })
	dests = dests[:min(len(dests), c.Limit)]
	var cands []dueDelivery
	qs := make([]Query, len(dests))
	for i, dst := range dests {
		turn := 0
		qs[i] = Query{
			SQL: `SELECT d.id, d.notification_id, d.merchant_id, d.endpoint_id, d.url, d.attempts, d.next_at, n.body,
					COALESCE(e.secret, ''), COALESCE(e.previous_secret, ''), COALESCE(e.previous_until, 0),
					d.endpoint_id <> '' AND (e.id IS NULL OR e.disabled_at <> 0)
				FROM notification_deliveries d
				JOIN notifications n ON n.id = d.notification_id
				LEFT JOIN notification_endpoints e ON e.id = d.endpoint_id
				WHERE d.destination = $1 AND d.state = 'pending' AND d.next_at <= $2
				ORDER BY d.next_at, d.id LIMIT $3`,
			Args: []any{dst.name, now, c.PerDestination - dst.claimed},
			Scan: func(rows Scanner) error {
				cd := dueDelivery{turn: turn}
				if err := rows.Scan(&cd.ID, &cd.NotificationID, &cd.MerchantID, &cd.EndpointID, &cd.URL, &cd.Attempts, &cd.next, &cd.Body,
					&cd.Secret, &cd.PreviousSecret, &cd.until, &cd.gone); err != nil {
					return err
				}
				cd.PreviousUntil = timeOrZero(cd.until)
				turn++
				cands = append(cands, cd)
				return nil
			},
		}
	}
	if err := t.c.Queries(ctx, qs...); err != nil {
		return nil, fmt.Errorf("list due deliveries: %w", err)
	}
	// Destinations take turns: each one's first, then each one's second.
	slices.SortFunc(cands, func(a, b dueDelivery) int {
		return cmp.Or(cmp.Compare(a.turn, b.turn), cmp.Compare(a.next, b.next), cmp.Compare(a.ID, b.ID))
	})
	var out []notify.Delivery
	for _, cd := range cands {
		if len(out) == c.Limit && !cd.gone {
			continue
		}
		// Each claim is a compare-and-set on the due time read: a delivery
		// redelivered or recorded since is left alone. A delivery whose
		// endpoint was deleted or disabled fails instead: there is nothing
		// to send to (yet: a disabled endpoint's is redelivered once it is
		// enabled again).
		set, args := `next_at = $3, claim = $4`, []any{cd.ID, cd.next, c.LeaseUntil.UnixMicro(), c.Token}
		if cd.gone {
			set, args = `state = 'failed', claim = ''`, args[:2]
		}
		n, err := t.c.Exec(ctx, `UPDATE notification_deliveries SET `+set+`
			WHERE id = $1 AND state = 'pending' AND next_at = $2`, args...)
		if err != nil {
			return nil, t.writeErr(err, "notification delivery "+cd.ID)
		}
		if n == 0 || cd.gone {
			continue
		}
		d := cd.Delivery
		d.State, d.Claim, d.NextAt = notify.Pending, c.Token, c.LeaseUntil
		if d.EndpointID == "" {
			d.Secret = sessionSecret(d.MerchantID)
		}
		out = append(out, d)
	}
	return out, nil
}

func (t *Tx) RecordAttempt(ctx context.Context, d *notify.Delivery, a notify.Attempt) (bool, error) {
	what := "notification delivery " + d.ID
	if err := t.lockClaims(ctx); err != nil {
		return false, err
	}
	// An attempt that was made is logged whoever holds the delivery now.
	_, err := t.c.Exec(ctx, `INSERT INTO notification_attempts (delivery_id, at, status_code, latency_us, body, error)
		VALUES ($1, $2, $3, $4, $5, $6)`, d.ID, a.At.UnixMicro(), a.StatusCode, a.Latency.Microseconds(), a.Body, a.Error)
	if err != nil {
		return false, t.writeErr(err, what)
	}
	// A delivery whose endpoint was deleted or disabled during its attempt
	// has nowhere to be retried: it fails unless this attempt delivered it.
	n, err := t.c.Exec(ctx, `UPDATE notification_deliveries SET
			state = CASE WHEN CAST($3 AS TEXT) = 'pending' AND NOT `+liveDestination+`
				THEN 'failed' ELSE CAST($3 AS TEXT) END,
			attempts = $4, next_at = $5, claim = ''
		WHERE id = $1 AND claim = $2 AND state = 'pending'`,
		d.ID, d.Claim, d.State, d.Attempts, d.NextAt.UnixMicro())
	if err != nil {
		return false, t.writeErr(err, what)
	}
	return n > 0, nil
}

// liveDestination is true of a delivery whose destination takes
// deliveries: the session's URL, or an endpoint neither deleted nor
// disabled.
const liveDestination = `(endpoint_id = '' OR EXISTS (SELECT 1 FROM notification_endpoints e
	WHERE e.id = notification_deliveries.endpoint_id AND e.disabled_at = 0))`

func (t *Tx) Redeliver(ctx context.Context, merchantID, notificationID string, now time.Time) (int, error) {
	what := "deliveries of " + notificationID
	// After the lock no claim can start until this transaction ends, so
	// the check below holds until the deliveries are reset.
	if err := t.lockClaims(ctx); err != nil {
		return 0, err
	}
	var inFlight int64
	err := t.c.QueryRow(ctx, []any{&inFlight}, `SELECT COUNT(*) FROM notification_deliveries
		WHERE notification_id = $1 AND merchant_id = $2 AND state = 'pending' AND claim <> '' AND next_at > $3 AND `+liveDestination,
		notificationID, merchantID, now.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("count %s in flight: %w", what, err)
	}
	if inFlight > 0 {
		return 0, kassa.Errorf(kassa.EConflict, "an attempt to deliver notification %s is in flight; redeliver it once the attempt has ended", notificationID)
	}
	n, err := t.c.Exec(ctx, `UPDATE notification_deliveries SET state = 'pending', attempts = 0, next_at = $3, claim = ''
		WHERE notification_id = $1 AND merchant_id = $2 AND `+liveDestination, notificationID, merchantID, now.UnixMicro())
	if err != nil {
		return 0, t.writeErr(err, what)
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

func (t *Tx) AutoCapturesDue(ctx context.Context, merchantID string, at time.Time, limit int) ([]store.OrderKey, error) {
	keys, err := t.orderKeys(ctx, `SELECT merchant_id, order_id FROM auto_captures WHERE due_at <= $1`, "ORDER BY due_at, order_id", merchantID, at, limit)
	if err != nil {
		return nil, fmt.Errorf("list auto captures due: %w", err)
	}
	return keys, nil
}
