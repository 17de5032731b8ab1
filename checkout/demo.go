package checkout

import (
	"cmp"
	"context"
	"net/http"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/i18n"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// The sandbox demo shop: a merchant page that uses the SDK the way the
// best-practices guide says, and a backend that does what a merchant's
// server does, for Config.DemoMerchantID. It is not part of the API: its
// backend calls the use cases the API's handlers call (package provider),
// directly.

// demoDesk is the shop's one product: 6,499.00 SEK at 25 % VAT.
const demoDeskPrice = 649900

func demoLines(qty int64, p *i18n.Printer) ([]order.Line, order.Totals) {
	if qty < 1 || qty > 1000 {
		qty = 1
	}
	price := int64(demoDeskPrice)
	total := qty * price
	l := order.Line{
		Type: order.TypePhysical, Reference: "DESK-1", Description: p.T("demo.desk"), Quantity: qty,
		UnitPrice: &price, VAT: 2500, TotalAmount: total, TotalVATAmount: money.VATPortion(total, 2500),
	}
	return []order.Line{l}, order.Totals{Amount: total, VATAmount: l.TotalVATAmount}
}

type demoShopPage struct {
	Companies []demoCompany
	Langs     []demoLang
	Price     int64
}

type demoCompany struct{ ID, Label string }

// demoLang is a language the demo shop offers, by its own name.
type demoLang struct {
	Code, Name string
	Current    bool
}

// demoLocales are the locales of the demo shop's sessions by the
// language its page is in (?lang=): a Swedish shop's, in SEK.
var demoLocales = []struct{ lang, name, locale string }{
	{"en", "English", "en-SE"}, {"sv", "Svenska", "sv-SE"}, {"fi", "Suomi", "fi-FI"},
	{"nb", "Norsk bokmål", "nb-NO"}, {"da", "Dansk", "da-DK"},
}

// demoLocale is the locale of language code lang; English when the shop
// does not offer it.
func demoLocale(lang string) string {
	for _, l := range demoLocales {
		if l.lang == lang {
			return l.locale
		}
	}
	return demoLocales[0].locale
}

func (s *Server) handleDemoShop(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.DemoMerchantID == "" {
		return kassa.Errorf(kassa.ENotFound, "the demo shop has no merchant; start kassa serve in sandbox mode")
	}
	locale := demoLocale(r.URL.Query().Get("lang"))
	pr := i18n.For(locale)
	p := demoShopPage{Price: demoDeskPrice, Companies: []demoCompany{
		{"559311-3714", "559311-3714: " + pr.T("demo.approved")},
		{risk.SignatoryCompany, risk.SignatoryCompany + ": " + pr.T("demo.signatory")},
		{risk.ManualReviewCompany, risk.ManualReviewCompany + ": " + pr.T("demo.review")},
		{risk.LowLimitCompany, risk.LowLimitCompany + ": " + pr.T("demo.lowLimit", pr.Money(10_000_00, "SEK"))},
		{risk.BlockedCompany, risk.BlockedCompany + ": " + pr.T("demo.blocked")},
	}}
	for _, l := range demoLocales {
		p.Langs = append(p.Langs, demoLang{Code: l.lang, Name: l.name, Current: l.locale == locale})
	}
	s.renderPage(w, r, locale, "demo.html", "'self'", "'self'", p)
	return nil
}

type demoIn struct {
	SessionID string         `json:"sessionId"`
	Quantity  int64          `json:"quantity"`
	Lang      string         `json:"lang"` // the page's, for a new session's locale
	Token     string         `json:"token"`
	Customer  *wire.Customer `json:"customer"`
}

type demoOut struct {
	SessionID    string `json:"sessionId,omitempty"`
	State        string `json:"state,omitempty"`
	OrderID      string `json:"orderId,omitempty"`
	SignatoryURL string `json:"signatoryUrl,omitempty"`
}

// handleDemoAction is the demo shop's backend: session (create a payment
// session for the cart), update (change the cart), order (create the order
// from a token), pending (what the merchant knows of a session awaiting a
// signatory) and complete (what a notification handler does once the
// signatory approved: create the order from the session's token).
func (s *Server) handleDemoAction(w http.ResponseWriter, r *http.Request) error {
	m := s.cfg.DemoMerchantID
	if m == "" {
		return kassa.Errorf(kassa.ENotFound, "the demo shop has no merchant")
	}
	if err := sameOrigin(r); err != nil {
		return err
	}
	body, err := wire.ReadBody(r)
	if err != nil {
		return err
	}
	var in demoIn
	if err := wire.Decode(body, &in); err != nil {
		return err
	}
	var out demoOut
	err = s.app.Update(r.Context(), func(tx store.Tx) error {
		ctx := r.Context()
		if err := s.demoStep(ctx, tx, r, m, &in, &out); err != nil {
			return err
		}
		return s.changed(ctx, tx, r, m, cmp.Or(out.OrderID, out.SessionID), http.StatusOK)
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, out)
	return nil
}

// demoStep does the action r names for merchant m.
func (s *Server) demoStep(ctx context.Context, tx store.Tx, r *http.Request, m string, in *demoIn, out *demoOut) error {
	env, err := s.app.EnvOf(ctx, tx, m)
	if err != nil {
		return err
	}
	switch r.PathValue("action") {
	case "session":
		return s.demoSession(ctx, tx, m, in.Quantity, demoLocale(in.Lang), env, out)
	case "update":
		ps, err := tx.Session(ctx, m, in.SessionID)
		if err != nil {
			return err
		}
		lines, totals := demoLines(in.Quantity, i18n.For(ps.Locale))
		next, err := s.app.UpdateSession(ctx, tx, m, in.SessionID, session.Params{Lines: lines, Totals: totals}, false)
		if err != nil {
			return err
		}
		out.SessionID, out.State = next.ID, next.StateAt(env.Now)
		return nil
	case "order":
		return s.demoOrder(ctx, tx, m, in.Token, in.Customer.Order(), out)
	case "pending", "complete":
		ps, err := tx.Session(ctx, m, in.SessionID)
		if err != nil {
			return err
		}
		out.SessionID, out.State, out.SignatoryURL, out.OrderID = ps.ID, ps.StateAt(env.Now), s.app.SignatoryURL(ps), ps.OrderID
		if r.PathValue("action") == "complete" && out.State == session.StateAuthorized && ps.OrderID == "" {
			return s.demoOrder(ctx, tx, m, ps.Token, *ps.Customer, out)
		}
		return nil
	}
	return kassa.Errorf(kassa.ENotFound, "no such demo action")
}

// demoShop runs h, a request to the demo shop's backend, as audit.DemoShop
// acting for the shop's merchant, and records its failure; h records its
// success.
func (s *Server) demoShop(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		r = acting(r, audit.DemoShop)
		err := h(w, r)
		if err != nil {
			s.refusedFor(r, s.cfg.DemoMerchantID, "", err)
		}
		return err
	}
}

func (s *Server) demoSession(ctx context.Context, tx store.Tx, merchantID string, qty int64, locale string, env order.Env, out *demoOut) error {
	lines, totals := demoLines(qty, i18n.For(locale))
	cur, country, ref := "SEK", "SE", "demo-"+env.IDs.New("")[:12]
	ps, err := s.app.CreateSession(ctx, tx, merchantID, session.Params{
		Currency: &cur, Country: &country, Locale: &locale, Reference: &ref,
		Lines: lines, Totals: totals,
		Settings: &session.Settings{ConfirmationURL: s.app.PublicURL() + "/demo/shop"},
	})
	if err != nil {
		return err
	}
	out.SessionID, out.State = ps.ID, ps.State
	return nil
}

// demoOrder creates the order from a token, with the session's cart, as a
// merchant's backend does with POST /v1/authorization-tokens/{token}/order.
func (s *Server) demoOrder(ctx context.Context, tx store.Tx, merchantID, token string, c order.Customer, out *demoOut) error {
	tok, err := tx.Token(ctx, merchantID, token)
	if err != nil {
		return err
	}
	ps, err := tx.Session(ctx, merchantID, tok.SessionID)
	if err != nil {
		return err
	}
	o, err := s.app.OrderFromToken(ctx, tx, merchantID, token, session.OrderRequest{
		Currency: string(ps.Currency), Lines: ps.Lines,
		Totals:   order.Totals{Amount: ps.Amount, VATAmount: ps.VATAmount},
		Customer: c,
	})
	if err != nil {
		return err
	}
	out.SessionID, out.State, out.OrderID = ps.ID, session.StateAuthorized, o.ID
	return nil
}
