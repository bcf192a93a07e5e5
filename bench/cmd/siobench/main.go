// Command siobench measures siogate side by side with the Node Socket.IO
// reference (socket.io 4.8 with default options, bench/node/server.mjs) and
// with raw WebSocket floors (cmd/wsecho, siogate's reactor alone;
// bench/baseline, gorilla/websocket with a goroutine per connection; and,
// with -targets, bench/nbio, lesismal/nbio's non-blocking server, a nested
// module of its own), in one run on one machine:
//
//	go run ./bench/cmd/siobench -scenario idle -n 1000,5000,10000,19000 -runs 3 -out-dir docs/bench/siobench
//	go run ./bench/cmd/siobench -scenario broadcast,burst -n 1000,5000,10000,19000 -out-dir docs/bench/siobench
//	go run ./bench/cmd/siobench -scenario echo -echo-n 1000 -out-dir docs/bench/siobench
//	go run ./bench/cmd/siobench -scenario connect,reconnect -n 10000 -out-dir docs/bench/siobench
//	go run ./bench/cmd/siobench -scenario rooms,slow,mix -n 5000 -targets siogate,node -out-dir docs/bench/siobench
//	go run ./bench/cmd/siobench -scenario churn -targets siogate,node -runs 1 -out-dir docs/bench/siobench
//	go run ./bench/cmd/siobench -smoke
//
// Scenarios:
//
//   - idle: memory per socket (RSS after a forced collection, before and
//     after connecting, divided by the sockets), goroutines, idle CPU;
//   - broadcast: one broadcast at a time to every socket (-sizes), latency
//     to the last socket and per delivery, deliveries/s, server CPU per
//     delivery;
//   - burst: -burst broadcasts back to back;
//   - echo: echo with acknowledgement at increasing rates (-rates) until
//     p99 passes -p99;
//   - connect: a connect storm, N sockets at once from idle load processes
//     (-storm-concurrency handshakes in flight each): connects/s,
//     failures, handshake latency;
//   - reconnect: N sockets connected, then every load process closes all
//     of its sockets at once and connects them again: time until all are
//     back, failures, the server's memory, goroutines and sockets before
//     and after;
//   - rooms: N sockets in rooms of -room-size, broadcasts to random rooms
//     (-deliveries per second): deliveries/s, latency, CPU per delivery;
//   - slow: -slow-share of the sockets stop reading while broadcasts go on:
//     the others' p99 with and without them, the server's RSS over time,
//     how the stalled ones were disconnected;
//   - mix: -mix-share of the sockets on HTTP long-polling, the rest on
//     WebSocket, broadcasts to all: deliveries/s and latency per transport;
//   - churn: -churn-cycles connect/emit/disconnect cycles over WebSocket
//     and long-polling, then the server's goroutines and live heap against
//     the baseline (pass within -churn-tolerance).
//
// For every run (the order of the targets rotated from one run to the
// next), every socket count and every target, a fresh server is started,
// sampled empty, loaded by ceil(N/-per-proc) bench/cmd/sioload processes
// over distinct loopback source addresses, measured, and stopped. The
// scenarios idle, broadcast, burst and echo given together at the same N
// share that server, in that order; every other scenario has a server of
// its own. rooms, slow, mix and churn need Socket.IO: the raw WebSocket
// targets sit them out. Progress goes to stderr, the Markdown summary to
// stdout; with -out-dir the records (JSON lines), the summary and SVG plots
// are written there too. Run it from inside the module.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/siogate/siogate/bench/internal/proc"
)

