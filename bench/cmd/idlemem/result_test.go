package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestPerConnKiB(t *testing.T) {
	for _, tc := range []struct {
		before, after int64
		conns         int
		want          float64
	}{
		{10 << 20, 10<<20 + 10000*17*1024, 10000, 17},
		{0, 3 * 1024, 2, 1.5},
		{0, 1000, 3, 0.33},           // rounded to 0.01
		{5 << 20, 4 << 20, 1024, -1}, // a shrinking process shows as negative
		{0, 1 << 20, 0, 0},           // no connection: no division
	} {
		if got := perConnKiB(tc.before, tc.after, tc.conns); got != tc.want {
			t.Errorf("perConnKiB(%d, %d, %d) = %v, want %v", tc.before, tc.after, tc.conns, got, tc.want)
		}
	}
}

func TestCPUPct(t *testing.T) {
	for _, tc := range []struct {
		ticks, wallMS int64
		want          float64
	}{
		{0, 5000, 0},
		{5, 5000, 1},     // 50 ms of CPU in 5 s
		{500, 5000, 100}, // one core busy
		{1, 0, 0},
	} {
		if got := cpuPct(tc.ticks, tc.wallMS); got != tc.want {
			t.Errorf("cpuPct(%d, %d) = %v, want %v", tc.ticks, tc.wallMS, got, tc.want)
		}
	}
}

func TestResultFill(t *testing.T) {
	r := result{
		Target: "baseline", N: 1000, Connected: 1000,
		RSSBefore: 8 << 20, RSSAfter: 8<<20 + 1000*10*1024,
		RSSAnonBefore: 2 << 20, RSSAnonAfter: 2<<20 + 1000*9*1024,
		HeapInuseBefore: 1 << 20, HeapInuseAfter: 1<<20 + 1000*6*1024,
		StackInuseBefore: 1 << 18, StackInuseAfter: 1<<18 + 1000*4*1024,
		GoroutinesBefore: 6, GoroutinesAfter: 1006,
	}
	r.fill()
	if r.RSSPerConnKiB != 10 || r.RSSAnonPerConnKiB != 9 || r.HeapPerConnKiB != 6 || r.StackPerConnKiB != 4 || r.GoroutinesPerConn != 1 {
		t.Fatalf("fill: %+v", r)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"rss_before":`, `"rss_after":`, `"rss_per_conn_kib":10`, `"goroutines_per_conn":1`, `"idle_cpu_pct":`, `"connected":1000`, `"failed":0`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("JSON lacks %s: %s", key, b)
		}
	}
	r = result{Connected: 19000, GoroutinesBefore: 14, GoroutinesAfter: 12}
	r.fill()
	if s := fmt.Sprintf("%.2f", r.GoroutinesPerConn); s != "0.00" {
		t.Fatalf("goroutines per conn printed as %s", s)
	}
	r = result{Target: "baseline", N: 1000, Connected: 1000, RSSPerConnKiB: 10}
	var buf strings.Builder
	if err := printTable(&buf, []result{r, {Target: "wsecho", N: 1000, Error: "go build ./cmd/wsecho failed"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "10.00") || !strings.Contains(buf.String(), "wsecho N=1000: FAILED") {
		t.Fatalf("table:\n%s", buf.String())
	}
}
