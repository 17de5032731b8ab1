package api

import (
	"context"
	"crypto/rand"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// LoadNotificationKey returns the key that session notification secrets
// derive from, kept in the database (created on first use) so every
// process sharing it signs alike.
func LoadNotificationKey(ctx context.Context, st store.Store) ([]byte, error) {
	const name = "notification_signing_key"
	var key []byte
	err := st.Update(ctx, func(tx store.Tx) error {
		var err error
		if key, err = tx.Setting(ctx, name); err != nil || key != nil {
			return err
		}
		key = make([]byte, 32)
		rand.Read(key) // never fails (crypto/rand docs)
		return tx.PutSetting(ctx, name, key)
	})
	return key, err
}

type endpointIn struct {
	URL        wire.Str   `json:"url"`
	EventTypes []wire.Str `json:"eventTypes"`
}

type endpointView struct {
	ID         string    `json:"id"`
	URL        string    `json:"url"`
	EventTypes []string  `json:"eventTypes"`
	Secret     string    `json:"secret,omitempty"` // only when created
	CreatedAt  time.Time `json:"createdAt"`
}

func endpointOf(e *notify.Endpoint) endpointView {
	types := e.EventTypes
	if types == nil {
		types = []string{}
	}
	return endpointView{ID: e.ID, URL: e.URL, EventTypes: types, CreatedAt: e.CreatedAt}
}

// maxEndpoints bounds a merchant's endpoints: each one multiplies the
// deliveries of every notification.
const maxEndpoints = 20

func (s *Server) handleEndpointCreate(w http.ResponseWriter, r *http.Request) {
	body, err := wire.ReadBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in endpointIn
	if err := wire.Decode(body, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := notify.CheckURL(string(in.URL), s.cfg.AllowPrivateWebhooks); err != nil {
		s.writeError(w, r, err)
		return
	}
	var types []string
	for i, t := range in.EventTypes {
		if !slices.Contains(notify.Types, string(t)) {
			s.writeError(w, r, kassa.Invalid("eventTypes", "eventTypes[%d] %q is not a notification type", i, t))
			return
		}
		if !slices.Contains(types, string(t)) {
			types = append(types, string(t))
		}
	}
	merchantID := principal(r).MerchantID
	s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		es, err := tx.NotificationEndpoints(ctx, merchantID)
		if err != nil {
			return 0, nil, err
		}
		if len(es) >= maxEndpoints {
			return 0, nil, kassa.Errorf(kassa.EConflict, "a merchant can have at most %d notification endpoints", maxEndpoints)
		}
		var random [24]byte
		rand.Read(random[:])
		e := &notify.Endpoint{
			ID: s.ids.New(kassa.PrefixEndpoint), MerchantID: merchantID, URL: string(in.URL),
			Secret: notify.NewSecret(random), EventTypes: types, CreatedAt: s.clock.Now(),
		}
		if err := tx.CreateNotificationEndpoint(ctx, e); err != nil {
			return 0, nil, err
		}
		v := endpointOf(e)
		v.Secret = e.Secret
		return http.StatusCreated, v, nil
	})
}

func (s *Server) handleEndpointList(w http.ResponseWriter, r *http.Request) {
	var es []notify.Endpoint
	err := s.store.View(r.Context(), func(tx store.ReadTx) error {
		var err error
		es, err = tx.NotificationEndpoints(r.Context(), principal(r).MerchantID)
		return err
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	vs := make([]endpointView, len(es))
	for i := range es {
		vs[i] = endpointOf(&es[i])
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"data": vs})
}

func (s *Server) handleEndpointDelete(w http.ResponseWriter, r *http.Request) {
	body, err := wire.ReadBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	merchantID, id := principal(r).MerchantID, r.PathValue("endpointId")
	s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		return http.StatusNoContent, nil, tx.DeleteNotificationEndpoint(ctx, merchantID, id)
	})
}

// handleSigningSecret answers the secret that signs deliveries to the
// merchant's session notification URLs.
func (s *Server) handleSigningSecret(w http.ResponseWriter, r *http.Request) {
	if len(s.cfg.NotificationKey) == 0 {
		s.writeError(w, r, kassa.Errorf(kassa.ENotFound, "notification signing is not configured"))
		return
	}
	wire.WriteJSON(w, http.StatusOK, map[string]string{"secret": notify.SessionSecret(s.cfg.NotificationKey, principal(r).MerchantID)})
}

