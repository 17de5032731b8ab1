package invoice

import (
	"strings"

	"github.com/kassa-pay/kassa/order"
)

// What the law has an invoice say beyond its amounts: why a line carries
// no VAT, the interest on late payment, and whether a document is
// complete enough to issue in live mode. docs/invoices.md lists each
// requirement with its source.

// directive is how the notes cite the EU VAT Directive.
const directive = "Council Directive 2006/112/EC"

// reverseCharge is the mention "reverse charge" in the seller's language,
// beside the English one: the Directive (article 226(11a)) and the Nordic
// laws ask for the words, in the Swedish VAT Act "omvänd
// betalningsskyldighet".
var reverseCharge = map[string]string{
	"SE": "Omvänd betalningsskyldighet",
	"FI": "Käännetty verovelvollisuus",
	"DK": "Omvendt betalingspligt",
}

// intraEUGoods is the exemption of an intra-Community supply of goods in
// the seller's language.
var intraEUGoods = map[string]string{
	"SE": "Unionsintern leverans, undantagen från skatteplikt",
	"FI": "Veroton yhteisömyynti",
	"DK": "Momsfri levering af varer til andet EU-land",
}

// bilingual is the seller's language's words, then the English ones.
func bilingual(local map[string]string, country, english string) string {
	if l := local[country]; l != "" {
		return l + " / " + english
	}
	return english
}

// IntraEU reports whether d is a supply between businesses in two EU
// member states: seller and buyer in different member states, each with
// a VAT number.
func (d *Document) IntraEU() bool {
	s, b := d.Seller.Country, d.Buyer.Country
	return InEU(s) && InEU(b) && s != b && d.Seller.VATID != "" && d.Buyer.VATID != ""
}

// Export reports whether d is a supply from a seller in the EU to a buyer
// outside it.
func (d *Document) Export() bool {
	return InEU(d.Seller.Country) && d.Buyer.Country != "" && !InEU(d.Buyer.Country)
}

// vatNotes are the statements d's 0 % lines call for. Between businesses
// in two member states, goods are an exempt intra-Community supply
// (article 138) and services are taxed where the buyer is, who pays the
// VAT (articles 44 and 196: reverse charge). Goods leaving the EU are an
// exempt export (article 146), and services to a business outside it are
// supplied where that business is (article 44). Any other 0 % line is
// exempt for a reason only the seller knows: its note is the seller's
// (Settings.VATExemptionNote), and a document that needs one without it
// is incomplete (Missing).
func vatNotes(d *Document, exemption string) []string {
	goods, services := d.zeroRated()
	if !goods && !services {
		return nil
	}
	seller := d.Seller.Country
	var notes []string
	switch {
	case d.IntraEU():
		if goods {
			notes = append(notes, bilingual(intraEUGoods, seller, "Intra-Community supply of goods, exempt from VAT")+
				" ("+directive+", article 138). The buyer accounts for the VAT on the acquisition.")
		}
		if services {
			notes = append(notes, bilingual(reverseCharge, seller, "Reverse charge")+
				": the buyer accounts for the VAT ("+directive+", articles 44 and 196).")
		}
	case d.Export():
		if goods {
			notes = append(notes, "Export of goods outside the EU, exempt from VAT ("+directive+", article 146).")
		}
		if services {
			notes = append(notes, "Services to a business outside the EU: supplied where the buyer is established, outside the scope of EU VAT ("+directive+", article 44).")
		}
	case exemption != "":
		notes = append(notes, exemption)
	}
	return notes
}

// interestTerms states the statutory interest on late payment in the
// seller's country, which each of these laws sets at a central bank's
// reference rate plus 8 percentage points between businesses (the EU's
// Late Payment Directive 2011/7/EU, article 3).
func interestTerms(seller string) string {
	switch seller {
	case "SE":
		return "Dröjsmålsränta enligt räntelagen (1975:635) 6 §: referensräntan + 8 procentenheter. / " +
			"Interest on late payment under the Swedish Interest Act, section 6: the reference rate + 8 percentage points."
	case "FI":
		return "Viivästyskorko korkolain (633/1982) mukaan: viitekorko + 8 prosenttiyksikköä. / " +
			"Interest on late payment under the Finnish Interest Act: the reference rate + 8 percentage points."
	case "DK":
		return "Morarente efter renteloven: Nationalbankens udlånsrente + 8 procentpoint. / " +
			"Interest on late payment under the Danish Interest Act: the Nationalbank's lending rate + 8 percentage points."
	case "NO":
		return "Forsinkelsesrente etter forsinkelsesrenteloven: Norges Banks styringsrente + 8 prosentpoeng. / " +
			"Interest on late payment under the Norwegian Late Payment Interest Act: Norges Bank's policy rate + 8 percentage points."
	}
	return "Interest on late payment: the reference rate + 8 percentage points (Directive 2011/7/EU)."
}

// Missing lists, by settings field, what d lacks to be a complete invoice
// document: the seller's name, organisation and VAT numbers and address;
// a way to pay a document that asks for payment; the buyer's VAT number
// (an order's customer.vatId) on an intra-EU supply at 0 %; the
// exemption's legal basis on other 0 % lines. Live mode issues no document that lacks any (docs/invoices.md).
func (d *Document) Missing() []string {
	var missing []string
	need := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, field)
		}
	}
	s := d.Seller
	need("seller.name", s.Name)
	need("seller.orgNo", s.OrgNo)
	need("seller.vatId", s.VATID)
	need("seller.streetAddress", s.StreetAddress)
	need("seller.postalCode", s.PostalCode)
	need("seller.city", s.City)
	need("seller.country", s.Country)
	if d.Payable() != 0 && d.Bankgiro == "" && d.Plusgiro == "" && d.IBAN == "" {
		if d.Currency == "SEK" {
			missing = append(missing, "bankgiro, plusgiro or accounts (an IBAN for SEK)")
		} else {
			missing = append(missing, "accounts (an IBAN and BIC for "+string(d.Currency)+")")
		}
	}
	if goods, services := d.zeroRated(); len(d.VATNotes) == 0 && (goods || services) {
		if InEU(s.Country) && InEU(d.Buyer.Country) && s.Country != d.Buyer.Country && d.Buyer.VATID == "" {
			missing = append(missing, "customer.vatId (the buyer's VAT number, on an intra-EU supply at 0 %)")
		} else {
			missing = append(missing, "vatExemptionNote (the legal basis of the 0 % VAT lines)")
		}
	}
	return missing
}

// zeroRated reports whether d has goods, and services, at 0 % VAT;
// discounts and gift cards are neither.
func (d *Document) zeroRated() (goods, services bool) {
	for _, l := range d.Lines {
		switch {
		case l.VAT != 0 || l.Total == 0 || l.Type == order.TypeDiscount || l.Type == order.TypeGiftCard:
		case l.Services():
			services = true
		default:
			goods = true
		}
	}
	return goods, services
}
