package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

// The order page's actions (docs/dashboard.md, "Orders"). Each is the
// API's operation on the order, run through provider.ChangeOrder as the
// API runs it: the dashboard offers it only when the order's available
// actions list it (order.Order.Allow, CapturedActions), shows on a page
// of its own what it will change (the same operation run without
// saving, provider.PreviewOrder), and sends the confirming form through
// act, which checks the role, applies a once key once and records the
// user in the audit log.

// orderAct is one of the order page's actions.
type orderAct struct {
	// Path follows /dashboard/orders/{id}/; {ledger} names a capture.
	Path string
	// Action is the available action it is (order.Action…); "" for
	// acknowledging and the reference, which are always possible.
	Action string
	// Chunk: it acts on the capture {ledger}. Choose: its lines are
	// chosen by quantity first. Field names a text it takes.
	Chunk, Choose bool
	Field         string
	// Edit is the customer's fields it edits, asked for first.
	Edit []customerField
	Need user.Action
	// Label is the order page's link; Title the confirmation page's
	// heading; Says what happens besides the amounts the page lists;
	// Button confirms; Done is the notice after, %s the change's amount.
	Label, Title, Says, Button, Done string
	// Amount is, for an action that takes all there is, what it takes:
	// the confirmation carries it, and the form is refused if the order
	// has changed since.
	Amount func(o *order.Order, c *order.Chunk) int64
	// Run is the operation, on an order and input act has checked.
	Run func(o *order.Order, env order.Env, c *order.Chunk, in actInput) (*order.Order, error)
	// EditReq, instead of Run, is an edit of the order's lines, which
	// provider.EditOrderBy makes with its credit check.
	EditReq func(o *order.Order, in actInput) (order.EditRequest, error)
}

// actInput is what an action's form sends.
type actInput struct {
	Qty    map[string]int64 // line id → quantity chosen
	Text   string           // the reference or the refund's note
	Amount int64            // the amount confirmed (orderAct.Amount)
	// Customer is the customer's fields sent, by name (orderAct.Edit).
	Customer map[string]string
}

// twoStep says whether a asks for its input on a page of its own before
// the confirmation.
func (a *orderAct) twoStep() bool { return a.Choose || len(a.Edit) > 0 }

// customerField is a field of the customer an edit may change
// (order.CustomerUpdate).
type customerField struct {
	Name, Label, Type string
	Of                func(c *order.Customer) *string
}

var customerFields = []customerField{
	{"email", "E-mail", "email", func(c *order.Customer) *string { return &c.Email }},
	{"phone", "Phone", "tel", func(c *order.Customer) *string { return &c.Phone }},
	{"reference1", "Buyer's reference 1", "text", func(c *order.Customer) *string { return &c.Reference1 }},
	{"reference2", "Buyer's reference 2", "text", func(c *order.Customer) *string { return &c.Reference2 }},
	{"invoice-details", "Invoice channel details (copy address or GLN)", "text", func(c *order.Customer) *string { return &c.InvoiceChannel.Details }},
	{"billing-company", "Billing address: company", "text", func(c *order.Customer) *string { return &c.BillingAddress.CompanyName }},
	{"billing-attention", "Billing address: attention", "text", func(c *order.Customer) *string { return &c.BillingAddress.AttentionName }},
	{"billing-care-of", "Billing address: care of", "text", func(c *order.Customer) *string { return &c.BillingAddress.CareOf }},
	{"billing-street", "Billing address: street", "text", func(c *order.Customer) *string { return &c.BillingAddress.StreetAddress }},
	{"billing-postal-code", "Billing address: postal code", "text", func(c *order.Customer) *string { return &c.BillingAddress.PostalCode }},
	{"billing-city", "Billing address: city", "text", func(c *order.Customer) *string { return &c.BillingAddress.City }},
	{"billing-country", "Billing address: country", "text", func(c *order.Customer) *string { return &c.BillingAddress.Country }},
	{"shipping-company", "Shipping address: company", "text", func(c *order.Customer) *string { return &c.ShippingAddress.CompanyName }},
	{"shipping-attention", "Shipping address: attention", "text", func(c *order.Customer) *string { return &c.ShippingAddress.AttentionName }},
	{"shipping-care-of", "Shipping address: care of", "text", func(c *order.Customer) *string { return &c.ShippingAddress.CareOf }},
	{"shipping-street", "Shipping address: street", "text", func(c *order.Customer) *string { return &c.ShippingAddress.StreetAddress }},
	{"shipping-postal-code", "Shipping address: postal code", "text", func(c *order.Customer) *string { return &c.ShippingAddress.PostalCode }},
	{"shipping-city", "Shipping address: city", "text", func(c *order.Customer) *string { return &c.ShippingAddress.City }},
	{"shipping-country", "Shipping address: country", "text", func(c *order.Customer) *string { return &c.ShippingAddress.Country }},
	{"contact-first-name", "Delivery contact: first name", "text", func(c *order.Customer) *string { return &c.ShippingAddress.Contact.FirstName }},
	{"contact-last-name", "Delivery contact: last name", "text", func(c *order.Customer) *string { return &c.ShippingAddress.Contact.LastName }},
	{"contact-email", "Delivery contact: e-mail", "email", func(c *order.Customer) *string { return &c.ShippingAddress.Contact.Email }},
	{"contact-phone", "Delivery contact: phone", "tel", func(c *order.Customer) *string { return &c.ShippingAddress.Contact.Phone }},
}

