package payment_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/payment"
	"pgregory.net/rapid"
)

// TestPaymentMachine drives a payment through random sequences of
// captures, refunds, cancellations, provider answers of every kind and
// webhook reports, and checks after every step that no operation was
// half-applied, every refusal is a typed error, and the invariants hold:
// captured + reserved ≤ authorized, refunded + reserved ≤ captured, a
// canceled payment has nothing captured, and the collection derived from
// it agrees with it.
func TestPaymentMachine(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		env := testEnv()
		amount := rapid.Int64Range(1, 10_000).Draw(rt, "amount")
		c, s, p := authorized(rt, env, amount)
		keys := []string{"", "a", "b", "c"}
		for step := range rapid.IntRange(1, 60).Draw(rt, "steps") {
			before := p
			beforeJSON := fmt.Sprintf("%+v", *p)
			var (
				next *payment.Payment
				err  error
				what string
			)
			switch op := rapid.IntRange(0, 4).Draw(rt, "op"); op {
			case 0, 1, 2: // begin a capture, refund or cancel
				kind := []string{payment.KindCapture, payment.KindRefund, payment.KindCancel}[op]
				r := payment.MovementRequest{
					Key:    rapid.SampledFrom(keys).Draw(rt, "key"),
					Amount: rapid.Int64Range(0, amount+1).Draw(rt, "amount"),
				}
				what = fmt.Sprintf("Begin(%s, %+v)", kind, r)
				var m *payment.Movement
				next, m, err = p.Begin(env, kind, r)
				if err == nil && m == nil {
					rt.Fatalf("%s: no movement", what)
				}
			case 3: // a provider answer for some movement
				ids := movementIDs(p)
				if len(ids) == 0 {
					continue
				}
				id := rapid.SampledFrom(ids).Draw(rt, "movement")
				o := []payment.Outcome{
					{}, {Err: errors.New("declined"), Definite: true}, {Err: errors.New("timeout")},
				}[rapid.IntRange(0, 2).Draw(rt, "outcome")]
				what = fmt.Sprintf("Settle(%s, %+v)", id, o)
				next, err = p.Settle(env, id, o)
			case 4: // a webhook reporting a captured total
				total := rapid.Int64Range(0, amount+1).Draw(rt, "total")
				what = fmt.Sprintf("CapturedByProvider(%d)", total)
				next, err = p.CapturedByProvider(env, total)
			}
			if fmt.Sprintf("%+v", *before) != beforeJSON {
				rt.Fatalf("step %d %s modified its input", step, what)
			}
			if err != nil {
				if _, ok := errors.AsType[*kassa.Error](err); !ok || kassa.ErrorCode(err) == kassa.EInternal {
					rt.Fatalf("step %d %s: untyped or internal error %v", step, what, err)
				}
				continue
			}
			if err := next.Check(); err != nil {
				rt.Fatalf("step %d %s: %v", step, what, err)
			}
			if next.Captured() < p.Captured() || next.Refunded() < p.Refunded() {
				rt.Fatalf("step %d %s: settled money went back: captured %d→%d, refunded %d→%d",
					step, what, p.Captured(), next.Captured(), p.Refunded(), next.Refunded())
			}
			if len(next.Captures) < len(p.Captures) || len(next.Refunds) < len(p.Refunds) || len(next.Cancels) < len(p.Cancels) {
				rt.Fatalf("step %d %s: a movement was deleted", step, what)
			}
			p = next
			d, err := c.Derive(env, []*payment.Session{s}, []*payment.Payment{p})
			if err != nil {
				rt.Fatal(err)
			}
			if d.CapturedAmount != p.Captured() || d.RefundedAmount != p.Refunded() {
				rt.Fatalf("step %d: collection %+v disagrees with payment", step, d)
			}
		}
	})
}

func movementIDs(p *payment.Payment) []string {
	var ids []string
	for _, ms := range [][]payment.Movement{p.Captures, p.Refunds, p.Cancels} {
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
	}
	return ids
}
