package merchant_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestNewMerchant(t *testing.T) {
	m, err := merchant.NewMerchant(kassa.RandomIDs{}, now, "  Acme AB ")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Acme AB" || !strings.HasPrefix(m.ID, kassa.PrefixMerchant) {
		t.Errorf("merchant = %+v", m)
	}
	if len(m.StoreID) != 10 || strings.Trim(m.StoreID, "0123456789") != "" {
		t.Errorf("StoreID = %q, want 10 digits", m.StoreID)
	}
	for _, name := range []string{"", "   ", strings.Repeat("x", 201)} {
		_, err := merchant.NewMerchant(kassa.RandomIDs{}, now, name)
		if kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("NewMerchant(%q) error = %v, want %s", name, err, kassa.EInvalid)
		}
	}
}

func TestClientSecret(t *testing.T) {
	c, secret := merchant.NewClient(kassa.RandomIDs{}, now, "m_1")
	if strings.Contains(string(c.SecretHash), secret) {
		t.Fatal("the secret is stored in clear")
	}
	if !c.Verify(secret, now) {
		t.Error("Verify(secret) = false")
	}
	if c.Verify(secret+"x", now) || c.Verify("", now) {
		t.Error("Verify accepts a wrong secret")
	}
	_, other := merchant.NewClient(kassa.RandomIDs{}, now, "m_1")
	if other == secret {
		t.Error("two clients share a secret")
	}
}

func TestSigner(t *testing.T) {
	s := firstKey()
	c, _ := merchant.NewClient(kassa.RandomIDs{}, now, "m_1")
	tok := s.Issue(c, now)
	if s.Issue(c, now) == tok {
		t.Error("two tokens issued at once are equal")
	}
	p, err := s.Check(tok, now.Add(merchant.TokenLifetime-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if p != (merchant.Principal{MerchantID: "m_1", ClientID: c.ID, Scope: merchant.ScopeWrite}) {
		t.Errorf("principal = %+v", p)
	}

	bad := map[string]struct {
		token string
		at    time.Time
	}{
		"expired":        {tok, now.Add(merchant.TokenLifetime)},
		"other key":      {firstKey().Issue(c, now), now},
		"tampered":       {"x" + tok, now},
		"no signature":   {strings.Split(tok, ".")[0], now},
		"empty":          {"", now},
		"signature only": {"." + strings.Split(tok, ".")[1], now},
	}
	for name, tc := range bad {
		p, err := s.Check(tc.token, tc.at)
		if kassa.ErrorCode(err) != kassa.EUnauthorized {
			t.Errorf("%s: Check error = %v, want %s", name, err, kassa.EUnauthorized)
		}
		want := merchant.Principal{} // only a genuine token names whom it was issued to
		if name == "expired" {
			want = merchant.Principal{MerchantID: "m_1", ClientID: c.ID, Scope: merchant.ScopeWrite}
		}
		if p != want {
			t.Errorf("%s: principal = %+v, want %+v", name, p, want)
		}
	}
}

func TestParseEmail(t *testing.T) {
	for in, want := range map[string]string{
		"finance@shop.example":      "finance@shop.example",
		"  ekonomi@möbler.example ": "ekonomi@möbler.example",
		"":                          "",
		"   ":                       "",
	} {
		if got, err := merchant.ParseEmail(in); err != nil || got != want {
			t.Errorf("ParseEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"finance", "@shop.example", "finance@", "Finance <finance@shop.example>", "finance@shop.example (books)",
		"a@b.example, c@d.example", "finance@shop.example\r\nBcc: x@y.example", "fin\x00ance@shop.example",
		strings.Repeat("a", 250) + "@b.example",
	} {
		if _, err := merchant.ParseEmail(in); kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("ParseEmail(%q) = %v, want %s", in, err, kassa.EInvalid)
		}
	}
}