// customerUpdate is the edit of prev that the fields sent make: each
// field that differs, and an address whole when any of its fields do.
func customerUpdate(prev order.Customer, sent map[string]string) order.CustomerUpdate {
	next := prev
	for _, f := range customerFields {
		if v, ok := sent[f.Name]; ok {
			*f.Of(&next) = v
		}
	}
	changed := func(a, b string) *string {
		if a == b {
			return nil
		}
		return &b
	}
	u := order.CustomerUpdate{
		Email: changed(prev.Email, next.Email), Phone: changed(prev.Phone, next.Phone),
		Reference1: changed(prev.Reference1, next.Reference1), Reference2: changed(prev.Reference2, next.Reference2),
		InvoiceChannelDetails: changed(prev.InvoiceChannel.Details, next.InvoiceChannel.Details),
	}
	if next.BillingAddress != prev.BillingAddress {
		u.BillingAddress = &next.BillingAddress
	}
	if next.ShippingAddress != prev.ShippingAddress {
		u.ShippingAddress = &next.ShippingAddress
	}
	return u
}

func uncaptured(o *order.Order, _ *order.Chunk) int64 { return o.UncapturedAmount() }

var orderActs = []*orderAct{
	{
		Path: "capture", Action: order.ActionCapture, Need: user.Capture,
		Label: "Capture all", Title: "Capture the order", Button: "Capture",
		Says: "Kassa issues an invoice to the buyer for the lines below, and notifies your shop.", Done: "Captured %s.",
		Amount: uncaptured,
		Run: func(o *order.Order, env order.Env, _ *order.Chunk, in actInput) (*order.Order, error) {
			return o.Capture(env, order.CaptureRequest{Lines: o.Uncaptured.Lines, TotalAmount: in.Amount})
		},
	},
	{
		Path: "partial-capture", Action: order.ActionPartialCapture, Choose: true, Need: user.Capture,
		Label: "Capture part", Title: "Capture part of the order", Button: "Capture these lines",
		Says: "Kassa issues an invoice to the buyer for the lines below, and notifies your shop. The rest stays to capture later.", Done: "Captured %s.",
		Run: func(o *order.Order, env order.Env, _ *order.Chunk, in actInput) (*order.Order, error) {
			lines, err := o.Uncaptured.Pick(in.Qty)
			if err != nil {
				return nil, err
			}
			total, _ := order.Sum(lines)
			return o.PartialCapture(env, order.CaptureRequest{Lines: lines, TotalAmount: total})
		},
	},
	{
		Path: "cancel", Action: order.ActionCancel, Need: user.Cancel,
		Label: "Cancel the order", Title: "Cancel the order", Button: "Cancel what is not captured",
		Says: "What is not captured can no longer be captured, and the buyer's credit is released. What is captured stays.", Done: "Cancelled %s.",
		Amount: uncaptured,
		Run: func(o *order.Order, env order.Env, _ *order.Chunk, _ actInput) (*order.Order, error) {
			return o.Cancel(env)
		},
	},
	{
		Path: "refund/{ledger}", Action: order.ActionRefund, Chunk: true, Field: "note", Need: user.Refund,
		Label: "Refund all", Title: "Refund a capture", Button: "Refund",
		Says: "Kassa issues a credit note to the buyer for what is left of this capture, and notifies your shop.", Done: "Refunded %s.",
		Amount: func(o *order.Order, c *order.Chunk) int64 { return o.RefundableOf(c) },
		Run: func(o *order.Order, env order.Env, c *order.Chunk, in actInput) (*order.Order, error) {
			return o.Refund(env, c.LedgerID, in.Text)
		},
	},
	{
		Path: "partial-refund/{ledger}", Action: order.ActionPartialRefund, Chunk: true, Choose: true, Field: "note", Need: user.Refund,
		Label: "Refund part", Title: "Refund part of a capture", Button: "Refund these lines",
		Says: "Kassa issues a credit note to the buyer for the lines below, and notifies your shop.", Done: "Refunded %s.",
		Run: func(o *order.Order, env order.Env, c *order.Chunk, in actInput) (*order.Order, error) {
			lines, err := c.Pick(in.Qty)
			if err != nil {
				return nil, err
			}
			total, _ := order.Sum(lines)
			return o.PartialRefund(env, c.LedgerID, order.RefundRequest{Lines: lines, TotalAmount: total, Note: in.Text})
		},
	},
	{
		Path: "acknowledge", Need: user.EditOrders,
		Label: "Acknowledge", Title: "Acknowledge the order", Button: "Acknowledge",
		Says: "The order is marked as received by your shop, as the API's acknowledge does.", Done: "The order is acknowledged.",
		Run: func(o *order.Order, env order.Env, _ *order.Chunk, _ actInput) (*order.Order, error) {
			return o.Acknowledge(env), nil
		},
	},
	{
		Path: "reference", Field: "reference", Need: user.EditOrders,
		Label: "Set the reference", Title: "Set the order's reference", Button: "Save the reference",
		Says: "Your shop's reference for the order, printed on the documents issued from now on (at most 50 characters).", Done: "The reference is saved.",
		Run: func(o *order.Order, env order.Env, _ *order.Chunk, in actInput) (*order.Order, error) {
			return o.SetReference(env, in.Text)
		},
	},
	{
		Path: "lines", Action: order.ActionEditOrder, Choose: true, Need: user.EditOrders,
		Label: "Edit the lines", Title: "Edit the lines not captured", Button: "Save the lines",
		Says: "Lower a line's quantity, or set it to 0 to remove the line; the lines kept are what is left to capture. Adding lines or raising quantities is done through the API.",
		Done: "The lines are saved: %s not captured.",
		EditReq: func(o *order.Order, in actInput) (order.EditRequest, error) {
			lines, err := o.Uncaptured.Pick(in.Qty)
			if err != nil {
				return order.EditRequest{}, err
			}
			total, vat := order.Sum(lines)
			return order.EditRequest{Lines: lines, Totals: order.Totals{Amount: total, VATAmount: vat}}, nil
		},
	},
	{
		Path: "customer", Edit: customerFields, Need: user.EditOrders,
		Label: "Edit the customer", Title: "Edit the customer", Button: "Save the customer",
		Says: "The buyer's contact details and addresses change for the documents issued from now on; the company and its organisation number stay.",
		Done: "The customer is saved.",
		Run: func(o *order.Order, env order.Env, _ *order.Chunk, in actInput) (*order.Order, error) {
			return o.EditCustomer(env, customerUpdate(o.Customer, in.Customer))
		},
	},
	{
		Path: "payment-method", Action: order.ActionEditPaymentMethod, Need: user.EditOrders,
		Label: "Change to advance invoice", Title: "Change the order to advance invoice", Button: "Change to advance invoice",
		Says: "Kassa issues an advance invoice to the buyer for what is not captured. The order can be captured once it is acknowledged and the buyer has paid the advance invoice; it can no longer be cancelled or edited, nor changed back.",
		Done: "The order is now paid by advance invoice.",
		Run: func(o *order.Order, env order.Env, _ *order.Chunk, _ actInput) (*order.Order, error) {
			return o.EditPaymentMethod(env, order.ProviderLedyer, order.AdvanceInvoice)
		},
	},
	{
		Path: "extend-expiry", Action: order.ActionExtendExpiry, Need: user.EditOrders,
		Label: "Extend the expiry", Title: "Extend the order's expiry", Button: "Extend",
		Says: "What is not captured can be captured for longer: each extension adds 14 days, up to 180 days after the order was created.", Done: "The expiry is extended.",
		Run: func(o *order.Order, env order.Env, _ *order.Chunk, _ actInput) (*order.Order, error) {
			return o.ExtendExpiry(env)
		},
	},
}

