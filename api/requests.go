package api

import (
	"encoding/json"
	"fmt"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
)

// Request shapes of the Ledyer API, decoded leniently (unknown fields are
// ignored, numbers and strings tolerated as Int and Str describe) and then
// converted to domain values, which do the validation.

type lineIn struct {
	ID                 Str `json:"id"`
	Type               Str `json:"type"`
	Reference          Str `json:"reference"`
	Description        Str `json:"description"`
	Quantity           Int `json:"quantity"`
	UnitPrice          Int `json:"unitPrice"`
	UnitDiscountAmount Int `json:"unitDiscountAmount"`
	VAT                Int `json:"vat"`
	TotalAmount        Int `json:"totalAmount"`
	TotalVATAmount     Int `json:"totalVatAmount"`
}

func linesIn(in []lineIn) ([]order.Line, error) {
	if in == nil {
		return nil, nil
	}
	lines := make([]order.Line, len(in))
	for i, l := range in {
		p := fmt.Sprintf("orderLines[%d]", i)
		for _, f := range []struct {
			name string
			v    Int
		}{{"quantity", l.Quantity}, {"vat", l.VAT}, {"totalAmount", l.TotalAmount}, {"totalVatAmount", l.TotalVATAmount}} {
			if !f.v.Set {
				return nil, kassa.Invalid(p+"."+f.name, "%s.%s is required", p, f.name)
			}
		}
		lines[i] = order.Line{
			ID:                 string(l.ID),
			Type:               string(l.Type),
			Reference:          string(l.Reference),
			Description:        string(l.Description),
			Quantity:           l.Quantity.V,
			UnitDiscountAmount: l.UnitDiscountAmount.V,
			VAT:                l.VAT.V,
			TotalAmount:        l.TotalAmount.V,
			TotalVATAmount:     l.TotalVATAmount.V,
			QuantityRounded:    l.Quantity.Rounded,
		}
		if l.UnitPrice.Set {
			u := l.UnitPrice.V
			lines[i].UnitPrice = &u
		}
	}
	return lines, nil
}

// totalsIn carries the three order totals.
type totalsIn struct {
	TotalOrderAmount        Int `json:"totalOrderAmount"`
	TotalOrderVATAmount     Int `json:"totalOrderVatAmount"`
	TotalOrderAmountExclVAT Int `json:"totalOrderAmountExclVat"`
}

func (t totalsIn) totals() (order.Totals, error) {
	if !t.TotalOrderAmount.Set {
		return order.Totals{}, kassa.Invalid("totalOrderAmount", "totalOrderAmount is required")
	}
	if !t.TotalOrderVATAmount.Set {
		return order.Totals{}, kassa.Invalid("totalOrderVatAmount", "totalOrderVatAmount is required")
	}
	out := order.Totals{Amount: t.TotalOrderAmount.V, VATAmount: t.TotalOrderVATAmount.V}
	if t.TotalOrderAmountExclVAT.Set {
		v := t.TotalOrderAmountExclVAT.V
		out.AmountExclVAT = &v
	}
	return out, nil
}

type addressIn struct {
	AttentionName Str `json:"attentionName"`
	CareOf        Str `json:"careOf"`
	City          Str `json:"city"`
	CompanyName   Str `json:"companyName"`
	Country       Str `json:"country"`
	PostalCode    Str `json:"postalCode"`
	StreetAddress Str `json:"streetAddress"`
	Contact       *struct {
		Email     Str `json:"email"`
		FirstName Str `json:"firstName"`
		LastName  Str `json:"lastName"`
		Phone     Str `json:"phone"`
	} `json:"contact"`
}

func (a *addressIn) address() order.Address {
	return order.Address{
		AttentionName: string(a.AttentionName), CareOf: string(a.CareOf), City: string(a.City),
		CompanyName: string(a.CompanyName), Country: string(a.Country),
		PostalCode: string(a.PostalCode), StreetAddress: string(a.StreetAddress),
	}
}

func (a *addressIn) shipping() order.ShippingAddress {
	s := order.ShippingAddress{Address: a.address()}
	if c := a.Contact; c != nil {
		s.Contact = order.Contact{Email: string(c.Email), FirstName: string(c.FirstName), LastName: string(c.LastName), Phone: string(c.Phone)}
	}
	return s
}

