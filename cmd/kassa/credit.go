package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// creditPolicyCmd shows (get) or replaces (set) a merchant's credit
// policy, as GET and PUT /v1/credit-policy do, with the same JSON: set
// reads it from --file and prints what is stored, get prints it. A
// policy that names the credit service can be set where the environment
// names one (KASSA_CREDIT_SERVICE_URL), as for serve.
func creditPolicyCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	run := func(name string) func(context.Context, []string, func(string) string, io.Writer, io.Writer) error {
		return func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
			return creditPolicy(ctx, name, args, getenv, stdout, stderr)
		}
	}
	return dispatch(ctx, "credit-policy", []verb{
		{"get", "print a merchant's credit policy as JSON", run("get")},
		{"set", "replace a merchant's credit policy with a JSON file's", run("set")},
	}, args, getenv, stdout, stderr)
}

func creditPolicy(ctx context.Context, verb string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("credit-policy get", "--merchant ID [--data-dir DIR | --database URL] [--key-file FILE]",
		"Print the merchant's credit policy as JSON, as GET /v1/credit-policy answers it.")
	var file *string
	if verb == "set" {
		fs = newFlags("credit-policy set", "--merchant ID --file policy.json [--data-dir DIR | --database URL] [--key-file FILE]",
			"Replace the merchant's credit policy with the file's (the JSON of PUT /v1/credit-policy), and print what is stored.")
		file = fs.String("file", "", "the policy as JSON")
	}
	var db dbFlags
	db.register(fs.FlagSet, getenv)
	merchantID := fs.String("merchant", getenv("KASSA_MERCHANT_ID"), "the merchant whose policy it is (KASSA_MERCHANT_ID)")
	kek := kekFlags(fs.FlagSet, getenv)
	if err := fs.parse(args, stdout, 0); err != nil {
		return err
	}
	if *merchantID == "" {
		return fs.usageError(errors.New("--merchant (KASSA_MERCHANT_ID) is required"))
	}
	if file != nil && *file == "" {
		return fs.usageError(errors.New("--file is required"))
	}
	var in provider.CreditPolicy
	if verb == "set" {
		b, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		if err := wire.CheckBody(b); err != nil {
			return policyErr(*file, err)
		}
		if err := wire.DecodeStrict(b, &in); err != nil {
			return policyErr(*file, err)
		}
	}
	ev := &audit.Event{MerchantID: *merchantID, Action: "credit-policy set"}
	if verb == "get" {
		ev.Action = "" // a read: not in the audit log
	}
	err := commandUpdate(ctx, &db, kek, getenv, stdout, stderr, ev, func(app *provider.Service, tx store.Tx) (any, error) {
		if verb == "get" {
			return app.CreditPolicy(ctx, tx, *merchantID)
		}
		return app.PutCreditPolicy(ctx, tx, *merchantID, in)
	})
	if file == nil {
		return err
	}
	return policyErr(*file, err)
}

// policyErr says which member of the policy file an error is about.
func policyErr(file string, err error) error {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*kassa.Error](err); ok && e.Param != "" {
		return fmt.Errorf("%s: %s: %s", file, e.Param, e.Message)
	}
	return err
}

// creditServiceFlags configure the deployment's credit service
// (docs/credit.md); its bearer token only from the environment.
type creditServiceFlags struct{ url, timeout string }

// envCreditService is the credit service the environment names.
func envCreditService(getenv func(string) string) creditServiceFlags {
	return creditServiceFlags{url: getenv("KASSA_CREDIT_SERVICE_URL"), timeout: or(getenv("KASSA_CREDIT_SERVICE_TIMEOUT"), "2s")}
}

// register lets flags override c.
func (c *creditServiceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.url, "credit-service-url", c.url,
		"URL of the credit service that decides for merchants whose credit policy names it; empty: none (KASSA_CREDIT_SERVICE_URL; its bearer token only from KASSA_CREDIT_SERVICE_TOKEN)")
	fs.StringVar(&c.timeout, "credit-service-timeout", c.timeout,
		"time the credit service has to answer, 100ms to 10s; no answer in time refuses the credit (KASSA_CREDIT_SERVICE_TIMEOUT)")
}

// service is the credit service the flags name, nil without a URL.
func (c creditServiceFlags) service(getenv func(string) string) (provider.CreditProvider, error) {
	if c.url == "" {
		return nil, nil
	}
	d, err := time.ParseDuration(c.timeout)
	if err != nil {
		return nil, fmt.Errorf("credit service timeout %q is not a duration such as 2s", c.timeout)
	}
	return provider.NewCreditService(c.url, d, getenv("KASSA_CREDIT_SERVICE_TOKEN"))
}

// checkLive refuses, in live mode, a credit service reached over plain
// HTTP but on the same host: the requests carry the bearer token and
// the buyers' companies and amounts.
func (c creditServiceFlags) checkLive() error {
	u, err := url.Parse(c.url)
	if c.url == "" || err != nil || u.Scheme == "https" {
		return nil // none, or refused by service
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("credit service URL %q: live mode reaches a credit service over https, or over http on this host only (127.0.0.1, ::1)", c.url)
}
