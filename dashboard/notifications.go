package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kassa-pay/kassa/list"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

// The notifications section (docs/dashboard.md, "Notifications"): the
// merchant's notification log, as GET /v1/notifications lists it, each
// notification with its deliveries and their attempts and a redelivery,
// and the notification endpoints with their health. Everyone who sees
// orders sees the log and the endpoints; redelivering and changing
// endpoints take user.ManageSettings, as the endpoints are the
// merchant's integration (owners and admins).

// notificationPage is how many notifications a page of the log shows.
const notificationPage = 50

// notificationsForm is the log's filters as the form sent them.
type notificationsForm struct{ Type, Status, Order string }

// notificationsView is the log page's view.
type notificationsView struct {
	Form     notificationsForm
	Types    []string
	Statuses []option
	Rows     []notificationRow
	Next     string
}

type notificationRow struct {
	ID, Type, Order, Session, Status string
	Created                          time.Time
}

// notificationStatus names a notification's and a delivery's state.
var notificationStatus = map[string]string{
	notify.Pending:   "Pending",
	notify.Delivered: "Delivered",
	notify.Failed:    "Failed",
}

// notificationsFilter reads the log's query, with the API's parameters
// (eventType, status, orderId, cursor), into a store filter as GET
// /v1/notifications reads its own (provider.NotificationFilterOf).
func notificationsFilter(q url.Values) (notificationsForm, store.NotificationFilter, error) {
	form := notificationsForm{Type: q.Get("eventType"), Status: q.Get("status"), Order: q.Get("orderId")}
	f, err := provider.NotificationFilterOf(q)
	if c := q.Get("cursor"); c != "" && err == nil {
		var p store.NotificationPosition
		p.At, p.ID, err = list.ParseCursor(c, "notifications")
		f.Before = &p
	}
	f.Limit = notificationPage + 1
	return form, f, err
}

func (s *Server) handleNotifications(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Notifications")
	v := &notificationsView{Types: notify.Types}
	for _, st := range []string{notify.Failed, notify.Pending, notify.Delivered} {
		v.Statuses = append(v.Statuses, option{st, notificationStatus[st]})
	}
	p.Data = v
	var f store.NotificationFilter
	if err == nil {
		v.Form, f, err = notificationsFilter(r.URL.Query())
	}
	var ns []notify.Notification
	if err == nil {
		ctx := r.Context()
		err = s.app.View(ctx, func(tx store.ReadTx) (err error) {
			ns, err = tx.Notifications(ctx, p.User.MerchantID, f)
			return err
		})
	}
	if err != nil {
		s.fail(w, r, "notifications", p, err)
		return
	}
	if len(ns) > notificationPage {
		ns = ns[:notificationPage]
		v.Next = nextLink("/dashboard/notifications", r.URL.Query(), list.Cursor(ns[notificationPage-1].CreatedAt, ns[notificationPage-1].ID))
	}
	for _, n := range ns {
		v.Rows = append(v.Rows, notificationRow{ID: n.ID, Type: n.Type, Order: n.OrderID, Session: n.SessionID,
			Status: notificationStatus[n.Status], Created: n.CreatedAt.UTC()})
	}
	s.render(w, r, http.StatusOK, "notifications", p)
}

// notificationDetail is a notification as its page shows it.
type notificationDetail struct {
	notificationRow
	State      string // notify.Pending, Delivered or Failed
	Payload    string
	Deliveries []deliveryDetail
	// MayRedeliver says whether the user's role may redeliver.
	MayRedeliver bool
}

type deliveryDetail struct {
	ID, EndpointID, URL, Status string
	Next                        time.Time // while pending
	Attempts                    []attemptDetail
}

type attemptDetail struct {
	At                  time.Time
	Status, Error, Body string
	Latency             string
	Succeeded, NoAnswer bool
}

