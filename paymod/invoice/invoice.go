// Package invoice is the payment module's invoice provider: it pays a
// session by B2B invoice through any Ledyer-compatible API (Kassa's own
// included), as Ledyer's own shop plugins do.
//
// A module session becomes a Ledyer payment session. The buyer's dialog
// (window.ledyer.payments.api.authorize, or Kassa's sandbox endpoint)
// returns an authorization token, which the shop passes as session data
// ({"authorizationToken": "at_…"}) when it authorizes; authorizing then
// creates the order from the token and acknowledges it. A buyer whose
// company needs a signatory gets awaitingSignatory instead, which is
// pending_authorization here, completed when the signed
// com.ledyer.authorization.create notification arrives (see
// ParseWebhook). Captures and refunds map onto the order's capture and
// refund endpoints; refunds go against the captured invoice's ledger id.
//
// Every mutating call carries an Idempotency-Key derived from the
// module's own stable IDs, and transient failures are retried with the
// same key.
package invoice

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
)

// ProviderID is the ID the provider is registered under by default.
const ProviderID = "pp_invoice_default"

// Config configures the provider.
type Config struct {
	BaseURL string // e.g. https://api.sandbox.ledyer.com or a Kassa server
	// TokenURL is where access tokens come from: Ledyer's own host
	// (https://auth.sandbox.ledyer.com/oauth/token); empty, BaseURL's
	// /oauth/token, as Kassa serves them.
	TokenURL         string
	ClientID, Secret string
	// NotificationURL is where the API should send notifications: the
	// module's /v1/payment-module/providers/{id}/webhooks route.
	NotificationURL string
	// NotificationSecret is the Standard Webhooks secret (whsec_…) the API
	// signs those notifications with; Kassa's is its merchant's session
	// signing secret, GET /v1/notification-signing-secret. Set, unsigned
	// or badly signed notifications are refused. Empty (Ledyer, which does
	// not sign), a notification is only a hint to sync the session it
	// names.
	NotificationSecret string
	Country, Locale    string        // defaults for sessions; SE and sv-SE if empty
	VAT                int64         // basis points of a session's single line; 2500 if 0
	Attempts           int           // tries per call on transient failures; 3 if 0
	Backoff            time.Duration // before the first retry; 200ms if 0
}

// Provider is the invoice provider.
type Provider struct {
	cfg    Config
	client *client.Client
}

var _ paymod.Provider = (*Provider)(nil)

// New returns the provider.
func New(cfg Config) *Provider {
	if cfg.Country == "" {
		cfg.Country = "SE"
	}
	if cfg.Locale == "" {
		cfg.Locale = "sv-SE"
	}
	if cfg.VAT == 0 {
		cfg.VAT = 2500
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 200 * time.Millisecond
	}
	opts := []client.Option{client.WithRetry(client.Retry{Attempts: cfg.Attempts, Backoff: cfg.Backoff, MaxBackoff: client.DefaultRetry.MaxBackoff})}
	if cfg.TokenURL != "" {
		opts = append(opts, client.WithTokenURL(cfg.TokenURL))
	}
	return &Provider{cfg: cfg, client: client.New(cfg.BaseURL, cfg.ClientID, cfg.Secret, opts...)}
}

// refusal maps the API's refusals to *kassa.Error (a known outcome),
// leaving transport and server errors as they are (an unknown one). The
// client has retried those as Config allows, with the same key.
func refusal(err error) error {
	if err == nil || client.Transient(err) {
		return err
	}
	e, ok := errors.AsType[*client.Error](err)
	if !ok {
		return err
	}
	code := map[int]string{
		http.StatusNotFound: kassa.ENotFound, http.StatusConflict: kassa.EConflict,
		http.StatusPaymentRequired: kassa.ERejected, http.StatusUnprocessableEntity: kassa.EIdempotencyMismatch,
		http.StatusUnauthorized: kassa.EInternal, http.StatusForbidden: kassa.EInternal,
	}[e.Status]
	if code == "" {
		code = kassa.EInvalid
	}
	if code == kassa.EInternal {
		return err // our credentials are wrong: not the caller's fault
	}
	msg := e.Message
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d", e.Status)
	}
	return &kassa.Error{Code: code, Message: "invoice provider: " + msg, Err: err}
}

// data is the session's provider data this provider reads and writes;
// other keys the shop put there are kept.
type data struct {
	SessionID          string             `json:"ledyerSessionId,omitempty"`
	OrderID            string             `json:"ledyerOrderId,omitempty"`
	AuthorizationToken string             `json:"authorizationToken,omitempty"`
	Country            string             `json:"country,omitempty"`
	Locale             string             `json:"locale,omitempty"`
	Reference          string             `json:"reference,omitempty"`
	OrderLines         []client.OrderLine `json:"orderLines,omitempty"`
}

