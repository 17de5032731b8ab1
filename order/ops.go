package order

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
)

// Env is what every operation needs besides its request: the time it
// happens and where new IDs come from.
type Env struct {
	Now time.Time
	IDs kassa.IDs
}

// For is env for an operation on o: its time is never before o's last
// change, so that o's history stays in order when the wall clock steps
// back (Check refuses an event older than the one before it).
func (env Env) For(o *Order) Env {
	if env.Now.Before(o.UpdatedAt) {
		env.Now = o.UpdatedAt
	}
	return env
}

const (
	maxReference = 50 // printed on the invoice
	maxNote      = 1000
)

// NewParams describes an order created from an authorized session.
type NewParams struct {
	MerchantID, StoreID, SessionID string
	Currency                       money.Currency
	Country, Locale, Reference     string
	Lines                          []Line
	Totals                         Totals
	Customer                       Customer
	AuthorizeStatus                string
	PaymentMethod                  string // Invoice when empty
	RiskTags                       []string
	Metadata                       json.RawMessage
	AutoCapture                    *AutoCapture
	// ProcessingDelay is how long after creation the order becomes ready
	// for capture; zero makes it ready at once.
	ProcessingDelay time.Duration
	// Signatory is who approved the purchase, when a signatory did.
	Signatory *Approval
}

// New creates an order, with its create and authorize events, and its
// readyForCapture event too when there is no processing delay.
func New(env Env, p NewParams) (*Order, error) {
	if err := ValidateLines(p.Lines, "orderLines"); err != nil {
		return nil, err
	}
	if err := CheckTotals(p.Lines, p.Totals); err != nil {
		return nil, err
	}
	if p.Totals.Amount <= 0 {
		return nil, kassa.Invalid("totalOrderAmount", "totalOrderAmount must be positive")
	}
	if len(p.Reference) > maxReference {
		return nil, kassa.Invalid("reference", "reference is longer than %d characters", maxReference)
	}
	if a := p.AutoCapture; a != nil && (a.DelayMinutes < 0 || a.DelayMinutes > MaxAutoCaptureDelay) {
		return nil, kassa.Invalid("autoCapture.delayMinutes", "autoCapture.delayMinutes must be between 0 and %d", MaxAutoCaptureDelay)
	}
	id := env.IDs.New(kassa.PrefixOrder)
	o := &Order{
		ID:               id,
		MerchantID:       p.MerchantID,
		StoreID:          p.StoreID,
		SessionID:        p.SessionID,
		Currency:         p.Currency,
		Country:          p.Country,
		Locale:           p.Locale,
		Reference:        p.Reference,
		OrderReference:   strings.ToUpper(id[len(id)-8:]),
		PaymentMethod:    cmp.Or(p.PaymentMethod, Invoice),
		Customer:         p.Customer,
		RiskTags:         slices.Clone(p.RiskTags),
		Metadata:         p.Metadata,
		AuthorizeStatus:  p.AuthorizeStatus,
		AuthorizedAmount: p.Totals.Amount,
		AutoCapture:      p.AutoCapture,
		Signatory:        p.Signatory,
		ReadyAt:          env.Now.Add(p.ProcessingDelay),
		Uncaptured:       &Chunk{LedgerID: env.IDs.New(kassa.PrefixLedger), Lines: withIDs(env, p.Lines), CreatedAt: env.Now},
		CreatedAt:        env.Now,
		UpdatedAt:        env.Now,
		ExpiresAt:        env.Now.Add(DefaultExpiry),
	}
	if o.RiskTags == nil {
		o.RiskTags = []string{}
	}
	o.FirstLedgerID = o.Uncaptured.LedgerID
	o.event(env, EventCreate, o.FirstLedgerID, p.Totals.Amount)
	o.event(env, EventAuthorize, o.FirstLedgerID, p.Totals.Amount)
	if next, ok := o.MarkReady(env); ok {
		return next, nil
	}
	return o, nil
}

