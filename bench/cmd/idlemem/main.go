// Command idlemem measures what a WebSocket server pays per idle connection
// (experiment E3 of the design research): RSS, heap, stacks, goroutines and
// idle CPU of the server process, as deltas over the same freshly started
// process with no client, divided by the connections held.
//
//	go run ./bench/cmd/idlemem -targets wsecho,baseline -n 10000,19000 -out docs/bench/idle-{date}.json
//
// For each target and each N it builds the server, starts it on a free
// 127.0.0.1 port, forces a GC (GET /debug/gc) and samples it, opens N
// connections from ceil(N/-per-proc) load processes (bench/cmd/wsload) over
// distinct loopback source addresses, lets them settle, forces a GC and
// samples again, then watches CPU over an idle window. Clients are closed,
// the server is stopped (SIGTERM, SIGKILL after 5 s) and the next run starts
// from a fresh process. It prints a table and, with -out, writes JSON
// ("{date}" in the path becomes today's date).
//
// Targets are named: wsecho (./cmd/wsecho) and baseline (./bench/baseline)
// are built in; -target 'name=./pkg [args]' defines others, "{addr}" in the
// args being the listen address. A target must serve /debug/pprof/ and
// GET /debug/gc (runtime.GC + debug.FreeOSMemory, answering "ok"). One that
// does not build is reported and skipped. Run it from inside the module.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/siogate/siogate/bench/internal/proc"
)

// targetDefs collects repeated -target flags.
type targetDefs []target

func (d *targetDefs) String() string { return fmt.Sprint(len(*d), " targets") }

func (d *targetDefs) Set(s string) error {
	t, err := parseTargetDef(s)
	if err != nil {
		return err
	}
	*d = append(*d, t)
	return nil
}

func main() {
	var defs targetDefs
	var (
		targets     = flag.String("targets", "baseline", "comma-separated target names")
		ns          = flag.String("n", "10000", "comma-separated connection counts")
		out         = flag.String("out", "", `write JSON results to this file ("{date}" is replaced by the date)`)
		timeout     = flag.Duration("timeout", 10*time.Minute, "bound on the whole run")
		perProc     = flag.Int("per-proc", 5000, "connections per load process (each process may open at most ~20,000 files)")
		concurrency = flag.Int("concurrency", 200, "dials in flight per load process")
		echo        = flag.Bool("echo", true, "each connection exchanges one echo before idling")
		settle      = flag.Duration("settle", 3*time.Second, "wait after the last connect before sampling")
		window      = flag.Duration("window", 5*time.Second, "idle window for the CPU measurement")
		connect     = flag.Duration("connect-timeout", 2*time.Minute, "bound on the connect phase of each measurement")
		verbose     = flag.Bool("v", false, "copy the servers' and load processes' stderr to ours")
	)
	flag.Var(&defs, "target", `define a target, "name=./pkg [args...]" ({addr} = listen address; default args "-addr {addr}"); repeatable`)
	flag.Parse()

	cfg := config{
		PerProc:        *perProc,
		Concurrency:    *concurrency,
		Echo:           *echo,
		Settle:         *settle,
		Window:         *window,
		ConnectTimeout: *connect,
		Verbose:        *verbose,
		Progress:       os.Stderr,
	}
	var err error
	if cfg.Targets, err = resolveTargets(splitList(*targets), defs); err != nil {
		fatal(err)
	}
	if cfg.Ns, err = parseCounts(*ns, cfg.PerProc); err != nil {
		fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if cfg.Root, err = proc.ModuleRoot(ctx); err != nil {
		fatal(err)
	}

	started := time.Now()
	results, runErr := run(ctx, cfg)
	if len(results) > 0 {
		fmt.Println()
		printTable(os.Stdout, results)
	}
	if *out != "" && len(results) > 0 {
		path := strings.ReplaceAll(*out, "{date}", started.Format("2006-01-02"))
		rep := &report{
			Date:    started.UTC().Format(time.RFC3339),
			Command: "go run ./bench/cmd/idlemem " + strings.Join(os.Args[1:], " "),
			Go:      runtime.Version(),
			CPUs:    runtime.NumCPU(),
			Kernel:  kernelRelease(),
			Settings: settings{
				PerProc: cfg.PerProc, Concurrency: cfg.Concurrency, Echo: cfg.Echo,
				SettleMS: cfg.Settle.Milliseconds(), WindowMS: cfg.Window.Milliseconds(),
			},
			Results: results,
		}
		if err := writeJSON(path, rep); err != nil {
			fatal(err)
		}
		fmt.Fprintln(os.Stderr, "idlemem: wrote", path)
	}
	if runErr != nil {
		fatal(runErr)
	}
	for _, r := range results {
		if r.Error == "" {
			return
		}
	}
	fatal(errors.New("no measurement succeeded"))
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "idlemem:", err)
	os.Exit(1)
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseCounts parses the -n list. Each load process uses two source
// addresses 127.0.x.(2+2k), (3+2k), which bounds the processes to 126.
func parseCounts(s string, perProc int) ([]int, error) {
	if perProc <= 0 {
		return nil, errors.New("-per-proc must be > 0")
	}
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-n: %q is not a positive count", f)
		}
		if (n+perProc-1)/perProc > 126 {
			return nil, fmt.Errorf("-n %d needs more than 126 load processes; raise -per-proc", n)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("-n: no counts")
	}
	return out, nil
}

// kernelRelease returns the running kernel's release, or "".
func kernelRelease() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}
