// Package order is the order aggregate of the invoice provider and every
// rule that governs it: capture, refund, cancel, edits, acknowledgement and
// expiry. It does no I/O. Each operation takes the current order, the
// request and the time, and returns the next order (with its new events
// appended) or a *kassa.Error; the input order is never modified, so a
// rejected request changes nothing.
package order

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/kassa-pay/kassa/money"
)

// Payment methods.
const (
	Invoice        = "invoice"
	AdvanceInvoice = "advanceInvoice"
	ProviderLedyer = "ledyer" // the only payment method provider on the wire
)

// Authorize statuses: "forced" is what the WooCommerce Checkout plugin shows as "Manual review advised".
const (
	Authorized = "authorized"
	Forced     = "forced"
)

// Order expiry: 14 days after creation, as the docs' examples show; each
// extension adds 14 days, up to 180 days after creation.
const (
	DefaultExpiry   = 14 * 24 * time.Hour
	ExpiryExtension = 14 * 24 * time.Hour
	MaxExpiry       = 180 * 24 * time.Hour
)

// Order is the aggregate. Amounts are minor units of Currency.
type Order struct {
	ID             string          `json:"id"`
	MerchantID     string          `json:"merchantId"`
	StoreID        string          `json:"storeId"`
	SessionID      string          `json:"sessionId"`
	Currency       money.Currency  `json:"currency"`
	Country        string          `json:"country"`
	Locale         string          `json:"locale"`
	Reference      string          `json:"reference"`      // merchantReference
	OrderReference string          `json:"orderReference"` // Kassa's human-readable number
	PaymentMethod  string          `json:"paymentMethod"`
	Customer       Customer        `json:"customer"`
	RiskTags       []string        `json:"riskTags"`
	Metadata       json.RawMessage `json:"metadata,omitempty"`

	AuthorizeStatus string `json:"authorizeStatus"`
	// AuthorizedAmount is the credit granted: the order total at creation,
	// raised when an edit above it passes a new credit check. Captures can
	// never exceed it.
	AuthorizedAmount int64 `json:"authorizedAmount"`

	// AutoCapture, when enabled, has the order captured in full once it
	// has been ready for capture for DelayMinutes.
	AutoCapture *AutoCapture `json:"autoCapture,omitempty"`
	// Signatory is who approved the purchase, when a signatory did.
	Signatory *Approval `json:"signatory,omitempty"`

	Acknowledged bool `json:"acknowledged"`
	// Paid is set once the buyer has paid what the order's invoices ask
	// (for an advance-invoice order: its advance invoice).
	Paid bool `json:"paid,omitempty"`
	// Received is what the buyer has paid on the order's invoice
	// documents, each counted up to what it asks; it lowers Exposure.
	Received int64     `json:"received,omitempty"`
	ReadyAt  time.Time `json:"readyAt"` // end of the processing delay
	Ready    bool      `json:"ready"`   // readyForCapture has happened

	Uncaptured      *Chunk  `json:"uncaptured"`
	Captured        []Chunk `json:"captured"`
	Refunded        []Chunk `json:"refunded"`
	CancelledAmount int64   `json:"cancelledAmount"`

	// FirstLedgerID is the ledger of the original uncaptured chunk; events
	// that concern the whole order refer to it.
	FirstLedgerID string    `json:"firstLedgerId"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
	ExpiresAt     time.Time `json:"expiresAt"`
	// ExpiredAt is the expiry the last expire event recorded (Expire).
	ExpiredAt time.Time `json:"expiredAt,omitzero"`

	// Events are oldest first; they are stored apart from the order and
	// only ever appended to.
	Events []Event `json:"-"`
}

// AutoCapture is an order's automatic capture setting.
type AutoCapture struct {
	Enabled      bool  `json:"enabled"`
	DelayMinutes int64 `json:"delayMinutes"`
}

// MaxAutoCaptureDelay is the longest delay Ledyer accepts: 7 days.
const MaxAutoCaptureDelay = 10080

// Due says when an order that became ready for capture at ready is to be
// captured automatically, or ok false when it is not.
func (a *AutoCapture) Due(ready time.Time) (at time.Time, ok bool) {
	if a == nil || !a.Enabled {
		return time.Time{}, false
	}
	return ready.Add(time.Duration(a.DelayMinutes) * time.Minute), true
}

// Chunk is a sub-order with its own ledger: the uncaptured part, one
// captured invoice, or one credit note (refund).
type Chunk struct {
	LedgerID  string    `json:"ledgerId"`
	Lines     []Line    `json:"orderLines"`
	CreatedAt time.Time `json:"createdAt"`
	Note      string    `json:"note,omitempty"`
	// CapturedLedgerID is, on a refund chunk, the captured chunk it credits.
	CapturedLedgerID string `json:"capturedLedgerId,omitempty"`
	// DocumentReference and DocumentURL name the invoice or credit note
	// of a captured or refund chunk, set once when it is issued.
	DocumentReference string `json:"documentReference,omitempty"`
	DocumentURL       string `json:"documentUrl,omitempty"`
}

// Totals returns the chunk's Σ totalAmount and Σ totalVatAmount.
func (c *Chunk) Totals() (total, vat int64) { return Sum(c.Lines) }

// Customer is the buyer company and its contact.
type Customer struct {
	CompanyID       string          `json:"companyId"`
	CompanyName     string          `json:"companyName"`
	VATID           string          `json:"vatId"`
	Email           string          `json:"email"`
	FirstName       string          `json:"firstName"`
	LastName        string          `json:"lastName"`
	Phone           string          `json:"phone"`
	Reference1      string          `json:"reference1"`
	Reference2      string          `json:"reference2"`
	InvoiceChannel  InvoiceChannel  `json:"invoiceChannel"`
	BillingAddress  Address         `json:"billingAddress"`
	ShippingAddress ShippingAddress `json:"shippingAddress"`
}

// InvoiceChannel says where invoices go: "email" (details: a copy address)
// or "edi" (details: a GLN).
type InvoiceChannel struct {
	Type    string `json:"type"`
	Details string `json:"details"`
}

// Address is a company address.
type Address struct {
	AttentionName string `json:"attentionName"`
	CareOf        string `json:"careOf"`
	City          string `json:"city"`
	CompanyName   string `json:"companyName"`
	Country       string `json:"country"`
	PostalCode    string `json:"postalCode"`
	StreetAddress string `json:"streetAddress"`
}

// ShippingAddress is an address with a delivery contact.
type ShippingAddress struct {
	Address
	Contact Contact `json:"contact"`
}

// Contact is a person to reach.
type Contact struct {
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Phone     string `json:"phone"`
}

// Event types, as the seeds list them.
const (
	EventCreate            = "create"
	EventAuthorize         = "authorize"
	EventReadyForCapture   = "readyForCapture"
	EventAcknowledge       = "acknowledge"
	EventEdit              = "edit"
	EventEditCustomer      = "editCustomer"
	EventEditPaymentMethod = "editPaymentMethod"
	EventExtendExpiry      = "extendExpiry"
	EventFullCapture       = "fullCapture"
	EventPartialCapture    = "partialCapture"
	EventFullRefund        = "fullRefund"
	EventPartialRefund     = "partialRefund"
	EventCancel            = "cancel"
	EventSetReference      = "setReference"
	EventPaid              = "paid"
	// EventExpire is Kassa's own: the order expired with lines
	// uncaptured (Expire).
	EventExpire = "expire"
)

// Event is one entry of an order's append-only history.
type Event struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	LedgerID  string    `json:"ledgerId"`
	Amount    int64     `json:"amount"`
	CreatedAt time.Time `json:"createdAt"`
}

// CapturedAmount is Σ of the captured chunks.
func (o *Order) CapturedAmount() int64 {
	var n int64
	for i := range o.Captured {
		t, _ := o.Captured[i].Totals()
		n += t
	}
	return n
}

// RefundedAmount is Σ of the refund chunks.
func (o *Order) RefundedAmount() int64 {
	var n int64
	for i := range o.Refunded {
		t, _ := o.Refunded[i].Totals()
		n += t
	}
	return n
}

// UncapturedAmount is Σ of the uncaptured lines, 0 when none remain.
func (o *Order) UncapturedAmount() int64 {
	if o.Uncaptured == nil {
		return 0
	}
	t, _ := o.Uncaptured.Totals()
	return t
}

// Amount is the order's current total: captured plus still uncaptured.
func (o *Order) Amount() int64 { return o.CapturedAmount() + o.UncapturedAmount() }

// refundedOf is what has been refunded against one captured chunk.
func (o *Order) refundedOf(ledgerID string) (total int64, byRate map[int64]int64) {
	byRate = map[int64]int64{}
	for i := range o.Refunded {
		r := &o.Refunded[i]
		if r.CapturedLedgerID != ledgerID {
			continue
		}
		for _, l := range r.Lines {
			total += l.TotalAmount
			byRate[l.VAT] += l.TotalAmount
		}
	}
	return total, byRate
}

// RefundableOf is what can still be refunded of a captured chunk.
func (o *Order) RefundableOf(c *Chunk) int64 {
	t, _ := c.Totals()
	r, _ := o.refundedOf(c.LedgerID)
	return t - r
}

func (o *Order) capturedChunk(ledgerID string) *Chunk {
	for i := range o.Captured {
		if o.Captured[i].LedgerID == ledgerID {
			return &o.Captured[i]
		}
	}
	return nil
}

// Status is the wire status array.
func (o *Order) Status() []string {
	captured, refunded := o.CapturedAmount(), o.RefundedAmount()
	var s []string
	switch {
	case len(o.Captured) == 0 && o.Uncaptured != nil:
		s = append(s, "uncaptured")
	case len(o.Captured) == 0:
		s = append(s, "cancelled")
	case o.Uncaptured != nil:
		s = append(s, "partiallyCaptured")
	default:
		s = append(s, "fullyCaptured")
	}
	switch {
	case refunded > 0 && refunded >= captured:
		s = append(s, "fullyRefunded")
	case refunded > 0:
		s = append(s, "partiallyRefunded")
	}
	if !o.Acknowledged {
		s = append(s, "unacknowledged")
	}
	return s
}

// Payment statuses, as GET paymentstatus reports them.
const (
	StatusOrderInitiated   = "orderInitiated"
	StatusOrderPending     = "orderPending"
	StatusPaymentPending   = "paymentPending"
	StatusPaymentConfirmed = "paymentConfirmed"
	StatusOrderCaptured    = "orderCaptured"
	StatusOrderRefunded    = "orderRefunded"
	StatusOrderCancelled   = "orderCancelled"
)

// PaymentStatus maps the order onto the payment status clients act on:
// the WooCommerce Order Management plugin refunds only on orderCaptured, so any capture counts until the
// captured amount is fully refunded.
func (o *Order) PaymentStatus() string {
	captured := o.CapturedAmount()
	switch {
	case captured > 0 && o.RefundedAmount() >= captured:
		return StatusOrderRefunded
	case len(o.Captured) > 0:
		return StatusOrderCaptured
	case o.Uncaptured == nil:
		return StatusOrderCancelled
	case o.Ready:
		return StatusPaymentConfirmed
	default:
		return StatusPaymentPending
	}
}

// Clone returns a deep copy, so operations can build the next state freely.
func (o *Order) Clone() *Order {
	c := *o
	c.RiskTags = slices.Clone(o.RiskTags)
	c.Metadata = slices.Clone(o.Metadata)
	if o.Uncaptured != nil {
		u := o.Uncaptured.clone()
		c.Uncaptured = &u
	}
	c.Captured = cloneChunks(o.Captured)
	c.Refunded = cloneChunks(o.Refunded)
	c.Events = slices.Clone(o.Events)
	return &c
}

func (c Chunk) clone() Chunk {
	c.Lines = slices.Clone(c.Lines)
	return c
}

func cloneChunks(cs []Chunk) []Chunk {
	if cs == nil {
		return nil
	}
	out := make([]Chunk, len(cs))
	for i, c := range cs {
		out[i] = c.clone()
	}
	return out
}
