package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/siogate/siogate/bench/internal/proc"
	"github.com/siogate/siogate/bench/sioload"
)

// idle samples the server holding the sockets after a forced collection,
// then watches it over an idle window.
func (s *session) idle(ctx context.Context) ([]record, error) {
	r := s.base("idle")
	after, err := s.srv.sample(ctx)
	if err != nil {
		return nil, err
	}
	b := s.before
	r.RSSBefore, r.RSSAfter = b.proc.RSS, after.proc.RSS
	r.RSSPerSocketKiB = perSocketKiB(b.proc.RSS, after.proc.RSS, r.Connected)
	r.RSSAnonPerSocketKiB = perSocketKiB(b.proc.RSSAnon, after.proc.RSSAnon, r.Connected)
	if s.t.GoRuntime {
		r.HeapPerSocketKiB = perSocketKiB(b.mem.HeapInuse, after.mem.HeapInuse, r.Connected)
		r.StackPerSocketKiB = perSocketKiB(b.mem.StackInuse, after.mem.StackInuse, r.Connected)
		r.GoroutinesBefore, r.GoroutinesAfter = b.goroutines, after.goroutines
		r.GoroutinesPerSocket = round(float64(after.goroutines-b.goroutines)/float64(r.Connected), 2)
	}
	r.FDsBefore = b.fds
	if err := s.srv.writeHeapProfile(ctx, s.cfg, fmt.Sprintf("idle-%d-run%d", s.n, s.run)); err != nil {
		return nil, err
	}
	if err := s.fleet.mark(ctx); err != nil {
		return nil, err
	}
	m, err := s.meter()
	if err != nil {
		return nil, err
	}
	r.RSSIdleMax = after.proc.RSS
	for end := time.Now().Add(s.cfg.Window); time.Now().Before(end); {
		if err := sleep(ctx, min(time.Second, time.Until(end))); err != nil {
			return nil, err
		}
		if p, err := proc.Read(s.srv.pid()); err == nil {
			r.RSSIdleMax = max(r.RSSIdleMax, p.RSS)
		}
	}
	if _, err := m.stop(&r); err != nil {
		return nil, err
	}
	r.IdleCPUPct = r.ServerCPUPct
	st, _, err := s.fleet.stats(ctx)
	if err != nil {
		return nil, err
	}
	r.Pings = st.Pings
	s.lost(&r, st)
	if r.FDsEnd, err = proc.CountFDs(s.srv.pid()); err != nil {
		return nil, err
	}
	s.cfg.progress("%s N=%d idle: %.2f KiB/socket RSS, goroutines %d -> %d, idle CPU %.1f%%",
		s.t.Name, s.n, r.RSSPerSocketKiB, r.GoroutinesBefore, r.GoroutinesAfter, r.IdleCPUPct)
	return []record{r}, nil
}

// broadcasts returns how many single broadcasts to time at n sockets: about
// 50,000 deliveries, at least 5 and at most 50 broadcasts.
func (cfg *config) broadcasts(n int) int {
	if cfg.Broadcasts > 0 {
		return cfg.Broadcasts
	}
	return min(max(50000/max(n, 1), 5), 50)
}

