// Package checkout serves the buyer's side of a purchase: the SDK
// (/bootstrap.js), the authorization dialog it frames, the signatory's
// signing page, their assets, and the sandbox demo shop. These pages have
// no API credentials: a session ID (unguessable, as Ledyer's) opens the
// dialog, whose requests then need the per-dialog token the page carries;
// a signing link carries a MAC of its session ID. What the pages do to a
// session they do through package provider's use cases.
package checkout

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/i18n"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

//go:embed web
var webFS embed.FS

var assets, _ = fs.Sub(webFS, "web/assets") // fails only for an invalid path

// pages are the buyer's pages' templates in each language: parsed once,
// then cloned with that language's functions.
var pages = func() map[i18n.Lang]*template.Template {
	base := template.Must(template.New("").Funcs(pageFuncs(i18n.In(i18n.English))).ParseFS(webFS, "web/*.html"))
	m := map[i18n.Lang]*template.Template{}
	for _, l := range i18n.Langs {
		m[l] = template.Must(base.Clone()).Funcs(pageFuncs(i18n.In(l)))
	}
	return m
}()

// pageFuncs are what the templates write text with: t (a message), th (a
// message that holds markup, its arguments escaped), money, number, lang
// (the page's language) and messages (a script's messages, as JSON).
func pageFuncs(p *i18n.Printer) template.FuncMap {
	return template.FuncMap{
		"t": p.T,
		"th": func(key string, args ...any) template.HTML {
			for i, a := range args {
				if s, ok := a.(string); ok {
					args[i] = template.HTMLEscapeString(s)
				}
			}
			return template.HTML(p.T(key, args...)) // the catalogue's markup is Kassa's own
		},
		"money":  p.Money,
		"number": p.Number,
		"lang":   func() string { return string(p.Lang()) },
		"messages": func(prefix string) string {
			b, _ := json.Marshal(p.Messages(prefix)) // a map of strings always encodes
			return string(b)
		},
	}
}

// pageToken is a fresh token for one rendering of a page of kind for a
// session: a random nonce and its MAC. It protects that page's requests
// against cross-site forgery: only the page itself can read it.
func (s *Server) pageToken(kind, sessionID string) string {
	var b [12]byte
	rand.Read(b[:])
	nonce := base64.RawURLEncoding.EncodeToString(b[:])
	return nonce + "." + s.app.MAC(kind, sessionID, nonce)
}

func (s *Server) validPageToken(kind, sessionID, tok string) bool {
	nonce, mac, ok := strings.Cut(tok, ".")
	return ok && hmac.Equal([]byte(mac), []byte(s.app.MAC(kind, sessionID, nonce)))
}

// frameOrigins are the origins allowed to frame a session's dialog besides
// Kassa itself: the merchant shop named by the session's confirmation URL
// (or, without one, its notification URL), and setting names the one used.
// The merchant sets these server-side with its credentials, so a page
// elsewhere cannot claim them. Origins are serialized as browsers do
// (lower case, no default port), so pages can compare theirs.
func frameOrigins(ps *session.Session) (origins []string, setting string) {
	for _, c := range []struct{ setting, raw string }{
		{"settings.urls.confirmation", ps.Settings.ConfirmationURL},
		{"settings.urls.notification", ps.Settings.NotificationURL},
	} {
		if o := originOf(c.raw); o != "" {
			return []string{o}, c.setting
		}
	}
	return nil, ""
}

// originOf is the origin of an http(s) URL, or "" for any other.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if scheme != "https" && scheme != "http" || host == "" {
		return ""
	}
	if port == "" || scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		if strings.Contains(host, ":") { // IPv6
			host = "[" + host + "]"
		}
		return scheme + "://" + host
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// sameOrigin refuses a state-changing request sent by another site, by
// the Fetch metadata and Origin headers browsers add.
func sameOrigin(r *http.Request) error {
	bad := kassa.Errorf(kassa.EUnauthorized, "cross-site request refused")
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return bad
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return bad
		}
	}
	return nil
}

