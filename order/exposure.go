package order

// Exposure is the credit the order still draws on: what is uncaptured plus
// what was invoiced and not refunded. Payments are not tracked yet, so a
// captured invoice counts as unpaid until it is refunded.
func (o *Order) Exposure() int64 {
	return o.UncapturedAmount() + o.CapturedAmount() - o.RefundedAmount()
}
