package main

import (
	"fmt"
	"io"
)

// writeAloneSummary writes the tables of the scenarios that run alone on
// their server: connect, reconnect, rooms, slow, mix, churn.
func writeAloneSummary(w io.Writer, rs []record, targets []string) {
	mibOf := func(f func(record) int64) func(record) float64 {
		return func(r record) float64 { return mib(f(r)) }
	}
	if gs := groups(rs, "connect", targets); len(gs) > 0 {
		fmt.Fprintf(w, "### Connect storm\n\n")
		fmt.Fprintln(w, "Idle load processes are told at once to connect their share, each with the given handshakes in flight; connects/s = sockets ready ÷ (the command to the last report). Handshake: first attempt to Socket.IO CONNECT reply, retries included.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| target | protocol | N | processes × in flight | connected | failed | connects/s | × Node | handshake p50 ms | p99 ms | max ms | CPU µs / connect | × Node | RSS after MiB |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
		for _, g := range gs {
			ref := reference(gs, g)
			r0 := g.recs[0]
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", g.Target, g.protocol, num(float64(g.N), 0),
				stormLabel(r0.LoadProcs, r0.StormConcurrency),
				g.cell(func(r record) float64 { return float64(r.Connected) }, 0),
				g.cell(func(r record) float64 { return float64(r.Failed) }, 0),
				g.cell(func(r record) float64 { return r.ConnectRate }, 0),
				ratio(g, ref, func(r record) float64 { return r.ConnectRate }),
				g.cell(func(r record) float64 { return r.HandshakeP50MS }, 1),
				g.cell(func(r record) float64 { return r.HandshakeP99MS }, 1),
				g.cell(func(r record) float64 { return r.HandshakeMaxMS }, 1),
				g.cell(func(r record) float64 { return r.CPUUSPerConnect }, 0),
				ratio(g, ref, func(r record) float64 { return r.CPUUSPerConnect }),
				g.cell(mibOf(func(r record) int64 { return r.RSSAfter }), 1))
		}
		fmt.Fprintln(w)
	}
	if gs := groups(rs, "reconnect", targets); len(gs) > 0 {
		fmt.Fprintf(w, "### Reconnect storm\n\n")
		fmt.Fprintln(w, "Every socket is connected; then every load process closes all of its sockets at once (a plain TCP close) and connects them again. \"All back\" runs from the command to the last socket ready. Server figures after a forced collection, before the storm and after it, each once settled (on Go targets, once the goroutines were down to the fresh server's count plus the target's per-socket ones, or the settle time passed: the handler pool's idle workers expire after 10 s).")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| target | protocol | N | back | failed | all back ms | × Node | handshake p99 ms | max ms | server sockets before → after | RSS MiB before → after | goroutines before → after |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
		for _, g := range gs {
			ref := reference(gs, g)
			gor := "–"
			if g.recs[0].GoroutinesBefore != 0 {
				gor = g.cell(func(r record) float64 { return float64(r.GoroutinesBefore) }, 0) + " → " +
					g.cell(func(r record) float64 { return float64(r.GoroutinesAfter) }, 0)
			}
			socks := "–"
			if g.protocol == "socketio" {
				socks = g.cell(func(r record) float64 { return float64(r.ServerSocketsPre) }, 0) + " → " +
					g.cell(func(r record) float64 { return float64(r.ServerSocketsPost) }, 0)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", g.Target, g.protocol, num(float64(g.N), 0),
				g.cell(func(r record) float64 { return float64(r.Reconnected) }, 0),
				g.cell(func(r record) float64 { return float64(r.ReconnectFailed) }, 0),
				g.cell(func(r record) float64 { return r.LastMS }, 0),
				ratio(g, ref, func(r record) float64 { return r.LastMS }),
				g.cell(func(r record) float64 { return r.HandshakeP99MS }, 1),
				g.cell(func(r record) float64 { return r.HandshakeMaxMS }, 1),
				socks,
				g.cell(mibOf(func(r record) int64 { return r.RSSBefore }), 1)+" → "+g.cell(mibOf(func(r record) int64 { return r.RSSAfter }), 1),
				gor)
		}
		fmt.Fprintln(w)
	}
	if gs := groups(rs, "rooms", targets); len(gs) > 0 {
		fmt.Fprintf(w, "### Many small rooms\n\n")
		fmt.Fprintln(w, "Every socket joins one room (\"join\"; room k holds sockets 10k..10k+9 across the load processes); every load process emits \"bench:room\" to random rooms, paced; the server sends \"bcast\" to the room's members. Deliveries/s over the sending time; CPU of the server over the run ÷ deliveries.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| target | N | rooms × size | room broadcasts/s | delivered / expected | deliveries/s | p50 ms | p99 ms | max ms | × Node p99 | CPU µs / delivery | × Node |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
		for _, g := range gs {
			ref := reference(gs, g)
			r0 := g.recs[0]
			fmt.Fprintf(w, "| %s | %s | %s × %d | %s | %s / %s | %s | %s | %s | %s | %s | %s | %s |\n", g.Target, num(float64(g.N), 0),
				num(float64(r0.Rooms), 0), r0.RoomSize, num(r0.Rate, 0),
				g.cell(func(r record) float64 { return float64(r.Deliveries) }, 0),
				g.cell(func(r record) float64 { return float64(r.Expected) }, 0),
				g.cell(func(r record) float64 { return r.DeliveriesPerSec }, 0),
				g.cell(func(r record) float64 { return r.P50MS }, 2),
				g.cell(func(r record) float64 { return r.P99MS }, 1),
				g.cell(func(r record) float64 { return r.MaxMS }, 1),
				ratio(g, ref, func(r record) float64 { return r.P99MS }),
				g.cell(func(r record) float64 { return r.CPUUSPerDelivery }, 2),
				ratio(g, ref, func(r record) float64 { return r.CPUUSPerDelivery }))
		}
		fmt.Fprintln(w)
	}
	if gs := groups(rs, "slow", targets); len(gs) > 0 {
		fmt.Fprintf(w, "### Slow consumers\n\n")
		fmt.Fprintln(w, "Phase 1: one socket emits paced \"broadcast\"s, every socket reading. Then a share of the sockets stop reading (their kernel buffers fill). Phase 2: the same broadcasts. p99 of the reading sockets' deliveries in each phase; RSS sampled every second. At the end the stalled sockets read again and report how they ended (close-1008: siogate's WebSocket close \"slow consumer\"); the server's count of \"slow consumer\" disconnects comes from its /debug/stats.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| target | N | stalled | queue limit KiB | broadcasts/s × B | p99 ms, all reading | p99 ms, with stalled | ratio | RSS MiB end of phase 1 → max of phase 2 | stalled closed (as seen) | still open | server \"slow consumer\" |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
		for _, g := range gs {
			r0 := g.recs[0]
			limit := "none"
			if r0.QueueLimit > 0 {
				limit = num(float64(r0.QueueLimit)/1024, 0)
			}
			reasons := ""
			if r0.StalledReasons != "" {
				reasons = " (" + r0.StalledReasons + ")"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s × %d | %s | %s | %s | %s → %s | %s%s | %s | %s |\n", g.Target, num(float64(g.N), 0),
				g.cell(func(r record) float64 { return float64(r.Stalled) }, 0), limit, num(r0.Rate, 1), r0.Size,
				g.cell(func(r record) float64 { return r.BaseP99MS }, 1),
				g.cell(func(r record) float64 { return r.P99MS }, 1),
				g.cell(func(r record) float64 { return r.P99Ratio }, 2),
				g.cell(mibOf(func(r record) int64 { return r.RSSBaseEnd }), 1),
				g.cell(mibOf(func(r record) int64 { return r.RSSSlowMax }), 1),
				g.cell(func(r record) float64 { return float64(r.StalledClosed) }, 0), reasons,
				g.cell(func(r record) float64 { return float64(r.StalledOpen) }, 0),
				g.cell(func(r record) float64 { return float64(r.ServerSlow) }, 0))
		}
		fmt.Fprintln(w)
	}
	if gs := groups(rs, "mix", targets); len(gs) > 0 {
		fmt.Fprintf(w, "### Long-polling and WebSocket mix\n\n")
		fmt.Fprintln(w, "A share of the sockets on HTTP long-polling (a goroutine per socket in their load process, an outstanding GET each), the rest on WebSocket; one WebSocket socket emits paced \"broadcast\"s to all. Deliveries/s over the sending time.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| target | N | polling | broadcasts/s | WebSocket deliveries/s | p50 ms | p99 ms | polling deliveries/s | p50 ms | p99 ms | delivered / expected | CPU µs / delivery | × Node |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")
		for _, g := range gs {
			ref := reference(gs, g)
			r0 := g.recs[0]
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s |\n", g.Target, num(float64(g.N), 0),
				num(float64(r0.PollConnected), 0), num(r0.Rate, 1),
				g.cell(func(r record) float64 { return r.WSPerSec }, 0),
				g.cell(func(r record) float64 { return r.WSP50MS }, 1),
				g.cell(func(r record) float64 { return r.WSP99MS }, 1),
				g.cell(func(r record) float64 { return r.PollPerSec }, 0),
				g.cell(func(r record) float64 { return r.PollP50MS }, 1),
				g.cell(func(r record) float64 { return r.PollP99MS }, 1),
				g.cell(func(r record) float64 { return float64(r.Deliveries) }, 0),
				g.cell(func(r record) float64 { return float64(r.Expected) }, 0),
				g.cell(func(r record) float64 { return r.CPUUSPerDelivery }, 2),
				ratio(g, ref, func(r record) float64 { return r.CPUUSPerDelivery }))
		}
		fmt.Fprintln(w)
	}
	if gs := groups(rs, "churn", targets); len(gs) > 0 {
		fmt.Fprintf(w, "### Churn soak\n\n")
		fmt.Fprintln(w, "Connect / emit \"echo\" with ack / disconnect cycles, over WebSocket and long-polling at once, bounded concurrency. Figures after a forced collection: fresh server, baseline (after the warm-up, settled), half way and after the churn (each sampled every second until back within the tolerance, or the settle time passed); the second half's heap growth per cycle tells a leak from a high-water mark. Heap: Go's live heap (HeapAlloc), V8's heapUsed for Node.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| target | cycles (WebSocket + polling) | failed | cycles/s | cycle p99 ms | goroutines fresh → baseline → half way → after | heap MiB fresh → baseline → half way → after | second half B / cycle | waited s | within tolerance |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
		for _, g := range gs {
			for _, r := range g.recs {
				gor := "–"
				if r.GoroutinesFresh != 0 {
					gor = fmt.Sprintf("%d → %d → %d → %d", r.GoroutinesFresh, r.GoroutinesBase, r.GoroutinesHalf, r.GoroutinesEnd)
				}
				verdict := "–"
				if r.ChurnPass != nil {
					verdict = fmt.Sprintf("%s (±%.0f %%)", passWord(*r.ChurnPass), r.Tolerance*100)
				}
				fmt.Fprintf(w, "| %s | %s (%s + %s) | %d | %s | %.1f | %s | %.2f → %.2f → %.2f → %.2f | %.2f | %.0f | %s |\n", g.Target,
					num(float64(r.Cycles), 0), num(float64(r.CyclesWS), 0), num(float64(r.CyclesPolling), 0), r.CyclesFailed,
					num(r.CyclesPerSec, 0), r.CycleP99MS, gor, mib(r.HeapFresh), mib(r.HeapBase), mib(r.HeapHalf), mib(r.HeapEnd),
					r.HeapPerCycle, float64(r.SettleMS)/1000, verdict)
			}
		}
		fmt.Fprintln(w)
	}
}
