package order

import "fmt"

// Check verifies the invariants every order must satisfy after every
// operation. A failure is a bug, never bad input: callers treat it as an
// internal error and commit nothing.
func (o *Order) Check() error {
	captured, refunded := o.CapturedAmount(), o.RefundedAmount()
	switch {
	case captured > o.AuthorizedAmount:
		return fmt.Errorf("order %s: captured %d exceeds authorized %d", o.ID, captured, o.AuthorizedAmount)
	case o.Amount() > o.AuthorizedAmount:
		return fmt.Errorf("order %s: total %d exceeds authorized %d", o.ID, o.Amount(), o.AuthorizedAmount)
	case refunded > captured:
		return fmt.Errorf("order %s: refunded %d exceeds captured %d", o.ID, refunded, captured)
	case o.Received < 0:
		return fmt.Errorf("order %s: negative received amount %d", o.ID, o.Received)
	case o.CancelledAmount < 0:
		return fmt.Errorf("order %s: negative cancelled amount %d", o.ID, o.CancelledAmount)
	case o.Uncaptured != nil && len(o.Uncaptured.Lines) == 0:
		return fmt.Errorf("order %s: empty uncaptured chunk", o.ID)
	}
	for i := range o.Captured {
		c := &o.Captured[i]
		if t, _ := c.Totals(); t <= 0 {
			return fmt.Errorf("order %s: captured chunk %s totals %d", o.ID, c.LedgerID, t)
		}
		if left := o.RefundableOf(c); left < 0 {
			return fmt.Errorf("order %s: chunk %s refunded %d beyond its total", o.ID, c.LedgerID, -left)
		}
	}
	for i := range o.Refunded {
		r := &o.Refunded[i]
		if o.capturedChunk(r.CapturedLedgerID) == nil {
			return fmt.Errorf("order %s: refund %s credits unknown chunk %q", o.ID, r.LedgerID, r.CapturedLedgerID)
		}
		if t, _ := r.Totals(); t <= 0 {
			return fmt.Errorf("order %s: refund chunk %s totals %d", o.ID, r.LedgerID, t)
		}
	}
	// The history is the evidence for the amounts: what its capture and
	// refund events add up to is what the chunks hold.
	var evCaptured, evRefunded int64
	for i, e := range o.Events {
		if i > 0 && e.CreatedAt.Before(o.Events[i-1].CreatedAt) {
			return fmt.Errorf("order %s: event %s is older than the one before it", o.ID, e.ID)
		}
		switch e.Type {
		case EventFullCapture, EventPartialCapture:
			evCaptured += e.Amount
		case EventFullRefund, EventPartialRefund:
			evRefunded += e.Amount
		}
	}
	if evCaptured != captured || evRefunded != refunded {
		return fmt.Errorf("order %s: events capture %d and refund %d, chunks hold %d and %d", o.ID, evCaptured, evRefunded, captured, refunded)
	}
	return nil
}
