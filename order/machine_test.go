package order_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"pgregory.net/rapid"
)

// This file drives orders through long random sequences of operations,
// valid and invalid alike, and compares them after every step with a model
// kept here: plain numbers and flags updated from what each request asked
// for, never from the order the operation returned.

var (
	vatRates  = []int64{0, 600, 1200, 2500}
	lineTypes = []string{order.TypePhysical, order.TypeDigital, order.TypeService, order.TypeShippingFee, order.TypeSurcharge, "", "grouped"}
)

// model is what the test expects of the order.
type model struct {
	initial    int64 // the create event's amount
	editDelta  int64 // Σ (new − old uncaptured total) over accepted edits
	edited     bool
	authorized int64

	hasUncaptured bool
	uncaptured    int64
	captured      int64
	refunded      int64
	cancelled     int64
	chunks        []string         // captured ledgers, oldest first
	refunds       []string         // refund ledgers
	refundedOf    map[string]int64 // captured ledger → refunded of it

	acked, ready, advance bool
	paid                  bool
	readyAt, expiresAt    time.Time
	createdAt             time.Time
	reference             string
}

// machine is one run: the clock, the order and the model.
type machine struct {
	c   *clock
	o   *order.Order
	m   model
	ref int // next unique line reference

	edits    bool      // whether edits are drawn
	outcomes *outcomes // nil or where to count outcomes
}

func newMachine(t *rapid.T, edits bool) *machine {
	mc := &machine{c: newClock(), edits: edits}
	mc.start(t)
	return mc
}

// start creates a new random order at the clock's time and resets the
// model to it.
func (mc *machine) start(t *rapid.T) {
	lines := mc.genLines(t, "initial")
	delay := rapid.SampledFrom([]time.Duration{0, 0, time.Hour}).Draw(t, "delay")
	p := newParams(lines...)
	p.ProcessingDelay = delay
	o, err := order.New(mc.c.env(), p)
	if err != nil {
		t.Fatalf("New(%v) error: %v", lines, err)
	}
	t.Logf("New(%d lines, delay %v) = %s", len(lines), delay, o.ID)
	total, _ := order.Sum(lines)
	mc.o = o
	mc.m = model{
		initial: total, authorized: total,
		hasUncaptured: true, uncaptured: total,
		refundedOf: map[string]int64{},
		ready:      delay == 0, readyAt: mc.c.now.Add(delay),
		expiresAt: mc.c.now.Add(order.DefaultExpiry), createdAt: mc.c.now,
		reference: p.Reference,
	}
}

// done reports whether the order has nothing left to capture or refund.
func (mc *machine) done() bool {
	if mc.m.hasUncaptured {
		return false
	}
	for _, ledger := range mc.m.chunks {
		if mc.left(ledger) > 0 {
			return false
		}
	}
	return true
}

// genLines draws one to five valid lines with unique references and a
// positive total, some of them discounts or gift cards.
func (mc *machine) genLines(t *rapid.T, label string) []order.Line {
	n := rapid.IntRange(1, 5).Draw(t, label+" lines")
	var lines []order.Line
	var sum int64
	for i := range n {
		lo := int64(0)
		if i == 0 {
			lo = 1 // a positive total
		}
		qty := rapid.Int64Range(1, 5).Draw(t, "qty")
		unit := rapid.Int64Range(lo, 200000).Draw(t, "unit")
		vat := rapid.SampledFrom(vatRates).Draw(t, "vat")
		l := order.Line{
			Type: rapid.SampledFrom(lineTypes).Draw(t, "type"), Reference: mc.nextRef(), Description: "item",
			Quantity: qty, VAT: vat, TotalAmount: qty * unit,
		}
		if rapid.Bool().Draw(t, "unit price") {
			l.UnitPrice = ptr(unit)
		}
		l.TotalVATAmount = mc.vatAmount(t, l.TotalAmount, vat)
		sum += l.TotalAmount
		lines = append(lines, l)
	}
	for range rapid.IntRange(0, 2).Draw(t, label+" discounts") {
		if sum < 3 {
			break
		}
		amount := rapid.Int64Range(1, sum/3).Draw(t, "discount")
		l := order.Line{Type: order.TypeDiscount, Reference: mc.nextRef(), Quantity: 1, UnitPrice: ptr(int64(0)), UnitDiscountAmount: amount, TotalAmount: -amount}
		if rapid.Bool().Draw(t, "gift card") {
			l.Type, l.UnitPrice, l.UnitDiscountAmount = order.TypeGiftCard, nil, 0
		} else {
			l.VAT = rapid.SampledFrom(vatRates).Draw(t, "discount vat")
		}
		l.TotalVATAmount = mc.vatAmount(t, l.TotalAmount, l.VAT)
		sum -= amount
		lines = append(lines, l)
	}
	return lines
}

func (mc *machine) nextRef() string {
	mc.ref++
	return fmt.Sprintf("sku-%d", mc.ref)
}

// vatAmount is the VAT portion, sometimes one off where that stays valid.
func (mc *machine) vatAmount(t *rapid.T, total, rate int64) int64 {
	v := money.VATPortion(total, rate) + rapid.Int64Range(-1, 1).Draw(t, "vat off")
	if !money.VATWithin(total, v, rate) {
		v = money.VATPortion(total, rate)
	}
	return v
}