// MarkReady makes the order ready for capture once its processing delay
// has passed; ok is false when there is nothing to do.
func (o *Order) MarkReady(env Env) (next *Order, ok bool) {
	if o.Ready || env.Now.Before(o.ReadyAt) || o.Uncaptured == nil {
		return o, false
	}
	n := o.Clone()
	n.Ready = true
	n.touch(env, EventReadyForCapture, n.FirstLedgerID, 0)
	return n, true
}

// MarkPaid records that the order's invoices are paid, amount in all;
// ok is false when it already was.
func (o *Order) MarkPaid(env Env, amount int64) (next *Order, ok bool) {
	if o.Paid {
		return o, false
	}
	n := o.Clone()
	n.Paid = true
	n.touch(env, EventPaid, n.FirstLedgerID, amount)
	return n, true
}

// Receive records that the buyer has paid received in all on the order's
// documents (see Received); ok is false when that is what it records
// already. It adds no event: the payments are the bank's records, and the
// order's paid event says when they settle it (MarkPaid).
func (o *Order) Receive(env Env, received int64) (next *Order, ok bool) {
	if received == o.Received {
		return o, false
	}
	n := o.Clone()
	n.Received = received
	n.UpdatedAt = env.Now
	return n, true
}

// Acknowledge records that the merchant has the order. Acknowledging again
// changes nothing: clients acknowledge on every notification they receive.
func (o *Order) Acknowledge(env Env) *Order {
	if o.Acknowledged {
		return o
	}
	n := o.Clone()
	n.Acknowledged = true
	n.touch(env, EventAcknowledge, n.FirstLedgerID, 0)
	return n
}

// SetReference sets the merchant's reference, printed on invoices.
func (o *Order) SetReference(env Env, ref string) (*Order, error) {
	if len(ref) > maxReference {
		return nil, kassa.Invalid("reference", "reference is longer than %d characters", maxReference)
	}
	n := o.Clone()
	n.Reference = ref
	n.touch(env, EventSetReference, n.FirstLedgerID, 0)
	return n, nil
}

// CaptureRequest is the body of a full or partial capture.
type CaptureRequest struct {
	Lines       []Line
	TotalAmount int64 // totalCaptureAmount
}

func (r CaptureRequest) validate() error {
	if err := ValidateLines(r.Lines, "orderLines"); err != nil {
		return err
	}
	if total, _ := Sum(r.Lines); total != r.TotalAmount {
		return kassa.Invalid("totalCaptureAmount", "totalCaptureAmount %d is not the sum of the lines' totalAmount, %d", r.TotalAmount, total)
	}
	if r.TotalAmount <= 0 {
		return kassa.Invalid("totalCaptureAmount", "totalCaptureAmount must be positive")
	}
	return nil
}

