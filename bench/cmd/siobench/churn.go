package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/siogate/siogate/bench/sioload"
)

// churnSample is the server's state after a forced collection.
type churnSample struct {
	goroutines int // Go targets
	heap       int64
	rss        int64
}

// churn runs the churn soak: N connect/emit/disconnect cycles, a share
// over long-polling, cfg.ChurnConcurrency at a time in each of two load
// processes (one per transport). The baseline is taken after a warm-up of
// cfg.ChurnWarmup cycles (pools and caches that a server fills once are
// not a leak, nor are the descriptors the Go runtime keeps, for reuse, of
// every goroutine it ran at the busiest moment), once the figures are
// back to the fresh server's or
// cfg.ChurnSettle has passed (idle handler workers expire after 10 s,
// closed polling sessions after a heartbeat period); after the churn the
// figures are sampled every second for up to cfg.ChurnSettle, half way and
// at the end (the second half's growth per cycle separates a leak from a
// high-water mark). Figures are
// read after a forced collection. It passes when the goroutines (Go
// targets) and the live heap come back within cfg.ChurnTolerance of the
// baseline and no cycle failed.
func (a *alone) churn(ctx context.Context) (record, error) {
	cycles := a.n
	polling := int(a.cfg.ChurnPolling*float64(cycles) + 0.5)
	warmPolling := int(a.cfg.ChurnPolling*float64(a.cfg.ChurnWarmup) + 0.5)
	var ps []procSpec
	if cycles > polling {
		ps = append(ps, procSpec{n: cycles - polling, deferred: true, sources: 8, conc: a.cfg.ChurnConcurrency})
	}
	if polling > 0 {
		ps = append(ps, procSpec{n: polling, deferred: true, sources: 8, conc: a.cfg.ChurnConcurrency, polling: true})
	}
	r := a.base("churn")
	r.Warmup, r.Tolerance = a.cfg.ChurnWarmup, a.cfg.ChurnTolerance
	fresh, err := a.churnSample(ctx)
	if err != nil {
		return r, err
	}
	r.GoroutinesFresh, r.HeapFresh = fresh.goroutines, fresh.heap
	if err := a.start(ctx, ps); err != nil {
		return r, err
	}
	r.LoadProcs = len(ps)
	if a.cfg.ChurnWarmup > 0 {
		if _, err := a.churnRun(ctx, a.cfg.ChurnWarmup-warmPolling, warmPolling); err != nil {
			return r, err
		}
	}
	// The baseline: back to the fresh server's figures, or after the whole
	// settle time, whatever the warm-up left (closed polling sessions
	// linger for a heartbeat period, with no other sign than memory).
	tol := 1 + a.cfg.ChurnTolerance
	base, _, err := a.settle(ctx, func(s churnSample) bool {
		return s.goroutines <= fresh.goroutines && float64(s.heap) <= float64(fresh.heap)*tol
	})
	if err != nil {
		return r, err
	}
	r.GoroutinesBase, r.HeapBase, r.RSSBefore = base.goroutines, base.heap, base.rss
	if err := a.srv.writeHeapProfile(ctx, a.cfg, "churn-baseline"); err != nil {
		return r, err
	}

	within := func(s churnSample) bool {
		return float64(s.heap) <= float64(base.heap)*tol && (!a.t.GoRuntime || float64(s.goroutines) <= float64(base.goroutines)*tol)
	}
	// Two halves, each followed by the settle: what the second half adds
	// tells a leak (it grows with the cycles) from a high-water mark (a
	// map sized for the busiest moment, a one-time cache).
	var all sioload.ChurnResult
	var wall time.Duration
	var end churnSample
	var waited time.Duration
	halves := [2][2]int{{(cycles - polling) / 2, polling / 2}}
	halves[1] = [2]int{cycles - polling - halves[0][0], polling - halves[0][1]}
	for i, h := range halves {
		m, err := a.meter()
		if err != nil {
			return r, err
		}
		start := time.Now()
		res, err := a.churnRun(ctx, h[0], h[1])
		wall += time.Since(start)
		if err != nil {
			return r, err
		}
		if _, err := m.stop(&r); err != nil {
			return r, err
		}
		for j, c := range res {
			all.Add(c)
			if a.fleet.loaders[j].spec.polling {
				r.CyclesPolling += c.Cycles
			} else {
				r.CyclesWS += c.Cycles
			}
		}
		if end, waited, err = a.settle(ctx, within); err != nil {
			return r, err
		}
		if i == 0 {
			r.GoroutinesHalf, r.HeapHalf = end.goroutines, end.heap
		}
	}
	r.Cycles, r.CyclesFailed = all.Cycles, all.Failed
	r.CycleErrors = errorsString(all.Errors)
	r.CyclesPerSec = round(float64(all.Cycles)/wall.Seconds(), 0)
	r.CycleP50MS, r.CycleP99MS = usToMS(all.Cycle.Quantile(0.5)), usToMS(all.Cycle.Quantile(0.99))
	if second := halves[1][0] + halves[1][1]; second > 0 {
		r.HeapPerCycle = round(float64(end.heap-r.HeapHalf)/float64(second), 2)
	}
	r.GoroutinesEnd, r.HeapEnd, r.RSSEnd = end.goroutines, end.heap, end.rss
	if err := a.srv.writeHeapProfile(ctx, a.cfg, "churn-end"); err != nil {
		return r, err
	}
	r.SettleMS = waited.Milliseconds()
	pass := within(end) && all.Failed == 0
	r.ChurnPass = &pass
	a.cfg.progress("%s churn: %d cycles (%d WebSocket, %d polling), %d failed, %.0f/s, cycle p99 %.1f ms; goroutines %d -> %d -> %d -> %d, heap %.2f -> %.2f -> %.2f -> %.2f MiB (fresh, baseline, half way, after %.0fs; %.2f B/cycle in the second half) -> %s",
		a.t.Name, r.Cycles, r.CyclesWS, r.CyclesPolling, r.CyclesFailed, r.CyclesPerSec, r.CycleP99MS,
		r.GoroutinesFresh, r.GoroutinesBase, r.GoroutinesHalf, r.GoroutinesEnd, mib(r.HeapFresh), mib(r.HeapBase), mib(r.HeapHalf), mib(r.HeapEnd),
		waited.Seconds(), r.HeapPerCycle, passWord(pass))
	return r, nil
}

