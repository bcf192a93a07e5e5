package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/siogate/siogate/bench/internal/proc"
	"github.com/siogate/siogate/bench/sioload"
)

// loadCmd and loadReply are the line protocol of bench/cmd/sioload.
type (
	loadCmd   = sioload.Command
	loadReply = sioload.Reply
)

// loader is one sioload process. A goroutine started by startFleet splits
// its output into completions and replies; it ends when the process exits.
type loader struct {
	child    *proc.Child
	spec     procSpec
	replies  chan loadReply
	complete chan uint64
	done     map[uint64]bool // completions seen; owned by the fleet's caller
}

// fleet is the load processes of one measurement.
type fleet struct {
	loaders []*loader
}

// procSpec describes one load process.
type procSpec struct {
	n        int  // sockets it connects (at start, or on "connect" when deferred)
	base     int  // sockets of the processes before it: the start of its room numbering
	polling  bool // Socket.IO over long-polling instead of WebSocket
	deferred bool // connect nothing at start (-defer)
	sources  int  // loopback source addresses (default 2)
	conc     int  // handshakes (or churn cycles) in flight (default -concurrency)
	extra    []string
}

// specs splits n sockets over procs WebSocket processes.
func specs(n, procs int) []procSpec {
	out := make([]procSpec, procs)
	base := 0
	for k := range procs {
		share := n / procs
		if k < n%procs {
			share++
		}
		out[k] = procSpec{n: share, base: base}
		base += share
	}
	return out
}

// startFleet starts procs load processes sharing n sockets, each dialing
// from two loopback source addresses of its own.
func startFleet(cfg *config, bin string, t target, addr string, n, procs, seq int) (*fleet, error) {
	return startSpecs(cfg, bin, t, addr, specs(n, procs), seq)
}

// startSpecs starts one load process per spec, each dialing from loopback
// source addresses of its own.
func startSpecs(cfg *config, bin string, t target, addr string, ps []procSpec, seq int) (*fleet, error) {
	f := &fleet{}
	first := 0
	for k, ps := range ps {
		transport := "websocket"
		if ps.polling {
			transport = "polling"
		}
		srcs := max(ps.sources, 2)
		argv := []string{bin, "-addr", addr, "-mode", t.Mode.String(), "-transport", transport, "-n", fmt.Sprint(ps.n),
			"-src", cfg.sourceRange(seq, first, srcs), "-concurrency", fmt.Sprint(cmp.Or(ps.conc, cfg.Concurrency)),
			"-deadline", cfg.ConnectTimeout.String(), "-hold", "2h"}
		first += srcs
		if ps.deferred {
			argv = append(argv, "-defer")
		}
		argv = append(argv, ps.extra...)
		c, err := proc.Start(fmt.Sprintf("sioload-%d", k), argv, proc.StartOptions{Stdin: true, Stderr: cfg.Verbose})
		if err != nil {
			f.close()
			return nil, err
		}
		l := &loader{child: c, spec: ps, replies: make(chan loadReply, 16), complete: make(chan uint64, 1<<16), done: map[uint64]bool{}}
		go l.dispatch()
		f.loaders = append(f.loaders, l)
	}
	return f, nil
}

// dispatch reads the process's lines until it exits.
func (l *loader) dispatch() {
	handle := func(line string) {
		var r loadReply
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			r = loadReply{Ev: "error", Error: fmt.Sprintf("bad line %q: %v", line, err)}
		}
		if r.Ev == "complete" && r.ID != nil {
			l.complete <- *r.ID
			return
		}
		l.replies <- r
	}
	for {
		select {
		case line := <-l.child.Lines():
			handle(line)
		case <-l.child.Done():
			for {
				select {
				case line := <-l.child.Lines():
					handle(line)
				default:
					close(l.replies)
					return
				}
			}
		}
	}
}