// Config is the checkout's behaviour that deployments choose.
type Config struct {
	// Sandbox serves the demo shop.
	Sandbox bool
	// DemoMerchantID is the merchant the sandbox demo shop (/demo/shop)
	// sells for; without one the shop answers that it has none.
	DemoMerchantID string
}

// Server serves the buyer's pages over the provider.
type Server struct {
	cfg Config
	log *slog.Logger
	app *provider.Service
}

// New serves the buyer's pages over app.
func New(log *slog.Logger, cfg Config, app *provider.Service) *Server {
	return &Server{cfg: cfg, log: log, app: app}
}

// AddRoutes adds the checkout's routes and the demo shop's to m, the
// API server's mux (api.Mux).
func (s *Server) AddRoutes(m interface {
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}) {
	m.HandleFunc("GET /bootstrap.js", s.handleBootstrap)
	m.HandleFunc("GET /payments/assets/{file}", s.handleAssets)
	m.HandleFunc("GET /payments/dialog/{sessionId}", s.handleDialog)
	m.HandleFunc("POST /payments/dialog/{sessionId}/assess", s.handle(s.buyer(s.handleDialogAssess)))
	m.HandleFunc("POST /payments/dialog/{sessionId}/confirm", s.handle(s.buyer(s.handleDialogConfirm)))
	m.HandleFunc("GET /payments/dialog/{sessionId}/status", s.handle(s.handleDialogStatus))
	m.HandleFunc("POST /payments/dialog/{sessionId}/close", s.handle(s.buyer(s.handleDialogClose)))
	m.HandleFunc("OPTIONS /payments/dialog/{sessionId}/close", handleDialogPreflight)
	m.HandleFunc("GET /payments/sign/{sessionId}/{sig}", s.handleSignPage)
	m.HandleFunc("POST /payments/sign/{sessionId}/{sig}", s.handleSignAction)
	m.HandleFunc("GET /payments/sign/{sessionId}/{sig}/identity", s.handleIdentityReturn)
	m.HandleFunc("GET /demo/shop", s.handle(s.sandboxOnly(s.handleDemoShop)))
	m.HandleFunc("POST /demo/shop/{action}", s.handle(s.sandboxOnly(s.demoShop(s.handleDemoAction))))
}

// handler is an HTTP handler that returns its failure (wire.Handler).
type handler = wire.Handler

func (s *Server) handle(h handler) http.HandlerFunc { return wire.Handle(s.log, h) }

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	wire.WriteError(s.log, w, r, err)
}

// sandboxOnly hides the demo shop outside sandbox mode.
func (s *Server) sandboxOnly(h handler) handler {
	if s.cfg.Sandbox {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		return kassa.Errorf(kassa.ENotFound, "sandbox endpoints are disabled")
	}
}

func (s *Server) handleBootstrap(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	http.ServeFileFS(w, r, webFS, "web/bootstrap.js")
}

func (s *Server) handleAssets(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeFileFS(w, r, assets, r.PathValue("file"))
}

// pageHeaders sets the security headers of an HTML page; ancestors is its
// CSP frame-ancestors source list, frames the pages it may frame itself.
func pageHeaders(w http.ResponseWriter, ancestors, frames string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin") // the signing link is a secret; same-origin forms still send Origin
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-src "+frames+"; frame-ancestors "+ancestors)
	if ancestors == "'none'" {
		h.Set("X-Frame-Options", "DENY")
	}
}

// renderPage writes the page name in the language of locale.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, locale, name, ancestors, frames string, data any) {
	var b strings.Builder
	if err := pages[i18n.LangOf(locale)].ExecuteTemplate(&b, name, data); err != nil {
		s.writeError(w, r, err)
		return
	}
	pageHeaders(w, ancestors, frames)
	w.Write([]byte(b.String()))
}

