//go:build linux

package api_test

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// cpuUsed reads the CPU time this process has used (user and system) and
// the time the whole machine has been busy: user, nice, system, irq and
// softirq in /proc/stat, not idle, iowait or time stolen by the
// hypervisor. ok is false when either cannot be read.
func cpuUsed() (process, machine time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, false
	}
	process = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 8 || string(f[0]) != "cpu" {
		return 0, 0, false
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} { // user nice system (idle iowait) irq softirq
		n, err := strconv.ParseInt(string(f[i]), 10, 64)
		if err != nil {
			return 0, 0, false
		}
		ticks += n
	}
	// /proc/stat counts in USER_HZ, 100 a second on Linux's common
	// architectures.
	return process, time.Duration(ticks) * 10 * time.Millisecond, true
}
