// Package dashboard serves the merchant dashboard's pages at /dashboard:
// signing in (with the TOTP step), out, setting a password from an
// invitation or a reset, and the home page with the merchant's latest
// orders. It is an adapter: what it does it does through package
// provider's use cases. The pages are server-rendered html/template with
// no JavaScript and one embedded stylesheet. Every form carries a CSRF
// token, a MAC of a random value in a cookie of its own and of the
// session, so that a form from another browser or another session is
// refused (docs/dashboard.md).
package dashboard

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/user"
	"github.com/kassa-pay/kassa/wire"
)

//go:embed web
var webFS embed.FS

var (
	pages     = template.Must(template.ParseFS(webFS, "web/*.html"))
	assets, _ = fs.Sub(webFS, "web/assets") // fails only for an invalid path
)

// Config is the dashboard's behaviour that deployments choose.
type Config struct {
	// PublicURL is where browsers reach Kassa. Cookies are Secure unless
	// it is plain http on a loopback address (a sandbox on a laptop),
	// where a browser would not send them back.
	PublicURL string
	// Payments is the payment module, whose collections the module pages
	// show and whose payments they capture, refund and cancel; nil: those
	// pages answer not found.
	Payments *paymod.Service
}

// Server serves the dashboard over the provider.
type Server struct {
	log      *slog.Logger
	app      *provider.Service
	payments *paymod.Service // nil without the payment module
	secure   bool
}

// New serves the dashboard over app.
func New(log *slog.Logger, cfg Config, app *provider.Service) *Server {
	return &Server{log: log, app: app, payments: cfg.Payments, secure: secureURL(cfg.PublicURL)}
}

// secureURL says whether cookies for raw must be Secure: all but plain
// http on loopback.
func secureURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return true
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		return !a.IsLoopback()
	}
	return host != "localhost"
}

