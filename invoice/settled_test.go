package invoice

import (
	"testing"

	"github.com/kassa-pay/kassa/order"
)

func TestSettled(t *testing.T) {
	captured := &order.Order{PaymentMethod: order.Invoice, Captured: []order.Chunk{{}}}
	partly := &order.Order{PaymentMethod: order.Invoice, Captured: []order.Chunk{{}}, Uncaptured: &order.Chunk{}}
	advance := &order.Order{PaymentMethod: order.AdvanceInvoice, Uncaptured: &order.Chunk{}}
	inv1 := &Document{ID: "a", Kind: KindInvoice, Total: 1000, PaymentReference: "1"}
	inv2 := &Document{ID: "b", Kind: KindInvoice, Total: 500, PaymentReference: "2"}
	cn := &Document{ID: "c", Kind: KindCreditNote, Total: -300}
	adv := &Document{ID: "d", Kind: KindAdvance, Total: 800, PaymentReference: "3"}
	for _, tc := range []struct {
		name string
		o    *order.Order
		docs []*Document
		paid map[string]int64
		want bool
	}{
		{"nothing paid", captured, []*Document{inv1}, nil, false},
		{"partly paid", captured, []*Document{inv1}, map[string]int64{"a": 999}, false},
		{"paid exactly", captured, []*Document{inv1}, map[string]int64{"a": 1000}, true},
		{"overpaid", captured, []*Document{inv1}, map[string]int64{"a": 1200}, true},
		{"one of two invoices", captured, []*Document{inv1, inv2}, map[string]int64{"a": 1000}, false},
		{"both invoices", captured, []*Document{inv1, inv2}, map[string]int64{"a": 1000, "b": 500}, true},
		{"less the credit note", captured, []*Document{inv1, cn}, map[string]int64{"a": 700}, true},
		{"uncaptured lines remain", partly, []*Document{inv1}, map[string]int64{"a": 1000}, false},
		{"advance unpaid", advance, []*Document{adv}, map[string]int64{"d": 799}, false},
		{"advance paid", advance, []*Document{adv}, map[string]int64{"d": 800}, true},
		{"advance order without its advance invoice", advance, nil, nil, false},
	} {
		if got := Settled(tc.o, tc.docs, tc.paid); got != tc.want {
			t.Errorf("%s: Settled = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestReceived(t *testing.T) {
	inv1 := &Document{ID: "a", Kind: KindInvoice, Total: 1000, PaymentReference: "1"}
	inv2 := &Document{ID: "b", Kind: KindInvoice, Total: 500, PaymentReference: "2"}
	cn := &Document{ID: "c", Kind: KindCreditNote, Total: -300}
	paidByAdvance := &Document{ID: "e", Kind: KindInvoice, Total: 800} // no payment reference: asks nothing
	for _, tc := range []struct {
		name string
		docs []*Document
		paid map[string]int64
		want int64
	}{
		{"nothing paid", []*Document{inv1}, nil, 0},
		{"partly paid", []*Document{inv1, inv2}, map[string]int64{"a": 400}, 400},
		{"both paid", []*Document{inv1, inv2}, map[string]int64{"a": 1000, "b": 500}, 1500},
		{"an overpayment counts up to what the invoice asks", []*Document{inv1, inv2}, map[string]int64{"a": 1700}, 1000},
		{"a credit note asks nothing", []*Document{inv1, cn}, map[string]int64{"a": 700, "c": 50}, 700},
		{"an invoice an advance paid asks nothing", []*Document{paidByAdvance}, map[string]int64{"e": 800}, 0},
	} {
		if got := Received(tc.docs, tc.paid); got != tc.want {
			t.Errorf("%s: Received = %d, want %d", tc.name, got, tc.want)
		}
	}
}
