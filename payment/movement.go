package payment

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/kassa-pay/kassa"
)

// Movement kinds, as Begin takes them.
const (
	KindCapture = "capture"
	KindRefund  = "refund"
	KindCancel  = "cancel"
)

// Captured is the sum of the payment's succeeded captures.
func (p *Payment) Captured() int64 { return sum(p.Captures, Succeeded) }

// Refunded is the sum of the payment's succeeded refunds.
func (p *Payment) Refunded() int64 { return sum(p.Refunds, Succeeded) }

// Capturable is what a new capture may take: the authorization less what
// is captured and what pending captures have reserved.
func (p *Payment) Capturable() int64 {
	if p.Status == PaymentCanceled || p.pendingCancel() != nil {
		return 0
	}
	return p.Amount - p.Captured() - sum(p.Captures, Pending)
}

// Refundable is what a new refund may take: what is captured less what is
// refunded and what pending refunds have reserved.
func (p *Payment) Refundable() int64 {
	return p.Captured() - p.Refunded() - sum(p.Refunds, Pending)
}

// Reserved is what pending movements of kind hold back.
func (p *Payment) Reserved(kind string) int64 { return sum(*p.list(kind), Pending) }

func sum(ms []Movement, status string) int64 {
	var n int64
	for _, m := range ms {
		if m.Status == status {
			n += m.Amount
		}
	}
	return n
}

// MovementRequest asks for a capture, refund or cancellation.
type MovementRequest struct {
	// Key is the caller's idempotency key: a request with the key of an
	// existing movement is that movement again, never a second one.
	Key string
	// Amount 0 means all that is left to capture or refund.
	Amount    int64
	CreatedBy string
	Reason    string // refunds
	Note      string // refunds
}

const (
	maxKey  = 255
	maxNote = 1000
)

// Begin records the intent to move money (or cancel) before the provider
// is called, reserving the amount. It returns the next payment and the
// movement to send; the movement's ID is the provider's idempotency key.
//
// A request whose Key names an existing movement returns that movement:
// still pending, its attempt is counted and it should be sent again with
// the same ID; settled, the payment is returned unchanged and the caller
// answers with the recorded outcome.
func (p *Payment) Begin(env Env, kind string, r MovementRequest) (*Payment, *Movement, error) {
	if len(r.Key) > maxKey {
		return nil, nil, kassa.Invalid("Idempotency-Key", "the idempotency key is longer than %d characters", maxKey)
	}
	if len(r.Note) > maxNote || len(r.Reason) > maxNote || len(r.CreatedBy) > maxNote {
		return nil, nil, kassa.Invalid("note", "note, reason and createdBy are limited to %d characters", maxNote)
	}
	if r.Amount < 0 {
		return nil, nil, kassa.Invalid("amount", "amount must not be negative")
	}
	if r.Key != "" {
		if i, list := p.find(kind, func(m *Movement) bool { return m.Key == r.Key }); i >= 0 {
			m := list[i]
			if r.Amount != 0 && r.Amount != m.Amount && kind != KindCancel {
				return nil, nil, kassa.Errorf(kassa.EIdempotencyMismatch, "this idempotency key was used for a %s of %d", kind, m.Amount)
			}
			if m.Status != Pending {
				return p, &m, nil
			}
			n := p.clone(env)
			_, nl := n.find(kind, func(x *Movement) bool { return x.ID == m.ID })
			nl[i].Attempts++
			nl[i].UpdatedAt = n.UpdatedAt
			return n, &nl[i], nil
		}
	}
	var (
		prefix    string
		available int64
	)
	switch kind {
	case KindCapture:
		if err := p.checkNotCanceled(); err != nil {
			return nil, nil, err
		}
		prefix, available = PrefixCapture, p.Capturable()
		if available == 0 {
			return nil, nil, kassa.Errorf(kassa.EConflict, "payment %s has nothing left to capture", p.ID)
		}
	case KindRefund:
		prefix, available = PrefixRefund, p.Refundable()
		if available == 0 {
			return nil, nil, kassa.Errorf(kassa.EConflict, "payment %s has nothing captured left to refund", p.ID)
		}
	case KindCancel:
		if p.Status == PaymentCanceled {
			m := p.Cancels[len(p.Cancels)-1]
			return p, &m, nil
		}
		if m := p.pendingCancel(); m != nil {
			n := p.clone(env)
			nm := &n.Cancels[len(n.Cancels)-1]
			nm.Attempts++
			nm.UpdatedAt = n.UpdatedAt
			return n, nm, nil
		}
		if p.Captured() > 0 || sum(p.Captures, Pending) > 0 {
			return nil, nil, kassa.Errorf(kassa.EConflict, "payment %s has captures and cannot be canceled; refund it instead", p.ID)
		}
		prefix = PrefixCancel
	default:
		return nil, nil, kassa.Errorf(kassa.EInternal, "unknown movement kind %q", kind)
	}
	amount := r.Amount
	if kind == KindCancel {
		amount = 0
	} else {
		if amount == 0 {
			amount = available
		}
		if amount > available {
			return nil, nil, kassa.Errorf(kassa.EConflict, "cannot %s %d: at most %d is left to %s on payment %s", kind, amount, available, kind, p.ID)
		}
	}
	n := p.clone(env)
	m := Movement{
		ID: env.IDs.New(prefix), Status: Pending, Amount: amount, Key: r.Key,
		CreatedBy: r.CreatedBy, Attempts: 1, CreatedAt: n.UpdatedAt, UpdatedAt: n.UpdatedAt,
	}
	if kind == KindRefund {
		m.Reason, m.Note = r.Reason, r.Note
	}
	list := n.list(kind)
	*list = append(*list, m)
	return n, &(*list)[len(*list)-1], nil
}

