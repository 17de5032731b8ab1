// Package pdf renders invoice documents as PDF (A4, the PDF core fonts).
// The output depends only on the document, so a document renders to the
// same bytes every time and need not be stored.
package pdf

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/money"
)

const (
	margin = 15.0
	width  = 210 - 2*margin // A4 in mm
	lineH  = 5.0
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
	// The core fonts are Latin-1; this maps UTF-8 text (å, ä, ö, é, €) to
	// their code page.
	tr := f.UnicodeTranslatorFromDescriptor("cp1252")
	r := &renderer{f: f, tr: tr, cur: d.Currency}
	f.AddPage()
	r.header(d)
	r.parties(d)
	r.lines(d)
	r.vat(d)
	r.payment(d)
	var b bytes.Buffer
	if err := f.Output(&b); err != nil {
		return nil, fmt.Errorf("render %s %d: %w", d.Kind, d.Number, err)
	}
	return b.Bytes(), nil
}

type renderer struct {
	f   *fpdf.Fpdf
	tr  func(string) string
	cur money.Currency
}

func (r *renderer) text(w float64, s, align string) {
	r.f.CellFormat(w, lineH, r.tr(s), "", 0, align, false, 0, "")
}

func (r *renderer) ln() { r.f.Ln(lineH) }

func (r *renderer) font(style string, size float64) { r.f.SetFont("Helvetica", style, size) }

func (r *renderer) amount(minor int64) string { return money.Grouped(minor, r.cur) }

func (r *renderer) header(d *invoice.Document) {
	r.font("B", 18)
	r.f.CellFormat(width/2, 10, r.tr(invoice.Title(d.Kind)), "", 0, "L", false, 0, "")
	r.font("", 10)
	r.f.CellFormat(width/2, 10, r.tr(d.Seller.Name), "", 1, "R", false, 0, "")
	rows := [][2]string{
		{"Number", fmt.Sprint(d.Number)},
		{"Reference", d.Reference},
		{"Issue date", d.IssueDate.Format("2006-01-02")},
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
	left, right := partyLines("Seller", d.Seller), partyLines("Buyer", d.Buyer)
	for i := range max(len(left), len(right)) {
		for j, col := range [][]string{left, right} {
			r.font("", 10)
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

func partyLines(title string, p invoice.Party) []string {
	out := []string{title, p.Name}
	add := func(label, v string) {
		if v != "" {
			out = append(out, label+v)
		}
	}
	add("Att: ", p.Attention)
	add("", p.StreetAddress)
	add("", strings.TrimSpace(p.PostalCode+" "+p.City))
	add("", p.Country)
	add("Org. no. ", p.OrgNo)
	add("VAT no. ", p.VATID)
	add("Reference: ", strings.Join(nonEmpty(p.Reference1, p.Reference2), ", "))
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

// Columns of the line table: description, reference, quantity, VAT
// rate, total excluding VAT, total.
var cols = []float64{70, 30, 15, 15, 25, 25}

func (r *renderer) row(cells []string, style string) {
	r.font(style, 9)
	for i, c := range cells {
		align := "R"
		if i < 2 {
			align = "L"
		}
		r.text(cols[i], truncate(c, int(cols[i]/1.8)), align)
	}
	r.ln()
}

func (r *renderer) lines(d *invoice.Document) {
	r.row([]string{"Description", "Reference", "Qty", "VAT", "Excl. VAT", "Amount"}, "B")
	for _, l := range d.Lines {
		r.row([]string{l.Description, l.Reference, fmt.Sprint(l.Quantity), rate(l.VAT), r.amount(l.Total - l.TotalVAT), r.amount(l.Total)}, "")
	}
	r.ln()
}

func (r *renderer) vat(d *invoice.Document) {
	r.font("B", 9)
	for _, h := range []string{"VAT rate", "Net", "VAT", "Total"} {
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
		r.text(0, "Payment reference (OCR): "+d.PaymentReference, "L")
		if d.Bankgiro != "" {
			r.ln()
			r.text(0, "Bankgiro: "+d.Bankgiro, "L")
		}
	}
	r.ln()
}

// rate renders basis points as a percentage: 2500 → "25%", 1250 → "12.5%".
func rate(bp int64) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".") + "%"
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
