package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/siogate/siogate/bench/internal/proc"
)

// config is one harness run.
type config struct {
	Root           string // module root, where go build runs
	Targets        []target
	Ns             []int
	PerProc        int  // connections per load process
	Concurrency    int  // dials in flight per load process
	Echo           bool // one echo per connection before idling
	Settle         time.Duration
	Window         time.Duration
	ConnectTimeout time.Duration
	Verbose        bool      // copy the children's stderr to ours
	Progress       io.Writer // progress and warnings
}

// startOptions returns how to start a child: with a stdin pipe or not, its
// stderr copied to ours when verbose.
func (cfg config) startOptions(stdin bool) proc.StartOptions {
	o := proc.StartOptions{Stdin: stdin}
	if cfg.Verbose {
		o.Stderr = os.Stderr
	}
	return o
}

// wsloadPkg is the load generator's package, relative to the module root.
const wsloadPkg = "./bench/cmd/wsload"

// run builds every binary first, then measures every target at every N, in
// order, each on a fresh server process. A target that does not build is
// reported and skipped. Every child process is stopped and the temporary
// directory removed before run returns.
func run(ctx context.Context, cfg config) ([]result, error) {
	tmp, err := os.MkdirTemp("", "idlemem-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	wsloadBin := filepath.Join(tmp, "wsload")
	if err := build(ctx, cfg.Root, wsloadBin, wsloadPkg); err != nil {
		return nil, err
	}
	bins := make([]string, len(cfg.Targets))
	buildErrs := make([]error, len(cfg.Targets))
	for i, t := range cfg.Targets {
		bins[i] = filepath.Join(tmp, fmt.Sprintf("target%d-%s", i, t.Name))
		if buildErrs[i] = build(ctx, cfg.Root, bins[i], t.Package); buildErrs[i] != nil {
			fmt.Fprintf(cfg.Progress, "idlemem: target %s: NOT MEASURED, %v\n", t.Name, buildErrs[i])
		}
	}

	var results []result
	seq := 0 // measurement index, picks fresh source addresses
	for i, t := range cfg.Targets {
		for _, n := range cfg.Ns {
			r := result{Target: t.Name, N: n}
			switch {
			case buildErrs[i] != nil:
				r.Error = buildErrs[i].Error()
			case ctx.Err() != nil:
				r.Error = "not run: " + ctx.Err().Error()
			default:
				if err := measure(ctx, cfg, t, bins[i], wsloadBin, n, seq, &r); err != nil {
					r.Error = err.Error()
					fmt.Fprintf(cfg.Progress, "idlemem: %s N=%d: %v\n", t.Name, n, err)
				}
				seq++
			}
			r.fill()
			results = append(results, r)
		}
	}
	return results, ctx.Err()
}

// build runs go build for pkg in root, writing the binary to out. Its error
// holds the first lines of the compiler's output, with root shown as ".".
func build(ctx context.Context, root, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	b, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(strings.ReplaceAll(string(b), root, "."))
		if lines := strings.Split(msg, "\n"); len(lines) > 5 {
			msg = strings.Join(lines[:5], "\n") + "\n..."
		}
		return fmt.Errorf("go build %s failed (%v): %s", pkg, err, msg)
	}
	return nil
}