func (p *Payment) checkNotCanceled() error {
	if p.Status == PaymentCanceled || p.pendingCancel() != nil {
		return kassa.Errorf(kassa.EConflict, "payment %s has been canceled", p.ID)
	}
	return nil
}

func (p *Payment) pendingCancel() *Movement {
	if k := len(p.Cancels); k > 0 && p.Cancels[k-1].Status == Pending {
		return &p.Cancels[k-1]
	}
	return nil
}

// Outcome is what a provider call for a movement came to.
type Outcome struct {
	Err error // nil: the provider did it
	// Definite marks an Err the provider answered (a refusal), as opposed
	// to a call whose outcome is unknown (a timeout, a 5xx), which leaves
	// the movement pending and its amount reserved until a retry settles it.
	Definite bool
	Ref      string          // the provider's reference for the movement
	Data     json.RawMessage // replaces the payment's provider data when non-nil
}

// Settle records a provider's answer for the movement id. A movement
// already settled (by a webhook, or a concurrent retry) stays as it is and
// the payment is returned unchanged.
func (p *Payment) Settle(env Env, id string, o Outcome) (*Payment, error) {
	kind, i := p.locate(id)
	if i < 0 {
		return nil, kassa.Errorf(kassa.ENotFound, "payment %s has no movement %s", p.ID, id)
	}
	if (*p.list(kind))[i].Status != Pending {
		return p, nil
	}
	n := p.clone(env)
	(&(*n.list(kind))[i]).settle(n.UpdatedAt, o)
	if o.Err == nil && o.Data != nil {
		n.Data = o.Data
	}
	n.settle(env)
	return n, nil
}

// settle records the provider's answer o on a pending movement.
func (m *Movement) settle(now time.Time, o Outcome) {
	m.UpdatedAt = now
	switch {
	case o.Err == nil:
		m.Status, m.Failure = Succeeded, ""
		if o.Ref != "" {
			m.ProviderRef = o.Ref
		}
	case o.Definite:
		m.Status, m.Failure = Failed, o.Err.Error()
	default:
		m.Failure = o.Err.Error()
	}
}

