package user

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
)

func TestRoleCan(t *testing.T) {
	// Each action's row: which of owner, admin, finance, support may.
	tests := []struct {
		action                         Action
		owner, admin, finance, support bool
	}{
		{ViewOrders, true, true, true, true},
		{ViewAudit, true, true, true, true},
		{Capture, true, true, true, false},
		{Refund, true, true, true, false},
		{Cancel, true, true, true, false},
		{EditOrders, true, true, true, false},
		{RecordPayments, true, true, true, false},
		{ManageUsers, true, true, false, false},
		{ManageOwners, true, false, false, false},
		{ManageAPIKeys, true, true, false, false},
		{ManageSettings, true, true, false, false},
		{Action("launch rockets"), false, false, false, false},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			role Role
			want bool
		}{{Owner, tt.owner}, {Admin, tt.admin}, {Finance, tt.finance}, {Support, tt.support}, {Role("root"), false}} {
			if got := c.role.Can(tt.action); got != c.want {
				t.Errorf("%s.Can(%s) = %v, want %v", c.role, tt.action, got, c.want)
			}
			if err := c.role.Permit(tt.action); (err == nil) != c.want || err != nil && kassa.ErrorCode(err) != kassa.EForbidden {
				t.Errorf("%s.Permit(%s) = %v", c.role, tt.action, err)
			}
		}
	}
	if len(grants) != len(tests)-1 {
		t.Errorf("the table tests %d actions, grants has %d: test every action", len(tests)-1, len(grants))
	}
}

func TestSupportChangesNothing(t *testing.T) {
	for a := range grants {
		if Support.Can(a) && !strings.HasPrefix(string(a), "view ") {
			t.Errorf("support may %s, which is not a read", a)
		}
	}
}