// capturedChunk is o's capture ledger, nil if none.
func capturedChunk(o *order.Order, ledger string) *order.Chunk {
	for i := range o.Captured {
		if o.Captured[i].LedgerID == ledger {
			return &o.Captured[i]
		}
	}
	return nil
}

// allowed says why a cannot be done to o now, or nil: the order's
// available actions decide.
func (a *orderAct) allowed(o *order.Order, now time.Time, ledger string) (*order.Chunk, error) {
	switch {
	case a.Chunk:
		c := capturedChunk(o, ledger)
		if c == nil {
			return nil, kassa.Errorf(kassa.ENotFound, "This order has no capture %s.", ledger)
		}
		if !slices.Contains(o.CapturedActions(c), a.Action) {
			return nil, kassa.Errorf(kassa.EConflict, "This capture is refunded in full: nothing is left to refund.")
		}
		return c, nil
	case a.Action != "":
		return nil, o.Allow(a.Action, now)
	}
	return nil, nil
}

// gate refuses a for o as allowed says, and when the order has changed
// since the confirmation showed it; it returns the capture a acts on.
func (a *orderAct) gate(o *order.Order, now time.Time, ledger string, in actInput) (*order.Chunk, error) {
	c, err := a.allowed(o, now, ledger)
	if err != nil {
		return nil, err
	}
	if a.Amount != nil && a.Amount(o, c) != in.Amount {
		return nil, kassa.Errorf(kassa.EConflict, "The order has changed since this page was shown. Go back to the order and start again.")
	}
	return c, nil
}

