package kassa

// GCPercent is the garbage collector's target, in GOGC's terms, that kassa
// serve runs with unless GOGC is set. At Go's default of 100 a collection
// starts each time the heap has grown by as much as is live; Kassa's live
// heap is small, so under load it collected many times a second, and part
// of that work fell on whichever goroutine was allocating: on SQLite, the
// one goroutine that runs every write. At 400 the lifecycle benchmark on
// SQLite ran 13-24 % more flows a second, its whole process (server,
// client and database) peaking at 67 MB resident instead of 53 MB
// (docs/benchmarks.md). Benchmarks run with it too (kassatest.ServeGC).
const GCPercent = 400

// ServeGCPercent is the collector's target kassa serve sets, and the
// benchmarks of the server with it: GCPercent, unless GOGC is set, which
// the runtime has applied already (ok false).
func ServeGCPercent(getenv func(string) string) (percent int, ok bool) {
	if getenv("GOGC") != "" {
		return 0, false
	}
	return GCPercent, true
}
