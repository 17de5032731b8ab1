package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/reconcile"
	"github.com/kassa-pay/kassa/store"
)

// paymentsImport applies a camt.054 file to one merchant's invoices, the
// same way POST /v1/payments/import does (the orders it settles notify
// through the outbox, for the running server's dispatcher to deliver):
// all of it in one transaction, or nothing when the file is malformed. Re-importing a file skips what was
// already recorded. It prints the same answer: each payment's outcome, and
// the entries that are not payments (skipped), with the reason.
func paymentsImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kassa payments import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var db dbFlags
	db.register(fs, getenv)
	merchantID := fs.String("merchant", getenv("KASSA_MERCHANT_ID"), "the merchant whose invoices the payments are for (KASSA_MERCHANT_ID)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *merchantID == "" {
		return fmt.Errorf("usage: kassa payments import --merchant ID [--data-dir DIR] [--database URL] FILE")
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	f, err := reconcile.ParseCamt054(b)
	if err != nil {
		return err
	}
	st, err := db.open(ctx, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	defer st.Close()
	app, err := commandApp(ctx, st, getenv)
	if err != nil {
		return err
	}
	var res *reconcile.Result
	err = app.Update(ctx, func(tx store.Tx) (err error) {
		res, err = app.RecordPayments(ctx, tx, *merchantID, f)
		return err
	})
	if err != nil {
		return err
	}
	out, _ := json.MarshalIndent(res, "", "  ")
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}

// commandApp is the provider for a command that changes orders outside
// the server: its changes write their notifications like the server's,
// and the running server's dispatcher finds them when it next looks
// (within a second). It knows the credit service the environment names,
// as serve does.
func commandApp(ctx context.Context, st store.Store, getenv func(string) string) (*provider.Service, error) {
	signer, err := provider.LoadSigner(ctx, st)
	if err != nil {
		return nil, err
	}
	credit, err := envCreditService(getenv).service(getenv)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.DiscardHandler)
	return provider.New(log, provider.Config{PublicURL: getenv("KASSA_PUBLIC_URL"), CreditService: credit}, st, kassa.SystemClock{}, kassa.RandomIDs{}, signer), nil
}