func main() {
	var (
		scenarios   = flag.String("scenario", "idle", "comma-separated scenarios: idle, broadcast, burst, echo, connect, reconnect, rooms, slow, mix, churn (or all)")
		targets     = flag.String("targets", "siogate,node,wsecho,baseline", "comma-separated targets: siogate, node, wsecho, baseline, nbio (lesismal/nbio, raw WebSocket, built from the nested module bench/nbio)")
		ns          = flag.String("n", "1000,5000,10000,19000", "socket counts of every scenario but echo and churn")
		runs        = flag.Int("runs", 3, "runs; the target order rotates between runs")
		sizesFlag   = flag.String("sizes", "64,1024", "broadcast payload sizes in bytes")
		broadcasts  = flag.Int("broadcasts", 0, "single broadcasts timed per size (0: about 50,000 deliveries, 5 to 50)")
		burst       = flag.Int("burst", 20, "broadcasts per burst")
		echoN       = flag.Int("echo-n", 1000, "sockets of the echo scenario")
		echoProcs   = flag.Int("echo-procs", 2, "load processes of the echo scenario (at least)")
		rates       = flag.String("rates", "1000,2000,4000,8000,12000,16000,24000,32000,48000,64000,96000,128000", "offered echo rates per second, increasing")
		step        = flag.Duration("step", 3*time.Second, "echo: sending time per rate")
		drain       = flag.Duration("drain", 2*time.Second, "echo: longest wait for the last acknowledgements")
		p99         = flag.Duration("p99", 50*time.Millisecond, "echo: a rate passes while its p99 stays within this")
		echoSize    = flag.Int("echo-size", 64, "echo payload size in bytes")
		echoAll     = flag.Bool("echo-all", false, "echo: keep stepping after the first failing rate")
		retry       = flag.Int("retry", 1, "echo: measure a failing rate again up to this many times before stopping")
		perProc     = flag.Int("per-proc", 5000, "sockets per load process (a process may open at most ~20,000 files)")
		concurrency = flag.Int("concurrency", 200, "handshakes in flight per load process")
		settle      = flag.Duration("settle", 3*time.Second, "wait after the last connect before measuring")
		window      = flag.Duration("window", 30*time.Second, "idle: window of the CPU measurement (longer than the 25 s ping interval, so every socket is pinged in it)")
		pause       = flag.Duration("pause", time.Second, "pause between bursts and between echo rates")
		connect     = flag.Duration("connect-timeout", 2*time.Minute, "bound on each connect phase, retries included")
		timeout     = flag.Duration("timeout", 3*time.Hour, "bound on the whole run; every child process is stopped when it passes")
		outDir      = flag.String("out-dir", "", "write <scenarios>-<tag>.jsonl, .md and SVG plots into this directory")
		tag         = flag.String("tag", "{date}", `file name tag ("{date}" is replaced by the date)`)
		stormConc   = flag.Int("storm-concurrency", 1000, "connect, reconnect: handshakes in flight per load process")
		deliveries  = flag.Float64("deliveries", 20000, "rooms, slow, mix: offered deliveries per second (broadcasts per second = this / sockets reached)")
		phaseDur    = flag.Duration("phase", 10*time.Second, "rooms, mix: sending time")
		roomSize    = flag.Int("room-size", 10, "rooms: sockets per room")
		slowShare   = flag.Float64("slow-share", 0.05, "slow: share of the sockets that stop reading")
		slowSize    = flag.Int("slow-size", 4096, "slow: broadcast payload in bytes")
		slowRate    = flag.Float64("slow-rate", 0, "slow: broadcasts per second (0: -deliveries / sockets)")
		slowPhase   = flag.Duration("slow-phase", 10*time.Second, "slow: each of the two phases (both must end before the stalled sockets' first missed ping times out, 45 s after connecting)")
		slowQueued  = flag.Int("slow-max-queued", 32<<10, "slow: siogate's per-client outbound queue limit (-max-queued), bytes")
		slowRcvBuf  = flag.Int("slow-rcvbuf", 8<<10, "slow: SO_RCVBUF of the clients' sockets (the kernel doubles it)")
		slowMSS     = flag.Int("slow-mss", 1460, "slow: TCP_MAXSEG of the clients' sockets (loopback's 64 KiB segments let the server's kernel buffer megabytes per socket)")
		mixShare    = flag.Float64("mix-share", 0.2, "mix: share of the sockets on HTTP long-polling")
		pollPerProc = flag.Int("poll-per-proc", 2500, "mix: long-polling sockets per load process (one goroutine each)")
		churnN      = flag.Int("churn-cycles", 200000, "churn: connect/emit/disconnect cycles")
		churnWarm   = flag.Int("churn-warmup", 20000, "churn: cycles before the baseline is taken (the Go runtime keeps a descriptor for every goroutine it ever ran at once, and maps keep their peak size: the warm-up, at the same concurrency, reaches most of that peak)")
		churnConc   = flag.Int("churn-concurrency", 100, "churn: cycles in flight per load process (one WebSocket process, one polling)")
		churnPoll   = flag.Float64("churn-polling", 0.5, "churn: share of the cycles over long-polling")
		churnSettle = flag.Duration("churn-settle", 60*time.Second, "churn, reconnect: longest wait for the goroutines and heap to come back (idle handler workers expire after 10 s; closed polling sessions linger for pingInterval+pingTimeout, 45 s)")
		churnTol    = flag.Float64("churn-tolerance", 0.05, "churn: goroutines and live heap must come back within this share of the baseline")
		heapProf    = flag.String("heap-profile", "", "idle, churn: write the Go targets' heap profiles (/debug/pprof/heap) into this directory: idle with the sockets connected, churn at the baseline and at the end (for go tool pprof -base); run with GODEBUG=memprofilerate=1 to see every allocation")
		smoke       = flag.Bool("smoke", false, "a few hundred sockets and a few seconds per target, every scenario and target, one run")
		verbose     = flag.Bool("v", false, "copy the children's stderr to ours")
	)
	flag.Parse()

	cfg := &config{
		Runs: *runs, Broadcasts: *broadcasts, Burst: *burst,
		EchoN: *echoN, EchoProcs: *echoProcs, Step: *step, Drain: *drain, P99Limit: *p99,
		EchoSize: *echoSize, EchoAll: *echoAll, Retry: *retry, PerProc: *perProc, Concurrency: *concurrency,
		Settle: *settle, Window: *window, Pause: *pause, ConnectTimeout: *connect,
		Octet:    20 + rand.IntN(200),
		Progress: os.Stderr,

		StormConcurrency: *stormConc, Deliveries: *deliveries, Phase: *phaseDur, Tail: 2 * time.Second, ResumeWait: 2 * time.Second, RoomSize: *roomSize,
		SlowShare: *slowShare, SlowSize: *slowSize, SlowRate: *slowRate, SlowPhase: *slowPhase, SlowMaxQueued: *slowQueued, SlowRcvBuf: *slowRcvBuf, SlowMSS: *slowMSS,
		MixShare: *mixShare, PollPerProc: *pollPerProc,
		ChurnCycles: *churnN, ChurnWarmup: *churnWarm, ChurnConcurrency: *churnConc, ChurnPolling: *churnPoll,
		ChurnSettle: *churnSettle, ChurnTolerance: *churnTol, HeapProfile: *heapProf,
	}
	if *verbose {
		cfg.Verbose = os.Stderr
	}
	var err error
	cfg.Scenarios = splitList(*scenarios)
	if len(cfg.Scenarios) == 1 && cfg.Scenarios[0] == "all" {
		cfg.Scenarios = allScenarios
	}
	if cfg.Targets, err = resolveTargets(splitList(*targets)); err != nil {
		fatal(err)
	}
	if cfg.Ns, err = parseInts(*ns); err != nil {
		fatal(fmt.Errorf("-n: %w", err))
	}
	if cfg.Sizes, err = parseInts(*sizesFlag); err != nil {
		fatal(fmt.Errorf("-sizes: %w", err))
	}
	if cfg.Rates, err = parseFloats(*rates); err != nil {
		fatal(fmt.Errorf("-rates: %w", err))
	}
	if *smoke {
		smokeConfig(cfg)
	}
	if err := cfg.validate(); err != nil {
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
	var base string
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			fatal(err)
		}
		base = filepath.Join(*outDir, strings.Join(cfg.Scenarios, "-")+"-"+strings.ReplaceAll(*tag, "{date}", started.Format("2006-01-02")))
		f, err := os.Create(base + ".jsonl")
		if err != nil {
			fatal(err)
		}
		defer f.Close()
		cfg.Out = newJSONLines(f)
		_ = cfg.Out.write(cfg.meta(started))
	}

	records, runErr := run(ctx, cfg)
	names := make([]string, len(cfg.Targets))
	for i, t := range cfg.Targets {
		names[i] = t.Name
	}
	var md strings.Builder
	writeSummary(&md, records, names)
	fmt.Print(md.String())
	if base != "" && len(records) > 0 {
		m := cfg.meta(started)
		head := fmt.Sprintf("# siobench %s\n\n%s, go %s, node %s, %d CPUs, kernel %s, commit %s.\n\n```sh\n%s\n```\n\n",
			strings.Join(cfg.Scenarios, ", "), m.Date, m.Go, m.Node, m.CPUs, m.Kernel, m.Commit, m.Command)
		if err := os.WriteFile(base+".md", []byte(head+md.String()), 0o644); err != nil {
			fatal(err)
		}
		files, err := writePlots(filepath.Dir(base), filepath.Base(base), records, names)
		if err != nil {
			fatal(err)
		}
		fmt.Fprintf(os.Stderr, "siobench: wrote %s.jsonl, %s.md and %d plots\n", base, base, len(files))
	}
	if runErr != nil {
		fatal(runErr)
	}
	for _, r := range records {
		if r.Error == "" {
			return
		}
	}
	fatal(errors.New("no measurement succeeded"))
}

