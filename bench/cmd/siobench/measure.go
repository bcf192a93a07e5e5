package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/siogate/siogate/bench/internal/proc"
	"github.com/siogate/siogate/bench/sioload"
)

// config is one harness run.
type config struct {
	Root      string // module root: go build runs there, the Node script is found there
	Scenarios []string
	Targets   []target
	Ns        []int // sockets for idle, broadcast and burst
	Runs      int

	PerProc     int // sockets per load process
	Concurrency int // handshakes in flight per load process
	Settle      time.Duration
	Window      time.Duration // idle window
	Pause       time.Duration // between bursts and between echo rates

	Sizes      []int // payload sizes of broadcasts
	Broadcasts int   // single broadcasts per size; 0: chosen from N
	Burst      int   // broadcasts per burst

	EchoN     int // sockets of the echo scenario
	EchoProcs int
	Rates     []float64
	Step      time.Duration // echo: sending time per rate
	Drain     time.Duration // echo: wait for the last acks
	P99Limit  time.Duration // echo: the rate passes while p99 stays under it
	EchoSize  int
	EchoAll   bool // echo: keep stepping after the first failing rate
	Retry     int  // echo: measurements more of a failing rate

	ConnectTimeout time.Duration
	Octet          int // second octet of the loopback source addresses

	// The scenarios that run alone on their server (storm.go, rooms.go,
	// slow.go, mix.go, churn.go).
	StormConcurrency int           // connect, reconnect: handshakes in flight per process
	Deliveries       float64       // rooms, slow, mix: offered deliveries per second
	Phase            time.Duration // rooms, mix: sending time
	Tail             time.Duration // rooms, slow, mix: wait for the last deliveries after a phase
	ResumeWait       time.Duration // slow: wait after the stalled sockets read again
	RoomSize         int
	SlowShare        float64       // share of sockets that stop reading
	SlowRate         float64       // broadcasts per second of the slow scenario (0: from Deliveries)
	SlowPhase        time.Duration // each of the slow scenario's two phases
	SlowSize         int           // payload of the slow scenario's broadcasts
	SlowMaxQueued    int           // siogate's -max-queued in the slow scenario
	SlowRcvBuf       int           // SO_RCVBUF of the slow scenario's sockets
	SlowMSS          int           // TCP_MAXSEG of the slow scenario's sockets
	MixShare         float64       // share of sockets on long-polling
	PollPerProc      int           // polling sockets per load process
	ChurnCycles      int
	ChurnWarmup      int
	ChurnConcurrency int     // per load process (one WebSocket, one polling)
	ChurnPolling     float64 // share of the cycles over long-polling
	ChurnSettle      time.Duration
	ChurnTolerance   float64 // goroutines and heap must come back within this share of the baseline
	HeapProfile      string  // idle, churn: write the Go targets' heap profiles here

	Verbose  io.Writer // children's stderr, or nil
	Progress io.Writer
	Out      *jsonLines // records as they are measured, or nil
}

// plan is what runs on one server instance: the sockets and the scenarios.
type plan struct {
	n         int
	scenarios []string
}

// sharedScenarios run one after the other on one server at the same N, in
// this order; every other scenario runs alone on a fresh server.
var sharedScenarios = []string{"idle", "broadcast", "burst", "echo"}

// allScenarios lists every scenario, in the order of -scenario all.
var allScenarios = append(slices.Clone(sharedScenarios), "connect", "reconnect", "rooms", "slow", "mix", "churn")

// plans groups the scenarios by socket count: idle, broadcast and burst at
// every N of -n, echo at -echo-n, sharing one fresh server per N; connect,
// reconnect, rooms, slow and mix each on a fresh server at every N of -n,
// churn on one (its N is the number of cycles).
func (cfg *config) plans() []plan {
	byN := map[int][]string{}
	var out []plan
	for _, sc := range allScenarios {
		if !slices.Contains(cfg.Scenarios, sc) {
			continue
		}
		ns := cfg.Ns
		switch sc {
		case "echo":
			ns = []int{cfg.EchoN}
		case "churn":
			ns = []int{cfg.ChurnCycles}
		}
		for _, n := range ns {
			if slices.Contains(sharedScenarios, sc) {
				byN[n] = append(byN[n], sc)
			} else {
				out = append(out, plan{n: n, scenarios: []string{sc}})
			}
		}
	}
	for n, scs := range byN {
		out = append(out, plan{n: n, scenarios: scs})
	}
	order := func(p plan) int { return slices.Index(allScenarios, p.scenarios[0]) }
	slices.SortStableFunc(out, func(a, b plan) int { return cmp.Or(cmp.Compare(order(a), order(b)), cmp.Compare(a.n, b.n)) })
	return out
}

