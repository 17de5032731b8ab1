package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// The Ledyer-compatible API: payment sessions, authorization tokens,
// orders and payment status, in Ledyer's shapes. Amounts are integer
// minor units (öre, cents) and VAT rates basis points (2500 is 25 %).

// Money is an amount as orders show it.
type Money struct {
	Amount                string `json:"amount"` // "5000.00"
	Currency              string `json:"currency"`
	Formatted             string `json:"formatted"`             // "5,000.00"
	FormattedWithCurrency string `json:"formattedWithCurrency"` // "SEK 5,000.00"
	MinorUnits            int64  `json:"minorUnits"`
}

// OrderLine is an order line, sent and answered. TotalAmount includes
// VAT.
type OrderLine struct {
	ID                 string `json:"id,omitempty"` // ol_…, answered; sent only to capture that line
	Type               string `json:"type"`         // physical, digital, shippingFee, discount, …
	Reference          string `json:"reference"`
	Description        string `json:"description"`
	Quantity           int64  `json:"quantity"`
	UnitPrice          *int64 `json:"unitPrice,omitempty"`
	UnitDiscountAmount int64  `json:"unitDiscountAmount,omitempty"`
	VAT                int64  `json:"vat"`
	TotalAmount        int64  `json:"totalAmount"`
	TotalVATAmount     int64  `json:"totalVatAmount"`
}

// Address is a company address; a shipping address has a Contact.
type Address struct {
	AttentionName string   `json:"attentionName,omitempty"`
	CareOf        string   `json:"careOf,omitempty"`
	City          string   `json:"city,omitempty"`
	CompanyName   string   `json:"companyName,omitempty"`
	Country       string   `json:"country,omitempty"`
	PostalCode    string   `json:"postalCode,omitempty"`
	StreetAddress string   `json:"streetAddress,omitempty"`
	Contact       *Contact `json:"contact,omitempty"`
}

// Contact is a shipping address's contact person.
type Contact struct {
	Email     string `json:"email,omitempty"`
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	Phone     string `json:"phone,omitempty"`
}

// InvoiceChannel is how the buyer receives invoices.
type InvoiceChannel struct {
	Type    string `json:"type,omitempty"`
	Details string `json:"details,omitempty"`
}

// PaymentMethod is an order's payment method: type invoice or
// advanceInvoice from provider ledyer.
type PaymentMethod struct {
	Provider string `json:"provider,omitempty"`
	Type     string `json:"type"`
}

// Customer is the buying company, sent when an order is created and
// answered on sessions and orders.
type Customer struct {
	CompanyID       string          `json:"companyId,omitempty"` // a Swedish organisation number: 556677-8899
	CompanyName     string          `json:"companyName,omitempty"`
	VATID           string          `json:"vatId,omitempty"`
	Email           string          `json:"email,omitempty"`
	FirstName       string          `json:"firstName,omitempty"`
	LastName        string          `json:"lastName,omitempty"`
	Phone           string          `json:"phone,omitempty"`
	Reference1      string          `json:"reference1,omitempty"`
	Reference2      string          `json:"reference2,omitempty"`
	BillingAddress  *Address        `json:"billingAddress,omitempty"`
	ShippingAddress *Address        `json:"shippingAddress,omitempty"`
	InvoiceChannel  *InvoiceChannel `json:"invoiceChannel,omitempty"`
	PaymentMethod   *PaymentMethod  `json:"paymentMethod,omitempty"` // answered only
}

// SessionSettings are a payment session's security level and URLs.
type SessionSettings struct {
	Security *Security    `json:"security,omitempty"`
	URLs     *SessionURLs `json:"urls,omitempty"`
}

// Security is a payment session's security level (Ledyer's 100 to 300).
type Security struct {
	Level int64 `json:"level"`
}

// SessionURLs are where the buyer goes after authorizing and where
// notifications of the session and its order are sent.
type SessionURLs struct {
	Confirmation string `json:"confirmation,omitempty"`
	Notification string `json:"notification,omitempty"`
}

