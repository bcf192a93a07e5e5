package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/siogate/siogate/bench/sioload"
)

// measureAlone runs one of the scenarios that need a server of their own:
// connect, reconnect, rooms, slow, mix, churn. It returns the scenario's
// one record; on error the record holds what was measured before.
func measureAlone(ctx context.Context, cfg *config, t target, bin, loadBin, scenario string, n, runNo, seq int) (record, error) {
	var extra []string
	if scenario == "slow" && t.QueueFlag != "" && cfg.SlowMaxQueued > 0 {
		extra = []string{t.QueueFlag, fmt.Sprint(cfg.SlowMaxQueued)}
	}
	srv, err := startServer(ctx, cfg, t, bin, extra...)
	if err != nil {
		return record{}, err
	}
	s := &session{cfg: cfg, t: t, srv: srv, n: n, run: runNo}
	defer s.close()
	if s.before, err = srv.sample(ctx); err != nil {
		return record{}, err
	}
	cfg.progress("%s %s N=%d run %d: server up on %s (RSS %.1f MiB)", t.Name, scenario, n, runNo, srv.addr, mib(s.before.proc.RSS))
	a := &alone{session: s, loadBin: loadBin, seq: seq}
	switch scenario {
	case "connect":
		return a.connectStorm(ctx)
	case "reconnect":
		return a.reconnectStorm(ctx)
	case "rooms":
		return a.rooms(ctx)
	case "slow":
		return a.slow(ctx)
	case "mix":
		return a.mix(ctx)
	case "churn":
		return a.churn(ctx)
	}
	return record{}, fmt.Errorf("unknown scenario %q", scenario)
}

// alone is a session of a scenario that runs alone on its server.
type alone struct {
	*session
	loadBin string
	seq     int
}

// start starts the load processes of ps and, unless they are deferred,
// waits until they are connected.
func (a *alone) start(ctx context.Context, ps []procSpec) error {
	var err error
	a.procs = len(ps)
	start := time.Now()
	if a.fleet, err = startSpecs(a.cfg, a.loadBin, a.t, a.srv.addr, ps, a.seq); err != nil {
		return err
	}
	if ps[0].deferred {
		return a.fleet.ready(ctx)
	}
	if a.connect, err = a.fleet.connected(ctx, a.cfg.ConnectTimeout+30*time.Second); err != nil {
		return err
	}
	a.connMS = time.Since(start).Milliseconds()
	a.cfg.progress("%s N=%d: %d connected, %d failed in %.1fs", a.t.Name, a.n, a.connect.Connected, a.connect.Failed, float64(a.connMS)/1000)
	if a.connect.Connected == 0 {
		return fmt.Errorf("no socket connected: %s", a.connect.FirstError)
	}
	return sleep(ctx, a.cfg.Settle)
}

// procsFor returns how many processes hold n sockets at per sockets each.
func procsFor(n, per int) int { return max((n+per-1)/per, 1) }

// rateFor returns the broadcasts per second that offer cfg.Deliveries
// deliveries per second to n sockets, at least one.
func (cfg *config) rateFor(n int) float64 {
	return max(cfg.Deliveries/float64(max(n, 1)), 1)
}

// pacedStats sends c to process 0 (a paced broadcast from one of its
// sockets) after marking every process, and returns the merged statistics
// of every process once process 0 has drained, with each one's.
func (a *alone) pacedStats(ctx context.Context, c loadCmd) (sioload.Stats, []sioload.Stats, error) {
	if err := a.fleet.mark(ctx); err != nil {
		return sioload.Stats{}, nil, err
	}
	if _, err := a.fleet.one(ctx, c, time.Duration(c.DurationMS+c.DrainMS)*time.Millisecond+30*time.Second); err != nil {
		return sioload.Stats{}, nil, err
	}
	return a.fleet.stats(ctx)
}

// errorsString formats a count by class, most frequent first: "close-1008
// ×20, eof ×2", or "" for none.
func errorsString[V int | uint64](m map[string]V) string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), strings.Compare(a, b)) })
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// mergeReplies merges the statistics carried by replies.
func mergeReplies(reps []loadReply) (sioload.Stats, error) {
	each := make([]sioload.Stats, 0, len(reps))
	for _, rep := range reps {
		if rep.Stats == nil {
			return sioload.Stats{}, fmt.Errorf("reply without statistics: %+v", rep)
		}
		each = append(each, *rep.Stats)
	}
	return mergeStats(each), nil
}
