package main

import (
	"context"
	"fmt"
	"time"
)

// rooms puts the N sockets in rooms of cfg.RoomSize (the fixtures' "join"
// event, one numbering across the load processes), then has every process
// emit "bench:room" to random rooms for cfg.Phase, cfg.Deliveries
// deliveries per second in all: deliveries/s, latency and server CPU per
// delivery.
func (a *alone) rooms(ctx context.Context) (record, error) {
	ps := specs(a.n, procsFor(a.n, a.cfg.PerProc))
	if err := a.start(ctx, ps); err != nil {
		return a.base("rooms"), err
	}
	r := a.base("rooms")
	size := a.cfg.RoomSize
	r.RoomSize = size
	r.Rooms = (a.n + size - 1) / size
	reps, err := a.fleet.each(ctx, func(p procSpec) loadCmd {
		return loadCmd{Cmd: "join", Base: p.base, RoomSize: size}
	}, a.cfg.ConnectTimeout+30*time.Second)
	if err != nil {
		return r, err
	}
	for _, rep := range reps {
		if rep.Count == nil {
			return r, fmt.Errorf("join reply without count: %+v", rep)
		}
		r.JoinFail += *rep.Count
	}
	rate := a.cfg.Deliveries / float64(size) // room broadcasts per second, all processes
	r.Rate, r.Size = round(rate, 1), 64
	m, err := a.meter()
	if err != nil {
		return r, err
	}
	// Every process is marked before any starts sending (keep: the pace
	// does not mark again), so each counts every room broadcast it gets.
	if err := a.fleet.mark(ctx); err != nil {
		return r, err
	}
	drain := a.cfg.Tail
	c := loadCmd{Cmd: "pace", Kind: "room", Rate: rate / float64(len(ps)), DurationMS: a.cfg.Phase.Milliseconds(),
		DrainMS: drain.Milliseconds(), Size: r.Size, Rooms: r.Rooms, RoomSize: size, Total: a.n, Keep: true}
	reps, err = a.fleet.all(ctx, c, a.cfg.Phase+drain+30*time.Second)
	if err != nil {
		return r, err
	}
	p, err := m.stop(&r)
	if err != nil {
		return r, err
	}
	st, err := mergeReplies(reps)
	if err != nil {
		return r, err
	}
	r.Emitted, r.Expected = st.Emitted, st.RoomExpected
	fanout(&r, st, p)
	if d := float64(st.EchoEndNs - st.EchoStartNs); d > 0 {
		r.DeliveriesPerSec = round(float64(st.Deliveries)/(d/1e9), 0)
	}
	a.cfg.progress("%s rooms N=%d (%d rooms of %d, %d failed to join): %d room broadcasts, %d/%d deliveries, %.0f/s, p50 %.2f ms, p99 %.2f ms, %.2f us CPU/delivery",
		a.t.Name, a.n, r.Rooms, size, r.JoinFail, r.Emitted, r.Deliveries, r.Expected, r.DeliveriesPerSec, r.P50MS, r.P99MS, r.CPUUSPerDelivery)
	return r, nil
}