// do runs one operation on the current order and checks what every
// operation must do: leave its input alone; on failure return a
// non-internal *kassa.Error, and the model's expected code when it has
// one; on success append events to the old ones. It returns the next
// order, or nil on failure.
func (mc *machine) do(t *rapid.T, call string, wantCode string, op func() (*order.Order, error)) *order.Order {
	t.Helper()
	before := snapshot(mc.o)
	next, err := op()
	t.Logf("%s at +%v: %v", call, mc.c.now.Sub(t0), err)
	mc.tally(call, err)
	if diff := cmp.Diff(before, mc.o); diff != "" {
		t.Fatalf("%s changed its input (-before +after):\n%s", call, diff)
	}
	if err != nil {
		var e *kassa.Error
		if !errors.As(err, &e) {
			t.Fatalf("%s error = %T %v, want *kassa.Error", call, err, err)
		}
		if e.Code == kassa.EInternal {
			t.Fatalf("%s error code = %q: %v", call, e.Code, err)
		}
		if next != nil {
			t.Fatalf("%s returned an order with its error %v", call, err)
		}
		if wantCode != "?" && e.Code != wantCode {
			t.Fatalf("%s error code = %q, want %q (error: %v)", call, e.Code, wantCode, err)
		}
		return nil
	}
	if wantCode != "?" && wantCode != "" {
		t.Fatalf("%s succeeded, want error %q", call, wantCode)
	}
	if next == nil {
		t.Fatalf("%s returned neither an order nor an error", call)
	}
	if len(next.Events) <= len(mc.o.Events) {
		t.Fatalf("%s succeeded with %d events after %d, want at least one more", call, len(next.Events), len(mc.o.Events))
	}
	if diff := cmp.Diff(mc.o.Events, next.Events[:len(mc.o.Events)]); diff != "" {
		t.Fatalf("%s rewrote earlier events (-before +after):\n%s", call, diff)
	}
	for _, e := range next.Events[len(mc.o.Events):] {
		if !e.CreatedAt.Equal(mc.c.now) {
			t.Fatalf("%s appended event %s at %v, want now %v", call, e.Type, e.CreatedAt, mc.c.now)
		}
	}
	if !next.UpdatedAt.Equal(mc.c.now) {
		t.Fatalf("%s left updatedAt %v, want now %v", call, next.UpdatedAt, mc.c.now)
	}
	return next
}

// tally counts outcomes per operation and error code for outcomes.
func (mc *machine) tally(call string, err error) {
	if mc.outcomes == nil {
		return
	}
	name, _, _ := strings.Cut(call, "(")
	code := kassa.ErrorCode(err)
	if code == "" {
		code = "ok"
	}
	mc.outcomes.Lock()
	mc.outcomes.n[name+" "+code]++
	mc.outcomes.Unlock()
}

// outcomes counts what the operations did across a property's runs, to
// show the generators reach both success and failure.
type outcomes struct {
	sync.Mutex
	n map[string]int
}

// Expectations the model derives.

func (m *model) cancelledOrder() bool { return !m.hasUncaptured && len(m.chunks) == 0 }

func (m *model) allow(action string, now time.Time) string {
	if !m.hasUncaptured {
		return kassa.EConflict
	}
	ok := true
	switch action {
	case order.ActionCapture, order.ActionPartialCapture:
		ok = now.Before(m.expiresAt) && m.ready && (!m.advance || m.acked && m.paid)
	case order.ActionCancel, order.ActionEditOrder:
		ok = !m.advance
	case order.ActionEditPaymentMethod:
		ok = !m.advance && len(m.chunks) == 0
	case order.ActionExtendExpiry:
		ok = m.expiresAt.Before(m.createdAt.Add(order.MaxExpiry))
	}
	if !ok {
		return kassa.EConflict
	}
	return ""
}

func (m *model) status() []string {
	var s []string
	switch {
	case len(m.chunks) == 0 && m.hasUncaptured:
		s = append(s, "uncaptured")
	case len(m.chunks) == 0:
		s = append(s, "cancelled")
	case m.hasUncaptured:
		s = append(s, "partiallyCaptured")
	default:
		s = append(s, "fullyCaptured")
	}
	if m.refunded > 0 && m.refunded == m.captured {
		s = append(s, "fullyRefunded")
	} else if m.refunded > 0 {
		s = append(s, "partiallyRefunded")
	}
	if !m.acked {
		s = append(s, "unacknowledged")
	}
	return s
}

func (m *model) paymentStatus() string {
	switch {
	case m.captured > 0 && m.refunded == m.captured:
		return order.StatusOrderRefunded
	case len(m.chunks) > 0:
		return order.StatusOrderCaptured
	case !m.hasUncaptured:
		return order.StatusOrderCancelled
	case m.ready:
		return order.StatusPaymentConfirmed
	}
	return order.StatusPaymentPending
}

// ledger draws a ledger id: mostly a captured chunk, sometimes another.
func (mc *machine) ledger(t *rapid.T) string {
	if len(mc.m.chunks) > 0 && rapid.IntRange(0, 4).Draw(t, "captured ledger") != 4 {
		return rapid.SampledFrom(mc.m.chunks).Draw(t, "ledger")
	}
	others := append([]string{"in_bogus", mc.o.FirstLedgerID}, mc.m.refunds...)
	return rapid.SampledFrom(others).Draw(t, "other ledger")
}

func (mc *machine) chunk(ledger string) *order.Chunk {
	for i := range mc.o.Captured {
		if mc.o.Captured[i].LedgerID == ledger {
			return &mc.o.Captured[i]
		}
	}
	return nil
}

// leftByRate is what can still be refunded of chunk c, per VAT rate,
// counted from the lines.
func (mc *machine) leftByRate(c *order.Chunk) map[int64]int64 {
	left := map[int64]int64{}
	for _, l := range c.Lines {
		left[l.VAT] += l.TotalAmount
	}
	for _, r := range mc.o.Refunded {
		if r.CapturedLedgerID == c.LedgerID {
			for _, l := range r.Lines {
				left[l.VAT] -= l.TotalAmount
			}
		}
	}
	return left
}

func (mc *machine) left(ledger string) int64 {
	c := mc.chunk(ledger)
	total, _ := c.Totals()
	return total - mc.m.refundedOf[ledger]
}

