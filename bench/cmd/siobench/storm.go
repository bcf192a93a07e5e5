package main

import (
	"context"
	"fmt"
	"time"

	"github.com/siogate/siogate/bench/sioload"
)

// connectStorm starts the load processes idle, then tells them all at
// once to connect their share of N, cfg.StormConcurrency handshakes in
// flight each: connects per second from the command to the last report,
// failures, handshake latency, server CPU per connect and memory after.
func (a *alone) connectStorm(ctx context.Context) (record, error) {
	ps := specs(a.n, procsFor(a.n, a.cfg.PerProc))
	for i := range ps {
		ps[i].deferred = true
		ps[i].conc = a.cfg.StormConcurrency
	}
	if err := a.start(ctx, ps); err != nil {
		return a.base("connect"), err
	}
	m, err := a.meter()
	if err != nil {
		return a.base("connect"), err
	}
	start := time.Now()
	reps, err := a.fleet.each(ctx, func(p procSpec) loadCmd { return loadCmd{Cmd: "connect", Count: p.n} }, a.cfg.ConnectTimeout+30*time.Second)
	wall := time.Since(start)
	if err != nil {
		return a.base("connect"), err
	}
	if a.connect, err = sumConnected(reps); err != nil {
		return a.base("connect"), err
	}
	a.connMS = wall.Milliseconds()
	r := a.base("connect")
	p, err := m.stop(&r)
	if err != nil {
		return r, err
	}
	a.stormFigures(&r, wall, p)
	if err := sleep(ctx, a.cfg.Settle); err != nil {
		return r, err
	}
	after, err := a.srv.sample(ctx)
	if err != nil {
		return r, err
	}
	a.memoryFigures(&r, a.before, after)
	a.cfg.progress("%s connect storm N=%d: %d connected, %d failed in %.2fs = %.0f/s; handshake p50 %.1f ms, p99 %.1f ms, max %.1f ms; %.0f us CPU/connect",
		a.t.Name, a.n, r.Connected, r.Failed, wall.Seconds(), r.ConnectRate, r.HandshakeP50MS, r.HandshakeP99MS, r.HandshakeMaxMS, r.CPUUSPerConnect)
	return r, nil
}

