package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kassa-pay/kassa/list"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/seal"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

type endpointIn struct {
	URL        wire.Str   `json:"url"`
	EventTypes []wire.Str `json:"eventTypes"`
}

type endpointView struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	EventTypes []string `json:"eventTypes"`
	// State is enabled or disabled; when disabled, since DisabledAt, for
	// DisabledReason (notify.DisabledGone, notify.DisabledFailing).
	State          string    `json:"state,omitempty"`
	DisabledAt     time.Time `json:"disabledAt,omitzero"`
	DisabledReason string    `json:"disabledReason,omitempty"`
	FailingSince   time.Time `json:"failingSince,omitzero"`
	// The last rotation of the secret, and when the secret it replaced
	// stops signing.
	RotatedAt               time.Time `json:"secretRotatedAt,omitzero"`
	PreviousSecretExpiresAt time.Time `json:"previousSecretExpiresAt,omitzero"`
	Secret                  string    `json:"secret,omitempty"` // only when created or rotated
	CreatedAt               time.Time `json:"createdAt"`
}

func endpointOf(e *notify.Endpoint) endpointView {
	types := e.EventTypes
	if types == nil {
		types = []string{}
	}
	state := "enabled"
	if e.Disabled() {
		state = "disabled"
	}
	return endpointView{
		ID: e.ID, URL: e.URL, EventTypes: types, State: state,
		DisabledAt: e.DisabledAt, DisabledReason: e.DisabledReason, FailingSince: e.FailingSince,
		RotatedAt: e.RotatedAt, PreviousSecretExpiresAt: e.PreviousUntil, CreatedAt: e.CreatedAt,
	}
}

func (s *Server) handleEndpointCreate(w http.ResponseWriter, r *http.Request) error {
	var in endpointIn
	body, err := wire.ReadJSON(r, &in)
	if err != nil {
		return err
	}
	types := make([]string, len(in.EventTypes))
	for i, t := range in.EventTypes {
		types[i] = string(t)
	}
	return s.secretMutation(w, r, body, http.StatusCreated, func(ctx context.Context, tx store.Tx) (*notify.Endpoint, error) {
		e, err := s.app.CreateEndpoint(ctx, tx, principal(r).MerchantID, string(in.URL), types)
		if err == nil {
			setTarget(r, e.ID)
		}
		return e, err
	})
}

type rotateSecretIn struct {
	OverlapSeconds wire.Int `json:"overlapSeconds"`
}

// handleEndpointRotate gives an endpoint a new secret, answered once as
// at creation, and keeps the old one signing for the overlap.
func (s *Server) handleEndpointRotate(w http.ResponseWriter, r *http.Request) error {
	body, err := wire.ReadBody(r)
	if err != nil {
		return err
	}
	var in rotateSecretIn
	if err := wire.DecodeOptional(body, &in); err != nil {
		return err
	}
	overlap := overlapOf(in.OverlapSeconds, notify.DefaultOverlap, notify.MaxOverlap)
	return s.secretMutation(w, r, body, http.StatusOK, func(ctx context.Context, tx store.Tx) (*notify.Endpoint, error) {
		return s.app.RotateEndpointSecret(ctx, tx, principal(r).MerchantID, r.PathValue("endpointId"), overlap)
	})
}

// secretMutation runs op, which makes an endpoint's secret, as a mutation
// answered with the endpoint and its secret. The answer, stored for
// replays of its Idempotency-Key, holds the secret sealed as the
// endpoint does; each answer sent opens it, so a replay shows the secret
// that request made.
func (s *Server) secretMutation(w http.ResponseWriter, r *http.Request, body []byte, status int, op func(ctx context.Context, tx store.Tx) (*notify.Endpoint, error)) error {
	sealed := &bufferedAnswer{ResponseWriter: w}
	err := s.mutation(sealed, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		e, err := op(ctx, tx)
		if err != nil {
			return 0, nil, err
		}
		v := endpointOf(e)
		if v.Secret, err = s.app.SealSecret(e); err != nil {
			return 0, nil, err
		}
		return status, v, nil
	})
	if err != nil {
		return err
	}
	var v endpointView
	if err := json.Unmarshal(sealed.body.Bytes(), &v); err != nil {
		return err
	}
	if seal.IsSealed(v.Secret) { // else an answer stored before secrets were sealed, in clear
		v.Secret, err = s.app.OpenSecret(v.ID, v.Secret)
		if errors.Is(err, seal.ErrWrongKey) {
			// Stored before the key was replaced (kassa keys rewrap does
			// not re-seal stored answers): the replay goes without the
			// secret, as an API client's does.
			v.Secret, err = "", nil
		}
		if err != nil {
			return err
		}
	}
	wire.WriteJSON(w, sealed.status, v)
	return nil
}

// handleEndpointEnable sends to an endpoint again, with its failure
// streak cleared. It takes no body, or an empty object.
func (s *Server) handleEndpointEnable(w http.ResponseWriter, r *http.Request) error {
	return s.endpointSwitch(w, r, s.app.EnableEndpoint)
}

// handleEndpointDisable stops sending to an endpoint until it is enabled,
// at the merchant's request (provider's DisableEndpoint). It takes no
// body, or an empty object.
func (s *Server) handleEndpointDisable(w http.ResponseWriter, r *http.Request) error {
	return s.endpointSwitch(w, r, s.app.DisableEndpoint)
}

// endpointSwitch turns the request's endpoint on or off with turn and
// answers the endpoint.
func (s *Server) endpointSwitch(w http.ResponseWriter, r *http.Request, turn func(ctx context.Context, tx store.Tx, merchantID, id string) (*notify.Endpoint, error)) error {
	body, err := wire.ReadBody(r)
	if err != nil {
		return err
	}
	if err := wire.DecodeOptional(body, &struct{}{}); err != nil {
		return err
	}
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		e, err := turn(ctx, tx, principal(r).MerchantID, r.PathValue("endpointId"))
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, endpointOf(e), nil
	})
}

