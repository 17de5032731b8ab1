package api

import (
	"encoding/json"
	"fmt"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/wire"
)

// Request shapes of the Ledyer API, decoded leniently (unknown fields are
// ignored, numbers and strings tolerated as wire.Int and wire.Str describe) and then
// converted to domain values, which do the validation.

type lineIn struct {
	ID                 wire.Str `json:"id"`
	Type               wire.Str `json:"type"`
	Reference          wire.Str `json:"reference"`
	Description        wire.Str `json:"description"`
	Quantity           wire.Int `json:"quantity"`
	UnitPrice          wire.Int `json:"unitPrice"`
	UnitDiscountAmount wire.Int `json:"unitDiscountAmount"`
	VAT                wire.Int `json:"vat"`
	TotalAmount        wire.Int `json:"totalAmount"`
	TotalVATAmount     wire.Int `json:"totalVatAmount"`
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
			v    wire.Int
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
	TotalOrderAmount        wire.Int `json:"totalOrderAmount"`
	TotalOrderVATAmount     wire.Int `json:"totalOrderVatAmount"`
	TotalOrderAmountExclVAT wire.Int `json:"totalOrderAmountExclVat"`
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

// sessionIn is the body that creates or updates a payment session and,
// with customer, the one that creates an order from a token.
type sessionIn struct {
	totalsIn
	Country    *wire.Str       `json:"country"`
	Currency   *wire.Str       `json:"currency"`
	Locale     *wire.Str       `json:"locale"`
	Reference  *wire.Str       `json:"reference"`
	StoreID    *wire.Str       `json:"storeId"`
	OrderLines []lineIn        `json:"orderLines"`
	Metadata   json.RawMessage `json:"metadata"`
	Customer   *wire.Customer  `json:"customer"`
	// AutoCapture is read only when creating an order from a token.
	AutoCapture *struct {
		Enabled      bool     `json:"enabled"`
		DelayMinutes wire.Int `json:"delayMinutes"`
	} `json:"autoCapture"`
	Settings *struct {
		Security *struct {
			Level wire.Int `json:"level"`
		} `json:"security"`
		URLs *struct {
			Confirmation wire.Str `json:"confirmation"`
			Notification wire.Str `json:"notification"`
		} `json:"urls"`
	} `json:"settings"`
}

type captureIn struct {
	OrderLines         []lineIn `json:"orderLines"`
	TotalCaptureAmount wire.Int `json:"totalCaptureAmount"`
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
	TotalRefundAmount wire.Int `json:"totalRefundAmount"`
	Note              wire.Str `json:"note"`
}

type editIn struct {
	totalsIn
	OrderLines []lineIn `json:"orderLines"`
}

type referenceIn struct {
	Reference *wire.Str `json:"reference"`
}

type paymentMethodIn struct {
	PaymentMethod *struct {
		Provider wire.Str `json:"provider"`
		Type     wire.Str `json:"type"`
	} `json:"paymentMethod"`
}

type authorizeIn struct {
	Customer      *wire.Customer `json:"customer"`
	PaymentMethod wire.Str       `json:"paymentMethod"` // invoice (default) or advanceInvoice
}
