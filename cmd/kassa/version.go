package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is the release this build is, when the build names it:
// go build -ldflags "-X main.version=v1.2.3". Otherwise `kassa version`
// shows the module version Go recorded ("(devel)" for a build from a
// source tree).
var version string

// versionCmd prints what this build is: its version, the source revision
// and its time, whether the source had uncommitted changes, and the Go
// version and platform. Go records the revision when it builds inside a
// version-control checkout (unless -buildvcs=false).
func versionCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "", "Print this build's version, source revision and time, whether its source had uncommitted changes, and its Go version.")
	if err := fs.parse(args, stdout, 0); err != nil {
		return err
	}
	v, vcs := version, map[string]string{}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			vcs[s.Key] = s.Value
		}
	}
	if v == "" {
		v = "unknown"
	}
	fmt.Fprintf(stdout, "kassa %s\n", v)
	if rev := vcs["vcs.revision"]; rev != "" {
		fmt.Fprintf(stdout, "revision: %s\ntime:     %s\nmodified: %s\n", rev, vcs["vcs.time"], vcs["vcs.modified"])
	} else {
		fmt.Fprintln(stdout, "revision: unknown (built without version control information)")
	}
	_, err := fmt.Fprintf(stdout, "go:       %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
