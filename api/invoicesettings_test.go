package api_test

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/kassa-pay/kassa/invoice/pdf/pdftest"
	"github.com/kassa-pay/kassa/invoice/ubl"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/provider"
)

// sellerSettings are complete settings of a Swedish seller, as a merchant
// sends them.
func sellerSettings() map[string]any {
	return map[string]any{
		"seller": map[string]any{"name": "Byggvaror Söder AB", "orgNo": "5561234567", "vatId": "se556123456701",
			"streetAddress": "Ringvägen 10", "postalCode": "118 60", "city": "Stockholm", "country": "se",
			"registeredOffice": "Stockholm", "email": "faktura@byggvaror.example", "phone": "+46 8 123 456 78"},
		"fTax": true, "paymentTerms": 20, "bankgiro": "50501055", "plusgiro": "4 42 81-4",
		"accounts": []any{map[string]any{"currency": "EUR", "iban": "SE45 5000 0000 0583 9825 7466", "bic": "essesess"}},
	}
}

// settingsWith is sellerSettings with one field, by its path, set to v.
func settingsWith(path string, v any) map[string]any {
	s := sellerSettings()
	m := s
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		m = m[p].(map[string]any)
	}
	m[parts[len(parts)-1]] = v
	return s
}

// Bad settings are a 400 naming the field, and nothing of them is stored;
// good ones are stored in the form the documents print.
func TestInvoiceSettingsValidated(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		var stored map[string]any
		e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: sellerSettings()}).decode(t, &stored)
		seller := stored["seller"].(map[string]any)
		if seller["orgNo"] != "556123-4567" || seller["vatId"] != "SE556123456701" || seller["country"] != "SE" ||
			stored["bankgiro"] != "5050-1055" || stored["plusgiro"] != "44281-4" || stored["firstNumber"] != float64(1) {
			t.Errorf("stored settings %v, want the canonical forms", stored)
		}
		before := e.must(200, request{method: "GET", path: "/v1/invoice-settings"}).body
		for path, v := range map[string]any{
			"seller.orgNo":   "556123-4568",
			"seller.vatId":   "SE556123456702",
			"seller.country": "Sverige",
			"seller.email":   "not an address",
			"bankgiro":       "123-4567",
			"plusgiro":       "44281-5",
			"accounts":       []any{map[string]any{"currency": "EUR", "iban": "SE45 5000 0000 0583 9825 7467", "bic": "ESSESESS"}},
			"logo":           base64.StdEncoding.EncodeToString([]byte("GIF89a")),
			"logoSha256":     strings.Repeat("ab", 32),
			"firstNumber":    -1,
			"accounting":     map[string]any{"receivable": "15100"},
		} {
			resp := e.do(request{method: "PUT", path: "/v1/invoice-settings", body: settingsWith(path, v)})
			param := path
			switch path {
			case "accounts":
				param = "accounts[0].iban"
			case "accounting":
				param = "accounting.receivable"
			}
			if resp.status != 400 || !strings.Contains(string(resp.body), `"param":"`+param+`"`) {
				t.Errorf("%s = %v: %d %s, want 400 naming %s", path, v, resp.status, resp.body, param)
			}
		}
		if after := e.must(200, request{method: "GET", path: "/v1/invoice-settings"}).body; !bytes.Equal(before, after) {
			t.Errorf("refused settings changed the stored ones:\n%s\n%s", before, after)
		}
	})
}

func logoPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewNRGBA(image.Rect(0, 0, 120, 40))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A logo sent with the settings is read back with them, kept when later
// settings name it by its hash alone, and embedded in the documents'
// PDFs.
func TestInvoiceSettingsLogo(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		var got struct {
			Logo       []byte
			LogoSHA256 string
		}
		e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: settingsWith("logo", logoPNG(t))}).decode(t, &got)
		if len(got.Logo) == 0 || len(got.LogoSHA256) != 64 {
			t.Fatalf("settings with a logo answered logo %d bytes, hash %q", len(got.Logo), got.LogoSHA256)
		}
		e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: settingsWith("logoSha256", got.LogoSHA256)})
		var again struct {
			Logo       []byte
			LogoSHA256 string
		}
		e.must(200, request{method: "GET", path: "/v1/invoice-settings"}).decode(t, &again)
		if !bytes.Equal(again.Logo, got.Logo) || again.LogoSHA256 != got.LogoSHA256 {
			t.Errorf("settings naming the logo by hash: logo %d bytes, hash %q", len(again.Logo), again.LogoSHA256)
		}
		id := e.order(cart(line("A", 1, 10000)))
		e.must(201, request{method: "POST", path: "/v1/orders/" + id + "/acknowledge"})
		e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/capture", body: map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}})
		docs := e.documents(id)
		b := e.must(200, request{method: "GET", path: "/v1/documents/" + docs[0].ID}).body
		if n := pdftest.Images(t, b); n != 1 {
			t.Errorf("the invoice PDF has %d images, want the logo", n)
		}
		e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: sellerSettings()}) // logo removed
		if n := pdftest.Images(t, e.must(200, request{method: "GET", path: "/v1/documents/" + docs[0].ID}).body); n != 1 {
			t.Errorf("after the logo was removed from the settings, the issued invoice has %d images, want its logo still", n)
		}
	})
}

// The number series starts where the merchant chooses, until its first
// document is numbered; then only that number is taken again.
func TestInvoiceSettingsFirstNumber(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: settingsWith("firstNumber", 1000)})
		e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: settingsWith("firstNumber", 2026001)})
		id := e.order(cart(line("A", 1, 10000)))
		e.must(201, request{method: "POST", path: "/v1/orders/" + id + "/acknowledge"})
		e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/capture", body: map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}})
		if _, err := e.app.NumberDocuments(t.Context()); err != nil {
			t.Fatal(err)
		}
		var list docList
		e.must(200, request{method: "GET", path: "/v1/orders/" + id + "/documents"}).decode(t, &list)
		if len(list.Documents) != 1 || list.Documents[0].Number != 2026001 {
			t.Fatalf("documents %+v, want one numbered 2026001", list.Documents)
		}
		resp := e.do(request{method: "PUT", path: "/v1/invoice-settings", body: settingsWith("firstNumber", 1)})
		if resp.status != 409 || !strings.Contains(string(resp.body), `"param":"firstNumber"`) {
			t.Errorf("a new first number after the first document = %d %s, want 409 naming firstNumber", resp.status, resp.body)
		}
		e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: settingsWith("firstNumber", 2026001)})
	})
}

// In live mode a capture whose invoice would lack what the law asks of it
// is refused, 409 naming the missing settings, and the order stays
// uncaptured; with the settings complete it goes through. The sandbox
// issues the document whatever the settings lack, in the merchant's name.
func TestLiveCaptureNeedsCompleteSettings(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t, withProvider(func(c *provider.Config) { c.Live = true }))
		id := e.order(cart(line("A", 1, 10000)))
		e.must(201, request{method: "POST", path: "/v1/orders/" + id + "/acknowledge"})
		capture := request{method: "POST", path: "/v1/orders/" + id + "/capture", body: map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}}
		e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: map[string]any{"seller": map[string]any{"name": "Half AB", "country": "SE"}}})
		resp := e.do(capture)
		if resp.status != 409 {
			t.Fatalf("live capture with incomplete settings = %d %s, want 409", resp.status, resp.body)
		}
		for _, field := range []string{"seller.orgNo", "seller.vatId", "seller.streetAddress", "bankgiro, plusgiro or accounts"} {
			if !strings.Contains(string(resp.body), field) {
				t.Errorf("the refusal %s does not name %s", resp.body, field)
			}
		}
		var o orderView
		e.must(200, request{method: "GET", path: "/v1/orders/" + id}).decode(t, &o)
		if len(o.Captured) != 0 || o.Uncaptured == nil {
			t.Errorf("after the refused capture: %+v, want it uncaptured", o)
		}
		e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: sellerSettings()})
		e.must(200, capture)
	})
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		id := e.order(cart(line("A", 1, 10000)))
		e.must(201, request{method: "POST", path: "/v1/orders/" + id + "/acknowledge"})
		e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/capture", body: map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}})
		docs := e.documents(id)
		if len(docs) != 1 || docs[0].Seller.Name == "" {
			t.Fatalf("sandbox documents %+v, want one in the merchant's name", docs)
		}
		if _, err := e.app.NumberDocuments(t.Context()); err != nil {
			t.Fatal(err)
		}
		var mails struct{ Mails []struct{ Subject string } }
		e.must(200, request{method: "GET", path: "/v1/sandbox/mails"}).decode(t, &mails)
		if len(mails.Mails) != 1 || mails.Mails[0].Subject != "Faktura 1 från "+docs[0].Seller.Name {
			t.Errorf("mails %+v, want the invoice's from the merchant", mails.Mails)
		}
	})
}

