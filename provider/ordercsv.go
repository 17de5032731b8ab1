package provider

import (
	"context"
	"encoding/csv"
	"io"
	"strings"
	"time"

	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
)

// OrderCSVColumns are the columns of an orders export, in order.
var OrderCSVColumns = []string{
	"id", "orderReference", "merchantReference", "createdAt", "paymentStatus", "status", "currency",
	"orderAmount", "uncapturedAmount", "capturedAmount", "refundedAmount", "companyName", "companyId", "email",
}

// csvBatch is how many orders each read of an export takes.
const csvBatch = 500

// OrdersCSV writes every order of the merchant's that f matches, newest
// first, as CSV (OrderCSVColumns): amounts as decimals in the currency's
// unit, times in RFC 3339 UTC, text a spreadsheet would take for a
// formula defused (csvCell). It reads the orders in batches, each in a
// snapshot of its own, continuing after the last order written, so an
// export of many orders holds no transaction open while it is sent.
// begin is called once the first batch is read, for the writer to write
// to: an error before it (a bad filter, a failed read) is returned and
// nothing is written; one after it ends the export short and is logged,
// since its answer has begun.
func (s *Service) OrdersCSV(ctx context.Context, merchantID string, f store.OrderFilter, begin func() io.Writer) error {
	f.Limit = csvBatch
	batch := func() ([]*order.Order, error) {
		return View(ctx, s, func(tx store.ReadTx) ([]*order.Order, error) { return s.Orders(ctx, tx, merchantID, f) })
	}
	os, err := batch()
	if err != nil {
		return err
	}
	cw := csv.NewWriter(begin())
	cw.Write(OrderCSVColumns)
	for len(os) > 0 {
		for _, o := range os {
			cur := o.Currency
			cw.Write([]string{
				csvCell(o.ID), csvCell(o.OrderReference), csvCell(o.Reference), o.CreatedAt.UTC().Format(time.RFC3339Nano),
				o.PaymentStatus(), strings.Join(o.Status(), " "), string(cur),
				money.Decimal(o.Amount(), cur), money.Decimal(o.UncapturedAmount(), cur), money.Decimal(o.CapturedAmount(), cur), money.Decimal(o.RefundedAmount(), cur),
				csvCell(o.Customer.CompanyName), csvCell(o.Customer.CompanyID), csvCell(o.Customer.Email),
			})
		}
		if cw.Flush(); cw.Error() != nil || len(os) < f.Limit {
			return nil // the reader went, or that was the last batch
		}
		p := store.Position(os[len(os)-1])
		f.After = &p
		if os, err = batch(); err != nil {
			s.log.ErrorContext(ctx, "orders export ended short", "merchant", merchantID, "err", err)
			return nil
		}
	}
	return nil
}

// csvCell keeps a spreadsheet from reading text as a formula: text that
// begins with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe, as OWASP's CSV injection advice has it.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
