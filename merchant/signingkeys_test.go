package merchant_test

import (
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
)

// firstKey is a Signer with one key, the first: the one from before keys
// had IDs.
func firstKey() merchant.Signer {
	return merchant.Signer{Keys: []merchant.SigningKey{{Key: merchant.NewKey()}}}
}

// claims is what a token carries after its nonce: "~scope~gen", and
// "~key" for a key with an ID.
func claims(t *testing.T, token string) string {
	t.Helper()
	enc, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(raw), ".")
	_, cs, _ := strings.Cut(parts[len(parts)-1], "~")
	return cs
}

// Tokens name the key that signed them, the first key's none; a rotation
// makes a new current key, and the one it replaced goes on verifying its
// tokens until it retires; a key the Signer does not have is ErrUnknownKey
// (for a token that has not expired and names a key ID), and the refusal
// of anything else.
func TestSigningKeys(t *testing.T) {
	first := firstKey()
	c, _ := merchant.NewClient(kassa.RandomIDs{}, now, "m_1")
	tok0 := first.Issue(c, now)
	if got := claims(t, tok0); got != "write~0" {
		t.Errorf("the first key's token carries %q, want the claims of tokens from before key IDs, write~0", got)
	}

	at := now.Add(10 * time.Minute)
	s, k := first.Rotate(at)
	if k.ID != merchant.KeyID(k.Key) || len(k.ID) != 16 || strings.Trim(k.ID, "0123456789abcdef") != "" || !k.CreatedAt.Equal(at) {
		t.Errorf("new key %q made %s: want 16 hex digits of its key, made at %s", k.ID, k.CreatedAt, at)
	}
	if len(s.Keys) != 2 || s.Keys[1].ID != k.ID || len(first.Keys) != 1 {
		t.Fatalf("keys after the rotation %+v; want the first, then the new one, and the first Signer unchanged", s.Keys)
	}
	tok1 := s.Issue(c, at)
	if got := claims(t, tok1); got != "write~0~"+k.ID {
		t.Errorf("the new key's token carries %q, want its key ID", got)
	}
	for name, tok := range map[string]string{"the new key's": tok1, "the first key's": tok0} {
		if p, err := s.Check(tok, at); err != nil || p.ClientID != c.ID {
			t.Errorf("Check of %s token after the rotation = %+v, %v", name, p, err)
		}
	}

	// A process that has not read the new key yet.
	if _, err := first.Check(tok1, at); kassa.ErrorCode(err) != kassa.EUnauthorized || !errors.Is(err, merchant.ErrUnknownKey) {
		t.Errorf("Check of a token of a key not known = %v, want %s for an unknown key", err, kassa.EUnauthorized)
	}
	forged, _ := firstKey().Rotate(at)
	if p, err := s.Check(forged.Issue(c, at), at); !errors.Is(err, merchant.ErrUnknownKey) || p != (merchant.Principal{}) {
		t.Errorf("Check of another deployment's key's token = %+v, %v; want an unknown key, naming nobody", p, err)
	}
	exp := now.Add(time.Hour).Unix()
	for name, tc := range map[string]struct {
		token string
		at    time.Time
	}{
		"expired, of a key not known":     {tok1, at.Add(merchant.TokenLifetime)},
		"a key ID that is not one":        {signed(k.Key, "m_1.cl_1."+itoa(exp)+".bm9uY2U~write~0~XYZ"), now},
		"an empty key ID":                 {signed(k.Key, "m_1.cl_1."+itoa(exp)+".bm9uY2U~write~0~"), now},
		"too many claims":                 {signed(k.Key, "m_1.cl_1."+itoa(exp)+".bm9uY2U~write~0~"+k.ID+"~x"), now},
		"the new key's, its ID removed":   {edit(t, tok1, "~"+k.ID, ""), at},
		"the first key's, naming the new": {signed(first.Keys[0].Key, "m_1.cl_1."+itoa(exp)+".bm9uY2U~write~0~"+k.ID), now},
	} {
		p, err := first.With(k).Check(tc.token, tc.at)
		if kassa.ErrorCode(err) != kassa.EUnauthorized || errors.Is(err, merchant.ErrUnknownKey) {
			t.Errorf("%s: Check error = %v, want %s, and not an unknown key", name, err, kassa.EUnauthorized)
		}
		if name != "expired, of a key not known" && p != (merchant.Principal{}) {
			t.Errorf("%s: principal %+v, want none", name, p)
		}
	}

	// The first key retires KeyRetention after the new one was made: a
	// token it signed late (by a process that never learned of the
	// rotation) is refused from then on, though it has not expired,
	// naming its client for the audit log.
	retires := at.Add(merchant.KeyRetention)
	late := first.Issue(c, retires.Add(-time.Minute))
	if _, err := s.Check(late, retires.Add(-time.Second)); err != nil {
		t.Errorf("Check of the first key's token before it retires = %v", err)
	}
	if p, err := s.Check(late, retires); kassa.ErrorCode(err) != kassa.EUnauthorized || p.ClientID != c.ID {
		t.Errorf("Check of the retired key's token = %+v, %v; want %s, naming its client", p, err, kassa.EUnauthorized)
	}
	if _, err := s.Check(s.Issue(c, retires), retires.Add(merchant.TokenLifetime-time.Second)); err != nil {
		t.Errorf("the current key never retires: %v", err)
	}

	before := []merchant.KeyState{{RetiresAt: retires}, {ID: k.ID, Current: true, CreatedAt: at}}
	if diff := cmp.Diff(before, s.States(retires.Add(-time.Second))); diff != "" {
		t.Errorf("States before the first key retires (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before[1:], s.States(retires)); diff != "" {
		t.Errorf("States once it has (-want +got):\n%s", diff)
	}
	if r := s.Retired(retires); len(r) != 1 || r[0].ID != "" {
		t.Errorf("Retired = %+v, want the first key", r)
	}
	if r := s.Retired(retires.Add(-time.Second)); len(r) != 0 {
		t.Errorf("Retired before the retirement = %+v", r)
	}
}

// A rotation on a clock behind the one that made the current key makes a
// key after it all the same; With merges keys in the order they were
// made, whichever order they are given in.
func TestRotateOrder(t *testing.T) {
	at := now.Add(time.Hour)
	s, k1 := firstKey().Rotate(at)
	s, k2 := s.Rotate(now)
	if !k2.CreatedAt.Equal(at.Add(time.Microsecond)) || s.Keys[2].ID != k2.ID {
		t.Errorf("a key made on a clock behind: made %s, keys %+v; want it current, a microsecond after %s", k2.CreatedAt, s.Keys, at)
	}
	first := merchant.Signer{Keys: s.Keys[:1]}
	merged := first.With(k2, k1, k2)
	if ids := keyIDs(merged); !slices.Equal(ids, []string{"", k1.ID, k2.ID}) || !merged.Has(k1.ID) || first.Has(k1.ID) {
		t.Errorf("With = %q, want the first key, then k1, then k2", ids)
	}
}

func keyIDs(s merchant.Signer) []string {
	var ids []string
	for _, k := range s.Keys {
		ids = append(ids, k.ID)
	}
	return ids
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// edit replaces old with new in the token's payload, and keeps its
// signature.
func edit(t *testing.T, token, old, new string) string {
	t.Helper()
	enc, sig, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !strings.Contains(string(raw), old) {
		t.Fatalf("token payload %q (%v) has no %q", raw, err, old)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), old, new, 1))) + "." + sig
}