// churnRun runs ws cycles in the WebSocket load process and poll in the
// polling one, at once (a process with none to run is left alone), and
// returns each process's result, in fleet order.
func (a *alone) churnRun(ctx context.Context, ws, poll int) ([]sioload.ChurnResult, error) {
	out := make([]sioload.ChurnResult, len(a.fleet.loaders))
	var busy []*loader
	for _, l := range a.fleet.loaders {
		n := ws
		if l.spec.polling {
			n = poll
		}
		if n <= 0 {
			continue
		}
		b, _ := json.Marshal(loadCmd{Cmd: "churn", Count: n, Concurrency: a.cfg.ChurnConcurrency, Size: 64})
		if err := l.child.Send(string(b)); err != nil {
			return nil, fmt.Errorf("%s: %w", l.child.Name, err)
		}
		busy = append(busy, l)
	}
	for _, l := range busy {
		rep, err := l.reply(ctx, 2*time.Hour)
		if err != nil {
			return nil, err
		}
		if rep.Churn == nil {
			return nil, errors.New("churn reply without a result")
		}
		out[slices.Index(a.fleet.loaders, l)] = *rep.Churn
	}
	return out, nil
}

// churnSample reads the server after a forced collection.
func (a *alone) churnSample(ctx context.Context) (churnSample, error) {
	st, p, err := a.srv.settledStats(ctx)
	if err != nil {
		return churnSample{}, err
	}
	return churnSample{goroutines: st.Goroutines, heap: st.heap(), rss: p.RSS}, nil
}

// settle samples the server every second until ok holds or
// cfg.ChurnSettle passes, and returns the last sample and the wait.
func (a *alone) settle(ctx context.Context, ok func(churnSample) bool) (churnSample, time.Duration, error) {
	start := time.Now()
	for {
		s, err := a.churnSample(ctx)
		if err != nil || ok(s) || time.Since(start) >= a.cfg.ChurnSettle {
			return s, time.Since(start), err
		}
		if err := sleep(ctx, time.Second); err != nil {
			return s, time.Since(start), err
		}
	}
}
