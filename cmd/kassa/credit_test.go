package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kassa credit-policy set stores a policy file as PUT /v1/credit-policy
// does and prints it; get prints it again. A file that is not a valid
// policy says which member is wrong, and stores nothing.
func TestCreditPolicyCommand(t *testing.T) {
	dir := t.TempDir()
	m := createMerchant(t, dir)["merchantId"]
	file := filepath.Join(dir, "policy.json")
	policy := func(body string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := func(env func(string) string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"kassa", "credit-policy"}, args...), env, nil, &out, t.Output())
		return out.String(), err
	}
	type shown struct {
		CreditLimits map[string]int64
		Blocklist    []string
		PaymentTerms int
		Version      int
		OrderEdits   string `json:"orderEditAboveAuthorized"`
	}
	decode := func(out string) shown {
		t.Helper()
		var s shown
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("output is not the policy: %v\n%s", err, out)
		}
		return s
	}

	out, err := cmd(noenv, "get", "--data-dir", dir, "--merchant", m)
	if err != nil {
		t.Fatal(err)
	}
	if s := decode(out); s.Version != 0 || s.PaymentTerms != 30 || s.OrderEdits != "creditCheck" {
		t.Errorf("policy before any is set: %+v", s)
	}
	policy(`{"creditLimits":{"SEK":2500000},"blocklist":["5560000042"],"paymentTerms":15,"orderEditAboveAuthorized":"refuse"}`)
	if out, err = cmd(noenv, "set", "--data-dir", dir, "--merchant", m, "--file", file); err != nil {
		t.Fatal(err)
	}
	set := decode(out)
	if set.Version != 1 || set.CreditLimits["SEK"] != 2500000 || set.Blocklist[0] != "556000-0042" || set.PaymentTerms != 15 || set.OrderEdits != "refuse" {
		t.Errorf("set printed %+v", set)
	}
	if out, err = cmd(noenv, "get", "--data-dir", dir, "--merchant", m); err != nil || !strings.Contains(out, `"version": 1`) {
		t.Errorf("get after set = %v\n%s", err, out)
	}

	for _, tc := range []struct{ body, says string }{
		{`{"creditLimit":{"SEK":1}}`, `creditLimit`},
		{`{"creditLimits":{"SEK":-5}}`, "policy.json: creditLimits.SEK:"},
		{`{"decisionProvider":"creditService"}`, "policy.json: decisionProvider:"},
		{`not json`, "JSON object"},
		{"{\"blocklist\":[\"\x00\"]}", "NUL"},
	} {
		policy(tc.body)
		if _, err := cmd(noenv, "set", "--data-dir", dir, "--merchant", m, "--file", file); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("set %s = %v, want an error saying %q", tc.body, err, tc.says)
		}
	}
	if out, _ = cmd(noenv, "get", "--data-dir", dir, "--merchant", m); decode(out).Version != 1 {
		t.Errorf("refused files changed the policy: %s", out)
	}
	// Where the environment names a credit service, a policy can name it.
	// Setting the policy does not call the service.
	policy(`{"decisionProvider":"creditService"}`)
	env := func(k string) string {
		if k == "KASSA_CREDIT_SERVICE_URL" {
			return "http://127.0.0.1:9/decide"
		}
		return ""
	}
	if out, err := cmd(env, "set", "--data-dir", dir, "--merchant", m, "--file", file); err != nil || !strings.Contains(out, `"decisionProvider": "creditService"`) {
		t.Errorf("set with a credit service = %v\n%s", err, out)
	}
	if _, err := cmd(noenv, "get", "--data-dir", dir, "--merchant", "ac_nobody"); err == nil {
		t.Error("get of an unknown merchant succeeded")
	}
	for _, args := range [][]string{
		{}, {"show"}, {"get", "--data-dir", dir}, {"set", "--data-dir", dir, "--merchant", m},
		{"get", "--data-dir", dir, "--merchant", m, "--file", file}, {"get", "--data-dir", dir, "--merchant", m, "extra"},
	} {
		if _, err := cmd(noenv, args...); err == nil {
			t.Errorf("credit-policy %q succeeded, want a usage error", args)
		}
	}
}

// serve refuses a credit service it could not ask.
func TestServeCreditServiceFlags(t *testing.T) {
	for _, args := range [][]string{
		{"kassa", "serve", "--credit-service-url", "credit.internal"},
		{"kassa", "serve", "--credit-service-url", "http://127.0.0.1:9", "--credit-service-timeout", "1m"},
		{"kassa", "serve", "--credit-service-url", "http://127.0.0.1:9", "--credit-service-timeout", "soon"},
		{"kassa", "serve", "--mode", "live", "--public-url", "https://kassa.test", "--credit-service-url", "http://10.0.0.7/decide"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, noenv, nil, &out, &out); err == nil || !strings.Contains(err.Error(), "credit service") {
			t.Errorf("run(%q) = %v, want a credit service error", args, err)
		}
	}
}
