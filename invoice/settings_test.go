package invoice

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
)

// completeSettings are a Swedish seller's settings that Validate accepts as it is.
func completeSettings() Settings {
	return Settings{
		Seller: Party{Name: "Byggvaror Söder AB", OrgNo: "556123-4567", VATID: "SE556123456701",
			StreetAddress: "Ringvägen 10", PostalCode: "118 60", City: "Stockholm", Country: "SE", RegisteredOffice: "Stockholm",
			Email: "faktura@byggvaror.example", Phone: "+46 8 123 456 78"},
		FTax: true, Bankgiro: "5050-1055", Plusgiro: "44281-4",
		Accounts: []Account{{Currency: "EUR", IBAN: "SE4550000000058398257466", BIC: "ESSESESS"}},
	}
}

// Validate puts each number in the form the documents print.
func TestSettingsCanonical(t *testing.T) {
	s := Settings{
		Seller:   Party{Name: " Säljaren AB ", OrgNo: "5561234567", VATID: "se 556123-4567 01", Country: "se"},
		Bankgiro: "50501055", Plusgiro: "4 42 81-4",
		Accounts: []Account{{Currency: "eur", Country: "fi", IBAN: "fi21 1234 5600 0007 85", BIC: "ndeafihh"}},
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Settings{
		Seller:   Party{Name: "Säljaren AB", OrgNo: "556123-4567", VATID: "SE556123456701", Country: "SE"},
		Bankgiro: "5050-1055", Plusgiro: "44281-4",
		Accounts: []Account{{Currency: "EUR", Country: "FI", IBAN: "FI2112345600000785", BIC: "NDEAFIHH"}},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("validated settings (-want +got):\n%s", diff)
	}
	if s := (Settings{}); s.Validate() != nil || s.Terms() != DefaultPaymentTerms {
		t.Error("zero settings are not the default")
	}
}

// Each wrong field is refused with its name as the error's param.
func TestSettingsValidateNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		param  string
		change func(s *Settings)
	}{
		{"paymentTerms", func(s *Settings) { s.PaymentTerms = -1 }},
		{"paymentTerms", func(s *Settings) { s.PaymentTerms = 400 }},
		{"seller.name", func(s *Settings) { s.Seller.Name = strings.Repeat("x", 201) }},
		{"seller.city", func(s *Settings) { s.Seller.City = strings.Repeat("x", 101) }},
		{"seller.country", func(s *Settings) { s.Seller.Country = "Sweden" }},
		{"seller.country", func(s *Settings) { s.Seller.Country = "QQ" }},
		{"seller.orgNo", func(s *Settings) { s.Seller.OrgNo = "556123-4568" }},
		{"seller.orgNo", func(s *Settings) { s.Seller.Country, s.Seller.OrgNo = "FI", "0112038-8" }},
		{"seller.orgNo", func(s *Settings) { s.Seller.Country, s.Seller.OrgNo = "NO", "923609017" }},
		{"seller.orgNo", func(s *Settings) { s.Seller.Country, s.Seller.OrgNo = "DK", "24256791" }},
		{"seller.vatId", func(s *Settings) { s.Seller.VATID = "SE556123456702" }},
		{"seller.vatId", func(s *Settings) { s.Seller.VATID = "SE556012579001" }}, // another company's
		{"seller.vatId", func(s *Settings) { s.Seller.Country, s.Seller.OrgNo, s.Seller.VATID = "FI", "0112038-9", "FI19274001" }},
		{"seller.email", func(s *Settings) { s.Seller.Email = "faktura at example" }},
		{"seller.email", func(s *Settings) { s.Seller.Email = "Faktura <f@example.com>" }},
		{"seller.phone", func(s *Settings) { s.Seller.Phone = "call us" }},
		{"seller.phone", func(s *Settings) { s.Seller.Phone = "08+123" }},
		{"bankgiro", func(s *Settings) { s.Bankgiro = "123-4567" }},
		{"plusgiro", func(s *Settings) { s.Plusgiro = "44281-5" }},
		{"accounts[0].currency", func(s *Settings) { s.Accounts[0].Currency = "EURO" }},
		{"accounts[0].country", func(s *Settings) { s.Accounts[0].Country = "Finland" }},
		{"accounts[0].iban", func(s *Settings) { s.Accounts[0].IBAN = "SE4550000000058398257467" }},
		{"accounts[0].bic", func(s *Settings) { s.Accounts[0].BIC = "ESSE" }},
		{"accounts[1]", func(s *Settings) { s.Accounts = append(s.Accounts, s.Accounts[0]) }},
		{"accounts", func(s *Settings) { s.Accounts = make([]Account, 21) }},
		{"vatExemptionNote", func(s *Settings) { s.VATExemptionNote = strings.Repeat("x", 301) }},
		{"firstNumber", func(s *Settings) { s.FirstNumber = -1 }},
		{"firstNumber", func(s *Settings) { s.FirstNumber = MaxFirstNumber + 1 }},
		{"logo", func(s *Settings) { s.Logo = []byte("GIF89a not a PNG") }},
		{"logo", func(s *Settings) { s.Logo = bytes.Repeat([]byte{0}, MaxLogoBytes+1) }},
		{"logo", func(s *Settings) { s.Logo = pngImage(t, maxLogoPixels+1, 1) }},
		{"logo", func(s *Settings) { s.Logo = pngImage(t, 20, 10)[:60] }},
		{"logoSha256", func(s *Settings) { s.LogoSHA256 = "abc" }},
	} {
		s := completeSettings()
		tc.change(&s)
		err := s.Validate()
		var ke *kassa.Error
		if !errors.As(err, &ke) || ke.Code != kassa.EInvalid || ke.Param != tc.param {
			t.Errorf("%s: Validate = %v, want an invalid %s", tc.param, err, tc.param)
		}
	}
	s := completeSettings()
	if err := s.Validate(); err != nil {
		t.Errorf("complete settings: %v", err)
	}
}