// PaymentSessionParams create or update a payment session. Given
// OrderLines replace the session's; the totals are required.
type PaymentSessionParams struct {
	Country                 string           `json:"country,omitempty"` // SE
	Currency                string           `json:"currency,omitempty"`
	Locale                  string           `json:"locale,omitempty"` // sv-SE
	Reference               string           `json:"reference,omitempty"`
	StoreID                 string           `json:"storeId,omitempty"`
	OrderLines              []OrderLine      `json:"orderLines,omitempty"`
	TotalOrderAmount        int64            `json:"totalOrderAmount"`
	TotalOrderVATAmount     int64            `json:"totalOrderVatAmount"`
	TotalOrderAmountExclVAT int64            `json:"totalOrderAmountExclVat"`
	Metadata                json.RawMessage  `json:"metadata,omitempty"`
	Settings                *SessionSettings `json:"settings,omitempty"`
}

// PaymentSession is a payment session: the cart the buyer authorizes.
type PaymentSession struct {
	ID        string `json:"id"`
	SessionID string `json:"sessionId"` // the same as ID; Ledyer's clients read either
	// State is created, awaitingSignatory, authorized, cancelled or
	// expired.
	State         string            `json:"state"`
	OrderID       string            `json:"orderId,omitempty"` // once an order is made from it
	MerchantID    string            `json:"merchantId"`
	StoreID       string            `json:"storeId"`
	Configuration []PaymentCategory `json:"configuration"`
	Customer      *Customer         `json:"customer,omitempty"` // once authorized
	Order         SessionOrder      `json:"order"`
	// SignatoryURL is Kassa's: the signing link of a session awaiting a
	// signatory, in the sandbox.
	SignatoryURL string    `json:"signatoryUrl,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	ExpiresAt    time.Time `json:"expiresAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// PaymentCategory is a way to pay that the session offers the buyer.
type PaymentCategory struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Assets      struct {
		URLs struct {
			Logo string `json:"logo"`
		} `json:"urls"`
	} `json:"assets"`
}

// SessionOrder is a payment session's cart.
type SessionOrder struct {
	Country                 string          `json:"country"`
	Currency                string          `json:"currency"`
	Locale                  string          `json:"locale"`
	Reference               string          `json:"reference"`
	Metadata                json.RawMessage `json:"metadata"`
	OrderLines              []OrderLine     `json:"orderLines"`
	Settings                SessionSettings `json:"settings"`
	TotalOrderAmount        int64           `json:"totalOrderAmount"`
	TotalOrderAmountExclVAT int64           `json:"totalOrderAmountExclVat"`
	TotalOrderVATAmount     int64           `json:"totalOrderVatAmount"`
}

// CreatePaymentSession creates a payment session for the buyer to
// authorize.
func (c *Client) CreatePaymentSession(ctx context.Context, p PaymentSessionParams, opts ...CallOption) (*PaymentSession, error) {
	var s PaymentSession
	_, err := c.Do(ctx, http.MethodPost, "/v1/payment-sessions", p, &s, opts...)
	return &s, err
}

// GetPaymentSession reads a payment session.
func (c *Client) GetPaymentSession(ctx context.Context, id string) (*PaymentSession, error) {
	var s PaymentSession
	_, err := c.Do(ctx, http.MethodGet, "/v1/payment-sessions/"+escape(id), nil, &s)
	return &s, err
}

// UpdatePaymentSession changes a session not yet authorized.
func (c *Client) UpdatePaymentSession(ctx context.Context, id string, p PaymentSessionParams, opts ...CallOption) (*PaymentSession, error) {
	var s PaymentSession
	_, err := c.Do(ctx, http.MethodPost, "/v1/payment-sessions/"+escape(id), p, &s, opts...)
	return &s, err
}

// CancelPaymentSession cancels a session awaiting its signatory.
func (c *Client) CancelPaymentSession(ctx context.Context, id string, opts ...CallOption) (*PaymentSession, error) {
	var s PaymentSession
	_, err := c.Do(ctx, http.MethodDelete, "/v1/payment-sessions/"+escape(id), nil, &s, opts...)
	return &s, err
}

// Authorization is the outcome of authorizing a session: state
// authorized with the token to create the order from, or
// awaitingSignatory.
type Authorization struct {
	State              string `json:"state"`
	AuthorizationToken string `json:"authorizationToken,omitempty"`
}

// SandboxAuthorizeParams are what the buyer's dialog would send.
type SandboxAuthorizeParams struct {
	Customer      *Customer `json:"customer"`
	PaymentMethod string    `json:"paymentMethod,omitempty"` // invoice (the default) or advanceInvoice
}