// reconnectStorm connects N sockets, then has every load process close
// all of its sockets at once and connect them again: time until all are
// back, failures, and the server's memory, goroutines and own socket count
// before and after.
func (a *alone) reconnectStorm(ctx context.Context) (record, error) {
	ps := specs(a.n, procsFor(a.n, a.cfg.PerProc))
	for i := range ps {
		ps[i].conc = a.cfg.StormConcurrency
	}
	if err := a.start(ctx, ps); err != nil {
		return a.base("reconnect"), err
	}
	r := a.base("reconnect")
	before, err := a.settledSample(ctx, r.Connected)
	if err != nil {
		return r, err
	}
	if a.t.Mode == sioload.SocketIO {
		st, err := a.srv.stats(ctx)
		if err != nil {
			return r, err
		}
		r.ServerSocketsPre = st.Sockets
	}
	if err := a.fleet.mark(ctx); err != nil {
		return r, err
	}
	m, err := a.meter()
	if err != nil {
		return r, err
	}
	start := time.Now()
	reps, err := a.fleet.all(ctx, loadCmd{Cmd: "reconnect"}, a.cfg.ConnectTimeout+30*time.Second)
	wall := time.Since(start)
	if err != nil {
		return r, err
	}
	res, err := sumConnected(reps)
	if err != nil {
		return r, err
	}
	p, err := m.stop(&r)
	if err != nil {
		return r, err
	}
	r.Reconnected, r.ReconnectFailed, r.Retries = res.Connected, res.Failed, res.Retries
	r.ReconnectErrors = errorsString(res.Errors)
	r.LastMS = round(float64(wall.Microseconds())/1000, 1) // time until all are back
	r.StormConcurrency = a.cfg.StormConcurrency
	if wall > 0 {
		r.ConnectRate = round(float64(res.Connected)/wall.Seconds(), 0)
	}
	r.HandshakeP50MS = usToMS(res.Handshake.Quantile(0.5))
	r.HandshakeP99MS = usToMS(res.Handshake.Quantile(0.99))
	r.HandshakeMaxMS = usToMS(res.Handshake.Max())
	if res.Connected > 0 {
		r.CPUUSPerConnect = round(p.serverMS*1000/float64(res.Connected), 1)
	}
	// The server notices the closed sockets at once (a FIN each); give it
	// the settle time to let them go, then compare.
	if err := sleep(ctx, a.cfg.Settle); err != nil {
		return r, err
	}
	waitStart := time.Now()
	after, err := a.settledSample(ctx, res.Connected)
	if err != nil {
		return r, err
	}
	r.SettleMS = (a.cfg.Settle + time.Since(waitStart)).Milliseconds()
	a.memoryFigures(&r, before, after)
	if a.t.Mode == sioload.SocketIO {
		st, err := a.srv.stats(ctx)
		if err != nil {
			return r, err
		}
		r.ServerSocketsPost = st.Sockets
	}
	st, _, err := a.fleet.stats(ctx)
	if err != nil {
		return r, err
	}
	a.lost(&r, st)
	a.cfg.progress("%s reconnect storm N=%d: %d back, %d failed in %.2fs (p99 %.1f ms, max %.1f ms); server sockets %d -> %d, RSS %.1f -> %.1f MiB, goroutines %d -> %d",
		a.t.Name, a.n, r.Reconnected, r.ReconnectFailed, wall.Seconds(), r.HandshakeP99MS, r.HandshakeMaxMS,
		r.ServerSocketsPre, r.ServerSocketsPost, mib(r.RSSBefore), mib(r.RSSAfter), r.GoroutinesBefore, r.GoroutinesAfter)
	return r, nil
}

// settledSample samples the server holding sockets; on Go targets it waits
// (up to cfg.ChurnSettle, sampling every second) until the goroutines are
// down to the fresh server's count plus the target's per-socket ones, 5 %
// allowed: the handler pool's workers that a storm started expire after
// 10 s idle.
func (a *alone) settledSample(ctx context.Context, sockets int) (serverSample, error) {
	start := time.Now()
	limit := float64(a.before.goroutines+a.t.PerSocket*sockets)*1.05 + 2
	for {
		s, err := a.srv.sample(ctx)
		if err != nil || !a.t.GoRuntime || float64(s.goroutines) <= limit || time.Since(start) >= a.cfg.ChurnSettle {
			return s, err
		}
		if err := sleep(ctx, time.Second); err != nil {
			return s, err
		}
	}
}

// stormFigures fills the connect storm's rate and latency figures.
func (a *alone) stormFigures(r *record, wall time.Duration, p phase) {
	r.StormConcurrency = a.cfg.StormConcurrency
	r.Retries = a.connect.Retries
	if wall > 0 {
		r.ConnectRate = round(float64(a.connect.Connected)/wall.Seconds(), 0)
	}
	r.HandshakeMaxMS = usToMS(a.connect.Handshake.Max())
	if a.connect.Connected > 0 {
		r.CPUUSPerConnect = round(p.serverMS*1000/float64(a.connect.Connected), 1)
	}
}

// memoryFigures fills RSS and, on Go targets, goroutines from two samples.
func (a *alone) memoryFigures(r *record, before, after serverSample) {
	r.RSSBefore, r.RSSAfter = before.proc.RSS, after.proc.RSS
	if a.t.GoRuntime {
		r.GoroutinesBefore, r.GoroutinesAfter = before.goroutines, after.goroutines
	}
	r.FDsBefore, r.FDsEnd = before.fds, after.fds
}

// stormLabel describes a storm's concurrency for the summary.
func stormLabel(procs, conc int) string {
	return fmt.Sprintf("%d × %d", procs, conc)
}