// measure runs one target at N connections and fills r.
func measure(ctx context.Context, cfg config, t target, bin, wsloadBin string, n, seq int, r *result) error {
	addr, err := proc.FreeAddr()
	if err != nil {
		return err
	}
	srv, err := proc.Start(t.Name, append([]string{bin}, t.argv(addr)...), cfg.startOptions(false))
	if err != nil {
		return err
	}
	defer srv.Stop(5 * time.Second)
	pr := proc.NewProbe(addr)
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	err = pr.WaitReady(rctx, "/debug/pprof/", srv.Done())
	cancel()
	if err != nil {
		return fmt.Errorf("%w; %s", err, srv.Describe())
	}

	before, err := sampleServer(ctx, pr, srv)
	if err != nil {
		return err
	}
	r.RSSBefore, r.RSSAnonBefore = before.proc.RSS, before.proc.RSSAnon
	r.HeapInuseBefore, r.StackInuseBefore = before.mem.HeapInuse, before.mem.StackInuse
	r.GoroutinesBefore, r.FDsBefore = before.goroutines, before.fds
	fmt.Fprintf(cfg.Progress, "idlemem: %s N=%d: server up on %s, RSS %.1f MiB, %d goroutines\n",
		t.Name, n, addr, mib(r.RSSBefore), r.GoroutinesBefore)

	// Load processes: ceil(n/PerProc), each from its own two source addresses.
	procs := (n + cfg.PerProc - 1) / cfg.PerProc
	r.ClientProcs = procs
	hold := 10 * time.Minute
	if d, ok := ctx.Deadline(); ok {
		hold = time.Until(d) + time.Minute
	}
	var clients []*proc.Child
	defer func() {
		for _, c := range clients {
			c.Stop(5 * time.Second)
		}
	}()
	start := time.Now()
	for k := range procs {
		share := n / procs
		if k < n%procs {
			share++
		}
		argv := []string{wsloadBin,
			"-addr", addr, "-n", fmt.Sprint(share), "-src", sourceIPs(seq, k),
			"-concurrency", fmt.Sprint(cfg.Concurrency), "-deadline", cfg.ConnectTimeout.String(),
			"-hold", hold.String(), fmt.Sprintf("-echo=%t", cfg.Echo)}
		c, err := proc.Start(fmt.Sprintf("wsload-%d", k), argv, cfg.startOptions(true))
		if err != nil {
			return err
		}
		clients = append(clients, c)
	}
	if err := waitConnected(ctx, cfg.ConnectTimeout+15*time.Second, clients, r); err != nil {
		return err
	}
	r.ConnectMS = time.Since(start).Milliseconds()
	fmt.Fprintf(cfg.Progress, "idlemem: %s N=%d: %d connected, %d failed in %.1fs (%d load processes)\n",
		t.Name, n, r.Connected, r.Failed, float64(r.ConnectMS)/1000, procs)
	if r.Connected == 0 {
		return errors.New("no connection succeeded")
	}

	if err := sleep(ctx, cfg.Settle); err != nil {
		return err
	}
	after, err := sampleServer(ctx, pr, srv)
	if err != nil {
		return err
	}
	r.RSSAfter, r.RSSAnonAfter = after.proc.RSS, after.proc.RSSAnon
	r.HeapInuseAfter, r.StackInuseAfter = after.mem.HeapInuse, after.mem.StackInuse
	r.GoroutinesAfter = after.goroutines

	if err := idleWindow(ctx, cfg.Window, srv, clients, r); err != nil {
		return err
	}
	if r.FDsEnd, err = proc.CountFDs(srv.Pid()); err != nil {
		return err
	}
	fmt.Fprintf(cfg.Progress, "idlemem: %s N=%d: RSS %.1f MiB (+%.2f KiB/conn), %d goroutines, idle CPU %.2f%%\n",
		t.Name, n, mib(r.RSSAfter), perConnKiB(r.RSSBefore, r.RSSAfter, r.Connected), r.GoroutinesAfter, r.IdleCPUPct)

	// Close the clients first, so the server sees ordinary disconnects.
	for _, c := range clients {
		c.Send("close")
	}
	for _, c := range clients {
		select {
		case <-c.Done():
		case <-time.After(15 * time.Second):
		}
	}
	return nil
}

// serverSample is the server's state right after a forced GC.
type serverSample struct {
	proc       proc.Sample
	mem        proc.MemStats
	goroutines int
	fds        int
}

