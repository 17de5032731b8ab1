package api

import (
	"encoding/base64"
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// Lists share one convention (docs/api-reference.md, Lists): ?limit= (1
// to 100, 50 when absent) and ?cursor=, and an answer {"data": [...],
// "nextCursor": "..."} whose nextCursor, present only when more follow,
// continues after the page's last item. A cursor is opaque to clients:
// the base64 of the last item's time in unix microseconds and its key.

// defaultPage is a list's page size when ?limit= is absent.
const defaultPage = 50

// encodeCursor is the cursor of an item at t with key.
func encodeCursor(t time.Time, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixMicro(), 10) + "." + key))
}

// decodeCursor reads a cursor encodeCursor made; of names the list, for
// the error.
func decodeCursor(s, of string) (time.Time, string, error) {
	bad := kassa.Invalid("cursor", "cursor must be the nextCursor of a page of %s", of)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", bad
	}
	at, key, ok := strings.Cut(string(b), ".")
	us, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || key == "" {
		return time.Time{}, "", bad
	}
	return time.UnixMicro(us).UTC(), key, nil
}

// listPage reads a page's ?limit= and ?cursor= for a list of orders,
// sessions or documents; of names the list, for the error.
func listPage(q url.Values, of string) (int, *store.ListPosition, error) {
	limit, err := pageLimit(q, defaultPage)
	if err != nil {
		return 0, nil, err
	}
	c := q.Get("cursor")
	if c == "" {
		return limit, nil, nil
	}
	at, id, err := decodeCursor(c, of)
	if err != nil {
		return 0, nil, err
	}
	return limit, &store.ListPosition{CreatedAt: at, ID: id}, nil
}

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

// listDate reads a date filter: an RFC 3339 time, or a date (YYYY-MM-DD),
// which is its midnight UTC.
func listDate(q url.Values, param string) (time.Time, error) {
	v := q.Get(param)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, kassa.Invalid(param, "%s must be a date (2026-03-04) or a time in RFC 3339 format (2026-03-04T10:00:00Z)", param)
}

// listBool reads a yes-or-no filter: true, false, or absent (false).
func listBool(q url.Values, param string) (bool, error) {
	switch q.Get(param) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, kassa.Invalid(param, "%s must be true or false", param)
}

// listValues reads a filter of one or more of the values allowed,
// comma-separated or repeated.
func listValues(q url.Values, param string, allowed []string) ([]string, error) {
	var vs []string
	for _, v := range q[param] {
		if v == "" { // as if absent, as the other filters take it
			continue
		}
		for s := range strings.SplitSeq(v, ",") {
			if !slices.Contains(allowed, s) {
				return nil, kassa.Invalid(param, "%s must be one or more of %s, separated by commas", param, strings.Join(allowed, ", "))
			}
			vs = append(vs, s)
		}
	}
	return vs, nil
}

// maxQuery bounds the search text of ?q=.
const maxQuery = 100

// orderStatuses are the values of ?status= of GET /v1/orders: the
// payment statuses an order can have.
var orderStatuses = []string{order.StatusPaymentPending, order.StatusPaymentConfirmed, order.StatusOrderCaptured, order.StatusOrderRefunded, order.StatusOrderCancelled}

// orderFilter reads the filters of GET /v1/orders and /v1/orders.csv.
func orderFilter(q url.Values, now time.Time) (store.OrderFilter, error) {
	f := store.OrderFilter{Query: strings.TrimSpace(q.Get("q")), Now: now}
	if len([]rune(f.Query)) > maxQuery {
		return f, kassa.Invalid("q", "q is longer than %d characters", maxQuery)
	}
	var err error
	if f.Statuses, err = listValues(q, "status", orderStatuses); err != nil {
		return f, err
	}
	if c := q.Get("currency"); c != "" {
		cur, err := money.ParseCurrency(c)
		if err != nil {
			return f, err
		}
		f.Currency = string(cur)
	}
	if f.From, err = listDate(q, "createdFrom"); err != nil {
		return f, err
	}
	if f.To, err = listDate(q, "createdTo"); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, kassa.Invalid("createdTo", "createdTo must be later than createdFrom")
	}
	if f.Overdue, err = listBool(q, "overdue"); err != nil {
		return f, err
	}
	return f, nil
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

func orderCursor(o *order.Order) string { return encodeCursor(o.CreatedAt, o.ID) }

// handleOrderList lists the merchant's orders, newest first, filtered
// and searched, a page at a time.
func (s *Server) handleOrderList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := orderFilter(q, s.app.Now())
	if err != nil {
		return err
	}
	if f.Limit, f.After, err = listPage(q, "orders"); err != nil {
		return err
	}
	limit := f.Limit
	f.Limit++
	os, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) ([]*order.Order, error) {
		return tx.Orders(r.Context(), principal(r).MerchantID, f)
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, pageOf(os, limit, orderSummaryOf, orderCursor))
	return nil
}

// orderCSVColumns are the columns of GET /v1/orders.csv, in order.
var orderCSVColumns = []string{
	"id", "orderReference", "merchantReference", "createdAt", "paymentStatus", "status", "currency",
	"orderAmount", "uncapturedAmount", "capturedAmount", "refundedAmount", "companyName", "companyId", "email",
}

// csvBatch is how many orders each read of the export takes.
const csvBatch = 500