// dialogPage is what the dialog template shows.
// pageSession reads the session a buyer-facing page shows, found by find,
// with its merchant's name.
func (s *Server) pageSession(ctx context.Context, find func(store.ReadTx) (*session.Session, error)) (ps *session.Session, merchantName string, now time.Time, err error) {
	err = s.app.View(ctx, func(tx store.ReadTx) error {
		if ps, err = find(tx); err != nil {
			return err
		}
		m, err := tx.Merchant(ctx, ps.MerchantID)
		if err != nil {
			return err
		}
		merchantName = m.Name
		now, err = s.app.NowOf(ctx, tx, ps.MerchantID) // the session's time is its merchant's
		return err
	})
	return ps, merchantName, now, err
}

type dialogPage struct {
	Session  *session.Session
	Merchant string
	State    string // session.DialogState
	Token    string
	Origins  string // JSON list of the origins the dialog talks to
	ExclVAT  int64
	// Signatories is whether the buyer names a signatory, who is e-mailed
	// the signing link (live mode), rather than being given the link.
	Signatories bool
}

func (s *Server) handleDialog(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var (
		p   dialogPage
		now time.Time
		err error
	)
	p.Session, p.Merchant, now, err = s.pageSession(ctx, func(tx store.ReadTx) (*session.Session, error) {
		return provider.PublicSession(ctx, tx, r.PathValue("sessionId"))
	})
	if err != nil {
		s.renderErrorPage(w, r, "This checkout cannot be shown", err)
		return
	}
	ps := p.Session
	p.State = ps.DialogState(now)
	p.Token = s.pageToken("dialog", ps.ID)
	p.ExclVAT = ps.Amount - ps.VATAmount
	p.Signatories = s.app.Verification() != ""
	origins, _ := frameOrigins(ps)
	b, _ := json.Marshal(origins)
	p.Origins = string(b)
	s.renderPage(w, r, ps.Locale, "dialog.html", strings.Join(append([]string{"'self'"}, origins...), " "), "'none'", p)
}

// dialogNonce checks a dialog request's token (header X-Kassa-Dialog) and
// returns its nonce, which names the dialog in the session's events.
func (s *Server) dialogNonce(r *http.Request, sessionID string) (string, error) {
	tok := r.Header.Get("X-Kassa-Dialog")
	if !s.validPageToken("dialog", sessionID, tok) {
		return "", kassa.Errorf(kassa.EUnauthorized, "the dialog token is missing or invalid; reopen the dialog")
	}
	nonce, _, _ := strings.Cut(tok, ".")
	return nonce, nil
}

