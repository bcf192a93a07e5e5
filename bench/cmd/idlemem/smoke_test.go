package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/siogate/siogate/bench/internal/proc"
)

// TestSmoke runs the whole harness against the baseline server with 200
// connections and short waits: build, start, connect, sample, stop.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs servers; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool in PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	root, err := proc.ModuleRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	baseline, ok := findTarget("baseline", builtinTargets)
	if !ok {
		t.Fatal("no built-in baseline target")
	}
	var progress io.Writer = io.Discard
	if testing.Verbose() {
		progress = os.Stderr
	}
	rs, err := run(ctx, config{
		Root:           root,
		Targets:        []target{baseline},
		Ns:             []int{200},
		PerProc:        5000,
		Concurrency:    50,
		Echo:           true,
		Settle:         200 * time.Millisecond,
		Window:         500 * time.Millisecond,
		ConnectTimeout: 20 * time.Second,
		Progress:       progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("%d results", len(rs))
	}
	r := rs[0]
	t.Logf("%+v", r)
	switch {
	case r.Error != "":
		t.Fatal(r.Error)
	case r.Connected != 200 || r.Failed != 0 || r.ClientProcs != 1:
		t.Fatalf("connected %d, failed %d, procs %d", r.Connected, r.Failed, r.ClientProcs)
	case abs(r.GoroutinesAfter-r.GoroutinesBefore-200) > 2: // ±2: a probe request may still run in "before"
		t.Fatalf("goroutines %d -> %d, want one per connection", r.GoroutinesBefore, r.GoroutinesAfter)
	case r.FDsEnd-r.FDsBefore < 195: // a probe connection may still be open in "before"
		t.Fatalf("server fds %d -> %d", r.FDsBefore, r.FDsEnd)
	case r.RSSAfter <= r.RSSBefore || r.RSSPerConnKiB <= 0:
		t.Fatalf("RSS %d -> %d", r.RSSBefore, r.RSSAfter)
	case r.WindowMS < 500 || r.ClientRSS <= 0:
		t.Fatalf("window %d ms, client RSS %d", r.WindowMS, r.ClientRSS)
	}
}

func abs(x int) int { return max(x, -x) }
