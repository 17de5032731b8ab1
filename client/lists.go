package client

import (
	"context"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Lists page the same way (docs/api-reference.md, Lists): a page holds at
// most Limit items (1 to 100; 0 asks for 50) and a NextCursor, "" on the
// last page, that the next call passes as Cursor with the same filters.
// All walks every page.

// All yields every item of a list, page after page: page reads the page
// after cursor ("" for the first) and returns its items and the cursor of
// the next ("" after the last). It stops at the first error, which it
// yields, or when the loop over it ends.
func All[T any](ctx context.Context, page func(ctx context.Context, cursor string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		cursor := ""
		for {
			items, next, err := page(ctx, cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			cursor = next
		}
	}
}

// OrderSummary is an order as lists show it; amounts in minor units.
type OrderSummary struct {
	ID                string    `json:"id"`
	OrderReference    string    `json:"orderReference"`
	MerchantReference string    `json:"merchantReference"`
	PaymentStatus     string    `json:"paymentStatus"`
	Status            []string  `json:"status"`
	Currency          string    `json:"currency"`
	OrderAmount       int64     `json:"orderAmount"`
	UncapturedAmount  int64     `json:"uncapturedAmount"`
	CapturedAmount    int64     `json:"capturedAmount"`
	RefundedAmount    int64     `json:"refundedAmount"`
	CompanyName       string    `json:"companyName"`
	CompanyID         string    `json:"companyId"`
	Email             string    `json:"email"`
	CreatedAt         time.Time `json:"createdAt"`
	UpdatedAt         time.Time `json:"updatedAt"`
}

// OrderListParams filter the merchant's orders; empty fields match all.
type OrderListParams struct {
	// Query searches by prefix, ignoring case, the order's ID, merchant
	// reference and order reference, the company's name and organisation
	// number and the buyer's e-mail address.
	Query string
	// Statuses are payment statuses: paymentPending, paymentConfirmed,
	// orderCaptured, orderRefunded, orderCancelled.
	Statuses []string
	Currency string
	// CreatedFrom ≤ the order's creation < CreatedTo.
	CreatedFrom, CreatedTo time.Time
	// Overdue: only orders with an invoice unpaid after its due date.
	Overdue bool
	Cursor  string // a page's NextCursor
	Limit   int    // 1 to 100; 0: 50
}

func (p OrderListParams) query() url.Values {
	q := url.Values{}
	set(q, "q", p.Query)
	set(q, "status", strings.Join(p.Statuses, ","))
	set(q, "currency", p.Currency)
	for name, t := range map[string]time.Time{"createdFrom": p.CreatedFrom, "createdTo": p.CreatedTo} {
		if !t.IsZero() {
			q.Set(name, t.Format(time.RFC3339Nano))
		}
	}
	if p.Overdue {
		q.Set("overdue", "true")
	}
	return q
}

// OrderPage is a page of orders, newest first.
type OrderPage struct {
	Data       []OrderSummary `json:"data"`
	NextCursor string         `json:"nextCursor,omitempty"` // none on the last page
}

// ListOrders reads a page of the merchant's orders.
func (c *Client) ListOrders(ctx context.Context, p OrderListParams) (*OrderPage, error) {
	q := p.query()
	set(q, "cursor", p.Cursor)
	setInt(q, "limit", p.Limit)
	var page OrderPage
	_, err := c.send(ctx, &request{method: http.MethodGet, path: "/v1/orders", query: q}, &page, nil)
	return &page, err
}

// AllOrders yields every order that matches p, newest first, reading them
// a page of p.Limit at a time from p.Cursor on.
func (c *Client) AllOrders(ctx context.Context, p OrderListParams) iter.Seq2[OrderSummary, error] {
	first := p.Cursor
	return All(ctx, func(ctx context.Context, cursor string) ([]OrderSummary, string, error) {
		p.Cursor = cursor
		if cursor == "" {
			p.Cursor = first
		}
		page, err := c.ListOrders(ctx, p)
		if err != nil {
			return nil, "", err
		}
		return page.Data, page.NextCursor, nil
	})
}

// SessionSummary is a payment session as lists show it; its amount in
// minor units.
type SessionSummary struct {
	ID               string    `json:"id"`
	State            string    `json:"state"` // created, awaitingSignatory, authorized, cancelled or expired
	Reference        string    `json:"reference"`
	Currency         string    `json:"currency"`
	TotalOrderAmount int64     `json:"totalOrderAmount"`
	OrderID          string    `json:"orderId,omitempty"`     // once it placed an order
	CompanyName      string    `json:"companyName,omitempty"` // once the buyer authorized
	CreatedAt        time.Time `json:"createdAt"`
	UpdatedAt        time.Time `json:"updatedAt"`
	ExpiresAt        time.Time `json:"expiresAt"`
}

// SessionListParams filter the merchant's payment sessions; empty fields
// match all.
type SessionListParams struct {
	States []string // created, awaitingSignatory, authorized, cancelled, expired
	Cursor string   // a page's NextCursor
	Limit  int      // 1 to 100; 0: 50
}

// SessionPage is a page of payment sessions, newest first.
type SessionPage struct {
	Data       []SessionSummary `json:"data"`
	NextCursor string           `json:"nextCursor,omitempty"` // none on the last page
}

// ListPaymentSessions reads a page of the merchant's payment sessions.
func (c *Client) ListPaymentSessions(ctx context.Context, p SessionListParams) (*SessionPage, error) {
	q := url.Values{}
	set(q, "status", strings.Join(p.States, ","))
	set(q, "cursor", p.Cursor)
	setInt(q, "limit", p.Limit)
	var page SessionPage
	_, err := c.send(ctx, &request{method: http.MethodGet, path: "/v1/payment-sessions", query: q}, &page, nil)
	return &page, err
}

// DocumentSummary is an invoice document as lists show it; amounts in
// minor units, PayableAmount 0 on one that asks for no payment.
type DocumentSummary struct {
	ID             string    `json:"id"`
	Kind           string    `json:"kind"`             // invoice, advanceInvoice or creditNote
	Number         int64     `json:"number,omitempty"` // 0 until numbered, moments after issue
	OrderID        string    `json:"orderId"`
	OrderReference string    `json:"orderReference"`
	Currency       string    `json:"currency"`
	TotalAmount    int64     `json:"totalAmount"`
	PayableAmount  int64     `json:"payableAmount"`
	PaidAmount     int64     `json:"paidAmount"`
	IssueDate      string    `json:"issueDate"` // YYYY-MM-DD
	DueDate        string    `json:"dueDate"`   // YYYY-MM-DD
	CreatedAt      time.Time `json:"createdAt"`
}

// DocumentListParams filter the merchant's invoice documents; empty
// fields match all.
type DocumentListParams struct {
	Kind string // invoice, advanceInvoice or creditNote
	// Unpaid: only documents asking for a payment not yet made in full;
	// Overdue: only those whose due date has passed.
	Unpaid, Overdue bool
	Cursor          string // a page's NextCursor
	Limit           int    // 1 to 100; 0: 50
}

// DocumentPage is a page of invoice documents, newest first.
type DocumentPage struct {
	Data       []DocumentSummary `json:"data"`
	NextCursor string            `json:"nextCursor,omitempty"` // none on the last page
}

// ListDocuments reads a page of the merchant's invoice documents.
func (c *Client) ListDocuments(ctx context.Context, p DocumentListParams) (*DocumentPage, error) {
	q := url.Values{}
	set(q, "kind", p.Kind)
	for name, on := range map[string]bool{"unpaid": p.Unpaid, "overdue": p.Overdue} {
		if on {
			q.Set(name, "true")
		}
	}
	set(q, "cursor", p.Cursor)
	setInt(q, "limit", p.Limit)
	var page DocumentPage
	_, err := c.send(ctx, &request{method: http.MethodGet, path: "/v1/documents", query: q}, &page, nil)
	return &page, err
}

// ExportOrders writes the CSV export of the orders that match p (its
// Cursor and Limit aside) to w, as it arrives.
func (c *Client) ExportOrders(ctx context.Context, p OrderListParams, w io.Writer) error {
	resp, err := c.open(ctx, &request{method: http.MethodGet, path: "/v1/orders.csv", query: p.query(), accept: "text/csv"}, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}