// reply waits for the next reply of l.
func (l *loader) reply(ctx context.Context, timeout time.Duration) (loadReply, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r, ok := <-l.replies:
		if !ok {
			return r, fmt.Errorf("load process exited: %s", l.child.Describe())
		}
		if r.Ev == "error" {
			return r, fmt.Errorf("%s: %s", l.child.Name, r.Error)
		}
		return r, nil
	case <-t.C:
		// A Go process dumps its goroutines on SIGQUIT: keep them for the
		// error, they tell where it is stuck.
		_ = l.child.Signal(syscall.SIGQUIT)
		l.child.Wait(2 * time.Second)
		return loadReply{}, fmt.Errorf("%s: no reply in %v; %s", l.child.Name, timeout, l.child.Describe())
	case <-ctx.Done():
		return loadReply{}, ctx.Err()
	}
}

// connected waits for every process's connect report and sums them.
func (f *fleet) connected(ctx context.Context, timeout time.Duration) (sioload.Result, error) {
	rs := make([]loadReply, len(f.loaders))
	for i, l := range f.loaders {
		r, err := l.reply(ctx, timeout)
		if err != nil {
			return sioload.Result{}, err
		}
		rs[i] = r
	}
	return sumConnected(rs)
}

// ready waits for every deferred process's "ready" line.
func (f *fleet) ready(ctx context.Context) error {
	for _, l := range f.loaders {
		r, err := l.reply(ctx, 30*time.Second)
		if err != nil {
			return err
		}
		if r.Ev != "ready" {
			return fmt.Errorf("%s: unexpected %+v", l.child.Name, r)
		}
	}
	return nil
}

// sumConnected adds up the connect reports of several processes.
func sumConnected(rs []loadReply) (sioload.Result, error) {
	var sum sioload.Result
	sum.Errors = map[string]int{}
	for _, r := range rs {
		if r.Ev != "connected" || r.Result == nil {
			return sum, fmt.Errorf("unexpected reply %+v", r)
		}
		sum.Connected += r.Result.Connected
		sum.Failed += r.Result.Failed
		sum.Retries += r.Result.Retries
		sum.Elapsed = max(sum.Elapsed, r.Result.Elapsed)
		for k, v := range r.Result.Errors {
			sum.Errors[k] += v
		}
		if sum.FirstError == "" {
			sum.FirstError = r.Result.FirstError
		}
		sum.Handshake.Merge(&r.Result.Handshake)
	}
	return sum, nil
}

// all sends c to every process and returns their replies in order.
func (f *fleet) all(ctx context.Context, c loadCmd, timeout time.Duration) ([]loadReply, error) {
	return f.some(ctx, f.loaders, c, timeout)
}

