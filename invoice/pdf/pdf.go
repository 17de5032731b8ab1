// Package pdf renders invoice documents as PDF (A4) with
// codeberg.org/go-pdf/fpdf and the Go fonts embedded (subset) as Unicode
// TrueType, so every Latin script's names print as written: Łódź,
// Přerov, Düsseldorf, Tromsø. The output depends only on the document,
// so a document renders to the same bytes every time and need not be
// stored.
package pdf

import (
	"bytes"
	"fmt"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/money"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

const (
	margin = 15.0
	width  = 210 - 2*margin // A4 in mm
	lineH  = 5.0
	family = "Go"
	// The logo fits in this box, keeping its proportions.
	logoW, logoH = 50.0, 18.0
)

// Render returns the document as a PDF. It is printed with its number, so
// an unnumbered document is an error.
func Render(d *invoice.Document) ([]byte, error) {
	if d.Number == 0 {
		return nil, fmt.Errorf("render %s %s: not numbered yet", d.Kind, d.ID)
	}
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, margin)
	f.SetCreationDate(d.CreatedAt)
	f.SetModificationDate(d.CreatedAt)
	f.SetCatalogSort(true)
	f.SetTitle(fmt.Sprintf("%s %d", invoice.Title(d.Kind), d.Number), true)
	f.SetAuthor(d.Seller.Name, true)
	f.AddUTF8FontFromBytes(family, "", goregular.TTF)
	f.AddUTF8FontFromBytes(family, "B", gobold.TTF)
	r := &renderer{f: f, cur: d.Currency}
	f.AddPage()
	r.logo(d)
	r.header(d)
	r.parties(d)
	r.lines(d)
	r.vat(d)
	r.notes(d)
	r.payment(d)
	var b bytes.Buffer
	if err := f.Output(&b); err != nil {
		return nil, fmt.Errorf("render %s %d: %w", d.Kind, d.Number, err)
	}
	return b.Bytes(), nil
}

type renderer struct {
	f   *fpdf.Fpdf
	cur money.Currency
}

func (r *renderer) text(w float64, s, align string) {
	r.f.CellFormat(w, lineH, r.fit(s, w), "", 0, align, false, 0, "")
}

// paragraph prints s across the page, wrapped.
func (r *renderer) paragraph(s string) { r.f.MultiCell(0, lineH-0.5, s, "", "L", false) }

// fit cuts s to what fits in w millimetres (0: the rest of the line),
// ending it with an ellipsis when cut.
func (r *renderer) fit(s string, w float64) string {
	if w == 0 || r.f.GetStringWidth(s) <= w-2 {
		return s
	}
	runes := []rune(s)
	for len(runes) > 0 && r.f.GetStringWidth(string(runes)+"…") > w-2 {
		runes = runes[:len(runes)-1]
	}
	return string(runes) + "…"
}

func (r *renderer) ln() { r.f.Ln(lineH) }

func (r *renderer) font(style string, size float64) { r.f.SetFont(family, style, size) }

func (r *renderer) amount(minor int64) string { return money.Grouped(minor, r.cur) }

// logo prints the seller's logo at the top left, if the document has one.
func (r *renderer) logo(d *invoice.Document) {
	if len(d.Logo) == 0 {
		return
	}
	kind := "JPG"
	if bytes.HasPrefix(d.Logo, []byte("\x89PNG")) {
		kind = "PNG"
	}
	opts := fpdf.ImageOptions{ImageType: kind}
	info := r.f.RegisterImageOptionsReader("logo", opts, bytes.NewReader(d.Logo))
	if info == nil || r.f.Err() {
		return // Output reports the error
	}
	w, h := logoW, logoW*info.Height()/info.Width()
	if h > logoH {
		w, h = logoH*info.Width()/info.Height(), logoH
	}
	r.f.ImageOptions("logo", margin, margin, w, h, false, opts, 0, "")
	r.f.SetY(margin + h + 3)
}