func (mc *machine) note(t *rapid.T) string {
	switch rapid.IntRange(0, 9).Draw(t, "note") {
	case 0:
		return strings.Repeat("n", 1001)
	case 1, 2:
		return "returned goods"
	}
	return ""
}

// The operations.

func (mc *machine) actions() map[string]func(*rapid.T) {
	a := map[string]func(*rapid.T){
		"advance":           mc.advance,
		"acknowledge":       mc.acknowledge,
		"setReference":      mc.setReference,
		"capture":           mc.capture,
		"partialCapture":    mc.partialCapture,
		"refund":            mc.refund,
		"partialRefund":     mc.partialRefund,
		"cancel":            mc.cancel,
		"cancelChunk":       mc.cancelChunk,
		"editCustomer":      mc.editCustomer,
		"editPaymentMethod": mc.editPaymentMethod,
		"extendExpiry":      mc.extendExpiry,
		"markPaid":          mc.markPaid,
	}
	if mc.edits {
		a["edit"] = mc.edit
	}
	return a
}

func (mc *machine) advance(t *rapid.T) {
	d := rapid.SampledFrom([]time.Duration{0, time.Second, time.Minute, time.Hour, time.Hour, 24 * time.Hour, 24 * time.Hour, 3 * 24 * time.Hour, 15 * 24 * time.Hour}).Draw(t, "advance")
	mc.c.advance(d)
	// The scheduler marks orders ready once their delay has passed.
	next, ok := mc.o.MarkReady(mc.c.env())
	want := mc.m.hasUncaptured && !mc.m.ready && !mc.c.now.Before(mc.m.readyAt)
	t.Logf("advance %v, MarkReady = %v", d, ok)
	if ok != want {
		t.Fatalf("MarkReady at +%v = %v, want %v", mc.c.now.Sub(t0), ok, want)
	}
	if !ok {
		if next != mc.o {
			t.Fatalf("MarkReady without effect returned another order")
		}
		return
	}
	if got := eventTypes(next, len(mc.o.Events)); !slices.Equal(got, []string{order.EventReadyForCapture}) || !slices.Equal(next.Events[:len(mc.o.Events)], mc.o.Events) {
		t.Fatalf("MarkReady appended %v, want [readyForCapture]", got)
	}
	mc.m.ready = true
	mc.o = next
}

func (mc *machine) acknowledge(t *rapid.T) {
	mc.c.advance(time.Second)
	before := snapshot(mc.o)
	next := mc.o.Acknowledge(mc.c.env())
	if diff := cmp.Diff(before, mc.o); diff != "" {
		t.Fatalf("Acknowledge changed its input (-before +after):\n%s", diff)
	}
	if mc.m.acked {
		if next != mc.o {
			t.Fatalf("repeated Acknowledge returned another order")
		}
		return
	}
	if got := eventTypes(next, len(mc.o.Events)); !slices.Equal(got, []string{order.EventAcknowledge}) {
		t.Fatalf("Acknowledge appended %v, want [acknowledge]", got)
	}
	mc.m.acked = true
	mc.o = next
}

func (mc *machine) setReference(t *rapid.T) {
	ref := strings.Repeat("r", rapid.IntRange(0, 55).Draw(t, "reference length"))
	want := ""
	if len(ref) > 50 {
		want = kassa.EInvalid
	}
	if next := mc.do(t, "SetReference", want, func() (*order.Order, error) { return mc.o.SetReference(mc.c.env(), ref) }); next != nil {
		mc.m.reference = ref
		mc.o = next
	}
}

func (mc *machine) capture(t *rapid.T) {
	u := mc.m.uncaptured
	var amount int64
	switch rapid.IntRange(0, 4).Draw(t, "capture amount") {
	case 0, 1, 2:
		amount = u
	case 3:
		amount = u + rapid.Int64Range(-3, 3).Draw(t, "off by")
	default:
		amount = rapid.Int64Range(-10, 600000).Draw(t, "any amount")
	}
	var lines []order.Line
	if amount == u && mc.o.Uncaptured != nil && rapid.Bool().Draw(t, "stored lines") {
		lines = cleanLines(mc.o.Uncaptured.Lines)
	} else {
		typ := order.TypePhysical
		if amount < 0 {
			typ = order.TypeDiscount
		}
		lines = []order.Line{{Type: typ, Reference: "all", Quantity: 1, TotalAmount: amount}}
	}
	sum, _ := order.Sum(lines)
	stated := sum
	if rapid.IntRange(0, 9).Draw(t, "misstate") == 0 {
		stated += rapid.SampledFrom([]int64{-1, 1}).Draw(t, "stated off")
	}
	want := mc.m.allow(order.ActionCapture, mc.c.now)
	if want == "" && (stated != sum || sum <= 0 || sum != u) {
		want = kassa.EInvalid
	}
	req := order.CaptureRequest{Lines: lines, TotalAmount: stated}
	next := mc.do(t, fmt.Sprintf("Capture(%d of %d)", stated, u), want, func() (*order.Order, error) { return mc.o.Capture(mc.c.env(), req) })
	if next == nil {
		return
	}
	if got := eventTypes(next, len(mc.o.Events)); !slices.Equal(got, []string{order.EventFullCapture}) {
		t.Fatalf("Capture appended %v, want [fullCapture]", got)
	}
	mc.m.captured += u
	mc.m.uncaptured = 0
	mc.m.hasUncaptured = false
	mc.m.chunks = append(mc.m.chunks, next.Captured[len(next.Captured)-1].LedgerID)
	mc.o = next
}

