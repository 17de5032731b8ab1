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
	Status             string // notify.Pending, Delivered or Failed
	Limit              int
}

// NotificationReader reads notifications, endpoints and delivery logs.
// Every lookup is merchant-scoped.
type NotificationReader interface {
	// NotificationEndpoints lists the merchant's endpoints, oldest first.
	NotificationEndpoints(ctx context.Context, merchantID string) ([]notify.Endpoint, error)
	// NotificationTargets reads what an order's notifications go to: its
	// session, nil when there is none, not locked (its notification URL
	// and reference are fixed once it has an order), and the merchant's
	// endpoints as NotificationEndpoints lists them.
	NotificationTargets(ctx context.Context, merchantID, sessionID string) (*session.Session, []notify.Endpoint, error)
	Notification(ctx context.Context, merchantID, id string) (*notify.Notification, error)
	// Notifications lists the newest matching notifications first.
	Notifications(ctx context.Context, merchantID string, f NotificationFilter) ([]notify.Notification, error)
	// Deliveries lists a notification's deliveries with their attempt
	// logs, oldest attempt first.
	Deliveries(ctx context.Context, merchantID, notificationID string) ([]notify.Delivery, error)
	// AutoCapturesDue lists up to limit orders whose automatic capture is
	// due at t, soonest first.
	AutoCapturesDue(ctx context.Context, t time.Time, limit int) ([]OrderKey, error)
}

// NotificationWriter writes them. The outbox writes a notification and its
// deliveries in the transaction of the change that causes it.
type NotificationWriter interface {
	CreateNotificationEndpoint(ctx context.Context, e *notify.Endpoint) error
	// DeleteNotificationEndpoint removes an endpoint; its pending
	// deliveries fail, their logs stay.
	DeleteNotificationEndpoint(ctx context.Context, merchantID, id string) error
	// CreateNotification stores n and its deliveries, due at their NextAt.
	CreateNotification(ctx context.Context, n *notify.Notification, ds []notify.Delivery) error
	// AddDeliveries adds deliveries to a stored notification, created at
	// now and due at their NextAt.
	AddDeliveries(ctx context.Context, n *notify.Notification, ds []notify.Delivery, now time.Time) error
	// ClaimDeliveries leases up to limit pending deliveries due at now to
	// the caller until leaseUntil, marking each with claim, and returns
	// them with their body and signing secret (sessionSecret derives the
	// secret of session URL deliveries). Each claim is a compare-and-set
	// on the delivery's due time, so processes sharing the database never
	// claim the same delivery twice while a lease runs; an expired lease
	// (a crashed sender) makes the delivery due again.
	ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, claim string, limit int, sessionSecret func(merchantID string) string) ([]notify.Delivery, error)
	// RecordAttempt appends a to the delivery's log and sets its state,
	// attempt count and next due time from d, if d.Claim still holds the
	// lease; otherwise it changes nothing and returns EConflict.
	RecordAttempt(ctx context.Context, d *notify.Delivery, a notify.Attempt) error
	// ReleaseClaim gives back a claimed delivery that was not attempted,
	// due at now, if d.Claim still holds it (else it does nothing).
	ReleaseClaim(ctx context.Context, d *notify.Delivery, now time.Time) error
	// Redeliver makes every delivery of a notification pending again,
	// due at now with a fresh schedule, and returns how many.
	Redeliver(ctx context.Context, merchantID, notificationID string, now time.Time) (int, error)
	// ScheduleAutoCapture sets (replaces) when an order is captured
	// automatically; CancelAutoCapture removes it.
	ScheduleAutoCapture(ctx context.Context, k OrderKey, at time.Time) error
	CancelAutoCapture(ctx context.Context, k OrderKey) error
}
