package invoice

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// The parsers below check the registration and account numbers a seller's
// settings hold, and return each in one canonical form: the form printed
// on the documents. Their errors say what is wrong with the number;
// Settings.Validate names the field.

// compact removes the separators people write numbers with: spaces,
// hyphens, dots and slashes.
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '/', '\u00a0':
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
}

// weighted is Σ digits[i]×weights[i].
func weighted(digits string, weights []int) int {
	sum := 0
	for i, w := range weights {
		sum += int(digits[i]-'0') * w
	}
	return sum
}

var errCheckDigit = errors.New("its check digit does not match")

// OrgNo parses a company registration number of a seller in country:
// a Swedish organisationsnummer (10 digits, Luhn check digit), a Finnish
// Y-tunnus (7 digits and a mod-11 check digit), a Norwegian
// organisasjonsnummer or a Danish CVR number (9 and 8 digits, mod 11).
// Other countries' numbers are kept as written, up to 40 characters.
func OrgNo(country, s string) (string, error) {
	c := compact(s)
	switch country {
	case "SE":
		if len(c) == 12 && (strings.HasPrefix(c, "16") || strings.HasPrefix(c, "19") || strings.HasPrefix(c, "20")) {
			c = c[2:] // 16 is the prefix of an organisation, 19 and 20 a sole trader's century
		}
		if len(c) != 10 || !isDigits(c) {
			return "", errors.New("a Swedish organisation number is 10 digits, NNNNNN-NNNN")
		}
		if luhn(c[:9]) != c[9] {
			return "", errCheckDigit
		}
		return c[:6] + "-" + c[6:], nil
	case "FI":
		if len(c) == 7 && isDigits(c) {
			c = "0" + c // Y-tunnus written without its leading zero
		}
		if len(c) != 8 || !isDigits(c) {
			return "", errors.New("a Finnish business ID (Y-tunnus) is 7 digits and a check digit, NNNNNNN-N")
		}
		if fiCheck(c[:7]) != c[7] {
			return "", errCheckDigit
		}
		return c[:7] + "-" + c[7:], nil
	case "NO":
		if len(c) != 9 || !isDigits(c) {
			return "", errors.New("a Norwegian organisation number is 9 digits")
		}
		if noCheck(c[:8]) != c[8] {
			return "", errCheckDigit
		}
		return c, nil
	case "DK":
		if len(c) != 8 || !isDigits(c) || c[0] == '0' {
			return "", errors.New("a Danish CVR number is 8 digits, the first not 0")
		}
		if weighted(c, []int{2, 7, 6, 5, 4, 3, 2, 1})%11 != 0 {
			return "", errCheckDigit
		}
		return c, nil
	}
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 40 {
		return "", errors.New("a registration number is 1 to 40 characters")
	}
	return s, nil
}

// fiCheck is the Y-tunnus check digit of 7 digits, 'x' when the
// remainder makes none (such numbers are never given out).
func fiCheck(d string) byte { return mod11Check(d, []int{7, 9, 10, 5, 8, 4, 2}) }

// noCheck is the Norwegian organisation number's mod-11 check digit of 8
// digits, 'x' when it would be 10 (never given out).
func noCheck(d string) byte { return mod11Check(d, []int{3, 2, 7, 6, 5, 4, 3, 2}) }

// mod11Check is the check digit 11 − (Σ weight·digit mod 11): '0' for a
// remainder of 0, 'x' for 1, where no digit fits.
func mod11Check(d string, weights []int) byte {
	switch r := weighted(d, weights) % 11; r {
	case 0:
		return '0'
	case 1:
		return 'x'
	default:
		return byte('0' + 11 - r)
	}
}

// deCheck is the check digit of a German VAT number's first 8 digits
// (ISO 7064 MOD 11,10).
func deCheck(d string) byte {
	p := 10
	for i := range len(d) {
		s := (int(d[i]-'0') + p) % 10
		if s == 0 {
			s = 10
		}
		p = 2 * s % 11
	}
	c := 11 - p
	if c == 10 {
		c = 0
	}
	return byte('0' + c)
}