// CapturedByProvider applies a provider's report that total has been
// captured in all (a webhook). Pending captures it covers succeed, oldest
// first: they are most likely what the provider captured, and their own
// outcome arriving later then changes nothing. What is left is recorded as
// a capture made at the provider. A report at or below what is recorded
// changes nothing, so replays are harmless.
func (p *Payment) CapturedByProvider(env Env, total int64) (*Payment, error) {
	if err := p.checkNotCanceled(); err != nil {
		return nil, err
	}
	missing := total - p.Captured()
	if missing <= 0 {
		return p, nil
	}
	n := p.clone(env)
	for i := range n.Captures {
		c := &n.Captures[i]
		if c.Status == Pending && c.Amount <= missing {
			c.Status, c.UpdatedAt = Succeeded, n.UpdatedAt
			missing -= c.Amount
		}
	}
	if missing > 0 {
		if missing > n.Capturable() {
			return nil, kassa.Errorf(kassa.EConflict, "provider reports %d captured, more than payment %s's %d authorized", total, p.ID, p.Amount)
		}
		n.Captures = append(n.Captures, Movement{
			ID: env.IDs.New(PrefixCapture), Status: Succeeded, Amount: missing,
			CreatedBy: "provider", CreatedAt: n.UpdatedAt, UpdatedAt: n.UpdatedAt,
		})
	}
	n.settle(env)
	return n, nil
}

// Movement returns the movement id of the payment.
func (p *Payment) Movement(id string) (*Movement, bool) {
	kind, i := p.locate(id)
	if i < 0 {
		return nil, false
	}
	return &(*p.list(kind))[i], true
}

func (p *Payment) locate(id string) (kind string, i int) {
	for _, k := range []string{KindCapture, KindRefund, KindCancel} {
		if i, _ := p.find(k, func(m *Movement) bool { return m.ID == id }); i >= 0 {
			return k, i
		}
	}
	return "", -1
}

func (p *Payment) find(kind string, match func(*Movement) bool) (int, []Movement) {
	list := *p.list(kind)
	for i := range list {
		if match(&list[i]) {
			return i, list
		}
	}
	return -1, list
}

func (p *Payment) list(kind string) *[]Movement {
	switch kind {
	case KindCapture:
		return &p.Captures
	case KindRefund:
		return &p.Refunds
	}
	return &p.Cancels
}

// settle derives the status and its timestamps from the movements.
func (p *Payment) settle(env Env) {
	captured := p.Captured()
	switch {
	case len(p.Cancels) > 0 && p.Cancels[len(p.Cancels)-1].Status == Succeeded:
		p.Status = PaymentCanceled
		if p.CanceledAt == nil {
			p.CanceledAt = at(env.Now)
		}
	case captured == p.Amount:
		p.Status = PaymentCaptured
		if p.CapturedAt == nil {
			p.CapturedAt = at(env.Now)
		}
	case captured > 0:
		p.Status = PaymentPartiallyCaptured
	default:
		p.Status = PaymentAuthorized
	}
}

func (p *Payment) clone(env Env) *Payment {
	n := *p
	n.Captures = append([]Movement{}, p.Captures...)
	n.Refunds = append([]Movement{}, p.Refunds...)
	n.Cancels = append([]Movement{}, p.Cancels...)
	n.UpdatedAt = later(p.UpdatedAt, env.Now)
	n.Version++
	return &n
}

// Check verifies the payment's invariants; a violation is a bug, and
// stores refuse to save such a payment.
func (p *Payment) Check() error {
	bad := func(format string, args ...any) error {
		return kassa.Errorf(kassa.EInternal, "payment %s: %s", p.ID, fmt.Sprintf(format, args...))
	}
	for _, ms := range [][]Movement{p.Captures, p.Refunds} {
		for _, m := range ms {
			if m.Amount <= 0 {
				return bad("movement %s has amount %d", m.ID, m.Amount)
			}
		}
	}
	captured, refunded := p.Captured(), p.Refunded()
	if c := captured + sum(p.Captures, Pending); c > p.Amount {
		return bad("captured and reserved %d exceed the authorized %d", c, p.Amount)
	}
	if r := refunded + sum(p.Refunds, Pending); r > captured {
		return bad("refunded and reserved %d exceed the captured %d", r, captured)
	}
	if p.Status == PaymentCanceled && captured > 0 {
		return bad("canceled with %d captured", captured)
	}
	want := *p
	want.settle(Env{Now: p.UpdatedAt})
	if want.Status != p.Status {
		return bad("status %s, but its movements say %s", p.Status, want.Status)
	}
	return nil
}
