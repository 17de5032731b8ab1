package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kassa-pay/kassa/client"
)

// Every order a search finds, page after page: AllOrders reads the next
// page when the loop reaches it.
func ExampleClient_AllOrders() {
	ctx := context.Background()
	c := client.New(kassaURL, clientID, clientSecret)
	for i := range 3 {
		if _, err := c.SetOrderReference(ctx, placeOrder(c), fmt.Sprintf("PAGER-%d", i)); err != nil {
			panic(err)
		}
	}
	for o, err := range c.AllOrders(ctx, client.OrderListParams{Query: "pager-", Limit: 2}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(o.MerchantReference, o.PaymentStatus, o.OrderAmount)
	}
	// Output:
	// PAGER-2 paymentConfirmed 500000
	// PAGER-1 paymentConfirmed 500000
	// PAGER-0 paymentConfirmed 500000
}

// The client's list calls send the filters as the API names them, and
// the pager stops at the first error.
func TestListOrders(t *testing.T) {
	k := newKassa(t)
	c := k.client()
	ctx := t.Context()
	var ids []string
	for range 3 {
		ids = append([]string{placeOrder(c)}, ids...)
	}
	if _, err := c.SetOrderReference(ctx, ids[1], "=2+2"); err != nil {
		t.Fatal(err)
	}
	page, err := c.ListOrders(ctx, client.OrderListParams{Limit: 2, Currency: "sek", Statuses: []string{"paymentPending", "paymentConfirmed"}})
	if err != nil || len(page.Data) != 2 || page.Data[0].ID != ids[0] || page.NextCursor == "" {
		t.Fatalf("ListOrders = %+v, %v; want the 2 newest and a cursor", page, err)
	}
	var all []string
	for o, err := range c.AllOrders(ctx, client.OrderListParams{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, o.ID)
	}
	if strings.Join(all, ",") != strings.Join(ids, ",") {
		t.Errorf("AllOrders = %v, want %v", all, ids)
	}
	var b strings.Builder
	if err := c.ExportOrders(ctx, client.OrderListParams{Query: ids[1]}, &b); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(b.String()), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], ids[1]+",") || !strings.Contains(lines[1], ",'=2+2,") {
		t.Errorf("ExportOrders = %q, want the header and the order, its reference defused", b.String())
	}
	for _, err := range c.AllOrders(ctx, client.OrderListParams{Cursor: "not a cursor"}) {
		var e *client.Error
		if !errors.As(err, &e) || e.Status != 400 || e.Param != "cursor" {
			t.Errorf("AllOrders from a bad cursor: %v, want a 400 naming cursor", err)
		}
	}
	if err := c.ExportOrders(ctx, client.OrderListParams{Currency: "kronor"}, &b); err == nil {
		t.Error("ExportOrders with a bad currency succeeded")
	}
}

// ListDocuments sends its filters as the API names them and pages with
// the cursor.
func TestListDocuments(t *testing.T) {
	k := newKassa(t)
	c := k.client()
	ctx := t.Context()
	var orders []string // newest first
	for range 2 {
		id := placeOrder(c)
		o, err := c.GetOrder(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CaptureOrder(ctx, id, client.CaptureParams{OrderLines: o.Uncaptured.OrderLines, TotalCaptureAmount: o.Uncaptured.TotalOrderAmount.MinorUnits}); err != nil {
			t.Fatal(err)
		}
		orders = append([]string{id}, orders...)
	}
	page, err := c.ListDocuments(ctx, client.DocumentListParams{Kind: "invoice", Unpaid: true, Limit: 1})
	if err != nil || len(page.Data) != 1 || page.Data[0].OrderID != orders[0] || page.Data[0].PayableAmount == 0 || page.NextCursor == "" {
		t.Fatalf("ListDocuments = %+v, %v; want the newest invoice, unpaid, and a cursor", page, err)
	}
	next, err := c.ListDocuments(ctx, client.DocumentListParams{Kind: "invoice", Unpaid: true, Limit: 1, Cursor: page.NextCursor})
	if err != nil || len(next.Data) != 1 || next.Data[0].OrderID != orders[1] || next.NextCursor != "" {
		t.Errorf("the next page = %+v, %v; want the older invoice, last", next, err)
	}
	if page, err := c.ListDocuments(ctx, client.DocumentListParams{Overdue: true}); err != nil || len(page.Data) != 0 {
		t.Errorf("overdue before the due date = %+v, %v; want none", page, err)
	}
	var e *client.Error
	if _, err := c.ListDocuments(ctx, client.DocumentListParams{Kind: "receipt"}); !errors.As(err, &e) || e.Status != 400 || e.Param != "kind" {
		t.Errorf("ListDocuments of an unknown kind: %v, want a 400 naming kind", err)
	}
}

// ListPaymentSessions sends its filters as the API names them and pages
// with the cursor.
func TestListPaymentSessions(t *testing.T) {
	k := newKassa(t)
	c := k.client()
	ctx := t.Context()
	orders := []string{placeOrder(c)}
	orders = append([]string{placeOrder(c)}, orders...) // newest first
	page, err := c.ListPaymentSessions(ctx, client.SessionListParams{States: []string{"authorized", "expired"}, Limit: 1})
	if err != nil || len(page.Data) != 1 || page.Data[0].OrderID != orders[0] || page.Data[0].State != "authorized" || page.NextCursor == "" {
		t.Fatalf("ListPaymentSessions = %+v, %v; want the newest session, its order placed, and a cursor", page, err)
	}
	next, err := c.ListPaymentSessions(ctx, client.SessionListParams{States: []string{"authorized", "expired"}, Limit: 1, Cursor: page.NextCursor})
	if err != nil || len(next.Data) != 1 || next.Data[0].OrderID != orders[1] || next.NextCursor != "" {
		t.Errorf("the next page = %+v, %v; want the older session, last", next, err)
	}
	if page, err := c.ListPaymentSessions(ctx, client.SessionListParams{States: []string{"cancelled"}}); err != nil || len(page.Data) != 0 {
		t.Errorf("cancelled sessions = %+v, %v; want none", page, err)
	}
	var e *client.Error
	if _, err := c.ListPaymentSessions(ctx, client.SessionListParams{States: []string{"completed"}}); !errors.As(err, &e) || e.Status != 400 || e.Param != "status" {
		t.Errorf("ListPaymentSessions of an unknown state: %v, want a 400 naming status", err)
	}
}