// broadcast times single broadcasts, one at a time: each is sent when the
// previous one has reached every socket.
func (s *session) broadcast(ctx context.Context) ([]record, error) {
	var out []record
	for _, size := range s.cfg.Sizes {
		r := s.base("broadcast")
		r.Size = size
		count := s.cfg.broadcasts(r.Connected)
		if err := s.fleet.mark(ctx); err != nil {
			return out, err
		}
		m, err := s.meter()
		if err != nil {
			return out, err
		}
		for range count {
			rep, err := s.fleet.one(ctx, loadCmd{Cmd: "broadcast", Count: 1, Size: size}, 30*time.Second)
			if err != nil {
				return out, err
			}
			got, err := s.fleet.waitComplete(ctx, rep.IDs, 30*time.Second)
			if err != nil {
				return out, err
			}
			if got < len(rep.IDs) {
				r.Incomplete++
			}
			if err := sleep(ctx, 20*time.Millisecond); err != nil {
				return out, err
			}
		}
		p, err := m.stop(&r)
		if err != nil {
			return out, err
		}
		st, _, err := s.fleet.stats(ctx)
		if err != nil {
			return out, err
		}
		r.Broadcasts = count
		r.Expected = int64(count) * int64(r.Connected)
		fanout(&r, st, p)
		var lasts, rates []float64
		for _, b := range st.Broadcasts {
			d := float64(b.LastNs - b.SentNs)
			lasts = append(lasts, d/1e6)
			if d > 0 {
				rates = append(rates, float64(b.Count)/(d/1e9))
			}
		}
		if len(lasts) > 0 {
			r.LastMS = round(median(lasts), 2)
			r.LastMaxMS = round(slices.Max(lasts), 2)
			r.DeliveriesPerSec = round(median(rates), 0)
		}
		s.cfg.progress("%s N=%d broadcast %d B x%d: to the last socket %.1f ms (max %.1f), p99 %.1f ms, %.0f deliveries/s, %.2f us CPU/delivery",
			s.t.Name, s.n, size, count, r.LastMS, r.LastMaxMS, r.P99MS, r.DeliveriesPerSec, r.CPUUSPerDelivery)
		out = append(out, r)
	}
	return out, nil
}

// burst sends cfg.Burst broadcasts back to back and times their delivery.
func (s *session) burst(ctx context.Context) ([]record, error) {
	var out []record
	for i, size := range s.cfg.Sizes {
		if i > 0 {
			if err := sleep(ctx, s.cfg.Pause); err != nil {
				return out, err
			}
		}
		r := s.base("burst")
		r.Size, r.Burst = size, s.cfg.Burst
		if err := s.fleet.mark(ctx); err != nil {
			return out, err
		}
		m, err := s.meter()
		if err != nil {
			return out, err
		}
		rep, err := s.fleet.one(ctx, loadCmd{Cmd: "broadcast", Count: s.cfg.Burst, Size: size}, 30*time.Second)
		if err != nil {
			return out, err
		}
		timeout := 60*time.Second + time.Duration(s.cfg.Burst*r.Connected)*20*time.Microsecond
		got, err := s.fleet.waitComplete(ctx, rep.IDs, timeout)
		if err != nil {
			return out, err
		}
		p, err := m.stop(&r)
		if err != nil {
			return out, err
		}
		st, _, err := s.fleet.stats(ctx)
		if err != nil {
			return out, err
		}
		r.Broadcasts = len(rep.IDs)
		r.Incomplete = len(rep.IDs) - got
		r.Expected = int64(len(rep.IDs)) * int64(r.Connected)
		fanout(&r, st, p)
		if len(st.Broadcasts) > 0 {
			first, last := st.Broadcasts[0].SentNs, int64(0)
			for _, b := range st.Broadcasts {
				first, last = min(first, b.SentNs), max(last, b.LastNs)
			}
			if d := float64(last - first); d > 0 {
				r.LastMS = round(d/1e6, 2)
				r.DeliveriesPerSec = round(float64(st.Deliveries)/(d/1e9), 0)
			}
		}
		s.cfg.progress("%s N=%d burst %dx%d B: %.0f deliveries/s, all in %.0f ms, p99 %.1f ms, %.2f us CPU/delivery, %d incomplete",
			s.t.Name, s.n, s.cfg.Burst, size, r.DeliveriesPerSec, r.LastMS, r.P99MS, r.CPUUSPerDelivery, r.Incomplete)
		out = append(out, r)
	}
	return out, nil
}

