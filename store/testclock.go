package store

import (
	"context"
	"time"
)

// TestClock is a sandbox merchant's test clock: its time is the wall
// clock's plus Offset, never less (docs/sandbox.md, "Test clocks").
type TestClock struct {
	MerchantID string
	Offset     time.Duration
}

// TestClockReader reads test clocks.
type TestClockReader interface {
	// TestClockOffset is how far the merchant's clock runs ahead of the
	// wall clock: 0 when it has no test clock.
	TestClockOffset(ctx context.Context, merchantID string) (time.Duration, error)
	// PrefetchTestClock reads the merchant's offset with the
	// transaction's next statement, where a backend gains by it, for
	// TestClockOffset to answer from without a statement of its own.
	PrefetchTestClock(ctx context.Context, merchantID string) error
	// TestClocks lists every test clock with an offset, by merchant ID.
	TestClocks(ctx context.Context) ([]TestClock, error)
}

// TestClockWriter advances test clocks.
type TestClockWriter interface {
	// SetTestClockOffset sets the merchant's offset; a negative one is an
	// EInvalid error, as is one below the offset it replaces (a test clock
	// never goes back), and changes nothing.
	SetTestClockOffset(ctx context.Context, merchantID string, offset time.Duration) error
	// AdvanceDeliveries makes the merchant's pending notification
	// deliveries due by earlier, and returns how many it moved: a
	// retry scheduled for later on the merchant's clock comes as much
	// sooner on the wall clock.
	AdvanceDeliveries(ctx context.Context, merchantID string, by time.Duration) (int, error)
}