// sampleServer reads the server's state after a forced GC. The probes that
// allocate (the heap profile for MemStats, the goroutine profile, a few MiB
// at 19k goroutines) come first, between two forced GCs, so that the RSS
// read last is not inflated by their garbage and the idle window that
// follows starts from a settled process.
func sampleServer(ctx context.Context, pr *proc.Probe, srv *proc.Child) (serverSample, error) {
	var s serverSample
	if err := pr.GC(ctx); err != nil {
		return s, fmt.Errorf("%w; %s", err, srv.Describe())
	}
	var err error
	if s.mem, err = pr.MemStats(ctx); err != nil {
		return s, err
	}
	if s.goroutines, err = pr.Goroutines(ctx); err != nil {
		return s, err
	}
	if err := pr.GC(ctx); err != nil {
		return s, fmt.Errorf("%w; %s", err, srv.Describe())
	}
	if s.proc, err = proc.Read(srv.Pid()); err != nil {
		return s, err
	}
	if s.fds, err = proc.CountFDs(srv.Pid()); err != nil {
		return s, err
	}
	return s, nil
}

// waitConnected reads the report line of every load process and adds it to r.
func waitConnected(ctx context.Context, timeout time.Duration, clients []*proc.Child, r *result) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, c := range clients {
		var line string
		select {
		case line = <-c.Lines():
		case <-c.Done():
			return fmt.Errorf("load process exited before connecting: %s", c.Describe())
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", c.Name, ctx.Err())
		}
		var rep struct {
			Connected  int    `json:"connected"`
			Failed     int    `json:"failed"`
			FirstError string `json:"first_error"`
		}
		if err := json.Unmarshal([]byte(line), &rep); err != nil {
			return fmt.Errorf("%s: bad report %q: %w", c.Name, line, err)
		}
		r.Connected += rep.Connected
		r.Failed += rep.Failed
		if rep.FirstError != "" && r.ClientError == "" {
			r.ClientError = fmt.Sprintf("%s: %d failed, first: %s", c.Name, rep.Failed, rep.FirstError)
		}
	}
	return nil
}

// idleWindow measures CPU time of the server and the clients over d, and
// the highest server RSS seen, without talking to the server.
func idleWindow(ctx context.Context, d time.Duration, srv *proc.Child, clients []*proc.Child, r *result) error {
	s0, err := proc.Read(srv.Pid())
	if err != nil {
		return err
	}
	c0, _, err := sumProc(clients)
	if err != nil {
		return err
	}
	start := time.Now()
	r.RSSIdleMax = s0.RSS
	tick := min(time.Second, d)
	for time.Since(start) < d {
		if err := sleep(ctx, min(tick, d-time.Since(start))); err != nil {
			return err
		}
		s, err := proc.Read(srv.Pid())
		if err != nil {
			return fmt.Errorf("server during idle window: %w; %s", err, srv.Describe())
		}
		r.RSSIdleMax = max(r.RSSIdleMax, s.RSS)
	}
	s1, err := proc.Read(srv.Pid())
	if err != nil {
		return err
	}
	c1, rss, err := sumProc(clients)
	if err != nil {
		return err
	}
	r.WindowMS = time.Since(start).Milliseconds()
	r.IdleCPUPct = cpuPct(s1.CPUTicks-s0.CPUTicks, r.WindowMS)
	r.ClientCPUPct = cpuPct(c1-c0, r.WindowMS)
	r.ClientRSS = rss
	return nil
}

// sumProc returns the summed CPU ticks and RSS of the processes.
func sumProc(cs []*proc.Child) (ticks, rss int64, err error) {
	for _, c := range cs {
		s, err := proc.Read(c.Pid())
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w; %s", c.Name, err, c.Describe())
		}
		ticks += s.CPUTicks
		rss += s.RSS
	}
	return ticks, rss, nil
}

// sourceIPs returns the two loopback source addresses of load process k in
// measurement seq: 127.0.S.(2+2k) and 127.0.S.(3+2k) with S = 1 + seq%254.
// A fresh third octet per measurement keeps the previous measurement's
// TIME_WAIT ports out of the way.
func sourceIPs(seq, k int) string {
	s := 1 + seq%254
	return fmt.Sprintf("127.0.%d.%d,127.0.%d.%d", s, 2+2*k, s, 3+2*k)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
