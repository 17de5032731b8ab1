package invoice

import "testing"

// Real registration and account numbers parse into their canonical form;
// each near miss (a digit changed, one too few or too many, the wrong
// prefix) is refused.
func TestNumberParsers(t *testing.T) {
	type parser func(string) (string, error)
	orgNo := func(cc string) parser { return func(s string) (string, error) { return OrgNo(cc, s) } }
	for _, tc := range []struct {
		name  string
		parse parser
		valid map[string]string // as written → canonical
		bad   []string
	}{
		{"Swedish organisation number", orgNo("SE"), map[string]string{
			"556012-5790": "556012-5790", "5567037485": "556703-7485", "16556016-0680": "556016-0680", "556042 7220": "556042-7220",
		}, []string{"556012-5791", "556012-579", "55601257900", "556O12-5790", "17556012-5790", ""}},
		{"Finnish business ID", orgNo("FI"), map[string]string{
			"0112038-9": "0112038-9", "1927400-1": "1927400-1", "112038-9": "0112038-9", "01120389": "0112038-9",
		}, []string{"0112038-8", "1927400-2", "0112038", "0112038-99"}},
		{"Norwegian organisation number", orgNo("NO"), map[string]string{
			"923 609 016": "923609016", "984851006": "984851006", "982463718": "982463718",
		}, []string{"923609017", "92360901", "9236090160", "923609016MVA"}},
		{"Danish CVR number", orgNo("DK"), map[string]string{
			"24256790": "24256790", "22 75 62 14": "22756214", "61056416": "61056416",
		}, []string{"24256791", "2425679", "04256790", "242567900"}},
		{"VAT number", VATNumber, map[string]string{
			"SE556012579001": "SE556012579001", "se 556012-5790 01": "SE556012579001", "FI01120389": "FI01120389",
			"DK24256790": "DK24256790", "DE136695976": "DE136695976", "NO 923 609 016 MVA": "NO923609016MVA",
			"ATU13585627": "ATU13585627", "NL004495445B01": "NL004495445B01", "FR40303265045": "FR40303265045",
			"PL7251801126": "PL7251801126", "EL094014201": "EL094014201",
		}, []string{
			"SE556012579101", // check digit of the organisation number
			"SE556012579002", // not ending in 01
			"SE5560125790",   // without 01
			"FI01120388", "DK24256791", "DE136695977", "NO923609016", "NO923609017MVA",
			"ATU1358562", "NL004495445A01", "GR094014201", "US123456789", "XX", "SE",
		}},
		{"bankgiro", Bankgiro, map[string]string{
			"5050-1055": "5050-1055", "991-2346": "991-2346", "900 8004": "900-8004", "54029681": "5402-9681",
		}, []string{"5050-1056", "123-4567", "991-234", "5050-10550", "99l-2346"}},
		{"plusgiro", Plusgiro, map[string]string{
			"90 06 03-2": "900603-2", "4 42 81-4": "44281-4", "442814": "44281-4",
		}, []string{"90 06 03-3", "4", "123456789", "44281-5"}},
		{"IBAN", IBAN, map[string]string{
			"SE45 5000 0000 0583 9825 7466": "SE4550000000058398257466", "fi21 1234 5600 0007 85": "FI2112345600000785",
			"DE89 3704 0044 0532 0130 00": "DE89370400440532013000", "DK50 0040 0440 1162 43": "DK5000400440116243",
			"NO93 8601 1117 947": "NO9386011117947", "GB29 NWBK 6016 1331 9268 19": "GB29NWBK60161331926819",
		}, []string{
			"SE45 5000 0000 0583 9825 7467", // one digit off
			"SE54 5000 0000 0583 9825 7466", // check digits swapped
			"SE45 5000 0000 0583 9825 746",  // a digit short
			"NO93 8601 1117 9470", "XX45 5000", "SE", "DE89 3704 0044 0532 0130 0!", "SEAB 5000 0000 0583 9825 7466",
		}},
		{"BIC", BIC, map[string]string{
			"ESSESESS": "ESSESESS", "ndeafihh": "NDEAFIHH", "DABADKKK": "DABADKKK", "DEUTDEFF500": "DEUTDEFF500",
		}, []string{"ESSESES", "ESSESESSX", "ESSEXXSS", "E5SESESS", "DEUTDEFF50"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for in, want := range tc.valid {
				got, err := tc.parse(in)
				if err != nil || got != want {
					t.Errorf("%q = %q, %v; want %q", in, got, err, want)
				}
				if again, err := tc.parse(got); err != nil || again != got {
					t.Errorf("canonical %q parses to %q, %v", got, again, err)
				}
			}
			for _, in := range tc.bad {
				if got, err := tc.parse(in); err == nil {
					t.Errorf("%q was accepted as %q", in, got)
				}
			}
		})
	}
}

// A number's check digit catches every single changed digit.
func TestCheckDigitsCatchTypos(t *testing.T) {
	for _, tc := range []struct {
		valid string
		parse func(string) (string, error)
	}{
		{"5560125790", func(s string) (string, error) { return OrgNo("SE", s) }},
		{"01120389", func(s string) (string, error) { return OrgNo("FI", s) }},
		{"923609016", func(s string) (string, error) { return OrgNo("NO", s) }},
		{"24256790", func(s string) (string, error) { return OrgNo("DK", s) }},
		{"50501055", Bankgiro},
		{"9006032", Plusgiro},
		{"SE4550000000058398257466", IBAN},
		{"DE136695976", VATNumber},
	} {
		for i := range len(tc.valid) {
			if tc.valid[i] < '0' || tc.valid[i] > '9' {
				continue
			}
			for d := byte('0'); d <= '9'; d++ {
				if d == tc.valid[i] {
					continue
				}
				typo := tc.valid[:i] + string(d) + tc.valid[i+1:]
				if _, err := tc.parse(typo); err == nil {
					t.Errorf("%s with digit %d changed: %s accepted", tc.valid, i, typo)
				}
			}
		}
	}
}

// The parsers never panic, and what they accept is canonical: parsing it
// again gives it back.
func FuzzNumberParsers(f *testing.F) {
	for _, s := range []string{"556012-5790", "0112038-9", "923609016", "24256790", "SE556012579001", "NO923609016MVA",
		"5050-1055", "90 06 03-2", "SE45 5000 0000 0583 9825 7466", "ESSESESS", "", "-", "SE", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parsers := map[string]func(string) (string, error){
			"VATNumber": VATNumber, "Bankgiro": Bankgiro, "Plusgiro": Plusgiro, "IBAN": IBAN, "BIC": BIC,
		}
		for _, cc := range []string{"SE", "FI", "NO", "DK", "DE"} {
			parsers["OrgNo "+cc] = func(s string) (string, error) { return OrgNo(cc, s) }
		}
		for name, parse := range parsers {
			got, err := parse(s)
			if err != nil {
				continue
			}
			if again, err := parse(got); err != nil || again != got {
				t.Errorf("%s(%q) = %q, which parses to %q, %v", name, s, got, again, err)
			}
		}
	})
}
