// Package api is Kassa's HTTP API: the Ledyer-compatible REST API (OAuth
// tokens, payment sessions, authorization tokens, order management,
// payment status), Kassa's own endpoints (notifications, invoice
// documents, payments) and the payment module's routes. It is transport
// only: handlers authenticate, take the Idempotency-Key, decode Ledyer's
// request shapes, run a use case of package provider (or paymod) in one
// store transaction with the idempotency record, and render Ledyer's JSON
// shapes; errors become statuses in one place (package wire).
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
	"github.com/kassa-pay/kassa/observe"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/wire"
)

// Config is the server's behaviour that deployments choose.
type Config struct {
	// Sandbox enables the sandbox endpoints (authorizing a session without
	// the buyer's dialog, signing for a signatory, recording payments).
	Sandbox bool
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64
	// PaymentProviders are the payment module's providers; the system
	// provider (pp_system_default) is always added. Payments, when set,
	// is the module itself, shared with other interfaces (the
	// dashboard), and PaymentProviders is not used.
	PaymentProviders paymod.Registry
	Payments         *paymod.Service
	// Pages are routes served beside the API, under the same guard (body
	// limit, text rule, panics, unrouted requests): the buyer's checkout.
	Pages []Routes
	// Limits are the abuse limits: the quota per merchant, the proxies
	// trusted to name the client's address.
	Limits Limits
	// Metrics count the requests; nil: metrics of the server's own, which
	// nothing serves.
	Metrics *observe.Metrics
	// StreamHeartbeat is how often an idle notification stream sends a
	// heartbeat; DefaultStreamHeartbeat if 0.
	StreamHeartbeat time.Duration
	// OverdueReminders is whether the deployment reminds of overdue
	// invoices (jobs.Config's): advancing a sandbox test clock then runs
	// that job's pass for the merchant too.
	OverdueReminders bool
}

// Routes adds its routes to the server's mux.
type Routes interface {
	AddRoutes(m Mux)
}

// Mux is where Routes add theirs: the server's ServeMux, which keeps the
// patterns registered, so that the tests can hold the API's description
// to every route the server serves.
type Mux = interface {
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}

// mux is the server's ServeMux with the patterns registered with it.
type mux struct {
	*http.ServeMux
	patterns []string
}

func (m *mux) HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, handler)
}

// DefaultMaxBodyBytes fits 1,000 order lines with long descriptions.
const DefaultMaxBodyBytes = 1 << 20

// Server serves the API.
type Server struct {
	cfg      Config
	log      *slog.Logger
	app      *provider.Service
	inflight *inflight
	limits   *limits
	mux      *mux
	payments *paymod.Service
	metrics  *observe.Metrics
	// streams ends with EndStreams, and the notification streams with it.
	streams    context.Context
	endStreams context.CancelFunc
}

// NewServer serves the API over the provider app; the payment module runs
// on the provider's store.
func NewServer(log *slog.Logger, cfg Config, app *provider.Service) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.StreamHeartbeat <= 0 {
		cfg.StreamHeartbeat = DefaultStreamHeartbeat
	}
	payments := cfg.Payments
	if payments == nil {
		payments = paymod.New(log, app.Store(), paymod.WithSystem(cfg.PaymentProviders), app.Clock(), app.IDs())
	}
	s := &Server{
		cfg: cfg, log: log, app: app,
		inflight: newInflight(),
		limits:   newLimits(cfg.Limits),
		mux:      &mux{ServeMux: http.NewServeMux()},
		payments: payments,
	}
	if s.metrics = cfg.Metrics; s.metrics == nil {
		s.metrics = observe.New()
	}
	s.streams, s.endStreams = context.WithCancel(context.Background())
	s.addRoutes()
	s.addPaymentModuleRoutes()
	for _, p := range cfg.Pages {
		p.AddRoutes(s.mux)
	}
	return s
}

// ServeHTTP normalises the method (one client sends "post"), bounds the
// body, turns panics into 500s that reveal nothing, and counts and logs
// each request (observe.go).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Method = strings.ToUpper(r.Method)
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	r = s.withRequest(w, r)
	ow, r := watch(w, r)
	defer s.done(ow, r) // after the panic's answer below
	w = ow
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic", "method", r.Method, "route", r.Pattern, "panic", v, "stack", string(debug.Stack()))
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
		wire.WriteErrors(w, rec.status, wire.ErrorView{Code: "method_not_allowed", Message: r.Method + " is not allowed on " + r.URL.Path})
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

// EndStreams ends the notification streams, which never end by
// themselves: call it when the HTTP server shuts down
// (http.Server.RegisterOnShutdown), whose Shutdown would otherwise wait
// for them. Streams opened later end at once.
func (s *Server) EndStreams() { s.endStreams() }

// PaymentModule is the payment module the server serves, for callers
// that use it as a library in the same process.
func (s *Server) PaymentModule() *paymod.Service { return s.payments }

// handler is an HTTP handler that returns its failure (wire.Handler).
type handler = wire.Handler

// handle adapts h to net/http: a returned error is answered by writeError.
func (s *Server) handle(h handler) http.HandlerFunc { return wire.Handle(s.log, h) }

// writeError answers err (wire.WriteError).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	wire.WriteError(s.log, w, r, err)
}

type principalKey struct{}

// auth lets a request through only with a valid bearer token whose scope
// allows its method, within its merchant's quota, and puts its principal
// in the context: every /v1 lookup is scoped to it. Token checks read no
// database; a refused token is recorded, within the backoff per source
// address (badToken).
func (s *Server) auth(h handler) http.HandlerFunc {
	h = s.audited(h) // the audit log: the client acts; failed changes recorded
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			s.metrics.AuthFailed(observe.NoToken)
			w.Header().Set("WWW-Authenticate", `Bearer realm="kassa"`)
			return kassa.Errorf(kassa.EUnauthorized, "an Authorization: Bearer access token is required")
		}
		p, err := s.app.Authenticate(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			if kassa.ErrorCode(err) == kassa.EUnauthorized {
				s.metrics.AuthFailed(observe.BadToken)
			}
			// Recorded in the audit log, unless its address has sent
			// too many bad tokens lately (limits.go).
			done, limited := s.badToken(w, r)
			if limited != nil {
				return limited
			}
			defer done() // after the event is written, even if that panics
			s.refusedToken(r, p)
			w.Header().Set("WWW-Authenticate", `Bearer realm="kassa", error="invalid_token"`)
			return err
		}
		noteMerchant(r, p.MerchantID) // for the access log
		if err := s.quota(w, p.MerchantID); err != nil {
			return err
		}
		if err := allowed(w, r, p); err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

func principal(r *http.Request) merchant.Principal {
	p, _ := r.Context().Value(principalKey{}).(merchant.Principal)
	return p
}

// sandboxOnly hides sandbox endpoints outside sandbox mode.
func (s *Server) sandboxOnly(h handler) handler {
	if s.cfg.Sandbox {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		return kassa.Errorf(kassa.ENotFound, "sandbox endpoints are disabled")
	}
}
