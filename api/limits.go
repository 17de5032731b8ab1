package api

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/limit"
	"github.com/kassa-pay/kassa/wire"
)

// Limits are the API's abuse limits (package limit; docs/architecture.md,
// "Abuse limits"): the backoff of failed token requests, which is fixed,
// and what deployments choose.
type Limits struct {
	// Quota is each merchant's quota of authenticated requests; a zero
	// Rate is DefaultQuota, a Burst below 1 is 1.
	Quota limit.Quota
	// TrustedProxies are the proxies whose X-Forwarded-For header names
	// the client's address. With none, the header is ignored and the
	// client is the connection's peer.
	TrustedProxies []netip.Prefix
	// Clock times the limits; nil is the process's monotonic clock.
	Clock kassa.Clock
}

// DefaultQuota is 3,000 requests a second per merchant, 6,000 at once:
// far above what a shop sends, and above what the benchmarks and the load
// tool send as one merchant on the reference machine (docs/benchmarks.md),
// so that it stops a runaway integration without throttling a busy one.
var DefaultQuota = limit.Quota{Rate: 3000, Burst: 6000}

// limits is the limits' state in one server.
type limits struct {
	tokens    *limit.Guard
	badTokens *limit.Failures // per source address
	quotas    *limit.Quotas
	proxies   []netip.Prefix
	clock     kassa.Clock
}

func newLimits(l Limits) *limits {
	q := l.Quota
	if q.Rate <= 0 {
		q = DefaultQuota
	}
	q.Burst = max(q.Burst, 1)
	clock := l.Clock
	if clock == nil {
		clock = monotonic{}
	}
	return &limits{
		tokens:    limit.NewGuard(limit.ClientBackoff, limit.SourceBackoff, limit.MaxKeys),
		badTokens: limit.NewFailures(limit.BadTokenBackoff, limit.MaxKeys),
		quotas:    limit.NewQuotas(q),
		proxies:   l.TrustedProxies,
		clock:     clock,
	}
}

// monotonic is time.Now with its monotonic reading, which
// kassa.SystemClock drops: a wall clock stepped back or forth neither
// lifts nor lengthens a wait.
type monotonic struct{}

func (monotonic) Now() time.Time { return time.Now() }

// tokenCheck begins checking clientID's credentials sent with r under the
// backoff of failed token requests, and returns the function that ends
// it with IssueToken's error. While the client id or the source address
// waits, it answers 429 with Retry-After and returns nil: the same answer
// whether or not the client id exists, and the secret is not checked.
func (s *Server) tokenCheck(w http.ResponseWriter, r *http.Request, clientID string) func(error) {
	source := s.source(r)
	check, wait := s.limits.tokens.Begin(clientID, source, s.limits.clock.Now())
	if wait > 0 {
		retryAfter(w, wait)
		wire.WriteJSON(w, wire.Status(kassa.ERateLimited), oauthError(kassa.ERateLimited,
			"too many failed token requests for this client id or from this address; retry after the seconds in Retry-After"))
		return nil
	}
	return func(err error) {
		now := s.limits.clock.Now()
		switch kassa.ErrorCode(err) {
		case "":
			check.Succeeded(now)
		case kassa.EUnauthorized:
			if d := check.Failed(now); d > 0 {
				s.log.Warn("failed token requests: backing off", "client_id", audit.Clip(clientID), "source", source.String(), "retry_after", d.String())
			}
		default:
			check.Abandoned(now)
		}
	}
}

// badToken begins refusing r for its access token under the backoff of
// such refusals per source address, and returns the function that ends
// it once the refusal is recorded. While the address waits it returns
// 429 with Retry-After instead, and the caller records nothing: a flood
// of bad tokens must not become a flood of audit rows.
func (s *Server) badToken(w http.ResponseWriter, r *http.Request) (done func(), err error) {
	source := s.source(r)
	key := limit.SourceKey(source)
	if wait := s.limits.badTokens.Begin(key, s.limits.clock.Now()); wait > 0 {
		return nil, kassa.Errorf(kassa.ERateLimited, "too many requests with an access token that is not valid from this address; retry after %d s", retryAfter(w, wait))
	}
	return func() {
		if d := s.limits.badTokens.End(key, s.limits.clock.Now(), true, false); d > 0 {
			s.log.Warn("refused access tokens: backing off", "source", source.String(), "retry_after", d.String())
		}
	}, nil
}

// quota spends one request of the merchant's quota, or answers 429 with
// Retry-After when none is left.
func (s *Server) quota(w http.ResponseWriter, merchantID string) error {
	wait := s.limits.quotas.Take(merchantID, s.limits.clock.Now())
	if wait == 0 {
		return nil
	}
	return kassa.Errorf(kassa.ERateLimited, "this merchant's request quota is used up for now; retry after %d s", retryAfter(w, wait))
}

// retryAfter sets Retry-After to d in whole seconds, rounded up, and
// returns them.
func retryAfter(w http.ResponseWriter, d time.Duration) int {
	secs := int((d + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return secs
}

// source is the client's address: the connection's peer, or, when the
// peer is a trusted proxy, the nearest address in X-Forwarded-For that is
// not one (read from the right: each proxy appends the address it was
// reached from, and anything left of the first untrusted one is the
// client's to write). An entry that is not an address ends the walk.
func (s *Server) source(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	addr := ap.Addr().Unmap()
	if !s.limits.trusted(addr) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return addr
		}
		if addr = hop.Unmap(); !s.limits.trusted(addr) {
			return addr
		}
	}
	return addr
}

func (l *limits) trusted(a netip.Addr) bool {
	for _, p := range l.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