// SandboxAuthorize authorizes a session as the buyer's dialog does (the
// sandbox only).
func (c *Client) SandboxAuthorize(ctx context.Context, sessionID string, p SandboxAuthorizeParams, opts ...CallOption) (*Authorization, error) {
	var a Authorization
	_, err := c.Do(ctx, http.MethodPost, "/v1/sandbox/payment-sessions/"+escape(sessionID)+"/authorize", p, &a, opts...)
	return &a, err
}

// SandboxSign signs a session awaiting its signatory, as the signatory
// does on the signing page (the sandbox only).
func (c *Client) SandboxSign(ctx context.Context, sessionID string, opts ...CallOption) (*Authorization, error) {
	var a Authorization
	_, err := c.Do(ctx, http.MethodPost, "/v1/sandbox/payment-sessions/"+escape(sessionID)+"/sign", nil, &a, opts...)
	return &a, err
}

// OrderParams create an order from an authorization token: the session's
// cart and the buyer.
type OrderParams struct {
	PaymentSessionParams
	Customer    *Customer    `json:"customer,omitempty"`
	AutoCapture *AutoCapture `json:"autoCapture,omitempty"`
}

// AutoCapture captures an order in full DelayMinutes after it is ready
// for capture.
type AutoCapture struct {
	Enabled      bool  `json:"enabled"`
	DelayMinutes int64 `json:"delayMinutes,omitempty"`
}

// CreateOrder creates the order an authorization token authorizes and
// returns its ID.
func (c *Client) CreateOrder(ctx context.Context, token string, p OrderParams, opts ...CallOption) (string, error) {
	var out struct {
		OrderID string `json:"orderId"`
	}
	_, err := c.Do(ctx, http.MethodPost, "/v1/authorization-tokens/"+escape(token)+"/order", p, &out, opts...)
	return out.OrderID, err
}

// CancelAuthorizationToken cancels an unused token; its session opens
// again.
func (c *Client) CancelAuthorizationToken(ctx context.Context, token string, opts ...CallOption) error {
	_, err := c.Do(ctx, http.MethodDelete, "/v1/authorization-tokens/"+escape(token), nil, nil, opts...)
	return err
}

// Order is an order with its chunks: what is uncaptured, each captured
// invoice and each refund.
type Order struct {
	ID                string          `json:"id"`
	MerchantID        string          `json:"merchantId"`
	StoreID           string          `json:"storeId"`
	SessionID         string          `json:"sessionId"`
	MerchantReference string          `json:"merchantReference"`
	OrderReference    string          `json:"orderReference"`
	Status            []string        `json:"status"` // uncaptured, captured, refunded, cancelled, …
	AuthorizeStatus   string          `json:"authorizeStatus"`
	Country           string          `json:"country"`
	Currency          string          `json:"currency"`
	Locale            string          `json:"locale"`
	Customer          Customer        `json:"customer"`
	PaymentMethod     PaymentMethod   `json:"paymentMethod"`
	Metadata          json.RawMessage `json:"metadata,omitempty"`
	RiskProfile       struct {
		Tags []string `json:"tags"`
	} `json:"riskProfile"`
	OrderAmount      Money     `json:"orderAmount"`
	UncapturedAmount Money     `json:"uncapturedAmount"`
	CapturedAmount   Money     `json:"capturedAmount"`
	RefundedAmount   Money     `json:"refundedAmount"`
	Uncaptured       *Chunk    `json:"uncaptured"`
	Captured         []Chunk   `json:"captured"`
	Refunded         []Chunk   `json:"refunded"`
	Events           []Event   `json:"events"` // newest first
	CreatedAt        time.Time `json:"createdAt"`
	UpdatedAt        time.Time `json:"updatedAt"`
	ExpiresAt        time.Time `json:"expiresAt"`
}

// Chunk is a part of an order: its uncaptured lines, a captured invoice
// or a refund (credit note). Captured and refunded chunks carry their
// invoice document.
type Chunk struct {
	LedgerID                string      `json:"ledgerId"`
	CapturedLedgerID        string      `json:"capturedLedgerId,omitempty"` // a refund's invoice
	Status                  []string    `json:"status"`
	AvailableActions        []Action    `json:"availableActions"`
	Note                    string      `json:"note"`
	OrderLines              []OrderLine `json:"orderLines"`
	TotalOrderAmount        Money       `json:"totalOrderAmount"`
	TotalOrderAmountExclVAT Money       `json:"totalOrderAmountExclVat"`
	TotalOrderVATAmount     Money       `json:"totalOrderVatAmount"`
	DocumentReference       string      `json:"documentReference,omitempty"`
	DocumentURL             string      `json:"documentUrl,omitempty"`
	CreatedAt               time.Time   `json:"createdAt"`
}

