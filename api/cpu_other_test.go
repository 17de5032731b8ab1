//go:build !linux

package api_test

import "time"

// cpuUsed cannot read the machine's busy time here.
func cpuUsed() (process, machine time.Duration, ok bool) { return 0, 0, false }