func TestMayGrant(t *testing.T) {
	tests := []struct {
		by, to Role
		want   bool
	}{
		{Owner, Owner, true}, {Owner, Support, true},
		{Admin, Owner, false}, {Admin, Admin, true}, {Admin, Finance, true},
		{Finance, Support, false}, {Support, Support, false},
	}
	for _, tt := range tests {
		if got := tt.by.MayGrant(tt.to); got != tt.want {
			t.Errorf("%s.MayGrant(%s) = %v, want %v", tt.by, tt.to, got, tt.want)
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range Roles {
		if got, err := ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	for _, s := range []string{"", "Owner", "root", "owner "} {
		if _, err := ParseRole(s); kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("ParseRole(%q): %v, want invalid_request", s, err)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	if got, err := NormalizeEmail("  Ada@Example.COM "); err != nil || got != "ada@example.com" {
		t.Errorf("NormalizeEmail = %q, %v", got, err)
	}
	for _, s := range []string{"", "ada", "Ada <ada@example.com>", "a@b@c", strings.Repeat("a", 250) + "@x.se"} {
		if _, err := NormalizeEmail(s); kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("NormalizeEmail(%q): %v, want invalid_request", s, err)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse battery", DefaultArgon2)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not name argon2id and its parameters", h)
	}
	if !VerifyPassword("correct horse battery", h) {
		t.Error("the right password does not verify")
	}
	if VerifyPassword("correct horse batterY", h) {
		t.Error("a wrong password verifies")
	}
	if h2 := HashPassword("correct horse battery", DefaultArgon2); h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	// A hash made with other parameters still verifies: they travel with it.
	cheap := HashPassword("pw", Argon2Params{Memory: 64, Time: 1, Threads: 1})
	if !VerifyPassword("pw", cheap) {
		t.Error("a hash with other parameters does not verify")
	}
	parts := strings.Split(h, "$")
	for _, bad := range []string{
		"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=18$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=2,p=1$" + parts[4] + "$" + parts[5], // would take 95 GiB
		"$argon2id$v=19$m=19456,t=0,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1$" + parts[4] + "$",
	} {
		if VerifyPassword("correct horse battery", bad) {
			t.Errorf("VerifyPassword against %q is true", bad)
		}
	}
	if d := DummyHash(); VerifyPassword("", d) || DummyHash() != d {
		t.Error("DummyHash is not one hash that matches nothing tried")
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw   string
		ok   bool
		what string
	}{
		{"correct horse battery", true, ""},
		{"ÅÄÖåäöÅÄÖåäö", true, ""}, // 12 characters, 24 bytes
		{"short", false, "at least 12"},
		{"elevenchars", false, "at least 12"},
		{strings.Repeat("ab", 129), false, "at most 256"},
		{"ada.lovelace@example.com", false, "e-mail"},
		{"ADA.LOVELACE", false, "e-mail"},
		{"zzzzzzzzzzzzzzzz", false, "repeat"},
		{"Password1234", false, "common"},
		{"bad\xffutf8-password", false, "not valid"},
	}
	for _, tt := range tests {
		err := CheckPassword(tt.pw, "ada.lovelace@example.com")
		if tt.ok != (err == nil) || err != nil && (!strings.Contains(err.Error(), tt.what) || kassa.ErrorCode(err) != kassa.EInvalid) {
			t.Errorf("CheckPassword(%q) = %v, want ok %v (%s)", tt.pw, err, tt.ok, tt.what)
		}
	}
}

// TestTOTPVectors checks the TOTP against RFC 6238's Appendix B: 8-digit
// codes for SHA-1, SHA-256 and SHA-512 with the RFC's seeds.
func TestTOTPVectors(t *testing.T) {
	seed := func(n int) []byte { return []byte(strings.Repeat("1234567890", 7)[:n]) }
	algos := []struct {
		name string
		h    func() hash.Hash
		key  []byte
	}{{"SHA1", sha1.New, seed(20)}, {"SHA256", sha256.New, seed(32)}, {"SHA512", sha512.New, seed(64)}}
	vectors := []struct {
		unix  int64
		codes [3]string // SHA1, SHA256, SHA512
	}{
		{59, [3]string{"94287082", "46119246", "90693936"}},
		{1111111109, [3]string{"07081804", "68084774", "25091201"}},
		{1111111111, [3]string{"14050471", "67062674", "99943326"}},
		{1234567890, [3]string{"89005924", "91819424", "93441116"}},
		{2000000000, [3]string{"69279037", "90698825", "38618901"}},
		{20000000000, [3]string{"65353130", "77737706", "47863826"}},
	}
	for _, v := range vectors {
		for i, a := range algos {
			if got := totpAt(a.h, a.key, time.Unix(v.unix, 0), 30*time.Second, 8); got != v.codes[i] {
				t.Errorf("TOTP %s at %d = %s, want %s", a.name, v.unix, got, v.codes[i])
			}
		}
	}
	// The 6-digit code authenticator apps show is the 8-digit one's last 6.
	secret := b32.EncodeToString(seed(20))
	if got := TOTPCode(secret, time.Unix(1111111109, 0)); got != "081804" {
		t.Errorf("TOTPCode = %s, want 081804", got)
	}
}

func TestVerifyTOTP(t *testing.T) {
	secret := NewTOTPSecret()
	if len(secret) != 32 {
		t.Fatalf("secret %q: want 32 base32 characters (160 bits)", secret)
	}
	now := time.Unix(1_800_000_000, 0)
	code := TOTPCode(secret, now)
	step, ok := VerifyTOTP(secret, code, now, 0)
	if !ok || step != StepAt(now) {
		t.Fatalf("VerifyTOTP of the current code = %d, %v", step, ok)
	}
	if _, ok := VerifyTOTP(secret, code, now, step); ok {
		t.Error("a code accepted once is accepted again")
	}
	if _, ok := VerifyTOTP(secret, TOTPCode(secret, now.Add(-30*time.Second)), now, 0); !ok {
		t.Error("the previous step's code is refused")
	}
	if _, ok := VerifyTOTP(secret, TOTPCode(secret, now.Add(-90*time.Second)), now, 0); ok {
		t.Error("a code three steps old is accepted")
	}
	if _, ok := VerifyTOTP(secret, code[:3]+" "+code[3:], now, 0); !ok {
		t.Error("a code typed with a space is refused")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := VerifyTOTP(secret, bad, now, 0); ok {
			t.Errorf("code %q accepted", bad)
		}
	}
	if _, ok := VerifyTOTP("not base32!", code, now, 0); ok {
		t.Error("a damaged secret accepts a code")
	}
	uri := TOTPURI(secret, "Kassa", "ada@example.com")
	if !strings.HasPrefix(uri, "otpauth://totp/Kassa:ada@example.com?") || !strings.Contains(uri, "secret="+secret) {
		t.Errorf("TOTPURI = %s", uri)
	}
}

func TestSecrets(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b || len(a) != 43 {
		t.Errorf("secrets %q, %q: want distinct, 43 characters (256 bits)", a, b)
	}
	if h := Hash(a); h == Hash(b) || Hash(a) != h || len(h) != 64 || strings.Contains(h, a) {
		t.Error("Hash is not a stable SHA-256 in hex")
	}
}

func TestSessionExpired(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	s := Session{CreatedAt: t0, LastSeenAt: t0}
	tests := []struct {
		name     string
		lastSeen time.Duration // after t0
		now      time.Duration
		pending  bool
		want     bool
	}{
		{"fresh", 0, time.Minute, false, false},
		{"idle just under", 0, IdleTimeout - time.Second, false, false},
		{"idle", 0, IdleTimeout, false, true},
		{"in use near the end", AbsoluteTimeout - time.Minute, AbsoluteTimeout - time.Second, false, false},
		{"absolute", AbsoluteTimeout - time.Minute, AbsoluteTimeout, false, true},
		{"pending", 0, PendingTimeout - time.Second, true, false},
		{"pending too long", 0, PendingTimeout, true, true},
	}
	for _, tt := range tests {
		s.LastSeenAt, s.Pending = t0.Add(tt.lastSeen), tt.pending
		if got := s.Expired(t0.Add(tt.now)); got != tt.want {
			t.Errorf("%s: Expired = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestToken(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	u := &User{ID: "usr_1", MerchantID: "ac_1"}
	for _, c := range []struct {
		kind TokenKind
		life time.Duration
	}{{Invitation, 7 * 24 * time.Hour}, {PasswordReset, time.Hour}, {SignInLink, 15 * time.Minute}} {
		secret, tok := NewToken(c.kind, u, now)
		if tok.Hash != Hash(secret) || tok.UserID != "usr_1" || tok.MerchantID != "ac_1" || tok.Kind != c.kind {
			t.Errorf("%s: token %+v", c.kind, tok)
		}
		if !tok.Usable(now.Add(c.life-time.Second)) || tok.Usable(now.Add(c.life)) {
			t.Errorf("%s: not usable for exactly %v", c.kind, c.life)
		}
		tok.UsedAt = now
		if tok.Usable(now) {
			t.Errorf("%s: usable after use", c.kind)
		}
	}
}
