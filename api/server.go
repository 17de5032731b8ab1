// Package api is Kassa's HTTP interface: the Ledyer-compatible REST API
// (OAuth tokens, payment sessions, authorization tokens, order management,
// payment status) and its sandbox helpers. Handlers decode and validate
// requests, run the domain operations inside one store transaction
// together with the idempotency record, and render Ledyer's JSON shapes.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// Config is the server's behaviour that deployments choose.
type Config struct {
	// Sandbox enables the sandbox endpoints (authorizing a session without
	// the buyer's dialog, signing for a signatory).
	Sandbox bool
	// ProcessingDelay is how long a new order waits before it is ready for
	// capture; zero makes it ready at once.
	ProcessingDelay time.Duration
	// PublicURL is the base URL clients reach Kassa at, for links.
	PublicURL string
	// OverdueReminders has the maintenance loop mark unpaid invoices
	// overdue after their due date and e-mail one reminder each.
	OverdueReminders bool
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64
	// Risk is the assessment policy for authorizations and order growth.
	Risk risk.Policy
	// NotificationKey derives the secrets that sign deliveries to session
	// notification URLs (see LoadNotificationKey).
	NotificationKey []byte
	// AllowPrivateWebhooks lets endpoints point at loopback and private
	// addresses: for sandboxes and tests only.
	AllowPrivateWebhooks bool
	// OnNotification, if set, is called after a transaction that wrote
	// notifications has committed, to wake the dispatcher.
	OnNotification func()
	// PaymentProviders are the payment module's providers; the system
	// provider (pp_system_default) is always added.
	PaymentProviders paymod.Registry
	// DemoMerchantID is the merchant the sandbox demo shop (/demo/shop)
	// sells for; without one the shop is not served.
	DemoMerchantID string
}

// DefaultMaxBodyBytes fits 1,000 order lines with long descriptions.
const DefaultMaxBodyBytes = 1 << 20

// Server serves the API.
type Server struct {
	cfg      Config
	log      *slog.Logger
	store    store.Store
	clock    kassa.Clock
	ids      kassa.IDs
	signer   merchant.Signer
	inflight *inflight
	issued   chan struct{} // wakes RunNumbering
	mux      *http.ServeMux
	payments *paymod.Service
}

// NewServer wires the API over a store. The signer's key must be the one
// every Kassa process on the same database uses (see LoadSigner).
func NewServer(log *slog.Logger, cfg Config, st store.Store, clock kassa.Clock, ids kassa.IDs, signer merchant.Signer) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Risk.CreditLimit == 0 {
		cfg.Risk = risk.DefaultPolicy
	}
	providers := paymod.Registry{paymod.SystemProviderID: paymod.System{}}
	for id, p := range cfg.PaymentProviders {
		providers[id] = p
	}
	s := &Server{
		cfg: cfg, log: log, store: st, clock: clock, ids: ids, signer: signer,
		inflight: newInflight(),
		issued:   make(chan struct{}, 1),
		mux:      http.NewServeMux(),
		payments: paymod.New(log, st, providers, clock, ids),
	}
	s.store = outbox{Store: st, srv: s}
	s.addRoutes()
	s.addPaymentModuleRoutes()
	return s
}

// ServeHTTP normalises the method (one client sends "post"), bounds the
// body and turns panics into 500s that reveal nothing.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Method = strings.ToUpper(r.Method)
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			s.writeError(w, r, kassa.Errorf(kassa.EInternal, "panic"))
		}
	}()
	if err := wire.CheckURL(r.URL); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.unrouted(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// unrouted answers a request no route matches in the API's error shape,
// keeping the mux's status (404, or 405 with its Allow header).
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{header: http.Header{}}
	s.mux.ServeHTTP(rec, r)
	if allow := rec.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	if rec.status == http.StatusMethodNotAllowed {
		wire.WriteJSON(w, rec.status, wire.ErrorBody{Errors: []wire.ErrorView{{Code: "method_not_allowed", Message: r.Method + " is not allowed on " + r.URL.Path}}})
		return
	}
	s.writeError(w, r, kassa.Errorf(kassa.ENotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
}

// statusRecorder keeps only the status and headers a handler writes.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(status int)      { r.status = status }

// PaymentModule is the payment module the server serves, for callers
// that use it as a library in the same process.
func (s *Server) PaymentModule() *paymod.Service { return s.payments }

func (s *Server) env() order.Env { return order.Env{Now: s.clock.Now(), IDs: s.ids} }

type principalKey struct{}

// authenticated lets a request through only with a valid bearer token, and
// puts its principal in the context: every /v1 lookup is scoped to it.
func (s *Server) authenticated(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kassa"`)
			s.writeError(w, r, kassa.Errorf(kassa.EUnauthorized, "an Authorization: Bearer access token is required"))
			return
		}
		p, err := s.signer.Check(strings.TrimSpace(tok), s.clock.Now())
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kassa", error="invalid_token"`)
			s.writeError(w, r, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

func principal(r *http.Request) merchant.Principal {
	p, _ := r.Context().Value(principalKey{}).(merchant.Principal)
	return p
}

// sandboxOnly hides sandbox endpoints outside sandbox mode.
func (s *Server) sandboxOnly(h http.HandlerFunc) http.HandlerFunc {
	if s.cfg.Sandbox {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, kassa.Errorf(kassa.ENotFound, "sandbox endpoints are disabled"))
	}
}