// dialogMutation checks a dialog request's origin and token, then runs op
// on the session in one transaction, attributes the events op adds to the
// dialog, and answers op's JSON view. A closed dialog may change nothing.
func (s *Server) dialogMutation(w http.ResponseWriter, r *http.Request, op func(ctx context.Context, tx store.Tx, ps *session.Session, in *dialogIn, env order.Env) (*session.Session, any, error)) error {
	id := r.PathValue("sessionId")
	if err := sameOrigin(r); err != nil {
		return err
	}
	dialog, err := s.dialogNonce(r, id)
	if err != nil {
		return err
	}
	var in dialogIn
	if _, err := wire.ReadJSON(r, &in); err != nil {
		return err
	}
	var v any
	err = s.app.Update(r.Context(), func(tx store.Tx) error {
		ctx := r.Context()
		ps, err := provider.PublicSession(ctx, tx, id)
		if err != nil {
			return err
		}
		env, err := s.app.EnvOf(ctx, tx, ps.MerchantID)
		if err != nil {
			return err
		}
		if ps.DialogClosed(dialog) {
			return kassa.Errorf(kassa.EConflict, "this dialog was closed; authorize again to open a new one")
		}
		if st := ps.DialogState(env.Now); st != "open" {
			return kassa.Errorf(kassa.EConflict, "this purchase can no longer be authorized: the session is %s", st)
		}
		next, out, err := op(ctx, tx, ps, &in, env)
		if err != nil {
			return err
		}
		v = out
		if err := tx.UpdateSession(ctx, ps.InDialog(next, dialog)); err != nil {
			return err
		}
		return s.changed(ctx, tx, r, ps.MerchantID, ps.ID, http.StatusOK)
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, v)
	return nil
}

type dialogIn struct {
	Customer      *wire.Customer `json:"customer"`
	PaymentMethod wire.Str       `json:"paymentMethod"`
	// Signatory is whom the buyer names to approve a purchase that needs
	// a signatory, in live mode.
	Signatory struct {
		Name  wire.Str `json:"name"`
		Email wire.Str `json:"email"`
	} `json:"signatory"`
}

// assessmentView is what the dialog shows before the buyer confirms.
type assessmentView struct {
	Outcome     string   `json:"outcome"`
	Tags        []string `json:"tags"`
	Reason      string   `json:"reason,omitempty"`
	CompanyID   string   `json:"companyId"`
	CompanyName string   `json:"companyName"`
	Methods     []string `json:"paymentMethods"`
}

// handleDialogAssess runs the risk assessment a dialog makes when it opens
// with the buyer's details, and records it on the session. It reserves
// nothing: confirming assesses again, under the credit line's lock.
func (s *Server) handleDialogAssess(w http.ResponseWriter, r *http.Request) error {
	return s.dialogMutation(w, r, func(ctx context.Context, tx store.Tx, ps *session.Session, in *dialogIn, env order.Env) (*session.Session, any, error) {
		c, err := session.BuyerCustomer(in.Customer.Order(), ps.Country)
		if err != nil {
			return nil, nil, err
		}
		next, d, err := s.app.Assess(ctx, tx, ps, c, env)
		if err != nil {
			return nil, nil, err
		}
		v := assessmentView{Outcome: d.Outcome, Tags: d.Tags, Reason: d.Reason, CompanyID: c.CompanyID, CompanyName: c.CompanyName, Methods: []string{}}
		if d.Outcome != "rejected" {
			v.Methods = []string{order.Invoice, order.AdvanceInvoice}
		}
		return next, v, nil
	})
}

// confirmView is the dialog's result, in the shape the SDK resolves to.
type confirmView struct {
	State              string `json:"state"`
	Status             string `json:"status"`
	AuthorizationToken string `json:"authorizationToken,omitempty"`
	AuthToken          string `json:"authToken,omitempty"`
	SignatoryURL       string `json:"signatoryUrl,omitempty"`
}

func (s *Server) handleDialogConfirm(w http.ResponseWriter, r *http.Request) error {
	return s.dialogMutation(w, r, func(ctx context.Context, tx store.Tx, ps *session.Session, in *dialogIn, env order.Env) (*session.Session, any, error) {
		next, a, err := s.app.Authorize(ctx, tx, ps, provider.Confirmation{
			Buyer: in.Customer.Order(), Method: string(in.PaymentMethod),
			Signatory: provider.Named{Name: string(in.Signatory.Name), Email: string(in.Signatory.Email)},
		}, env)
		if err != nil {
			return nil, nil, err
		}
		v := confirmView{State: a.State, Status: a.State, AuthorizationToken: a.AuthorizationToken, AuthToken: a.AuthorizationToken}
		v.SignatoryURL = s.app.SignatoryURL(next)
		return next, v, nil
	})
}

// dialogStatusView tells the SDK, before it frames the dialog, whether it
// can: the SDK compares its page's origin with the frame origins and turns
// anything else than an open session into a rejection a developer can act
// on.
type dialogStatusView struct {
	State        string    `json:"state"` // session.DialogState
	ExpiresAt    time.Time `json:"expiresAt"`
	FrameOrigins []string  `json:"frameOrigins"` // shop origins that may frame the dialog, besides Kassa's own
	Setting      string    `json:"frameOriginsFrom,omitempty"`
}

// handleDialogStatus answers any page, as the dialog page itself would
// show it to anyone with the session ID: it says what the dialog can do
// and who may frame it, nothing of the purchase.
func (s *Server) handleDialogStatus(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "no-store")
	ctx := r.Context()
	var (
		ps  *session.Session
		now time.Time
	)
	err := s.app.View(ctx, func(tx store.ReadTx) (err error) {
		if ps, err = provider.PublicSession(ctx, tx, r.PathValue("sessionId")); err != nil {
			return err
		}
		now, err = s.app.NowOf(ctx, tx, ps.MerchantID)
		return err
	})
	if err != nil {
		return err
	}
	v := dialogStatusView{State: ps.DialogState(now), ExpiresAt: ps.ExpiresAt, FrameOrigins: []string{}}
	if origins, setting := frameOrigins(ps); origins != nil {
		v.FrameOrigins, v.Setting = origins, setting
	}
	wire.WriteJSON(w, http.StatusOK, v)
	return nil
}