// bufferedAnswer keeps the status and body written to it; headers go
// through.
type bufferedAnswer struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (a *bufferedAnswer) WriteHeader(status int)      { a.status = status }
func (a *bufferedAnswer) Write(b []byte) (int, error) { return a.body.Write(b) }

func (s *Server) handleEndpointList(w http.ResponseWriter, r *http.Request) error {
	es, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) ([]notify.Endpoint, error) {
		return tx.NotificationEndpoints(r.Context(), principal(r).MerchantID)
	})
	if err != nil {
		return err
	}
	vs := make([]endpointView, len(es))
	for i := range es {
		vs[i] = endpointOf(&es[i])
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"data": vs})
	return nil
}

func (s *Server) handleEndpointDelete(w http.ResponseWriter, r *http.Request) error {
	body, err := wire.ReadBody(r)
	if err != nil {
		return err
	}
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		return http.StatusNoContent, nil, tx.DeleteNotificationEndpoint(ctx, principal(r).MerchantID, r.PathValue("endpointId"))
	})
}

// handleSigningSecret answers the secret that signs deliveries to the
// merchant's session notification URLs.
func (s *Server) handleSigningSecret(w http.ResponseWriter, r *http.Request) error {
	secret, err := s.app.SigningSecret(principal(r).MerchantID)
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, map[string]string{"secret": secret})
	return nil
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

func (s *Server) handleNotificationList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := provider.NotificationFilterOf(q)
	if err != nil {
		return err
	}
	if f.Limit, err = list.Limit(q, list.DefaultPage); err != nil {
		return err
	}
	if c := q.Get("cursor"); c != "" {
		at, id, err := list.ParseCursor(c, "notifications")
		if err != nil {
			return err
		}
		f.Before = &store.NotificationPosition{At: at, ID: id}
	}
	limit := f.Limit
	f.Limit++
	ns, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) ([]notify.Notification, error) {
		return tx.Notifications(r.Context(), principal(r).MerchantID, f)
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, pageOf(ns, limit, func(n notify.Notification) notificationView { return notificationOf(&n, nil) },
		func(n notify.Notification) string { return list.Cursor(n.CreatedAt, n.ID) }))
	return nil
}

// loadNotification reads a notification with its delivery log.
func loadNotification(ctx context.Context, tx store.ReadTx, merchantID, id string) (notificationView, error) {
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

func (s *Server) handleNotificationGet(w http.ResponseWriter, r *http.Request) error {
	v, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) (notificationView, error) {
		return loadNotification(r.Context(), tx, principal(r).MerchantID, r.PathValue("notificationId"))
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, v)
	return nil
}

// handleRedeliver sends a notification again (provider's Redeliver) and
// answers it with its deliveries.
func (s *Server) handleRedeliver(w http.ResponseWriter, r *http.Request) error {
	body, err := wire.ReadBody(r)
	if err != nil {
		return err
	}
	merchantID, id := principal(r).MerchantID, r.PathValue("notificationId")
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		if err := s.app.Redeliver(ctx, tx, merchantID, id); err != nil {
			return 0, nil, err
		}
		v, err := loadNotification(ctx, tx, merchantID, id)
		return http.StatusAccepted, v, err
	})
}

// DefaultStreamHeartbeat is how often a notification stream with nothing
// to send sends a comment, so that proxies and clients know it lives.
const DefaultStreamHeartbeat = 15 * time.Second

// streamWriteTimeout bounds each write to a stream: a client that reads
// nothing for that long is gone.
const streamWriteTimeout = 30 * time.Second

// handleNotificationStream streams the merchant's notifications as
// server-sent events (provider's FollowNotifications): from now on, or
// after the cursor given in ?cursor= or, from an EventSource reconnecting,
// Last-Event-ID. Each is an event "notification" whose id is its cursor
// and whose data is the notification as GET /v1/notifications lists it;
// a comment is sent every heartbeat with nothing to send. The stream
// ends when the client goes or the server shuts down (EndStreams).
func (s *Server) handleNotificationStream(w http.ResponseWriter, r *http.Request) error {
	cursor := r.URL.Query().Get("cursor")
	if cursor == "" {
		cursor = r.Header.Get("Last-Event-ID")
	}
	feed, err := s.app.FollowNotifications(r.Context(), principal(r).MerchantID, cursor)
	if err != nil {
		return err
	}
	defer feed.Close()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	rc := http.NewResponseController(w)
	send := func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)) // instead of the server's, which would end the stream
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // a proxy that buffers would hold the events back
	w.WriteHeader(http.StatusOK)
	if !send([]byte(": following " + principal(r).MerchantID + "'s notifications\n\n")) {
		return nil
	}
	for {
		ns, err := feed.Next(ctx, s.cfg.StreamHeartbeat)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil { // the answer has begun: end it, and the client reconnects
			s.log.Error("notification stream", "merchant", principal(r).MerchantID, "err", err)
			return nil
		}
		var b bytes.Buffer
		if len(ns) == 0 {
			b.WriteString(": heartbeat\n\n")
		}
		for i := range ns {
			data, err := json.Marshal(notificationOf(&ns[i], nil)) // compact: one line
			if err != nil {
				s.log.Error("notification stream", "notification", ns[i].ID, "err", err)
				return nil
			}
			fmt.Fprintf(&b, "id: %s\nevent: notification\ndata: %s\n\n", provider.NotificationCursor(&ns[i]), data)
		}
		if !send(b.Bytes()) {
			return nil
		}
	}
}