type attemptView struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"statusCode,omitempty"`
	LatencyMS  float64   `json:"latencyMs"`
	Body       string    `json:"responseBody,omitempty"`
	Error      string    `json:"error,omitempty"`
}

type deliveryView struct {
	ID         string        `json:"id"`
	EndpointID string        `json:"endpointId,omitempty"`
	URL        string        `json:"url"`
	Status     string        `json:"status"`
	Attempts   []attemptView `json:"attempts"`
	NextAt     *time.Time    `json:"nextAttemptAt,omitempty"`
}

type notificationView struct {
	ID         string          `json:"id"`
	EventType  string          `json:"eventType"`
	OrderID    string          `json:"orderId,omitempty"`
	SessionID  string          `json:"sessionId,omitempty"`
	Status     string          `json:"status"`
	Payload    rawJSON         `json:"payload"`
	CreatedAt  time.Time       `json:"createdAt"`
	Deliveries *[]deliveryView `json:"deliveries,omitempty"`
}

// rawJSON embeds stored JSON as it is.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

func notificationOf(n *notify.Notification, ds []notify.Delivery) notificationView {
	v := notificationView{
		ID: n.ID, EventType: n.Type, OrderID: n.OrderID, SessionID: n.SessionID,
		Status: n.Status, Payload: rawJSON(n.Body), CreatedAt: n.CreatedAt,
	}
	if ds == nil {
		return v
	}
	dvs := make([]deliveryView, len(ds))
	for i, d := range ds {
		dv := deliveryView{ID: d.ID, EndpointID: d.EndpointID, URL: d.URL, Status: d.State, Attempts: []attemptView{}}
		if d.State == notify.Pending {
			next := d.NextAt
			dv.NextAt = &next
		}
		for _, a := range d.Log {
			dv.Attempts = append(dv.Attempts, attemptView{
				At: a.At, StatusCode: a.StatusCode, LatencyMS: float64(a.Latency.Microseconds()) / 1000,
				Body: a.Body, Error: a.Error,
			})
		}
		dvs[i] = dv
	}
	v.Deliveries = &dvs
	return v
}

func (s *Server) handleNotificationList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.NotificationFilter{OrderID: q.Get("orderId"), SessionID: q.Get("sessionId"), Status: q.Get("status"), Limit: 50}
	if f.Status != "" && f.Status != notify.Pending && f.Status != notify.Delivered && f.Status != notify.Failed {
		s.writeError(w, r, kassa.Invalid("status", "status must be pending, delivered or failed"))
		return
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			s.writeError(w, r, kassa.Invalid("limit", "limit must be a number from 1 to 100"))
			return
		}
		f.Limit = n
	}
	var ns []notify.Notification
	err := s.store.View(r.Context(), func(tx store.ReadTx) error {
		var err error
		ns, err = tx.Notifications(r.Context(), principal(r).MerchantID, f)
		return err
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	vs := make([]notificationView, len(ns))
	for i := range ns {
		vs[i] = notificationOf(&ns[i], nil)
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"data": vs})
}

// loadNotification reads a notification with its delivery log.
func (s *Server) loadNotification(ctx context.Context, tx store.ReadTx, merchantID, id string) (notificationView, error) {
	n, err := tx.Notification(ctx, merchantID, id)
	if err != nil {
		return notificationView{}, err
	}
	ds, err := tx.Deliveries(ctx, merchantID, id)
	if err != nil {
		return notificationView{}, err
	}
	if ds == nil {
		ds = []notify.Delivery{}
	}
	return notificationOf(n, ds), nil
}

func (s *Server) handleNotificationGet(w http.ResponseWriter, r *http.Request) {
	var v notificationView
	err := s.store.View(r.Context(), func(tx store.ReadTx) error {
		var err error
		v, err = s.loadNotification(r.Context(), tx, principal(r).MerchantID, r.PathValue("notificationId"))
		return err
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wire.WriteJSON(w, http.StatusOK, v)
}

// handleRedeliver sends a notification again to each of its destinations
// that still exists, and to the endpoints created since that subscribe to
// its type, with a fresh retry schedule; the earlier attempts stay in the
// log. While an attempt is in flight it is a conflict (store.Redeliver).
func (s *Server) handleRedeliver(w http.ResponseWriter, r *http.Request) {
	body, err := wire.ReadBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	merchantID, id := principal(r).MerchantID, r.PathValue("notificationId")
	s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		nt, err := tx.Notification(ctx, merchantID, id)
		if err != nil {
			return 0, nil, err
		}
		existing, err := tx.Deliveries(ctx, merchantID, id)
		if err != nil {
			return 0, nil, err
		}
		endpoints, err := tx.NotificationEndpoints(ctx, merchantID)
		if err != nil {
			return 0, nil, err
		}
		now := s.clock.Now()
		added := notify.NewDestinations(existing, endpoints, nt.Type)
		nameDeliveries(nt.ID, added, len(existing), now)
		if err := tx.AddDeliveries(ctx, nt, added, now); err != nil {
			return 0, nil, err
		}
		n, err := tx.Redeliver(ctx, merchantID, id, now)
		if err != nil {
			return 0, nil, err
		}
		if n == 0 {
			return 0, nil, kassa.Errorf(kassa.EConflict, "notification %s had no destination to deliver to", id)
		}
		v, err := s.loadNotification(ctx, tx, merchantID, id)
		return http.StatusAccepted, v, err
	})
}
