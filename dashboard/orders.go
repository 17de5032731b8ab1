package dashboard

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
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
// GET /v1/orders reads its own (provider.OrderFilterOf, list.Page).
func listFilter(q url.Values) (listForm, store.OrderFilter, error) {
	form := listForm{Q: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Currency: q.Get("currency"), Overdue: q.Get("overdue") == "true"}
	f, err := provider.OrderFilterOf(q)
	if err == nil {
		_, f.After, err = list.Page(q, "orders")
	}
	f.Limit = listPage + 1
	return form, f, err
}

// nextLink is the link to the list at path with q's search and filters,
// continuing at cursor (the last item shown's).
func nextLink(path string, q url.Values, cursor string) string {
	next := filters(q)
	next.Set("cursor", cursor)
	return path + "?" + next.Encode()
}

// filters is q without its page: the search and filters a list's links
// keep.
func filters(q url.Values) url.Values {
	f := url.Values{}
	for k, v := range q {
		if k != "cursor" && len(v) > 0 && v[0] != "" {
			f[k] = v
		}
	}
	return f
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
		p.Next = nextLink("/dashboard/orders", r.URL.Query(), list.Cursor(os[listPage-1].CreatedAt, os[listPage-1].ID))
	}
	for _, o := range os {
		p.Orders = append(p.Orders, rowOf(o))
	}
	p.Data = csvLink(r.URL.Query())
	s.render(w, r, http.StatusOK, "orders", p)
}

// csvLink is the link to the CSV export of the orders q searches for:
// all of them, not a page.
func csvLink(q url.Values) string {
	if f := filters(q); len(f) > 0 {
		return "/dashboard/orders.csv?" + f.Encode()
	}
	return "/dashboard/orders.csv"
}

// handleOrdersCSV exports every order the orders list's search and
// filters find, as GET /v1/orders.csv does (provider.Service.OrdersCSV).
func (s *Server) handleOrdersCSV(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Orders")
	var f store.OrderFilter
	if err == nil {
		p.Form, f, err = listFilter(r.URL.Query())
	}
	if err == nil {
		err = s.app.OrdersCSV(r.Context(), p.User.MerchantID, f, func() io.Writer {
			h := w.Header()
			h.Set("Content-Type", "text/csv; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="orders.csv"`)
			h.Set("Cache-Control", "no-store")
			h.Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusOK)
			return w
		})
	}
	if err != nil {
		s.fail(w, r, "orders", p, err)
	}
}

// orderView is an order as its page shows it.
type orderView struct {
	orderRow
	Currency                                   string
	Authorized, Uncaptured, Captured, Refunded string
	Cancelled                                  string
	Customer                                   order.Customer
	// The customer's addresses, each on one line.
	Billing, Shipping string
	Chunks            []chunkView
	// Actions are what the user may do to the order now (actLinks).
	Actions   []actLink
	Events    []eventView
	Documents []documentView
	// Changes are the audit log's entries for the order, with who made
	// them; Notifications the order's notifications and their deliveries.
	Changes       []changeView
	Notifications []notificationView
}

// chunkView is a part of an order: its uncaptured part, a capture or a
// refund, with its lines.
type chunkView struct {
	Kind, LedgerID, Total, Document string
	Created                         time.Time
	Lines                           []lineView
	Actions                         []actLink // a capture's refunds
}

type lineView struct {
	Reference, Description, Quantity, UnitPrice, VAT, Total string
}

func lineViewOf(l order.Line, amount func(int64) string) lineView {
	lv := lineView{Reference: l.Reference, Description: l.Description, Quantity: strconv.FormatInt(l.Quantity, 10), VAT: strconv.FormatFloat(float64(l.VAT)/100, 'f', -1, 64) + " %", Total: amount(l.TotalAmount)}
	if l.UnitPrice != nil {
		lv.UnitPrice = amount(*l.UnitPrice)
	}
	return lv
}

type eventView struct {
	Type, Text, Amount string
	At                 time.Time
}

// eventText says what an order's event records.
var eventText = map[string]string{
	order.EventCreate: "Created", order.EventAuthorize: "Authorised", order.EventReadyForCapture: "Ready to capture",
	order.EventAcknowledge: "Acknowledged", order.EventEdit: "Lines edited", order.EventEditCustomer: "Customer edited",
	order.EventEditPaymentMethod: "Changed to advance invoice", order.EventExtendExpiry: "Expiry extended",
	order.EventFullCapture: "Captured in full", order.EventPartialCapture: "Captured in part",
	order.EventFullRefund: "Refunded in full", order.EventPartialRefund: "Refunded in part",
	order.EventCancel: "Cancelled", order.EventSetReference: "Reference set", order.EventPaid: "Paid", order.EventExpire: "Expired",
}

// changeView is an audit log entry for the order.
type changeView struct {
	Actor, Action, Outcome string
	At                     time.Time
}

// notificationView is one of the order's notifications, with where it
// went and how that went.
type notificationView struct {
	Type, Status string
	At           time.Time
	Deliveries   []deliveryView
}

type deliveryView struct {
	URL, State string
	Attempts   int
}