// Action is an operation a chunk allows now: capture, partialCapture,
// refund, editPaymentMethod, …
type Action struct {
	Type string `json:"type"`
}

// Event is an entry of an order's history.
type Event struct {
	ID        string    `json:"id"`
	OrderID   string    `json:"orderId"`
	Type      string    `json:"type"` // create, authorize, acknowledge, fullCapture, …
	LedgerID  string    `json:"ledgerId"`
	Amount    Money     `json:"amount"`
	CreatedAt time.Time `json:"createdAt"`
	// Signatory is Kassa's: who approved the purchase, on the authorize
	// event of an order a company signatory approved.
	Signatory *Approval `json:"signatory,omitempty"`
}

// Approval is a signatory's approval of a purchase.
type Approval struct {
	Name    string    `json:"name"`
	Email   string    `json:"email"`
	Method  string    `json:"method"`            // how they were verified
	Subject string    `json:"subject,omitempty"` // the identity provider's subject, if one verified them
	At      time.Time `json:"at"`
}

// GetOrder reads an order.
func (c *Client) GetOrder(ctx context.Context, id string) (*Order, error) {
	var o Order
	_, err := c.Do(ctx, http.MethodGet, "/v1/orders/"+escape(id), nil, &o)
	return &o, err
}

// orderCall sends an order operation and answers the order.
func (c *Client) orderCall(ctx context.Context, method, path string, in any, opts []CallOption) (*Order, error) {
	var o Order
	_, err := c.Do(ctx, method, path, in, &o, opts...)
	return &o, err
}

func orderPath(id string, rest ...string) string {
	p := "/v1/orders/" + escape(id)
	for _, r := range rest {
		p += "/" + escape(r)
	}
	return p
}

// AcknowledgeOrder confirms the shop has the order, as Ledyer asks of
// every new order.
func (c *Client) AcknowledgeOrder(ctx context.Context, id string, opts ...CallOption) (*Order, error) {
	return c.orderCall(ctx, http.MethodPost, orderPath(id, "acknowledge"), nil, opts)
}

// SetOrderReference sets the merchant's reference of the order.
func (c *Client) SetOrderReference(ctx context.Context, id, reference string, opts ...CallOption) (*Order, error) {
	return c.orderCall(ctx, http.MethodPost, orderPath(id, "reference"), map[string]string{"reference": reference}, opts)
}

// EditOrderParams replace an order's uncaptured lines and its totals.
type EditOrderParams struct {
	OrderLines              []OrderLine `json:"orderLines"`
	TotalOrderAmount        int64       `json:"totalOrderAmount"`
	TotalOrderVATAmount     int64       `json:"totalOrderVatAmount"`
	TotalOrderAmountExclVAT int64       `json:"totalOrderAmountExclVat"`
}

// EditOrder replaces the uncaptured lines; an order that grows passes a
// new credit check.
func (c *Client) EditOrder(ctx context.Context, id string, p EditOrderParams, opts ...CallOption) (*Order, error) {
	return c.orderCall(ctx, http.MethodPost, orderPath(id), p, opts)
}

// CaptureParams capture lines of an order. CaptureOrder takes all that
// is uncaptured; PartialCaptureOrder takes lines with their id, or lines
// without one for part of a line's quantity.
type CaptureParams struct {
	OrderLines         []OrderLine `json:"orderLines"`
	TotalCaptureAmount int64       `json:"totalCaptureAmount"`
}

// CaptureOrder captures everything uncaptured: one invoice.
func (c *Client) CaptureOrder(ctx context.Context, id string, p CaptureParams, opts ...CallOption) (*Order, error) {
	return c.orderCall(ctx, http.MethodPost, orderPath(id, "capture"), p, opts)
}

// PartialCaptureOrder captures some of the uncaptured lines: one invoice.
func (c *Client) PartialCaptureOrder(ctx context.Context, id string, p CaptureParams, opts ...CallOption) (*Order, error) {
	return c.orderCall(ctx, http.MethodPost, orderPath(id, "partialcapture"), p, opts)
}