// A document is served as a Peppol BIS Billing 3.0 e-invoice to a request
// that asks for application/xml or ?format=ubl, to its merchant and on
// the buyer's link; as its PDF otherwise, a browser's Accept included;
// and an Accept naming neither is refused, 406 not_acceptable.
func TestDocumentUBL(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: sellerSettings()})
		id := e.order(cart(line("A", 1, 10000)))
		e.must(201, request{method: "POST", path: "/v1/orders/" + id + "/acknowledge"})
		e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/capture", body: map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}})
		path := "/v1/documents/" + e.documents(id)[0].ID
		for _, r := range []request{
			{method: "GET", path: path, header: map[string]string{"Accept": "application/xml"}},
			{method: "GET", path: path + "?format=ubl"},
			{method: "GET", path: path, header: map[string]string{"Accept": "application/pdf;q=0.5, text/xml"}},
		} {
			resp := e.must(200, r)
			if cd := resp.header.Get("Content-Disposition"); cd != `inline; filename="invoice-1.xml"` || resp.header.Get("Vary") != "Accept" {
				t.Errorf("%s %v: Content-Disposition %q, Vary %q", r.path, r.header, cd, resp.header.Get("Vary"))
			}
			if ct := resp.header.Get("Content-Type"); ct != "application/xml" || !bytes.Contains(resp.body, []byte(ubl.CustomizationID)) ||
				!bytes.Contains(resp.body, []byte("<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>")) {
				t.Errorf("%s %v: %s %.300s", r.path, r.header, ct, resp.body)
			}
		}
		for _, accept := range []string{"", "*/*", "application/pdf", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"} {
			resp := e.must(200, request{method: "GET", path: path, header: map[string]string{"Accept": accept}})
			if ct := resp.header.Get("Content-Type"); ct != "application/pdf" {
				t.Errorf("Accept %q: %s, want the PDF", accept, ct)
			}
		}
		for _, accept := range []string{"image/png", "application/pdf;q=0, application/xml;q=NaN", "application/json"} {
			if resp := e.do(request{method: "GET", path: path, header: map[string]string{"Accept": accept}}); resp.status != 406 || resp.code() != "not_acceptable" {
				t.Errorf("Accept %s: %d %s, want 406 not_acceptable", accept, resp.status, resp.body)
			}
		}
		if resp := e.do(request{method: "GET", path: path + "?format=docx"}); resp.status != 400 || resp.code() != "invalid_request" {
			t.Errorf("format=docx: %d %s, want 400", resp.status, resp.body)
		}
		d := e.documents(id)[0]
		buyerPath, err := d.BuyerPath(kassatest.KEK())
		if err != nil {
			t.Fatal(err)
		}
		if resp := e.must(200, request{method: "GET", path: buyerPath + "?format=ubl"}); !bytes.Contains(resp.body, []byte("<Invoice ")) {
			t.Errorf("buyer's link as UBL: %.200s", resp.body)
		}
	})
}