// Capture captures every remaining uncaptured line into one invoice. The
// request's lines are matched by their sum: clients rebuild them from their
// own records, without IDs, so the stored lines are what gets invoiced.
func (o *Order) Capture(env Env, r CaptureRequest) (*Order, error) {
	if err := o.allow(ActionCapture, env.Now); err != nil {
		return nil, err
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	if remaining := o.UncapturedAmount(); r.TotalAmount != remaining {
		return nil, kassa.Invalid("totalCaptureAmount",
			"totalCaptureAmount %d does not match the uncaptured amount %d; use partialcapture to capture part of the order", r.TotalAmount, remaining)
	}
	n := o.Clone()
	return n.capture(env, EventFullCapture, n.Uncaptured.Lines, nil), nil
}

// PartialCapture captures the request's lines into a new invoice. A line
// with an id takes that uncaptured line whole; a line without one takes
// part of the uncaptured line with the same reference and VAT rate (and,
// of several, the one with its unit price), which keeps the rest of that
// line uncaptured.
func (o *Order) PartialCapture(env Env, r CaptureRequest) (*Order, error) {
	if err := o.allow(ActionPartialCapture, env.Now); err != nil {
		return nil, err
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	n := o.Clone()
	remaining := n.Uncaptured.Lines
	captured := make([]Line, 0, len(r.Lines))
	for i, l := range r.Lines {
		param := fmt.Sprintf("orderLines[%d]", i)
		var err error
		if l.ID != "" {
			remaining, err = takeLine(remaining, l, param)
			l.ID = "" // the captured copy gets a fresh id
		} else {
			remaining, err = takePart(remaining, l, param)
		}
		if err != nil {
			return nil, err
		}
		captured = append(captured, l)
	}
	// What stays uncaptured must still be worth capturing: a remainder of
	// only discounts would let the captured amount exceed the authorized.
	if left, _ := Sum(remaining); len(remaining) > 0 && left <= 0 {
		return nil, kassa.Invalid("orderLines",
			"the lines left uncaptured would total %d; capture discount and gift card lines together with the lines they reduce", left)
	}
	return n.capture(env, EventPartialCapture, withIDs(env, captured), remaining), nil
}

// capture moves lines into a new captured chunk; remaining (nil for none)
// becomes the uncaptured chunk.
func (n *Order) capture(env Env, eventType string, lines, remaining []Line) *Order {
	c := Chunk{LedgerID: env.IDs.New(kassa.PrefixLedger), Lines: lines, CreatedAt: env.Now}
	n.Captured = append(n.Captured, c)
	if len(remaining) == 0 {
		n.Uncaptured = nil
	} else {
		n.Uncaptured.Lines = remaining
	}
	total, _ := c.Totals()
	n.touch(env, eventType, c.LedgerID, total)
	return n
}

// takeLine removes the uncaptured line with l's id; l must state that
// line's amounts, since the whole line is captured.
func takeLine(lines []Line, l Line, param string) ([]Line, error) {
	i := slices.IndexFunc(lines, func(u Line) bool { return u.ID == l.ID })
	if i < 0 {
		return nil, kassa.Invalid(param+".id", "no uncaptured line has id %q", l.ID)
	}
	u := lines[i]
	if u.TotalAmount != l.TotalAmount || u.TotalVATAmount != l.TotalVATAmount || u.Quantity != l.Quantity {
		return nil, kassa.Invalid(param+".id",
			"line %s is captured whole, so its quantity and amounts must match the uncaptured line (%d × %d); send the line without id to capture part of it",
			l.ID, u.Quantity, u.TotalAmount)
	}
	return slices.Delete(slices.Clone(lines), i, i+1), nil
}

// takePart reduces the uncaptured line matching l's reference and VAT rate
// by l's quantity and amounts, removing it when l takes all of it. Of
// several such lines it takes, first, one with l's unit price and
// discount: two lines of one article at different prices each keep
// their own price.
func takePart(lines []Line, l Line, param string) ([]Line, error) {
	covers := func(u Line) bool {
		return u.Reference == l.Reference && u.VAT == l.VAT && sameSign(u.TotalAmount, l.TotalAmount) && abs(u.TotalAmount) >= abs(l.TotalAmount)
	}
	i := slices.IndexFunc(lines, func(u Line) bool {
		return covers(u) && l.UnitPrice != nil && u.UnitPrice != nil && *u.UnitPrice == *l.UnitPrice && u.UnitDiscountAmount == l.UnitDiscountAmount
	})
	if i < 0 {
		i = slices.IndexFunc(lines, covers)
	}
	if i < 0 {
		return nil, kassa.Invalid(param, "no uncaptured line with reference %q and vat %d covers totalAmount %d", l.Reference, l.VAT, l.TotalAmount)
	}
	out := slices.Clone(lines)
	u := &out[i]
	if u.TotalAmount == l.TotalAmount {
		return slices.Delete(out, i, i+1), nil
	}
	if l.Quantity >= u.Quantity {
		return nil, kassa.Invalid(param+".quantity", "quantity %d leaves none of line %s's %d for its remaining amount", l.Quantity, u.ID, u.Quantity)
	}
	u.Quantity -= l.Quantity
	u.TotalAmount -= l.TotalAmount
	u.TotalVATAmount -= l.TotalVATAmount
	return out, nil
}

// Refund credits everything not yet refunded of the captured chunk
// ledgerID. With no earlier refunds the credit note repeats the invoice's
// lines; otherwise it has one line per VAT rate with what remains.
func (o *Order) Refund(env Env, ledgerID, note string) (*Order, error) {
	c, err := o.refundable(ledgerID, note)
	if err != nil {
		return nil, err
	}
	refunded, byRate := o.refundedOf(ledgerID)
	var lines []Line
	if refunded == 0 {
		lines = slices.Clone(c.Lines)
		for i := range lines {
			lines[i].ID = ""
		}
	} else {
		lines = remainderLines(c, byRate)
	}
	n := o.Clone()
	return n.refund(env, EventFullRefund, ledgerID, note, lines), nil
}

// RefundRequest is the body of a partial refund.
type RefundRequest struct {
	Lines       []Line
	TotalAmount int64 // totalRefundAmount
	Note        string
}

// PartialRefund credits the request's lines against the captured chunk
// ledgerID: never more than the chunk has left, in total or at any one VAT
// rate, since a credit note cannot return VAT that was never invoiced.
func (o *Order) PartialRefund(env Env, ledgerID string, r RefundRequest) (*Order, error) {
	c, err := o.refundable(ledgerID, r.Note)
	if err != nil {
		return nil, err
	}
	if err := ValidateLines(r.Lines, "orderLines"); err != nil {
		return nil, err
	}
	total, _ := Sum(r.Lines)
	if total != r.TotalAmount {
		return nil, kassa.Invalid("totalRefundAmount", "totalRefundAmount %d is not the sum of the lines' totalAmount, %d", r.TotalAmount, total)
	}
	if total <= 0 {
		return nil, kassa.Invalid("totalRefundAmount", "totalRefundAmount must be positive")
	}
	if left := o.RefundableOf(c); total > left {
		return nil, kassa.Errorf(kassa.EConflict, "totalRefundAmount %d exceeds the %d left to refund on %s", total, left, ledgerID)
	}
	_, refundedByRate := o.refundedOf(ledgerID)
	invoiced := byVAT(c.Lines)
	for rate, amount := range byVAT(r.Lines) {
		if left := invoiced[rate] - refundedByRate[rate]; amount > left {
			return nil, kassa.Errorf(kassa.EConflict, "refunding %d at vat %d exceeds the %d left at that rate on %s", amount, rate, max(left, 0), ledgerID)
		}
	}
	lines := slices.Clone(r.Lines)
	for i := range lines {
		lines[i].ID = "" // partial refund lines never refer to invoice lines
	}
	n := o.Clone()
	return n.refund(env, EventPartialRefund, ledgerID, r.Note, lines), nil
}

func (o *Order) refundable(ledgerID, note string) (*Chunk, error) {
	c := o.capturedChunk(ledgerID)
	switch {
	case c == nil:
		return nil, kassa.Errorf(kassa.ENotFound, "order %s has no captured chunk %q", o.ID, ledgerID)
	case len(note) > maxNote:
		return nil, kassa.Invalid("note", "note is longer than %d characters", maxNote)
	case o.RefundableOf(c) <= 0:
		return nil, kassa.Errorf(kassa.EConflict, "captured chunk %s is fully refunded", ledgerID)
	}
	return c, nil
}

func (n *Order) refund(env Env, eventType, capturedLedgerID, note string, lines []Line) *Order {
	c := Chunk{
		LedgerID:         env.IDs.New(kassa.PrefixLedger),
		Lines:            withIDs(env, lines),
		CreatedAt:        env.Now,
		Note:             note,
		CapturedLedgerID: capturedLedgerID,
	}
	n.Refunded = append(n.Refunded, c)
	total, _ := c.Totals()
	n.touch(env, eventType, c.LedgerID, total)
	return n
}

func byVAT(lines []Line) map[int64]int64 {
	m := map[int64]int64{}
	for _, l := range lines {
		m[l.VAT] += l.TotalAmount
	}
	return m
}

// remainderLines is one line per VAT rate holding what is left to refund
// of chunk c at that rate. Rates only earlier refunds used count too: their
// lines can be negative, so they may have something left.
func remainderLines(c *Chunk, refundedByRate map[int64]int64) []Line {
	invoiced := byVAT(c.Lines)
	rates := slices.Collect(maps.Keys(invoiced))
	for rate := range refundedByRate {
		if _, ok := invoiced[rate]; !ok {
			rates = append(rates, rate)
		}
	}
	slices.Sort(rates)
	var lines []Line
	for _, rate := range rates {
		left := invoiced[rate] - refundedByRate[rate]
		if left == 0 {
			continue
		}
		typ := TypeService
		if left < 0 {
			typ = TypeDiscount
		}
		lines = append(lines, Line{
			Type:           typ,
			Reference:      "remainder",
			Description:    fmt.Sprintf("Remaining amount of %s at %d.%02d %% VAT", c.LedgerID, rate/100, rate%100),
			Quantity:       1,
			VAT:            rate,
			TotalAmount:    left,
			TotalVATAmount: money.VATPortion(left, rate),
		})
	}
	return lines
}

// Cancel removes every uncaptured line; captured and refunded lines stay.
func (o *Order) Cancel(env Env) (*Order, error) {
	if err := o.allow(ActionCancel, env.Now); err != nil {
		return nil, err
	}
	n := o.Clone()
	amount := n.UncapturedAmount()
	ledger := n.Uncaptured.LedgerID
	n.Uncaptured = nil
	n.CancelledAmount += amount
	n.touch(env, EventCancel, ledger, amount)
	return n, nil
}

// Expire records that the order has expired with lines uncaptured: an
// expire event for the uncaptured amount, which notifies the merchant.
// Nothing else changes: an expired order already refuses captures
// (allow), and an extension revives it, to expire again later. ok is
// false when there is nothing to record: nothing uncaptured, not expired
// yet, or this expiry recorded already.
func (o *Order) Expire(env Env) (next *Order, ok bool) {
	if !o.ExpiryDue() || env.Now.Before(o.ExpiresAt) {
		return o, false
	}
	n := o.Clone()
	n.ExpiredAt = n.ExpiresAt
	n.touch(env, EventExpire, n.Uncaptured.LedgerID, n.UncapturedAmount())
	return n, true
}

// ExpiryDue says the order will need an expire event at ExpiresAt: it has
// lines uncaptured and its expiry is not recorded yet.
func (o *Order) ExpiryDue() bool {
	return o.Uncaptured != nil && !o.ExpiredAt.Equal(o.ExpiresAt)
}

// CancelChunk cancels one sub-order. Only the uncaptured chunk can be
// cancelled; a captured invoice is undone by refunding it.
func (o *Order) CancelChunk(env Env, ledgerID string) (*Order, error) {
	if o.Uncaptured != nil && o.Uncaptured.LedgerID == ledgerID {
		return o.Cancel(env)
	}
	if o.capturedChunk(ledgerID) != nil || slices.ContainsFunc(o.Refunded, func(c Chunk) bool { return c.LedgerID == ledgerID }) {
		return nil, kassa.Errorf(kassa.EConflict, "chunk %s is invoiced and cannot be cancelled; refund it instead", ledgerID)
	}
	return nil, kassa.Errorf(kassa.ENotFound, "order %s has no chunk %q", o.ID, ledgerID)
}

// EditRequest replaces the uncaptured lines.
type EditRequest struct {
	Lines  []Line
	Totals Totals
}

// Approver decides whether the order may grow to a new total. It stands
// for a new credit check and returns the buyer's rejection as an error.
type Approver func(newTotal int64) error

// Edit replaces the uncaptured lines. A new total above the authorized
// amount needs approve's consent, and then becomes the authorized amount.
func (o *Order) Edit(env Env, r EditRequest, approve Approver) (*Order, error) {
	if err := o.allow(ActionEditOrder, env.Now); err != nil {
		return nil, err
	}
	if err := ValidateLines(r.Lines, "orderLines"); err != nil {
		return nil, err
	}
	if err := CheckTotals(r.Lines, r.Totals); err != nil {
		return nil, err
	}
	if r.Totals.Amount <= 0 {
		return nil, kassa.Invalid("totalOrderAmount", "totalOrderAmount must be positive; cancel the order to remove every line")
	}
	n := o.Clone()
	n.Uncaptured.Lines = withIDs(env, r.Lines)
	total := n.Amount()
	if total > n.AuthorizedAmount {
		if err := approve(total); err != nil {
			return nil, err
		}
		n.AuthorizedAmount = total
		n.touch(env, EventAuthorize, n.Uncaptured.LedgerID, total)
	}
	n.touch(env, EventEdit, n.Uncaptured.LedgerID, r.Totals.Amount)
	return n, nil
}

// CustomerUpdate holds the customer fields an edit may change; nil fields
// stay as they are, and a given address replaces the old one whole.
type CustomerUpdate struct {
	Email, Phone, Reference1, Reference2 *string
	InvoiceChannelDetails                *string
	BillingAddress                       *Address
	ShippingAddress                      *ShippingAddress
}

// EditCustomer changes the buyer's contact details and addresses.
func (o *Order) EditCustomer(env Env, u CustomerUpdate) (*Order, error) {
	if u == (CustomerUpdate{}) {
		return nil, kassa.Invalid("customer", "the request changes no customer field")
	}
	if o.Uncaptured == nil && len(o.Captured) == 0 {
		return nil, kassa.Errorf(kassa.EConflict, "order %s is cancelled", o.ID)
	}
	n := o.Clone()
	c := &n.Customer
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Email, u.Email)
	set(&c.Phone, u.Phone)
	set(&c.Reference1, u.Reference1)
	set(&c.Reference2, u.Reference2)
	set(&c.InvoiceChannel.Details, u.InvoiceChannelDetails)
	if u.BillingAddress != nil {
		c.BillingAddress = *u.BillingAddress
	}
	if u.ShippingAddress != nil {
		c.ShippingAddress = *u.ShippingAddress
	}
	if err := c.Validate("customer"); err != nil {
		return nil, err
	}
	n.touch(env, EventEditCustomer, n.FirstLedgerID, 0)
	return n, nil
}

// EditPaymentMethod converts an uncaptured invoice order to advance invoice,
// the one conversion there is.
func (o *Order) EditPaymentMethod(env Env, provider, method string) (*Order, error) {
	if provider != ProviderLedyer || method != AdvanceInvoice {
		return nil, kassa.Invalid("paymentMethod", "the only supported payment method is {provider: %q, type: %q}", ProviderLedyer, AdvanceInvoice)
	}
	if err := o.allow(ActionEditPaymentMethod, env.Now); err != nil {
		return nil, err
	}
	n := o.Clone()
	n.PaymentMethod = AdvanceInvoice
	n.touch(env, EventEditPaymentMethod, n.Uncaptured.LedgerID, n.UncapturedAmount())
	return n, nil
}

// ExtendExpiry moves expiresAt ExpiryExtension later, up to MaxExpiry
// after creation.
func (o *Order) ExtendExpiry(env Env) (*Order, error) {
	if err := o.allow(ActionExtendExpiry, env.Now); err != nil {
		return nil, err
	}
	n := o.Clone()
	n.ExpiresAt = minTime(n.ExpiresAt.Add(ExpiryExtension), n.CreatedAt.Add(MaxExpiry))
	n.touch(env, EventExtendExpiry, n.Uncaptured.LedgerID, 0)
	return n, nil
}

// touch appends an event and stamps the update time.
func (n *Order) touch(env Env, eventType, ledgerID string, amount int64) {
	n.event(env, eventType, ledgerID, amount)
	n.UpdatedAt = env.Now
}

func (n *Order) event(env Env, eventType, ledgerID string, amount int64) {
	n.Events = append(n.Events, Event{
		ID:        env.IDs.New(kassa.PrefixOrderEvent),
		Type:      eventType,
		LedgerID:  ledgerID,
		Amount:    amount,
		CreatedAt: env.Now,
	})
}

// withIDs gives every line a fresh ol_ id.
func withIDs(env Env, lines []Line) []Line {
	out := slices.Clone(lines)
	for i := range out {
		out[i].ID = env.IDs.New(kassa.PrefixOrderLine)
		out[i].Type = normalizeType(out[i].Type)
	}
	return out
}

func sameSign(a, b int64) bool { return (a < 0) == (b < 0) }

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
