package invoice

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // registers JPEG for image.Decode
	"image/png"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
)

// DefaultPaymentTerms is the payment term when a merchant sets none.
const DefaultPaymentTerms = 30

// maxPaymentTerms bounds the terms a merchant can set (a year).
const maxPaymentTerms = 365

// Logo limits: small enough to copy into every PDF, large enough for a
// sharp logo at print size.
const (
	MaxLogoBytes  = 128 << 10
	maxLogoPixels = 2000
)

// MaxFirstNumber bounds the number a merchant's series may start at.
const MaxFirstNumber = 999_999_999

// Party is the seller or the buyer block of a document.
type Party struct {
	Name          string `json:"name"`
	OrgNo         string `json:"orgNo"`
	VATID         string `json:"vatId"`
	StreetAddress string `json:"streetAddress"`
	PostalCode    string `json:"postalCode"`
	City          string `json:"city"`
	Country       string `json:"country"`
	// RegisteredOffice is the seller's registered office (a Swedish
	// company's säte), which company law has its business letters state.
	RegisteredOffice string `json:"registeredOffice,omitempty"`
	Attention        string `json:"attention,omitempty"`
	Email            string `json:"email,omitempty"`
	Phone            string `json:"phone,omitempty"`
	Reference1       string `json:"reference1,omitempty"`
	Reference2       string `json:"reference2,omitempty"`
}

// Account is a bank account the seller is paid to in a currency: an IBAN
// and its bank's BIC. Country, when set, makes it the account for buyers
// in that country (a Finnish account for Finnish buyers paying in EUR,
// say); an account without one serves every other buyer.
type Account struct {
	Currency money.Currency `json:"currency"`
	Country  string         `json:"country,omitempty"`
	IBAN     string         `json:"iban"`
	BIC      string         `json:"bic"`
}

// Settings are a merchant's invoicing choices: the seller block printed on
// every document, how the buyer pays, the payment terms in days, where the
// number series starts and the logo.
type Settings struct {
	Seller Party `json:"seller"`
	// FTax says the seller is approved for F-tax (Godkänd för
	// F-skatt), which Swedish business buyers look for.
	FTax         bool   `json:"fTax,omitempty"`
	PaymentTerms int    `json:"paymentTerms"`
	Bankgiro     string `json:"bankgiro"`
	Plusgiro     string `json:"plusgiro,omitempty"`
	// Accounts are the IBAN accounts, per currency (and buyer country).
	Accounts []Account `json:"accounts,omitempty"`
	// VATExemptionNote is printed on documents with 0 % VAT lines that
	// are neither intra-EU nor exports: the provision that exempts them,
	// which only the seller knows.
	VATExemptionNote string `json:"vatExemptionNote,omitempty"`
	// FirstNumber is the number the series starts at (1 when zero); it
	// can be chosen until the first document is numbered.
	FirstNumber int64 `json:"firstNumber,omitempty"`
	// Logo is a PNG or JPEG image printed at the top of each document.
	// Stores keep it apart from the settings, by LogoSHA256, the SHA-256
	// of its bytes in hex; settings read for issuing carry only the hash.
	// Settings that name a LogoSHA256 without Logo keep that logo.
	Logo       []byte `json:"logo,omitempty"`
	LogoSHA256 string `json:"logoSha256,omitempty"`
	// Accounting is the account plan of the accounting export.
	Accounting Accounting `json:"accounting,omitzero"`
}

// Terms is the payment term in days.
func (s Settings) Terms() int {
	if s.PaymentTerms == 0 {
		return DefaultPaymentTerms
	}
	return s.PaymentTerms
}