// cleanLines copies lines as a client would send them back: no ids, no
// unit price, the VAT amount recomputed.
func cleanLines(lines []order.Line) []order.Line {
	out := make([]order.Line, len(lines))
	for i, l := range lines {
		out[i] = order.Line{Type: l.Type, Reference: l.Reference, Description: l.Description, Quantity: l.Quantity,
			VAT: l.VAT, TotalAmount: l.TotalAmount, TotalVATAmount: money.VATPortion(l.TotalAmount, l.VAT)}
	}
	return out
}

func (mc *machine) partialCapture(t *rapid.T) {
	var lines []order.Line
	if mc.o.Uncaptured != nil {
		u := mc.o.Uncaptured.Lines
		picks := rapid.SliceOfNDistinct(rapid.IntRange(0, len(u)-1), 1, len(u), rapid.ID[int]).Draw(t, "picked lines")
		for _, i := range picks {
			l := u[i]
			switch rapid.IntRange(0, 6).Draw(t, "capture mode") {
			case 0, 1: // with id, whole, as stored
				r := l
				r.UnitPrice = nil // it may no longer hold once part of the line was taken
				lines = append(lines, r)
			case 2: // with id, but other amounts
				r := cleanLines([]order.Line{l})[0]
				r.ID = l.ID
				r.Quantity++
				lines = append(lines, r)
			case 3: // without id, whole
				lines = append(lines, cleanLines([]order.Line{l})...)
			case 4, 5: // without id, part
				r := cleanLines([]order.Line{l})[0]
				if l.Quantity > 1 {
					r.Quantity = rapid.Int64Range(1, l.Quantity-1).Draw(t, "part quantity")
					r.TotalAmount = l.TotalAmount * r.Quantity / l.Quantity
					r.TotalVATAmount = mc.vatAmount(t, r.TotalAmount, r.VAT)
				}
				lines = append(lines, r)
			default: // unknown reference
				r := cleanLines([]order.Line{l})[0]
				r.Reference = "unknown"
				lines = append(lines, r)
			}
		}
	} else {
		lines = []order.Line{line(order.TypePhysical, "sku-1", 1, 100, 0)}
	}
	sum, _ := order.Sum(lines)
	stated := sum
	if rapid.IntRange(0, 9).Draw(t, "misstate") == 0 {
		stated++
	}
	want := "?" // the matching is too intricate to predict here
	if code := mc.m.allow(order.ActionPartialCapture, mc.c.now); code != "" {
		want = code
	} else if stated != sum || sum <= 0 {
		want = kassa.EInvalid
	}
	req := order.CaptureRequest{Lines: lines, TotalAmount: stated}
	next := mc.do(t, fmt.Sprintf("PartialCapture(%d of %d)", stated, mc.m.uncaptured), want, func() (*order.Order, error) { return mc.o.PartialCapture(mc.c.env(), req) })
	if next == nil {
		return
	}
	if got := eventTypes(next, len(mc.o.Events)); !slices.Equal(got, []string{order.EventPartialCapture}) {
		t.Fatalf("PartialCapture appended %v, want [partialCapture]", got)
	}
	if sum > mc.m.uncaptured {
		t.Fatalf("PartialCapture(%d) accepted more than the %d uncaptured", sum, mc.m.uncaptured)
	}
	mc.m.captured += sum
	mc.m.uncaptured -= sum
	mc.m.hasUncaptured = next.Uncaptured != nil
	if mc.m.hasUncaptured != (mc.m.uncaptured != 0) {
		t.Fatalf("PartialCapture(%d) left uncaptured %v with %d to capture", sum, next.Uncaptured != nil, mc.m.uncaptured)
	}
	mc.m.chunks = append(mc.m.chunks, next.Captured[len(next.Captured)-1].LedgerID)
	mc.o = next
}

func (mc *machine) refund(t *rapid.T) {
	ledger := mc.ledger(t)
	note := mc.note(t)
	want := ""
	switch {
	case !slices.Contains(mc.m.chunks, ledger):
		want = kassa.ENotFound
	case len(note) > 1000:
		want = kassa.EInvalid
	case mc.left(ledger) <= 0:
		want = kassa.EConflict
	}
	next := mc.do(t, "Refund("+ledger+")", want, func() (*order.Order, error) { return mc.o.Refund(mc.c.env(), ledger, note) })
	if next == nil {
		return
	}
	if got := eventTypes(next, len(mc.o.Events)); !slices.Equal(got, []string{order.EventFullRefund}) {
		t.Fatalf("Refund appended %v, want [fullRefund]", got)
	}
	left := mc.left(ledger)
	mc.m.refunded += left
	mc.m.refundedOf[ledger] += left
	mc.m.refunds = append(mc.m.refunds, next.Refunded[len(next.Refunded)-1].LedgerID)
	mc.o = next
}