// sourceRange returns count source addresses for measurement seq,
// starting at number first: 127.O.S.(2+first) and up, with O fixed for the
// run and S = 1 + seq%254. Load process k of a plain fleet gets the two
// from 2k. A fresh S per measurement keeps the previous measurement's
// TIME_WAIT ports out of the way.
func (cfg *config) sourceRange(seq, first, count int) string {
	s := 1 + seq%254
	addrs := make([]string, count)
	for i := range count {
		addrs[i] = fmt.Sprintf("127.%d.%d.%d", cfg.Octet, s, 2+first+i)
	}
	return strings.Join(addrs, ",")
}

func (cfg *config) progress(format string, args ...any) {
	fmt.Fprintf(cfg.Progress, "siobench: "+format+"\n", args...)
}

// run builds everything, then measures every plan for every target in
// every run, the order of the targets rotated from run to run. Every child
// process is stopped before it returns.
func run(ctx context.Context, cfg *config) ([]record, error) {
	tmp, err := os.MkdirTemp("", "siobench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	loadBin := filepath.Join(tmp, "sioload")
	if err := build(ctx, cfg.Root, "", loadBin, "./bench/cmd/sioload"); err != nil {
		return nil, err
	}
	bins := map[string]string{}
	unusable := map[string]string{}
	for _, t := range cfg.Targets {
		if t.Package == "" {
			if err := nodeAvailable(cfg.Root); err != nil {
				unusable[t.Name] = err.Error()
				cfg.progress("target %s: NOT MEASURED, %v", t.Name, err)
			}
			continue
		}
		bins[t.Name] = filepath.Join(tmp, t.Name)
		if err := build(ctx, cfg.Root, t.Module, bins[t.Name], t.Package); err != nil {
			unusable[t.Name] = err.Error()
			cfg.progress("target %s: NOT MEASURED, %v", t.Name, err)
		}
	}

	var out []record
	emit := func(r record) {
		out = append(out, r)
		if err := cfg.Out.write(r); err != nil {
			cfg.progress("write: %v", err)
		}
	}
	seq := 0
	for runNo := range cfg.Runs {
		k := runNo % len(cfg.Targets)
		order := append(slices.Clone(cfg.Targets[k:]), cfg.Targets[:k]...)
		for _, p := range cfg.plans() {
			for _, t := range order {
				if ctx.Err() != nil {
					return out, ctx.Err()
				}
				if !t.supports(p.scenarios[0]) {
					continue
				}
				if why, bad := unusable[t.Name]; bad {
					for _, sc := range p.scenarios {
						emit(record{Scenario: sc, Run: runNo, Target: t.Name, Protocol: t.protocol(), N: p.n, Error: "not measured: " + why})
					}
					continue
				}
				rs := measure(ctx, cfg, t, bins[t.Name], loadBin, p, runNo, seq)
				seq++
				for _, r := range rs {
					emit(r)
				}
			}
		}
	}
	return out, ctx.Err()
}

// build runs go build for pkg in root, or in root/module when module
// names a nested module (a module of its own, with its own go.mod).
func build(ctx context.Context, root, module, out, pkg string) error {
	// -trimpath: stack dumps of a stuck child, kept in the records, carry
	// no path of this machine.
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = filepath.Join(root, module)
	b, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(strings.ReplaceAll(string(b), root, "."))
		if lines := strings.Split(msg, "\n"); len(lines) > 5 {
			msg = strings.Join(lines[:5], "\n") + "\n..."
		}
		what := pkg
		if module != "" {
			what = pkg + " in " + module
		}
		return fmt.Errorf("go build %s failed (%v): %s", what, err, msg)
	}
	return nil
}

