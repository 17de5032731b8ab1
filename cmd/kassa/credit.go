package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

const creditPolicyUsage = "usage: kassa credit-policy get|set --merchant ID [--file policy.json] [--data-dir DIR] [--database URL]"

// creditPolicyCmd shows (get) or replaces (set) a merchant's credit
// policy, as GET and PUT /v1/credit-policy do, with the same JSON: set
// reads it from --file and prints what is stored, get prints it. A
// policy that names the credit service can be set where the environment
// names one (KASSA_CREDIT_SERVICE_URL), as for serve.
func creditPolicyCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "get" && args[0] != "set") {
		return errors.New(creditPolicyUsage)
	}
	verb := args[0]
	fs := flag.NewFlagSet("kassa credit-policy "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var db dbFlags
	db.register(fs, getenv)
	merchantID := fs.String("merchant", getenv("KASSA_MERCHANT_ID"), "the merchant whose policy it is (KASSA_MERCHANT_ID)")
	file := fs.String("file", "", "the policy as JSON, for set")
	kek := kekFlags(fs, getenv)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *merchantID == "" || fs.NArg() != 0 || (verb == "set") != (*file != "") {
		return errors.New(creditPolicyUsage)
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