func (mc *machine) partialRefund(t *rapid.T) {
	ledger := mc.ledger(t)
	note := mc.note(t)
	var left int64
	var leftAt map[int64]int64
	if c := mc.chunk(ledger); c != nil {
		left, leftAt = mc.left(ledger), mc.leftByRate(c)
	}
	// Mostly rates with something left, sometimes any rate.
	var rates []int64
	for _, r := range slices.Sorted(maps.Keys(leftAt)) {
		if leftAt[r] > 0 {
			rates = append(rates, r, r, r)
		}
	}
	rates = append(rates, vatRates...)
	var lines []order.Line
	for range rapid.IntRange(1, 3).Draw(t, "refund lines") {
		rate := rapid.SampledFrom(rates).Draw(t, "refund vat")
		at := leftAt[rate]
		var amount int64
		switch rapid.IntRange(0, 6).Draw(t, "refund amount") {
		case 0, 1, 2, 3: // a part of what is left at the rate
			amount = rapid.Int64Range(1, max(at/2, 1)).Draw(t, "amount")
		case 4:
			amount = at
		case 5:
			amount = at + 1
		default:
			amount = -rapid.Int64Range(1, 5000).Draw(t, "negative")
		}
		typ := rapid.SampledFrom([]string{order.TypePhysical, order.TypeService, ""}).Draw(t, "refund type")
		if amount < 0 {
			typ = order.TypeDiscount
		}
		lines = append(lines, order.Line{Type: typ, Reference: "r", Quantity: 1, VAT: rate, TotalAmount: amount, TotalVATAmount: mc.vatAmount(t, amount, rate)})
	}
	sum, _ := order.Sum(lines)
	stated := sum
	if rapid.IntRange(0, 9).Draw(t, "misstate") == 0 {
		stated--
	}

	want := ""
	exceedsRate := false
	for rate, amount := range byRate(lines) {
		if amount > leftAt[rate] {
			exceedsRate = true
		}
	}
	switch {
	case !slices.Contains(mc.m.chunks, ledger):
		want = kassa.ENotFound
	case len(note) > 1000:
		want = kassa.EInvalid
	case left <= 0:
		want = kassa.EConflict
	case stated != sum || sum <= 0:
		want = kassa.EInvalid
	case sum > left || exceedsRate:
		want = kassa.EConflict
	}
	req := order.RefundRequest{Lines: lines, TotalAmount: stated, Note: note}
	next := mc.do(t, fmt.Sprintf("PartialRefund(%s, %d of %d)", ledger, stated, left), want, func() (*order.Order, error) {
		return mc.o.PartialRefund(mc.c.env(), ledger, req)
	})
	if next == nil {
		return
	}
	if got := eventTypes(next, len(mc.o.Events)); !slices.Equal(got, []string{order.EventPartialRefund}) {
		t.Fatalf("PartialRefund appended %v, want [partialRefund]", got)
	}
	mc.m.refunded += sum
	mc.m.refundedOf[ledger] += sum
	mc.m.refunds = append(mc.m.refunds, next.Refunded[len(next.Refunded)-1].LedgerID)
	mc.o = next
}

func byRate(lines []order.Line) map[int64]int64 {
	m := map[int64]int64{}
	for _, l := range lines {
		m[l.VAT] += l.TotalAmount
	}
	return m
}

func (mc *machine) cancelled(next *order.Order) {
	mc.m.cancelled += mc.m.uncaptured
	mc.m.uncaptured = 0
	mc.m.hasUncaptured = false
	mc.o = next
}

func (mc *machine) cancel(t *rapid.T) {
	if next := mc.do(t, "Cancel", mc.m.allow(order.ActionCancel, mc.c.now), func() (*order.Order, error) { return mc.o.Cancel(mc.c.env()) }); next != nil {
		mc.cancelled(next)
	}
}

func (mc *machine) cancelChunk(t *rapid.T) {
	choices := []string{"in_bogus"}
	choices = append(choices, mc.m.chunks...)
	choices = append(choices, mc.m.refunds...)
	if mc.o.Uncaptured != nil {
		choices = append(choices, mc.o.Uncaptured.LedgerID, mc.o.Uncaptured.LedgerID)
	} else {
		choices = append(choices, mc.o.FirstLedgerID)
	}
	ledger := rapid.SampledFrom(choices).Draw(t, "cancel ledger")
	want := kassa.ENotFound
	switch {
	case mc.o.Uncaptured != nil && ledger == mc.o.Uncaptured.LedgerID:
		want = mc.m.allow(order.ActionCancel, mc.c.now)
	case slices.Contains(mc.m.chunks, ledger) || slices.Contains(mc.m.refunds, ledger):
		want = kassa.EConflict
	}
	if next := mc.do(t, "CancelChunk("+ledger+")", want, func() (*order.Order, error) { return mc.o.CancelChunk(mc.c.env(), ledger) }); next != nil {
		mc.cancelled(next)
	}
}

func (mc *machine) edit(t *rapid.T) {
	var lines []order.Line
	if rapid.IntRange(0, 9).Draw(t, "edit only discount") == 0 {
		lines = []order.Line{discount(mc.nextRef(), 100, 2500)}
	} else {
		lines = mc.genLines(t, "edit")
		if rapid.Bool().Draw(t, "edit larger") {
			// Scale up to reach above the authorized amount now and then.
			k := rapid.Int64Range(2, 4).Draw(t, "scale")
			for i := range lines {
				lines[i].Quantity *= k
				lines[i].TotalAmount *= k
				lines[i].TotalVATAmount = money.VATPortion(lines[i].TotalAmount, lines[i].VAT)
			}
		}
	}
	totals := totalsOf(lines...)
	misstated := rapid.IntRange(0, 9).Draw(t, "misstate") == 0
	if misstated {
		totals.VATAmount++
	}
	approve := rapid.Bool().Draw(t, "approve")
	sum, _ := order.Sum(lines)
	newTotal := mc.m.captured + sum

	want := mc.m.allow(order.ActionEditOrder, mc.c.now)
	if want == "" {
		switch {
		case misstated || sum <= 0:
			want = kassa.EInvalid
		case newTotal > mc.m.authorized && !approve:
			want = kassa.ERejected
		}
	}
	var asked []int64
	approver := func(total int64) error {
		asked = append(asked, total)
		if !approve {
			return kassa.Errorf(kassa.ERejected, "declined")
		}
		return nil
	}
	req := order.EditRequest{Lines: lines, Totals: totals}
	next := mc.do(t, fmt.Sprintf("Edit(%d, approve %v)", sum, approve), want, func() (*order.Order, error) { return mc.o.Edit(mc.c.env(), req, approver) })
	var wantAsked []int64
	if want == "" || want == kassa.ERejected {
		if newTotal > mc.m.authorized {
			wantAsked = []int64{newTotal}
		}
	}
	if !slices.Equal(asked, wantAsked) {
		t.Fatalf("Edit asked the approver about %v, want %v", asked, wantAsked)
	}
	if next == nil {
		return
	}
	wantEvents := []string{order.EventEdit}
	if newTotal > mc.m.authorized {
		wantEvents = []string{order.EventAuthorize, order.EventEdit}
		mc.m.authorized = newTotal
	}
	if got := eventTypes(next, len(mc.o.Events)); !slices.Equal(got, wantEvents) {
		t.Fatalf("Edit appended %v, want %v", got, wantEvents)
	}
	mc.m.editDelta += sum - mc.m.uncaptured
	mc.m.edited = true
	mc.m.uncaptured = sum
	mc.o = next
}