// fanout fills the delivery figures common to broadcast and burst.
func fanout(r *record, st sioload.Stats, p phase) {
	r.Deliveries = st.Deliveries
	r.P50MS = usToMS(st.BroadcastLatency.Quantile(0.5))
	r.P99MS = usToMS(st.BroadcastLatency.Quantile(0.99))
	r.MaxMS = usToMS(st.BroadcastLatency.Max())
	if st.Deliveries > 0 {
		r.CPUUSPerDelivery = round(p.serverMS*1000/float64(st.Deliveries), 2)
	}
	r.Lost = st.Closed
	if len(st.CloseReasons) > 0 {
		r.LostReasons = fmt.Sprint(st.CloseReasons)
	}
}

// echo offers echo-with-ack at increasing rates, spread over every socket
// of every load process, until the p99 latency passes the limit. A failing
// rate is measured again up to cfg.Retry times (other processes share the
// machine; a single stall must not end the climb); the last attempt is
// recorded.
func (s *session) echo(ctx context.Context) ([]record, error) {
	var out []record
	for i, rate := range s.cfg.Rates {
		var r record
		for attempt := 1; attempt <= 1+s.cfg.Retry; attempt++ {
			if i > 0 || attempt > 1 {
				if err := sleep(ctx, s.cfg.Pause); err != nil {
					return out, err
				}
			}
			var err error
			if r, err = s.echoStep(ctx, rate); err != nil {
				return out, err
			}
			r.Attempts = attempt
			if *r.Pass {
				break
			}
		}
		out = append(out, r)
		if !*r.Pass && !s.cfg.EchoAll {
			break
		}
	}
	return out, nil
}

// echoStep measures one offered rate.
func (s *session) echoStep(ctx context.Context, rate float64) (record, error) {
	r := s.base("echo")
	r.Rate, r.Size = rate, s.cfg.EchoSize
	r.EchoP99Limit = float64(s.cfg.P99Limit.Milliseconds())
	m, err := s.meter()
	if err != nil {
		return r, err
	}
	procs := len(s.fleet.loaders)
	c := loadCmd{Cmd: "echo", Rate: rate / float64(procs), DurationMS: s.cfg.Step.Milliseconds(),
		Size: s.cfg.EchoSize, DrainMS: s.cfg.Drain.Milliseconds()}
	reps, err := s.fleet.all(ctx, c, s.cfg.Step+s.cfg.Drain+30*time.Second)
	if err != nil {
		return r, err
	}
	p, err := m.stop(&r)
	if err != nil {
		return r, err
	}
	var each []sioload.Stats
	for _, rep := range reps {
		if rep.Stats == nil {
			return r, errors.New("echo reply without stats")
		}
		each = append(each, *rep.Stats)
	}
	st := mergeStats(each)
	r.EchoSent, r.EchoAcked = st.EchoSent, st.EchoAcked
	r.P50MS = usToMS(st.EchoLatency.Quantile(0.5))
	r.P99MS = usToMS(st.EchoLatency.Quantile(0.99))
	r.MaxMS = usToMS(st.EchoLatency.Max())
	r.AchievedRate = round(float64(st.EchoAcked)/s.cfg.Step.Seconds(), 0)
	if st.EchoAcked > 0 {
		r.CPUUSPerEcho = round(p.serverMS*1000/float64(st.EchoAcked), 2)
	}
	s.lost(&r, st)
	offered := rate * s.cfg.Step.Seconds()
	pass := st.EchoLatency.Count() > 0 && r.P99MS <= r.EchoP99Limit &&
		float64(st.EchoAcked) >= 0.99*float64(st.EchoSent) && float64(st.EchoSent) >= 0.95*offered && r.Lost == 0
	r.Pass = &pass
	s.cfg.progress("%s echo %.0f/s: acked %d/%d, p50 %.2f ms, p99 %.2f ms, max %.1f ms, server CPU %.0f%%, loaders %.0f%%, others %.0f%% -> %s",
		s.t.Name, rate, st.EchoAcked, st.EchoSent, r.P50MS, r.P99MS, r.MaxMS, r.ServerCPUPct, r.ClientCPUPct, r.OtherCPUPct, passWord(pass))
	return r, nil
}

func passWord(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

// median returns the median of xs (the mean of the middle two for an even
// count), 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
