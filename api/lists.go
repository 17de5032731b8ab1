package api

import (
	"io"
	"net/http"
	"time"

	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/list"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// Lists share one convention (docs/api-reference.md, Lists): a page's
// ?limit= and ?cursor= and each list's filters as package provider reads
// them (list.Page, provider.OrderFilterOf, …), and an answer
// {"data": [...], "nextCursor": "..."} whose nextCursor, present only
// when more follow, continues after the page's last item.

// page is a list's answer.
type page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// pageOf answers items, read with a limit one above limit: an item past
// limit says another page follows, after the last one kept, whose cursor
// cursor gives.
func pageOf[I, T any](items []I, limit int, view func(I) T, cursor func(I) string) page[T] {
	p := page[T]{Data: make([]T, 0, min(len(items), limit))}
	if len(items) > limit {
		items = items[:limit]
		p.NextCursor = cursor(items[limit-1])
	}
	for _, it := range items {
		p.Data = append(p.Data, view(it))
	}
	return p
}

// orderSummary is an order as lists show it: what a row of a merchant's
// order list needs, amounts in minor units.
type orderSummary struct {
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
	CreatedAt         timestamp `json:"createdAt"`
	UpdatedAt         timestamp `json:"updatedAt"`
}

func orderSummaryOf(o *order.Order) orderSummary {
	return orderSummary{
		ID: o.ID, OrderReference: o.OrderReference, MerchantReference: o.Reference,
		PaymentStatus: o.PaymentStatus(), Status: o.Status(), Currency: string(o.Currency),
		OrderAmount: o.Amount(), UncapturedAmount: o.UncapturedAmount(), CapturedAmount: o.CapturedAmount(), RefundedAmount: o.RefundedAmount(),
		CompanyName: o.Customer.CompanyName, CompanyID: o.Customer.CompanyID, Email: o.Customer.Email,
		CreatedAt: timestamp(o.CreatedAt), UpdatedAt: timestamp(o.UpdatedAt),
	}
}

func orderCursor(o *order.Order) string { return list.Cursor(o.CreatedAt, o.ID) }

// handleOrderList lists the merchant's orders, newest first, filtered
// and searched, a page at a time.
func (s *Server) handleOrderList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := provider.OrderFilterOf(q)
	if err != nil {
		return err
	}
	if f.Limit, f.After, err = list.Page(q, "orders"); err != nil {
		return err
	}
	limit := f.Limit
	f.Limit++
	os, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) ([]*order.Order, error) {
		return s.app.Orders(r.Context(), tx, principal(r).MerchantID, f)
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, pageOf(os, limit, orderSummaryOf, orderCursor))
	return nil
}

// handleOrderCSV streams every order GET /v1/orders would list with the
// same filters as CSV (provider.Service.OrdersCSV).
func (s *Server) handleOrderCSV(w http.ResponseWriter, r *http.Request) error {
	f, err := provider.OrderFilterOf(r.URL.Query())
	if err != nil {
		return err
	}
	return s.app.OrdersCSV(r.Context(), principal(r).MerchantID, f, func() io.Writer {
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="orders.csv"`)
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		return w
	})
}

// documentSummary is an invoice document as lists show it, amounts in
// minor units; a document that asks for no payment has payableAmount 0.
type documentSummary struct {
	ID             string       `json:"id"`
	Kind           invoice.Kind `json:"kind"`
	Number         int64        `json:"number,omitempty"` // absent until numbered, moments after issue
	OrderID        string       `json:"orderId"`
	OrderReference string       `json:"orderReference"`
	Currency       string       `json:"currency"`
	TotalAmount    int64        `json:"totalAmount"`
	PayableAmount  int64        `json:"payableAmount"`
	PaidAmount     int64        `json:"paidAmount"`
	IssueDate      string       `json:"issueDate"`
	DueDate        string       `json:"dueDate"`
	CreatedAt      timestamp    `json:"createdAt"`
}

func documentSummaryOf(d store.ListedDocument) documentSummary {
	return documentSummary{
		ID: d.ID, Kind: d.Kind, Number: d.Number, OrderID: d.OrderID, OrderReference: d.OrderReference, Currency: string(d.Currency),
		TotalAmount: d.Total, PayableAmount: d.Payable(), PaidAmount: d.Paid,
		IssueDate: d.IssueDate.Format(time.DateOnly), DueDate: d.DueDate.Format(time.DateOnly), CreatedAt: timestamp(d.CreatedAt),
	}
}

// handleDocumentList lists the merchant's invoice documents, newest
// first, filtered, a page at a time.
func (s *Server) handleDocumentList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := provider.DocumentFilterOf(q)
	if err != nil {
		return err
	}
	if f.Limit, f.After, err = list.Page(q, "documents"); err != nil {
		return err
	}
	limit := f.Limit
	f.Limit++
	docs, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) ([]store.ListedDocument, error) {
		ds, _, err := s.app.Documents(r.Context(), tx, principal(r).MerchantID, f)
		return ds, err
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, pageOf(docs, limit, documentSummaryOf,
		func(d store.ListedDocument) string { return list.Cursor(d.CreatedAt, d.ID) }))
	return nil
}

// sessionSummary is a payment session as lists show it, its amount in
// minor units.
type sessionSummary struct {
	ID          string    `json:"id"`
	State       string    `json:"state"`
	Reference   string    `json:"reference"`
	Currency    string    `json:"currency"`
	OrderAmount int64     `json:"totalOrderAmount"`
	OrderID     string    `json:"orderId,omitempty"`
	CompanyName string    `json:"companyName,omitempty"` // once the buyer authorized
	CreatedAt   timestamp `json:"createdAt"`
	UpdatedAt   timestamp `json:"updatedAt"`
	ExpiresAt   timestamp `json:"expiresAt"`
}

// handleSessionList lists the merchant's payment sessions, newest first,
// by their state, a page at a time.
func (s *Server) handleSessionList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := provider.SessionFilterOf(q)
	if err != nil {
		return err
	}
	if f.Limit, f.After, err = list.Page(q, "payment sessions"); err != nil {
		return err
	}
	limit := f.Limit
	f.Limit++
	ctx, merchantID := r.Context(), principal(r).MerchantID
	var (
		ss  []*session.Session
		now time.Time
	)
	err = s.app.View(ctx, func(tx store.ReadTx) (err error) {
		ss, now, err = s.app.Sessions(ctx, tx, merchantID, f)
		return err
	})
	if err != nil {
		return err
	}
	view := func(ps *session.Session) sessionSummary {
		v := sessionSummary{
			ID: ps.ID, State: ps.StateAt(now), Reference: ps.Reference, Currency: string(ps.Currency), OrderAmount: ps.Amount, OrderID: ps.OrderID,
			CreatedAt: timestamp(ps.CreatedAt), UpdatedAt: timestamp(ps.UpdatedAt), ExpiresAt: timestamp(ps.ExpiresAt),
		}
		if ps.Customer != nil {
			v.CompanyName = ps.Customer.CompanyName
		}
		return v
	}
	wire.WriteJSON(w, http.StatusOK, pageOf(ss, limit, view, func(ps *session.Session) string { return list.Cursor(ps.CreatedAt, ps.ID) }))
	return nil
}
