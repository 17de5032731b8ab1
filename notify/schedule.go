package notify

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Schedule is Ledyer's retry schedule: the delay before each attempt. The
// first is immediate; after the last one fails the delivery has failed.
var Schedule = []time.Duration{
	0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// maxRetryAfter bounds how long a receiver's Retry-After can hold a
// delivery back, so a typo cannot park it for a year.
const maxRetryAfter = 24 * time.Hour

// Next says when to try again after attempt number attempts (1-based) has
// failed at now, or ok false when the schedule is used up. jitter is
// added to the scheduled delay (spreading retries of a burst of
// failures); a Retry-After longer than the result wins.
func Next(attempts int, now time.Time, jitter, retryAfter time.Duration) (at time.Time, ok bool) {
	if attempts >= len(Schedule) {
		return time.Time{}, false
	}
	d := Schedule[attempts] + jitter
	if retryAfter > d {
		d = min(retryAfter, maxRetryAfter)
	}
	return now.Add(d), true
}

// Jitter is the spread Next should add to the delay before attempt number
// attempts+1, given r uniform in [0, 1): up to a tenth of the delay.
func Jitter(attempts int, r float64) time.Duration {
	if attempts >= len(Schedule) {
		return 0
	}
	return time.Duration(float64(Schedule[attempts]/10) * r)
}

// RetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func RetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseInt(h, 10, 64); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, int64(maxRetryAfter/time.Second))) * time.Second // no overflow
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}

// Success says whether a response status counts as delivered: any 2xx.
func Success(status int) bool { return status >= 200 && status < 300 }
