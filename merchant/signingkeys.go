package merchant

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// SigningKey is a key that signs access tokens (docs/secrets.md). A
// rotation makes a new one, which signs every token issued from then on;
// the one it replaces verifies the tokens it signed until they have
// expired, and then retires.
type SigningKey struct {
	// ID names the key in the tokens it signs (KeyID). The first key, the
	// one from before keys had IDs, has none, and neither have its tokens:
	// a Kassa process from before key IDs checks them with the one key it
	// knows.
	ID  string
	Key []byte
	// CreatedAt is when the key was made and became current; zero for the
	// first key.
	CreatedAt time.Time
}

// ClockMargin is how far the clocks of the processes sharing a database
// may disagree without a token outliving what the processes know of its
// client or its key.
const ClockMargin = 5 * time.Minute

// KeyRetention is how long a signing key goes on verifying tokens once
// the next one is made: the lifetime of the last tokens it signed, and
// ClockMargin. After that it has retired.
const KeyRetention = TokenLifetime + ClockMargin

// keyIDLen is the hex digits of a key ID.
const keyIDLen = 16

// KeyID names key: 16 hex digits of HMAC-SHA256(key, "kassa access token
// key id"), which tell keys apart without revealing them.
func KeyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kassa access token key id"))
	return hex.EncodeToString(m.Sum(nil)[:keyIDLen/2])
}

// validKeyID reports whether id has a key ID's form.
func validKeyID(id string) bool {
	return len(id) == keyIDLen && strings.Trim(id, "0123456789abcdef") == ""
}

// Rotate returns s with a new signing key, current from now, and the new
// key. A key is never older than the one before it: if now is earlier
// than the current key's creation (the clock of the process that made it
// was ahead), the new key is made a microsecond after it, so that every
// process agrees which key is current.
func (s Signer) Rotate(now time.Time) (Signer, SigningKey) {
	key := NewKey()
	k := SigningKey{ID: KeyID(key), Key: key, CreatedAt: now}
	if last := s.Keys[len(s.Keys)-1].CreatedAt; !k.CreatedAt.After(last) {
		k.CreatedAt = last.Add(time.Microsecond)
	}
	return s.With(k), k
}

// With returns s with the keys of ks it does not have, all in the order
// they were made.
func (s Signer) With(ks ...SigningKey) Signer {
	next := Signer{Keys: slices.Clone(s.Keys)}
	for _, k := range ks {
		if !next.Has(k.ID) {
			next.Keys = append(next.Keys, k)
		}
	}
	slices.SortFunc(next.Keys, func(a, b SigningKey) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return next
}

// Has reports whether s has the key named id.
func (s Signer) Has(id string) bool { return s.find(id) >= 0 }

// find is the index of the key named id, or -1.
func (s Signer) find(id string) int {
	return slices.IndexFunc(s.Keys, func(k SigningKey) bool { return k.ID == id })
}

// retired reports whether the key at index i has retired at now:
// KeyRetention after the next key was made. The current key never has.
func (s Signer) retired(i int, now time.Time) bool {
	return i < len(s.Keys)-1 && !now.Before(s.Keys[i+1].CreatedAt.Add(KeyRetention))
}

// Retired lists the keys that have retired at now: they verify no token.
func (s Signer) Retired(now time.Time) []SigningKey {
	var ks []SigningKey
	for i, k := range s.Keys {
		if s.retired(i, now) {
			ks = append(ks, k)
		}
	}
	return ks
}

// KeyState is a signing key as an operator sees it: its ID (none for the
// first key), whether it signs new tokens, when it was made, and when it
// retires, once another has replaced it.
type KeyState struct {
	ID        string    `json:"keyId,omitzero"`
	Current   bool      `json:"current"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
	RetiresAt time.Time `json:"retiresAt,omitzero"`
}

// States are the keys that have not retired at now, oldest first: the
// last is current.
func (s Signer) States(now time.Time) []KeyState {
	var ks []KeyState
	for i, k := range s.Keys {
		if s.retired(i, now) {
			continue
		}
		st := KeyState{ID: k.ID, Current: i == len(s.Keys)-1, CreatedAt: k.CreatedAt}
		if !st.Current {
			st.RetiresAt = s.Keys[i+1].CreatedAt.Add(KeyRetention)
		}
		ks = append(ks, st)
	}
	return ks
}
