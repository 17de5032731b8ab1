package store

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/session"
)

// NotificationFilter selects notifications; empty fields match all.
type NotificationFilter struct {
	OrderID, SessionID string
	Type               string // a notification type (notify.Types)
	Status             string // notify.Pending, Delivered or Failed
	// Before continues a listing: only the notifications that come after
	// this position in the listing's order, newest first. Nil starts at
	// the newest.
	Before *NotificationPosition
	Limit  int
}

// NotificationPosition is a place in a merchant's notifications, which
// are in the order of their creation time, then their ID.
type NotificationPosition struct {
	At time.Time
	ID string
}

// NotificationReader reads notifications, endpoints and delivery logs.
// Every lookup is merchant-scoped.
type NotificationReader interface {
	// NotificationEndpoints lists the merchant's endpoints, oldest first.
	NotificationEndpoints(ctx context.Context, merchantID string) ([]notify.Endpoint, error)
	// NotificationEndpoint reads one of the merchant's endpoints; in a
	// write transaction it is locked until the transaction ends, so that
	// what is written back from it is not based on a stale read.
	NotificationEndpoint(ctx context.Context, merchantID, id string) (*notify.Endpoint, error)
	// NotificationTargets reads what an order's notifications go to: its
	// session, nil when there is none, not locked (its notification URL
	// and reference are fixed once it has an order), and the merchant's
	// endpoints as NotificationEndpoints lists them.
	NotificationTargets(ctx context.Context, merchantID, sessionID string) (*session.Session, []notify.Endpoint, error)
	Notification(ctx context.Context, merchantID, id string) (*notify.Notification, error)
	// Notifications lists the newest matching notifications first.
	Notifications(ctx context.Context, merchantID string, f NotificationFilter) ([]notify.Notification, error)
	// NotificationsAfter lists up to limit of the merchant's
	// notifications that come after p, oldest first.
	NotificationsAfter(ctx context.Context, merchantID string, p NotificationPosition, limit int) ([]notify.Notification, error)
	// Deliveries lists a notification's deliveries with their attempt
	// logs, oldest attempt first.
	Deliveries(ctx context.Context, merchantID, notificationID string) ([]notify.Delivery, error)
	// AutoCapturesDue lists up to limit orders, the merchant's or every
	// merchant's when merchantID is empty, whose automatic capture is due
	// at t, soonest first.
	AutoCapturesDue(ctx context.Context, merchantID string, t time.Time, limit int) ([]OrderKey, error)
}

// DeliveryClaim is what ClaimDeliveries takes.
type DeliveryClaim struct {
	Now, LeaseUntil time.Time
	Token           string // the claimer's, unique to this claim
	Limit           int    // deliveries to claim at most
	PerDestination  int    // claimed deliveries per destination at most
}

// NotificationWriter writes them. The outbox writes a notification and its
// deliveries in the transaction of the change that causes it.
type NotificationWriter interface {
	CreateNotificationEndpoint(ctx context.Context, e *notify.Endpoint) error
	// UpdateNotificationEndpoint saves what changes of an endpoint: its
	// secrets and their rotation, its failure streak, whether it is
	// disabled and why. Its URL, types and creation stay as they are.
	UpdateNotificationEndpoint(ctx context.Context, e *notify.Endpoint) error
	// DeleteNotificationEndpoint removes an endpoint and fails its
	// deliveries as FailEndpointDeliveries does. Their logs stay.
	DeleteNotificationEndpoint(ctx context.Context, merchantID, id string) error
	// FailEndpointDeliveries fails the endpoint's pending deliveries that
	// no process has claimed, and returns how many; a claimed one (an
	// attempt in flight) ends with its attempt, delivered on success and
	// failed otherwise, if the endpoint is deleted or disabled by then.
	FailEndpointDeliveries(ctx context.Context, merchantID, id string) (int, error)
	// CreateNotification stores n and its deliveries, due at their NextAt,
	// in their State (pending when empty).
	CreateNotification(ctx context.Context, n *notify.Notification, ds []notify.Delivery) error
	// AddDeliveries adds deliveries to a stored notification, created at
	// now, due at their NextAt, in their State (pending when empty).
	AddDeliveries(ctx context.Context, n *notify.Notification, ds []notify.Delivery, now time.Time) error
	// ClaimDeliveries leases pending deliveries due at c.Now to the caller
	// until c.LeaseUntil, marking each with c.Token, and returns them with
	// their body and signing secrets (an endpoint's, and the one its last
	// rotation replaced with the end of that rotation's overlap;
	// sessionSecret derives the secret of session URL deliveries), to be
	// attempted at once.
	//
	// It claims at most c.Limit, and never so many that a destination
	// (notify.Destination) would have more than c.PerDestination claimed
	// deliveries whose lease runs, counting every process's claims. It
	// takes the destinations in turn: each one's first due delivery, then
	// each one's second, and so on, soonest due first within a turn.
	// Claims are serialised across processes, so two never overrun a cap
	// together or claim one delivery twice; an expired lease (a crashed
	// sender) makes the delivery due again. A due delivery whose endpoint
	// was deleted or is disabled fails instead of being claimed.
	ClaimDeliveries(ctx context.Context, c DeliveryClaim, sessionSecret func(merchantID string) string) ([]notify.Delivery, error)
	// RecordAttempt appends a, an attempt made at d, to d's log. If
	// d.Claim still holds the lease it also sets the delivery's state,
	// attempt count and next due time from d (a delivery whose endpoint
	// was deleted or disabled meanwhile fails rather than stay pending) and returns
	// held; otherwise the attempt is only logged, the state left to
	// whoever holds the delivery now.
	RecordAttempt(ctx context.Context, d *notify.Delivery, a notify.Attempt) (held bool, err error)
	// Redeliver makes every delivery of a notification whose destination
	// still exists pending again, due at now with a fresh schedule, and
	// returns how many. Deliveries to deleted or disabled endpoints keep
	// their state.
	// While an attempt of one of them is in flight (claimed, its lease
	// running at now) it changes nothing and returns EConflict, so that a
	// receiver never gets two requests for one delivery at once.
	Redeliver(ctx context.Context, merchantID, notificationID string, now time.Time) (int, error)
	// ScheduleAutoCapture sets (replaces) when an order is captured
	// automatically; CancelAutoCapture removes it.
	ScheduleAutoCapture(ctx context.Context, k OrderKey, at time.Time) error
	CancelAutoCapture(ctx context.Context, k OrderKey) error
}
