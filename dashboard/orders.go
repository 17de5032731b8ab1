package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/invoice/pdf"
	"github.com/kassa-pay/kassa/list"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

// listPage is how many orders a page of the orders list shows.
const listPage = 50

// listForm is the orders list's search and filters as the form sent
// them, shown again in the form.
type listForm struct {
	Q, Status, Currency string
	Overdue             bool
}

// option is a choice of a select.
type option struct{ Value, Text string }

// listFilter reads the orders list's query into a store filter, as
// GET /v1/orders reads its own (provider.OrderFilterOf, provider.PageOf).
func listFilter(q url.Values) (listForm, store.OrderFilter, error) {
	form := listForm{Q: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Currency: q.Get("currency"), Overdue: q.Get("overdue") == "true"}
	f, err := provider.OrderFilterOf(q)
	if err == nil {
		_, f.After, err = list.Page(q, "orders")
	}
	f.Limit = listPage + 1
	return form, f, err
}

// nextLink is the link to the list at path after its item at t with
// key, the last shown, with the same search and filters as q.
func nextLink(path string, q url.Values, t time.Time, key string) string {
	next := url.Values{}
	for k, v := range q {
		if k != "cursor" && len(v) > 0 && v[0] != "" {
			next[k] = v
		}
	}
	next.Set("cursor", list.Cursor(t, key))
	return path + "?" + next.Encode()
}

// viewer is the signed-in user's page, with the merchant's name, or an
// error if the user may not see orders.
func (s *Server) viewer(w http.ResponseWriter, r *http.Request, title string) (page, error) {
	ctx, u := r.Context(), current(r.Context())
	p := page{Title: title, User: u, CSRF: s.csrfToken(w, r)}
	if err := u.Role.Permit(user.ViewOrders); err != nil {
		return p, err
	}
	return p, s.app.View(ctx, func(tx store.ReadTx) error {
		m, err := tx.Merchant(ctx, u.MerchantID)
		if err == nil {
			p.Merchant = m.Name
		}
		return err
	})
}

func (s *Server) handleOrders(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Orders")
	p.Statuses = make([]option, 0, len(provider.OrderStatuses))
	for _, st := range provider.OrderStatuses {
		p.Statuses = append(p.Statuses, option{st, statusText[st]})
	}
	var f store.OrderFilter
	if err == nil {
		p.Form, f, err = listFilter(r.URL.Query())
	}
	if err != nil {
		s.fail(w, r, "orders", p, err)
		return
	}
	ctx := r.Context()
	var os []*order.Order
	err = s.app.View(ctx, func(tx store.ReadTx) (err error) {
		os, err = s.app.Orders(ctx, tx, p.User.MerchantID, f)
		return err
	})
	if err != nil {
		s.fail(w, r, "orders", p, err)
		return
	}
	if len(os) > listPage {
		os = os[:listPage]
		p.Next = nextLink("/dashboard/orders", r.URL.Query(), os[listPage-1].CreatedAt, os[listPage-1].ID)
	}
	for _, o := range os {
		p.Orders = append(p.Orders, rowOf(o))
	}
	s.render(w, r, http.StatusOK, "orders", p)
}

// orderView is an order as its page shows it.
type orderView struct {
	orderRow
	Currency                                   string
	Authorized, Uncaptured, Captured, Refunded string
	Cancelled                                  string
	Customer                                   order.Customer
	Chunks                                     []chunkView
	Events                                     []eventView
	Documents                                  []documentView
}

// chunkView is a part of an order: its uncaptured part, a capture or a
// refund, with its lines.
type chunkView struct {
	Kind, LedgerID, Total, Document string
	Created                         time.Time
	Lines                           []lineView
}

type lineView struct {
	Reference, Description, Quantity, UnitPrice, VAT, Total string
}

type eventView struct {
	Type, Amount string
	At           time.Time
}

type documentView struct {
	Kind, Reference, Number, Total, URL string
	Issued, Due                         time.Time
}