func (r *renderer) header(d *invoice.Document) {
	r.font("B", 18)
	r.f.CellFormat(width/2, 10, invoice.Title(d.Kind), "", 0, "L", false, 0, "")
	r.font("B", 11)
	r.f.CellFormat(width/2, 10, r.fit(d.Seller.Name, width/2), "", 1, "R", false, 0, "")
	rows := [][2]string{
		{"Number", fmt.Sprint(d.Number)},
		{"Reference", d.Reference},
		{"Issue date", d.IssueDate.Format("2006-01-02")},
	}
	if !d.DeliveryDate.IsZero() {
		rows = append(rows, [2]string{"Delivery date", d.DeliveryDate.Format("2006-01-02")})
	}
	if d.Kind != invoice.KindCreditNote && d.PaidByAdvance == 0 {
		rows = append(rows, [2]string{"Due date", d.DueDate.Format("2006-01-02")})
	}
	if d.Credits != 0 {
		rows = append(rows, [2]string{"Credits invoice", fmt.Sprint(d.Credits)})
	}
	rows = append(rows, [2]string{"Order", d.OrderReference})
	if d.MerchantReference != "" {
		rows = append(rows, [2]string{"Your order", d.MerchantReference})
	}
	for _, row := range rows {
		r.font("B", 10)
		r.text(35, row[0], "L")
		r.font("", 10)
		r.text(0, row[1], "L")
		r.ln()
	}
	r.ln()
}

func (r *renderer) parties(d *invoice.Document) {
	left, right := sellerLines(d), buyerLines(d.Buyer)
	for i := range max(len(left), len(right)) {
		for j, col := range [][]string{left, right} {
			r.font("", 9)
			if i == 0 {
				r.font("B", 10)
			}
			s := ""
			if i < len(col) {
				s = col[i]
			}
			w := width / 2
			if j == 1 {
				w = 0
			}
			r.text(w, s, "L")
		}
		r.ln()
	}
	r.ln()
}

// orgNoLabel is what a registration number is called in the seller's
// country.
func orgNoLabel(country string) string {
	switch country {
	case "FI":
		return "Business ID (Y-tunnus) "
	case "DK":
		return "CVR no. "
	}
	return "Org. no. "
}

func sellerLines(d *invoice.Document) []string {
	p := d.Seller
	out := addressLines("Seller", p)
	add := func(label, v string) {
		if v != "" {
			out = append(out, label+v)
		}
	}
	add(orgNoLabel(p.Country), p.OrgNo)
	add("VAT no. ", p.VATID)
	add("Registered office: ", p.RegisteredOffice)
	if d.FTax {
		out = append(out, "Godkänd för F-skatt (approved for F-tax)")
	}
	add("E-mail: ", p.Email)
	add("Phone: ", p.Phone)
	return out
}

func buyerLines(p invoice.Party) []string {
	out := addressLines("Buyer", p)
	add := func(label, v string) {
		if v != "" {
			out = append(out, label+v)
		}
	}
	add(orgNoLabel(p.Country), p.OrgNo)
	add("VAT no. ", p.VATID)
	add("Reference: ", strings.Join(nonEmpty(p.Reference1, p.Reference2), ", "))
	return out
}