// session is one fresh server with its load processes connected.
type session struct {
	cfg     *config
	t       target
	srv     *server
	fleet   *fleet
	n       int
	run     int
	before  serverSample
	connect sioload.Result
	connMS  int64
	procs   int
}

// measure runs the scenarios of p against a fresh instance of t and
// returns their records; a failure is recorded in them.
func measure(ctx context.Context, cfg *config, t target, bin, loadBin string, p plan, runNo, seq int) []record {
	fail := func(err error) []record {
		cfg.progress("%s N=%d run %d: %v", t.Name, p.n, runNo, err)
		var out []record
		for _, sc := range p.scenarios {
			out = append(out, record{Scenario: sc, Run: runNo, Target: t.Name, Protocol: t.protocol(), N: p.n, Error: err.Error()})
		}
		return out
	}
	if !slices.Contains(sharedScenarios, p.scenarios[0]) {
		r, err := measureAlone(ctx, cfg, t, bin, loadBin, p.scenarios[0], p.n, runNo, seq)
		if err != nil {
			cfg.progress("%s N=%d run %d %s: %v", t.Name, p.n, runNo, p.scenarios[0], err)
			r.Scenario, r.Run, r.Target, r.Protocol, r.N = p.scenarios[0], runNo, t.Name, t.protocol(), p.n
			r.Error = err.Error()
		}
		return []record{r}
	}
	s, err := openSession(ctx, cfg, t, bin, loadBin, p, runNo, seq)
	if s != nil {
		defer s.close()
	}
	if err != nil {
		return fail(err)
	}
	var out []record
	for _, sc := range p.scenarios {
		var rs []record
		var err error
		switch sc {
		case "idle":
			rs, err = s.idle(ctx)
		case "broadcast":
			rs, err = s.broadcast(ctx)
		case "burst":
			rs, err = s.burst(ctx)
		case "echo":
			rs, err = s.echo(ctx)
		}
		if err != nil {
			cfg.progress("%s N=%d run %d %s: %v", t.Name, p.n, runNo, sc, err)
			rs = append(rs, s.base(sc))
			rs[len(rs)-1].Error = err.Error()
		}
		out = append(out, rs...)
		if err := s.srv.alive(); err != nil {
			cfg.progress("%s: %v", t.Name, err)
			break
		}
	}
	return out
}

// openSession starts the server, samples it empty, then starts the load
// processes and waits until they are connected.
func openSession(ctx context.Context, cfg *config, t target, bin, loadBin string, p plan, runNo, seq int) (*session, error) {
	srv, err := startServer(ctx, cfg, t, bin)
	if err != nil {
		return nil, err
	}
	s := &session{cfg: cfg, t: t, srv: srv, n: p.n, run: runNo}
	if s.before, err = srv.sample(ctx); err != nil {
		return s, err
	}
	s.procs = (p.n + cfg.PerProc - 1) / cfg.PerProc
	if slices.Contains(p.scenarios, "echo") {
		s.procs = max(s.procs, min(cfg.EchoProcs, p.n))
	}
	cfg.progress("%s N=%d run %d: server up on %s (RSS %.1f MiB); %d load processes", t.Name, p.n, runNo, srv.addr, mib(s.before.proc.RSS), s.procs)
	start := time.Now()
	if s.fleet, err = startFleet(cfg, loadBin, t, srv.addr, p.n, s.procs, seq); err != nil {
		return s, err
	}
	if s.connect, err = s.fleet.connected(ctx, cfg.ConnectTimeout+30*time.Second); err != nil {
		return s, err
	}
	s.connMS = time.Since(start).Milliseconds()
	cfg.progress("%s N=%d: %d connected, %d failed in %.1fs (handshake p50 %.1f ms, p99 %.1f ms)", t.Name, p.n,
		s.connect.Connected, s.connect.Failed, float64(s.connMS)/1000,
		float64(s.connect.Handshake.Quantile(0.5))/1000, float64(s.connect.Handshake.Quantile(0.99))/1000)
	if s.connect.Connected == 0 {
		return s, fmt.Errorf("no socket connected: %s", s.connect.FirstError)
	}
	return s, sleep(ctx, cfg.Settle)
}