// kindText names documents' kinds.
var kindText = map[invoice.Kind]string{invoice.KindInvoice: "Invoice", invoice.KindCreditNote: "Credit note", invoice.KindAdvance: "Advance invoice"}

func (s *Server) handleOrder(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Order")
	if err != nil {
		s.fail(w, r, "order", p, err)
		return
	}
	ctx := r.Context()
	var (
		o    *order.Order
		docs []*invoice.Document
	)
	err = s.app.View(ctx, func(tx store.ReadTx) (err error) {
		if o, err = tx.Order(ctx, p.User.MerchantID, r.PathValue("id")); err != nil {
			return err
		}
		docs, err = tx.OrderDocuments(ctx, o.MerchantID, o.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, "order", p, err)
		return
	}
	p.Title = "Order " + o.OrderReference
	p.Order = s.orderViewOf(o, docs)
	s.render(w, r, http.StatusOK, "order", p)
}

func (s *Server) orderViewOf(o *order.Order, docs []*invoice.Document) *orderView {
	amount := func(minor int64) string { return string(o.Currency) + " " + money.Grouped(minor, o.Currency) }
	chunk := func(kind string, c *order.Chunk) chunkView {
		total, _ := c.Totals()
		v := chunkView{Kind: kind, LedgerID: c.LedgerID, Total: amount(total), Document: c.DocumentReference, Created: c.CreatedAt.UTC()}
		for _, l := range c.Lines {
			lv := lineView{Reference: l.Reference, Description: l.Description, Quantity: strconv.FormatInt(l.Quantity, 10), VAT: strconv.FormatFloat(float64(l.VAT)/100, 'f', -1, 64) + " %", Total: amount(l.TotalAmount)}
			if l.UnitPrice != nil {
				lv.UnitPrice = amount(*l.UnitPrice)
			}
			v.Lines = append(v.Lines, lv)
		}
		return v
	}
	v := &orderView{
		orderRow: rowOf(o), Currency: string(o.Currency), Customer: o.Customer,
		Authorized: amount(o.AuthorizedAmount), Uncaptured: amount(o.UncapturedAmount()), Captured: amount(o.CapturedAmount()),
		Refunded: amount(o.RefundedAmount()), Cancelled: amount(o.CancelledAmount),
	}
	if o.Uncaptured != nil {
		v.Chunks = append(v.Chunks, chunk("Not captured", o.Uncaptured))
	}
	for i := range o.Captured {
		v.Chunks = append(v.Chunks, chunk("Captured", &o.Captured[i]))
	}
	for i := range o.Refunded {
		v.Chunks = append(v.Chunks, chunk("Refunded", &o.Refunded[i]))
	}
	for _, e := range o.Events {
		ev := eventView{Type: e.Type, At: e.CreatedAt.UTC()}
		if e.Amount != 0 {
			ev.Amount = amount(e.Amount)
		}
		v.Events = append(v.Events, ev)
	}
	for _, d := range docs {
		dv := documentView{Kind: kindText[d.Kind], Reference: d.Reference, Total: string(d.Currency) + " " + money.Grouped(d.Total, d.Currency),
			URL: "/dashboard/documents/" + d.ID, Issued: d.IssueDate, Due: d.DueDate}
		if d.Number != 0 {
			dv.Number = strconv.FormatInt(d.Number, 10)
		}
		v.Documents = append(v.Documents, dv)
	}
	return v
}

// handleDocument serves one of the merchant's documents as its PDF, as
// GET /v1/documents/{id} does for the API.
func (s *Server) handleDocument(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Document")
	var d *invoice.Document
	if err == nil {
		d, err = s.app.NumberedDocument(r.Context(), func(tx store.ReadTx) (*invoice.Document, error) {
			return tx.Document(r.Context(), p.User.MerchantID, r.PathValue("id"))
		})
	}
	var b []byte
	if err == nil {
		b, err = pdf.Render(d)
	}
	if err != nil {
		s.fail(w, r, "message", p, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-%d.pdf"`, d.Kind, d.Number))
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}
