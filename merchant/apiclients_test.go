package merchant_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
)

func TestScopes(t *testing.T) {
	for _, s := range []string{"read", "write"} {
		if sc, err := merchant.ParseScope(s); err != nil || string(sc) != s {
			t.Errorf("ParseScope(%q) = %q, %v", s, sc, err)
		}
	}
	for _, s := range []string{"", "Write", "admin", "read write"} {
		if _, err := merchant.ParseScope(s); kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("ParseScope(%q) error = %v, want %s", s, err, kassa.EInvalid)
		}
	}
	for _, tc := range []struct {
		scope  merchant.Scope
		method string
		want   bool
	}{
		{merchant.ScopeRead, "GET", true},
		{merchant.ScopeRead, "HEAD", true},
		{merchant.ScopeRead, "POST", false},
		{merchant.ScopeRead, "PUT", false},
		{merchant.ScopeRead, "DELETE", false},
		{merchant.ScopeWrite, "GET", true},
		{merchant.ScopeWrite, "POST", true},
		{merchant.ScopeWrite, "DELETE", true},
		{"", "GET", false},
	} {
		if got := tc.scope.Allows(tc.method); got != tc.want {
			t.Errorf("Scope(%q).Allows(%s) = %v, want %v", tc.scope, tc.method, got, tc.want)
		}
	}
}

func TestNewAPIClient(t *testing.T) {
	first, _ := merchant.NewClient(kassa.RandomIDs{}, now, "m_1")
	if first.Name != "default" || first.Scope != merchant.ScopeWrite {
		t.Errorf("first client = %q %q, want default write", first.Name, first.Scope)
	}
	c, secret, err := merchant.NewAPIClient(kassa.RandomIDs{}, now, []merchant.Client{*first}, "m_1", "  reporting ", merchant.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "reporting" || c.Scope != merchant.ScopeRead || c.MerchantID != "m_1" || !strings.HasPrefix(c.ID, kassa.PrefixClient) || !c.Verify(secret, now) {
		t.Errorf("client = %+v", c)
	}
	for _, tc := range []struct {
		name  string
		scope merchant.Scope
	}{{"", merchant.ScopeRead}, {"  ", merchant.ScopeRead}, {strings.Repeat("é", 101), merchant.ScopeRead}, {"x", ""}, {"x", "admin"}} {
		if _, _, err := merchant.NewAPIClient(kassa.RandomIDs{}, now, nil, "m_1", tc.name, tc.scope); kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("NewAPIClient(%q, %q) error = %v, want %s", tc.name, tc.scope, err, kassa.EInvalid)
		}
	}
	if _, _, err := merchant.NewAPIClient(kassa.RandomIDs{}, now, nil, "m_1", strings.Repeat("é", 100), merchant.ScopeRead); err != nil {
		t.Errorf("NewAPIClient with a name of 100 characters: %v", err)
	}

	// At most MaxClients active clients; revoked ones do not count.
	clients := make([]merchant.Client, merchant.MaxClients)
	for i := range clients {
		clients[i] = merchant.Client{ID: "cl_" + strconv.Itoa(i), Scope: merchant.ScopeWrite}
	}
	if _, _, err := merchant.NewAPIClient(kassa.RandomIDs{}, now, clients, "m_1", "one too many", merchant.ScopeRead); kassa.ErrorCode(err) != kassa.EConflict {
		t.Errorf("NewAPIClient beyond %d clients error = %v, want %s", merchant.MaxClients, err, kassa.EConflict)
	}
	clients[0].RevokedAt = now
	if _, _, err := merchant.NewAPIClient(kassa.RandomIDs{}, now, clients, "m_1", "replacement", merchant.ScopeRead); err != nil {
		t.Errorf("NewAPIClient after a revocation: %v", err)
	}
}