// A registration number of a country without a checked form is kept as
// written; a seller's VAT number of another country than the seller's is
// not compared with the organisation number.
func TestSettingsOtherCountries(t *testing.T) {
	s := Settings{Seller: Party{Country: "DE", OrgNo: "HRB 86786", VATID: "DE136695976"}}
	if err := s.Validate(); err != nil || s.Seller.OrgNo != "HRB 86786" {
		t.Errorf("German seller: %v, %q", err, s.Seller.OrgNo)
	}
	s = Settings{Seller: Party{Country: "SE", OrgNo: "556123-4567", VATID: "FI01120389"}}
	if err := s.Validate(); err != nil {
		t.Errorf("Swedish seller with a Finnish VAT registration: %v", err)
	}
}

func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA64(image.Rect(0, 0, w, h)) // 16 bits a channel: stored as 8
	for x := range w {
		img.Set(x, 0, color.RGBA64{R: 0xffff, A: 0xffff})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A PNG logo is stored as 8-bit PNG, a JPEG as sent; each is named by its
// SHA-256. Settings naming a logo by its hash alone keep it.
func TestSettingsLogo(t *testing.T) {
	s := Settings{Logo: pngImage(t, 40, 20)}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(s.Logo))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.NRGBA); !ok || img.Bounds().Dx() != 40 || len(s.LogoSHA256) != 64 {
		t.Errorf("stored logo is a %T of %v, hash %q", img, img.Bounds(), s.LogoSHA256)
	}
	again := Settings{Logo: s.Logo}
	if err := again.Validate(); err != nil || again.LogoSHA256 != s.LogoSHA256 {
		t.Errorf("the stored logo validated again: %v, hash %q, want %q", err, again.LogoSHA256, s.LogoSHA256)
	}

	var j bytes.Buffer
	if err := jpeg.Encode(&j, image.NewRGBA(image.Rect(0, 0, 30, 30)), nil); err != nil {
		t.Fatal(err)
	}
	s = Settings{Logo: j.Bytes()}
	if err := s.Validate(); err != nil || !bytes.Equal(s.Logo, j.Bytes()) {
		t.Errorf("JPEG logo: %v, changed %v", err, !bytes.Equal(s.Logo, j.Bytes()))
	}

	keep := Settings{LogoSHA256: again.LogoSHA256}
	if err := keep.Validate(); err != nil || keep.LogoSHA256 != again.LogoSHA256 {
		t.Errorf("settings naming their logo: %v, %q", err, keep.LogoSHA256)
	}
}