func (mc *machine) editCustomer(t *rapid.T) {
	var u order.CustomerUpdate
	email := rapid.SampledFrom([]string{"", "ok@kulor.com", "bad", "no@"}).Draw(t, "email")
	if email != "" {
		u.Email = &email
	}
	if rapid.Bool().Draw(t, "phone") {
		u.Phone = ptr("0701234567")
	}
	want := ""
	switch {
	case u == (order.CustomerUpdate{}):
		want = kassa.EInvalid
	case mc.m.cancelledOrder():
		want = kassa.EConflict
	case email == "bad" || email == "no@":
		want = kassa.EInvalid
	}
	if next := mc.do(t, "EditCustomer("+email+")", want, func() (*order.Order, error) { return mc.o.EditCustomer(mc.c.env(), u) }); next != nil {
		mc.o = next
	}
}

func (mc *machine) editPaymentMethod(t *rapid.T) {
	pm := rapid.SampledFrom([][2]string{
		{order.ProviderLedyer, order.AdvanceInvoice}, {order.ProviderLedyer, order.AdvanceInvoice},
		{order.ProviderLedyer, order.Invoice}, {"klarna", order.AdvanceInvoice},
	}).Draw(t, "payment method")
	want := mc.m.allow(order.ActionEditPaymentMethod, mc.c.now)
	if pm != [2]string{order.ProviderLedyer, order.AdvanceInvoice} {
		want = kassa.EInvalid
	}
	if next := mc.do(t, "EditPaymentMethod("+pm[1]+")", want, func() (*order.Order, error) { return mc.o.EditPaymentMethod(mc.c.env(), pm[0], pm[1]) }); next != nil {
		mc.m.advance = true
		mc.o = next
	}
}

// markPaid is the buyer paying: the order's invoices, or an advance
// invoice order's advance invoice, which lets it be captured.
func (mc *machine) markPaid(t *rapid.T) {
	mc.c.advance(time.Second)
	before := snapshot(mc.o)
	next, ok := mc.o.MarkPaid(mc.c.env(), mc.o.Amount())
	if diff := cmp.Diff(before, mc.o); diff != "" {
		t.Fatalf("MarkPaid changed its input (-before +after):\n%s", diff)
	}
	if ok == mc.m.paid || (!ok && next != mc.o) {
		t.Fatalf("MarkPaid = %v on an order paid %v", ok, mc.m.paid)
	}
	if ok {
		if got := eventTypes(next, len(mc.o.Events)); !slices.Equal(got, []string{order.EventPaid}) {
			t.Fatalf("MarkPaid appended %v, want [paid]", got)
		}
		mc.m.paid = true
		mc.o = next
	}
}

func (mc *machine) extendExpiry(t *rapid.T) {
	if next := mc.do(t, "ExtendExpiry", mc.m.allow(order.ActionExtendExpiry, mc.c.now), func() (*order.Order, error) { return mc.o.ExtendExpiry(mc.c.env()) }); next != nil {
		mc.m.expiresAt = mc.m.expiresAt.Add(order.ExpiryExtension)
		if limit := mc.m.createdAt.Add(order.MaxExpiry); mc.m.expiresAt.After(limit) {
			mc.m.expiresAt = limit
		}
		mc.o = next
	}
}

// schedule lists the operations with their weights while something is
// uncaptured (open) and once nothing is (closed). The productive ones come
// first since rapid favours the start of a list; those that end the
// uncaptured part come last and rarest, so orders live long.
var schedule = []struct {
	name         string
	open, closed int
}{
	{"partialCapture", 5, 1}, {"partialRefund", 2, 5}, {"edit", 4, 1}, {"advance", 3, 1},
	{"capture", 2, 1}, {"refund", 2, 3}, {"extendExpiry", 2, 1},
	{"acknowledge", 1, 1}, {"setReference", 1, 1}, {"editCustomer", 1, 1},
	{"editPaymentMethod", 1, 1}, {"markPaid", 1, 1}, {"cancelChunk", 1, 1}, {"cancel", 1, 1},
}

// run performs a long random sequence of operations, calling check after
// each one. An order with nothing left to capture or refund is, now and
// then, replaced by a new one, so most steps have something to work on.
func (mc *machine) run(t *rapid.T, check func(*rapid.T, *machine)) {
	actions := mc.actions()
	// In half the runs orders are never cancelled on purpose, so they
	// live long enough for many captures and refunds.
	cancels := rapid.Bool().Draw(t, "cancels")
	var open, closed []string
	for _, s := range schedule {
		if actions[s.name] == nil || (!cancels && (s.name == "cancel" || s.name == "cancelChunk")) {
			continue
		}
		for range s.open {
			open = append(open, s.name)
		}
		for range s.closed {
			closed = append(closed, s.name)
		}
	}
	check(t, mc)
	// rapid favours small numbers, so the floor keeps sequences long.
	steps := 40 + rapid.IntRange(0, 160).Draw(t, "steps")
	for range steps {
		// Each step moves the clock on a little.
		mc.c.advance(time.Second)
		if mc.done() && rapid.IntRange(0, 3).Draw(t, "next order") == 3 {
			mc.start(t)
			check(t, mc)
		}
		names := open
		if !mc.m.hasUncaptured {
			names = closed
		}
		actions[rapid.SampledFrom(names).Draw(t, "op")](t)
		check(t, mc)
	}
}

