package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/siogate/siogate/bench/sioload"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestNum(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		d    int
		want string
	}{{1234, 0, "1234"}, {12345, 0, "12,345"}, {1234567.891, 1, "1,234,567.9"}, {-65000, 0, "-65,000"}, {0.256, 2, "0.26"}} {
		if got := num(tc.x, tc.d); got != tc.want {
			t.Errorf("num(%v, %d) = %q, want %q", tc.x, tc.d, got, tc.want)
		}
	}
}

func pass(b bool) *bool { return &b }

func TestSummary(t *testing.T) {
	rs := []record{
		{Scenario: "idle", Run: 0, Target: "siogate", Protocol: "socketio", N: 1000, RSSPerSocketKiB: 3, GoroutinesBefore: 10},
		{Scenario: "idle", Run: 1, Target: "siogate", Protocol: "socketio", N: 1000, RSSPerSocketKiB: 5, GoroutinesBefore: 10},
		{Scenario: "idle", Run: 0, Target: "node", Protocol: "socketio", N: 1000, RSSPerSocketKiB: 16},
		{Scenario: "idle", Run: 1, Target: "node", Protocol: "socketio", N: 1000, Error: "boom\nmore"},
		{Scenario: "echo", Run: 0, Target: "siogate", Protocol: "socketio", N: 100, Rate: 1000, Pass: pass(true), P99MS: 2},
		{Scenario: "echo", Run: 0, Target: "siogate", Protocol: "socketio", N: 100, Rate: 2000, Pass: pass(false), P99MS: 90},
		{Scenario: "echo", Run: 0, Target: "node", Protocol: "socketio", N: 100, Rate: 1000, Pass: pass(false), P99MS: 80},
		{Scenario: "echo", Run: 1, Target: "node", Protocol: "socketio", N: 100, Rate: 1000, Pass: pass(true), P99MS: 20},
		{Scenario: "echo", Run: 1, Target: "node", Protocol: "socketio", N: 100, Rate: 2000, Pass: pass(true), P99MS: 40},
	}
	gs := groups(rs, "idle", []string{"siogate", "node"})
	if len(gs) != 2 || gs[0].Target != "siogate" || len(gs[0].recs) != 2 || len(gs[1].recs) != 1 {
		t.Fatalf("groups: %+v", gs)
	}
	f := func(r record) float64 { return r.RSSPerSocketKiB }
	if c := gs[0].cell(f, 2); c != "4.00 (3.00–5.00)" {
		t.Fatalf("cell = %q", c)
	}
	if r := ratio(gs[0], reference(gs, gs[0]), f); r != "0.25×" {
		t.Fatalf("ratio = %q", r)
	}
	sus := sustained(rs)
	if !slices.Equal(sus["siogate"], []float64{1000}) {
		t.Fatalf("sustained siogate = %v", sus["siogate"])
	}
	node := slices.Sorted(slices.Values(sus["node"]))
	if !slices.Equal(node, []float64{0, 2000}) {
		t.Fatalf("sustained node = %v", node)
	}
	var md strings.Builder
	writeSummary(&md, rs, []string{"siogate", "node"})
	for _, want := range []string{"| siogate | socketio | 1000 | 4.00 (3.00–5.00) | 0.25× |", "### Not measured", "idle node N=1000 run 1: boom", "| siogate | socketio | 100 | 1000 | 1.00× |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, md.String())
		}
	}
}

func TestMergeStats(t *testing.T) {
	var h1, h2 sioload.Histogram
	h1.Record(100)
	h2.Record(300)
	m := mergeStats([]sioload.Stats{
		{Ready: 2, Deliveries: 2, BroadcastLatency: h1, Closed: 1, CloseReasons: map[string]int{"eof": 1},
			Broadcasts: []sioload.BroadcastStat{{ID: 0, SentNs: 10, Count: 2, LastNs: 50}}},
		{Ready: 3, Deliveries: 3, BroadcastLatency: h2,
			Broadcasts: []sioload.BroadcastStat{{ID: 0, SentNs: 10, Count: 3, LastNs: 70}, {ID: 1, SentNs: 20, Count: 3, LastNs: 90}}},
	})
	if m.Ready != 5 || m.Deliveries != 5 || m.BroadcastLatency.Count() != 2 || m.Closed != 1 || m.CloseReasons["eof"] != 1 {
		t.Fatalf("merged %+v", m)
	}
	if len(m.Broadcasts) != 2 || m.Broadcasts[0].Count != 5 || m.Broadcasts[0].LastNs != 70 {
		t.Fatalf("broadcasts %+v", m.Broadcasts)
	}
}

func TestPlans(t *testing.T) {
	cfg := &config{Scenarios: []string{"echo", "idle", "broadcast"}, Ns: []int{5000, 1000}, EchoN: 1000, Octet: 42}
	ps := cfg.plans()
	if len(ps) != 2 || ps[0].n != 1000 || !slices.Equal(ps[0].scenarios, []string{"idle", "broadcast", "echo"}) ||
		ps[1].n != 5000 || !slices.Equal(ps[1].scenarios, []string{"idle", "broadcast"}) {
		t.Fatalf("plans %+v", ps)
	}
	if got := cfg.sourceRange(3, 4, 2); got != "127.42.4.6,127.42.4.7" {
		t.Fatalf("sourceRange = %s", got)
	}
	if cfg.broadcasts(19000) != 5 || cfg.broadcasts(1000) != 50 || cfg.broadcasts(200) != 50 {
		t.Fatal("broadcasts")
	}
}

func TestFlags(t *testing.T) {
	if _, err := resolveTargets([]string{"siogate", "nope"}); err == nil {
		t.Fatal("unknown target: no error")
	}
	ts, err := resolveTargets([]string{"node", "baseline"})
	if err != nil || ts[0].Script == "" || ts[1].Package != "./bench/baseline" {
		t.Fatalf("resolveTargets = %+v, %v", ts, err)
	}
	argv := ts[0].argv("/r", "", "127.0.0.1:9")
	if !slices.Equal(argv, []string{"node", "--expose-gc", "/r/bench/node/server.mjs", "--addr", "127.0.0.1:9"}) {
		t.Fatalf("node argv %q", argv)
	}
	if _, err := parseInts("1,x"); err == nil {
		t.Fatal("parseInts: no error")
	}
	if fs, err := parseFloats("500, 1e3"); err != nil || !slices.Equal(fs, []float64{500, 1000}) {
		t.Fatalf("parseFloats = %v, %v", fs, err)
	}
	cfg := &config{Scenarios: []string{"nope"}}
	if err := cfg.validate(); err == nil {
		t.Fatal("validate: no error")
	}
}
