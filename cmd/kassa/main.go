// Command kassa runs the Kassa payments server and its tools. `kassa
// help` lists the commands, `kassa COMMAND --help` a command's flags;
// docs/operations.md describes every flag and environment variable.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// cli runs kassa and returns its exit status: 0 when it did what it was
// asked (help included), 2 for a command line it cannot run, with the
// usage on stderr, and 1 for any other failure.
func cli(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := run(ctx, args, getenv, stdin, stdout, stderr)
	if err == nil {
		return 0
	}
	if u, ok := errors.AsType[*usageError](err); ok {
		fmt.Fprintf(stderr, "kassa: %v\n\n%s", u.err, u.usage)
		return 2
	}
	fmt.Fprintln(stderr, "kassa:", err)
	return 1
}

// command is one of kassa's commands: its name, one line of what it does,
// and what runs it with the arguments after its name.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
}

// commands are kassa's commands, in the order help lists them.
var commands = []command{
	{"serve", "run the server (the default command)", serve},
	{"merchant", "create a merchant and print its API credentials", merchantCmd},
	{"apikey", "create, list, rotate and revoke a merchant's API clients", apikey},
	{"user", "add a user to a merchant's dashboard", userCmd},
	{"migrate", "bring the database schema up to date", migrateCmd},
	{"backup", "copy the SQLite database to a file, while Kassa runs", backupCmd},
	{"payments", "match a bank file's payments (camt.054 or BgMax) to invoices", paymentsCmd},
	{"export", "write a period's invoices, credit notes and payments as an SIE 4I file for bookkeeping", exportCmd},
	{"credit-policy", "show or set a merchant's credit policy", creditPolicyCmd},
	{"keys", "make a key-encryption key, re-seal under a new one, or rotate the token signing key", keysCmd},
	{"demo", "run a whole purchase and print the order's history", demo},
	{"load", "run purchases against servers and measure them", loadCmd},
	{"listen", "forward a merchant's notifications to a local URL as they are written, signed", listen},
	{"health", "ask a running server whether it is live or ready (for container health checks)", healthCmd},
	{"version", "print the version, source revision and Go version of this build", versionCmd},
}

// run runs the command args name (serve when the first argument is a flag
// or there is none). A command that printed its help returns nil.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatchCommand(ctx, args[1:], getenv, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

func dispatchCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "" && args[0][0] == '-' && !isHelp(args[0])) {
		return serve(ctx, args, getenv, stdout, stderr)
	}
	if isHelp(args[0]) {
		if len(args) > 1 { // kassa help COMMAND: that command's help
			return dispatchCommand(ctx, []string{args[1], "--help"}, getenv, stdout, stderr)
		}
		fmt.Fprint(stdout, usage())
		return errHelp
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	return &usageError{err: fmt.Errorf("unknown command %q", args[0]), usage: usage()}
}

// usage lists the commands, one line each.
func usage() string {
	var b strings.Builder
	b.WriteString("Kassa: a self-hosted B2B invoice payment system, wire-compatible with Ledyer's API.\n\n")
	b.WriteString("Usage: kassa [COMMAND] [FLAGS]   (without a command: kassa serve)\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-14s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun `kassa COMMAND --help` for a command's flags and environment variables.\n")
	return b.String()
}