type customerIn struct {
	CompanyID       Str        `json:"companyId"`
	CompanyName     Str        `json:"companyName"`
	VATID           Str        `json:"vatId"`
	Email           *Str       `json:"email"`
	FirstName       Str        `json:"firstName"`
	LastName        Str        `json:"lastName"`
	Phone           *Str       `json:"phone"`
	Reference1      *Str       `json:"reference1"`
	Reference2      *Str       `json:"reference2"`
	BillingAddress  *addressIn `json:"billingAddress"`
	ShippingAddress *addressIn `json:"shippingAddress"`
	InvoiceChannel  *struct {
		Type    Str  `json:"type"`
		Details *Str `json:"details"`
	} `json:"invoiceChannel"`
}

func (c *customerIn) customer() order.Customer {
	if c == nil {
		return order.Customer{}
	}
	u := c.update()
	out := order.Customer{
		CompanyID: string(c.CompanyID), CompanyName: string(c.CompanyName), VATID: string(c.VATID),
		FirstName: string(c.FirstName), LastName: string(c.LastName),
	}
	for dst, src := range map[*string]*string{&out.Email: u.Email, &out.Phone: u.Phone, &out.Reference1: u.Reference1, &out.Reference2: u.Reference2, &out.InvoiceChannel.Details: u.InvoiceChannelDetails} {
		if src != nil {
			*dst = *src
		}
	}
	if c.InvoiceChannel != nil {
		out.InvoiceChannel.Type = string(c.InvoiceChannel.Type)
	}
	if u.BillingAddress != nil {
		out.BillingAddress = *u.BillingAddress
	}
	if u.ShippingAddress != nil {
		out.ShippingAddress = *u.ShippingAddress
	}
	return out
}

// update is the customer edit (O11): only the fields present change.
func (c *customerIn) update() order.CustomerUpdate {
	u := order.CustomerUpdate{
		Email: c.Email.ptr(), Phone: c.Phone.ptr(), Reference1: c.Reference1.ptr(), Reference2: c.Reference2.ptr(),
	}
	if c.InvoiceChannel != nil {
		u.InvoiceChannelDetails = c.InvoiceChannel.Details.ptr()
	}
	if c.BillingAddress != nil {
		a := c.BillingAddress.address()
		u.BillingAddress = &a
	}
	if c.ShippingAddress != nil {
		s := c.ShippingAddress.shipping()
		u.ShippingAddress = &s
	}
	return u
}

// sessionIn is the body of P1/P2 and, with customer, of T1.
type sessionIn struct {
	totalsIn
	Country    *Str            `json:"country"`
	Currency   *Str            `json:"currency"`
	Locale     *Str            `json:"locale"`
	Reference  *Str            `json:"reference"`
	StoreID    *Str            `json:"storeId"`
	OrderLines []lineIn        `json:"orderLines"`
	Metadata   json.RawMessage `json:"metadata"`
	Customer   *customerIn     `json:"customer"`
	// AutoCapture is read only when creating an order (T1).
	AutoCapture *struct {
		Enabled      bool `json:"enabled"`
		DelayMinutes Int  `json:"delayMinutes"`
	} `json:"autoCapture"`
	Settings *struct {
		Security *struct {
			Level Int `json:"level"`
		} `json:"security"`
		URLs *struct {
			Confirmation Str `json:"confirmation"`
			Notification Str `json:"notification"`
		} `json:"urls"`
	} `json:"settings"`
}

type captureIn struct {
	OrderLines         []lineIn `json:"orderLines"`
	TotalCaptureAmount Int      `json:"totalCaptureAmount"`
}

func (c captureIn) request() (order.CaptureRequest, error) {
	lines, err := linesIn(c.OrderLines)
	if err != nil {
		return order.CaptureRequest{}, err
	}
	if !c.TotalCaptureAmount.Set {
		return order.CaptureRequest{}, kassa.Invalid("totalCaptureAmount", "totalCaptureAmount is required")
	}
	return order.CaptureRequest{Lines: lines, TotalAmount: c.TotalCaptureAmount.V}, nil
}

type refundIn struct {
	OrderLines        []lineIn `json:"orderLines"`
	TotalRefundAmount Int      `json:"totalRefundAmount"`
	Note              Str      `json:"note"`
}

type editIn struct {
	totalsIn
	OrderLines []lineIn `json:"orderLines"`
}

type referenceIn struct {
	Reference *Str `json:"reference"`
}

type paymentMethodIn struct {
	PaymentMethod *struct {
		Provider Str `json:"provider"`
		Type     Str `json:"type"`
	} `json:"paymentMethod"`
}

type authorizeIn struct {
	Customer      *customerIn `json:"customer"`
	PaymentMethod Str         `json:"paymentMethod"` // invoice (default) or advanceInvoice
}
