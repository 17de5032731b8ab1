package provider

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/list"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// Lists of a merchant's orders, documents, payment sessions and
// notifications, as every
// interface reads them (the API's list routes, the dashboard's pages):
// one reading of their searches and filters from query parameters
// (package list reads the pages), and reads that judge "overdue" and
// "expired" by the merchant's clock (a sandbox merchant's test clock).

// OrderStatuses are the values of an orders list's status filter: the
// payment statuses an order can have.
var OrderStatuses = []string{order.StatusPaymentPending, order.StatusPaymentConfirmed, order.StatusOrderCaptured, order.StatusOrderRefunded, order.StatusOrderCancelled}

// OrderFilterOf reads an orders list's search and filters: q (a prefix
// of the order's ID, number, reference, company, organisation number or
// e-mail), status, currency, createdFrom, createdTo, overdue.
func OrderFilterOf(q url.Values) (store.OrderFilter, error) {
	f := store.OrderFilter{Query: strings.TrimSpace(q.Get("q"))}
	if len([]rune(f.Query)) > list.MaxQuery {
		return f, kassa.Invalid("q", "q is longer than %d characters", list.MaxQuery)
	}
	var err error
	if f.Statuses, err = list.Values(q, "status", OrderStatuses); err != nil {
		return f, err
	}
	if f.Currency, err = list.Currency(q, "currency"); err != nil {
		return f, err
	}
	if f.From, err = list.Date(q, "createdFrom"); err != nil {
		return f, err
	}
	if f.To, err = list.Date(q, "createdTo"); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, kassa.Invalid("createdTo", "createdTo must be later than createdFrom")
	}
	if f.Overdue, err = list.Bool(q, "overdue"); err != nil {
		return f, err
	}
	return f, nil
}

// Orders lists the merchant's orders f matches, overdue judged by the
// merchant's clock.
func (s *Service) Orders(ctx context.Context, tx store.ReadTx, merchantID string, f store.OrderFilter) ([]*order.Order, error) {
	var err error
	if f.Now, err = s.NowOf(ctx, tx, merchantID); err != nil {
		return nil, err
	}
	return tx.Orders(ctx, merchantID, f)
}

// DocumentKinds are the values of a documents list's kind filter.
var DocumentKinds = []string{string(invoice.KindInvoice), string(invoice.KindAdvance), string(invoice.KindCreditNote)}

// DocumentFilterOf reads a documents list's filters: kind, overdue,
// unpaid.
func DocumentFilterOf(q url.Values) (store.DocumentFilter, error) {
	f := store.DocumentFilter{Kind: invoice.Kind(q.Get("kind"))}
	if f.Kind != "" && !slices.Contains(DocumentKinds, string(f.Kind)) {
		return f, kassa.Invalid("kind", "kind must be one of %s", strings.Join(DocumentKinds, ", "))
	}
	var err error
	if f.Overdue, err = list.Bool(q, "overdue"); err != nil {
		return f, err
	}
	if f.Unpaid, err = list.Bool(q, "unpaid"); err != nil {
		return f, err
	}
	return f, nil
}

// Documents lists the merchant's invoice documents f matches, overdue
// judged by the merchant's clock, and that now.
func (s *Service) Documents(ctx context.Context, tx store.ReadTx, merchantID string, f store.DocumentFilter) ([]store.ListedDocument, time.Time, error) {
	var err error
	if f.Now, err = s.NowOf(ctx, tx, merchantID); err != nil {
		return nil, time.Time{}, err
	}
	ds, err := tx.Documents(ctx, merchantID, f)
	return ds, f.Now, err
}

// SessionStates are the values of a payment sessions list's status
// filter: the states a session reads.
var SessionStates = []string{session.StateCreated, session.StateAwaitingSignatory, session.StateAuthorized, session.StateCancelled, session.StateExpired}

// SessionFilterOf reads a payment sessions list's filter: status.
func SessionFilterOf(q url.Values) (store.SessionFilter, error) {
	var (
		f   store.SessionFilter
		err error
	)
	f.States, err = list.Values(q, "status", SessionStates)
	return f, err
}

// Sessions lists the merchant's payment sessions f matches, expiry
// judged by the merchant's clock, and that now, by which each listed
// session's state reads (session.Session.StateAt).
func (s *Service) Sessions(ctx context.Context, tx store.ReadTx, merchantID string, f store.SessionFilter) ([]*session.Session, time.Time, error) {
	var err error
	if f.Now, err = s.NowOf(ctx, tx, merchantID); err != nil {
		return nil, time.Time{}, err
	}
	ss, err := tx.Sessions(ctx, merchantID, f)
	return ss, f.Now, err
}

// NotificationStates are the values of a notifications list's status
// filter (notify.Notification.Status).
var NotificationStates = []string{notify.Pending, notify.Delivered, notify.Failed}

// NotificationFilterOf reads a notifications list's filters: orderId,
// sessionId, eventType (a notification type, notify.Types) and status.
func NotificationFilterOf(q url.Values) (store.NotificationFilter, error) {
	f := store.NotificationFilter{OrderID: q.Get("orderId"), SessionID: q.Get("sessionId"), Type: q.Get("eventType"), Status: q.Get("status")}
	if f.Status != "" && !slices.Contains(NotificationStates, f.Status) {
		return f, kassa.Invalid("status", "status must be pending, delivered or failed")
	}
	if f.Type != "" && !slices.Contains(notify.Types, f.Type) {
		return f, kassa.Invalid("eventType", "eventType %q is not a notification type", kassa.Clip(f.Type, 64))
	}
	return f, nil
}