func readData(raw json.RawMessage) (data, map[string]any, error) {
	var d data
	all := map[string]any{}
	if len(raw) == 0 {
		return d, all, nil
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, nil, kassa.Invalid("data", "invoice session data: %v", err)
	}
	if err := json.Unmarshal(raw, &all); err != nil {
		return d, nil, kassa.Invalid("data", "invoice session data: %v", err)
	}
	return d, all, nil
}

// withData returns raw with the given keys set.
func withData(all map[string]any, set map[string]string) json.RawMessage {
	for k, v := range set {
		if v != "" {
			all[k] = v
		}
	}
	b, _ := json.Marshal(all) // a map decoded from JSON encodes
	return b
}

// cart is a payment session's body: the shop's lines, or one line for the
// whole amount at the configured VAT rate.
func (p *Provider) cart(in paymod.SessionInput, d data) (client.PaymentSessionParams, error) {
	lines := d.OrderLines
	if len(lines) == 0 {
		amount := in.Amount
		lines = []client.OrderLine{{
			Type: "physical", Reference: in.SessionID, Description: "Order " + in.SessionID,
			Quantity: 1, UnitPrice: &amount, VAT: p.cfg.VAT,
			TotalAmount: amount, TotalVATAmount: money.VATPortion(amount, p.cfg.VAT),
		}}
	}
	var total, vat int64
	for _, l := range lines {
		total += l.TotalAmount
		vat += l.TotalVATAmount
	}
	if total != in.Amount {
		return client.PaymentSessionParams{}, kassa.Invalid("data.orderLines", "the order lines total %d, not the session's amount %d", total, in.Amount)
	}
	body := client.PaymentSessionParams{
		Country: first(d.Country, p.cfg.Country), Currency: string(in.Currency), Locale: first(d.Locale, p.cfg.Locale),
		Reference: first(d.Reference, in.SessionID), OrderLines: lines,
		TotalOrderAmount: total, TotalOrderVATAmount: vat, TotalOrderAmountExclVAT: total - vat,
	}
	if p.cfg.NotificationURL != "" {
		body.Settings = &client.SessionSettings{URLs: &client.SessionURLs{Notification: p.cfg.NotificationURL}}
	}
	return body, nil
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// bodyKey is key made specific to body, so that a retry of the same
// request repeats the key and a different request never reuses it.
func bodyKey(key string, body any) string {
	b, _ := json.Marshal(body)
	h := sha256.Sum256(b)
	return key + ":" + hex.EncodeToString(h[:8])
}

func (p *Provider) Initiate(ctx context.Context, in paymod.SessionInput) (payment.ProviderResult, error) {
	d, all, err := readData(in.Data)
	if err != nil {
		return payment.ProviderResult{}, err
	}
	body, err := p.cart(in, d)
	if err != nil {
		return payment.ProviderResult{}, err
	}
	s, err := p.client.CreatePaymentSession(ctx, body, client.IdempotencyKey(in.Key+":session"))
	if err != nil {
		return payment.ProviderResult{}, refusal(err)
	}
	ref := first(s.SessionID, s.ID) // Ledyer's plugins read either
	return payment.ProviderResult{
		Status: payment.SessionPending, Ref: ref,
		Data: withData(all, map[string]string{"ledyerSessionId": ref}),
	}, nil
}

// Update sends the session's cart again. The key names the revision the
// change makes, so that a retry of the change is answered from the API's
// record of it, while a later change back to an earlier cart is sent
// anew. The data it answers names the Ledyer session whatever the shop's
// data said.
func (p *Provider) Update(ctx context.Context, in paymod.SessionInput) (payment.ProviderResult, error) {
	d, all, err := readData(in.Data)
	if err != nil {
		return payment.ProviderResult{}, err
	}
	if in.Ref == "" {
		return p.Initiate(ctx, in) // the first attempt never reached the API
	}
	body, err := p.cart(in, d)
	if err != nil {
		return payment.ProviderResult{}, err
	}
	key := bodyKey(fmt.Sprintf("%s:update:%d", in.Key, in.Revision), body)
	if _, err := p.client.UpdatePaymentSession(ctx, in.Ref, body, client.IdempotencyKey(key)); err != nil {
		return payment.ProviderResult{}, refusal(err)
	}
	return payment.ProviderResult{Data: withData(all, map[string]string{"ledyerSessionId": in.Ref})}, nil
}

func (p *Provider) session(ctx context.Context, ref string) (*client.PaymentSession, error) {
	if ref == "" {
		return nil, kassa.Errorf(kassa.EConflict, "the invoice session was never created; update the session to retry")
	}
	s, err := p.client.GetPaymentSession(ctx, ref)
	return s, refusal(err)
}

// statusOf maps a Ledyer session state to a module session status.
func statusOf(s *client.PaymentSession) string {
	switch {
	case s.OrderID != "":
		return payment.SessionAuthorized
	case s.State == "awaitingSignatory":
		return payment.SessionPendingAuthorization
	case s.State == "cancelled":
		return payment.SessionCanceled
	case s.State == "expired":
		return payment.SessionError
	}
	return payment.SessionPending
}

// Authorize turns the buyer's authorization into an acknowledged order.
// The session is re-read first, so a retry after a lost answer finds the
// order the first attempt created; the order is that session's, never one
// the session's data names.
func (p *Provider) Authorize(ctx context.Context, in paymod.SessionInput) (payment.ProviderResult, error) {
	d, all, err := readData(in.Data)
	if err != nil {
		return payment.ProviderResult{}, err
	}
	s, err := p.session(ctx, in.Ref)
	if err != nil {
		return payment.ProviderResult{}, err
	}
	orderID := s.OrderID
	if orderID == "" {
		switch {
		case s.State == "awaitingSignatory":
			return payment.ProviderResult{Status: payment.SessionPendingAuthorization}, nil
		case s.State != "authorized":
			return payment.ProviderResult{Status: statusOf(s)}, nil
		case d.AuthorizationToken == "":
			// Authorized, but the token the dialog returned was not passed.
			return payment.ProviderResult{Status: payment.SessionRequiresMore}, nil
		}
		// The payment will be of the module session's amount: the order
		// must be of the same, or the two books disagree from the start.
		o := s.Order
		if o.TotalOrderAmount != in.Amount {
			return payment.ProviderResult{}, kassa.Errorf(kassa.EConflict, "the invoice session's order totals %d, not the session's amount %d; update the session", o.TotalOrderAmount, in.Amount)
		}
		lines := slices.Clone(o.OrderLines)
		for i := range lines {
			lines[i].ID = "" // the order gets its own line ids
		}
		// The session's cart and customer, as the API requires of the order.
		body := client.OrderParams{
			PaymentSessionParams: client.PaymentSessionParams{
				Country: o.Country, Currency: o.Currency, Locale: o.Locale, Reference: o.Reference, OrderLines: lines,
				TotalOrderAmount: o.TotalOrderAmount, TotalOrderVATAmount: o.TotalOrderVATAmount, TotalOrderAmountExclVAT: o.TotalOrderAmountExclVAT,
				Metadata: o.Metadata,
			},
			Customer: s.Customer,
		}
		if orderID, err = p.client.CreateOrder(ctx, d.AuthorizationToken, body, client.IdempotencyKey(in.Key+":order")); err != nil {
			return payment.ProviderResult{}, refusal(err)
		}
	}
	// Acknowledge, as Ledyer asks of every new order; the answer is the
	// order, which must be this session's: the token came from outside.
	o, err := p.client.AcknowledgeOrder(ctx, orderID, client.IdempotencyKey(in.Key+":ack"))
	if err != nil {
		return payment.ProviderResult{}, refusal(err)
	}
	if o.SessionID != in.Ref {
		return payment.ProviderResult{}, kassa.Errorf(kassa.EConflict, "order %s belongs to session %s, not %s", orderID, o.SessionID, in.Ref)
	}
	return payment.ProviderResult{
		Status: payment.SessionAuthorized,
		Data:   withData(all, map[string]string{"ledyerOrderId": orderID}),
	}, nil
}

func (p *Provider) Status(ctx context.Context, in paymod.SessionInput) (payment.ProviderResult, error) {
	s, err := p.session(ctx, in.Ref)
	if err != nil {
		return payment.ProviderResult{}, err
	}
	return payment.ProviderResult{Status: statusOf(s)}, nil
}

// Delete cancels the session if a signatory was asked to sign (the only
// kind Ledyer cancels); other sessions simply expire.
func (p *Provider) Delete(ctx context.Context, in paymod.SessionInput) error {
	if in.Ref == "" {
		return nil
	}
	_, err := p.client.CancelPaymentSession(ctx, in.Ref, client.IdempotencyKey(in.Key+":delete"))
	err = refusal(err)
	if c := kassa.ErrorCode(err); c == kassa.EConflict || c == kassa.ENotFound {
		return nil
	}
	return err
}