// input reads a's form: quantities as qty-<line id>, an empty one 0;
// the amount confirmed when confirmed (the form, not the page that
// asks).
func (a *orderAct) input(f url.Values, confirmed bool) (actInput, error) {
	var in actInput
	if a.Field != "" {
		in.Text = strings.TrimSpace(f.Get(a.Field))
	}
	if a.Amount != nil && confirmed {
		n, err := strconv.ParseInt(f.Get("amount"), 10, 64)
		if err != nil {
			return in, kassa.Invalid("amount", "This form is incomplete. Go back to the order and start again.")
		}
		in.Amount = n
	}
	if len(a.Edit) > 0 {
		in.Customer = map[string]string{}
		for _, fd := range a.Edit {
			if f.Has(fd.Name) {
				in.Customer[fd.Name] = strings.TrimSpace(f.Get(fd.Name))
			}
		}
	}
	if a.Choose {
		in.Qty = map[string]int64{}
		for k, vs := range f {
			id, ok := strings.CutPrefix(k, "qty-")
			if !ok || len(vs) == 0 || strings.TrimSpace(vs[0]) == "" {
				continue
			}
			q, err := strconv.ParseInt(strings.TrimSpace(vs[0]), 10, 64)
			if err != nil {
				return in, kassa.Invalid("qty", "Write each quantity as a whole number, 0 or more.")
			}
			in.Qty[id] = q
		}
	}
	return in, nil
}

// path is a's path for order id and capture ledger.
func (a *orderAct) path(id, ledger string) string {
	return "/dashboard/orders/" + url.PathEscape(id) + "/" + strings.Replace(a.Path, "{ledger}", url.PathEscape(ledger), 1)
}

// actLink is an action the order page offers.
type actLink struct{ Label, URL, ID string }

// actLinks are the actions on o (chunk c's when c is not nil) that role
// may take and o's available actions allow now.
func actLinks(o *order.Order, now time.Time, role user.Role, c *order.Chunk) []actLink {
	var links []actLink
	for _, a := range orderActs {
		ledger := ""
		if c != nil {
			ledger = c.LedgerID
		}
		if a.Chunk != (c != nil) || !role.Can(a.Need) {
			continue
		}
		if _, err := a.allowed(o, now, ledger); err != nil || (a.Path == "acknowledge" && o.Acknowledged) {
			continue
		}
		id := "act-" + strings.TrimSuffix(a.Path, "/{ledger}")
		if c != nil {
			id += "-" + ledger
		}
		links = append(links, actLink{Label: a.Label, URL: a.path(o.ID, ledger), ID: id})
	}
	return links
}

