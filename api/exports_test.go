package api_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/invoice/sie/sietest"
)

// The accounting export through the API, on both stores: an invoice, its
// partial credit note and its payment in SEK, and a reverse-charge
// invoice in EUR booked at the rate given, read back from the file; a
// period that is not one, or a currency without a rate, is a 400.
func TestSIEExport(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		settings := sellerSettings()
		settings["accounting"] = map[string]any{"receivable": "1511"}
		e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: settings})

		id := e.order(cart(line("A", 2, 10000)))
		base := "/v1/orders/" + id
		var o orderView
		e.must(200, request{method: "POST", path: base + "/capture", body: map[string]any{"orderLines": []any{line("A", 2, 10000)}, "totalCaptureAmount": 20000}}).decode(t, &o)
		e.must(200, request{method: "POST", path: base + "/partialrefund/" + o.Captured[0].LedgerID, body: map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalRefundAmount": 10000}})
		var docs docList
		e.must(200, request{method: "GET", path: base + "/documents"}).decode(t, &docs)
		e.must(200, request{method: "POST", path: "/v1/sandbox/payments", body: map[string]any{"paymentReference": docs.Documents[0].PaymentReference, "amount": 10000, "currency": "SEK"}})

		// Services in EUR to a German business: reverse charge, 0 % VAT.
		de := map[string]any{}
		maps.Copy(de, buyer)
		de["vatId"] = "DE136695976"
		de["billingAddress"] = map[string]any{"companyName": "Kunde GmbH", "streetAddress": "Hauptstraße 1", "postalCode": "10115", "city": "Berlin", "country": "DE"}
		svc := map[string]any{"type": "service", "reference": "S", "description": "Consulting", "quantity": 1, "unitPrice": 100001,
			"unitDiscountAmount": 0, "vat": 0, "totalAmount": 100001, "totalVatAmount": 0}
		eur := cart(svc)
		eur["currency"], eur["country"] = "EUR", "DE"
		tok := e.authorize(e.session(eur), de)
		var placed struct{ OrderID string }
		e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + tok + "/order", body: withCustomer(eur, de)}).decode(t, &placed)
		e.must(200, request{method: "POST", path: "/v1/orders/" + placed.OrderID + "/capture", body: map[string]any{"orderLines": []any{svc}, "totalCaptureAmount": 100001}})

		period := "/v1/exports/sie?from=2026-03-01&to=2026-03-31"
		resp := e.must(200, request{method: "GET", path: period + "&rate=EUR:11.455"})
		if ct, cd := resp.header.Get("Content-Type"), resp.header.Get("Content-Disposition"); ct != "text/plain; charset=IBM437" || cd != `attachment; filename="kassa-20260301-20260331.si"` {
			t.Errorf("Content-Type %q, Content-Disposition %q", ct, cd)
		}
		if cc := resp.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		f := sietest.Read(t, resp.body)
		if len(f.Vers) != 4 {
			t.Fatalf("%d verifications, want 4: two invoices, a credit note, a payment", len(f.Vers))
		}
		for _, v := range f.Vers {
			if v.Sum() != 0 {
				t.Errorf("verification %q sums to %d öre", v.Text, v.Sum())
			}
		}
		// 1000.01 EUR at 11.455 is 11455.11 kronor.
		want := map[string]int64{"1511": 20000 - 10000 - 10000 + 1145511, "1930": 10000, "3001": -16000 + 8000, "2611": -4000 + 2000, "3308": -1145511}
		if diff := cmp.Diff(want, f.Totals()); diff != "" {
			t.Errorf("totals per account (-want +got):\n%s", diff)
		}
		if !strings.Contains(string(resp.body), `#FNAMN "Byggvaror S`) || !strings.Contains(string(resp.body), `#ORGNR "556123-4567"`) {
			t.Errorf("the file does not name the seller:\n%s", sietest.DecodePC8(resp.body))
		}

		if f := sietest.Read(t, e.must(200, request{method: "GET", path: "/v1/exports/sie?from=2026-04-01&to=2026-04-30"}).body); len(f.Vers) != 0 {
			t.Errorf("a period without documents has %d verifications", len(f.Vers))
		}
		for query, param := range map[string]string{
			"to=2026-03-31":                             "from",
			"from=2026-03-01":                           "to",
			"from=2026-03-01&to=2026-03-32":             "to",
			"from=1.3.2026&to=2026-03-31":               "from",
			"from=2026-03-31&to=2026-03-01":             "to",
			"from=2026-03-01&to=2026-03-31":             "rate", // the EUR invoice has no rate
			"from=2026-03-01&to=2026-03-31&rate=EUR:x":  "rate",
			"from=2025-12-01&to=2026-03-31&rate=EUR:11": "to", // two fiscal years
		} {
			resp := e.do(request{method: "GET", path: "/v1/exports/sie?" + query})
			if resp.status != 400 || resp.code() != "invalid_request" || !strings.Contains(string(resp.body), `"param":"`+param+`"`) {
				t.Errorf("%s: %d %s, want 400 naming %s", query, resp.status, resp.body, param)
			}
		}
	})
}