// notification reads the signed-in user's notification id for its page.
func (s *Server) notification(w http.ResponseWriter, r *http.Request) (page, *notificationDetail, error) {
	p, err := s.viewer(w, r, "Notification")
	if err != nil {
		return p, nil, err
	}
	ctx, id := r.Context(), r.PathValue("id")
	var (
		n  *notify.Notification
		ds []notify.Delivery
	)
	err = s.app.View(ctx, func(tx store.ReadTx) (err error) {
		if n, err = tx.Notification(ctx, p.User.MerchantID, id); err != nil {
			return err
		}
		ds, err = tx.Deliveries(ctx, p.User.MerchantID, id)
		return err
	})
	if err != nil {
		return p, nil, err
	}
	v := &notificationDetail{
		notificationRow: notificationRow{ID: n.ID, Type: n.Type, Order: n.OrderID, Session: n.SessionID, Status: notificationStatus[n.Status], Created: n.CreatedAt.UTC()},
		State:           n.Status, Payload: string(n.Body), MayRedeliver: p.User.Role.Can(user.ManageSettings),
	}
	var b bytes.Buffer
	if json.Indent(&b, n.Body, "", "  ") == nil {
		v.Payload = b.String()
	}
	for _, d := range ds {
		dv := deliveryDetail{ID: d.ID, EndpointID: d.EndpointID, URL: d.URL, Status: notificationStatus[d.State]}
		if d.State == notify.Pending {
			dv.Next = d.NextAt.UTC()
		}
		for _, a := range d.Log {
			av := attemptDetail{At: a.At.UTC(), Error: a.Error, Body: a.Body, Latency: a.Latency.Round(time.Millisecond).String(),
				Succeeded: notify.Success(a.StatusCode) && a.Error == "", NoAnswer: a.StatusCode == 0}
			if a.StatusCode != 0 {
				av.Status = strconv.Itoa(a.StatusCode) + " " + http.StatusText(a.StatusCode)
			}
			dv.Attempts = append(dv.Attempts, av)
		}
		v.Deliveries = append(v.Deliveries, dv)
	}
	p.Title, p.Data = "Notification "+n.ID, v
	return p, v, nil
}

func (s *Server) handleNotification(w http.ResponseWriter, r *http.Request) {
	p, _, err := s.notification(w, r)
	if err != nil {
		s.fail(w, r, "notification", p, err)
		return
	}
	s.render(w, r, http.StatusOK, "notification", p)
}

// confirmView is a confirmation page's view: what the form will do, its
// action and button, and where Cancel goes.
type confirmView struct {
	What, Action, Button, Back string
	Danger                     bool
}

// confirm renders the confirmation page for a form that changes
// something, after checking that the user's role may.
func (s *Server) confirm(w http.ResponseWriter, r *http.Request, p page, need user.Action, v confirmView) {
	if err := p.User.Role.Permit(need); err != nil {
		s.fail(w, r, "message", p, err)
		return
	}
	p.Once, p.Data = newOnce(), v
	s.render(w, r, http.StatusOK, "notifications-confirm", p)
}

func (s *Server) handleRedeliverPage(w http.ResponseWriter, r *http.Request) {
	p, v, err := s.notification(w, r)
	if err != nil {
		s.fail(w, r, "notification", p, err)
		return
	}
	p.Title = "Redeliver notification " + v.ID
	s.confirm(w, r, p, user.ManageSettings, confirmView{
		What:   "Kassa sends this " + v.Type + " notification again to each of its destinations that still exists, and to the endpoints created since that subscribe to its type, with a fresh retry schedule. The earlier attempts stay in its log. The receiver gets the same payload and notification ID again.",
		Action: "/dashboard/notifications/" + v.ID + "/redeliver", Button: "Redeliver", Back: "/dashboard/notifications/" + v.ID,
	})
}

func (s *Server) handleRedeliver(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := s.act(w, r, &change{Need: user.ManageSettings, Target: id, Run: func(ctx context.Context, tx store.Tx) (string, string, error) {
		if err := s.app.Redeliver(ctx, tx, current(ctx).MerchantID, id); err != nil {
			return "", "", err
		}
		return "/dashboard/notifications/" + id, "The notification is on its way again.", nil
	}})
	if err != nil {
		p, _, perr := s.notification(w, r)
		if perr != nil {
			s.fail(w, r, "notification", p, perr)
			return
		}
		s.fail(w, r, "notification", p, err)
	}
}
