package pdf_test

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/i18n"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/invoice/pdf"
	"github.com/kassa-pay/kassa/invoice/pdf/pdftest"
	"github.com/kassa-pay/kassa/order"
)

var (
	update = flag.Bool("update", false, "rewrite the golden files in testdata")
	pdfDir = flag.String("pdfdir", "", "also write each golden case's PDF into this folder (for the pictures in docs/img)")
)

var (
	now      = time.Date(2026, 11, 23, 9, 15, 0, 0, time.UTC)
	captured = time.Date(2026, 11, 20, 14, 2, 0, 0, time.UTC)
	settings = invoice.Settings{
		Seller: invoice.Party{
			Name: "Byggvaror Söder AB", OrgNo: "556123-4567", VATID: "SE556123456701",
			StreetAddress: "Ringvägen 10", PostalCode: "118 60", City: "Stockholm", Country: "SE",
			RegisteredOffice: "Stockholm", Email: "faktura@byggvaror.example", Phone: "+46 8 123 456 78",
		},
		FTax: true, PaymentTerms: 20, Bankgiro: "5050-1055", Plusgiro: "44281-4",
		Accounts: []invoice.Account{{Currency: "EUR", IBAN: "SE4550000000058398257466", BIC: "ESSESESS"}},
	}
	testOrder = &order.Order{
		ID: "or_1", MerchantID: "ac_1", Currency: "SEK", OrderReference: "7GQ2K9XW", Reference: "PO-4411",
		PaymentMethod: order.Invoice,
		Customer: order.Customer{
			CompanyID: "559311-3714", CompanyName: "Ledyer AB", VATID: "SE559311371401", Email: "ap@ledyer.example",
			Reference1: "Sven Svensson", InvoiceChannel: order.InvoiceChannel{Type: "email", Details: "faktura@ledyer.example"},
			BillingAddress: order.Address{CompanyName: "Ledyer AB", AttentionName: "Ekonomi", StreetAddress: "Sveavägen 1",
				PostalCode: "111 57", City: "Stockholm", Country: "SE"},
		},
		Uncaptured: &order.Chunk{LedgerID: "in_u", Lines: []order.Line{
			{Type: "physical", Reference: "SAW-1", Description: "Circular saw", Quantity: 1, UnitPrice: ptr(249900), VAT: 2500, TotalAmount: 249900, TotalVATAmount: 49980},
		}},
		Captured: []order.Chunk{{LedgerID: "in_c", CreatedAt: captured, Lines: []order.Line{
			{Type: "physical", Reference: "DRL-18", Description: "Cordless drill 18 V", Quantity: 2, UnitPrice: ptr(169900), UnitDiscountAmount: 10000, VAT: 2500, TotalAmount: 319800, TotalVATAmount: 63960},
			{Type: "physical", Reference: "MAN-SV", Description: "Handbok för borrning", Quantity: 1, UnitPrice: ptr(26500), VAT: 600, TotalAmount: 26500, TotalVATAmount: 1500},
			{Type: "discount", Reference: "DISC", Description: "Spring discount", Quantity: 1, UnitPrice: ptr(-10000), VAT: 2500, TotalAmount: -10000, TotalVATAmount: -2000},
			{Type: "shippingFee", Reference: "ship", Description: "Freight", Quantity: 1, UnitPrice: ptr(9900), VAT: 2500, TotalAmount: 9900, TotalVATAmount: 1980},
		}}},
		Refunded: []order.Chunk{{LedgerID: "in_r", CapturedLedgerID: "in_c", CreatedAt: now, Lines: []order.Line{
			{Type: "physical", Reference: "DRL-18", Description: "Cordless drill 18 V", Quantity: 1, UnitPrice: ptr(169900), UnitDiscountAmount: 10000, VAT: 2500, TotalAmount: 159900, TotalVATAmount: 31980},
		}}},
	}
	// intraEU is a Swedish seller's order from a German business, in EUR
	// at 0 %: goods and a service, both VAT numbers known.
	intraEU = &order.Order{
		ID: "or_2", MerchantID: "ac_1", Currency: "EUR", OrderReference: "K4M8Q2ZT", Reference: "BE-2026-117",
		PaymentMethod: order.Invoice,
		Customer: order.Customer{
			CompanyID: "HRB 86786", CompanyName: "Werkzeughandel Nord GmbH", VATID: "DE136695976", Email: "rechnung@werkzeug.example",
			BillingAddress: order.Address{CompanyName: "Werkzeughandel Nord GmbH", StreetAddress: "Speicherstraße 12",
				PostalCode: "20457", City: "Hamburg", Country: "DE"},
		},
		Captured: []order.Chunk{{LedgerID: "in_eu", CreatedAt: captured, Lines: []order.Line{
			{Type: "physical", Reference: "DRL-18", Description: "Cordless drill 18 V", Quantity: 10, UnitPrice: ptr(14500), VAT: 0, TotalAmount: 145000},
			{Type: "service", Reference: "TRAIN", Description: "Training, one day on site", Quantity: 1, UnitPrice: ptr(90000), VAT: 0, TotalAmount: 90000},
		}}},
	}
	// unicode is an order whose names are Polish, Czech, German and
	// Nordic: the core fonts' code page has none of ł, ę, ř, ů.
	unicode = &order.Order{
		ID: "or_3", MerchantID: "ac_1", Currency: "EUR", OrderReference: "Z9Q4W7RT",
		PaymentMethod: order.Invoice,
		Customer: order.Customer{
			CompanyName: "Przedsiębiorstwo Handlowe Łódź Sp. z o.o.", VATID: "PL7251801126", Email: "faktury@lodz.example",
			BillingAddress: order.Address{CompanyName: "Przedsiębiorstwo Handlowe Łódź Sp. z o.o.", AttentionName: "Małgorzata Wiśniewska",
				StreetAddress: "ul. Piotrkowska 104", PostalCode: "90-926", City: "Łódź", Country: "PL"},
		},
		Captured: []order.Chunk{{LedgerID: "in_pl", CreatedAt: captured, Lines: []order.Line{
			{Type: "physical", Reference: "CZ-1", Description: "Dřevěné šroubky, Přerov (ů, ě)", Quantity: 100, UnitPrice: ptr(50), VAT: 0, TotalAmount: 5000},
			{Type: "physical", Reference: "DE-7", Description: "Größenverstellbarer Schraubstock, Düsseldorf", Quantity: 2, UnitPrice: ptr(8950), VAT: 0, TotalAmount: 17900},
			{Type: "physical", Reference: "NO-3", Description: "Tømmerkrok fra Tromsø, Ærøskøbing-model, Åland", Quantity: 1, UnitPrice: ptr(4200), VAT: 0, TotalAmount: 4200},
		}}},
	}
)

