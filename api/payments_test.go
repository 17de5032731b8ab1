package api_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// camtFile is a camt.054 file with one notification, for account
// SE4550000000058398257466, holding entries (Ntry elements).
func camtFile(msgID string, entries ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
		<GrpHdr><MsgId>` + msgID + `</MsgId><CreDtTm>2026-03-05T18:00:00</CreDtTm></GrpHdr>
		<Ntfctn><Id>` + msgID + `-1</Id><Acct><Id><IBAN>SE4550000000058398257466</IBAN></Id></Acct>` +
		strings.Join(entries, "") + `</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>`
}

// camt054 is a camt.054 file with one booked credit per payment.
func camt054(payments ...[3]string) string {
	var entries []string
	for _, p := range payments { // bank reference, OCR, amount
		entries = append(entries, fmt.Sprintf(`<Ntry><Amt Ccy="SEK">%[3]s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-05</Dt></BookgDt>
			<NtryDtls><TxDtls><Refs><AcctSvcrRef>%[1]s</AcctSvcrRef></Refs><Amt Ccy="SEK">%[3]s</Amt>
			<RmtInf><Strd><CdtrRefInf><Ref>%[2]s</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>`, p[0], p[1], p[2]))
	}
	return camtFile("MSG-1", entries...)
}

// camtEntry is a booked entry (Ntry) of amount SEK; indicator is CRDT or
// DBIT, extra goes after BookgDt (AcctSvcrRef, Chrgs, NtryDtls).
func camtEntry(indicator, amount, extra string) string {
	return `<Ntry><Amt Ccy="SEK">` + amount + `</Amt><CdtDbtInd>` + indicator + `</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
		<BookgDt><Dt>2026-03-05</Dt></BookgDt>` + extra + `</Ntry>`
}

// camtTx is a credit transaction (TxDtls) of amount SEK paying ocr; refs
// are the Refs element's content, extra goes after RmtInf (RtrInf).
func camtTx(refs, amount, ocr, extra string) string {
	return `<TxDtls><Refs>` + refs + `</Refs><Amt Ccy="SEK">` + amount + `</Amt><CdtDbtInd>CRDT</CdtDbtInd>
		<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>` + ocr + `</Ref></CdtrRefInf></Strd></RmtInf>` + extra + `</TxDtls>`
}

type importResult struct {
	Payments []struct {
		Outcome, OrderID, DocumentReference, BankReference string
		OrderPaid                                          bool
	}
	Skipped []struct{ Location, Reason, PaymentReference string }
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

// invoicedOrders creates a captured order of each amount (minor units) and
// returns their IDs and their invoices' payment references.
func (e *env) invoicedOrders(amounts ...int64) (ids, ocrs []string) {
	e.t.Helper()
	for _, a := range amounts {
		id := e.order(cart(line("A", 1, a)))
		e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/capture", body: map[string]any{"orderLines": []any{line("A", 1, a)}, "totalCaptureAmount": a}})
		var l docList
		e.must(200, request{method: "GET", path: "/v1/orders/" + id + "/documents"}).decode(e.t, &l)
		ids, ocrs = append(ids, id), append(ocrs, l.Documents[len(l.Documents)-1].PaymentReference)
	}
	return ids, ocrs
}

// Every transaction of a bank file is a payment of its own, also where
// the bank repeats the entry's reference in each transaction of a batch
// and the payer's end-to-end id is a placeholder. A file imported again,
// and a payment a later file reports again in another entry, are
// recognised and change nothing.
func TestPaymentsImportDistinctPayments(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		ids, ocrs := e.invoicedOrders(10000, 10000, 10000, 10000, 10000, 10000)
		repeated := `<AcctSvcrRef>14634504226</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId>`
		batch := camtEntry("CRDT", "300", `<AcctSvcrRef>14634504226</AcctSvcrRef><NtryDtls><Btch><NbOfTxs>3</NbOfTxs></Btch>`+
			camtTx(repeated, "100", ocrs[0], "")+camtTx(repeated, "100", ocrs[1], "")+camtTx(repeated, "100", ocrs[2], "")+`</NtryDtls>`)
		placeholder := `<EndToEndId>NOTPROVIDED</EndToEndId>`
		byEndToEndID := camtEntry("CRDT", "200.00", `<AcctSvcrRef>E-2</AcctSvcrRef><NtryDtls>`+
			camtTx(placeholder, "100.00", ocrs[3], "")+camtTx(placeholder, "100.00", ocrs[4], "")+`</NtryDtls>`)
		half := camtEntry("CRDT", "50.00", `<AcctSvcrRef>E-3</AcctSvcrRef><NtryDtls>`+camtTx(`<AcctSvcrRef>TX-6</AcctSvcrRef>`, "50.00", ocrs[5], "")+`</NtryDtls>`)
		file := camtFile("MSG-1", batch, byEndToEndID, half)

		var r importResult
		e.must(200, request{method: "POST", path: "/v1/payments/import", body: file}).decode(t, &r)
		if got, want := outcomes(r), []string{"matched", "matched", "matched", "matched", "matched", "partial"}; !slices.Equal(got, want) {
			t.Fatalf("import outcomes = %v, want %v", got, want)
		}
		refs := map[string]bool{}
		for _, p := range r.Payments {
			refs[p.BankReference] = true
		}
		if len(refs) != len(r.Payments) {
			t.Errorf("bank references %v are not one per payment", refs)
		}
		before := e.must(200, request{method: "GET", path: "/v1/payments"}).body

		e.must(200, request{method: "POST", path: "/v1/payments/import", body: file}).decode(t, &r)
		if got, want := outcomes(r), slices.Repeat([]string{"duplicate"}, 6); !slices.Equal(got, want) {
			t.Errorf("outcomes of the file imported again = %v, want %v", got, want)
		}
		if after := e.must(200, request{method: "GET", path: "/v1/payments"}).body; string(after) != string(before) {
			t.Errorf("importing the file again changed the payments:\n%s\n%s", before, after)
		}

		// A later file reports the batch again, and TX-6 again in another
		// entry beside the rest of that order's payment.
		rest := camtEntry("CRDT", "100.00", `<AcctSvcrRef>E-4</AcctSvcrRef><NtryDtls>`+
			camtTx(`<AcctSvcrRef>TX-6</AcctSvcrRef>`, "50.00", ocrs[5], "")+camtTx(`<AcctSvcrRef>TX-7</AcctSvcrRef>`, "50.00", ocrs[5], "")+`</NtryDtls>`)
		e.must(200, request{method: "POST", path: "/v1/payments/import", body: camtFile("MSG-2", batch, rest)}).decode(t, &r)
		if got, want := outcomes(r), []string{"duplicate", "duplicate", "duplicate", "duplicate", "matched"}; !slices.Equal(got, want) || !r.Payments[4].OrderPaid {
			t.Errorf("later file = %+v, want outcomes %v completing the last order", r.Payments, want)
		}
		for _, id := range ids {
			if types := eventTypes(e.getOrder(id, nil)); countOf(types, "paid") != 1 {
				t.Errorf("order %s events %v, want one paid event", id, types)
			}
		}
		var all struct{ Payments []struct{ Amount int64 } }
		if e.must(200, request{method: "GET", path: "/v1/payments"}).decode(t, &all); len(all.Payments) != 7 {
			t.Errorf("%d payments recorded, want 7: %+v", len(all.Payments), all.Payments)
		}
	})
}

// An intraday file giving a booking's time, just after midnight in the
// bank's time zone, and the end-of-day file giving its date report the
// same payment: the second records nothing, and a half-paid invoice stays
// half paid.
func TestPaymentsImportBookingTimeThenDate(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		ids, ocrs := e.invoicedOrders(10000)
		entry := func(bookgDt string) string {
			return `<Ntry><Amt Ccy="SEK">50.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt>` + bookgDt + `</BookgDt>
				<AcctSvcrRef>E-1</AcctSvcrRef><NtryDtls>` + camtTx(`<AcctSvcrRef>TX-1</AcctSvcrRef>`, "50.00", ocrs[0], "") + `</NtryDtls></Ntry>`
		}
		var r importResult
		e.must(200, request{method: "POST", path: "/v1/payments/import", body: camtFile("INTRADAY", entry(`<DtTm>2026-03-05T00:30:00+01:00</DtTm>`))}).decode(t, &r)
		if got, want := outcomes(r), []string{"partial"}; !slices.Equal(got, want) {
			t.Fatalf("intraday file outcomes = %v, want %v", got, want)
		}
		before := e.must(200, request{method: "GET", path: "/v1/payments"}).body
		e.must(200, request{method: "POST", path: "/v1/payments/import", body: camtFile("END-OF-DAY", entry(`<Dt>2026-03-05</Dt>`))}).decode(t, &r)
		if got, want := outcomes(r), []string{"duplicate"}; !slices.Equal(got, want) {
			t.Errorf("end-of-day file outcomes = %v, want %v", got, want)
		}
		if after := e.must(200, request{method: "GET", path: "/v1/payments"}).body; string(after) != string(before) {
			t.Errorf("the end-of-day file changed the payments:\n%s\n%s", before, after)
		}
		var docs docList
		e.must(200, request{method: "GET", path: "/v1/orders/" + ids[0] + "/documents"}).decode(t, &docs)
		if paid := docs.Documents[0].PaidAmount.MinorUnits; paid != 5000 {
			t.Errorf("paid on the invoice = %d, want 5000", paid)
		}
		if types := eventTypes(e.getOrder(ids[0], nil)); slices.Contains(types, "paid") {
			t.Errorf("a half-paid order has the paid event: %v", types)
		}
	})
}

// Returned and reversed credits are not customer payments: with an open
// invoice's reference they pay nothing, and they are not offered for
// manual matching. The answer lists them as skipped, with the reason.
func TestPaymentsImportReturnsAndReversals(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		ids, ocrs := e.invoicedOrders(10000)
		returned := `<RtrInf><Rsn><Cd>AC01</Cd></Rsn><AddtlInf>Kontonummer falsch</AddtlInf></RtrInf>`
		file := camtFile("MSG-1",
			// An outgoing payment with the invoice's reference came back.
			camtEntry("CRDT", "100.00", `<AcctSvcrRef>R-1</AcctSvcrRef><NtryDtls>`+camtTx(`<AcctSvcrRef>RT-1</AcctSvcrRef>`, "100.00", ocrs[0], returned)+`</NtryDtls>`),
			// The same, booked as the reversal of the debit.
			`<Ntry><Amt Ccy="SEK">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd><Sts><Cd>BOOK</Cd></Sts>
				<BookgDt><Dt>2026-03-05</Dt></BookgDt><AcctSvcrRef>R-2</AcctSvcrRef>
				<NtryDtls>`+camtTx(`<AcctSvcrRef>RT-2</AcctSvcrRef>`, "100.00", ocrs[0], returned)+`</NtryDtls></Ntry>`,
			// A return with a reference Kassa does not know.
			camtEntry("CRDT", "12.00", `<AcctSvcrRef>R-3</AcctSvcrRef><NtryDtls>`+camtTx(`<AcctSvcrRef>RT-3</AcctSvcrRef>`, "12.00", "1234574", returned)+`</NtryDtls>`),
			// A credit taken back (the reversal of a credit).
			`<Ntry><Amt Ccy="SEK">100.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd><Sts><Cd>BOOK</Cd></Sts>
				<BookgDt><Dt>2026-03-05</Dt></BookgDt><AcctSvcrRef>R-4</AcctSvcrRef></Ntry>`,
		)
		var r importResult
		e.must(200, request{method: "POST", path: "/v1/payments/import", body: file}).decode(t, &r)
		if len(r.Payments) != 0 {
			t.Errorf("payments = %+v, want none", r.Payments)
		}
		var skipped []string
		for _, s := range r.Skipped {
			skipped = append(skipped, s.Location+" "+s.Reason)
		}
		if want := []string{"Ntfctn[1]/Ntry[1]/TxDtls[1] return", "Ntfctn[1]/Ntry[2] reversal", "Ntfctn[1]/Ntry[3]/TxDtls[1] return", "Ntfctn[1]/Ntry[4] reversal"}; !slices.Equal(skipped, want) {
			t.Errorf("skipped = %v, want %v", skipped, want)
		}
		var all struct{ Payments []any }
		if e.must(200, request{method: "GET", path: "/v1/payments"}).decode(t, &all); len(all.Payments) != 0 {
			t.Errorf("payments recorded: %+v", all.Payments)
		}
		if types := eventTypes(e.getOrder(ids[0], nil)); slices.Contains(types, "paid") {
			t.Errorf("a returned payment paid the order: events %v", types)
		}
	})
}

// What ISO 20022 allows is accepted: a booking time without a UTC offset,
// an entry booked net of the charges it includes (ChrgInclInd), a booked
// credit without transaction details. The answer lists the entries that
// are not payments (a debit, a pending credit) and why.
func TestPaymentsImportValidForms(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		ids, ocrs := e.invoicedOrders(10000, 10000)
		file := camtFile("MSG-1",
			`<Ntry><Amt Ccy="SEK">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
				<BookgDt><DtTm>2026-03-05T10:15:00</DtTm></BookgDt><AcctSvcrRef>F-1</AcctSvcrRef>
				<NtryDtls>`+camtTx(`<AcctSvcrRef>FT-1</AcctSvcrRef>`, "100.00", ocrs[0], "")+`</NtryDtls></Ntry>`,
			camtEntry("CRDT", "98.00", `<AcctSvcrRef>F-2</AcctSvcrRef>
				<Chrgs><TtlChrgsAndTaxAmt Ccy="SEK">2.00</TtlChrgsAndTaxAmt><Rcrd><Amt Ccy="SEK">2.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><ChrgInclInd>true</ChrgInclInd></Rcrd></Chrgs>
				<NtryDtls>`+camtTx(`<AcctSvcrRef>FT-2</AcctSvcrRef>`, "100.00", ocrs[1], "")+`</NtryDtls>`),
			camtEntry("CRDT", "12.00", `<AcctSvcrRef>F-3</AcctSvcrRef>`),
			camtEntry("DBIT", "50.00", `<AcctSvcrRef>F-4</AcctSvcrRef>`),
			`<Ntry><Amt Ccy="SEK">70.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts><AcctSvcrRef>F-5</AcctSvcrRef></Ntry>`,
		)
		var r importResult
		e.must(200, request{method: "POST", path: "/v1/payments/import", body: file}).decode(t, &r)
		if got, want := outcomes(r), []string{"matched", "matched", "unmatched"}; !slices.Equal(got, want) || !r.Payments[0].OrderPaid || !r.Payments[1].OrderPaid {
			t.Errorf("payments = %+v, want outcomes %v paying both orders", r.Payments, want)
		}
		var skipped []string
		for _, s := range r.Skipped {
			skipped = append(skipped, s.Location+" "+s.Reason)
		}
		if want := []string{"Ntfctn[1]/Ntry[4] debit", "Ntfctn[1]/Ntry[5] notBooked"}; !slices.Equal(skipped, want) {
			t.Errorf("skipped = %v, want %v", skipped, want)
		}
		var docs docList
		e.must(200, request{method: "GET", path: "/v1/orders/" + ids[1] + "/documents"}).decode(t, &docs)
		if paid := docs.Documents[0].PaidAmount.MinorUnits; paid != 10000 {
			t.Errorf("paid on the invoice paid net of charges = %d, want 10000 (the charges are the merchant's)", paid)
		}
		var unmatched struct{ Payments []struct{ Amount int64 } }
		if e.must(200, request{method: "GET", path: "/v1/payments?unmatched=true"}).decode(t, &unmatched); len(unmatched.Payments) != 1 || unmatched.Payments[0].Amount != 1200 {
			t.Errorf("unmatched = %+v, want the credit without details", unmatched.Payments)
		}
	})
}

// A transaction booked net of the charges only its entry states pays
// what the payer paid, before the charges: the invoice it pays in full is
// paid. Among several transactions the charges cannot be attributed: each
// payment is recorded as booked and the answer lists the charges.
func TestPaymentsImportNetOfEntryCharges(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		ids, ocrs := e.invoicedOrders(10000, 5000, 5000)
		charges := func(amount string) string {
			return `<Chrgs><Rcrd><Amt Ccy="SEK">` + amount + `</Amt><CdtDbtInd>DBIT</CdtDbtInd><ChrgInclInd>true</ChrgInclInd></Rcrd></Chrgs>`
		}
		file := camtFile("MSG-1",
			camtEntry("CRDT", "98.00", `<AcctSvcrRef>C-1</AcctSvcrRef>`+charges("2.00")+`<NtryDtls>`+
				camtTx(`<AcctSvcrRef>CT-1</AcctSvcrRef>`, "98.00", ocrs[0], "")+`</NtryDtls>`),
			camtEntry("CRDT", "97.00", `<AcctSvcrRef>C-2</AcctSvcrRef>`+charges("3.00")+`<NtryDtls>`+
				camtTx(`<AcctSvcrRef>CT-2a</AcctSvcrRef>`, "50.00", ocrs[1], "")+camtTx(`<AcctSvcrRef>CT-2b</AcctSvcrRef>`, "47.00", ocrs[2], "")+`</NtryDtls>`),
		)
		var r importResult
		e.must(200, request{method: "POST", path: "/v1/payments/import", body: file}).decode(t, &r)
		if got, want := outcomes(r), []string{"matched", "matched", "partial"}; !slices.Equal(got, want) || !r.Payments[0].OrderPaid {
			t.Errorf("payments = %+v, want outcomes %v, the first paying its order", r.Payments, want)
		}
		var skipped []string
		for _, s := range r.Skipped {
			skipped = append(skipped, s.Location+" "+s.Reason)
		}
		if want := []string{"Ntfctn[1]/Ntry[2] charges"}; !slices.Equal(skipped, want) {
			t.Errorf("skipped = %v, want %v", skipped, want)
		}
		var docs docList
		e.must(200, request{method: "GET", path: "/v1/orders/" + ids[0] + "/documents"}).decode(t, &docs)
		if paid := docs.Documents[0].PaidAmount.MinorUnits; paid != 10000 {
			t.Errorf("paid on the invoice paid net of its entry's charges = %d, want 10000 (the charges are the merchant's)", paid)
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
	long := strings.Repeat("1", 201)
	for _, param := range []string{"bankReference", "paymentReference"} {
		body := map[string]any{"paymentReference": l.Documents[0].PaymentReference, "amount": 100, "currency": "SEK", param: long}
		resp := e.do(request{method: "POST", path: "/v1/sandbox/payments", body: body})
		var got struct{ Errors []struct{ Param string } }
		resp.decode(t, &got)
		if resp.status != 400 || len(got.Errors) != 1 || got.Errors[0].Param != param {
			t.Errorf("sandbox payment with a long %s = %d %s, want 400 naming it", param, resp.status, resp.body)
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

// A payment recorded unmatched is matched to a document by hand with the
// effects of an automatic match, once; bad IDs, another merchant's
// payment or document, a payment matched already and a document in
// another currency are refused and change nothing.
func TestPaymentMatch(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		ids, _ := e.invoicedOrders(10000, 10000)
		var docs docList
		e.must(200, request{method: "GET", path: "/v1/orders/" + ids[0] + "/documents"}).decode(t, &docs)
		doc := docs.Documents[0].ID
		// The second order refunded: its credit note asks for no payment.
		e.must(200, request{method: "POST", path: "/v1/orders/" + ids[1] + "/refund/" + e.getOrder(ids[1], nil).Captured[0].LedgerID})
		var refunded docList
		e.must(200, request{method: "GET", path: "/v1/orders/" + ids[1] + "/documents"}).decode(t, &refunded)
		credit := refunded.Documents[len(refunded.Documents)-1]
		if credit.Kind != "creditNote" {
			t.Fatalf("the refund's document is %s", credit.Kind)
		}
		for _, p := range []map[string]any{
			{"paymentReference": "1234574", "amount": 10000, "currency": "SEK", "bankReference": "M-1"},
			{"paymentReference": "1234574", "amount": 10000, "currency": "EUR", "bankReference": "M-2"},
		} {
			e.must(200, request{method: "POST", path: "/v1/sandbox/payments", body: p})
		}
		var list struct {
			Payments []struct{ ID, BankReference, DocumentID string }
		}
		e.must(200, request{method: "GET", path: "/v1/payments?unmatched=true"}).decode(t, &list)
		byRef := map[string]string{}
		for _, p := range list.Payments {
			byRef[p.BankReference] = p.ID
		}
		sek, eur := byRef["M-1"], byRef["M-2"]
		if sek == "" || eur == "" {
			t.Fatalf("unmatched payments = %+v", list)
		}
		match := func(payment string, body any, as *creds) response {
			return e.do(request{method: "POST", path: "/v1/payments/" + payment + "/match", body: body, as: as})
		}
		before := e.must(200, request{method: "GET", path: "/v1/payments"}).body
		for _, tt := range []struct {
			name, payment string
			body          any
			as            *creds
			status        int
		}{
			{"no document", sek, map[string]any{}, nil, 400},
			{"not JSON", sek, "documentId=" + doc, nil, 400},
			{"unknown payment", "bp_missing", map[string]any{"documentId": doc}, nil, 404},
			{"unknown document", sek, map[string]any{"documentId": "doc_missing"}, nil, 404},
			{"another merchant's", sek, map[string]any{"documentId": doc}, &e.b, 404},
			{"another currency", eur, map[string]any{"documentId": doc}, nil, 400},
			{"a credit note", sek, map[string]any{"documentId": credit.ID}, nil, 400},
		} {
			if resp := match(tt.payment, tt.body, tt.as); resp.status != tt.status || resp.code() == "" {
				t.Errorf("%s: %d %s, want %d", tt.name, resp.status, resp.body, tt.status)
			}
		}
		if after := e.must(200, request{method: "GET", path: "/v1/payments"}).body; string(after) != string(before) {
			t.Errorf("a refused match changed the payments:\n%s\n%s", before, after)
		}

		var got struct {
			ID, DocumentID, Outcome, OrderID string
			OrderPaid                        bool
		}
		key := map[string]string{"Idempotency-Key": "match-1"}
		for range 2 { // the same key: one match, the same answer
			e.must(200, request{method: "POST", path: "/v1/payments/" + sek + "/match", body: map[string]any{"documentId": doc}, header: key}).decode(t, &got)
			if got.ID != sek || got.DocumentID != doc || got.Outcome != "matched" || got.OrderID != ids[0] || !got.OrderPaid {
				t.Errorf("match = %+v", got)
			}
		}
		if resp := match(sek, map[string]any{"documentId": doc}, nil); resp.status != 409 {
			t.Errorf("matching it again = %d %s, want 409", resp.status, resp.body)
		}
		if n := countOf(eventTypes(e.getOrder(ids[0], nil)), "paid"); n != 1 {
			t.Errorf("paid events = %d, want 1", n)
		}
		e.must(200, request{method: "GET", path: "/v1/orders/" + ids[0] + "/documents"}).decode(t, &docs)
		if docs.Documents[0].PaidAmount.MinorUnits != 10000 {
			t.Errorf("paid on the invoice = %d, want 10000", docs.Documents[0].PaidAmount.MinorUnits)
		}
		e.must(200, request{method: "GET", path: "/v1/payments?unmatched=true"}).decode(t, &list)
		if len(list.Payments) != 1 || list.Payments[0].ID != eur {
			t.Errorf("unmatched after the match = %+v", list)
		}
	})
}

// Of concurrent matches of one payment exactly one applies; the others
// are 409, and the order is paid once.
func TestPaymentMatchConcurrent(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		ids, _ := e.invoicedOrders(10000)
		var docs docList
		e.must(200, request{method: "GET", path: "/v1/orders/" + ids[0] + "/documents"}).decode(t, &docs)
		e.must(200, request{method: "POST", path: "/v1/sandbox/payments", body: map[string]any{"paymentReference": "1234574", "amount": 10000, "currency": "SEK"}})
		var list struct{ Payments []struct{ ID string } }
		e.must(200, request{method: "GET", path: "/v1/payments?unmatched=true"}).decode(t, &list)
		e.token(&e.a) // one token for all
		const n = 6
		statuses := make(chan int, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				statuses <- e.do(request{method: "POST", path: "/v1/payments/" + list.Payments[0].ID + "/match", body: map[string]any{"documentId": docs.Documents[0].ID}}).status
			})
		}
		wg.Wait()
		close(statuses)
		got := map[int]int{}
		for s := range statuses {
			got[s]++
		}
		if got[200] != 1 || got[409] != n-1 {
			t.Errorf("statuses = %v, want one 200 and %d 409", got, n-1)
		}
		if c := countOf(eventTypes(e.getOrder(ids[0], nil)), "paid"); c != 1 {
			t.Errorf("paid events = %d, want 1", c)
		}
	})
}