// AddRoutes adds the dashboard's routes to m, the API server's mux
// (api.Mux).
func (s *Server) AddRoutes(m interface {
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}) {
	m.HandleFunc("GET /dashboard", s.signedIn(s.handleHome))
	m.HandleFunc("GET /dashboard/orders", s.signedIn(s.handleOrders))
	m.HandleFunc("GET /dashboard/orders.csv", s.signedIn(s.handleOrdersCSV))
	m.HandleFunc("GET /dashboard/orders/{id}", s.signedIn(s.handleOrder))
	m.HandleFunc("GET /dashboard/documents/{id}", s.signedIn(s.handleDocument))
	// The order page's actions (orderacts.go): a confirmation page each,
	// and its form.
	for _, a := range orderActs {
		m.HandleFunc("GET /dashboard/orders/{id}/"+a.Path, s.signedIn(s.handleActPage(a)))
		m.HandleFunc("POST /dashboard/orders/{id}/"+a.Path, s.form(s.signedIn(s.handleAct(a))))
	}
	// Invoices, payments and sessions (money.go).
	m.HandleFunc("GET /dashboard/invoices", s.signedIn(s.handleInvoices))
	m.HandleFunc("GET /dashboard/payments", s.signedIn(s.handlePayments))
	m.HandleFunc("POST /dashboard/payments/import", s.signedIn(s.bankFileForm(s.form(s.handlePaymentsImport))))
	m.HandleFunc("GET /dashboard/payments/{id}/match", s.signedIn(s.handleMatchPage))
	m.HandleFunc("POST /dashboard/payments/{id}/match", s.form(s.signedIn(s.handleMatch)))
	m.HandleFunc("GET /dashboard/sessions", s.signedIn(s.handleSessions))
	m.HandleFunc("GET /dashboard/sessions/{id}/cancel", s.signedIn(s.handleSessionCancelPage))
	m.HandleFunc("POST /dashboard/sessions/{id}/cancel", s.form(s.signedIn(s.handleSessionCancel)))
	m.HandleFunc("GET /dashboard/assets/{file}", handleAssets)
	// Notifications: the log, a notification and its redelivery, the endpoints.
	m.HandleFunc("GET /dashboard/notifications", s.signedIn(s.handleNotifications))
	m.HandleFunc("GET /dashboard/notifications/{id}", s.signedIn(s.handleNotification))
	m.HandleFunc("GET /dashboard/notifications/{id}/redeliver", s.signedIn(s.handleRedeliverPage))
	m.HandleFunc("POST /dashboard/notifications/{id}/redeliver", s.form(s.signedIn(s.handleRedeliver)))
	m.HandleFunc("GET /dashboard/notifications/endpoints", s.signedIn(s.handleEndpoints))
	m.HandleFunc("POST /dashboard/notifications/endpoints", s.form(s.signedIn(s.handleEndpointCreate)))
	for name, c := range endpointChanges {
		m.HandleFunc("GET /dashboard/notifications/endpoints/{id}/"+name, s.signedIn(s.handleEndpointPage(c)))
		m.HandleFunc("POST /dashboard/notifications/endpoints/{id}/"+name, s.form(s.signedIn(s.handleEndpointChange(c))))
	}
	m.HandleFunc("GET /dashboard/sign-in", s.handleSignInPage)
	m.HandleFunc("POST /dashboard/sign-in", s.form(s.handleSignIn))
	m.HandleFunc("GET /dashboard/totp", s.handleTOTPPage)
	m.HandleFunc("POST /dashboard/totp", s.form(s.handleTOTP))
	m.HandleFunc("POST /dashboard/sign-out", s.form(s.handleSignOut))
	m.HandleFunc("GET /dashboard/set-password", s.handleSetPasswordPage)
	m.HandleFunc("POST /dashboard/set-password", s.form(s.handleSetPassword))
	m.HandleFunc("GET /dashboard/forgot-password", s.handleForgotPage)
	m.HandleFunc("POST /dashboard/forgot-password", s.form(s.handleForgot))
	m.HandleFunc("GET /dashboard/link", s.handleLinkPage)
	m.HandleFunc("POST /dashboard/link", s.form(s.handleLink))
	m.HandleFunc("GET /dashboard/two-step", s.signedIn(s.handleTwoStep))
	m.HandleFunc("POST /dashboard/two-step/begin", s.form(s.signedIn(s.handleTwoStepBegin)))
	m.HandleFunc("POST /dashboard/two-step/confirm", s.form(s.signedIn(s.handleTwoStepConfirm)))
	m.HandleFunc("POST /dashboard/two-step/off", s.form(s.signedIn(s.handleTwoStepOff)))
	// The payment module (module.go): collections, a collection's page,
	// and capturing, refunding and cancelling its payments.
	m.HandleFunc("GET /dashboard/module", s.signedIn(s.handleModule))
	m.HandleFunc("GET /dashboard/module/collections/{id}", s.signedIn(s.handleCollection))
	for _, k := range moduleMoves {
		m.HandleFunc("GET /dashboard/module/payments/{id}/"+k.kind, s.signedIn(s.handleMovePage(k)))
		m.HandleFunc("POST /dashboard/module/payments/{id}/"+k.kind, s.form(s.signedIn(s.handleMove(k))))
	}
	// Settings: API keys, users and roles, the audit log, the credit
	// policy and the invoice settings (settings.go).
	m.HandleFunc("GET /dashboard/settings", s.signedIn(s.handleSettings))
	m.HandleFunc("GET /dashboard/settings/api-keys", s.signedIn(s.handleAPIKeys))
	m.HandleFunc("POST /dashboard/settings/api-keys", s.form(s.signedIn(s.handleAPIKeyCreate)))
	m.HandleFunc("GET /dashboard/settings/api-keys/{id}/rotate", s.signedIn(s.handleAPIKeyRotatePage))
	m.HandleFunc("POST /dashboard/settings/api-keys/{id}/rotate", s.form(s.signedIn(s.handleAPIKeyRotate)))
	m.HandleFunc("GET /dashboard/settings/api-keys/{id}/revoke", s.signedIn(s.handleAPIKeyRevokePage))
	m.HandleFunc("POST /dashboard/settings/api-keys/{id}/revoke", s.form(s.signedIn(s.handleAPIKeyRevoke)))
	m.HandleFunc("GET /dashboard/settings/users", s.signedIn(s.handleUsers))
	m.HandleFunc("POST /dashboard/settings/users", s.form(s.signedIn(s.handleUserInvite)))
	m.HandleFunc("GET /dashboard/settings/users/{id}", s.signedIn(s.handleUserPage(userChanges["role"])))
	for path, c := range userChanges {
		if path != "role" { // asked on the user's page
			m.HandleFunc("GET /dashboard/settings/users/{id}/"+path, s.signedIn(s.handleUserPage(c)))
		}
		m.HandleFunc("POST /dashboard/settings/users/{id}/"+path, s.form(s.signedIn(s.handleUserChange(c))))
	}
	m.HandleFunc("GET /dashboard/settings/audit", s.signedIn(s.handleAudit))
	m.HandleFunc("GET /dashboard/settings/credit", s.signedIn(s.handleCredit))
	m.HandleFunc("POST /dashboard/settings/credit", s.form(s.signedIn(s.handleCreditPut)))
	m.HandleFunc("GET /dashboard/settings/invoice", s.signedIn(s.handleInvoice))
	m.HandleFunc("POST /dashboard/settings/invoice", s.form(s.signedIn(s.handleInvoicePut)))
}

