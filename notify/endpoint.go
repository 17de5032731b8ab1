package notify

import (
	"net/http"
	"slices"
	"time"

	"github.com/kassa-pay/kassa"
)

// Endpoint is a URL a merchant registered for notifications.
type Endpoint struct {
	ID         string
	MerchantID string
	URL        string
	Secret     string   // whsec_…, shown to the merchant once; stored sealed (SecretContext)
	EventTypes []string // empty: every type
	CreatedAt  time.Time

	// RotatedAt is when the secret was last rotated; zero if never.
	RotatedAt time.Time
	// PreviousSecret is the secret the last rotation replaced, stored
	// sealed like Secret; deliveries are signed with it as well until
	// PreviousUntil (Delivery.Secrets).
	PreviousSecret string
	PreviousUntil  time.Time

	// FailingSince is the time of the first failed attempt since the
	// endpoint last answered with a success (or was created or enabled);
	// zero while its last attempt succeeded.
	FailingSince time.Time
	// DisabledAt is when the endpoint was disabled, and DisabledReason
	// why (DisabledGone, DisabledFailing); zero while it is enabled.
	DisabledAt     time.Time
	DisabledReason string
}

// Wants says whether the endpoint subscribes to notification type t.
func (e *Endpoint) Wants(t string) bool {
	return len(e.EventTypes) == 0 || slices.Contains(e.EventTypes, t)
}

// Disabled says whether deliveries to the endpoint have stopped.
func (e *Endpoint) Disabled() bool { return !e.DisabledAt.IsZero() }

// The overlap of a secret rotation: how long the secret replaced still
// signs, by default and at most; the same bounds as an API client's.
const (
	DefaultOverlap = 24 * time.Hour
	MaxOverlap     = 7 * 24 * time.Hour
)

// Rotate gives the endpoint secret as its new secret at now, and keeps
// signing with the current one for overlap (0 to MaxOverlap), so that a
// receiver verifying with either accepts the deliveries meanwhile. A
// secret still in the overlap of an earlier rotation stops at once.
func (e Endpoint) Rotate(now time.Time, overlap time.Duration, secret string) (Endpoint, error) {
	if overlap < 0 || overlap > MaxOverlap {
		return Endpoint{}, kassa.Invalid("overlapSeconds", "the overlap must be 0 to 7 days (overlapSeconds 0 to %d)", int(MaxOverlap.Seconds()))
	}
	e.PreviousSecret, e.PreviousUntil = e.Secret, now.Add(overlap)
	e.Secret, e.RotatedAt = secret, now
	return e, nil
}

// Why an endpoint was disabled.
const (
	// DisabledGone: a delivery was answered 410 Gone, which Standard
	// Webhooks receivers send to ask for no more.
	DisabledGone = "gone"
	// DisabledFailing: every attempt failed for the disabling period
	// (DefaultDisableAfter), without a single success.
	DisabledFailing = "failing"
	// DisabledByMerchant: the merchant disabled it (Disable).
	DisabledByMerchant = "merchant"
)

// DefaultDisableAfter is how long every attempt at an endpoint may fail
// before it is disabled: Svix's five days. Ledyer's schedule gives up on
// one notification after about 28 hours, so only an endpoint that keeps
// receiving new notifications and never answers any of them reaches it.
const DefaultDisableAfter = 5 * 24 * time.Hour

// Attempted returns the endpoint as an attempt at one of its deliveries,
// made at a.At, leaves it, and whether that changed it. A success ends
// the failure streak; a failure starts one unless one runs. A 410 Gone
// disables the endpoint at once, and so does a failure once the streak
// has lasted disableAfter. A disabled endpoint is left as it is: only
// its merchant enables it again (Enable).
func (e Endpoint) Attempted(a Attempt, disableAfter time.Duration) (Endpoint, bool) {
	if e.Disabled() {
		return e, false
	}
	next := e
	if Success(a.StatusCode) && a.Error == "" {
		next.FailingSince = time.Time{}
	} else {
		if next.FailingSince.IsZero() {
			next.FailingSince = a.At
		}
		switch {
		case a.StatusCode == http.StatusGone:
			next.DisabledAt, next.DisabledReason = a.At, DisabledGone
		case a.At.Sub(next.FailingSince) >= disableAfter:
			next.DisabledAt, next.DisabledReason = a.At, DisabledFailing
		}
	}
	return next, !next.FailingSince.Equal(e.FailingSince) || next.Disabled()
}

// Disable stops deliveries to the endpoint at now, at its merchant's
// request, until Enable. An endpoint already disabled is left as it is,
// with the reason it was disabled for.
func (e Endpoint) Disable(now time.Time) Endpoint {
	if !e.Disabled() {
		e.DisabledAt, e.DisabledReason = now, DisabledByMerchant
	}
	return e
}

// Enable makes deliveries to the endpoint go out again, with no failure
// streak: the merchant says it works.
func (e Endpoint) Enable() Endpoint {
	e.DisabledAt, e.DisabledReason, e.FailingSince = time.Time{}, "", time.Time{}
	return e
}

// endpointDisabledBody is the payload of EndpointDisabled.
type endpointDisabledBody struct {
	EventType    string    `json:"eventType"`
	MerchantID   string    `json:"merchantId"`
	EndpointID   string    `json:"endpointId"`
	URL          string    `json:"url"`
	Reason       string    `json:"reason"`
	DisabledAt   time.Time `json:"disabledAt"`
	FailingSince time.Time `json:"failingSince"`
}

// ForEndpointDisabled is the notification that e, just disabled, was: for
// the merchant's other endpoints (the caller leaves e out of its
// destinations).
func ForEndpointDisabled(e *Endpoint) Message {
	return Message{
		Type: EndpointDisabled,
		Body: mustJSON(endpointDisabledBody{
			EventType: EndpointDisabled, MerchantID: e.MerchantID, EndpointID: e.ID, URL: e.URL, Reason: e.DisabledReason,
			DisabledAt: e.DisabledAt.UTC(), FailingSince: e.FailingSince.UTC(),
		}),
	}
}
