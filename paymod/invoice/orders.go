package invoice

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
)

// total is what a chunk's lines add up to (Ledyer's chunks may carry no
// totals of their own).
func total(c *client.Chunk) int64 {
	var n int64
	for _, l := range c.OrderLines {
		n += l.TotalAmount
	}
	return n
}

// byVAT sums the lines' totals per VAT rate.
func byVAT(lines []client.OrderLine) map[int64]int64 {
	m := map[int64]int64{}
	for _, l := range lines {
		m[l.VAT] += l.TotalAmount
	}
	return m
}

func (p *Provider) order(ctx context.Context, pay *payment.Payment) (string, *client.Order, error) {
	d, _, err := readData(pay.Data)
	if err != nil {
		return "", nil, err
	}
	if d.OrderID == "" {
		return "", nil, kassa.Errorf(kassa.EConflict, "payment %s has no invoice order", pay.ID)
	}
	o, err := p.client.GetOrder(ctx, d.OrderID)
	if err != nil {
		return "", nil, refusal(err)
	}
	return d.OrderID, o, nil
}

// retried says whether the movement was attempted before, and so may
// have happened at the provider although its answer was lost.
func retried(in paymod.MovementInput) bool {
	m, ok := in.Payment.Movement(in.Key)
	return ok && m.Attempts > 1
}

// unclaimed finds a chunk of amount whose ledger no movement of the
// payment has claimed: on a retry, that is the lost attempt's result.
func unclaimed(chunks []client.Chunk, mine []payment.Movement, amount int64) string {
	for _, c := range chunks {
		claimed := slices.ContainsFunc(mine, func(m payment.Movement) bool { return m.ProviderRef == c.LedgerID })
		if !claimed && total(&c) == amount {
			return c.LedgerID
		}
	}
	return ""
}

// Capture captures amount of the order: all of what is uncaptured with
// capture, else whole uncaptured lines, or units of them, with
// partialcapture. The new invoice's ledger id is the capture's reference.
func (p *Provider) Capture(ctx context.Context, in paymod.MovementInput) (paymod.MovementResult, error) {
	id, o, err := p.order(ctx, in.Payment)
	if err != nil {
		return paymod.MovementResult{}, err
	}
	if retried(in) {
		if ledger := unclaimed(o.Captured, in.Payment.Captures, in.Amount); ledger != "" {
			return paymod.MovementResult{Ref: ledger}, nil
		}
	}
	if o.Uncaptured == nil {
		return paymod.MovementResult{}, kassa.Errorf(kassa.EConflict, "order %s has nothing left to capture", id)
	}
	capture, lines := p.client.CaptureOrder, o.Uncaptured.OrderLines
	if total(o.Uncaptured) != in.Amount {
		capture = p.client.PartialCaptureOrder
		if lines, err = pick(o.Uncaptured.OrderLines, in.Amount); err != nil {
			return paymod.MovementResult{}, err
		}
	}
	out, err := capture(ctx, id, client.CaptureParams{OrderLines: lines, TotalCaptureAmount: in.Amount}, client.IdempotencyKey(in.Key))
	if err != nil {
		return paymod.MovementResult{}, refusal(err)
	}
	if len(out.Captured) == 0 {
		return paymod.MovementResult{}, kassa.Errorf(kassa.EInternal, "capture of order %s answered no invoice", id)
	}
	return paymod.MovementResult{Ref: out.Captured[len(out.Captured)-1].LedgerID}, nil
}

// pick chooses uncaptured lines worth amount: whole lines while they fit,
// then whole units of a line.
func pick(lines []client.OrderLine, amount int64) ([]client.OrderLine, error) {
	var out []client.OrderLine
	left := amount
	for _, l := range lines {
		switch {
		case left == 0 || l.TotalAmount <= 0:
		case l.TotalAmount <= left:
			out = append(out, l)
			left -= l.TotalAmount
		case l.Quantity > 1 && l.UnitPrice != nil && *l.UnitPrice > 0 && *l.UnitPrice*l.Quantity == l.TotalAmount:
			k := min(left / *l.UnitPrice, l.Quantity-1)
			if k == 0 {
				continue
			}
			part := l
			part.ID, part.Quantity = "", k
			part.TotalAmount = k * *l.UnitPrice
			part.TotalVATAmount = money.VATPortion(part.TotalAmount, l.VAT)
			out = append(out, part)
			left -= part.TotalAmount
		}
	}
	if left != 0 {
		return nil, kassa.Invalid("amount", "%d cannot be made of whole uncaptured order lines or units of them", amount)
	}
	return out, nil
}

