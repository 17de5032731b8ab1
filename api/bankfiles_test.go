package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// invoicedIn captures an order of 100.00 in cur for a seller in country
// and returns its invoice's payment reference and scheme.
func (e *env) invoicedIn(country, cur string) (ref, scheme string) {
	e.t.Helper()
	e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: map[string]any{"seller": map[string]any{"name": "Säljaren", "country": country}}})
	c := cart(line("A", 1, 10000))
	c["currency"] = cur
	id := e.order(c)
	e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/capture", body: map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}})
	var docs struct {
		Documents []struct{ PaymentReference, PaymentReferenceScheme string }
	}
	e.must(200, request{method: "GET", path: "/v1/orders/" + id + "/documents"}).decode(e.t, &docs)
	return docs.Documents[0].PaymentReference, docs.Documents[0].PaymentReferenceScheme
}

// Each scheme's reference, written as its payers write it, matches its
// document.
func TestPaymentReferenceSchemes(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		for _, tc := range []struct {
			country, cur, scheme string
			written              func(ref string) string
		}{
			{"SE", "SEK", "ocr", func(ref string) string { return ref }},
			{"FI", "EUR", "fi", func(ref string) string { return ref[:5] + " " + ref[5:10] + " " + ref[10:] }},
			{"NO", "NOK", "kid", func(ref string) string { return ref }},
			{"DK", "DKK", "fik", func(ref string) string { return "+71<" + ref + "+12345678<" }},
			{"SE", "EUR", "rf", func(ref string) string { return strings.ToLower(ref[:4]) + " " + ref[4:] }},
		} {
			ref, scheme := e.invoicedIn(tc.country, tc.cur)
			if scheme != tc.scheme {
				t.Errorf("%s seller in %s: scheme %q (reference %s), want %q", tc.country, tc.cur, scheme, ref, tc.scheme)
			}
			var r importResult
			e.must(200, request{method: "POST", path: "/v1/sandbox/payments", body: map[string]any{
				"paymentReference": tc.written(ref), "amount": 10000, "currency": tc.cur,
			}}).decode(t, &r)
			if len(r.Payments) != 1 || r.Payments[0].Outcome != "matched" || !r.Payments[0].OrderPaid {
				t.Errorf("%s reference %s written %q: %+v, want matched and the order paid", tc.scheme, ref, tc.written(ref), r.Payments)
			}
		}
	})
}

// bgmaxFile is a BgMax file of one deposit in cur to bankgiro 5050-1055
// on 2026-03-05, of payments (reference, amount in minor units).
func bgmaxFile(cur string, payments ...[2]any) string {
	lines := []string{"01BGMAX               0120260305180000000000P", "050050501055          " + cur}
	var total int64
	for i, p := range payments {
		lines = append(lines, fmt.Sprintf("200009912346%-25s%018d21%012d0", p[0], p[1], i+1), "26Betalaren AB")
		total += p[1].(int64)
	}
	lines = append(lines, fmt.Sprintf("15%-35s20260305%05d%018d%s%08d ", "99123465", 1, total, cur, len(payments)),
		fmt.Sprintf("70%08d%08d%08d%08d", len(payments), 0, 0, 1))
	return strings.Join(lines, "\n") + "\n"
}

// A BgMax file imports as a camt.054 file does, through the same
// endpoint, and the answer names the format; a damaged one changes
// nothing.
func TestPaymentsImportBgMax(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		ocr, _ := e.invoicedIn("SE", "SEK")
		rf, _ := e.invoicedIn("SE", "EUR")

		good := bgmaxFile("SEK", [2]any{ocr, int64(10000)}, [2]any{"1234574", int64(500)})
		damaged := strings.Replace(good, "70000000020", "70000000030", 1) // the end record counts a payment too many
		before := e.must(200, request{method: "GET", path: "/v1/payments"}).body
		for _, body := range []string{damaged, "01BGMAX", good[:len(good)-40]} {
			if resp := e.do(request{method: "POST", path: "/v1/payments/import", body: body}); resp.status != 400 || resp.code() == "" {
				t.Errorf("damaged BgMax import = %d %s, want 400 with an error code", resp.status, resp.body)
			}
		}
		if after := e.must(200, request{method: "GET", path: "/v1/payments"}).body; string(after) != string(before) {
			t.Errorf("a rejected file changed the payments:\n%s\n%s", before, after)
		}

		var r struct {
			importResult
			Format string
		}
		e.must(200, request{method: "POST", path: "/v1/payments/import", body: good, header: map[string]string{"Content-Type": "text/plain"}}).decode(t, &r)
		if r.Format != "bgmax" || len(r.Payments) != 2 || r.Payments[0].Outcome != "matched" || !r.Payments[0].OrderPaid || r.Payments[1].Outcome != "unmatched" {
			t.Errorf("BgMax import = %+v, want format bgmax, matched and unmatched", r)
		}
		e.must(200, request{method: "POST", path: "/v1/payments/import", body: good}).decode(t, &r)
		if r.Payments[0].Outcome != "duplicate" || r.Payments[1].Outcome != "duplicate" {
			t.Errorf("the same file again = %+v, want duplicates", r.Payments)
		}

		// Bankgirot writes ISO 8859-1; the name record's "ö" is byte 0xF6.
		latin1 := strings.Replace(bgmaxFile("EUR", [2]any{strings.ToLower(rf), int64(10000)}), "26Betalaren AB", "26K\xf6paren AB", 1)
		e.must(200, request{method: "POST", path: "/v1/payments/import", body: latin1}).decode(t, &r)
		if r.Format != "bgmax" || len(r.Payments) != 1 || r.Payments[0].Outcome != "matched" {
			t.Errorf("ISO 8859-1 BgMax import paying %s = %+v, want matched", rf, r)
		}

		e.must(200, request{method: "POST", path: "/v1/payments/import", body: camt054([3]string{"C-1", "1234574", "1.00"})}).decode(t, &r)
		if r.Format != "camt.054" {
			t.Errorf("camt.054 import format = %q", r.Format)
		}
	})
}
