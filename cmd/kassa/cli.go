package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// errHelp is returned by a command that printed its usage because it was
// asked to (--help, -h): kassa then exits 0.
var errHelp = errors.New("help printed")

// usageError is a command line kassa cannot run (an unknown command or
// flag, a missing argument): kassa prints it with the command's usage on
// stderr and exits 2.
type usageError struct {
	err   error
	usage string
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// flagSet is a command's flags with what its usage says above them: the
// command line (synopsis) and one line of what it does.
type flagSet struct {
	*flag.FlagSet
	synopsis, summary string
}

// newFlags makes the flag set of `kassa name`. Parse errors are not
// printed by the flag package: parse returns them, with the usage, for
// kassa to print once.
func newFlags(name, synopsis, summary string) *flagSet {
	fs := flag.NewFlagSet("kassa "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, synopsis: "kassa " + name + " " + synopsis, summary: summary}
}

// parse parses args, which must leave n arguments after the flags. Asked
// for help, it prints the usage on stdout and returns errHelp; a flag it
// does not know, a value a typed flag refuses, or another number of
// arguments is a usage error.
func (fs *flagSet) parse(args []string, stdout io.Writer, n int) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, fs.usage())
		return errHelp
	case err != nil:
		return fs.usageError(err)
	case fs.NArg() > n:
		return fs.usageError(fmt.Errorf("unexpected argument %q", fs.Arg(n)))
	case fs.NArg() < n:
		return fs.usageError(errors.New("missing argument"))
	}
	return nil
}

// usageError is err with this command's usage.
func (fs *flagSet) usageError(err error) error {
	return &usageError{err: err, usage: fs.usage()}
}

// usage is the command line, what it does, and each flag with its meaning
// and default. A default that came from the environment is shown with its
// passwords left out (KASSA_DATABASE_URL's).
func (fs *flagSet) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s\n", strings.TrimSpace(fs.synopsis), fs.summary)
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			b.WriteString("\nFlags:\n")
			first = false
		}
		kind, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(&b, "  --%s", f.Name)
		if kind != "" {
			fmt.Fprintf(&b, " %s", kind)
		}
		fmt.Fprintf(&b, "\n      %s", usage)
		if d, _ := redactDatabase(f.DefValue); d != "" && d != "false" && d != "0" {
			fmt.Fprintf(&b, " (default %s)", d)
		}
		b.WriteString("\n")
	})
	return b.String()
}

// verb is one of the commands of a command that has several (kassa keys
// generate, kassa apikey create).
type verb struct {
	name, summary string
	run           func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
}

// dispatch runs the verb args[0] names among verbs of `kassa group`; with
// --help, -h or help, or none or an unknown one, it lists them.
func dispatch(ctx context.Context, group string, verbs []verb, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: kassa %s COMMAND [FLAGS]\n\nCommands:\n", group)
	for _, v := range verbs {
		fmt.Fprintf(&b, "  %-16s %s\n", v.name, v.summary)
	}
	fmt.Fprintf(&b, "\nRun `kassa %s COMMAND --help` for a command's flags.\n", group)
	if len(args) == 0 {
		return &usageError{err: fmt.Errorf("kassa %s needs a command", group), usage: b.String()}
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, b.String())
		return errHelp
	}
	for _, v := range verbs {
		if v.name == args[0] {
			return v.run(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	return &usageError{err: fmt.Errorf("unknown command %q", "kassa "+group+" "+args[0]), usage: b.String()}
}

// isHelp says whether arg asks for help rather than naming a command.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// envBool reads the boolean environment variable name as the flag package
// reads a boolean flag (strconv.ParseBool: 1, t, T, TRUE, true, True, and
// 0, f, F, FALSE, false, False), and def when it is unset or empty.
// Anything else, yes and no included, is an error naming the variable:
// never silently false.
func envBool(getenv func(string) string, name string, def bool) (bool, error) {
	s := getenv(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return def, fmt.Errorf("%s=%q is not a boolean: use true or false (or 1 or 0)", name, s)
	}
	return v, nil
}
