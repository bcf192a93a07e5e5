package main

import (
	"context"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/siogate/siogate/bench/internal/proc"
)

// TestSmoke runs the harness in -smoke mode: every scenario against every
// target with 200 sockets (2,000 churn cycles). Without node or e2e/node_modules it is skipped,
// unless CI is set: CI must exercise the whole harness.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs servers; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the load generator needs epoll, the harness /proc")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	root, err := proc.ModuleRoot(ctx)
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
		if r.Scenario != "churn" && (r.Connected != 200 || r.Failed != 0 || r.Lost != 0) {
			t.Errorf("%s %s: connected %d, failed %d, lost %d (%s)", r.Scenario, r.Target, r.Connected, r.Failed, r.Lost, r.LostReasons)
		}
		checkAlone(t, r)
		switch r.Scenario {
		case "idle":
			if r.RSSAfter <= r.RSSBefore || r.FDsEnd-r.FDsBefore < 195 { // a probe connection may linger in "before"
				t.Errorf("idle %s: RSS %d -> %d, fds %d -> %d", r.Target, r.RSSBefore, r.RSSAfter, r.FDsBefore, r.FDsEnd)
			}
			switch r.Target {
			case "siogate", "wsecho", "nbio":
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
	all := []string{"siogate", "node", "wsecho", "baseline", "nbio"}
	for _, tg := range all {
		sio := 0
		if tg == "siogate" || tg == "node" {
			sio = 1
		}
		for sc, want := range map[string]int{"idle": 1, "broadcast": 1, "burst": 1, "echo": 2, "connect": 1, "reconnect": 1,
			"rooms": sio, "slow": sio, "mix": sio, "churn": sio} {
			if got := count[sc+"/"+tg]; got != want {
				t.Errorf("%s %s: %d records, want %d", sc, tg, got, want)
			}
		}
	}
	var md strings.Builder
	writeSummary(&md, rs, all)
	for _, h := range []string{"### Idle sockets", "### One broadcast at a time", "### Bursts of broadcasts", "### Echo with acknowledgement",
		"### Connect storm", "### Reconnect storm", "### Many small rooms", "### Slow consumers", "### Long-polling and WebSocket mix", "### Churn soak"} {
		if !strings.Contains(md.String(), h) {
			t.Errorf("summary lacks %q:\n%s", h, md.String())
		}
	}
	files, err := writePlots(t.TempDir(), "smoke", rs, all)
	if err != nil || len(files) != 6 {
		t.Fatalf("plots: %v, %v", files, err)
	}
}

// checkAlone checks a smoke record of the scenarios that run alone on
// their server: every socket and cycle accounted for, every delivery made.
func checkAlone(t *testing.T, r record) {
	t.Helper()
	if r.Error != "" {
		return
	}
	sio := r.Protocol == "socketio"
	switch r.Scenario {
	case "connect":
		if r.ConnectRate <= 0 || r.HandshakeP99MS <= 0 || r.HandshakeMaxMS < r.HandshakeP99MS {
			t.Errorf("connect %s: %.0f/s, p99 %v, max %v", r.Target, r.ConnectRate, r.HandshakeP99MS, r.HandshakeMaxMS)
		}
	case "reconnect":
		if r.Reconnected != 200 || r.ReconnectFailed != 0 || r.LastMS <= 0 {
			t.Errorf("reconnect %s: %d back, %d failed (%s) in %v ms", r.Target, r.Reconnected, r.ReconnectFailed, r.ReconnectErrors, r.LastMS)
		}
		// The server let the old sessions go.
		if sio && (r.ServerSocketsPre != 200 || r.ServerSocketsPost != 200) {
			t.Errorf("reconnect %s: server sockets %d -> %d, want 200 -> 200", r.Target, r.ServerSocketsPre, r.ServerSocketsPost)
		}
	case "rooms":
		if r.JoinFail != 0 || r.Emitted == 0 || r.Deliveries != r.Expected || r.P99MS <= 0 {
			t.Errorf("rooms %s: %d failed to join, %d emitted, %d/%d deliveries", r.Target, r.JoinFail, r.Emitted, r.Deliveries, r.Expected)
		}
	case "slow":
		// The reading sockets get every broadcast, stalled or not.
		if r.Stalled != 10 || r.Emitted == 0 || r.Deliveries != r.Expected || r.BaseP99MS <= 0 || r.RSSSlowMax <= 0 {
			t.Errorf("slow %s: %d stalled, %d emitted, %d/%d deliveries", r.Target, r.Stalled, r.Emitted, r.Deliveries, r.Expected)
		}
		// siogate cuts every stalled socket as a slow consumer; the loader
		// sees the WebSocket close 1008 when it reads again.
		if r.Target == "siogate" && (r.ServerSlow != 10 || r.StalledClosed != 10 || r.StalledOpen != 0 || !strings.Contains(r.StalledReasons, "close-1008")) {
			t.Errorf("slow siogate: server cut %d, loader saw %d closed (%s), %d open", r.ServerSlow, r.StalledClosed, r.StalledReasons, r.StalledOpen)
		}
	case "mix":
		if r.WSConnected != 150 || r.PollConnected != 50 || r.Deliveries != r.Expected || r.WSDeliveries == 0 || r.PollDeliveries == 0 || r.PollP99MS <= 0 {
			t.Errorf("mix %s: %d+%d sockets, %d/%d deliveries (WebSocket %d, polling %d)", r.Target, r.WSConnected, r.PollConnected,
				r.Deliveries, r.Expected, r.WSDeliveries, r.PollDeliveries)
		}
	case "churn":
		if r.Cycles != 2000 || r.CyclesWS != 1000 || r.CyclesPolling != 1000 || r.CyclesFailed != 0 || r.ChurnPass == nil || r.HeapBase <= 0 {
			t.Errorf("churn %s: %d cycles (%d + %d), %d failed (%s)", r.Target, r.Cycles, r.CyclesWS, r.CyclesPolling, r.CyclesFailed, r.CycleErrors)
		}
		if r.Target == "siogate" && r.GoroutinesFresh <= 0 {
			t.Errorf("churn siogate: no goroutine count")
		}
	}
}