func addressLines(title string, p invoice.Party) []string {
	out := []string{title, p.Name}
	if p.Attention != "" {
		out = append(out, "Att: "+p.Attention)
	}
	for _, v := range []string{p.StreetAddress, strings.TrimSpace(p.PostalCode + " " + p.City), p.Country} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Columns of the line table: description, article number, quantity, unit
// price, discount, VAT rate, net amount (these three excluding VAT) and
// amount including VAT.
var cols = []float64{50, 24, 12, 22, 20, 12, 20, 20}

// row prints a row of the line table; the description wraps onto lines
// of its own, since it is the nature of what was sold.
func (r *renderer) row(cells []string, style string) {
	r.font(style, 8)
	desc := r.f.SplitText(cells[0], cols[0]-2)
	if len(desc) == 0 {
		desc = []string{""}
	}
	for i, c := range cells {
		align := "R"
		if i == 0 {
			c = desc[0]
		}
		if i < 2 {
			align = "L"
		}
		r.text(cols[i], c, align)
	}
	r.ln()
	for _, more := range desc[1:] {
		r.text(cols[0], more, "L")
		r.ln()
	}
}

func (r *renderer) lines(d *invoice.Document) {
	r.row([]string{"Description", "Art. no.", "Qty", "Unit price", "Discount", "VAT", "Net", "Amount"}, "B")
	for _, l := range d.Lines {
		unit, discount := "", ""
		if l.UnitPrice != nil {
			unit = r.amount(*l.UnitPrice)
		}
		if l.Discount != 0 {
			discount = r.amount(l.Discount)
		}
		r.row([]string{l.Description, l.Reference, fmt.Sprint(l.Quantity), unit, discount, rate(l.VAT), r.amount(l.Net()), r.amount(l.Total)}, "")
	}
	r.font("", 7)
	r.text(0, "Unit price, discount and net exclude VAT; amount includes it.", "L")
	r.ln()
	r.ln()
}

func (r *renderer) vat(d *invoice.Document) {
	r.font("B", 9)
	for _, h := range []string{"VAT rate", "Taxable amount", "VAT", "Total"} {
		r.text(30, h, "R")
	}
	r.ln()
	r.font("", 9)
	for _, s := range d.VAT {
		for _, v := range []string{rate(s.Rate), r.amount(s.Net), r.amount(s.VAT), r.amount(s.Total)} {
			r.text(30, v, "R")
		}
		r.ln()
	}
	r.ln()
	for _, t := range [][2]string{
		{"Total excl. VAT", r.amount(d.Total - d.TotalVAT)},
		{"VAT", r.amount(d.TotalVAT)},
		{"Total " + string(d.Currency), r.amount(d.Total)},
	} {
		r.text(width-40, t[0], "R")
		r.text(40, t[1], "R")
		r.ln()
	}
	r.ln()
}

// notes prints the VAT statements the lines' rates call for.
func (r *renderer) notes(d *invoice.Document) {
	if len(d.VATNotes) == 0 {
		return
	}
	r.font("B", 9)
	for _, n := range d.VATNotes {
		r.paragraph(n)
	}
	r.ln()
}

func (r *renderer) payment(d *invoice.Document) {
	r.font("B", 11)
	switch {
	case d.PaidByAdvance != 0:
		r.text(0, fmt.Sprintf("Paid in advance by advance invoice %d. Nothing to pay.", d.PaidByAdvance), "L")
	case d.Kind == invoice.KindCreditNote:
		r.text(0, fmt.Sprintf("This credit note reduces invoice %d by %s %s.", d.Credits, r.amount(-d.Total), d.Currency), "L")
	default:
		r.text(0, fmt.Sprintf("To pay: %s %s by %s", r.amount(d.Payable()), d.Currency, d.DueDate.Format("2006-01-02")), "L")
		r.ln()
		r.font("", 10)
		rows := [][2]string{{invoice.ReferenceLabel(d) + ": ", invoice.PrintedReference(d)}, {"Bankgiro: ", d.Bankgiro}, {"Plusgiro: ", d.Plusgiro}}
		if d.IBAN != "" {
			rows = append(rows, [2]string{"IBAN: ", invoice.GroupIBAN(d.IBAN)}, [2]string{"BIC: ", d.BIC})
		}
		for _, row := range rows {
			if row[1] != "" {
				r.text(0, row[0]+row[1], "L")
				r.ln()
			}
		}
		if d.InterestTerms != "" {
			r.font("", 8)
			r.paragraph(d.InterestTerms)
		}
		return
	}
	r.ln()
}

// rate renders basis points as a percentage: 2500 → "25%", 1250 → "12.5%".
func rate(bp int64) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".") + "%"
}
