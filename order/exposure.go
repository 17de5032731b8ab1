package order

// Exposure is the credit the order still draws on: what is uncaptured plus
// what was invoiced and not refunded. Payments do not lower it yet: a
// captured invoice counts until it is refunded, even once Paid.
func (o *Order) Exposure() int64 {
	return o.UncapturedAmount() + o.CapturedAmount() - o.RefundedAmount()
}
