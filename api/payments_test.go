package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// camt054 is a camt.054 file with one booked credit per payment.
func camt054(payments ...[3]string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn><Ntfctn>`)
	for _, p := range payments { // bank reference, OCR, amount
		fmt.Fprintf(&b, `<Ntry><Amt Ccy="SEK">%[3]s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-05</Dt></BookgDt>
			<NtryDtls><TxDtls><Refs><AcctSvcrRef>%[1]s</AcctSvcrRef></Refs><Amt Ccy="SEK">%[3]s</Amt>
			<RmtInf><Strd><CdtrRefInf><Ref>%[2]s</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>`, p[0], p[1], p[2])
	}
	b.WriteString(`</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>`)
	return b.String()
}

type importResult struct {
	Payments []struct {
		Outcome, OrderID, DocumentReference, BankReference string
		OrderPaid                                          bool
	}
}

func outcomes(r importResult) []string {
	var out []string
	for _, p := range r.Payments {
		out = append(out, p.Outcome)
	}
	return out
}

// Payments imported from camt.054 files match invoices by OCR reference:
// exact, partial, over- and unmatched payments are recorded, re-imports
// skipped, malformed files change nothing, and fully paid orders get the
// paid event.
func TestPaymentsImport(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		capture := map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}
		ocr := func(orderID string) string {
			var l docList
			e.must(200, request{method: "GET", path: "/v1/orders/" + orderID + "/documents"}).decode(t, &l)
			return l.Documents[len(l.Documents)-1].PaymentReference
		}
		paidOrder, partOrder, advOrder := e.order(cart(line("A", 1, 10000))), e.order(cart(line("A", 1, 10000))), e.order(cart(line("A", 1, 10000)))
		e.must(200, request{method: "POST", path: "/v1/orders/" + paidOrder + "/capture", body: capture})
		e.must(200, request{method: "POST", path: "/v1/orders/" + partOrder + "/capture", body: capture})
		e.must(200, request{method: "POST", path: "/v1/orders/" + advOrder + "/paymentmethod", body: map[string]any{"paymentMethod": map[string]any{"provider": "ledyer", "type": "advanceInvoice"}}})

		file1 := camt054(
			[3]string{"B-1", ocr(paidOrder), "100.00"},
			[3]string{"B-2", ocr(partOrder), "40.00"},
			[3]string{"B-3", "1234574", "12.00"},
			[3]string{"B-4", ocr(advOrder), "150.00"},
		)
		var r importResult
		e.must(200, request{method: "POST", path: "/v1/payments/import", body: file1, header: map[string]string{"Content-Type": "application/xml"}}).decode(t, &r)
		if got, want := outcomes(r), []string{"matched", "partial", "unmatched", "over"}; !slices.Equal(got, want) {
			t.Errorf("first import outcomes = %v, want %v", got, want)
		}
		if !r.Payments[0].OrderPaid || r.Payments[1].OrderPaid || !r.Payments[3].OrderPaid {
			t.Errorf("orderPaid = %+v", r.Payments)
		}

		// A malformed file is rejected whole: the good payment in it is not
		// applied.
		bad := camt054([3]string{"B-5", ocr(partOrder), "60.00"}, [3]string{"B-6", "1", "1.001"})
		before := e.must(200, request{method: "GET", path: "/v1/payments"}).body
		for _, body := range []string{bad, "<not xml", `{"json":true}`} {
			if resp := e.do(request{method: "POST", path: "/v1/payments/import", body: body}); resp.status != 400 || resp.code() == "" {
				t.Errorf("malformed import = %d %s, want 400 with an error code", resp.status, resp.body)
			}
		}
		if after := e.must(200, request{method: "GET", path: "/v1/payments"}).body; string(after) != string(before) {
			t.Errorf("a rejected file changed the payments:\n%s\n%s", before, after)
		}
		if slices.Contains(eventTypes(e.getOrder(partOrder, nil)), "paid") {
			t.Error("partly paid order has the paid event")
		}

		// The rest arrives; the first file again is skipped.
		e.must(200, request{method: "POST", path: "/v1/payments/import", body: camt054(
			[3]string{"B-1", ocr(paidOrder), "100.00"},
			[3]string{"B-5", ocr(partOrder), "60.00"},
		)}).decode(t, &r)
		if got, want := outcomes(r), []string{"duplicate", "matched"}; !slices.Equal(got, want) || !r.Payments[1].OrderPaid {
			t.Errorf("second import = %+v, want %v completing the order", r.Payments, want)
		}

		for _, id := range []string{paidOrder, partOrder, advOrder} {
			types := eventTypes(e.getOrder(id, nil))
			if n := countOf(types, "paid"); n != 1 {
				t.Errorf("order %s events %v: %d paid events, want 1", id, types, n)
			}
		}
		var unmatched struct {
			Payments []struct{ PaymentReference, DocumentID string }
		}
		e.must(200, request{method: "GET", path: "/v1/payments?unmatched=true"}).decode(t, &unmatched)
		if len(unmatched.Payments) != 1 || unmatched.Payments[0].PaymentReference != "1234574" {
			t.Errorf("unmatched = %+v", unmatched)
		}
		var docs docList
		e.must(200, request{method: "GET", path: "/v1/orders/" + partOrder + "/documents"}).decode(t, &docs)
		if docs.Documents[0].PaidAmount.MinorUnits != 10000 {
			t.Errorf("paid on the partly paid invoice = %d, want 10000", docs.Documents[0].PaidAmount.MinorUnits)
		}
		// Merchant B's import cannot reach merchant A's invoices.
		e.must(200, request{method: "POST", path: "/v1/payments/import", as: &e.b, body: camt054([3]string{"B-9", ocr(partOrder), "1.00"})}).decode(t, &r)
		if r.Payments[0].Outcome != "unmatched" {
			t.Errorf("merchant B paying A's reference = %q, want unmatched", r.Payments[0].Outcome)
		}
	})
}

func countOf(ss []string, s string) int {
	n := 0
	for _, v := range ss {
		if v == s {
			n++
		}
	}
	return n
}

func TestSandboxPayment(t *testing.T) {
	e := newEnv(t)
	id := e.order(cart(line("A", 1, 10000)))
	e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/capture", body: map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}})
	var l docList
	e.must(200, request{method: "GET", path: "/v1/orders/" + id + "/documents"}).decode(t, &l)
	for _, body := range []map[string]any{
		{"paymentReference": l.Documents[0].PaymentReference, "amount": 0, "currency": "SEK"},
		{"paymentReference": l.Documents[0].PaymentReference, "amount": 100, "currency": "XYZ"},
		{"paymentReference": l.Documents[0].PaymentReference, "currency": "SEK"},
	} {
		if resp := e.do(request{method: "POST", path: "/v1/sandbox/payments", body: body}); resp.status != 400 {
			t.Errorf("sandbox payment %v = %d, want 400", body, resp.status)
		}
	}
	var r importResult
	e.must(200, request{method: "POST", path: "/v1/sandbox/payments", body: map[string]any{
		"paymentReference": l.Documents[0].PaymentReference, "amount": 10000, "currency": "SEK",
	}}).decode(t, &r)
	if len(r.Payments) != 1 || r.Payments[0].Outcome != "matched" || !r.Payments[0].OrderPaid {
		t.Errorf("sandbox payment = %+v", r)
	}
	if types := eventTypes(e.getOrder(id, nil)); types[0] != "paid" { // newest first
		t.Errorf("events = %v, want paid newest", types)
	}
}
