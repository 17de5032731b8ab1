package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/reconcile"
	"github.com/kassa-pay/kassa/store"
)

// paymentsCmd runs `kassa payments import`.
func paymentsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "payments", []verb{{"import", "match a bank file's payments (camt.054 or BgMax) to invoices", paymentsImport}}, args, getenv, stdout, stderr)
}

// paymentsImport applies a bank file (camt.054 or BgMax) to one
// merchant's invoices, the same way POST /v1/payments/import does (the orders it settles notify
// through the outbox, for the running server's dispatcher to deliver):
// all of it in one transaction, or nothing when the file is malformed. Re-importing a file skips what was
// already recorded. It prints the same answer: each payment's outcome, and
// the entries that are not payments (skipped), with the reason.
func paymentsImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("payments import", "--merchant ID [--data-dir DIR | --database URL] [--key-file FILE] FILE",
		"Match the payments in a bank file (camt.054 or Bankgirot's BgMax, told apart by content) to the merchant's invoices, as POST /v1/payments/import does, and print each one's outcome.")
	var db dbFlags
	db.register(fs.FlagSet, getenv)
	merchantID := fs.String("merchant", getenv("KASSA_MERCHANT_ID"), "the merchant whose invoices the payments are for (KASSA_MERCHANT_ID)")
	kek := kekFlags(fs.FlagSet, getenv)
	if err := fs.parse(args, stdout, 1); err != nil {
		return err
	}
	if *merchantID == "" {
		return fs.usageError(errors.New("--merchant (KASSA_MERCHANT_ID) is required"))
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	return commandUpdate(ctx, &db, kek, getenv, stdout, stderr, &audit.Event{MerchantID: *merchantID, Action: "payments import"}, func(app *provider.Service, tx store.Tx) (any, error) {
		f, err := reconcile.Parse(b) // a malformed file is a failed import, recorded
		if err != nil {
			return nil, err
		}
		return app.RecordPayments(ctx, tx, *merchantID, f)
	})
}

// commandUpdate runs fn in one transaction of the provider over the
// database db names (commandApp), as a command that changes data does,
// and prints fn's result as indented JSON. With an action, ev is the
// operator's audit event: written in fn's transaction, as fn leaves it (it
// may name the target it made), or, when it fails, with its outcome in a
// transaction of its own.
func commandUpdate(ctx context.Context, db *dbFlags, kek *keyFlags, getenv func(string) string, stdout, stderr io.Writer, ev *audit.Event, fn func(app *provider.Service, tx store.Tx) (any, error)) error {
	ctx = provider.WithActor(ctx, provider.Actor{Name: audit.Operator})
	app, closeStore, err := openCommandApp(ctx, db, kek, getenv, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	var res any
	err = app.Update(ctx, func(tx store.Tx) (err error) {
		if res, err = fn(app, tx); err != nil || ev.Action == "" {
			return err
		}
		return app.Audit(ctx, tx, *ev)
	})
	if err != nil {
		if ev.Action != "" {
			ev.Outcome = kassa.ErrorCode(err)
			app.AuditAlone(ctx, *ev)
		}
		return err
	}
	out, _ := json.MarshalIndent(res, "", "  ")
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}

// openCommandApp opens the database db names and the provider over it
// (commandApp), for a command; closeStore closes the database.
func openCommandApp(ctx context.Context, db *dbFlags, kek *keyFlags, getenv func(string) string, stderr io.Writer) (app *provider.Service, closeStore func() error, err error) {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := errors.Join(db.check(), kek.check(log, true)); err != nil {
		return nil, nil, err
	}
	st, err := db.open(ctx, log)
	if err != nil {
		return nil, nil, err
	}
	if app, err = commandApp(ctx, log, st, kek, db.dataDir, getenv); err != nil {
		st.Close()
		return nil, nil, err
	}
	return app, st.Close, nil
}

// commandApp is the provider for a command that changes orders outside
// the server: its changes write their notifications like the server's,
// and the running server's dispatcher finds them when it next looks
// (within a second). Its key-encryption key is the server's: the one
// given, or a sandbox's in the data directory. It knows the credit
// service the environment names, as serve does.
func commandApp(ctx context.Context, log *slog.Logger, st store.Store, keys *keyFlags, dataDir string, getenv func(string) string) (*provider.Service, error) {
	kek, _, _, err := keys.load(ctx, log, st, dataDir)
	if err != nil {
		return nil, err
	}
	signer, err := provider.LoadSigner(ctx, st, kek)
	if err != nil {
		return nil, err
	}
	credit, err := envCreditService(getenv).service(getenv)
	if err != nil {
		return nil, err
	}
	cfg := provider.Config{PublicURL: getenv("KASSA_PUBLIC_URL"), KEK: kek, CreditService: credit, Version: buildVersion()}
	return provider.New(slog.New(slog.DiscardHandler), cfg, st, kassa.SystemClock{}, kassa.RandomIDs{}, signer), nil
}