// handleOrderCSV streams every order GET /v1/orders would list with the
// same filters, newest first, as CSV: amounts as decimals in the
// currency's unit, times in RFC 3339 UTC. It reads them in batches, each
// in a snapshot of its own, continuing after the last order written, so
// an export of many orders holds no transaction open while it is sent.
func (s *Server) handleOrderCSV(w http.ResponseWriter, r *http.Request) error {
	f, err := orderFilter(r.URL.Query(), s.app.Now())
	if err != nil {
		return err
	}
	f.Limit = csvBatch
	ctx, merchantID := r.Context(), principal(r).MerchantID
	batch := func() ([]*order.Order, error) {
		return provider.View(ctx, s.app, func(tx store.ReadTx) ([]*order.Order, error) { return tx.Orders(ctx, merchantID, f) })
	}
	os, err := batch() // an error before the answer begins is answered as one
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="orders.csv"`)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	cw.Write(orderCSVColumns)
	for len(os) > 0 {
		for _, o := range os {
			cur := o.Currency
			cw.Write([]string{
				csvCell(o.ID), csvCell(o.OrderReference), csvCell(o.Reference), o.CreatedAt.UTC().Format(time.RFC3339Nano),
				o.PaymentStatus(), strings.Join(o.Status(), " "), string(cur),
				money.Decimal(o.Amount(), cur), money.Decimal(o.UncapturedAmount(), cur), money.Decimal(o.CapturedAmount(), cur), money.Decimal(o.RefundedAmount(), cur),
				csvCell(o.Customer.CompanyName), csvCell(o.Customer.CompanyID), csvCell(o.Customer.Email),
			})
		}
		if cw.Flush(); cw.Error() != nil || len(os) < f.Limit {
			return nil // the client went, or that was the last batch
		}
		p := store.Position(os[len(os)-1])
		f.After = &p
		if os, err = batch(); err != nil { // the answer has begun: end it short
			s.log.ErrorContext(ctx, "orders.csv", "merchant", merchantID, "err", err)
			return nil
		}
	}
	return nil
}

// csvCell keeps a spreadsheet from reading text as a formula: text that
// begins with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe, as OWASP's CSV injection advice has it.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// documentKinds are the values of ?kind= of GET /v1/documents.
var documentKinds = []string{string(invoice.KindInvoice), string(invoice.KindAdvance), string(invoice.KindCreditNote)}

// documentFilter reads the filters of GET /v1/documents.
func documentFilter(q url.Values, now time.Time) (store.DocumentFilter, error) {
	f := store.DocumentFilter{Kind: invoice.Kind(q.Get("kind")), Now: now}
	if f.Kind != "" && !slices.Contains(documentKinds, string(f.Kind)) {
		return f, kassa.Invalid("kind", "kind must be one of %s", strings.Join(documentKinds, ", "))
	}
	var err error
	if f.Overdue, err = listBool(q, "overdue"); err != nil {
		return f, err
	}
	if f.Unpaid, err = listBool(q, "unpaid"); err != nil {
		return f, err
	}
	return f, nil
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
	f, err := documentFilter(q, s.app.Now())
	if err != nil {
		return err
	}
	if f.Limit, f.After, err = listPage(q, "documents"); err != nil {
		return err
	}
	limit := f.Limit
	f.Limit++
	docs, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) ([]store.ListedDocument, error) {
		return tx.Documents(r.Context(), principal(r).MerchantID, f)
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, pageOf(docs, limit, documentSummaryOf,
		func(d store.ListedDocument) string { return encodeCursor(d.CreatedAt, d.ID) }))
	return nil
}

// sessionStates are the values of ?status= of GET /v1/payment-sessions:
// the states a session reads.
var sessionStates = []string{session.StateCreated, session.StateAwaitingSignatory, session.StateAuthorized, session.StateCancelled, session.StateExpired}

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
	var (
		f   store.SessionFilter
		err error
	)
	if f.States, err = listValues(q, "status", sessionStates); err != nil {
		return err
	}
	if f.Limit, f.After, err = listPage(q, "payment sessions"); err != nil {
		return err
	}
	limit := f.Limit
	f.Limit++
	ctx, merchantID := r.Context(), principal(r).MerchantID
	var ss []*session.Session
	err = s.app.View(ctx, func(tx store.ReadTx) (err error) {
		if f.Now, err = s.app.NowOf(ctx, tx, merchantID); err != nil { // the sandbox's test clock decides what expired
			return err
		}
		ss, err = tx.Sessions(ctx, merchantID, f)
		return err
	})
	if err != nil {
		return err
	}
	view := func(ps *session.Session) sessionSummary {
		v := sessionSummary{
			ID: ps.ID, State: ps.StateAt(f.Now), Reference: ps.Reference, Currency: string(ps.Currency), OrderAmount: ps.Amount, OrderID: ps.OrderID,
			CreatedAt: timestamp(ps.CreatedAt), UpdatedAt: timestamp(ps.UpdatedAt), ExpiresAt: timestamp(ps.ExpiresAt),
		}
		if ps.Customer != nil {
			v.CompanyName = ps.Customer.CompanyName
		}
		return v
	}
	wire.WriteJSON(w, http.StatusOK, pageOf(ss, limit, view, func(ps *session.Session) string { return encodeCursor(ps.CreatedAt, ps.ID) }))
	return nil
}