// close stops the load processes, then the server.
func (s *session) close() {
	if s.fleet != nil {
		s.fleet.close()
	}
	s.srv.stop()
}

// base returns a record with the session's common fields.
func (s *session) base(scenario string) record {
	r := record{
		Scenario: scenario, Run: s.run, Target: s.t.Name, Protocol: s.t.protocol(), N: s.n,
		Connected: s.connect.Connected, Failed: s.connect.Failed, LoadProcs: s.procs, ConnectMS: s.connMS,
		HandshakeP50MS: usToMS(s.connect.Handshake.Quantile(0.5)),
		HandshakeP99MS: usToMS(s.connect.Handshake.Quantile(0.99)),
		MachineCPUs:    numCPU(),
	}
	if s.connect.Failed > 0 {
		r.ClientError = fmt.Sprintf("%d failed %v, first: %s", s.connect.Failed, s.connect.Errors, s.connect.FirstError)
	}
	return r
}

// meter measures CPU over a phase: the server's, the load processes', and
// the machine's.
type meter struct {
	s       *session
	start   time.Time
	server  int64
	clients int64
	machine proc.Machine
}

func (s *session) meter() (*meter, error) {
	m := &meter{s: s, start: time.Now()}
	var err error
	if m.server, m.clients, m.machine, err = s.cpuNow(); err != nil {
		return nil, err
	}
	return m, nil
}

// cpuNow samples the CPU ticks of the server, the load processes and the
// machine.
func (s *session) cpuNow() (server, clients int64, machine proc.Machine, err error) {
	sv, err := proc.Read(s.srv.pid())
	if err != nil {
		return 0, 0, machine, fmt.Errorf("server: %w; %s", err, s.srv.child.Describe())
	}
	for _, pid := range s.fleet.pids() {
		c, err := proc.Read(pid)
		if err != nil {
			return 0, 0, machine, fmt.Errorf("load process: %w", err)
		}
		clients += c.CPUTicks
	}
	machine, _ = proc.ReadMachine()
	return sv.CPUTicks, clients, machine, nil
}

// phase is the CPU use over a metered phase.
type phase struct {
	wall        time.Duration
	serverMS    float64
	serverPct   float64
	clientPct   float64
	otherPct    float64
	clientRSS   int64
	serverRSSPk int64
}

// stop ends the phase and fills the noise fields of r.
func (m *meter) stop(r *record) (phase, error) {
	server, clients, machine, err := m.s.cpuNow()
	if err != nil {
		return phase{}, err
	}
	var p phase
	p.wall = time.Since(m.start)
	wallMS := float64(p.wall.Milliseconds())
	tickMS := 1000.0 / proc.UserHZ
	p.serverMS = float64(server-m.server) * tickMS
	p.serverPct = pct(p.serverMS, wallMS)
	clientMS := float64(clients-m.clients) * tickMS
	p.clientPct = pct(clientMS, wallMS)
	if machine.Total > 0 {
		busyMS := float64(machine.Busy-m.machine.Busy) * tickMS
		p.otherPct = max(pct(busyMS-p.serverMS-clientMS, wallMS), 0)
	}
	for _, pid := range m.s.fleet.pids() {
		if c, err := proc.Read(pid); err == nil {
			p.clientRSS += c.RSS
		}
	}
	if sv, err := proc.Read(m.s.srv.pid()); err == nil {
		p.serverRSSPk = sv.RSS
	}
	r.WindowMS = p.wall.Milliseconds()
	r.ServerCPUMS = round(p.serverMS, 0)
	r.ServerCPUPct = round(p.serverPct, 1)
	r.ClientCPUPct = round(p.clientPct, 1)
	r.OtherCPUPct = round(p.otherPct, 1)
	r.ClientRSS = p.clientRSS
	r.ServerRSSPeak = p.serverRSSPk
	return p, nil
}

// lost fills the sockets lost since the previous scenario from merged
// statistics.
func (s *session) lost(r *record, st sioload.Stats) {
	r.Lost = st.Closed
	if len(st.CloseReasons) > 0 {
		r.LostReasons = fmt.Sprint(st.CloseReasons)
	}
}

func pct(ms, wallMS float64) float64 {
	if wallMS <= 0 {
		return 0
	}
	return ms / wallMS * 100
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

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
