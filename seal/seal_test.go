package seal_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/kassa-pay/kassa/seal"
)

func mustKey(t testing.TB, fill byte) *seal.Key {
	t.Helper()
	k, err := seal.New(bytes.Repeat([]byte{fill}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k, other := mustKey(t, 1), mustKey(t, 2)
	sealed := k.Seal([]byte("whsec_secret"), "endpoint ne_1")
	flip := func(i int) string { // the sealed value with byte i of its data changed
		_, data, err := seal.Decode(sealed)
		if err != nil {
			t.Fatal(err)
		}
		data[i] ^= 1
		return "ks1:" + k.ID() + ":" + base64.RawURLEncoding.EncodeToString(data)
	}
	for _, tc := range []struct {
		name, sealed, context string
		key                   *seal.Key
		want                  string
		err                   error
	}{
		{"opens", sealed, "endpoint ne_1", k, "whsec_secret", nil},
		{"another place", sealed, "endpoint ne_2", k, "", seal.ErrNotAuthentic},
		{"another key", sealed, "endpoint ne_1", other, "", seal.ErrWrongKey},
		{"nonce changed", flip(0), "endpoint ne_1", k, "", seal.ErrNotAuthentic},
		{"ciphertext changed", flip(13), "endpoint ne_1", k, "", seal.ErrNotAuthentic},
		{"tag changed", flip(len("whsec_secret") + 12 + 15), "endpoint ne_1", k, "", seal.ErrNotAuthentic},
		{"key ID changed", "ks1:" + other.ID() + sealed[len("ks1:")+16:], "endpoint ne_1", other, "", seal.ErrNotAuthentic},
		{"empty value", k.Seal(nil, "x"), "x", k, "", nil},
		{"clear text", "whsec_secret", "endpoint ne_1", k, "", seal.ErrMalformed},
		{"newer form", "ks2:" + sealed[4:], "endpoint ne_1", k, "", seal.ErrMalformed},
		{"no data", "ks1:" + k.ID() + ":", "endpoint ne_1", k, "", seal.ErrMalformed},
		{"short key ID", "ks1:abc:" + sealed[len("ks1:")+17:], "endpoint ne_1", k, "", seal.ErrMalformed},
		{"upper-case key ID", "ks1:" + strings.ToUpper(k.ID()) + sealed[len("ks1:")+16:], "endpoint ne_1", k, "", seal.ErrMalformed},
		{"padded data", sealed + "=", "endpoint ne_1", k, "", seal.ErrMalformed},
		{"too short for a tag", "ks1:" + k.ID() + ":" + base64.RawURLEncoding.EncodeToString(make([]byte, 27)), "x", k, "", seal.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.key.Open(tc.sealed, tc.context)
			if !errors.Is(err, tc.err) || string(got) != tc.want {
				t.Errorf("Open(%q, %q) = %q, %v; want %q, %v", tc.sealed, tc.context, got, err, tc.want, tc.err)
			}
		})
	}
}

// Each seal draws a new nonce: sealing a value twice gives two texts, and
// both open.
func TestSealNonces(t *testing.T) {
	k := mustKey(t, 1)
	a, b := k.Seal([]byte("v"), "c"), k.Seal([]byte("v"), "c")
	if a == b {
		t.Fatalf("two seals of one value are both %q", a)
	}
	for _, s := range []string{a, b} {
		if !seal.IsSealed(s) {
			t.Errorf("IsSealed(%q) = false", s)
		}
		if got, err := k.Open(s, "c"); err != nil || string(got) != "v" {
			t.Errorf("Open(%q) = %q, %v", s, got, err)
		}
	}
}

func TestParse(t *testing.T) {
	raw := seal.Generate()
	k, err := seal.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, text string
		ok         bool
	}{
		{"encoded", seal.Encode(raw), true},
		{"a file's newline", seal.Encode(raw) + "\n", true},
		{"spaces", "  " + seal.Encode(raw) + " \r\n", true},
		{"too short", seal.Encode(raw[:31]), false},
		{"too long", seal.Encode(append(raw, 0)), false},
		{"url alphabet", base64.RawURLEncoding.EncodeToString(raw), false},
		{"not base64", "not a key at all, not a key at all, not a key!", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := seal.Parse(tc.text)
			if (err == nil) != tc.ok {
				t.Fatalf("Parse(%q) = %v, want ok %v", tc.text, err, tc.ok)
			}
			if tc.ok && got.ID() != k.ID() {
				t.Errorf("Parse(%q).ID() = %s, want %s", tc.text, got.ID(), k.ID())
			}
		})
	}
	if _, err := seal.New(raw[:16]); err == nil {
		t.Error("New accepted a 16-byte key")
	}
}

// A key's ID depends on the key alone: the same bytes give the same ID,
// other bytes another.
func TestKeyID(t *testing.T) {
	a, a2, b := mustKey(t, 1), mustKey(t, 1), mustKey(t, 2)
	if a.ID() != a2.ID() || a.ID() == b.ID() || len(a.ID()) != 16 {
		t.Errorf("IDs %s, %s, %s: want the first two equal, 16 hex digits, the third apart", a.ID(), a2.ID(), b.ID())
	}
	id, _, err := seal.Decode(a.Seal([]byte("x"), "y"))
	if err != nil || id != a.ID() {
		t.Errorf("Decode gives key %s, %v; want %s", id, err, a.ID())
	}
}

// FuzzDecode: any text decodes or is refused without panicking; what
// decodes is the one text for its parts, and opens only if the key
// sealed it for the context.
func FuzzDecode(f *testing.F) {
	k := mustKey(f, 7)
	f.Add(k.Seal([]byte("secret"), "ctx"))
	f.Add(k.Seal(nil, ""))
	f.Add("ks1:0123456789abcdef:AAAA")
	f.Add("ks2:0123456789abcdef:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, data, err := seal.Decode(s)
		if err != nil {
			if !errors.Is(err, seal.ErrMalformed) {
				t.Fatalf("Decode(%q) = %v, not ErrMalformed", s, err)
			}
			if seal.IsSealed(s) {
				t.Fatalf("IsSealed(%q) = true for a value Decode refuses", s)
			}
			return
		}
		if again := "ks1:" + id + ":" + base64.RawURLEncoding.EncodeToString(data); again != s {
			t.Fatalf("Decode(%q) re-encodes as %q", s, again)
		}
		plain, err := k.Open(s, "ctx")
		if err == nil && string(plain) != "secret" {
			t.Fatalf("Open(%q) = %q, which the key never sealed for ctx", s, plain)
		}
	})
}