// finnish is a Finnish seller's order from a Finnish business, in EUR,
// its locale fi-FI: the invoice is written in Finnish.
var (
	finnishSettings = invoice.Settings{
		Seller: invoice.Party{
			Name: "Rautakauppa Häme Oy", OrgNo: "2345678-9", VATID: "FI23456789",
			StreetAddress: "Hämeenkatu 12", PostalCode: "33100", City: "Tampere", Country: "FI",
			RegisteredOffice: "Tampere", Email: "laskutus@rautakauppa.example", Phone: "+358 3 123 4567",
		},
		PaymentTerms: 14,
		Accounts:     []invoice.Account{{Currency: "EUR", IBAN: "FI2112345600000785", BIC: "NDEAFIHH"}},
	}
	finnish = &order.Order{
		ID: "or_4", MerchantID: "ac_1", Currency: "EUR", Locale: "fi-FI", OrderReference: "H3K8P2LM", Reference: "TIL-2026-88",
		PaymentMethod: order.Invoice,
		Customer: order.Customer{
			CompanyID: "1572860-0", CompanyName: "Rakennus Virtanen Oy", VATID: "FI15728600", Email: "ostot@virtanen.example",
			Reference1: "Matti Virtanen",
			BillingAddress: order.Address{CompanyName: "Rakennus Virtanen Oy", StreetAddress: "Aleksanterinkatu 5",
				PostalCode: "00100", City: "Helsinki", Country: "FI"},
		},
		Captured: []order.Chunk{{LedgerID: "in_fi", CreatedAt: captured, Lines: []order.Line{
			{Type: "physical", Reference: "PORA-18", Description: "Akkuporakone 18 V", Quantity: 2, UnitPrice: ptr(18990), VAT: 2550, TotalAmount: 37980, TotalVATAmount: 7717},
			{Type: "physical", Reference: "KIRJA", Description: "Porauksen käsikirja", Quantity: 1, UnitPrice: ptr(2450), VAT: 1000, TotalAmount: 2450, TotalVATAmount: 223},
			{Type: "shippingFee", Reference: "rahti", Description: "Rahti", Quantity: 1, UnitPrice: ptr(1490), VAT: 2550, TotalAmount: 1490, TotalVATAmount: 303},
		}}},
	}
)

