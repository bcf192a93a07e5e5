package main

import (
	"context"

	"github.com/siogate/siogate/bench/sioload"
)

// mix connects cfg.MixShare of the N sockets over HTTP long-polling (one
// goroutine per socket in their load processes, at most cfg.PollPerProc
// each) and the rest over WebSocket, then has one WebSocket socket emit
// "broadcast" at a paced rate for cfg.Phase: deliveries/s and latency per
// transport, server CPU per delivery.
func (a *alone) mix(ctx context.Context) (record, error) {
	np := int(a.cfg.MixShare*float64(a.n) + 0.5)
	nws := a.n - np
	if nws < 1 {
		nws, np = 1, a.n-1
	}
	ps := specs(nws, procsFor(nws, a.cfg.PerProc))
	if np > 0 {
		for _, p := range specs(np, procsFor(np, a.cfg.PollPerProc)) {
			p.polling = true
			ps = append(ps, p)
		}
	}
	if err := a.start(ctx, ps); err != nil {
		return a.base("mix"), err
	}
	r := a.base("mix")
	r.PollingShare, r.Size = a.cfg.MixShare, 64
	rate := a.cfg.rateFor(r.Connected)
	r.Rate = round(rate, 1)
	m, err := a.meter()
	if err != nil {
		return r, err
	}
	c := loadCmd{Cmd: "pace", Kind: "broadcast", Rate: rate, DurationMS: a.cfg.Phase.Milliseconds(), Size: r.Size, DrainMS: a.cfg.Tail.Milliseconds()}
	all, each, err := a.pacedStats(ctx, c)
	if err != nil {
		return r, err
	}
	p, err := m.stop(&r)
	if err != nil {
		return r, err
	}
	fanout(&r, all, p)
	r.Emitted = all.Emitted
	var ws, poll []sioload.Stats
	for i, st := range each {
		if a.fleet.loaders[i].spec.polling {
			poll = append(poll, st)
		} else {
			ws = append(ws, st)
		}
	}
	w, pl := mergeStats(ws), mergeStats(poll)
	r.WSConnected, r.PollConnected = w.Ready, pl.Ready
	r.WSDeliveries, r.PollDeliveries = w.Deliveries, pl.Deliveries
	r.WSExpected, r.PollExpected = r.Emitted*int64(w.Ready), r.Emitted*int64(pl.Ready)
	r.Expected = r.WSExpected + r.PollExpected
	r.WSPerSec, r.PollPerSec = round(float64(w.Deliveries)/a.cfg.Phase.Seconds(), 0), round(float64(pl.Deliveries)/a.cfg.Phase.Seconds(), 0)
	r.DeliveriesPerSec = round(float64(all.Deliveries)/a.cfg.Phase.Seconds(), 0)
	r.WSP50MS, r.WSP99MS = usToMS(w.BroadcastLatency.Quantile(0.5)), usToMS(w.BroadcastLatency.Quantile(0.99))
	r.PollP50MS, r.PollP99MS = usToMS(pl.BroadcastLatency.Quantile(0.5)), usToMS(pl.BroadcastLatency.Quantile(0.99))
	a.cfg.progress("%s mix N=%d (%d WebSocket, %d polling): %.1f broadcasts/s; WebSocket %d/%d deliveries p50 %.1f p99 %.1f ms; polling %d/%d p50 %.1f p99 %.1f ms; %.2f us CPU/delivery",
		a.t.Name, a.n, r.WSConnected, r.PollConnected, rate, r.WSDeliveries, r.WSExpected, r.WSP50MS, r.WSP99MS,
		r.PollDeliveries, r.PollExpected, r.PollP50MS, r.PollP99MS, r.CPUUSPerDelivery)
	return r, nil
}
