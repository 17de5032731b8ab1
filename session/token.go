package session

import (
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
)

// Token states.
const (
	TokenActive    = "active"
	TokenUsed      = "used"
	TokenCancelled = "cancelled"
)

// Token is an authorization token: the one-time right to create an order
// from an authorized session.
type Token struct {
	Token      string    `json:"token"`
	MerchantID string    `json:"merchantId"`
	SessionID  string    `json:"sessionId"`
	State      string    `json:"state"`
	OrderID    string    `json:"orderId,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
}

// usable says why the token cannot be used now, or nil.
func (t *Token) usable(now time.Time) error {
	switch {
	case t.State == TokenUsed:
		return kassa.Errorf(kassa.EConflict, "authorization token has already been used for order %s", t.OrderID)
	case t.State == TokenCancelled:
		return kassa.Errorf(kassa.EConflict, "authorization token has been cancelled")
	case !now.Before(t.ExpiresAt):
		return kassa.Errorf(kassa.EConflict, "authorization token has expired")
	}
	return nil
}

// Cancel cancels an unused token.
func (t *Token) Cancel(now time.Time) (*Token, error) {
	if err := t.usable(now); err != nil {
		return nil, err
	}
	n := *t
	n.State = TokenCancelled
	return &n, nil
}

// OrderRequest is what the merchant sends to turn a token into an order.
type OrderRequest struct {
	Currency  string
	Country   string
	Locale    string
	Reference string
	StoreID   string
	Lines     []order.Line
	Totals    order.Totals
	Customer  order.Customer
	Metadata  []byte
	// AutoCapture asks for the order to be captured automatically.
	AutoCapture *order.AutoCapture
}

// CreateOrder turns the token into an order, if the request matches what
// was authorized: the same currency and totals, and the same company. It
// returns the used token and the completed session with the order.
func CreateOrder(env order.Env, t *Token, s *Session, r OrderRequest, processingDelay time.Duration) (*order.Order, *Token, *Session, error) {
	if err := t.usable(env.Now); err != nil {
		return nil, nil, nil, err
	}
	if s.Token != t.Token || s.State != StateAuthorized || s.Customer == nil {
		return nil, nil, nil, kassa.Errorf(kassa.EConflict, "authorization token is no longer current for session %s", s.ID)
	}
	cur, err := money.ParseCurrency(r.Currency)
	if err != nil {
		return nil, nil, nil, err
	}
	switch {
	case cur != s.Currency:
		return nil, nil, nil, kassa.Invalid("currency", "currency %s does not match the session's %s", cur, s.Currency)
	case r.Totals.Amount != s.Amount:
		return nil, nil, nil, kassa.Invalid("totalOrderAmount", "totalOrderAmount %d does not match the authorized %d", r.Totals.Amount, s.Amount)
	case r.Totals.VATAmount != s.VATAmount:
		return nil, nil, nil, kassa.Invalid("totalOrderVatAmount", "totalOrderVatAmount %d does not match the authorized %d", r.Totals.VATAmount, s.VATAmount)
	}
	c := r.Customer
	authorized := s.Customer
	if c.CompanyID == "" {
		c.CompanyID = authorized.CompanyID
	}
	if NormalizeCompanyID(c.CompanyID) != authorized.CompanyID {
		return nil, nil, nil, kassa.Invalid("customer.companyId", "companyId %q is not the authorized company", c.CompanyID)
	}
	c.CompanyID = authorized.CompanyID
	fill(&c.CompanyName, authorized.CompanyName, c.BillingAddress.CompanyName)
	fill(&c.VATID, authorized.VATID)
	fill(&c.Email, authorized.Email)
	fill(&c.InvoiceChannel.Type, authorized.InvoiceChannel.Type, "email")
	if err := c.Validate("customer"); err != nil {
		return nil, nil, nil, err
	}
	country, locale, ref, store := s.Country, s.Locale, s.Reference, s.StoreID
	fill(&country, r.Country)
	if r.Locale != "" {
		if locale, err = NormalizeLocale(r.Locale); err != nil {
			return nil, nil, nil, err
		}
	}
	if r.Reference != "" {
		ref = r.Reference
	}
	if r.StoreID != "" {
		store = r.StoreID
	}
	meta := s.Metadata
	if r.Metadata != nil {
		if meta, err = checkMetadata(r.Metadata); err != nil {
			return nil, nil, nil, err
		}
	}
	status := order.Authorized
	if s.Forced {
		status = order.Forced
	}
	o, err := order.New(env, order.NewParams{
		MerchantID: s.MerchantID, StoreID: store, SessionID: s.ID,
		Currency: cur, Country: country, Locale: locale, Reference: ref,
		Lines: r.Lines, Totals: r.Totals, Customer: c,
		AuthorizeStatus: status, PaymentMethod: s.PaymentMethod, RiskTags: s.RiskTags, Metadata: meta,
		ProcessingDelay: processingDelay, AutoCapture: r.AutoCapture, Signatory: s.Approval,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	nt := *t
	nt.State, nt.OrderID = TokenUsed, o.ID
	ns := s.clone()
	ns.OrderID, ns.UpdatedAt = o.ID, env.Now
	return o, &nt, ns, nil
}

// fill sets *dst to the first non-empty candidate when *dst is empty.
func fill(dst *string, candidates ...string) {
	for _, c := range candidates {
		if *dst != "" {
			return
		}
		*dst = c
	}
}