// handleDialogClose closes a dialog for the SDK, when the dialog ended
// without telling the page its result (the page called close(), or lost
// the frame) or for the dialog, when its confirmation got no answer; it
// answers what the dialog placed. A confirmation of that dialog still on
// its way is refused from then on, so the answer is final. The SDK calls
// it from the merchant's page: any origin may, since only the dialog's
// token opens it, and the answer says only what that dialog did.
func (s *Server) handleDialogClose(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	id := r.PathValue("sessionId")
	dialog, err := s.dialogNonce(r, id)
	if err != nil {
		return err
	}
	var v confirmView // state "none" if the dialog placed nothing
	err = s.app.Update(r.Context(), func(tx store.Tx) error {
		ctx := r.Context()
		ps, err := provider.PublicSession(ctx, tx, id)
		if err != nil {
			return err
		}
		now, err := s.app.NowOf(ctx, tx, ps.MerchantID)
		if err != nil {
			return err
		}
		next, closed := ps.CloseDialog(now, dialog)
		state, token := next.DialogOutcome(dialog)
		v = confirmView{State: cmp.Or(state, "none"), Status: cmp.Or(state, "none"), AuthorizationToken: token, AuthToken: token}
		if state == session.StateAwaitingSignatory {
			v.SignatoryURL = s.app.SignatoryURL(next)
		}
		if closed {
			if err := tx.UpdateSession(ctx, next); err != nil {
				return err
			}
		}
		return s.changed(ctx, tx, r, ps.MerchantID, ps.ID, http.StatusOK)
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, v)
	return nil
}

// handleDialogPreflight lets the SDK send handleDialogClose its header
// from the merchant's page.
func handleDialogPreflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type, X-Kassa-Dialog")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// signPage is what the signing template shows.
type signPage struct {
	Session  *session.Session
	Merchant string
	State    string // the session's state as the API reports it
	Token    string
	Done     string // what the signatory just did, after the redirect
	Declined bool   // cancelled by the signatory, not by the merchant
	// Verification is how the visitor must prove to be the signatory
	// (provider.Service.Verification): "" in the sandbox.
	Verification string
	Verified     bool   // they did: approving and declining are open
	CodeSent     bool   // a code is waiting to be entered
	AttemptsLeft int    // for that code
	SentTo       string // the signatory's address, partly hidden
}

// signingSession loads the session of a signing link, checking its MAC.
func (s *Server) signingSession(ctx context.Context, tx store.ReadTx, r *http.Request) (*session.Session, error) {
	id := r.PathValue("sessionId")
	if !hmac.Equal([]byte(r.PathValue("sig")), []byte(s.app.MAC("sign", id))) {
		return nil, kassa.Errorf(kassa.ENotFound, "no such signing link")
	}
	ps, err := provider.PublicSession(ctx, tx, id)
	if err == nil && !ps.NeededSignatory() {
		err = kassa.Errorf(kassa.ENotFound, "no such signing link")
	}
	return ps, err
}

func (s *Server) handleSignPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var (
		p   signPage
		now time.Time
		err error
	)
	p.Session, p.Merchant, now, err = s.pageSession(ctx, func(tx store.ReadTx) (*session.Session, error) {
		return s.signingSession(ctx, tx, r)
	})
	if err != nil {
		s.renderSignError(w, r, err)
		return
	}
	p.State = p.Session.StateAt(now)
	p.Token = s.pageToken("sign", p.Session.ID)
	p.Done = r.URL.Query().Get("done")
	p.Declined = slices.ContainsFunc(p.Session.Events, func(e session.Event) bool { return e.Type == session.EventAuthorizationDeclined })
	p.Verification = s.app.Verification()
	if sig := p.Session.Signatory; sig != nil {
		p.Verified = sig.Verified != nil
		p.SentTo = maskEmail(sig.Email)
		if c := sig.Code; c != nil && now.Before(c.ExpiresAt) && c.Attempts < session.MaxCodeAttempts {
			p.CodeSent, p.AttemptsLeft = true, session.MaxCodeAttempts-c.Attempts
		}
	}
	s.renderPage(w, r, p.Session.Locale, "sign.html", "'none'", "'none'", p)
}

