// Command kassa runs the Kassa payments server and its tools.
//
//	kassa [serve]         run the server (the default)
//	kassa merchant create create a merchant and print its API credentials
//	kassa apikey …        create, list, rotate and revoke a merchant's API clients
//	kassa migrate         bring the database schema up to date
//	kassa payments import apply a bank's camt.054 payment file
//	kassa credit-policy   show or set a merchant's credit policy
//	kassa demo            run a whole purchase and print the order's history
//	kassa load            run purchases against servers and measure them
//	kassa listen          forward a merchant's notifications to a local URL, signed
//	kassa keys            make a key-encryption key, re-seal everything under a new one, or rotate the access-token signing key
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kassa:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args[1:]
	if len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
		cmd, rest = rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "merchant":
		if len(rest) == 0 || rest[0] != "create" {
			return fmt.Errorf("usage: kassa merchant create --name NAME [--data-dir DIR] [--database URL]")
		}
		return merchantCreate(ctx, rest[1:], getenv, stdout, stderr)
	case "apikey":
		return apikey(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, rest, getenv, stdout, stderr)
	case "payments":
		if len(rest) == 0 || rest[0] != "import" {
			return fmt.Errorf("usage: kassa payments import --merchant ID [--data-dir DIR] [--database URL] [--key-file FILE] FILE")
		}
		return paymentsImport(ctx, rest[1:], getenv, stdout, stderr)
	case "credit-policy":
		return creditPolicyCmd(ctx, rest, getenv, stdout, stderr)
	case "load":
		return loadCmd(ctx, rest, getenv, stdout, stderr)
	case "demo":
		return demo(ctx, rest, getenv, stdout, stderr)
	case "listen":
		return listen(ctx, rest, getenv, stdout, stderr)
	case "keys":
		return keysCmd(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `Usage:
  kassa [serve] [--addr ADDR] [--data-dir DIR] [--database URL]
                                                 run the server (default command)
  kassa merchant create --name NAME [--data-dir DIR] [--database URL]
                                                 create a merchant, print its credentials
  kassa apikey create --merchant ID --name NAME --scope read|write [--data-dir DIR] [--database URL]
  kassa apikey list --merchant ID [--data-dir DIR] [--database URL]
  kassa apikey rotate --merchant ID --client ID [--overlap 24h] [--data-dir DIR] [--database URL]
  kassa apikey revoke --merchant ID --client ID [--data-dir DIR] [--database URL]
                                                 manage a merchant's API clients; create and rotate print a secret once
  kassa migrate [--data-dir DIR] [--database URL]
                                                 bring the database schema up to date
  kassa payments import --merchant ID [--data-dir DIR] [--database URL] [--key-file FILE] FILE
                                                 match a camt.054 file's payments to invoices
  kassa credit-policy get|set --merchant ID [--file policy.json] [--data-dir DIR] [--database URL]
                                                 show a merchant's credit policy, or set it from a JSON file
  kassa demo [--url URL --client-id ID --client-secret SECRET]
                                                 run a purchase end to end and print its history
  kassa load --url URL[,URL…] --client-id ID --client-secret SECRET [--concurrency N] [--duration D] [--flows N]
                                                 run purchases against servers, print flows/s and latencies
  kassa listen --forward-to URL [--url URL] [--client-id ID --client-secret SECRET] [--secret whsec_…]
                                                 forward the merchant's notifications to URL as they are written, signed with the secret it prints
  kassa keys generate                            print a new key-encryption key (base64 of 32 random bytes)
  kassa keys rewrap --key-file OLD --new-key-file NEW [--data-dir DIR] [--database URL]
                                                 re-seal the database's secrets under a new key-encryption key
  kassa keys rotate-signing [--key-file FILE] [--data-dir DIR] [--database URL]
                                                 make a new access-token signing key; tokens of the old one work until they expire
Environment: KASSA_ADDR, KASSA_DATA_DIR, KASSA_DATABASE_URL, KASSA_PUBLIC_URL, KASSA_PROCESSING_DELAY, KASSA_MODE,
KASSA_SMTP_ADDR, KASSA_SMTP_USER, KASSA_SMTP_PASSWORD, KASSA_SMTP_TLS, KASSA_MAIL_FROM, KASSA_OVERDUE_REMINDERS, KASSA_MERCHANT_ID,
KASSA_KEY_FILE, KASSA_KEY, KASSA_NEW_KEY_FILE, KASSA_NEW_KEY,
KASSA_CREDIT_SERVICE_URL, KASSA_CREDIT_SERVICE_TIMEOUT, KASSA_CREDIT_SERVICE_TOKEN,
KASSA_URL, KASSA_CLIENT_ID, KASSA_CLIENT_SECRET, KASSA_LISTEN_SECRET.
`
