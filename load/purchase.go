package load

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/kassa-pay/kassa/client"
)

// The sample purchase `kassa demo`, `kassa load` and the benchmarks make:
// two office chairs at SEK 2,500.00 each, 25 % VAT, bought by a Swedish
// company in the sandbox.

func chairs(quantity int64, description string) client.OrderLine {
	price := int64(250000)
	return client.OrderLine{
		Type: "physical", Reference: "SKU-1", Description: description,
		Quantity: quantity, UnitPrice: &price, VAT: 2500,
		TotalAmount: quantity * price, TotalVATAmount: quantity * price / 5,
	}
}

// SampleCapture captures the whole sample order.
func SampleCapture() client.CaptureParams {
	return client.CaptureParams{OrderLines: []client.OrderLine{chairs(2, "Office chair")}, TotalCaptureAmount: 500000}
}

// SampleRefund refunds one of the two chairs.
func SampleRefund() client.RefundParams {
	line := chairs(1, "Office chair, returned")
	line.UnitPrice = nil
	return client.RefundParams{OrderLines: []client.OrderLine{line}, TotalRefundAmount: 250000}
}

// SampleCart is the sample purchase's payment session.
func SampleCart() client.PaymentSessionParams {
	return client.PaymentSessionParams{
		Country: "SE", Currency: "SEK", Locale: "sv-SE", Reference: "shop-order-1",
		OrderLines:       []client.OrderLine{chairs(2, "Office chair")},
		TotalOrderAmount: 500000, TotalOrderVATAmount: 100000, TotalOrderAmountExclVAT: 400000,
	}
}

// SampleBuyer is a buyer of the sample purchase, a different company at
// each call.
func SampleBuyer() *client.Customer {
	return &client.Customer{
		CompanyID: buyerCompany(), Email: "buyer@example.com", FirstName: "Sven", LastName: "Svensson",
		BillingAddress: &client.Address{CompanyName: "Buyer AB", StreetAddress: "Sveavägen 49", PostalCode: "11359", City: "Stockholm", Country: "SE"},
	}
}

// PlaceOrder does what a shop's checkout does: create a payment session,
// authorize it as the buyer (the sandbox endpoint stands in for the
// dialog) and create the order from the token. It returns the order ID.
func PlaceOrder(ctx context.Context, c *client.Client) (string, error) {
	cart, buyer := SampleCart(), SampleBuyer()
	s, err := c.CreatePaymentSession(ctx, cart)
	if err != nil {
		return "", fmt.Errorf("creating session: %w", err)
	}
	auth, err := c.SandboxAuthorize(ctx, s.SessionID, client.SandboxAuthorizeParams{Customer: buyer})
	if err != nil {
		return "", fmt.Errorf("authorizing: %w", err)
	}
	if auth.State != "authorized" {
		return "", fmt.Errorf("authorizing: state %q", auth.State)
	}
	id, err := c.CreateOrder(ctx, auth.AuthorizationToken, client.OrderParams{PaymentSessionParams: cart, Customer: buyer})
	if err != nil {
		return "", fmt.Errorf("creating order: %w", err)
	}
	return id, nil
}

// Purchase runs a whole sandbox purchase the way a shop does: place the
// order, acknowledge it, capture it, and refund part of the invoice. Every
// mutation carries an Idempotency-Key. It returns the final order.
func Purchase(ctx context.Context, c *client.Client) (*client.Order, error) {
	id, err := PlaceOrder(ctx, c)
	if err != nil {
		return nil, err
	}
	if _, err := c.AcknowledgeOrder(ctx, id); err != nil {
		return nil, fmt.Errorf("acknowledging: %w", err)
	}
	o, err := c.CaptureOrder(ctx, id, SampleCapture())
	if err != nil {
		return nil, fmt.Errorf("capturing: %w", err)
	}
	if o, err = c.PartialRefundOrder(ctx, id, o.Captured[0].LedgerID, SampleRefund()); err != nil {
		return nil, fmt.Errorf("refunding: %w", err)
	}
	return o, nil
}

// buyerCompany is a random Swedish organisation number (5N NNNN-NNNN,
// never one of the 556000 sandbox test values), so that many purchases
// spread over many companies, each within its credit limit, as a shop's
// buyers are.
func buyerCompany() string {
	var b [4]byte
	rand.Read(b[:])
	n := binary.BigEndian.Uint32(b[:]) % 100_000_000
	return fmt.Sprintf("57%04d-%04d", n/10_000, n%10_000)
}