// vatPatterns are the VAT number formats per country prefix, after the
// prefix: the EU's (as VIES checks them; Greece is EL, Northern Ireland
// XI) and Norway's MVA registration. Checked numbers follow in VATNumber.
var vatPatterns = map[string]*regexp.Regexp{}

func init() {
	for cc, p := range map[string]string{
		"AT": `U\d{8}`, "BE": `[01]\d{9}`, "BG": `\d{9,10}`, "CY": `\d{8}[A-Z]`, "CZ": `\d{8,10}`,
		"DE": `\d{9}`, "DK": `\d{8}`, "EE": `\d{9}`, "EL": `\d{9}`, "ES": `[A-Z0-9]\d{7}[A-Z0-9]`,
		"FI": `\d{8}`, "FR": `[A-HJ-NP-Z0-9]{2}\d{9}`, "HR": `\d{11}`, "HU": `\d{8}`,
		"IE": `\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W]`, "IT": `\d{11}`, "LT": `\d{9}|\d{12}`, "LU": `\d{8}`,
		"LV": `\d{11}`, "MT": `\d{8}`, "NL": `\d{9}B\d{2}`, "PL": `\d{10}`, "PT": `\d{9}`,
		"RO": `[1-9]\d{1,9}`, "SE": `\d{10}01`, "SI": `\d{8}`, "SK": `\d{10}`,
		"XI": `\d{9}|\d{12}|GD\d{3}|HA\d{3}`, "NO": `\d{9}MVA`,
	} {
		vatPatterns[cc] = regexp.MustCompile(`^(?:` + p + `)$`)
	}
}

// VATNumber parses a VAT registration number: a country prefix and the
// number in that country's format, compact (SE556012579001,
// NO923609016MVA). Swedish, Finnish, Danish, Norwegian and German numbers'
// check digits are checked too; a Swedish one is SE, the 10 digits of the
// organisation number and 01.
func VATNumber(s string) (string, error) {
	c := compact(s)
	if len(c) < 4 {
		return "", errors.New("a VAT number is a country prefix and the number, like SE556012579001")
	}
	cc, n := c[:2], c[2:]
	p := vatPatterns[cc]
	if p == nil {
		if cc == "GR" {
			return "", errors.New("the prefix of Greek VAT numbers is EL")
		}
		return "", fmt.Errorf("%q is not the prefix of an EU (or Norwegian) VAT number", cc)
	}
	if !p.MatchString(n) {
		return "", fmt.Errorf("not the format of a %s VAT number", cc)
	}
	ok := true
	switch cc {
	case "SE":
		ok = luhn(n[:9]) == n[9]
	case "FI":
		ok = fiCheck(n[:7]) == n[7]
	case "DK":
		_, err := OrgNo("DK", n)
		ok = err == nil
	case "NO":
		ok = noCheck(n[:8]) == n[8]
	case "DE":
		ok = deCheck(n[:8]) == n[8]
	}
	if !ok {
		return "", errCheckDigit
	}
	return c, nil
}

// VATMatchesOrgNo reports whether a seller's VAT number is the one its
// organisation number makes in the countries where one is made of the
// other (SE, FI, DK, NO); elsewhere any pair matches.
func VATMatchesOrgNo(country, vat, orgNo string) bool {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, orgNo)
	switch country {
	case "SE":
		return vat == "SE"+digits+"01"
	case "FI", "DK":
		return vat == country+digits
	case "NO":
		return vat == "NO"+digits+"MVA"
	}
	return true
}

// Bankgiro parses a Swedish bankgiro number: 7 or 8 digits whose last is
// a Luhn check digit, printed NNN-NNNN or NNNN-NNNN.
func Bankgiro(s string) (string, error) {
	c := compact(s)
	if len(c) < 7 || len(c) > 8 || !isDigits(c) {
		return "", errors.New("a bankgiro number is 7 or 8 digits, NNN-NNNN or NNNN-NNNN")
	}
	if luhn(c[:len(c)-1]) != c[len(c)-1] {
		return "", errCheckDigit
	}
	return c[:len(c)-4] + "-" + c[len(c)-4:], nil
}

