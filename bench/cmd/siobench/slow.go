package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// slow measures slow consumers. The sockets connect with a small receive
// buffer and Ethernet-sized segments (-slow-rcvbuf, -slow-mss) so that the
// kernels hold well under 100 KiB for a stalled reader rather than the
// 4 MiB that loopback's 64 KiB segments allow, and siogate runs with
// -max-queued cfg.SlowMaxQueued; the Node reference has no such limit.
// Phase 1: one socket emits "broadcast" at a paced rate for
// cfg.SlowPhase, every socket reading. Then every load process stops
// reading cfg.SlowShare of its sockets. Phase 2: the same broadcasts for
// cfg.SlowPhase. Recorded: the reading sockets' latency in both phases and the
// ratio of the p99s, the server's RSS over both phases, its own count of
// slow-consumer disconnects, and what the stalled sockets see when they
// read again at the end (a close frame 1008, the end of the stream, or
// nothing: still open).
func (a *alone) slow(ctx context.Context) (record, error) {
	ps := specs(a.n, procsFor(a.n, a.cfg.PerProc))
	for i := range ps {
		ps[i].extra = []string{"-rcvbuf", fmt.Sprint(a.cfg.SlowRcvBuf), "-mss", fmt.Sprint(a.cfg.SlowMSS)}
	}
	if err := a.start(ctx, ps); err != nil {
		return a.base("slow"), err
	}
	r := a.base("slow")
	r.StallShare, r.Size = a.cfg.SlowShare, a.cfg.SlowSize
	if a.t.QueueFlag != "" {
		r.QueueLimit = a.cfg.SlowMaxQueued
	}
	rate := a.cfg.SlowRate
	if rate <= 0 {
		rate = a.cfg.rateFor(r.Connected)
	}
	r.Rate = round(rate, 1)
	c := loadCmd{Cmd: "pace", Kind: "broadcast", Rate: rate, DurationMS: a.cfg.SlowPhase.Milliseconds(), Size: a.cfg.SlowSize, DrainMS: a.cfg.Tail.Milliseconds()}
	watch := watchRSS(a.srv.pid(), time.Second)
	base, _, err := a.pacedStats(ctx, c)
	rss := watch.stop()
	if err != nil {
		return r, err
	}
	r.BaseDeliveries = base.Deliveries
	r.BaseP50MS = usToMS(base.BroadcastLatency.Quantile(0.5))
	r.BaseP99MS = usToMS(base.BroadcastLatency.Quantile(0.99))
	r.RSSBaseEnd = rss[len(rss)-1]

	reps, err := a.fleet.all(ctx, loadCmd{Cmd: "stall", Share: a.cfg.SlowShare}, 30*time.Second)
	if err != nil {
		return r, err
	}
	for _, rep := range reps {
		if rep.Count != nil {
			r.Stalled += *rep.Count
		}
	}
	m, err := a.meter()
	if err != nil {
		return r, err
	}
	watch = watchRSS(a.srv.pid(), time.Second)
	st, _, err := a.pacedStats(ctx, c)
	slowRSS := watch.stop()
	if err != nil {
		return r, err
	}
	p, err := m.stop(&r)
	if err != nil {
		return r, err
	}
	fanout(&r, st, p)
	r.Emitted = st.Emitted
	r.Expected = st.Emitted * int64(st.Ready-st.Stalled)
	if r.BaseP99MS > 0 {
		r.P99Ratio = round(r.P99MS/r.BaseP99MS, 2)
	}
	r.RSSSeries, r.RSSStallAt = append(rss, slowRSS...), len(rss)
	r.RSSSlowMax, r.RSSSlowEnd = slices.Max(slowRSS), slowRSS[len(slowRSS)-1]
	sst, err := a.srv.stats(ctx)
	if err != nil {
		return r, err
	}
	r.ServerSlow = sst.SlowConsumers
	r.ServerDisconnect = errorsString(sst.Disconnects)

	// Read the stalled sockets again: each sees what the server did to it.
	if _, err := a.fleet.all(ctx, loadCmd{Cmd: "resume"}, 30*time.Second); err != nil {
		return r, err
	}
	if err := sleep(ctx, a.cfg.ResumeWait); err != nil {
		return r, err
	}
	end, _, err := a.fleet.stats(ctx)
	if err != nil {
		return r, err
	}
	r.StalledClosed, r.StalledOpen = end.StalledClosed, end.Stalled
	r.StalledReasons = errorsString(end.StalledReasons)
	a.cfg.progress("%s slow N=%d: %d of %d sockets stalled, %.1f broadcasts/s of %d B; reading sockets' p99 %.1f ms -> %.1f ms (x%.2f); RSS %.1f -> max %.1f MiB; stalled closed %d %s, still open %d; server: %d slow consumers, %s",
		a.t.Name, a.n, r.Stalled, r.Connected, rate, r.Size, r.BaseP99MS, r.P99MS, r.P99Ratio, mib(r.RSSBaseEnd), mib(r.RSSSlowMax),
		r.StalledClosed, r.StalledReasons, r.StalledOpen, r.ServerSlow, r.ServerDisconnect)
	return r, nil
}
