package api

import (
	"context"
	"crypto/rand"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// The audit log over HTTP (docs/audit.md). Every request has an ID,
// answered in X-Request-Id, and carries the actor (provider.Actor) in its
// context with that ID and its connection's address. A request that
// changes state leaves one event: in the transaction of its change when
// it succeeds (mutation, moduleCall), in one of its own when it fails or
// is refused (audited). Failed authentications leave one too.

// maxRequestID bounds the X-Request-Id Kassa takes from a client.
const maxRequestID = 128

// withRequest gives r its ID, the client's X-Request-Id when it is
// well-formed (wellFormedID) and a new random one otherwise, answers it in
// the X-Request-Id header, and puts the actor, not named yet, in r's
// context, where the log finds the ID (observe.WithRequestID).
func (s *Server) withRequest(w http.ResponseWriter, r *http.Request) *http.Request {
	id := r.Header.Get(wire.RequestIDHeader)
	if !wellFormedID(id) {
		id = rand.Text()
	}
	w.Header().Set(wire.RequestIDHeader, id)
	// The client's address as the abuse limits see it: the connection's
	// peer, or the client a trusted proxy names.
	var source string
	if a := s.source(r); a.IsValid() {
		source = a.String()
	}
	return r.WithContext(provider.WithActor(r.Context(), provider.Actor{RequestID: id, Source: source}))
}

// wellFormedID reports whether id, a client's request ID, is 1 to
// maxRequestID letters, digits and "-._:/+=@": UUIDs, ULIDs, base64 and
// the IDs proxies make, and nothing a log reader or a header could take
// for something else.
func wellFormedID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._:/+=@", c) >= 0) {
			return false
		}
	}
	return true
}

// change is what the audit log records of a request that changes state,
// as its handler learns it.
type change struct {
	target   string // what the request acts on
	recorded bool   // its event is written
}

type changeKey struct{}

// changeOf is r's change; one that is not kept for a request that has none.
func changeOf(r *http.Request) *change {
	if c, ok := r.Context().Value(changeKey{}).(*change); ok {
		return c
	}
	return &change{target: pathTarget(r)}
}

// setTarget names what r acts on when its path does not: what it created.
func setTarget(r *http.Request, id string) { changeOf(r).target = id }

// pathTarget is the ID in r's path of the object r acts on, if any.
func pathTarget(r *http.Request) string {
	for _, name := range []string{"orderId", "sessionId", "endpointId", "notificationId", "paymentId", "token", "id"} {
		if v := r.PathValue(name); v != "" {
			return v
		}
	}
	return ""
}

// changes reports whether r may change state: any method but GET and HEAD.
func changes(r *http.Request) bool { return r.Method != http.MethodGet && r.Method != http.MethodHead }

// event is r's event, answered with status.
func event(r *http.Request, status int) audit.Event {
	return audit.Event{MerchantID: principal(r).MerchantID, Action: r.Pattern, Target: changeOf(r).target, Status: status}
}

// recordChange records r's change in tx: the change made (answered with
// status), or an earlier answer replayed.
func (s *Server) recordChange(ctx context.Context, tx store.Tx, r *http.Request, status int, replay bool) error {
	e := event(r, status)
	e.Replay = replay
	return s.app.Audit(ctx, tx, e)
}

// audited runs h, an authenticated request's handler, with the client of
// the request's principal as its actor and, for a request that may change
// state, records its failure: a request refused before its transaction,
// or one whose transaction failed, leaves an event of its own. A retry
// refused because its Idempotency-Key's first request is still running is
// not recorded: that request's event records the change.
func (s *Server) audited(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		r = r.WithContext(provider.Acting(r.Context(), principal(r).ClientID))
		if !changes(r) {
			return h(w, r)
		}
		c := &change{target: pathTarget(r)}
		r = r.WithContext(context.WithValue(r.Context(), changeKey{}, c))
		err := h(w, r)
		if code := kassa.ErrorCode(err); err != nil && !c.recorded && code != kassa.EIdempotencyInFlight {
			e := event(r, wire.Status(code))
			e.Outcome = code
			s.app.AuditAlone(r.Context(), e)
		}
		return err
	}
}

// refusedToken records a request refused for its access token: an expired
// one names its client and merchant, one that is not genuine nobody.
func (s *Server) refusedToken(r *http.Request, p merchant.Principal) {
	e := audit.Event{Actor: p.ClientID, MerchantID: p.MerchantID, Action: r.Pattern, Target: pathTarget(r),
		Status: http.StatusUnauthorized, Outcome: kassa.EUnauthorized}
	if e.Actor == "" {
		e.Actor = audit.Anonymous
	}
	s.app.AuditAlone(r.Context(), e)
}

// refusedLogin records a refused client-credentials login: the client ID
// as given (clipped), never the secret, and the client's merchant when the
// ID names a client.
func (s *Server) refusedLogin(r *http.Request, clientID, code string) {
	ctx := r.Context()
	e := audit.Event{Actor: clientID, Action: r.Pattern, Status: http.StatusUnauthorized, Outcome: code}
	if clientID == "" {
		e.Actor = audit.Anonymous
	} else if c, err := provider.View(ctx, s.app, func(tx store.ReadTx) (*merchant.Client, error) { return tx.Client(ctx, clientID) }); err == nil {
		e.MerchantID = c.MerchantID
	}
	s.app.AuditAlone(ctx, e)
}

// auditEventView is an event as the API answers it.
type auditEventView struct {
	ID        string    `json:"id"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Action    string    `json:"action"`
	Target    string    `json:"target"`
	RequestID string    `json:"requestId"`
	Source    string    `json:"source"`
	Status    int       `json:"status,omitempty"`
	Outcome   string    `json:"outcome"`
	Replay    bool      `json:"replay,omitempty"`
}

// auditPrefix names audit events: their sequence number is their ID.
const auditPrefix = "ae_"

func auditEventOf(e *audit.Event) auditEventView {
	return auditEventView{
		ID: auditPrefix + strconv.FormatInt(e.Seq, 10), At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target,
		RequestID: e.RequestID, Source: e.Source, Status: e.Status, Outcome: e.Outcome, Replay: e.Replay,
	}
}

// handleAuditEvents lists the caller's merchant's audit events, newest
// first, a page at a time: nextCursor, when there are more, continues
// after the page's last event.
func (s *Server) handleAuditEvents(w http.ResponseWriter, r *http.Request) error {
	f, err := provider.AuditFilterOf(r.URL.Query())
	if err != nil {
		return err
	}
	limit := f.Limit
	f.Limit++ // one more tells whether another page follows
	es, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) ([]audit.Event, error) {
		return tx.AuditEvents(r.Context(), principal(r).MerchantID, f)
	})
	if err != nil {
		return err
	}
	out := pageOf(es, limit, func(e audit.Event) auditEventView { return auditEventOf(&e) }, provider.AuditCursor)
	wire.WriteJSON(w, http.StatusOK, out)
	return nil
}