// checkInvariants is everything that must hold after every step.
func checkInvariants(t *rapid.T, mc *machine) {
	o, m, now := mc.o, &mc.m, mc.c.now
	if err := o.Check(); err != nil {
		t.Fatalf("Check() = %v", err)
	}
	if o.CapturedAmount() > o.AuthorizedAmount {
		t.Fatalf("captured %d > authorized %d", o.CapturedAmount(), o.AuthorizedAmount)
	}

	// Totals, recounted from the lines.
	var captured, refunded int64
	for i := range o.Captured {
		c := &o.Captured[i]
		total, vat := c.Totals()
		if wt, wv := sumLines(c.Lines); total != wt || vat != wv {
			t.Fatalf("chunk %s Totals() = %d, %d, want %d, %d", c.LedgerID, total, vat, wt, wv)
		}
		captured += total
		invoiced := byRate(c.Lines)
		var creditedTotal int64
		credited := map[int64]int64{}
		for _, r := range o.Refunded {
			if r.CapturedLedgerID == c.LedgerID {
				for _, l := range r.Lines {
					creditedTotal += l.TotalAmount
					credited[l.VAT] += l.TotalAmount
				}
			}
		}
		if creditedTotal > total {
			t.Fatalf("chunk %s: refunded %d > captured %d", c.LedgerID, creditedTotal, total)
		}
		for rate, amount := range credited {
			if amount > invoiced[rate] {
				t.Fatalf("chunk %s: refunded %d > invoiced %d at vat %d", c.LedgerID, amount, invoiced[rate], rate)
			}
		}
		if creditedTotal != m.refundedOf[c.LedgerID] {
			t.Fatalf("chunk %s: refunded %d, model %d", c.LedgerID, creditedTotal, m.refundedOf[c.LedgerID])
		}
		if got := o.RefundableOf(c); got != total-creditedTotal {
			t.Fatalf("RefundableOf(%s) = %d, want %d", c.LedgerID, got, total-creditedTotal)
		}
		wantActions := []string{}
		if total > creditedTotal {
			wantActions = []string{order.ActionRefund, order.ActionPartialRefund}
		}
		gotActions := o.CapturedActions(c)
		if !slices.Equal(gotActions, wantActions) {
			t.Fatalf("CapturedActions(%s) = %v, want %v", c.LedgerID, gotActions, wantActions)
		}
	}
	for _, r := range o.Refunded {
		total, _ := sumLines(r.Lines)
		refunded += total
	}
	var uncaptured int64
	if o.Uncaptured != nil {
		uncaptured, _ = sumLines(o.Uncaptured.Lines)
	}
	if o.CapturedAmount() != captured || o.RefundedAmount() != refunded || o.UncapturedAmount() != uncaptured {
		t.Fatalf("CapturedAmount, RefundedAmount, UncapturedAmount = %d, %d, %d, want %d, %d, %d",
			o.CapturedAmount(), o.RefundedAmount(), o.UncapturedAmount(), captured, refunded, uncaptured)
	}
	if o.CapturedAmount()+o.UncapturedAmount() != o.Amount() {
		t.Fatalf("captured %d + uncaptured %d != Amount() %d", o.CapturedAmount(), o.UncapturedAmount(), o.Amount())
	}

	// The model.
	got := model{
		hasUncaptured: o.Uncaptured != nil, uncaptured: o.UncapturedAmount(), captured: o.CapturedAmount(),
		refunded: o.RefundedAmount(), cancelled: o.CancelledAmount, authorized: o.AuthorizedAmount,
		acked: o.Acknowledged, ready: o.Ready, advance: o.PaymentMethod == order.AdvanceInvoice, paid: o.Paid,
		expiresAt: o.ExpiresAt, reference: o.Reference,
	}
	want := model{
		hasUncaptured: m.hasUncaptured, uncaptured: m.uncaptured, captured: m.captured,
		refunded: m.refunded, cancelled: m.cancelled, authorized: m.authorized,
		acked: m.acked, ready: m.ready, advance: m.advance, paid: m.paid,
		expiresAt: m.expiresAt, reference: m.reference,
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(model{})); diff != "" {
		t.Fatalf("order differs from the model (-want +got):\n%s", diff)
	}
	var ledgers []string
	for _, c := range o.Captured {
		ledgers = append(ledgers, c.LedgerID)
	}
	if !slices.Equal(ledgers, m.chunks) {
		t.Fatalf("captured ledgers %v, want %v", ledgers, m.chunks)
	}

	if diff := cmp.Diff(m.status(), o.Status()); diff != "" {
		t.Fatalf("Status() (-want +got):\n%s", diff)
	}
	if got, want := o.PaymentStatus(), m.paymentStatus(); got != want {
		t.Fatalf("PaymentStatus() = %q, want %q", got, want)
	}

	// availableActions agree with the model and with the operations.
	listed := o.UncapturedActions(now)
	var wantListed []string
	for _, a := range []string{order.ActionCapture, order.ActionPartialCapture, order.ActionCancel, order.ActionEditOrder, order.ActionEditPaymentMethod, order.ActionExtendExpiry} {
		if m.allow(a, now) == "" {
			wantListed = append(wantListed, a)
		}
	}
	if !slices.Equal(listed, wantListed) {
		t.Fatalf("UncapturedActions(+%v) = %v, want %v", now.Sub(t0), listed, wantListed)
	}
	before := snapshot(o)
	side := order.Env{Now: now, IDs: &seqIDs{}}
	for _, a := range []string{order.ActionCapture, order.ActionPartialCapture, order.ActionCancel, order.ActionEditOrder, order.ActionEditPaymentMethod, order.ActionExtendExpiry} {
		err := tryUncapturedAction(o, side, a)
		if in := slices.Contains(listed, a); in != (err == nil) {
			t.Fatalf("%s listed %v, but the operation returns %v", a, in, err)
		}
	}
	for i := range o.Captured {
		c := &o.Captured[i]
		in := len(o.CapturedActions(c)) > 0
		for _, a := range []string{order.ActionRefund, order.ActionPartialRefund} {
			if err := tryCapturedAction(o, side, c, a); in != (err == nil) {
				t.Fatalf("%s of %s listed %v, but the operation returns %v", a, c.LedgerID, in, err)
			}
		}
	}
	if diff := cmp.Diff(before, o); diff != "" {
		t.Fatalf("trying the actions changed the order (-before +after):\n%s", diff)
	}
}