func ptr(n int64) *int64 { return &n }

func documents(t testing.TB) map[string]*invoice.Document {
	t.Helper()
	issueWith := func(settings invoice.Settings, o *order.Order, need invoice.Need, number int64, ocrBase string, credited, advance *invoice.Document) *invoice.Document {
		p := invoice.Params{ID: "doc_" + need.LedgerID, Settings: settings, AccessToken: "tok", Now: now}
		p.Reference, _ = invoice.NewOCR(ocrBase)
		d, err := invoice.Issue(o, need, p, credited, advance)
		if err != nil {
			t.Fatalf("Issue %v: %v", need, err)
		}
		d.Number = number // as numbered after issue
		return d
	}
	issue := func(o *order.Order, need invoice.Need, number int64, ocrBase string, credited, advance *invoice.Document) *invoice.Document {
		return issueWith(settings, o, need, number, ocrBase, credited, advance)
	}
	inv := issue(testOrder, invoice.Need{Kind: invoice.KindInvoice, LedgerID: "in_c"}, 1041, "20261123000001", nil, nil)
	return map[string]*invoice.Document{
		"invoice":         inv,
		"credit_note":     issue(testOrder, invoice.Need{Kind: invoice.KindCreditNote, LedgerID: "in_r"}, 1042, "20261123000003", inv, nil),
		"advance":         issue(testOrder, invoice.Need{Kind: invoice.KindAdvance, LedgerID: "in_u"}, 1043, "20261123000002", nil, nil),
		"paid_by_advance": issue(testOrder, invoice.Need{Kind: invoice.KindInvoice, LedgerID: "in_c"}, 1044, "20261123000004", nil, &invoice.Document{ID: "doc_in_u", Number: 1043}),
		"intra_eu":        issue(intraEU, invoice.Need{Kind: invoice.KindInvoice, LedgerID: "in_eu"}, 1045, "20261123000005", nil, nil),
		"unicode":         issue(unicode, invoice.Need{Kind: invoice.KindInvoice, LedgerID: "in_pl"}, 1046, "20261123000006", nil, nil),
		"invoice_fi":      issueWith(finnishSettings, finnish, invoice.Need{Kind: invoice.KindInvoice, LedgerID: "in_fi"}, 1047, "20261123000007", nil, nil),
	}
}

