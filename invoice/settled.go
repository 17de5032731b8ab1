package invoice

import "github.com/kassa-pay/kassa/order"

// Settled reports whether order o's documents are paid, given what has
// been paid on each document (by ID). An advance-invoice order is settled
// by its advance invoice. Any other order is settled once it has nothing
// left uncaptured and what was paid covers its invoices less its credit
// notes. Overpayment settles too; it is refunded outside Kassa.
func Settled(o *order.Order, docs []*Document, paid map[string]int64) bool {
	var owed, received int64
	for _, d := range docs {
		received += paid[d.ID]
		switch d.Kind {
		case KindAdvance:
			if o.PaymentMethod == order.AdvanceInvoice {
				return d.Payable() > 0 && paid[d.ID] >= d.Payable()
			}
		case KindInvoice:
			owed += d.Payable()
		case KindCreditNote:
			owed += d.Total // negative
		}
	}
	if o.PaymentMethod == order.AdvanceInvoice || o.Uncaptured != nil || len(o.Captured) == 0 {
		return false
	}
	return received > 0 && received >= owed
}

// Received is what has been paid on the documents that ask for a payment,
// each counted up to what it asks (an overpayment is refunded outside
// Kassa): the order's Received, which lowers its credit exposure.
func Received(docs []*Document, paid map[string]int64) int64 {
	var n int64
	for _, d := range docs {
		n += min(paid[d.ID], d.Payable())
	}
	return n
}
