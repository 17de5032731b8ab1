package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
)

const apikeyUsage = `usage:
  kassa apikey create --merchant ID --name NAME --scope read|write [--data-dir DIR] [--database URL]
  kassa apikey list   --merchant ID [--data-dir DIR] [--database URL]
  kassa apikey rotate --merchant ID --client ID [--overlap 24h] [--data-dir DIR] [--database URL]
  kassa apikey revoke --merchant ID --client ID [--data-dir DIR] [--database URL]`

// apikey manages a merchant's API clients (docs/api-keys.md) through the
// same use cases as /v1/api-clients, and prints what the API answers: a
// new secret once, in the JSON of create and rotate. A revocation reaches
// the running servers with their next refresh of API clients, within the
// revocation promise.
func apikey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", apikeyUsage)
	}
	verb := args[0]
	fs := flag.NewFlagSet("kassa apikey "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var db dbFlags
	db.register(fs, getenv)
	merchantID := fs.String("merchant", getenv("KASSA_MERCHANT_ID"), "the merchant whose API clients these are (KASSA_MERCHANT_ID)")
	name := fs.String("name", "", "create: the client's name")
	scope := fs.String("scope", "", "create: read (GET requests only) or write (every request)")
	clientID := fs.String("client", "", "rotate, revoke: the client's id")
	overlap := fs.Duration("overlap", merchant.DefaultOverlap, "rotate: how long the replaced secret still works (0s to 168h)")
	kek := kekFlags(fs, getenv)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var run func(app *provider.Service, tx store.Tx) (any, error)
	switch verb {
	case "create":
		sc, err := merchant.ParseScope(*scope)
		if err != nil {
			return err
		}
		run = func(app *provider.Service, tx store.Tx) (any, error) {
			c, secret, err := app.CreateClient(ctx, tx, *merchantID, *name, sc)
			return viewOf(c, secret, err)
		}
	case "list":
		run = func(app *provider.Service, tx store.Tx) (any, error) {
			cs, err := app.Clients(ctx, tx, *merchantID)
			vs := make([]api.ClientView, len(cs))
			for i := range cs {
				vs[i] = api.ViewClient(&cs[i], "")
			}
			return map[string]any{"data": vs}, err
		}
	case "rotate":
		run = func(app *provider.Service, tx store.Tx) (any, error) {
			c, secret, err := app.RotateClient(ctx, tx, *merchantID, *clientID, *overlap)
			return viewOf(c, secret, err)
		}
	case "revoke":
		run = func(app *provider.Service, tx store.Tx) (any, error) {
			c, err := app.RevokeClient(ctx, tx, *merchantID, *clientID)
			return viewOf(c, "", err)
		}
	default:
		return fmt.Errorf("%s", apikeyUsage)
	}
	if fs.NArg() != 0 || *merchantID == "" {
		return fmt.Errorf("%s", apikeyUsage)
	}
	ev := &audit.Event{MerchantID: *merchantID, Action: "apikey " + verb, Target: *clientID}
	if verb == "list" {
		ev.Action = "" // a read: not in the audit log
	}
	return commandUpdate(ctx, &db, kek, getenv, stdout, stderr, ev, run)
}

// viewOf is what a command prints of the client c it changed.
func viewOf(c *merchant.Client, secret string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return api.ViewClient(c, secret), nil
}