// Each kind renders to the golden text, which shows the VAT per rate, the
// totals and the OCR reference.
func TestRenderGolden(t *testing.T) {
	for name, d := range documents(t) {
		t.Run(name, func(t *testing.T) {
			b, err := pdf.Render(d)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := pdf.Render(d)
			if !bytes.Equal(b, again) {
				t.Error("rendering twice gave different bytes")
			}
			if *pdfDir != "" {
				if err := os.WriteFile(filepath.Join(*pdfDir, name+".pdf"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got := pdftest.Text(t, b)
			path := filepath.Join("testdata", name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("text of %s (-want +got):\n%s", name, diff)
			}
		})
	}
}

// The invoice's printed VAT rows add up to its printed totals, and its
// OCR reference is valid: checked on the extracted text, not the struct.
func TestRenderedInvoiceAddsUp(t *testing.T) {
	d := documents(t)["invoice"]
	b, err := pdf.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	text := pdftest.Text(t, b)
	var net, vat, total int64
	totals := map[string]int64{}
	rows := 0
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 4 && strings.HasSuffix(f[0], "%"): // a VAT summary row
			net += minor(t, f[1])
			vat += minor(t, f[2])
			total += minor(t, f[3])
			rows++
		case strings.HasPrefix(strings.TrimSpace(line), "Total excl. VAT"):
			totals["net"] = minor(t, f[3])
		case len(f) == 2 && f[0] == "VAT":
			totals["vat"] = minor(t, f[1])
		case len(f) == 3 && f[0] == "Total":
			totals["total"] = minor(t, f[2])
		}
	}
	if rows != 2 {
		t.Fatalf("found %d VAT rows, want 2:\n%s", rows, text)
	}
	want := map[string]int64{"net": net, "vat": vat, "total": total}
	if diff := cmp.Diff(want, totals); diff != "" {
		t.Errorf("printed totals differ from the sum of the VAT rows (-rows +totals):\n%s", diff)
	}
	if total != d.Total || vat != d.TotalVAT {
		t.Errorf("printed total %d, VAT %d; document %d, %d", total, vat, d.Total, d.TotalVAT)
	}
	i := strings.Index(text, "(OCR): ")
	if i < 0 {
		t.Fatalf("no OCR reference in:\n%s", text)
	}
	ocr := strings.Fields(text[i+len("(OCR): "):])[0]
	if !invoice.ValidOCR(ocr) || ocr != d.PaymentReference {
		t.Errorf("printed OCR %q (document's %q) is not valid", ocr, d.PaymentReference)
	}
}

// minor parses a printed amount such as "-3,197.00" into minor units.
func minor(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.NewReplacer(",", "", ".", "").Replace(s), 10, 64)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return n
}

func BenchmarkRender(b *testing.B) {
	d := documents(b)["invoice"]
	for b.Loop() {
		if _, err := pdf.Render(d); err != nil {
			b.Fatal(err)
		}
	}
}

// Every kind of document renders in every language with no message
// missing, in words of its own.
func TestRenderInEveryLanguage(t *testing.T) {
	docs := documents(t)
	for _, name := range []string{"invoice", "credit_note", "advance", "paid_by_advance"} {
		english := ""
		for _, l := range i18n.Langs {
			d := *docs[name]
			d.Locale = string(l)
			b, err := pdf.Render(&d)
			if err != nil {
				t.Fatal(err)
			}
			text := pdftest.Text(t, b)
			if strings.Contains(text, i18n.MissingMark) {
				t.Errorf("%s in %s lacks a message:\n%s", name, l, text)
			}
			if l == i18n.English {
				english = text
			} else if text == english {
				t.Errorf("%s in %s reads as the English one", name, l)
			}
		}
	}
}

// A document is printed with its number, so one not numbered yet is not
// rendered at all.
func TestRenderUnnumbered(t *testing.T) {
	d := *documents(t)["invoice"]
	d.Number = 0
	if _, err := pdf.Render(&d); err == nil {
		t.Error("an unnumbered document was rendered")
	}
}

// A PNG or JPEG logo is embedded, and the PDF is still the same bytes
// every time.
func TestRenderLogo(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 300, 100))
	for x := range 300 {
		img.Set(x, x/3, color.NRGBA{R: 200, A: 255})
	}
	var p, j bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&j, img, nil); err != nil {
		t.Fatal(err)
	}
	for name, logo := range map[string][]byte{"png": p.Bytes(), "jpeg": j.Bytes()} {
		d := *documents(t)["invoice"]
		d.Logo = logo
		b, err := pdf.Render(&d)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if again, _ := pdf.Render(&d); !bytes.Equal(b, again) {
			t.Errorf("%s: rendering twice gave different bytes", name)
		}
		if n := pdftest.Images(t, b); n != 1 {
			t.Errorf("%s: %d images, want the logo", name, n)
		}
	}
}
