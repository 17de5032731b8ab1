package api

import (
	"encoding/json"
	"time"

	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
)

// Views: the response shapes of the Ledyer API. Field names and order
// follow the docs' examples, so golden files read like them.

// timestamp renders RFC 3339 in UTC with microseconds, as Ledyer does.
type timestamp time.Time

func (t timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.000000Z") + `"`), nil
}

type moneyView struct {
	Amount                string `json:"amount"`
	Currency              string `json:"currency"`
	Formatted             string `json:"formatted"`
	FormattedWithCurrency string `json:"formattedWithCurrency"`
	MinorUnits            int64  `json:"minorUnits"`
}

func moneyOf(minor int64, c money.Currency) moneyView {
	f := money.Grouped(minor, c)
	return moneyView{
		Amount:                money.Decimal(minor, c),
		Currency:              string(c),
		Formatted:             f,
		FormattedWithCurrency: string(c) + " " + f,
		MinorUnits:            minor,
	}
}

type actionView struct {
	Type string `json:"type"`
}

func actionsOf(types []string) []actionView {
	out := make([]actionView, len(types))
	for i, t := range types {
		out[i] = actionView{t}
	}
	return out
}

type lineView struct {
	Description        string `json:"description"`
	ID                 string `json:"id"`
	Quantity           int64  `json:"quantity"`
	Reference          string `json:"reference"`
	TotalAmount        int64  `json:"totalAmount"`
	TotalVATAmount     int64  `json:"totalVatAmount"`
	Type               string `json:"type"`
	UnitDiscountAmount int64  `json:"unitDiscountAmount"`
	UnitPrice          *int64 `json:"unitPrice,omitempty"`
	VAT                int64  `json:"vat"`
}

func linesOf(lines []order.Line) []lineView {
	out := make([]lineView, len(lines))
	for i, l := range lines {
		out[i] = lineView{
			Description: l.Description, ID: l.ID, Quantity: l.Quantity, Reference: l.Reference,
			TotalAmount: l.TotalAmount, TotalVATAmount: l.TotalVATAmount, Type: l.Type,
			UnitDiscountAmount: l.UnitDiscountAmount, UnitPrice: l.UnitPrice, VAT: l.VAT,
		}
	}
	return out
}

type chunkView struct {
	AvailableActions        []actionView `json:"availableActions"`
	CapturedLedgerID        string       `json:"capturedLedgerId,omitempty"`
	CreatedAt               timestamp    `json:"createdAt"`
	DocumentReference       *string      `json:"documentReference,omitempty"`
	DocumentURL             *string      `json:"documentUrl,omitempty"`
	LedgerID                string       `json:"ledgerId"`
	Note                    string       `json:"note"`
	OrderLines              []lineView   `json:"orderLines"`
	Status                  []string     `json:"status"`
	TotalOrderAmount        moneyView    `json:"totalOrderAmount"`
	TotalOrderAmountExclVAT moneyView    `json:"totalOrderAmountExclVat"`
	TotalOrderVATAmount     moneyView    `json:"totalOrderVatAmount"`
}

func chunkOf(c *order.Chunk, cur money.Currency, actions []string, invoiced bool) chunkView {
	total, vat := c.Totals()
	v := chunkView{
		AvailableActions:        actionsOf(actions),
		CapturedLedgerID:        c.CapturedLedgerID,
		CreatedAt:               timestamp(c.CreatedAt),
		LedgerID:                c.LedgerID,
		Note:                    c.Note,
		OrderLines:              linesOf(c.Lines),
		Status:                  []string{},
		TotalOrderAmount:        moneyOf(total, cur),
		TotalOrderAmountExclVAT: moneyOf(total-vat, cur),
		TotalOrderVATAmount:     moneyOf(vat, cur),
	}
	if invoiced {
		// Present on every invoiced chunk, empty only for chunks made
		// before Kassa issued documents.
		v.DocumentReference, v.DocumentURL = &c.DocumentReference, &c.DocumentURL
	}
	return v
}

type paymentMethodView struct {
	Provider string `json:"provider"`
	Type     string `json:"type"`
}

type addressView struct {
	AttentionName string         `json:"attentionName"`
	CareOf        string         `json:"careOf"`
	City          string         `json:"city"`
	CompanyName   string         `json:"companyName"`
	Country       string         `json:"country"`
	PostalCode    string         `json:"postalCode"`
	StreetAddress string         `json:"streetAddress"`
	Contact       *order.Contact `json:"contact,omitempty"`
}

func addressOf(a order.Address, contact *order.Contact) addressView {
	return addressView{a.AttentionName, a.CareOf, a.City, a.CompanyName, a.Country, a.PostalCode, a.StreetAddress, contact}
}

type customerView struct {
	BillingAddress  addressView          `json:"billingAddress"`
	CompanyID       string               `json:"companyId"`
	CompanyName     string               `json:"companyName"`
	Email           string               `json:"email"`
	FirstName       string               `json:"firstName"`
	InvoiceChannel  order.InvoiceChannel `json:"invoiceChannel"`
	LastName        string               `json:"lastName"`
	PaymentMethod   paymentMethodView    `json:"paymentMethod"`
	Phone           string               `json:"phone"`
	Reference1      string               `json:"reference1"`
	Reference2      string               `json:"reference2"`
	ShippingAddress addressView          `json:"shippingAddress"`
	VATID           string               `json:"vatId"`
}

func customerOf(c *order.Customer, method string) customerView {
	contact := c.ShippingAddress.Contact
	return customerView{
		BillingAddress: addressOf(c.BillingAddress, nil),
		CompanyID:      c.CompanyID, CompanyName: c.CompanyName, Email: c.Email, FirstName: c.FirstName,
		InvoiceChannel: c.InvoiceChannel, LastName: c.LastName,
		PaymentMethod: paymentMethodView{order.ProviderLedyer, method},
		Phone:         c.Phone, Reference1: c.Reference1, Reference2: c.Reference2,
		ShippingAddress: addressOf(c.ShippingAddress.Address, &contact),
		VATID:           c.VATID,
	}
}

type eventView struct {
	Amount    moneyView `json:"amount"`
	CreatedAt timestamp `json:"createdAt"`
	ID        string    `json:"id"`
	LedgerID  string    `json:"ledgerId"`
	OrderID   string    `json:"orderId"`
	Type      string    `json:"type"`
	// Signatory is Kassa's: who approved the purchase, on the authorize
	// event of an order a signatory approved.
	Signatory *approvalView `json:"signatory,omitempty"`
}

// approvalView is a signatory's approval (order.Approval).
type approvalView struct {
	Name    string    `json:"name"`
	Email   string    `json:"email"`
	Method  string    `json:"method"`
	Subject string    `json:"subject,omitempty"`
	At      timestamp `json:"at"`
}

type orderView struct {
	AuthorizeStatus   string            `json:"authorizeStatus"`
	Captured          []chunkView       `json:"captured"`
	CapturedAmount    moneyView         `json:"capturedAmount"`
	Country           string            `json:"country"`
	CreatedAt         timestamp         `json:"createdAt"`
	Currency          string            `json:"currency"`
	Customer          customerView      `json:"customer"`
	Events            []eventView       `json:"events"`
	ExpiresAt         timestamp         `json:"expiresAt"`
	ID                string            `json:"id"`
	Locale            string            `json:"locale"`
	MerchantID        string            `json:"merchantId"`
	MerchantReference string            `json:"merchantReference"`
	Metadata          json.RawMessage   `json:"metadata,omitempty"`
	OrderAmount       moneyView         `json:"orderAmount"`
	OrderReference    string            `json:"orderReference"`
	PaymentMethod     paymentMethodView `json:"paymentMethod"`
	Refunded          []chunkView       `json:"refunded"`
	RefundedAmount    moneyView         `json:"refundedAmount"`
	RiskProfile       struct {
		Tags []string `json:"tags"`
	} `json:"riskProfile"`
	SessionID        string     `json:"sessionId"`
	Status           []string   `json:"status"`
	StoreID          string     `json:"storeId"`
	Uncaptured       *chunkView `json:"uncaptured"`
	UncapturedAmount moneyView  `json:"uncapturedAmount"`
	UpdatedAt        timestamp  `json:"updatedAt"`
}

// orderOf renders an order as at now (availableActions depend on time).
func orderOf(o *order.Order, now time.Time) orderView {
	cur := o.Currency
	v := orderView{
		AuthorizeStatus:   o.AuthorizeStatus,
		Captured:          make([]chunkView, len(o.Captured)),
		CapturedAmount:    moneyOf(o.CapturedAmount(), cur),
		Country:           o.Country,
		CreatedAt:         timestamp(o.CreatedAt),
		Currency:          string(cur),
		Customer:          customerOf(&o.Customer, o.PaymentMethod),
		Events:            make([]eventView, len(o.Events)),
		ExpiresAt:         timestamp(o.ExpiresAt),
		ID:                o.ID,
		Locale:            o.Locale,
		MerchantID:        o.MerchantID,
		MerchantReference: o.Reference,
		Metadata:          o.Metadata,
		OrderAmount:       moneyOf(o.Amount(), cur),
		OrderReference:    o.OrderReference,
		PaymentMethod:     paymentMethodView{order.ProviderLedyer, o.PaymentMethod},
		Refunded:          make([]chunkView, len(o.Refunded)),
		RefundedAmount:    moneyOf(o.RefundedAmount(), cur),
		SessionID:         o.SessionID,
		Status:            o.Status(),
		StoreID:           o.StoreID,
		UncapturedAmount:  moneyOf(o.UncapturedAmount(), cur),
		UpdatedAt:         timestamp(o.UpdatedAt),
	}
	v.RiskProfile.Tags = o.RiskTags
	for i := range o.Captured {
		c := &o.Captured[i]
		v.Captured[i] = chunkOf(c, cur, o.CapturedActions(c), true)
	}
	for i := range o.Refunded {
		v.Refunded[i] = chunkOf(&o.Refunded[i], cur, []string{}, true)
	}
	if o.Uncaptured != nil {
		u := chunkOf(o.Uncaptured, cur, o.UncapturedActions(now), false)
		v.Uncaptured = &u
	}
	// Newest first, as Ledyer lists them.
	for i, e := range o.Events {
		v.Events[len(o.Events)-1-i] = eventView{
			Amount: moneyOf(e.Amount, cur), CreatedAt: timestamp(e.CreatedAt),
			ID: e.ID, LedgerID: e.LedgerID, OrderID: o.ID, Type: e.Type,
		}
		if a := o.Signatory; a != nil && e.Type == order.EventAuthorize {
			v.Events[len(o.Events)-1-i].Signatory = &approvalView{a.Name, a.Email, a.Method, a.Subject, timestamp(a.At)}
		}
	}
	return v
}

type configurationView struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Assets      struct {
		URLs struct {
			Logo string `json:"logo"`
		} `json:"urls"`
	} `json:"assets"`
}

type sessionOrderView struct {
	Country    string          `json:"country"`
	Currency   string          `json:"currency"`
	Locale     string          `json:"locale"`
	Metadata   json.RawMessage `json:"metadata"`
	OrderLines []lineView      `json:"orderLines"`
	Reference  string          `json:"reference"`
	Settings   struct {
		Security struct {
			Level int64 `json:"level"`
		} `json:"security"`
		URLs struct {
			Confirmation string `json:"confirmation"`
			Notification string `json:"notification"`
		} `json:"urls"`
	} `json:"settings"`
	TotalOrderAmount        int64 `json:"totalOrderAmount"`
	TotalOrderAmountExclVAT int64 `json:"totalOrderAmountExclVat"`
	TotalOrderVATAmount     int64 `json:"totalOrderVatAmount"`
}

type sessionView struct {
	Configuration []configurationView `json:"configuration"`
	CreatedAt     timestamp           `json:"createdAt"`
	Customer      *customerView       `json:"customer,omitempty"`
	ExpiresAt     timestamp           `json:"expiresAt"`
	ID            string              `json:"id"`
	MerchantID    string              `json:"merchantId"`
	Order         sessionOrderView    `json:"order"`
	OrderID       string              `json:"orderId,omitempty"`
	SessionID     string              `json:"sessionId"`
	SignatoryURL  string              `json:"signatoryUrl,omitempty"` // Kassa's: the signing link
	State         string              `json:"state"`
	StoreID       string              `json:"storeId"`
	UpdatedAt     timestamp           `json:"updatedAt"`
}

func (s *Server) sessionOf(ps *session.Session, now time.Time) sessionView {
	v := sessionView{
		Configuration: []configurationView{s.invoiceConfiguration()},
		CreatedAt:     timestamp(ps.CreatedAt),
		ExpiresAt:     timestamp(ps.ExpiresAt),
		ID:            ps.ID,
		MerchantID:    ps.MerchantID,
		OrderID:       ps.OrderID,
		SessionID:     ps.ID,
		SignatoryURL:  s.app.SignatoryURL(ps),
		State:         ps.StateAt(now),
		StoreID:       ps.StoreID,
		UpdatedAt:     timestamp(ps.UpdatedAt),
	}
	if ps.Customer != nil {
		c := customerOf(ps.Customer, order.Invoice)
		v.Customer = &c
	}
	o := &v.Order
	o.Country, o.Currency, o.Locale, o.Reference = ps.Country, string(ps.Currency), ps.Locale, ps.Reference
	o.Metadata = ps.Metadata
	if o.Metadata == nil {
		o.Metadata = json.RawMessage("null")
	}
	o.OrderLines = linesOf(ps.Lines)
	o.Settings.Security.Level = ps.Settings.SecurityLevel
	o.Settings.URLs.Confirmation = ps.Settings.ConfirmationURL
	o.Settings.URLs.Notification = ps.Settings.NotificationURL
	o.TotalOrderAmount, o.TotalOrderVATAmount = ps.Amount, ps.VATAmount
	o.TotalOrderAmountExclVAT = ps.Amount - ps.VATAmount
	return v
}

func (s *Server) invoiceConfiguration() configurationView {
	c := configurationView{Type: order.Invoice, Name: "Invoice", Description: "Pay by invoice within 30 days"}
	c.Assets.URLs.Logo = s.app.PublicURL() + "/assets/invoice.svg"
	return c
}

type paymentStatusView struct {
	Status        string            `json:"status"`
	Note          string            `json:"note"`
	PaymentMethod paymentMethodView `json:"paymentMethod"`
}