// text limits of the seller block, by field.
var sellerLimits = []struct {
	param string
	get   func(p *Party) *string
	max   int
}{
	{"seller.name", func(p *Party) *string { return &p.Name }, 200},
	{"seller.streetAddress", func(p *Party) *string { return &p.StreetAddress }, 200},
	{"seller.postalCode", func(p *Party) *string { return &p.PostalCode }, 20},
	{"seller.city", func(p *Party) *string { return &p.City }, 100},
	{"seller.registeredOffice", func(p *Party) *string { return &p.RegisteredOffice }, 100},
	{"seller.attention", func(p *Party) *string { return &p.Attention }, 200},
	{"seller.reference1", func(p *Party) *string { return &p.Reference1 }, 200},
	{"seller.reference2", func(p *Party) *string { return &p.Reference2 }, 200},
}

// Validate checks settings a merchant sends and puts every number in its
// canonical form (the form the documents print); the first field found
// wrong is named in the error, and s is then not to be stored.
func (s *Settings) Validate() error {
	if s.PaymentTerms < 0 || s.PaymentTerms > maxPaymentTerms {
		return kassa.Invalid("paymentTerms", "paymentTerms must be 0 to %d days (0 means the default, %d)", maxPaymentTerms, DefaultPaymentTerms)
	}
	p := &s.Seller
	for _, l := range sellerLimits {
		v := l.get(p)
		*v = strings.TrimSpace(*v)
		if utf8.RuneCountInString(*v) > l.max {
			return kassa.Invalid(l.param, "%s must be at most %d characters", l.param, l.max)
		}
	}
	p.Country = strings.ToUpper(strings.TrimSpace(p.Country))
	if p.Country != "" && !IsCountry(p.Country) {
		return kassa.Invalid("seller.country", "seller.country %q is not an ISO 3166 alpha-2 country code, like SE", p.Country)
	}
	if p.OrgNo != "" {
		if err := canonical("seller.orgNo", &p.OrgNo, func(s string) (string, error) { return OrgNo(p.Country, s) }); err != nil {
			return err
		}
	}
	if p.VATID != "" {
		if err := canonical("seller.vatId", &p.VATID, VATNumber); err != nil {
			return err
		}
		if p.OrgNo != "" && vatCountry(p.VATID) == p.Country && !VATMatchesOrgNo(p.Country, p.VATID, p.OrgNo) {
			return kassa.Invalid("seller.vatId", "seller.vatId %s is not the VAT number of organisation number %s", p.VATID, p.OrgNo)
		}
	}
	if p.Email = strings.TrimSpace(p.Email); p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email || len(p.Email) > 254 {
			return kassa.Invalid("seller.email", "seller.email %q is not an e-mail address", p.Email)
		}
	}
	if p.Phone = strings.TrimSpace(p.Phone); p.Phone != "" && !validPhone(p.Phone) {
		return kassa.Invalid("seller.phone", "seller.phone %q must be digits, spaces, hyphens and parentheses, with an optional leading +, 4 to 30 characters", p.Phone)
	}
	if s.Bankgiro != "" {
		if err := canonical("bankgiro", &s.Bankgiro, Bankgiro); err != nil {
			return err
		}
	}
	if s.Plusgiro != "" {
		if err := canonical("plusgiro", &s.Plusgiro, Plusgiro); err != nil {
			return err
		}
	}
	if err := s.validateAccounts(); err != nil {
		return err
	}
	if err := s.Accounting.validate(); err != nil {
		return err
	}
	if utf8.RuneCountInString(s.VATExemptionNote) > 300 {
		return kassa.Invalid("vatExemptionNote", "vatExemptionNote must be at most 300 characters")
	}
	if s.FirstNumber < 0 || s.FirstNumber > MaxFirstNumber {
		return kassa.Invalid("firstNumber", "firstNumber must be 1 to %d (0 leaves the series as it is)", MaxFirstNumber)
	}
	return s.validateLogo()
}

// canonical puts the number *v in the form parse gives it, or names param
// in the error of a number parse refuses.
func canonical(param string, v *string, parse func(string) (string, error)) error {
	c, err := parse(*v)
	if err != nil {
		return kassa.Invalid(param, "%s %q: %v", param, *v, err)
	}
	*v = c
	return nil
}