// some sends c to the processes ls, all at once, and returns their replies
// in order.
func (f *fleet) some(ctx context.Context, ls []*loader, c loadCmd, timeout time.Duration) ([]loadReply, error) {
	b, _ := json.Marshal(c)
	for _, l := range ls {
		if err := l.child.Send(string(b)); err != nil {
			return nil, fmt.Errorf("%s: %w", l.child.Name, err)
		}
	}
	out := make([]loadReply, len(ls))
	var errs []error
	for i, l := range ls {
		r, err := l.reply(ctx, timeout)
		out[i] = r
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// each sends every process the command cmd(its spec), all at once, and
// returns their replies in order.
func (f *fleet) each(ctx context.Context, cmd func(procSpec) loadCmd, timeout time.Duration) ([]loadReply, error) {
	for _, l := range f.loaders {
		b, _ := json.Marshal(cmd(l.spec))
		if err := l.child.Send(string(b)); err != nil {
			return nil, fmt.Errorf("%s: %w", l.child.Name, err)
		}
	}
	out := make([]loadReply, len(f.loaders))
	var errs []error
	for i, l := range f.loaders {
		r, err := l.reply(ctx, timeout)
		out[i] = r
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// one sends c to process 0 and returns its reply.
func (f *fleet) one(ctx context.Context, c loadCmd, timeout time.Duration) (loadReply, error) {
	b, _ := json.Marshal(c)
	l := f.loaders[0]
	if err := l.child.Send(string(b)); err != nil {
		return loadReply{}, err
	}
	return l.reply(ctx, timeout)
}

// mark resets every process's statistics.
func (f *fleet) mark(ctx context.Context) error {
	_, err := f.all(ctx, loadCmd{Cmd: "mark"}, 30*time.Second)
	return err
}

// stats returns the statistics of every process since its mark, merged,
// and the per-process ones.
func (f *fleet) stats(ctx context.Context) (merged sioload.Stats, each []sioload.Stats, err error) {
	rs, err := f.all(ctx, loadCmd{Cmd: "stats"}, 30*time.Second)
	if err != nil {
		return merged, nil, err
	}
	for _, r := range rs {
		if r.Stats == nil {
			return merged, nil, errors.New("stats reply without stats")
		}
		each = append(each, *r.Stats)
	}
	return mergeStats(each), each, nil
}

// waitComplete waits until every process has reported every id complete,
// or timeout passes. It returns how many ids completed everywhere.
func (f *fleet) waitComplete(ctx context.Context, ids []uint64, timeout time.Duration) (int, error) {
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
loaders:
	for _, l := range f.loaders {
		for !allSeen(l.done, ids) {
			select {
			case id := <-l.complete:
				l.done[id] = true
			case <-l.child.Done():
				return 0, fmt.Errorf("load process exited: %s", l.child.Describe())
			case <-dctx.Done():
				if err := ctx.Err(); err != nil {
					return 0, err
				}
				break loaders
			}
		}
	}
	n := 0
	for _, id := range ids {
		everywhere := true
		for _, l := range f.loaders {
			everywhere = everywhere && l.done[id]
		}
		if everywhere {
			n++
		}
	}
	return n, nil
}

func allSeen(done map[uint64]bool, ids []uint64) bool {
	for _, id := range ids {
		if !done[id] {
			return false
		}
	}
	return true
}

// pids returns the process ids of the load processes.
func (f *fleet) pids() []int {
	out := make([]int, len(f.loaders))
	for i, l := range f.loaders {
		out[i] = l.child.Pid()
	}
	return out
}

// close asks every process to close its sockets, then stops it.
func (f *fleet) close() {
	for _, l := range f.loaders {
		_ = l.child.Send(`{"cmd":"close"}`)
	}
	for _, l := range f.loaders {
		if !l.child.Wait(15 * time.Second) {
			l.child.Stop(2 * time.Second)
		}
	}
}

// mergeStats adds up the statistics of several processes. Broadcasts of
// the same id are combined: counts summed, the last receive kept.
func mergeStats(each []sioload.Stats) sioload.Stats {
	var m sioload.Stats
	byID := map[uint64]int{}
	for _, s := range each {
		m.Ready += s.Ready
		m.Closed += s.Closed
		for k, v := range s.CloseReasons {
			if m.CloseReasons == nil {
				m.CloseReasons = map[string]int{}
			}
			m.CloseReasons[k] += v
		}
		m.Pings += s.Pings
		m.Emitted += s.Emitted
		m.RoomExpected += s.RoomExpected
		m.Stalled += s.Stalled
		m.StalledClosed += s.StalledClosed
		for k, v := range s.StalledReasons {
			if m.StalledReasons == nil {
				m.StalledReasons = map[string]int{}
			}
			m.StalledReasons[k] += v
		}
		m.Messages += s.Messages
		m.RecvBytes += s.RecvBytes
		m.Other += s.Other
		m.Deliveries += s.Deliveries
		m.Stale += s.Stale
		m.BroadcastLatency.Merge(&s.BroadcastLatency)
		m.EchoSent += s.EchoSent
		m.EchoAcked += s.EchoAcked
		m.EchoLatency.Merge(&s.EchoLatency)
		m.ProtocolErrors += s.ProtocolErrors
		if m.FirstError == "" {
			m.FirstError = s.FirstError
		}
		if m.EchoStartNs == 0 || (s.EchoStartNs != 0 && s.EchoStartNs < m.EchoStartNs) {
			m.EchoStartNs = s.EchoStartNs
		}
		m.EchoEndNs = max(m.EchoEndNs, s.EchoEndNs)
		for _, b := range s.Broadcasts {
			i, ok := byID[b.ID]
			if !ok {
				byID[b.ID] = len(m.Broadcasts)
				m.Broadcasts = append(m.Broadcasts, b)
				continue
			}
			mb := &m.Broadcasts[i]
			mb.Count += b.Count
			mb.LastNs = max(mb.LastNs, b.LastNs)
		}
	}
	return m
}
