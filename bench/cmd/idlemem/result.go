package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/siogate/siogate/bench/internal/proc"
)

// result is the measurement of one target at one connection count. Sizes
// are in bytes unless the name says KiB; "before" is the server with no
// client, "after" the server holding the connections, both read right after
// GET /debug/gc (runtime.GC + debug.FreeOSMemory).
type result struct {
	Target string `json:"target"`
	N      int    `json:"n"`

	Connected   int   `json:"connected"`
	Failed      int   `json:"failed"`
	ConnectMS   int64 `json:"connect_ms"`
	ClientProcs int   `json:"client_procs"`

	RSSBefore     int64   `json:"rss_before"`
	RSSAfter      int64   `json:"rss_after"`
	RSSPerConnKiB float64 `json:"rss_per_conn_kib"`
	RSSIdleMax    int64   `json:"rss_idle_max"` // highest VmRSS seen during the idle window

	RSSAnonBefore     int64   `json:"rss_anon_before"`
	RSSAnonAfter      int64   `json:"rss_anon_after"`
	RSSAnonPerConnKiB float64 `json:"rss_anon_per_conn_kib"`

	HeapInuseBefore  int64   `json:"heap_inuse_before"`
	HeapInuseAfter   int64   `json:"heap_inuse_after"`
	HeapPerConnKiB   float64 `json:"heap_per_conn_kib"`
	StackInuseBefore int64   `json:"stack_inuse_before"`
	StackInuseAfter  int64   `json:"stack_inuse_after"`
	StackPerConnKiB  float64 `json:"stack_per_conn_kib"`

	GoroutinesBefore  int     `json:"goroutines_before"`
	GoroutinesAfter   int     `json:"goroutines_after"`
	GoroutinesPerConn float64 `json:"goroutines_per_conn"`

	// FDs: the server's open descriptors; after the window, FDsEnd-FDsBefore
	// should equal Connected (a server that drops idle sockets shows here).
	FDsBefore int `json:"server_fds_before"`
	FDsEnd    int `json:"server_fds_end"`

	IdleCPUPct   float64 `json:"idle_cpu_pct"` // server CPU over the window, % of one core
	WindowMS     int64   `json:"window_ms"`
	ClientRSS    int64   `json:"client_rss"`     // sum over the load processes, end of window
	ClientCPUPct float64 `json:"client_cpu_pct"` // sum over the load processes, % of one core

	// ClientError is the first dial error of the load processes, if any
	// connection failed; Error is why the measurement itself failed.
	ClientError string `json:"client_error,omitempty"`
	Error       string `json:"error,omitempty"`
}

// fill computes the derived fields from the raw ones.
func (r *result) fill() {
	r.RSSPerConnKiB = perConnKiB(r.RSSBefore, r.RSSAfter, r.Connected)
	r.RSSAnonPerConnKiB = perConnKiB(r.RSSAnonBefore, r.RSSAnonAfter, r.Connected)
	r.HeapPerConnKiB = perConnKiB(r.HeapInuseBefore, r.HeapInuseAfter, r.Connected)
	r.StackPerConnKiB = perConnKiB(r.StackInuseBefore, r.StackInuseAfter, r.Connected)
	r.GoroutinesPerConn = 0
	if r.Connected > 0 {
		r.GoroutinesPerConn = round2(float64(r.GoroutinesAfter-r.GoroutinesBefore) / float64(r.Connected))
	}
}

// perConnKiB returns (after-before)/conns in KiB, rounded to 0.01, or 0
// without connections. It divides by the connections held, which is N when
// every dial succeeded.
func perConnKiB(before, after int64, conns int) float64 {
	if conns <= 0 {
		return 0
	}
	return round2(float64(after-before) / float64(conns) / 1024)
}

// cpuPct converts a CPU-time delta in ticks over a wall time to percent of
// one core.
func cpuPct(ticks int64, wallMS int64) float64 {
	if wallMS <= 0 {
		return 0
	}
	return round2(float64(ticks) / proc.UserHZ * 1000 / float64(wallMS) * 100)
}

// round2 rounds x to 0.01, turning -0 into 0.
func round2(x float64) float64 {
	if r := math.Round(x*100) / 100; r != 0 {
		return r
	}
	return 0
}

// report is the JSON document the harness writes.
type report struct {
	Date     string   `json:"date"`
	Command  string   `json:"command"`
	Go       string   `json:"go"`
	CPUs     int      `json:"cpus"`
	Kernel   string   `json:"kernel,omitempty"`
	Settings settings `json:"settings"`
	Results  []result `json:"results"`
}

// settings records the knobs of a run.
type settings struct {
	PerProc     int   `json:"per_proc"`
	Concurrency int   `json:"concurrency"`
	Echo        bool  `json:"echo"`
	SettleMS    int64 `json:"settle_ms"`
	WindowMS    int64 `json:"window_ms"`
}

// writeJSON writes rep to path, creating the directory.
func writeJSON(path string, rep *report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// printTable writes one row per result.
func printTable(w io.Writer, rs []result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tN\tconnected\tfailed\tRSS before MiB\tRSS after MiB\tRSS/conn KiB\theap/conn KiB\tstack/conn KiB\tgoroutines\tgor/conn\tidle CPU %\tclient RSS MiB\tclient CPU %\t")
	for _, r := range rs {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t\n", r.Target, r.N)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f\t%d→%d\t%.2f\t%.2f\t%.1f\t%.2f\t\n",
			r.Target, r.N, r.Connected, r.Failed, mib(r.RSSBefore), mib(r.RSSAfter),
			r.RSSPerConnKiB, r.HeapPerConnKiB, r.StackPerConnKiB,
			r.GoroutinesBefore, r.GoroutinesAfter, r.GoroutinesPerConn,
			r.IdleCPUPct, mib(r.ClientRSS), r.ClientCPUPct)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rs {
		if r.Error != "" {
			fmt.Fprintf(w, "%s N=%d: FAILED: %s\n", r.Target, r.N, r.Error)
		}
		if r.ClientError != "" {
			fmt.Fprintf(w, "%s N=%d: clients: %s\n", r.Target, r.N, r.ClientError)
		}
	}
	return nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
