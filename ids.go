package kassa

import (
	"crypto/rand"
	"time"

	"github.com/segmentio/ksuid"
)

// ID prefixes, as Ledyer uses them on the wire.
const (
	PrefixOrder         = "or_"
	PrefixOrderLine     = "ol_"
	PrefixOrderEvent    = "oe_"
	PrefixLedger        = "in_"
	PrefixSession       = "ps_"
	PrefixAuthorization = "at_"
	PrefixMerchant      = "ac_"
	PrefixClient        = "cl_"
	PrefixDocument      = "doc_" // Kassa's own: invoice documents
	PrefixBankPayment   = "bp_"  // Kassa's own: payments received
	PrefixMail          = "mail_"
	PrefixDecision      = "cd_" // Kassa's own: credit decisions
)

// ID prefixes of notifications, Kassa's own.
const (
	PrefixNotification = "nt_"
	PrefixDelivery     = "nd_"
	PrefixEndpoint     = "ne_"
)

// IDs makes prefixed, time-ordered identifiers (KSUIDs, as Ledyer's are).
type IDs interface {
	New(prefix string) string
}

// RandomIDs generates KSUIDs from crypto/rand stamped with the clock's time.
type RandomIDs struct{ Clock Clock }

func (g RandomIDs) New(prefix string) string {
	now := time.Now()
	if g.Clock != nil {
		now = g.Clock.Now()
	}
	var payload [16]byte
	rand.Read(payload[:]) // never fails (crypto/rand docs)
	id, err := ksuid.FromParts(now, payload[:])
	if err != nil {
		panic(err) // only for a 16-byte payload mismatch, impossible here
	}
	return prefix + id.String()
}

// Clock is the injectable source of time.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock, in UTC at microsecond precision: the
// precision of Ledyer's timestamps and of what the stores keep.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