// orderChanges is how many of the audit log's entries, and how many
// notifications, the order page shows, newest first.
const orderChanges = 50

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
	var (
		now     time.Time
		changes []changeView
		notes   []notificationView
	)
	err = s.app.View(ctx, func(tx store.ReadTx) (err error) {
		if o, err = tx.Order(ctx, p.User.MerchantID, r.PathValue("id")); err != nil {
			return err
		}
		if now, err = s.app.NowOf(ctx, tx, o.MerchantID); err != nil {
			return err
		}
		if docs, err = tx.OrderDocuments(ctx, o.MerchantID, o.ID); err != nil {
			return err
		}
		if changes, err = orderChangesOf(ctx, tx, p.User, o.ID); err != nil {
			return err
		}
		notes, err = orderNotifications(ctx, tx, o)
		return err
	})
	if err != nil {
		s.fail(w, r, "order", p, err)
		return
	}
	p.Title = "Order " + o.OrderReference
	p.Order = s.orderViewOf(o, docs)
	p.Order.Changes, p.Order.Notifications = changes, notes
	p.Order.Actions = actLinks(o, now, p.User.Role, nil)
	for i := range p.Order.Chunks {
		if c := capturedChunk(o, p.Order.Chunks[i].LedgerID); c != nil {
			p.Order.Chunks[i].Actions = actLinks(o, now, p.User.Role, c)
		}
	}
	s.render(w, r, http.StatusOK, "order", p)
}

func (s *Server) orderViewOf(o *order.Order, docs []*invoice.Document) *orderView {
	amount := func(minor int64) string { return string(o.Currency) + " " + money.Grouped(minor, o.Currency) }
	chunk := func(kind string, c *order.Chunk) chunkView {
		total, _ := c.Totals()
		v := chunkView{Kind: kind, LedgerID: c.LedgerID, Total: amount(total), Document: c.DocumentReference, Created: c.CreatedAt.UTC()}
		for _, l := range c.Lines {
			v.Lines = append(v.Lines, lineViewOf(l, amount))
		}
		return v
	}
	v := &orderView{
		orderRow: rowOf(o), Currency: string(o.Currency), Customer: o.Customer,
		Authorized: amount(o.AuthorizedAmount), Uncaptured: amount(o.UncapturedAmount()), Captured: amount(o.CapturedAmount()),
		Refunded: amount(o.RefundedAmount()), Cancelled: amount(o.CancelledAmount),
		Billing: addressText(o.Customer.BillingAddress), Shipping: addressText(o.Customer.ShippingAddress.Address),
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
		ev := eventView{Type: e.Type, Text: eventText[e.Type], At: e.CreatedAt.UTC()}
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

// orderChangesOf is the audit log's entries for order id, newest first,
// with the dashboard's users named by their address: none unless u may
// read the audit log.
func orderChangesOf(ctx context.Context, tx store.ReadTx, u *user.User, id string) ([]changeView, error) {
	if !u.Role.Can(user.ViewAudit) {
		return nil, nil
	}
	es, err := tx.AuditEvents(ctx, u.MerchantID, store.AuditFilter{Target: id, Limit: orderChanges})
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	var cs []changeView
	for _, e := range es {
		actor := e.Actor
		if uid, ok := strings.CutPrefix(actor, "user:"); ok {
			if _, seen := names[uid]; !seen {
				names[uid] = actor
				if du, err := tx.User(ctx, uid); err == nil && du.MerchantID == u.MerchantID {
					names[uid] = du.Email
				} else if kassa.ErrorCode(err) != kassa.ENotFound && err != nil {
					return nil, err
				}
			}
			actor = names[uid]
		}
		cs = append(cs, changeView{Actor: actor, Action: actionText(e.Action), Outcome: e.Outcome, At: e.At.UTC()})
	}
	return cs, nil
}

// actionText names an audit log action: a dashboard action's title, or
// the action as the log has it.
func actionText(action string) string {
	for _, a := range orderActs {
		if action == "POST /dashboard/orders/{id}/"+a.Path {
			return a.Title
		}
	}
	return action
}

// orderNotifications is o's newest notifications with their deliveries.
func orderNotifications(ctx context.Context, tx store.ReadTx, o *order.Order) ([]notificationView, error) {
	ns, err := tx.Notifications(ctx, o.MerchantID, store.NotificationFilter{OrderID: o.ID, Limit: orderChanges})
	if err != nil {
		return nil, err
	}
	var vs []notificationView
	for _, n := range ns {
		ds, err := tx.Deliveries(ctx, o.MerchantID, n.ID)
		if err != nil {
			return nil, err
		}
		v := notificationView{Type: n.Type, Status: n.Status, At: n.CreatedAt.UTC()}
		for _, d := range ds {
			v.Deliveries = append(v.Deliveries, deliveryView{URL: d.URL, State: d.State, Attempts: d.Attempts})
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// addressText is an address on one line, its empty parts left out.
func addressText(a order.Address) string {
	var parts []string
	for _, p := range []string{a.CompanyName, a.AttentionName, a.CareOf, a.StreetAddress, strings.TrimSpace(a.PostalCode + " " + a.City), a.Country} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}