// actView is an action's page: the choice of lines, or the
// confirmation of what will change.
type actView struct {
	OrderID, Number, Buyer, Back, Action  string
	Says, Button, Field, FieldLabel, Text string
	// First: the step that asks for the input, with the lines to choose
	// from (Pick) or the fields to fill in (Inputs) as sent so far.
	First  bool
	Pick   []pickView
	Inputs []inputView
	// Confirm: the lines the change takes, and the facts it changes.
	Confirm    bool
	LinesTitle string
	Lines      []lineView
	LinesTotal string
	Facts      []factView
	Hidden     []option
}

type pickView struct {
	ID, Reference, Description, UnitPrice, Total, Value string
	Max                                                 int64
}

type factView struct{ Name, Before, After string }

type inputView struct{ Name, Label, Type, Value string }

func (s *Server) handleActPage(a *orderAct) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.viewer(w, r, a.Title)
		if err == nil {
			err = p.User.Role.Permit(a.Need)
		}
		if err != nil {
			s.fail(w, r, "order-act", p, err)
			return
		}
		ctx, id, ledger := r.Context(), r.PathValue("id"), r.PathValue("ledger")
		q := r.URL.Query()
		review := !a.twoStep() || q.Get("review") != ""
		in, inErr := a.input(q, false)
		var (
			prev, next *order.Order
			gateErr    error
			grows      bool
		)
		err = s.app.View(ctx, func(tx store.ReadTx) (err error) {
			prev, next, _, err = s.app.PreviewOrder(ctx, tx, p.User.MerchantID, id, func(o *order.Order, env order.Env) (*order.Order, error) {
				c, err := a.allowed(o, env.Now, ledger)
				if err != nil {
					gateErr = err
					return nil, err
				}
				if a.Amount != nil {
					in.Amount = a.Amount(o, c)
				}
				switch {
				case !review:
					return o, nil
				case inErr != nil:
					return nil, inErr
				case a.EditReq != nil:
					req, err := a.EditReq(o, in)
					if err != nil {
						return nil, err
					}
					// The credit check is made when the edit is confirmed.
					return o.Edit(env, req, func(int64) error { grows = true; return nil })
				}
				return a.Run(o, env, c, in)
			})
			return err
		})
		if prev != nil && gateErr == nil {
			v := a.view(prev, next, ledger, in)
			if grows {
				v.Says += " The new total is above what the buyer's credit was granted for: Kassa checks the credit again when you confirm, and refuses the edit if it is declined."
			}
			if a.twoStep() && (!review || err != nil) {
				v.First, v.Confirm = true, false
			}
			p.Data = v
		}
		if err != nil {
			s.fail(w, r, "order-act", p, err)
			return
		}
		p.Once = newOnce()
		s.render(w, r, http.StatusOK, "order-act", p)
	}
}

