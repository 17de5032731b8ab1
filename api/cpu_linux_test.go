//go:build linux

package api_test

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"testing"
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

// TestCPUUsed checks that the figures the benchmarks report per flow
// count CPU this process burns, in its own and in the machine's total.
func TestCPUUsed(t *testing.T) {
	proc0, machine0, ok := cpuUsed()
	if !ok {
		t.Fatal("cannot read CPU time")
	}
	var proc1, machine1 time.Duration
	x := 0
	for proc1 < proc0+100*time.Millisecond {
		for i := range 1_000_000 {
			x += i
		}
		if proc1, machine1, ok = cpuUsed(); !ok {
			t.Fatal("cannot read CPU time")
		}
	}
	_ = x
	// The machine counts in 10 ms ticks: allow two.
	if got := machine1 - machine0; got < proc1-proc0-20*time.Millisecond {
		t.Errorf("the machine was busy %v while this process used %v", got, proc1-proc0)
	}
}