// smokeConfig shrinks cfg to a few hundred sockets and a few seconds per
// target, every scenario and every target, one run.
func smokeConfig(cfg *config) {
	cfg.Scenarios = allScenarios
	cfg.Targets = builtinTargets
	cfg.Ns = []int{200}
	cfg.Runs = 1
	cfg.Sizes = []int{64}
	cfg.Broadcasts = 3
	cfg.Burst = 5
	cfg.EchoN, cfg.EchoProcs = 200, 2
	cfg.Rates = []float64{500, 1000}
	cfg.Step, cfg.Drain = 500*time.Millisecond, time.Second
	cfg.P99Limit = time.Second // a smoke test checks the plumbing, not the speed
	cfg.Settle, cfg.Window, cfg.Pause = 200*time.Millisecond, 500*time.Millisecond, 200*time.Millisecond
	cfg.ConnectTimeout = 20 * time.Second
	cfg.EchoAll = true
	cfg.StormConcurrency = 100
	cfg.Deliveries, cfg.Phase, cfg.Tail, cfg.ResumeWait, cfg.RoomSize = 4000, time.Second, 300*time.Millisecond, 500*time.Millisecond, 10
	// 10 stalled sockets, cut within about a second: 40 broadcasts/s of
	// 4 KiB against a 32 KiB limit and small kernel buffers (about 110 KiB
	// per stalled socket in all); a reading socket would have to lag half
	// a second to be cut.
	cfg.SlowShare, cfg.SlowSize, cfg.SlowMaxQueued, cfg.SlowRcvBuf, cfg.SlowMSS = 0.05, 4096, 32<<10, 8<<10, 1460
	cfg.SlowRate, cfg.SlowPhase = 40, 2*time.Second
	cfg.MixShare, cfg.PollPerProc = 0.25, 2500
	cfg.ChurnCycles, cfg.ChurnWarmup, cfg.ChurnConcurrency, cfg.ChurnPolling = 2000, 200, 20, 0.5
	cfg.ChurnSettle, cfg.ChurnTolerance = time.Second, 0.05
}

