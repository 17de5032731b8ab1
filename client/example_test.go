package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"

	"github.com/kassa-pay/kassa/client"
)

// A purchase as a shop makes it: a payment session for the cart, the
// buyer's authorization (in the sandbox, without the buyer's dialog), the
// order from the authorization token, then acknowledging and capturing
// it.
func Example() {
	ctx := context.Background()
	c := client.New(kassaURL, clientID, clientSecret)

	price := int64(250000) // SEK 2,500.00, VAT included
	cart := client.PaymentSessionParams{
		Country: "SE", Currency: "SEK", Locale: "sv-SE", Reference: "WC-1001",
		OrderLines: []client.OrderLine{{
			Type: "physical", Reference: "SKU-1", Description: "Office chair",
			Quantity: 2, UnitPrice: &price, VAT: 2500, TotalAmount: 500000, TotalVATAmount: 100000,
		}},
		TotalOrderAmount: 500000, TotalOrderVATAmount: 100000, TotalOrderAmountExclVAT: 400000,
	}
	session, err := c.CreatePaymentSession(ctx, cart)
	if err != nil {
		panic(err)
	}
	buyer := &client.Customer{
		CompanyID: "559311-3714", Email: "ap@buyer.example", FirstName: "Sven", LastName: "Svensson",
		BillingAddress: &client.Address{CompanyName: "Köpare AB", StreetAddress: "Sveavägen 49", PostalCode: "11359", City: "Stockholm", Country: "SE"},
	}
	auth, err := c.SandboxAuthorize(ctx, session.ID, client.SandboxAuthorizeParams{Customer: buyer})
	if err != nil {
		panic(err)
	}
	orderID, err := c.CreateOrder(ctx, auth.AuthorizationToken, client.OrderParams{PaymentSessionParams: cart, Customer: buyer})
	if err != nil {
		panic(err)
	}
	if _, err := c.AcknowledgeOrder(ctx, orderID); err != nil {
		panic(err)
	}
	o, err := c.CaptureOrder(ctx, orderID, client.CaptureParams{OrderLines: cart.OrderLines, TotalCaptureAmount: 500000})
	if err != nil {
		panic(err)
	}
	fmt.Println(auth.State, o.Status, o.CapturedAmount.FormattedWithCurrency, len(o.Captured), "invoice")
	// Output: authorized [fullyCaptured] SEK 5,000.00 1 invoice
}

// An Idempotency-Key of the caller's own makes a call safe to repeat,
// after a crash say: the repeat answers what the first call did, and
// captures nothing more.
func ExampleIdempotencyKey() {
	ctx := context.Background()
	c := client.New(kassaURL, clientID, clientSecret)
	orderID := placeOrder(c)
	capture := client.CaptureParams{TotalCaptureAmount: 500000, OrderLines: []client.OrderLine{{
		Type: "physical", Reference: "SKU-1", Description: "Office chair", Quantity: 2, VAT: 2500, TotalAmount: 500000, TotalVATAmount: 100000,
	}}}
	key := client.IdempotencyKey("capture-" + orderID)
	first, err := c.CaptureOrder(ctx, orderID, capture, key)
	if err != nil {
		panic(err)
	}
	again, err := c.CaptureOrder(ctx, orderID, capture, key)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(again.Captured), "invoice; the same one:", again.Captured[0].LedgerID == first.Captured[0].LedgerID)
	// Output: 1 invoice; the same one: true
}

// API errors are *client.Error values, with the HTTP status, the error's
// code and message, and the request's ID in Kassa's logs.
func ExampleError() {
	c := client.New(kassaURL, clientID, clientSecret)
	_, err := c.GetOrder(context.Background(), "or_missing")
	if e, ok := errors.AsType[*client.Error](err); ok {
		fmt.Println(e.Status, e.Code, e.RequestID != "")
	}
	// Output: 404 not_found true
}

// A shop's endpoint checks each notification's signature before it
// trusts the body. Kassa signs with the endpoint's secret, answered when
// the endpoint is created.
func ExampleVerifyWebhook() {
	ctx := context.Background()
	c := client.New(kassaURL, clientID, clientSecret)
	verified := make(chan string, 10)
	var secret string
	shop := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := client.VerifyWebhook(secret, r.Header, body, 0); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		verified <- r.Header.Get("webhook-id")
	}))
	e, err := c.CreateNotificationEndpoint(ctx, client.NotificationEndpointParams{
		URL: "http://" + shop.Listener.Addr().String(), EventTypes: []string{"com.ledyer.order.create"},
	})
	if err != nil {
		panic(err)
	}
	defer c.DeleteNotificationEndpoint(ctx, e.ID)
	secret = e.Secret
	shop.Start()
	defer shop.Close()
	orderID := placeOrder(c)
	n, err := c.GetNotification(ctx, <-verified)
	if err != nil {
		panic(err)
	}
	fmt.Println(n.EventType, n.OrderID == orderID)
	// Output: com.ledyer.order.create true
}

// The notification stream has the merchant's notifications as they are
// written: kassa listen forwards it to a shop under development.
func ExampleClient_StreamNotifications() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := client.New(kassaURL, clientID, clientSecret)
	stream, err := c.StreamNotifications(ctx, "") // from now on
	if err != nil {
		panic(err)
	}
	defer stream.Close()
	placeOrder(c)
	var types []string
	for range 3 {
		n, err := stream.Next()
		if err != nil {
			panic(err)
		}
		types = append(types, n.EventType)
	}
	slices.Sort(types) // one transaction's notifications come in the order of their IDs
	fmt.Println(types)
	// Output: [com.ledyer.authorization.create com.ledyer.order.create com.ledyer.order.ready_for_capture]
}
