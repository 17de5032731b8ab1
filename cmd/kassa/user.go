package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

// userCmd runs `kassa user create`.
func userCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "user", []verb{{"create", "add a dashboard user to a merchant and print a one-time link to set their password", userCreate}}, args, getenv, stdout, stderr)
}

func userCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx = provider.WithActor(ctx, provider.Actor{Name: audit.Operator})
	fs := newFlags("user create", "--merchant ID --email ADDRESS --role ROLE [--public-url URL] [--data-dir DIR | --database URL] [--key-file FILE]",
		"Add a user to a merchant's dashboard and print a link, which works once within 7 days, for them to set their password (docs/dashboard.md).")
	var db dbFlags
	db.register(fs.FlagSet, getenv)
	merchantID := fs.String("merchant", "", "the merchant's ID (ac_…)")
	email := fs.String("email", "", "the user's e-mail address, which they sign in with")
	role := fs.String("role", "", "owner, admin, finance or support (support only reads)")
	publicURL := fs.String("public-url", or(getenv("KASSA_PUBLIC_URL"), "http://127.0.0.1:8080"), "base URL browsers reach Kassa at, for the link (KASSA_PUBLIC_URL)")
	kek := kekFlags(fs.FlagSet, getenv)
	if err := fs.parse(args, stdout, 0); err != nil {
		return err
	}
	if *merchantID == "" || *email == "" || *role == "" {
		return fs.usageError(errors.New("--merchant, --email and --role are required"))
	}
	r, err := user.ParseRole(*role)
	if err != nil {
		return fs.usageError(err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := errors.Join(db.check(), kek.check(log, true)); err != nil {
		return err
	}
	st, err := db.open(ctx, log)
	if err != nil {
		return err
	}
	defer st.Close()
	app, err := commandApp(ctx, log, st, kek, db.dataDir, func(name string) string {
		if name == "KASSA_PUBLIC_URL" {
			return *publicURL
		}
		return getenv(name)
	})
	if err != nil {
		return err
	}
	var link string
	err = app.Update(ctx, func(tx store.Tx) error {
		u, err := app.CreateUser(ctx, tx, *merchantID, *email, r)
		if err != nil {
			return err
		}
		link, err = app.UserLink(ctx, tx, u, user.Invitation)
		return err
	})
	if err != nil {
		app.AuditAlone(ctx, audit.Event{MerchantID: *merchantID, Action: provider.ActionUserCreate, Outcome: kassa.ErrorCode(err)})
		return err
	}
	_, err = fmt.Fprintf(stdout, "Created %s as %s. Send them this link to set their password (it works once, within 7 days):\n%s\n", *email, r, link)
	return err
}