// view is a's page for prev, and next, what a makes of it (nil when
// not known yet).
func (a *orderAct) view(prev, next *order.Order, ledger string, in actInput) *actView {
	amount := func(minor int64) string { return string(prev.Currency) + " " + money.Grouped(minor, prev.Currency) }
	v := &actView{
		OrderID: prev.ID, Number: prev.OrderReference, Buyer: prev.Customer.CompanyName,
		Back: "/dashboard/orders/" + url.PathEscape(prev.ID), Action: a.path(prev.ID, ledger),
		Says: a.Says, Button: a.Button, Field: a.Field, Text: in.Text,
	}
	switch a.Field {
	case "reference":
		v.FieldLabel, v.Text = "Reference", prev.Reference
	case "note":
		v.FieldLabel = "Note on the credit note (optional)"
	}
	if a.Amount != nil {
		v.Hidden = append(v.Hidden, option{"amount", strconv.FormatInt(in.Amount, 10)})
	}
	if a.Choose {
		src := prev.Uncaptured
		if a.Chunk {
			src = capturedChunk(prev, ledger)
		}
		for _, l := range src.Lines {
			pv := pickView{ID: l.ID, Reference: l.Reference, Description: l.Description, Total: amount(l.TotalAmount), Max: l.Quantity}
			if l.UnitPrice != nil {
				pv.UnitPrice = amount(*l.UnitPrice - l.UnitDiscountAmount)
			}
			if q, ok := in.Qty[l.ID]; ok {
				pv.Value = strconv.FormatInt(q, 10)
			} else if a.EditReq != nil {
				pv.Value = strconv.FormatInt(l.Quantity, 10) // kept as it is
			}
			if pv.Value != "" {
				v.Hidden = append(v.Hidden, option{"qty-" + l.ID, pv.Value})
			}
			v.Pick = append(v.Pick, pv)
		}
	}
	for _, f := range a.Edit {
		value, ok := in.Customer[f.Name]
		if !ok {
			value = *f.Of(&prev.Customer)
		}
		v.Inputs = append(v.Inputs, inputView{Name: f.Name, Label: f.Label, Type: f.Type, Value: value})
		v.Hidden = append(v.Hidden, option{f.Name, value})
	}
	if next == nil {
		return v
	}
	v.Confirm = true
	var taken *order.Chunk
	switch {
	case len(next.Captured) > len(prev.Captured):
		v.LinesTitle, taken = "Lines to capture", &next.Captured[len(next.Captured)-1]
	case len(next.Refunded) > len(prev.Refunded):
		v.LinesTitle, taken = "Lines to refund", &next.Refunded[len(next.Refunded)-1]
	case a.EditReq != nil && next.Uncaptured != nil:
		v.LinesTitle, taken = "Lines not captured after the edit", next.Uncaptured
	case a.Path == "cancel" && prev.Uncaptured != nil:
		v.LinesTitle, taken = "Lines to cancel", prev.Uncaptured
	}
	if taken != nil {
		total, _ := taken.Totals()
		v.LinesTotal = amount(total)
		for _, l := range taken.Lines {
			v.Lines = append(v.Lines, lineViewOf(l, amount))
		}
	}
	fact := func(name, before, after string) {
		if before != after {
			v.Facts = append(v.Facts, factView{name, before, after})
		}
	}
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") + " UTC" }
	fact("Not captured", amount(prev.UncapturedAmount()), amount(next.UncapturedAmount()))
	fact("Captured", amount(prev.CapturedAmount()), amount(next.CapturedAmount()))
	fact("Refunded", amount(prev.RefundedAmount()), amount(next.RefundedAmount()))
	fact("Cancelled", amount(prev.CancelledAmount), amount(next.CancelledAmount))
	fact("Authorised", amount(prev.AuthorizedAmount), amount(next.AuthorizedAmount))
	fact("Status", statusText[prev.PaymentStatus()], statusText[next.PaymentStatus()])
	fact("Expires", day(prev.ExpiresAt), day(next.ExpiresAt))
	fact("Acknowledged", yesNo(prev.Acknowledged), yesNo(next.Acknowledged))
	fact("Payment method", methodText[prev.PaymentMethod], methodText[next.PaymentMethod])
	for _, f := range a.Edit {
		fact(f.Label, *f.Of(&prev.Customer), *f.Of(&next.Customer))
	}
	return v
}

// methodText names payment methods.
var methodText = map[string]string{order.Invoice: "Invoice", order.AdvanceInvoice: "Advance invoice"}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (s *Server) handleAct(a *orderAct) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, id, ledger := current(r.Context()), r.PathValue("id"), r.PathValue("ledger")
		err := s.act(w, r, &change{Need: a.Need, Target: id, Run: func(ctx context.Context, tx store.Tx) (string, string, error) {
			in, err := a.input(r.PostForm, true)
			if err != nil {
				return "", "", err
			}
			var next *order.Order
			if a.EditReq != nil {
				next, _, err = s.app.EditOrderBy(ctx, tx, u.MerchantID, id, func(o *order.Order, env order.Env) (order.EditRequest, error) {
					if _, err := a.gate(o, env.Now, ledger, in); err != nil {
						return order.EditRequest{}, err
					}
					return a.EditReq(o, in)
				})
			} else {
				next, _, err = s.app.ChangeOrder(ctx, tx, u.MerchantID, id, func(o *order.Order, env order.Env) (*order.Order, error) {
					c, err := a.gate(o, env.Now, ledger, in)
					if err != nil {
						return nil, err
					}
					return a.Run(o, env, c, in)
				})
			}
			if err != nil {
				return "", "", err
			}
			notice := a.Done
			if strings.Contains(notice, "%s") {
				e := next.Events[len(next.Events)-1]
				notice = fmt.Sprintf(notice, string(next.Currency)+" "+money.Grouped(e.Amount, next.Currency))
			}
			return "/dashboard/orders/" + url.PathEscape(id), notice, nil
		}})
		if err != nil {
			p, _ := s.viewer(w, r, a.Title)
			p.Data = &actView{OrderID: id, Back: "/dashboard/orders/" + url.PathEscape(id)}
			s.fail(w, r, "order-act", p, err)
		}
	}
}
