package ubl_test

import (
	"testing"

	"github.com/kassa-pay/kassa/invoice/ubl"
)

// Each rule catches a document that breaks it: a valid document of
// Kassa's, changed to break that rule alone where it can be.
func TestRules(t *testing.T) {
	domestic := func() *ubl.Document { return ubl.Model(invoiceOf(t, mixedOrder())) }
	eu := func() *ubl.Document { return ubl.Model(invoiceOf(t, reverseCharge())) }
	credit := func() *ubl.Document { return ubl.Model(creditNoteOf(t, swedishOrder())) }
	first := func(d *ubl.Document) *ubl.Line { return &d.InvoiceLines[0] }
	sub := func(d *ubl.Document, cat string) *ubl.TaxSubtotal {
		for i, st := range d.TaxTotals[0].Subtotals {
			if st.Category.ID == cat {
				return &d.TaxTotals[0].Subtotals[i]
			}
		}
		t.Fatalf("no %s breakdown", cat)
		return nil
	}
	// recategorize moves every line of category from, and its breakdown,
	// to category to.
	recategorize := func(d *ubl.Document, from, to string) {
		for i := range d.InvoiceLines {
			if c := &d.InvoiceLines[i].Item.Category; c.ID == from {
				c.ID = to
			}
		}
		sub(d, from).Category.ID = to
	}
	pct := func(p int64) *ubl.Percent { v := ubl.Percent(p); return &v }
	for _, tc := range []struct {
		rule   string
		doc    func() *ubl.Document
		change func(d *ubl.Document)
	}{
		{"BR-01", domestic, func(d *ubl.Document) { d.CustomizationID = "" }},
		{"PEPPOL-EN16931-R004", domestic, func(d *ubl.Document) { d.CustomizationID = "urn:cen.eu:en16931:2017" }},
		{"PEPPOL-EN16931-R001", domestic, func(d *ubl.Document) { d.ProfileID = "" }},
		{"PEPPOL-EN16931-R007", domestic, func(d *ubl.Document) { d.ProfileID = "urn:fdc:peppol.eu:2017:poacc:billing:1" }},
		{"BR-02", domestic, func(d *ubl.Document) { d.ID = "" }},
		{"BR-03", domestic, func(d *ubl.Document) { d.IssueDate = "" }},
		{"BR-04", domestic, func(d *ubl.Document) { d.InvoiceTypeCode = "" }},
		{"BR-04", credit, func(d *ubl.Document) { d.CreditNoteTypeCode = "" }},
		{"PEPPOL-EN16931-P0100", domestic, func(d *ubl.Document) { d.InvoiceTypeCode = "381" }},
		{"PEPPOL-EN16931-P0101", credit, func(d *ubl.Document) { d.CreditNoteTypeCode = "380" }},
		{"BR-05", domestic, func(d *ubl.Document) { d.CurrencyCode = "" }},
		{"BR-06", domestic, func(d *ubl.Document) { d.Supplier.Party.Legal.Name = "" }},
		{"BR-07", domestic, func(d *ubl.Document) { d.Customer.Party.Legal = nil }},
		{"BR-08", domestic, func(d *ubl.Document) { d.Supplier.Party.Address = nil }},
		{"BR-09", domestic, func(d *ubl.Document) { d.Supplier.Party.Address.Country = nil }},
		{"BR-10", domestic, func(d *ubl.Document) { d.Customer.Party.Address = nil }},
		{"BR-11", domestic, func(d *ubl.Document) { d.Customer.Party.Address.Country = nil }},
		{"BR-12", domestic, func(d *ubl.Document) { d.Totals.LineExtension.Currency = "" }},
		{"BR-13", domestic, func(d *ubl.Document) { d.Totals.TaxExclusive.Currency = "" }},
		{"BR-14", domestic, func(d *ubl.Document) { d.Totals.TaxInclusive.Currency = "" }},
		{"BR-15", domestic, func(d *ubl.Document) { d.Totals.Payable.Currency = "" }},
		{"BR-16", domestic, func(d *ubl.Document) { d.InvoiceLines = nil }},
		{"BR-21", domestic, func(d *ubl.Document) { first(d).ID = "" }},
		{"BR-22", domestic, func(d *ubl.Document) { first(d).InvoicedQuantity = nil }},
		{"BR-23", domestic, func(d *ubl.Document) { first(d).InvoicedQuantity.UnitCode = "" }},
		{"BR-24", domestic, func(d *ubl.Document) { first(d).LineExtension.Currency = "" }},
		{"BR-25", domestic, func(d *ubl.Document) { first(d).Item.Name = " " }},
		{"BR-26", domestic, func(d *ubl.Document) { first(d).Price.Amount.Currency = "" }},
		{"BR-27", domestic, func(d *ubl.Document) {
			l := first(d)
			l.Price.Amount.Minor, l.InvoicedQuantity.Value = -l.Price.Amount.Minor, -l.InvoicedQuantity.Value
		}},
		{"BR-41", domestic, func(d *ubl.Document) { first(d).Allowances[0].Amount.Currency = "" }},
		{"BR-42", domestic, func(d *ubl.Document) { first(d).Allowances[0].Reason = "" }},
		{"BR-43", domestic, func(d *ubl.Document) {
			first(d).Allowances = append(first(d).Allowances, ubl.AllowanceCharge{ChargeIndicator: "true", Reason: "Freight"})
		}},
		{"BR-44", domestic, func(d *ubl.Document) {
			a := first(d).Allowances[0]
			a.ChargeIndicator, a.Reason = "true", ""
			first(d).Allowances = append(first(d).Allowances, a)
		}},
		{"BR-45", domestic, func(d *ubl.Document) { sub(d, "S").Taxable.Currency = "" }},
		{"BR-46", domestic, func(d *ubl.Document) { sub(d, "S").Amount.Currency = "" }},
		{"BR-47", domestic, func(d *ubl.Document) { sub(d, "S").Category.ID = "" }},
		{"BR-48", domestic, func(d *ubl.Document) { sub(d, "S").Category.Percent = nil }},
		{"BR-49", domestic, func(d *ubl.Document) { d.PaymentMeans[0].Code = "" }},
		{"BR-61", domestic, func(d *ubl.Document) { d.PaymentMeans[0].Account = nil }},
		{"BR-55", credit, func(d *ubl.Document) { d.BillingReferences[0].Invoice.ID = "" }},
		{"KASSA-CN-01", credit, func(d *ubl.Document) { d.BillingReferences = nil }},
		{"BR-57", eu, func(d *ubl.Document) { d.Delivery.Location.Address.Country.Code = "" }},
		{"BR-62", domestic, func(d *ubl.Document) { d.Supplier.Party.EndpointID.SchemeID = "" }},
		{"BR-63", domestic, func(d *ubl.Document) { d.Customer.Party.EndpointID.SchemeID = "" }},
		{"PEPPOL-EN16931-R020", domestic, func(d *ubl.Document) { d.Supplier.Party.EndpointID = nil }},
		{"PEPPOL-EN16931-R010", domestic, func(d *ubl.Document) { d.Customer.Party.EndpointID = nil }},
		{"PEPPOL-COMMON-R040", domestic, func(d *ubl.Document) { d.Customer.Party.EndpointID.Value = "7350053850018" }},
		{"PEPPOL-EN16931-R002", domestic, func(d *ubl.Document) { d.Notes = append(d.Notes, "Thanks") }},
		{"PEPPOL-EN16931-R003", domestic, func(d *ubl.Document) { d.BuyerReference, d.OrderReference = "", nil }},
		{"PEPPOL-EN16931-R008", domestic, func(d *ubl.Document) { d.Customer.Party.Contact = &ubl.Contact{} }},
		{"PEPPOL-EN16931-R040", domestic, func(d *ubl.Document) {
			a := &first(d).Allowances[0]
			a.Percent, a.Base = pct(1000), &ubl.Amount{Currency: "SEK", Minor: a.Amount.Minor}
		}},
		{"PEPPOL-EN16931-R041", domestic, func(d *ubl.Document) { first(d).Allowances[0].Percent = pct(1000) }},
		{"PEPPOL-EN16931-R042", domestic, func(d *ubl.Document) {
			first(d).Allowances[0].Base = &ubl.Amount{Currency: "SEK", Minor: 100}
		}},
		{"PEPPOL-EN16931-R043", domestic, func(d *ubl.Document) { first(d).Allowances[0].ChargeIndicator = "no" }},
		{"PEPPOL-EN16931-R051", domestic, func(d *ubl.Document) { d.Totals.Payable.Currency = "EUR" }},
		{"PEPPOL-EN16931-R053", domestic, func(d *ubl.Document) { d.TaxTotals = append(d.TaxTotals, d.TaxTotals[0]) }},
		{"PEPPOL-EN16931-R120", domestic, func(d *ubl.Document) { first(d).LineExtension.Minor += 3 }},
		{"PEPPOL-EN16931-R121", domestic, func(d *ubl.Document) {
			first(d).Price.BaseQuantity = &ubl.Quantity{UnitCode: "C62", Value: 0}
		}},
		{"PEPPOL-EN16931-R130", domestic, func(d *ubl.Document) {
			first(d).Price.BaseQuantity = &ubl.Quantity{UnitCode: "KGM", Value: 1}
		}},
		{"BR-CO-04", domestic, func(d *ubl.Document) { first(d).Item.Category.ID = "" }},
		{"BR-CO-09", domestic, func(d *ubl.Document) { d.Customer.Party.TaxSchemes[0].CompanyID = "559311371401" }},
		{"BR-CO-10", domestic, func(d *ubl.Document) { d.Totals.LineExtension.Minor++ }},
		{"BR-CO-13", domestic, func(d *ubl.Document) { d.Totals.TaxExclusive.Minor++ }},
		{"BR-CO-14", domestic, func(d *ubl.Document) { d.TaxTotals[0].Amount.Minor++ }},
		{"BR-CO-15", domestic, func(d *ubl.Document) { d.Totals.TaxInclusive.Minor++ }},
		{"BR-CO-16", domestic, func(d *ubl.Document) { d.Totals.Payable.Minor++ }},
		{"BR-CO-17", domestic, func(d *ubl.Document) { sub(d, "S").Amount.Minor += 100 }},
		{"BR-CO-18", domestic, func(d *ubl.Document) { d.TaxTotals[0].Subtotals = nil }},
		{"BR-CO-25", domestic, func(d *ubl.Document) { d.DueDate, d.PaymentTerms = "", nil }},
		{"BR-CO-26", domestic, func(d *ubl.Document) {
			d.Supplier.Party.TaxSchemes, d.Supplier.Party.Legal.CompanyID = nil, nil
		}},
		{"BR-S-01", domestic, func(d *ubl.Document) {
			var kept []ubl.TaxSubtotal
			for _, st := range d.TaxTotals[0].Subtotals {
				if st.Category.ID != "S" {
					kept = append(kept, st)
				}
			}
			d.TaxTotals[0].Subtotals = append(kept, ubl.TaxSubtotal{})
		}},
		{"BR-S-02", domestic, func(d *ubl.Document) { d.Supplier.Party.TaxSchemes = nil }},
		{"BR-S-05", domestic, func(d *ubl.Document) { first(d).Item.Category.Percent = pct(0) }},
		{"BR-S-08", domestic, func(d *ubl.Document) { sub(d, "S").Taxable.Minor += 100 }},
		{"BR-S-09", domestic, func(d *ubl.Document) { sub(d, "S").Amount.Minor -= 100 }},
		{"BR-S-10", domestic, func(d *ubl.Document) { sub(d, "S").Category.ExemptionReason = "Exempt" }},
		{"BR-AE-01", eu, func(d *ubl.Document) { d.TaxTotals[0].Subtotals = append(d.TaxTotals[0].Subtotals, *sub(d, "AE")) }},
		{"BR-AE-02", eu, func(d *ubl.Document) { d.Customer.Party.TaxSchemes, d.Customer.Party.Legal.CompanyID = nil, nil }},
		{"BR-AE-05", eu, func(d *ubl.Document) { d.InvoiceLines[1].Item.Category.Percent = pct(2500) }},
		{"BR-AE-08", eu, func(d *ubl.Document) { sub(d, "AE").Taxable.Minor++ }},
		{"BR-AE-09", eu, func(d *ubl.Document) { sub(d, "AE").Amount.Minor = 1 }},
		{"BR-AE-10", eu, func(d *ubl.Document) {
			sub(d, "AE").Category.ExemptionCode, sub(d, "AE").Category.ExemptionReason = "", ""
		}},
		{"BR-IC-01", eu, func(d *ubl.Document) { d.TaxTotals[0].Subtotals = d.TaxTotals[0].Subtotals[:1] }},
		{"BR-IC-02", eu, func(d *ubl.Document) { d.Customer.Party.TaxSchemes = nil }},
		{"BR-IC-05", eu, func(d *ubl.Document) { first(d).Item.Category.Percent = pct(2500) }},
		{"BR-IC-08", eu, func(d *ubl.Document) { sub(d, "K").Taxable.Minor-- }},
		{"BR-IC-09", eu, func(d *ubl.Document) { sub(d, "K").Amount.Minor = 1 }},
		{"BR-IC-10", eu, func(d *ubl.Document) {
			sub(d, "K").Category.ExemptionCode, sub(d, "K").Category.ExemptionReason = "", ""
		}},
		{"BR-IC-11", eu, func(d *ubl.Document) { d.Delivery.Date = "" }},
		{"BR-IC-12", eu, func(d *ubl.Document) { d.Delivery.Location = nil }},
		{"PEPPOL-EN16931-P0106", eu, func(d *ubl.Document) { recategorize(d, "K", "E") }},
		{"PEPPOL-EN16931-P0107", eu, func(d *ubl.Document) { recategorize(d, "AE", "E") }},
		{"BR-E-02", eu, func(d *ubl.Document) { recategorize(d, "K", "E"); d.Supplier.Party.TaxSchemes = nil }},
		{"BR-E-05", eu, func(d *ubl.Document) { recategorize(d, "K", "E"); first(d).Item.Category.Percent = pct(600) }},
		{"BR-E-08", eu, func(d *ubl.Document) { recategorize(d, "K", "E"); sub(d, "E").Taxable.Minor++ }},
		{"BR-E-09", eu, func(d *ubl.Document) { recategorize(d, "K", "E"); sub(d, "E").Amount.Minor = -1 }},
		{"BR-E-10", eu, func(d *ubl.Document) {
			recategorize(d, "K", "E")
			sub(d, "E").Category.ExemptionCode, sub(d, "E").Category.ExemptionReason = "", ""
		}},
		{"BR-E-01", eu, func(d *ubl.Document) { recategorize(d, "K", "E"); recategorize(d, "AE", "E") }},
		{"BR-Z-01", eu, func(d *ubl.Document) { first(d).Item.Category.ID = "Z" }},
		{"BR-Z-02", eu, func(d *ubl.Document) { recategorize(d, "K", "Z"); d.Supplier.Party.TaxSchemes = nil }},
		{"BR-Z-05", eu, func(d *ubl.Document) { recategorize(d, "K", "Z"); first(d).Item.Category.Percent = pct(600) }},
		{"BR-Z-08", eu, func(d *ubl.Document) { recategorize(d, "K", "Z"); sub(d, "Z").Taxable.Minor++ }},
		{"BR-Z-09", eu, func(d *ubl.Document) { recategorize(d, "K", "Z"); sub(d, "Z").Amount.Minor = 1 }},
		{"BR-Z-10", eu, func(d *ubl.Document) { recategorize(d, "K", "Z") }},
		{"BR-G-01", eu, func(d *ubl.Document) { first(d).Item.Category.ID = "G" }},
		{"BR-G-02", eu, func(d *ubl.Document) { recategorize(d, "K", "G"); d.Supplier.Party.TaxSchemes = nil }},
		{"BR-G-05", eu, func(d *ubl.Document) { recategorize(d, "K", "G"); first(d).Item.Category.Percent = pct(600) }},
		{"BR-G-08", eu, func(d *ubl.Document) { recategorize(d, "K", "G"); sub(d, "G").Taxable.Minor++ }},
		{"BR-G-09", eu, func(d *ubl.Document) { recategorize(d, "K", "G"); sub(d, "G").Amount.Minor = 1 }},
		{"BR-G-10", eu, func(d *ubl.Document) {
			recategorize(d, "K", "G")
			sub(d, "G").Category.ExemptionCode, sub(d, "G").Category.ExemptionReason = "", ""
		}},
		{"SE-R-001", domestic, func(d *ubl.Document) { d.Supplier.Party.TaxSchemes[0].CompanyID = "SE55612345670" }},
		{"SE-R-002", domestic, func(d *ubl.Document) { d.Supplier.Party.TaxSchemes[0].CompanyID = "SE55612345670X" }},
		{"SE-R-003", domestic, func(d *ubl.Document) { d.Supplier.Party.Legal.CompanyID.Value = "556123-4567" }},
		{"SE-R-004", domestic, func(d *ubl.Document) { d.Supplier.Party.Legal.CompanyID.Value = "55612345" }},
		{"SE-R-013", domestic, func(d *ubl.Document) { d.Supplier.Party.Legal.CompanyID.Value = "5561234568" }},
		{"SE-R-005", domestic, func(d *ubl.Document) { d.Supplier.Party.TaxSchemes[1].CompanyID = "F-skatt" }},
		{"SE-R-006", domestic, func(d *ubl.Document) {
			first(d).Item.Category.Percent, sub(d, "S").Category.Percent = pct(2000), pct(2000)
		}},
		{"PEPPOL-EN16931-P0104", eu, func(d *ubl.Document) { sub(d, "K").Category.ExemptionCode = "VATEX-EU-G" }},
	} {
		d := tc.doc()
		tc.change(d)
		if vs := ubl.Validate(d); !vs.Has(tc.rule) {
			t.Errorf("%s not caught; found %v", tc.rule, vs)
		}
	}
}
