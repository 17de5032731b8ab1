package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
)

// exportCmd runs `kassa export sie`.
func exportCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "export", []verb{{"sie", "write a period's invoices, credit notes and payments as an SIE 4I file", exportSIE}}, args, getenv, stdout, stderr)
}

// exportSIE writes the merchant's accounting export of a period, the
// file GET /v1/exports/sie answers (docs/accounting.md), to --out or
// standard output. It only reads the database.
func exportSIE(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("export sie", "--merchant ID --from YYYY-MM-DD --to YYYY-MM-DD [--rate CUR:KRONOR]... [--out FILE] [--data-dir DIR | --database URL] [--key-file FILE]",
		"Write the merchant's invoices, credit notes and advance invoices issued, and payments booked, from --from to --to (both included) as an SIE 4I file for a bookkeeping program, in code page 437, as GET /v1/exports/sie does.")
	var db dbFlags
	db.register(fs.FlagSet, getenv)
	merchantID := fs.String("merchant", getenv("KASSA_MERCHANT_ID"), "the merchant whose books it is (KASSA_MERCHANT_ID)")
	from := fs.String("from", "", "the period's first `day`, YYYY-MM-DD")
	to := fs.String("to", "", "the period's last `day`, YYYY-MM-DD")
	out := fs.String("out", "", "the `file` to write (replaced if it exists; a new one is readable by its owner only); standard output when not given")
	var rates []string
	fs.Func("rate", "the rate a currency other than SEK is booked at, `CUR:KRONOR` such as EUR:11.4520; once per currency", func(s string) error {
		rates = append(rates, s)
		return nil
	})
	kek := kekFlags(fs.FlagSet, getenv)
	if err := fs.parse(args, stdout, 0); err != nil {
		return err
	}
	if *merchantID == "" {
		return fs.usageError(errors.New("--merchant (KASSA_MERCHANT_ID) is required"))
	}
	app, closeStore, err := openCommandApp(ctx, &db, kek, getenv, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	f, err := provider.View(ctx, app, func(tx store.ReadTx) (*provider.ExportFile, error) {
		return app.SIEExport(ctx, tx, *merchantID, provider.ExportRequest{From: *from, To: *to, Rates: rates})
	})
	if e, ok := errors.AsType[*kassa.Error](err); ok && (e.Param == "from" || e.Param == "to" || e.Param == "rate") {
		return fs.usageError(fmt.Errorf("--%s: %s", e.Param, e.Message))
	}
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(f.Body)
		return err
	}
	if err := os.WriteFile(*out, f.Body, 0o600); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", *out, len(f.Body))
	return err
}
