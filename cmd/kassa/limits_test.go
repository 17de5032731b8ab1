package main

import (
	"context"
	"io"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/limit"
)

func TestServeLimitFlags(t *testing.T) {
	prefixes := func(ps ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, p := range ps {
			out = append(out, netip.MustParsePrefix(p))
		}
		return out
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want api.Limits
	}{
		{"defaults", nil, nil, api.Limits{Quota: api.DefaultQuota}},
		{"flags", []string{"--merchant-rate", "20.5", "--merchant-burst", "40", "--trusted-proxies", "10.0.0.0/8, 192.0.2.7,2001:db8::/32,::ffff:198.51.100.1"}, nil,
			api.Limits{Quota: limit.Quota{Rate: 20.5, Burst: 40}, TrustedProxies: prefixes("10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "198.51.100.1/32")}},
		{"environment", nil, map[string]string{"KASSA_MERCHANT_RATE": "100", "KASSA_MERCHANT_BURST": "1000", "KASSA_TRUSTED_PROXIES": "10.1.2.3/8"},
			api.Limits{Quota: limit.Quota{Rate: 100, Burst: 1000}, TrustedProxies: prefixes("10.0.0.0/8")}},
		{"flags over the environment", []string{"--merchant-rate", "7"}, map[string]string{"KASSA_MERCHANT_RATE": "100"},
			api.Limits{Quota: limit.Quota{Rate: 7, Burst: api.DefaultQuota.Burst}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseServe(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.limits, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("limits (-want +got):\n%s", diff)
			}
		})
	}
	for _, args := range [][]string{
		{"--merchant-rate", "0"}, {"--merchant-rate", "-1"}, {"--merchant-rate", "NaN"}, {"--merchant-rate", "Inf"}, {"--merchant-rate", "lots"},
		{"--merchant-burst", "0"}, {"--merchant-burst", "1.5"},
		{"--trusted-proxies", "proxy.internal"}, {"--trusted-proxies", "10.0.0.0/33"},
	} {
		if _, err := parseServe(args, noenv, io.Discard); err == nil {
			t.Errorf("parseServe(%q) = nil error, want one", args)
		}
	}
}

// kassa serve holds merchants to the quota its flags set.
func TestServeQuota(t *testing.T) {
	base, out, stop := startServeWith(t, t.TempDir(), noenv, "--merchant-rate", "0.001", "--merchant-burst", "2")
	defer stop()
	creds := sandboxCreds(t, out)
	// No retries: a 429 as it is answered.
	c := client.New(base, creds[1], creds[2], client.WithRetry(client.Retry{Attempts: 1}))
	for i, want := range []int{404, 404, 429} { // a request a thousand seconds: no refill meanwhile
		status, _ := c.Do(context.Background(), "GET", "/v1/orders/or_missing", nil, nil)
		if status != want {
			t.Fatalf("request %d = %d, want %d", i+1, status, want)
		}
	}
}