func sumLines(lines []order.Line) (total, vat int64) {
	for _, l := range lines {
		total += l.TotalAmount
		vat += l.TotalVATAmount
	}
	return total, vat
}

// checkConservation is the money accounting. Edits are the only operation
// that changes an order's amount, so without them the created total is
// always split between captured, uncaptured and cancelled; with them the
// split total moves by exactly the edits' differences. The events are a
// complete ledger: replaying their amounts gives every total back.
func checkConservation(t *rapid.T, mc *machine) {
	o, m := mc.o, &mc.m
	split := o.CapturedAmount() + o.UncapturedAmount() + o.CancelledAmount
	if !m.edited && split != m.initial {
		t.Fatalf("captured %d + uncaptured %d + cancelled %d = %d, want the created %d",
			o.CapturedAmount(), o.UncapturedAmount(), o.CancelledAmount, split, m.initial)
	}
	if split != m.initial+m.editDelta {
		t.Fatalf("captured + uncaptured + cancelled = %d, want created %d + edits %d", split, m.initial, m.editDelta)
	}
	if o.Amount() > o.AuthorizedAmount || o.RefundedAmount() > o.CapturedAmount() || o.CancelledAmount < 0 {
		t.Fatalf("amount %d, authorized %d, captured %d, refunded %d, cancelled %d out of order",
			o.Amount(), o.AuthorizedAmount, o.CapturedAmount(), o.RefundedAmount(), o.CancelledAmount)
	}
	if !m.edited && o.AuthorizedAmount != m.initial {
		t.Fatalf("authorized %d without edits, want the created %d", o.AuthorizedAmount, m.initial)
	}

	// Replay the events.
	var r struct{ created, authorized, uncaptured, captured, refunded, cancelled int64 }
	for _, e := range o.Events {
		switch e.Type {
		case order.EventCreate:
			r.created, r.uncaptured = e.Amount, e.Amount
		case order.EventAuthorize:
			if e.Amount < r.authorized {
				t.Fatalf("authorize event of %d after %d lowers the authorization", e.Amount, r.authorized)
			}
			r.authorized = e.Amount
		case order.EventFullCapture, order.EventPartialCapture:
			r.captured += e.Amount
			r.uncaptured -= e.Amount
		case order.EventFullRefund, order.EventPartialRefund:
			r.refunded += e.Amount
		case order.EventCancel:
			r.cancelled += e.Amount
			r.uncaptured -= e.Amount
		case order.EventEdit:
			r.uncaptured = e.Amount
		}
	}
	got := [6]int64{r.created, r.authorized, r.uncaptured, r.captured, r.refunded, r.cancelled}
	want := [6]int64{m.initial, o.AuthorizedAmount, o.UncapturedAmount(), o.CapturedAmount(), o.RefundedAmount(), o.CancelledAmount}
	if got != want {
		t.Fatalf("replayed events give created, authorized, uncaptured, captured, refunded, cancelled = %v, want %v", got, want)
	}
	if o.Uncaptured == nil && r.uncaptured != 0 {
		t.Fatalf("nothing uncaptured, but the events leave %d", r.uncaptured)
	}
}

func TestOrderStateMachine(t *testing.T) {
	seen := &outcomes{n: map[string]int{}}
	rapid.Check(t, func(t *rapid.T) {
		mc := newMachine(t, true)
		mc.outcomes = seen
		mc.run(t, checkInvariants)
	})
	t.Logf("outcomes: %v", seen.n)
	requireOutcomes(t, seen.n)
}

// requireOutcomes fails when a long run never saw an operation succeed
// or never saw it fail: the generators would then be too narrow.
func requireOutcomes(t *testing.T, n map[string]int) {
	t.Helper()
	total := 0
	for _, k := range n {
		total += k
	}
	if total < 3000 {
		return // a short run (-rapid.checks) proves nothing either way
	}
	for _, want := range []string{
		"SetReference ok", "SetReference invalid_request",
		"Capture ok", "Capture conflict", "Capture invalid_request",
		"PartialCapture ok", "PartialCapture conflict", "PartialCapture invalid_request",
		"Refund ok", "Refund conflict", "Refund not_found", "Refund invalid_request",
		"PartialRefund ok", "PartialRefund conflict", "PartialRefund not_found", "PartialRefund invalid_request",
		"Cancel ok", "Cancel conflict",
		"CancelChunk ok", "CancelChunk conflict", "CancelChunk not_found",
		"Edit ok", "Edit conflict", "Edit invalid_request", "Edit rejected",
		"EditCustomer ok", "EditCustomer invalid_request", // its conflict (a cancelled order) is rare here; TestEditCustomer has it
		"EditPaymentMethod ok", "EditPaymentMethod conflict", "EditPaymentMethod invalid_request",
		"ExtendExpiry ok", "ExtendExpiry conflict",
	} {
		if n[want] == 0 {
			t.Errorf("in %d operations never %q", total, want)
		}
	}
}

func TestMoneyConservation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		newMachine(t, rapid.Bool().Draw(t, "edits")).run(t, checkConservation)
	})
}
