package order

// Exposure is the credit the order still draws on: what is uncaptured,
// plus what was invoiced and not credited less what the buyer has paid of
// it (Received). An advance-invoice order's advance invoice bills what is
// uncaptured, so what was paid counts against that too; otherwise a
// payment pays invoices only, and never lowers what is still to be
// invoiced. Paying more than is owed lowers it to 0, never below.
func (o *Order) Exposure() int64 {
	owed, unbilled := o.CapturedAmount()-o.RefundedAmount(), o.UncapturedAmount()
	if o.PaymentMethod == AdvanceInvoice {
		owed, unbilled = owed+unbilled, 0
	}
	return unbilled + max(0, owed-o.Received)
}
