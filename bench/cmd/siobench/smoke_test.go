package main

import (
	"context"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestSmoke runs the harness in -smoke mode: every scenario against every
// target with 200 sockets. Without node or e2e/node_modules it is skipped,
// unless CI is set: CI must exercise the whole harness.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs servers; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the load generator needs epoll, the harness /proc")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	root, err := moduleRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodeAvailable(root); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but the Node reference cannot run: %v", err)
		}
		t.Skipf("Node reference unavailable (%v); CI would fail here", err)
	}
	cfg := &config{Root: root, PerProc: 5000, Concurrency: 50, Octet: 250, Progress: io.Discard}
	if testing.Verbose() {
		cfg.Progress = os.Stderr
	}
	smokeConfig(cfg)
	rs, err := run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range rs {
		count[r.Scenario+"/"+r.Target]++
		if r.Error != "" {
			t.Errorf("%s %s: %s", r.Scenario, r.Target, r.Error)
			continue
		}
		if r.Connected != 200 || r.Failed != 0 || r.Lost != 0 {
			t.Errorf("%s %s: connected %d, failed %d, lost %d (%s)", r.Scenario, r.Target, r.Connected, r.Failed, r.Lost, r.LostReasons)
		}
		switch r.Scenario {
		case "idle":
			if r.RSSAfter <= r.RSSBefore || r.FDsEnd-r.FDsBefore < 195 { // a probe connection may linger in "before"
				t.Errorf("idle %s: RSS %d -> %d, fds %d -> %d", r.Target, r.RSSBefore, r.RSSAfter, r.FDsBefore, r.FDsEnd)
			}
			switch r.Target {
			case "siogate", "wsecho":
				if r.GoroutinesPerSocket > 0.5 {
					t.Errorf("idle %s: %.2f goroutines per socket", r.Target, r.GoroutinesPerSocket)
				}
			case "baseline":
				if r.GoroutinesPerSocket < 0.99 {
					t.Errorf("idle baseline: %.2f goroutines per socket, want 1", r.GoroutinesPerSocket)
				}
			}
		case "broadcast", "burst":
			if r.Deliveries != r.Expected || r.Incomplete != 0 || r.P99MS <= 0 || r.DeliveriesPerSec <= 0 {
				t.Errorf("%s %s: %d/%d deliveries, %d incomplete, p99 %v", r.Scenario, r.Target, r.Deliveries, r.Expected, r.Incomplete, r.P99MS)
			}
		case "echo":
			if r.EchoSent == 0 || r.EchoAcked != r.EchoSent || r.Pass == nil {
				t.Errorf("echo %s at %v/s: %d sent, %d acked", r.Target, r.Rate, r.EchoSent, r.EchoAcked)
			}
		}
	}
	for _, tg := range []string{"siogate", "node", "wsecho", "baseline"} {
		for sc, want := range map[string]int{"idle": 1, "broadcast": 1, "burst": 1, "echo": 2} {
			if got := count[sc+"/"+tg]; got != want {
				t.Errorf("%s %s: %d records, want %d", sc, tg, got, want)
			}
		}
	}
	var md strings.Builder
	writeSummary(&md, rs, []string{"siogate", "node", "wsecho", "baseline"})
	for _, h := range []string{"### Idle sockets", "### One broadcast at a time", "### Bursts of broadcasts", "### Echo with acknowledgement"} {
		if !strings.Contains(md.String(), h) {
			t.Errorf("summary lacks %q:\n%s", h, md.String())
		}
	}
	files, err := writePlots(t.TempDir(), "smoke", rs, []string{"siogate", "node", "wsecho", "baseline"})
	if err != nil || len(files) != 5 {
		t.Fatalf("plots: %v, %v", files, err)
	}
}