func (cfg *config) validate() error {
	for _, sc := range cfg.Scenarios {
		if !slices.Contains(allScenarios, sc) {
			return fmt.Errorf("unknown scenario %q (%s, or all)", sc, strings.Join(allScenarios, ", "))
		}
	}
	switch {
	case len(cfg.Scenarios) == 0:
		return errors.New("no scenario")
	case cfg.Runs <= 0 || cfg.PerProc <= 0 || cfg.Concurrency <= 0 || cfg.EchoN <= 0 || cfg.EchoProcs <= 0 || cfg.Burst <= 0:
		return errors.New("-runs, -per-proc, -concurrency, -echo-n, -echo-procs and -burst must be > 0")
	case cfg.Step <= 0 || cfg.Window <= 0:
		return errors.New("-step and -window must be > 0")
	case cfg.StormConcurrency <= 0 || cfg.Deliveries <= 0 || cfg.Phase <= 0 || cfg.RoomSize <= 0 || cfg.PollPerProc <= 0:
		return errors.New("-storm-concurrency, -deliveries, -phase, -room-size and -poll-per-proc must be > 0")
	case cfg.SlowShare <= 0 || cfg.SlowShare >= 1 || cfg.MixShare < 0 || cfg.MixShare >= 1 || cfg.ChurnPolling < 0 || cfg.ChurnPolling > 1:
		return errors.New("-slow-share must be in (0, 1), -mix-share in [0, 1), -churn-polling in [0, 1]")
	case cfg.SlowSize <= 0 || cfg.SlowPhase <= 0 || cfg.SlowRate < 0 || cfg.SlowMaxQueued < 0 || cfg.SlowRcvBuf < 0 || cfg.SlowMSS < 0:
		return errors.New("-slow-size and -slow-phase must be > 0, -slow-rate, -slow-max-queued, -slow-rcvbuf and -slow-mss >= 0")
	case cfg.ChurnCycles <= 0 || cfg.ChurnWarmup < 0 || cfg.ChurnConcurrency <= 0 || cfg.ChurnTolerance < 0:
		return errors.New("-churn-cycles and -churn-concurrency must be > 0, -churn-warmup and -churn-tolerance >= 0")
	}
	for _, n := range append([]int{cfg.EchoN}, cfg.Ns...) {
		if procs := (n + cfg.PerProc - 1) / cfg.PerProc; max(procs, cfg.EchoProcs) > 120 {
			return fmt.Errorf("%d sockets need more than 120 load processes; raise -per-proc", n)
		}
	}
	return nil
}