func handleAssets(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeFileFS(w, r, assets, r.PathValue("file"))
}

// page is what every template shows.
type page struct {
	Title    string
	CSRF     string
	Error    string
	Notice   string
	User     *user.User
	Merchant string
	Email    string
	Token    string // a link's token, carried to its form
	// TOTPSecret and TOTPURI are the authenticator's key being set up.
	TOTPSecret, TOTPURI string
	Orders              []orderRow
	// The orders list's form, its status choices and its next page; the
	// order page's order.
	Form     listForm
	Statuses []option
	Next     string
	Order    *orderView
	// Once is the once key of the page's forms that change something
	// (act); Data is a page's own view, for the pages that have one.
	Once string
	Data any
}

// orderRow is an order as the home page and the orders list show it.
type orderRow struct {
	ID, Number, Buyer, Reference, Amount, Status string
	Created                                      time.Time
}

func rowOf(o *order.Order) orderRow {
	return orderRow{
		ID: o.ID, Number: o.OrderReference, Buyer: o.Customer.CompanyName, Reference: o.Reference,
		Amount: string(o.Currency) + " " + money.Grouped(o.Amount(), o.Currency), Status: statusText[o.PaymentStatus()],
		Created: o.CreatedAt.UTC(),
	}
}

// statusText is how the home page names an order's payment status.
var statusText = map[string]string{
	order.StatusPaymentPending:   "Pending",
	order.StatusPaymentConfirmed: "Ready to capture",
	order.StatusOrderCaptured:    "Captured",
	order.StatusOrderRefunded:    "Refunded",
	order.StatusOrderCancelled:   "Cancelled",
}

// render writes the page template name with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if p.Notice == "" {
		p.Notice = s.takeNotice(w, r)
	}
	var b strings.Builder
	if err := pages.ExecuteTemplate(&b, name+".html", p); err != nil {
		s.log.ErrorContext(r.Context(), "rendering a dashboard page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer") // links carry one-time tokens
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	w.Write([]byte(b.String()))
}

// fail renders the page name again with err's message and status; an
// internal error is logged and shown as such, without its detail.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, name string, p page, err error) {
	code := kassa.ErrorCode(err)
	p.Error = "Something went wrong on our side. Try again in a moment."
	if e, ok := errors.AsType[*kassa.Error](err); ok && code != kassa.EInternal {
		p.Error = e.Message
	} else {
		s.log.ErrorContext(r.Context(), "dashboard request failed", "route", r.Pattern, "err", err)
	}
	s.render(w, r, wire.Status(code), name, p)
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// source is the client's address as the API's guard saw it (the actor
// the server put in the context).
func source(ctx context.Context) netip.Addr {
	a, _ := netip.ParseAddr(provider.ActorOf(ctx).Source)
	if !a.IsValid() {
		a = netip.IPv6Unspecified() // one key for requests without one
	}
	return a
}
