package main

import (
	"context"
	"errors"
	"io"

	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
)

// apikey manages a merchant's API clients (docs/api-keys.md) through the
// same use cases as /v1/api-clients, and prints what the API answers: a
// new secret once, in the JSON of create and rotate. A revocation reaches
// the running servers with their next refresh of API clients, within the
// revocation promise.
func apikey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "apikey", []verb{
		{"create", "create an API client and print its secret, once", apikeyCreate},
		{"list", "list a merchant's API clients", apikeyList},
		{"rotate", "give a client a new secret; the old one works for an overlap", apikeyRotate},
		{"revoke", "revoke a client: its secret and tokens stop working", apikeyRevoke},
	}, args, getenv, stdout, stderr)
}

// apikeyFlags are every apikey command's flags: the database, the key and
// the merchant.
type apikeyFlags struct {
	*flagSet
	db       dbFlags
	kek      *keyFlags
	merchant *string
}

func newAPIKeyFlags(verb, synopsis, summary string, getenv func(string) string) *apikeyFlags {
	f := &apikeyFlags{flagSet: newFlags("apikey "+verb, "--merchant ID "+synopsis+"[--data-dir DIR | --database URL] [--key-file FILE]", summary)}
	f.db.register(f.FlagSet, getenv)
	f.merchant = f.String("merchant", getenv("KASSA_MERCHANT_ID"), "the merchant whose API clients these are (KASSA_MERCHANT_ID)")
	f.kek = kekFlags(f.FlagSet, getenv)
	return f
}

// parseArgs parses args, which must name the merchant.
func (f *apikeyFlags) parseArgs(args []string, stdout io.Writer) error {
	if err := f.parse(args, stdout, 0); err != nil {
		return err
	}
	if *f.merchant == "" {
		return f.usageError(errors.New("--merchant (KASSA_MERCHANT_ID) is required"))
	}
	return nil
}

// update runs fn in one transaction, audited as action on target (a read,
// with no action, is not audited).
func (f *apikeyFlags) update(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, action, target string, fn func(app *provider.Service, tx store.Tx) (any, error)) error {
	ev := &audit.Event{MerchantID: *f.merchant, Action: action, Target: target}
	return commandUpdate(ctx, &f.db, f.kek, getenv, stdout, stderr, ev, fn)
}

func apikeyCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newAPIKeyFlags("create", "--name NAME --scope read|write ", "Create an API client and print it as JSON, with its secret: shown once, stored only hashed.", getenv)
	name := f.String("name", "", "the client's name")
	scope := f.String("scope", "", "read (GET requests only) or write (every request)")
	if err := f.parseArgs(args, stdout); err != nil {
		return err
	}
	sc, err := merchant.ParseScope(*scope)
	if err != nil {
		return err
	}
	return f.update(ctx, getenv, stdout, stderr, "apikey create", "", func(app *provider.Service, tx store.Tx) (any, error) {
		c, secret, err := app.CreateClient(ctx, tx, *f.merchant, *name, sc)
		return viewOf(c, secret, err)
	})
}

func apikeyList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newAPIKeyFlags("list", "", "List the merchant's API clients as JSON, without secrets.", getenv)
	if err := f.parseArgs(args, stdout); err != nil {
		return err
	}
	return f.update(ctx, getenv, stdout, stderr, "", "", func(app *provider.Service, tx store.Tx) (any, error) {
		cs, err := app.Clients(ctx, tx, *f.merchant)
		vs := make([]api.ClientView, len(cs))
		for i := range cs {
			vs[i] = api.ViewClient(&cs[i], "")
		}
		return map[string]any{"data": vs}, err
	})
}

func apikeyRotate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newAPIKeyFlags("rotate", "--client ID [--overlap 24h] ", "Give an API client a new secret, printed once; the replaced one works for the overlap.", getenv)
	clientID := f.String("client", "", "the client's id")
	overlap := f.Duration("overlap", merchant.DefaultOverlap, "how long the replaced secret still works (0s to 168h)")
	if err := f.parseArgs(args, stdout); err != nil {
		return err
	}
	return f.update(ctx, getenv, stdout, stderr, "apikey rotate", *clientID, func(app *provider.Service, tx store.Tx) (any, error) {
		c, secret, err := app.RotateClient(ctx, tx, *f.merchant, *clientID, *overlap)
		return viewOf(c, secret, err)
	})
}

func apikeyRevoke(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newAPIKeyFlags("revoke", "--client ID ", "Revoke an API client: its secret and tokens stop working, within 2 seconds on every server.", getenv)
	clientID := f.String("client", "", "the client's id")
	if err := f.parseArgs(args, stdout); err != nil {
		return err
	}
	return f.update(ctx, getenv, stdout, stderr, "apikey revoke", *clientID, func(app *provider.Service, tx store.Tx) (any, error) {
		c, err := app.RevokeClient(ctx, tx, *f.merchant, *clientID)
		return viewOf(c, "", err)
	})
}

// viewOf is what a command prints of the client c it changed.
func viewOf(c *merchant.Client, secret string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return api.ViewClient(c, secret), nil
}