// RefundOrder refunds all of a captured invoice (ledgerID): one credit
// note, with note on it.
func (c *Client) RefundOrder(ctx context.Context, id, ledgerID, note string, opts ...CallOption) (*Order, error) {
	var body any
	if note != "" {
		body = map[string]string{"note": note}
	}
	return c.orderCall(ctx, http.MethodPost, orderPath(id, "refund", ledgerID), body, opts)
}

// RefundParams refund part of a captured invoice. The lines have no id,
// and positive amounts.
type RefundParams struct {
	OrderLines        []OrderLine `json:"orderLines"`
	TotalRefundAmount int64       `json:"totalRefundAmount"`
	Note              string      `json:"note,omitempty"`
}

// PartialRefundOrder refunds part of a captured invoice (ledgerID): one
// credit note.
func (c *Client) PartialRefundOrder(ctx context.Context, id, ledgerID string, p RefundParams, opts ...CallOption) (*Order, error) {
	return c.orderCall(ctx, http.MethodPost, orderPath(id, "partialrefund", ledgerID), p, opts)
}

// CancelOrder cancels all that is uncaptured; what was captured stays.
func (c *Client) CancelOrder(ctx context.Context, id string, opts ...CallOption) (*Order, error) {
	return c.orderCall(ctx, http.MethodDelete, orderPath(id), nil, opts)
}

// CancelOrderChunk cancels one chunk of the order.
func (c *Client) CancelOrderChunk(ctx context.Context, id, ledgerID string, opts ...CallOption) (*Order, error) {
	return c.orderCall(ctx, http.MethodDelete, orderPath(id, ledgerID), nil, opts)
}

// CustomerUpdate edits an order's customer: only what is set changes,
// and an address given replaces the one there.
type CustomerUpdate struct {
	Email           *string  `json:"email,omitempty"`
	Phone           *string  `json:"phone,omitempty"`
	Reference1      *string  `json:"reference1,omitempty"`
	Reference2      *string  `json:"reference2,omitempty"`
	BillingAddress  *Address `json:"billingAddress,omitempty"`
	ShippingAddress *Address `json:"shippingAddress,omitempty"`
	InvoiceChannel  *struct {
		Details *string `json:"details,omitempty"`
	} `json:"invoiceChannel,omitempty"`
}

// EditOrderCustomer edits the order's customer.
func (c *Client) EditOrderCustomer(ctx context.Context, id string, u CustomerUpdate, opts ...CallOption) (*Order, error) {
	return c.orderCall(ctx, http.MethodPost, orderPath(id, "customer"), u, opts)
}

// EditOrderPaymentMethod changes an uncaptured order's payment method:
// from invoice to {Provider: "ledyer", Type: "advanceInvoice"}.
func (c *Client) EditOrderPaymentMethod(ctx context.Context, id string, m PaymentMethod, opts ...CallOption) (*Order, error) {
	return c.orderCall(ctx, http.MethodPost, orderPath(id, "paymentmethod"), map[string]PaymentMethod{"paymentMethod": m}, opts)
}

// ExtendOrderExpiry moves the order's expiry later.
func (c *Client) ExtendOrderExpiry(ctx context.Context, id string, opts ...CallOption) (*Order, error) {
	return c.orderCall(ctx, http.MethodPost, orderPath(id, "extendexpiry"), nil, opts)
}

// PaymentStatus is an order's payment status as Ledyer's shop plugins
// read it.
type PaymentStatus struct {
	// Status is orderInitiated, orderPending, paymentPending,
	// paymentConfirmed, orderCaptured, orderRefunded, orderCancelled or
	// unknown.
	Status        string        `json:"status"`
	Note          string        `json:"note"`
	PaymentMethod PaymentMethod `json:"paymentMethod"`
}

// OrderPaymentStatus is an order's payment status.
func (c *Client) OrderPaymentStatus(ctx context.Context, orderID string) (*PaymentStatus, error) {
	var s PaymentStatus
	_, err := c.Do(ctx, http.MethodGet, orderPath(orderID, "paymentstatus"), nil, &s)
	return &s, err
}

// SessionPaymentStatus is the payment status of a session's order, or of
// the session before it has one (orderPending while a signatory is
// asked).
func (c *Client) SessionPaymentStatus(ctx context.Context, sessionID string) (*PaymentStatus, error) {
	var s PaymentStatus
	_, err := c.send(ctx, &request{method: http.MethodGet, path: "/v1/paymentstatus", query: url.Values{"sessionId": {sessionID}}}, &s, nil)
	return &s, err
}