// maskEmail shows enough of an address for its owner to recognise it.
func maskEmail(a string) string {
	local, domain, ok := strings.Cut(a, "@")
	if !ok || local == "" {
		return a
	}
	r := []rune(local)
	return string(r[0]) + strings.Repeat("•", min(len(r)-1, 6)) + "@" + domain
}

// renderErrorPage shows a failure of a page a person opened (a signing
// link, a dialog) as a page with title, not as JSON. It is in English:
// the failure is mostly that there is no session whose locale could say
// otherwise.
func (s *Server) renderErrorPage(w http.ResponseWriter, r *http.Request, title string, err error) {
	e, ok := errors.AsType[*kassa.Error](err)
	if !ok || e.Code == kassa.EInternal {
		s.writeError(w, r, err)
		return
	}
	status := wire.Status(e.Code)
	pageHeaders(w, "'none'", "'none'")
	w.WriteHeader(status)
	pages[i18n.English].ExecuteTemplate(w, "error.html", struct{ Title, Message string }{title, e.Message})
}

// renderSignError shows a signing link's failure.
func (s *Server) renderSignError(w http.ResponseWriter, r *http.Request, err error) {
	s.renderErrorPage(w, r, "This link cannot be used", err)
}

// handleSignAction does what the signing page's form asked, then sends
// the browser on (post/redirect/get): back to the page, saying what
// happened, or to the identity provider.
func (s *Server) handleSignAction(w http.ResponseWriter, r *http.Request) {
	r = acting(r, audit.Signatory)
	to, err := s.signAction(r)
	if err != nil {
		s.refused(r, err)
		s.renderSignError(w, r, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// The signing page's outcomes that are not the action's own name.
const (
	doneWrongCode = "wrongCode"
	doneVerified  = "verified"
)

// signAction is what a signing page's form asks: approve or decline, or
// in live mode, to verify first (send a code, check one, or go to the
// identity provider). It returns where to send the browser.
func (s *Server) signAction(r *http.Request) (string, error) {
	if err := sameOrigin(r); err != nil {
		return "", err
	}
	id := r.PathValue("sessionId")
	if !s.validPageToken("sign", id, r.PostFormValue("token")) {
		return "", kassa.Errorf(kassa.EUnauthorized, "the form has expired; reload the page and try again")
	}
	action := r.PostFormValue("action")
	if action == "identity" {
		return s.beginIdentity(r)
	}
	done := action
	err := s.app.Update(r.Context(), func(tx store.Tx) error {
		ctx := r.Context()
		ps, err := s.signingSession(ctx, tx, r)
		if err != nil {
			return err
		}
		env, err := s.app.EnvOf(ctx, tx, ps.MerchantID)
		if err != nil {
			return err
		}
		next, status := ps, http.StatusSeeOther
		switch action {
		case "approve":
			next, _, err = s.app.Sign(ctx, tx, ps, order.VerifiedByLink, env)
		case "decline":
			next, err = s.app.Decline(ctx, tx, ps, order.VerifiedByLink, env)
		case "sendCode":
			next, err = s.app.SendSigningCode(ctx, tx, ps, env)
		case "verifyCode":
			var ok bool
			if next, ok, err = s.app.CheckSigningCode(ps, r.PostFormValue("code"), env.Now); err == nil {
				done = doneVerified
				if !ok {
					done, status = doneWrongCode, http.StatusUnauthorized
				}
			}
		default:
			err = kassa.Invalid("action", "action must be approve, decline, sendCode, verifyCode or identity")
		}
		if err != nil {
			return err
		}
		if err := tx.UpdateSession(ctx, next); err != nil {
			return err
		}
		ev := audit.Event{MerchantID: ps.MerchantID, Action: r.Pattern, Target: ps.ID, Status: status}
		if status != http.StatusSeeOther {
			ev.Outcome = kassa.EUnauthorized
		}
		return s.app.Audit(ctx, tx, ev)
	})
	return r.URL.Path + "?done=" + url.QueryEscape(done), err
}

// beginIdentity sends the visitor of a signing page to the identity
// provider: it reads the session, then calls the provider outside any
// transaction.
func (s *Server) beginIdentity(r *http.Request) (string, error) {
	ctx := r.Context()
	ps, err := provider.View(ctx, s.app, func(tx store.ReadTx) (*session.Session, error) { return s.signingSession(ctx, tx, r) })
	if err != nil {
		return "", err
	}
	if _, err := ps.Verified(s.app.Now()); kassa.ErrorCode(err) != kassa.EForbidden {
		return "", cmp.Or(err, error(kassa.Errorf(kassa.EConflict, "you are verified already")))
	}
	return s.app.BeginIdentity(ctx, ps, s.identityReturn(ps.ID))
}

// identityReturn is where the identity provider sends the signatory back.
func (s *Server) identityReturn(sessionID string) string {
	return s.app.PublicURL() + s.app.SigningPath(sessionID) + "/identity"
}

// handleIdentityReturn takes the identity provider's answer: a verified
// signatory goes back to the signing page to approve or decline. The
// provider is asked outside the transaction that records the answer.
func (s *Server) handleIdentityReturn(w http.ResponseWriter, r *http.Request) {
	r = acting(r, audit.Signatory)
	ctx := r.Context()
	ps, err := provider.View(ctx, s.app, func(tx store.ReadTx) (*session.Session, error) { return s.signingSession(ctx, tx, r) })
	var id session.Identity
	if err == nil {
		id, err = s.app.FinishIdentity(ctx, ps, s.identityReturn(ps.ID), r.URL.Query())
	}
	if err == nil {
		err = s.app.Update(ctx, func(tx store.Tx) error {
			ps, err := s.signingSession(ctx, tx, r)
			if err != nil {
				return err
			}
			next, err := ps.VerifyIdentity(s.app.Now(), id)
			if err != nil {
				return err
			}
			if err := tx.UpdateSession(ctx, next); err != nil {
				return err
			}
			return s.changed(ctx, tx, r, ps.MerchantID, ps.ID, http.StatusSeeOther)
		})
	}
	if err != nil {
		s.refused(r, err)
		s.renderSignError(w, r, err)
		return
	}
	http.Redirect(w, r, strings.TrimSuffix(r.URL.Path, "/identity")+"?done="+doneVerified, http.StatusSeeOther)
}
