package client

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
)

// Order is the part of the order object the lifecycle reads.
type Order struct {
	ID       string   `json:"id"`
	Status   []string `json:"status"`
	Captured []struct {
		LedgerID string `json:"ledgerId"`
	} `json:"captured"`
	Events []struct {
		Type      string `json:"type"`
		CreatedAt string `json:"createdAt"`
		LedgerID  string `json:"ledgerId"`
		Amount    struct {
			FormattedWithCurrency string `json:"formattedWithCurrency"`
		} `json:"amount"`
	} `json:"events"`
}

// Sample is the purchase Lifecycle and PlaceOrder make: two office chairs
// at SEK 2,500.00 each, 25 % VAT.
var (
	sampleLine = map[string]any{
		"type": "physical", "reference": "SKU-1", "description": "Office chair",
		"quantity": 2, "unitPrice": 250000, "vat": 2500, "totalAmount": 500000, "totalVatAmount": 100000,
	}
	// SampleCapture captures the whole sample order.
	SampleCapture = map[string]any{"orderLines": []any{sampleLine}, "totalCaptureAmount": 500000}
	// SampleRefund refunds one of the two chairs.
	SampleRefund = map[string]any{
		"orderLines": []any{map[string]any{
			"type": "physical", "reference": "SKU-1", "description": "Office chair, returned",
			"quantity": 1, "vat": 2500, "totalAmount": 250000, "totalVatAmount": 50000,
		}},
		"totalRefundAmount": 250000,
	}
)

// PlaceOrder does what a shop's checkout does: create a payment session,
// authorize it as the buyer (the sandbox endpoint stands in for the
// dialog) and create the order from the token. It returns the order ID.
func (c *Client) PlaceOrder(ctx context.Context) (string, error) {
	cart := map[string]any{
		"country": "SE", "currency": "SEK", "locale": "sv-SE", "reference": "shop-order-1",
		"orderLines":       []any{sampleLine},
		"totalOrderAmount": 500000, "totalOrderVatAmount": 100000, "totalOrderAmountExclVat": 400000,
	}
	customer := map[string]any{
		"companyId": buyerCompany(), "email": "buyer@example.com", "firstName": "Sven", "lastName": "Svensson",
		"billingAddress": map[string]any{"companyName": "Buyer AB", "streetAddress": "Sveavägen 49", "postalCode": "11359", "city": "Stockholm", "country": "SE"},
	}
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	if _, err := c.Do(ctx, http.MethodPost, "/v1/payment-sessions", cart, &sess, key()); err != nil {
		return "", fmt.Errorf("creating session: %w", err)
	}
	var auth struct {
		State              string `json:"state"`
		AuthorizationToken string `json:"authorizationToken"`
	}
	if _, err := c.Do(ctx, http.MethodPost, "/v1/sandbox/payment-sessions/"+sess.SessionID+"/authorize", map[string]any{"customer": customer}, &auth, key()); err != nil {
		return "", fmt.Errorf("authorizing: %w", err)
	}
	if auth.State != "authorized" {
		return "", fmt.Errorf("authorizing: state %q", auth.State)
	}
	cart["customer"] = customer
	var created struct {
		OrderID string `json:"orderId"`
	}
	if _, err := c.Do(ctx, http.MethodPost, "/v1/authorization-tokens/"+auth.AuthorizationToken+"/order", cart, &created, key()); err != nil {
		return "", fmt.Errorf("creating order: %w", err)
	}
	return created.OrderID, nil
}

// Lifecycle runs a whole sandbox purchase the way a shop does: place the
// order, acknowledge it, capture it, and refund part of the invoice. Every
// mutation carries an Idempotency-Key. It returns the final order.
func (c *Client) Lifecycle(ctx context.Context) (*Order, error) {
	id, err := c.PlaceOrder(ctx)
	if err != nil {
		return nil, err
	}
	base := "/v1/orders/" + id
	if _, err := c.Do(ctx, http.MethodPost, base+"/acknowledge", nil, nil, key()); err != nil {
		return nil, fmt.Errorf("acknowledging: %w", err)
	}
	var o Order
	if _, err := c.Do(ctx, http.MethodPost, base+"/capture", SampleCapture, &o, key()); err != nil {
		return nil, fmt.Errorf("capturing: %w", err)
	}
	if _, err := c.Do(ctx, http.MethodPost, base+"/partialrefund/"+o.Captured[0].LedgerID, SampleRefund, &o, key()); err != nil {
		return nil, fmt.Errorf("refunding: %w", err)
	}
	return &o, nil
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

// key is a fresh Idempotency-Key.
func key() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