// meta describes the run and the machine.
func (cfg *config) meta(started time.Time) meta {
	m := meta{
		Kind:    "meta",
		Date:    started.UTC().Format(time.RFC3339),
		Command: "go run ./bench/cmd/siobench " + strings.Join(os.Args[1:], " "),
		Go:      runtime.Version(),
		CPUs:    runtime.NumCPU(),
		Settings: map[string]any{
			"scenarios": cfg.Scenarios, "n": cfg.Ns, "runs": cfg.Runs, "sizes": cfg.Sizes,
			"broadcasts": cfg.Broadcasts, "burst": cfg.Burst, "echo_n": cfg.EchoN, "echo_procs": cfg.EchoProcs,
			"rates": cfg.Rates, "step_ms": cfg.Step.Milliseconds(), "drain_ms": cfg.Drain.Milliseconds(),
			"p99_limit_ms": cfg.P99Limit.Milliseconds(), "echo_size": cfg.EchoSize, "retry": cfg.Retry, "per_proc": cfg.PerProc,
			"concurrency": cfg.Concurrency, "settle_ms": cfg.Settle.Milliseconds(), "window_ms": cfg.Window.Milliseconds(),
			"pause_ms":          cfg.Pause.Milliseconds(),
			"storm_concurrency": cfg.StormConcurrency, "deliveries": cfg.Deliveries, "phase_ms": cfg.Phase.Milliseconds(),
			"room_size": cfg.RoomSize, "slow_share": cfg.SlowShare, "slow_size": cfg.SlowSize, "slow_rate": cfg.SlowRate, "slow_phase_ms": cfg.SlowPhase.Milliseconds(), "slow_max_queued": cfg.SlowMaxQueued,
			"slow_rcvbuf": cfg.SlowRcvBuf, "slow_mss": cfg.SlowMSS, "mix_share": cfg.MixShare, "poll_per_proc": cfg.PollPerProc,
			"churn_cycles": cfg.ChurnCycles, "churn_warmup": cfg.ChurnWarmup, "churn_concurrency": cfg.ChurnConcurrency,
			"churn_polling": cfg.ChurnPolling, "churn_settle_ms": cfg.ChurnSettle.Milliseconds(), "churn_tolerance": cfg.ChurnTolerance,
		},
	}
	if b, err := exec.Command("node", "--version").Output(); err == nil {
		m.Node = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				m.MemTotal = kb * 1024
			}
		}
	}
	cmd := exec.Command("git", "describe", "--always", "--dirty")
	cmd.Dir = cfg.Root
	if b, err := cmd.Output(); err == nil {
		m.Commit = strings.TrimSpace(string(b))
	}
	return m
}

func numCPU() int { return runtime.NumCPU() }

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "siobench:", err)
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

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("empty list")
	}
	return out, nil
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range splitList(s) {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil || x <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, x)
	}
	if len(out) == 0 {
		return nil, errors.New("empty list")
	}
	return out, nil
}
