// Package observetest reads metrics as Prometheus scrapes them, for
// tests.
package observetest

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// Samples are the samples of one scrape, by name and labels as the text
// format writes them: `kassa_http_requests_total{code="200",method="GET",route="/healthz"}`,
// labels sorted by name but a histogram bucket's le last.
type Samples map[string]float64

// Scrape gets h's metrics, which must answer 200.
func Scrape(tb testing.TB, h http.Handler) Samples {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		tb.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	return Parse(tb, rec.Body.String())
}

// Parse reads metrics in Prometheus's text format.
func Parse(tb testing.TB, text string) Samples {
	tb.Helper()
	s := Samples{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			tb.Fatalf("scrape: line %q is no sample", line)
		}
		s[line[:i]] = v
	}
	return s
}

// Sum adds up the samples of the metric name whose labels include all of
// labels, each written as in the text format: `route="/healthz"`.
func (s Samples) Sum(name string, labels ...string) float64 {
	var sum float64
	for k, v := range s {
		n, ls, _ := strings.Cut(k, "{")
		if n != name {
			continue
		}
		all := true
		for _, l := range labels {
			if !strings.Contains(","+strings.TrimSuffix(ls, "}")+",", ","+l+",") {
				all = false
				break
			}
		}
		if all {
			sum += v
		}
	}
	return sum
}