func TestRotate(t *testing.T) {
	c, old := merchant.NewClient(kassa.RandomIDs{}, now, "m_1")
	at := now.Add(time.Hour)
	r, secret, err := c.Rotate(at, merchant.DefaultOverlap)
	if err != nil {
		t.Fatal(err)
	}
	if secret == old || r.Generation != 1 || !r.RotatedAt.Equal(at) || c.Generation != 0 {
		t.Errorf("rotated = %+v (receiver %+v)", r, c)
	}
	end := at.Add(merchant.DefaultOverlap)
	for _, tc := range []struct {
		secret string
		at     time.Time
		want   bool
	}{
		{secret, at, true},
		{secret, end.Add(time.Hour), true},
		{old, end.Add(-time.Nanosecond), true},
		{old, end, false},
		{"", at, false},
	} {
		if got := r.Verify(tc.secret, tc.at); got != tc.want {
			t.Errorf("Verify(%.6s…, overlap end %+v) = %v, want %v", tc.secret, tc.at.Sub(end), got, tc.want)
		}
	}

	// A second rotation ends the first one's overlap at once.
	r2, newest, err := r.Rotate(at.Add(time.Minute), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Verify(old, at.Add(time.Minute)) || !r2.Verify(secret, at.Add(time.Minute)) || !r2.Verify(newest, at.Add(time.Minute)) {
		t.Error("after a second rotation: want the two latest secrets, not the first")
	}

	// No overlap: the previous secret stops at once (a leaked one).
	r0, _, err := c.Rotate(at, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r0.Verify(old, at) {
		t.Error("Verify(previous secret) after a rotation without overlap = true")
	}

	for _, d := range []time.Duration{-time.Second, merchant.MaxOverlap + time.Second} {
		if _, _, err := c.Rotate(at, d); kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("Rotate(overlap %s) error = %v, want %s", d, err, kassa.EInvalid)
		}
	}
	if _, _, err := c.Rotate(at, merchant.MaxOverlap); err != nil {
		t.Errorf("Rotate(overlap %s): %v", merchant.MaxOverlap, err)
	}
	revoked := *c
	revoked.RevokedAt = at
	if _, _, err := revoked.Rotate(at, 0); kassa.ErrorCode(err) != kassa.EConflict {
		t.Errorf("Rotate of a revoked client error = %v, want %s", err, kassa.EConflict)
	}
}

func TestRevoke(t *testing.T) {
	w1, s1 := merchant.NewClient(kassa.RandomIDs{}, now, "m_1")
	w2, _ := merchant.NewClient(kassa.RandomIDs{}, now, "m_1")
	r, _, err := merchant.NewAPIClient(kassa.RandomIDs{}, now, nil, "m_1", "reader", merchant.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	clients := []merchant.Client{*w1, *w2, *r}
	at := now.Add(time.Minute)

	got, err := merchant.Revoke(clients, w1.ID, at)
	if err != nil {
		t.Fatal(err)
	}
	if !got.RevokedAt.Equal(at) || got.Verify(s1, at) {
		t.Errorf("revoked client = %+v, its secret still valid", got)
	}
	clients[0] = *got
	if _, err := merchant.Revoke(clients, w1.ID, at); kassa.ErrorCode(err) != kassa.EConflict {
		t.Errorf("Revoke twice error = %v, want %s", err, kassa.EConflict)
	}
	// w2 is now the last write client: a read client does not manage.
	if _, err := merchant.Revoke(clients, w2.ID, at); kassa.ErrorCode(err) != kassa.EConflict {
		t.Errorf("Revoke of the last write client error = %v, want %s", err, kassa.EConflict)
	}
	if _, err := merchant.Revoke(clients, r.ID, at); err != nil {
		t.Errorf("Revoke of a read client: %v", err)
	}
	if _, err := merchant.Revoke(clients, "cl_other", at); kassa.ErrorCode(err) != kassa.ENotFound {
		t.Errorf("Revoke of an unknown client error = %v, want %s", err, kassa.ENotFound)
	}
}

func TestGrant(t *testing.T) {
	s := firstKey()
	c, old, err := merchant.NewAPIClient(kassa.RandomIDs{}, now, nil, "m_1", "reporting", merchant.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	tok, ok := s.Grant(c, old, now)
	if !ok || tok.Scope != merchant.ScopeRead || tok.ExpiresIn != merchant.TokenLifetime {
		t.Fatalf("Grant = %+v, %v; want a read token for an hour", tok, ok)
	}
	p, err := s.Check(tok.Token, now)
	if err != nil || p.Scope != merchant.ScopeRead || p.Generation != 0 || p.ClientID != c.ID {
		t.Errorf("Check = %+v, %v", p, err)
	}
	if _, ok := s.Grant(c, "wrong", now); ok {
		t.Error("Grant with a wrong secret succeeded")
	}

	// The previous secret's tokens end with its overlap, sooner than an
	// hour here; the new secret's are of the next generation.
	r, secret, err := c.Rotate(now, 10*time.Minute+500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	tok, ok = s.Grant(r, old, now)
	if !ok || tok.ExpiresIn != 10*time.Minute {
		t.Fatalf("Grant with the previous secret = %+v, %v; want 10 minutes", tok, ok)
	}
	if p, err := s.Check(tok.Token, now.Add(10*time.Minute-time.Second)); err != nil || p.Generation != 0 {
		t.Errorf("Check before the overlap ends = %+v, %v; want generation 0", p, err)
	}
	if _, err := s.Check(tok.Token, now.Add(10*time.Minute)); kassa.ErrorCode(err) != kassa.EUnauthorized {
		t.Errorf("Check once the overlap ends error = %v, want %s", err, kassa.EUnauthorized)
	}
	tok, _ = s.Grant(r, secret, now)
	if p, err := s.Check(tok.Token, now); err != nil || p.Generation != 1 || tok.ExpiresIn != merchant.TokenLifetime {
		t.Errorf("Check of the new secret's token = %+v, %v, expires in %s", p, err, tok.ExpiresIn)
	}
	revoked := *r
	revoked.RevokedAt = now
	if _, ok := s.Grant(&revoked, secret, now); ok {
		t.Error("Grant for a revoked client succeeded")
	}
}

// signed is a token with payload, as a Signer with key signs it.
func signed(key []byte, payload string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func TestCheckClaims(t *testing.T) {
	s := firstKey()
	exp := strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	// A token with a bare nonce, as a process that predates scopes issues
	// during a rolling upgrade: its client was a write client.
	p, err := s.Check(signed(s.Keys[0].Key, "m_1.cl_1."+exp+".bm9uY2Vub25jZW5v"), now)
	if err != nil || p != (merchant.Principal{MerchantID: "m_1", ClientID: "cl_1", Scope: merchant.ScopeWrite}) {
		t.Errorf("Check of a token without claims = %+v, %v; want write, generation 0", p, err)
	}
	for _, claims := range []string{"~admin~0", "~read", "~read~x", "~read~-1", "~~0"} {
		if _, err := s.Check(signed(s.Keys[0].Key, "m_1.cl_1."+exp+".bm9uY2U"+claims), now); kassa.ErrorCode(err) != kassa.EUnauthorized {
			t.Errorf("Check with claims %q error = %v, want %s", claims, err, kassa.EUnauthorized)
		}
	}
}

func TestAdmits(t *testing.T) {
	at := now.Add(time.Hour)
	c := &merchant.Client{ID: "cl_1", Generation: 2, PreviousUntil: at}
	revoked := *c
	revoked.RevokedAt = now
	for _, tc := range []struct {
		name   string
		client *merchant.Client
		gen    int
		at     time.Time
		want   bool
	}{
		{"current secret", c, 2, at, true},
		{"a rotation not known yet", c, 3, at, true},
		{"previous secret in its overlap", c, 1, at.Add(-time.Nanosecond), true},
		{"previous secret after its overlap", c, 1, at, false},
		{"an older secret", c, 0, now, false},
		{"revoked", &revoked, 2, now, false},
	} {
		if got := tc.client.Admits(merchant.Principal{ClientID: "cl_1", Generation: tc.gen}, tc.at); got != tc.want {
			t.Errorf("%s: Admits = %v, want %v", tc.name, got, tc.want)
		}
	}

	rotated := *c
	rotated.Generation = 3
	if merchant.Later(c, &rotated) != &rotated || merchant.Later(&rotated, c) != &rotated {
		t.Error("Later does not take the higher generation")
	}
	if merchant.Later(c, &revoked) != &revoked || merchant.Later(&revoked, c) != &revoked {
		t.Error("Later does not take the revocation")
	}
	// A revocation known without the generation it happened at (the
	// process that revoked knows no more) is still the later state.
	bare := &merchant.Client{ID: "cl_1", RevokedAt: now}
	if merchant.Later(&rotated, bare) != bare {
		t.Error("Later prefers a higher generation to a revocation")
	}
}
