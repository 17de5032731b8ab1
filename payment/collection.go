package payment

import (
	"encoding/json"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
)

// NewCollection creates a collection of amount minor units of currency.
func NewCollection(env Env, merchantID, currency string, amount int64, metadata json.RawMessage) (*Collection, error) {
	cur, err := money.ParseCurrency(currency)
	if err != nil {
		return nil, err
	}
	if err := checkAmount("amount", amount); err != nil {
		return nil, err
	}
	meta, err := checkMetadata("metadata", metadata)
	if err != nil {
		return nil, err
	}
	return &Collection{
		ID: env.IDs.New(PrefixCollection), MerchantID: merchantID,
		Currency: cur, Amount: amount, Status: NotPaid, Metadata: meta,
		CreatedAt: env.Now, UpdatedAt: env.Now, Version: 1,
	}, nil
}

// CollectionUpdate changes a collection; nil fields stay as they are.
type CollectionUpdate struct {
	Amount   *int64
	Metadata json.RawMessage
}

// Update changes an open collection. The currency never changes: its
// sessions and payments are in it.
func (c *Collection) Update(env Env, u CollectionUpdate) (*Collection, error) {
	if err := c.open(); err != nil {
		return nil, err
	}
	n := c.touched(env)
	if u.Amount != nil {
		if err := checkAmount("amount", *u.Amount); err != nil {
			return nil, err
		}
		n.Amount = *u.Amount
	}
	if u.Metadata != nil {
		meta, err := checkMetadata("metadata", u.Metadata)
		if err != nil {
			return nil, err
		}
		n.Metadata = meta
	}
	return n, nil
}

// Cancel cancels a collection nothing of which was captured; its sessions
// are then of no use. Payments still authorized are the caller's to cancel.
func (c *Collection) Cancel(env Env) (*Collection, error) {
	if c.Status == Canceled {
		return c, nil
	}
	if c.Status == Completed || c.CapturedAmount > 0 {
		return nil, kassa.Errorf(kassa.EConflict, "payment collection %s has captured payments and cannot be canceled; refund them instead", c.ID)
	}
	n := c.touched(env)
	n.Status = Canceled
	return n, nil
}

func (c *Collection) open() error {
	switch c.Status {
	case Completed, Canceled:
		return kassa.Errorf(kassa.EConflict, "payment collection %s is %s", c.ID, c.Status)
	}
	return nil
}

// Derive recomputes the collection's amounts and status from all of its
// sessions and payments, and returns the collection unchanged (the same
// pointer) if nothing differs. Amounts are summed only over the
// collection's currency: anything else is a bug and an error.
func (c *Collection) Derive(env Env, sessions []*Session, payments []*Payment) (*Collection, error) {
	var authorized, captured, refunded int64
	for _, p := range payments {
		if p.CollectionID != c.ID || p.Currency != c.Currency {
			return nil, kassa.Errorf(kassa.EInternal, "payment %s does not belong to collection %s in %s", p.ID, c.ID, c.Currency)
		}
		if p.Status != PaymentCanceled {
			authorized += p.Amount
		}
		captured += p.Captured()
		refunded += p.Refunded()
	}
	status := c.Status
	switch {
	case c.Status == Canceled || c.Status == Completed:
		// final: refunds after completion do not reopen a collection
	case captured >= c.Amount:
		status = Completed
	case authorized >= c.Amount:
		status = Authorized
	case authorized > 0:
		status = PartiallyAuthorized
	case len(sessions) > 0:
		status = Awaiting
	default:
		status = NotPaid
	}
	if status == c.Status && authorized == c.AuthorizedAmount && captured == c.CapturedAmount && refunded == c.RefundedAmount {
		return c, nil
	}
	n := c.touched(env)
	n.Status, n.AuthorizedAmount, n.CapturedAmount, n.RefundedAmount = status, authorized, captured, refunded
	if status == Completed && n.CompletedAt == nil {
		n.CompletedAt = at(env.Now)
	}
	return n, nil
}

// touched is a copy to change, stamped with the time and next version.
func (c *Collection) touched(env Env) *Collection {
	n := *c
	n.UpdatedAt = later(c.UpdatedAt, env.Now)
	n.Version++
	return &n
}