func (s *Settings) validateAccounts() error {
	if len(s.Accounts) > 20 {
		return kassa.Invalid("accounts", "at most 20 accounts")
	}
	seen := map[[2]string]bool{}
	for i := range s.Accounts {
		a, param := &s.Accounts[i], fmt.Sprintf("accounts[%d]", i)
		c, err := money.ParseCurrency(string(a.Currency))
		if err != nil {
			return kassa.Invalid(param+".currency", "%s.currency %q is not an ISO 4217 currency", param, a.Currency)
		}
		a.Currency = c
		if a.Country = strings.ToUpper(strings.TrimSpace(a.Country)); a.Country != "" && !IsCountry(a.Country) {
			return kassa.Invalid(param+".country", "%s.country %q is not an ISO 3166 alpha-2 country code", param, a.Country)
		}
		if err := canonical(param+".iban", &a.IBAN, IBAN); err != nil {
			return err
		}
		if err := canonical(param+".bic", &a.BIC, BIC); err != nil {
			return err
		}
		key := [2]string{string(a.Currency), a.Country}
		if seen[key] {
			return kassa.Invalid(param, "%s is a second account for %s and buyer country %q", param, a.Currency, a.Country)
		}
		seen[key] = true
	}
	return nil
}

// validateLogo checks the logo is a PNG or JPEG of a sensible size and
// sets its hash. A PNG is stored re-encoded as 8-bit, non-interlaced PNG,
// which every PDF writer embeds; a JPEG as sent, once it decodes.
func (s *Settings) validateLogo() error {
	if len(s.Logo) == 0 {
		s.Logo = nil
		if s.LogoSHA256 != "" {
			if b, err := hex.DecodeString(s.LogoSHA256); err != nil || len(b) != sha256.Size {
				return kassa.Invalid("logoSha256", "logoSha256 must be the 64 hex digits of a logo's SHA-256")
			}
		}
		return nil
	}
	if len(s.Logo) > MaxLogoBytes {
		return kassa.Invalid("logo", "logo is %d bytes; at most %d", len(s.Logo), MaxLogoBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(s.Logo))
	if err != nil || (format != "png" && format != "jpeg") {
		return kassa.Invalid("logo", "logo must be a PNG or JPEG image")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxLogoPixels || cfg.Height > maxLogoPixels {
		return kassa.Invalid("logo", "logo is %d×%d pixels; at most %d×%d", cfg.Width, cfg.Height, maxLogoPixels, maxLogoPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(s.Logo))
	if err != nil {
		return kassa.Invalid("logo", "logo does not decode: %v", err)
	}
	if format == "png" {
		rgba := image.NewNRGBA(img.Bounds())
		draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
		var b bytes.Buffer
		if err := png.Encode(&b, rgba); err != nil {
			return kassa.Errorf(kassa.EInternal, "re-encoding the logo: %v", err)
		}
		if b.Len() > MaxLogoBytes {
			return kassa.Invalid("logo", "logo is %d bytes as 8-bit PNG; at most %d", b.Len(), MaxLogoBytes)
		}
		s.Logo = b.Bytes()
	}
	sum := sha256.Sum256(s.Logo)
	s.LogoSHA256 = hex.EncodeToString(sum[:])
	return nil
}

func validPhone(s string) bool {
	if len(s) < 4 || len(s) > 30 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9', r == ' ', r == '-', r == '(', r == ')':
		case r == '+' && i == 0:
		default:
			return false
		}
	}
	return true
}

// vatCountry is the country a VAT number is of (EL is Greece).
func vatCountry(vat string) string {
	if strings.HasPrefix(vat, "EL") {
		return "GR"
	}
	return vat[:2]
}

// account is the seller's account for a document in currency to a buyer
// in country: the one for that country, else the one for any.
func (s *Settings) account(currency money.Currency, country string) *Account {
	var any *Account
	for i := range s.Accounts {
		a := &s.Accounts[i]
		if a.Currency != currency {
			continue
		}
		if a.Country == country && country != "" {
			return a
		}
		if a.Country == "" {
			any = a
		}
	}
	return any
}