// Plusgiro parses a Swedish plusgiro number: 2 to 8 digits whose last is
// a Luhn check digit, printed with a hyphen before it (NNNNNN-N).
func Plusgiro(s string) (string, error) {
	c := compact(s)
	if len(c) < 2 || len(c) > 8 || !isDigits(c) {
		return "", errors.New("a plusgiro number is 2 to 8 digits, NNNNNN-N")
	}
	if luhn(c[:len(c)-1]) != c[len(c)-1] {
		return "", errCheckDigit
	}
	return c[:len(c)-1] + "-" + c[len(c)-1:], nil
}

// ibanLengths are the IBAN lengths of the countries in the ISO 13616
// registry.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
	"LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
	"NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
	"RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
	"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// IBAN parses an international bank account number (ISO 13616): a
// registry country, that country's length, letters and digits, and check
// digits that make the number 1 modulo 97. It returns the electronic
// form, without spaces.
func IBAN(s string) (string, error) {
	c := compact(s)
	if len(c) < 4 {
		return "", errors.New("an IBAN is a country code, 2 check digits and the account, like SE45 5000 0000 0583 9825 7466")
	}
	n, ok := ibanLengths[c[:2]]
	if !ok {
		return "", fmt.Errorf("%q is not a country with IBANs", c[:2])
	}
	if len(c) != n {
		return "", fmt.Errorf("an IBAN of %s is %d characters, not %d", c[:2], n, len(c))
	}
	var digits strings.Builder
	for _, r := range c[4:] + c[:4] {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			digits.WriteString(strconv.Itoa(int(r-'A') + 10))
		default:
			return "", errors.New("an IBAN has only letters and digits")
		}
	}
	if !isDigits(c[2:4]) {
		return "", errors.New("an IBAN's third and fourth characters are its check digits")
	}
	v, _ := new(big.Int).SetString(digits.String(), 10)
	if new(big.Int).Mod(v, big.NewInt(97)).Int64() != 1 {
		return "", errCheckDigit
	}
	return c, nil
}

// GroupIBAN prints an IBAN in groups of four, as on paper.
func GroupIBAN(iban string) string {
	var b strings.Builder
	for i := 0; i < len(iban); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(iban[i:min(i+4, len(iban))])
	}
	return b.String()
}

var bicPattern = regexp.MustCompile(`^[A-Z]{4}([A-Z]{2})[A-Z0-9]{2}(?:[A-Z0-9]{3})?$`)

// BIC parses a business identifier code (ISO 9362): 4 letters for the
// institution, its ISO 3166 country, 2 letters or digits for the location
// and optionally 3 for the branch.
func BIC(s string) (string, error) {
	c := compact(s)
	m := bicPattern.FindStringSubmatch(c)
	if m == nil {
		return "", errors.New("a BIC is 8 or 11 letters and digits, like ESSESESS or NDEAFIHH")
	}
	if !IsCountry(m[1]) {
		return "", fmt.Errorf("%q is not a country code", m[1])
	}
	return c, nil
}

// countries are the ISO 3166-1 alpha-2 codes, and XK, which banks use for
// Kosovo.
const countries = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
	"MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG " +
	"UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW"

// IsCountry reports whether cc is an ISO 3166-1 alpha-2 country code.
func IsCountry(cc string) bool {
	return len(cc) == 2 && strings.Contains(" "+countries+" ", " "+cc+" ")
}

// euCountries are the EU member states, by ISO 3166 code (Greece GR,
// though its VAT numbers say EL).
const euCountries = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"

// InEU reports whether country cc is an EU member state.
func InEU(cc string) bool { return len(cc) == 2 && strings.Contains(euCountries, cc) }