// Refund credits amount against the first captured invoice that has that
// much left: all that is left with refund, else one line at the VAT rate
// with most left with partialrefund.
func (p *Provider) Refund(ctx context.Context, in paymod.MovementInput) (paymod.MovementResult, error) {
	id, o, err := p.order(ctx, in.Payment)
	if err != nil {
		return paymod.MovementResult{}, err
	}
	if retried(in) {
		if ledger := unclaimed(o.Refunded, in.Payment.Refunds, in.Amount); ledger != "" {
			return paymod.MovementResult{Ref: ledger}, nil
		}
	}
	for _, c := range o.Captured {
		left := byVAT(c.OrderLines)
		var remaining int64
		for _, r := range o.Refunded {
			if r.CapturedLedgerID == c.LedgerID {
				for rate, n := range byVAT(r.OrderLines) {
					left[rate] -= n
				}
			}
		}
		for _, n := range left {
			remaining += n
		}
		if remaining < in.Amount {
			continue
		}
		key := client.IdempotencyKey(in.Key)
		var out *client.Order
		if remaining == in.Amount {
			out, err = p.client.RefundOrder(ctx, id, c.LedgerID, in.Note, key)
		} else {
			rate := bestRate(left)
			if left[rate] < in.Amount {
				return paymod.MovementResult{}, kassa.Invalid("amount", "a refund of %d would span VAT rates of invoice %s; refund per rate", in.Amount, c.LedgerID)
			}
			out, err = p.client.PartialRefundOrder(ctx, id, c.LedgerID, client.RefundParams{
				OrderLines: []client.OrderLine{{
					Type: "physical", Reference: "refund", Description: first(in.Note, "Refund"), Quantity: 1,
					VAT: rate, TotalAmount: in.Amount, TotalVATAmount: money.VATPortion(in.Amount, rate),
				}},
				TotalRefundAmount: in.Amount, Note: in.Note,
			}, key)
		}
		if err != nil {
			return paymod.MovementResult{}, refusal(err)
		}
		if len(out.Refunded) == 0 {
			return paymod.MovementResult{}, kassa.Errorf(kassa.EInternal, "refund of order %s answered no credit note", id)
		}
		return paymod.MovementResult{Ref: out.Refunded[len(out.Refunded)-1].LedgerID}, nil
	}
	return paymod.MovementResult{}, kassa.Invalid("amount", "no captured invoice of order %s has %d left to refund; split the refund per invoice", id, in.Amount)
}

// bestRate is the rate with the most left, the lowest rate on a tie.
func bestRate(left map[int64]int64) int64 {
	rates := make([]int64, 0, len(left))
	for r := range left {
		rates = append(rates, r)
	}
	slices.Sort(rates)
	best := rates[0]
	for _, r := range rates {
		if left[r] > left[best] {
			best = r
		}
	}
	return best
}

// Cancel cancels the order, which must have nothing captured: the
// payment's, or, for an authorization the module refused, the one its
// session's data names (the order Authorize created).
func (p *Provider) Cancel(ctx context.Context, in paymod.MovementInput) (paymod.MovementResult, error) {
	raw := in.Session.Data
	if in.Payment != nil {
		raw = in.Payment.Data
	}
	d, _, err := readData(raw)
	if err != nil || d.OrderID == "" {
		return paymod.MovementResult{}, err
	}
	_, err = p.client.CancelOrder(ctx, d.OrderID, client.IdempotencyKey(in.Key))
	return paymod.MovementResult{}, refusal(err)
}

// notification is a Ledyer notification's body.
type notification struct {
	EventType          string `json:"eventType"`
	AuthorizationToken string `json:"authorizationToken"`
	SessionID          string `json:"sessionId"`
}

// ParseWebhook reads a notification, without calling the API.
//
// With Config.NotificationSecret (Kassa signs its notifications the
// Standard Webhooks way), a notification must carry a valid signature
// made within notify.Tolerance of now, or it is EUnauthorized; a verified
// one means what it says: com.ledyer.authorization.create authorizes the
// session with the token it carries (which the API still checks when the
// order is created from it), com.ledyer.authorization.pending marks it
// pending_authorization. Its webhook-id de-duplicates deliveries.
//
// Without a secret (Ledyer does not sign), anyone could have sent it: an
// authorization notification only names the session to sync
// (ActionSync), and its token is never used.
//
// Order notifications need no action: the provider acknowledged the
// order when it created it (Authorize).
func (p *Provider) ParseWebhook(_ context.Context, w paymod.Webhook) (*paymod.Event, error) {
	h := notify.Headers{ID: w.Header.Get("webhook-id"), Timestamp: w.Header.Get("webhook-timestamp"), Signature: w.Header.Get("webhook-signature")}
	verified := p.cfg.NotificationSecret != ""
	if verified {
		if err := notify.Verify(p.cfg.NotificationSecret, h, w.Body, w.ReceivedAt); err != nil {
			return nil, kassa.Errorf(kassa.EUnauthorized, "the notification's signature does not verify: %v", err)
		}
	}
	var n notification
	if err := json.Unmarshal(w.Body, &n); err != nil {
		return nil, kassa.Errorf(kassa.EInvalid, "the notification is not JSON: %v", err)
	}
	switch n.EventType {
	case "com.ledyer.authorization.create", "com.ledyer.authorization.pending":
	default:
		return &paymod.Event{Action: paymod.ActionNotSupported}, nil
	}
	if n.SessionID == "" {
		return nil, kassa.Invalid("sessionId", "the notification names no session")
	}
	switch {
	case !verified:
		return &paymod.Event{Action: paymod.ActionSync, SessionRef: n.SessionID}, nil
	case n.EventType == "com.ledyer.authorization.pending":
		return &paymod.Event{ID: h.ID, Action: paymod.ActionPendingAuthorization, SessionRef: n.SessionID}, nil
	case n.AuthorizationToken == "":
		return nil, kassa.Invalid("authorizationToken", "the notification carries no authorization token")
	}
	return &paymod.Event{
		ID: h.ID, Action: paymod.ActionAuthorized, SessionRef: n.SessionID,
		Data: map[string]any{"authorizationToken": n.AuthorizationToken},
	}, nil
}
