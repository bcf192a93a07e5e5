package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// key identifies what several runs measured alike.
type key struct {
	Scenario string
	Target   string
	N        int
	Size     int
	Burst    int
	Rate     float64
}

func keyOf(r record) key {
	return key{r.Scenario, r.Target, r.N, r.Size, r.Burst, r.Rate}
}

// group is the records of one key, in run order; failed ones are left out.
type group struct {
	key
	protocol string
	recs     []record
}

// groups returns the groups of one scenario, ordered by N, size, rate, then
// target in the order of targets.
func groups(rs []record, scenario string, targets []string) []group {
	idx := map[key]int{}
	var out []group
	for _, r := range rs {
		if r.Scenario != scenario || r.Error != "" {
			continue
		}
		k := keyOf(r)
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, group{key: k, protocol: r.Protocol})
		}
		out[i].recs = append(out[i].recs, r)
	}
	pos := func(t string) int { return slices.Index(targets, t) }
	slices.SortStableFunc(out, func(a, b group) int {
		return cmp.Or(cmp.Compare(a.N, b.N), cmp.Compare(a.Size, b.Size), cmp.Compare(a.Rate, b.Rate),
			cmp.Compare(pos(a.Target), pos(b.Target)))
	})
	return out
}

// values returns f over the records.
func (g group) values(f func(record) float64) []float64 {
	out := make([]float64, len(g.recs))
	for i, r := range g.recs {
		out[i] = f(r)
	}
	return out
}

// cell formats the median of f over the runs, with the range when there
// are several: "12.3 (11.9–12.8)".
func (g group) cell(f func(record) float64, decimals int) string {
	vs := g.values(f)
	if len(vs) == 0 {
		return "–"
	}
	med := num(median(vs), decimals)
	if len(vs) == 1 {
		return med
	}
	return fmt.Sprintf("%s (%s–%s)", med, num(slices.Min(vs), decimals), num(slices.Max(vs), decimals))
}

// ratio formats median(f over g) / median(f over ref) as "0.21×", or "–".
func ratio(g group, ref *group, f func(record) float64) string {
	if ref == nil || ref.Target == g.Target {
		return "–"
	}
	a, b := median(g.values(f)), median(ref.values(f))
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%s×", num(a/b, 2))
}

// num formats x with d decimals and thousands separators for large values.
func num(x float64, d int) string {
	s := fmt.Sprintf("%.*f", d, x)
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	if len(intPart) > 4 {
		var b strings.Builder
		for i, c := range intPart {
			if i > 0 && (len(intPart)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		intPart = b.String()
	}
	if neg {
		intPart = "-" + intPart
	}
	if frac != "" {
		return intPart + "." + frac
	}
	return intPart
}

// reference returns the Node group with the same N, size, burst and rate.
func reference(gs []group, g group) *group {
	for i := range gs {
		h := gs[i]
		if h.Target == "node" && h.N == g.N && h.Size == g.Size && h.Burst == g.Burst && h.Rate == g.Rate {
			return &gs[i]
		}
	}
	return nil
}

// writeSummary writes the Markdown tables of every scenario in rs.
func writeSummary(w io.Writer, rs []record, targets []string) {
	runs := 0
	for _, r := range rs {
		runs = max(runs, r.Run+1)
	}
	fmt.Fprintf(w, "Medians over %d run(s), (min–max) when there are several; ratios are median ÷ Node's median.\n", runs)
	fmt.Fprintf(w, "wsecho, baseline and nbio speak raw WebSocket (no Socket.IO framing, pings or acks): the floor, not a competitor.\n\n")

	if gs := groups(rs, "idle", targets); len(gs) > 0 {
		fmt.Fprintf(w, "### Idle sockets\n\n")
		fmt.Fprintln(w, "| target | protocol | N | RSS / socket KiB | × Node | heap / socket KiB | goroutines / socket | idle CPU % | pings in window |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
		for _, g := range gs {
			heap, gor := "–", "–"
			if g.recs[0].HeapPerSocketKiB != 0 || g.recs[0].GoroutinesBefore != 0 {
				heap = g.cell(func(r record) float64 { return r.HeapPerSocketKiB }, 2)
				gor = g.cell(func(r record) float64 { return r.GoroutinesPerSocket }, 2)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", g.Target, g.protocol, num(float64(g.N), 0),
				g.cell(func(r record) float64 { return r.RSSPerSocketKiB }, 2),
				ratio(g, reference(gs, g), func(r record) float64 { return r.RSSPerSocketKiB }),
				heap, gor,
				g.cell(func(r record) float64 { return r.IdleCPUPct }, 1),
				g.cell(func(r record) float64 { return float64(r.Pings) }, 0))
		}
		fmt.Fprintln(w)
	}
	if gs := groups(rs, "broadcast", targets); len(gs) > 0 {
		fmt.Fprintf(w, "### One broadcast at a time\n\n")
		fmt.Fprintln(w, "Each broadcast is sent when the previous one has reached every socket. \"to last\" is the median over the broadcasts of the time from the send to the last socket's receive; p50/p99/max are over every delivery.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| target | N | size B | broadcasts | to last ms | × Node | p50 ms | p99 ms | max ms | deliveries/s | CPU µs / delivery | × Node |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
		for _, g := range gs {
			ref := reference(gs, g)
			fmt.Fprintf(w, "| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", g.Target, num(float64(g.N), 0), g.Size,
				g.recs[0].Broadcasts,
				g.cell(func(r record) float64 { return r.LastMS }, 1),
				ratio(g, ref, func(r record) float64 { return r.LastMS }),
				g.cell(func(r record) float64 { return r.P50MS }, 1),
				g.cell(func(r record) float64 { return r.P99MS }, 1),
				g.cell(func(r record) float64 { return r.MaxMS }, 1),
				g.cell(func(r record) float64 { return r.DeliveriesPerSec }, 0),
				g.cell(func(r record) float64 { return r.CPUUSPerDelivery }, 2),
				ratio(g, ref, func(r record) float64 { return r.CPUUSPerDelivery }))
		}
		fmt.Fprintln(w)
	}
	if gs := groups(rs, "burst", targets); len(gs) > 0 {
		fmt.Fprintf(w, "### Bursts of broadcasts\n\n")
		fmt.Fprintln(w, "One socket emits the whole burst back to back; deliveries/s = deliveries ÷ (last receive − first send).")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| target | N | size B | burst | deliveries/s | × Node | CPU µs / delivery | × Node | all delivered ms | p50 ms | p99 ms | incomplete |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
		for _, g := range gs {
			ref := reference(gs, g)
			fmt.Fprintf(w, "| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", g.Target, num(float64(g.N), 0), g.Size, g.Burst,
				g.cell(func(r record) float64 { return r.DeliveriesPerSec }, 0),
				ratio(g, ref, func(r record) float64 { return r.DeliveriesPerSec }),
				g.cell(func(r record) float64 { return r.CPUUSPerDelivery }, 2),
				ratio(g, ref, func(r record) float64 { return r.CPUUSPerDelivery }),
				g.cell(func(r record) float64 { return r.LastMS }, 0),
				g.cell(func(r record) float64 { return r.P50MS }, 1),
				g.cell(func(r record) float64 { return r.P99MS }, 1),
				g.cell(func(r record) float64 { return float64(r.Incomplete) }, 0))
		}
		fmt.Fprintln(w)
	}
	if gs := groups(rs, "echo", targets); len(gs) > 0 {
		fmt.Fprintf(w, "### Echo with acknowledgement\n\n")
		sus := sustained(rs)
		fmt.Fprintf(w, "Sustained rate: the highest offered rate whose p99 stayed within the limit with every echo answered (rates stepped up, stopping at the first failure).\n\n")
		fmt.Fprintln(w, "| target | protocol | sockets | sustained echoes/s | × Node |")
		fmt.Fprintln(w, "|---|---|---|---|---|")
		var node []float64
		for _, t := range targets {
			if t == "node" {
				node = sus[t]
			}
		}
		for _, t := range targets {
			v := sus[t]
			if len(v) == 0 {
				continue
			}
			proto, n := "", 0
			for _, g := range gs {
				if g.Target == t {
					proto, n = g.protocol, g.N
				}
			}
			cell := num(median(v), 0)
			if len(v) > 1 {
				cell += fmt.Sprintf(" (%s–%s)", num(slices.Min(v), 0), num(slices.Max(v), 0))
			}
			rat := "–"
			if t != "node" && len(node) > 0 && median(node) > 0 {
				rat = num(median(v)/median(node), 2) + "×"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", t, proto, num(float64(n), 0), cell, rat)
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| target | offered /s | achieved /s | p50 ms | p99 ms | max ms | server CPU % | CPU µs / echo | loaders CPU % | passed |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
		slices.SortStableFunc(gs, func(a, b group) int {
			return cmp.Or(cmp.Compare(slices.Index(targets, a.Target), slices.Index(targets, b.Target)), cmp.Compare(a.Rate, b.Rate))
		})
		for _, g := range gs {
			passed := 0
			for _, r := range g.recs {
				if r.Pass != nil && *r.Pass {
					passed++
				}
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %d/%d |\n", g.Target, num(g.Rate, 0),
				g.cell(func(r record) float64 { return r.AchievedRate }, 0),
				g.cell(func(r record) float64 { return r.P50MS }, 2),
				g.cell(func(r record) float64 { return r.P99MS }, 1),
				g.cell(func(r record) float64 { return r.MaxMS }, 1),
				g.cell(func(r record) float64 { return r.ServerCPUPct }, 0),
				g.cell(func(r record) float64 { return r.CPUUSPerEcho }, 1),
				g.cell(func(r record) float64 { return r.ClientCPUPct }, 0),
				passed, len(g.recs))
		}
		fmt.Fprintln(w)
	}
	writeAloneSummary(w, rs, targets)
	writeNoise(w, rs)
	var failed []string
	for _, r := range rs {
		if r.Error != "" {
			failed = append(failed, fmt.Sprintf("- %s %s N=%d run %d: %s", r.Scenario, r.Target, r.N, r.Run, firstLine(r.Error)))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "### Not measured\n\n%s\n\n", strings.Join(failed, "\n"))
	}
}

// sustained returns, per target, the sustained echo rate of every run.
func sustained(rs []record) map[string][]float64 {
	type tr struct {
		target string
		run    int
	}
	best := map[tr]float64{}
	failedAt := map[tr]float64{}
	for _, r := range rs {
		if r.Scenario != "echo" || r.Error != "" || r.Pass == nil {
			continue
		}
		k := tr{r.Target, r.Run}
		if _, ok := best[k]; !ok {
			best[k] = 0
		}
		if !*r.Pass {
			if f, ok := failedAt[k]; !ok || r.Rate < f {
				failedAt[k] = r.Rate
			}
		}
	}
	for _, r := range rs {
		if r.Scenario != "echo" || r.Error != "" || r.Pass == nil || !*r.Pass {
			continue
		}
		k := tr{r.Target, r.Run}
		if f, ok := failedAt[k]; ok && r.Rate > f {
			continue
		}
		best[k] = max(best[k], r.Rate)
	}
	out := map[string][]float64{}
	for k, v := range best {
		out[k.target] = append(out[k.target], v)
	}
	return out
}

// writeNoise summarises what else ran on the machine during the measured
// phases.
func writeNoise(w io.Writer, rs []record) {
	var other, clients []float64
	for _, r := range rs {
		if r.Error == "" && r.WindowMS > 0 {
			other = append(other, r.OtherCPUPct)
			clients = append(clients, r.ClientCPUPct)
		}
	}
	if len(other) == 0 {
		return
	}
	fmt.Fprintf(w, "### Noise\n\n")
	fmt.Fprintf(w, "CPU used during the measured phases by processes other than the server and the load generators (%% of one core, %d phases): median %.0f %%, max %.0f %%. Load generators: median %.0f %%, max %.0f %%.\n\n",
		len(other), median(other), slices.Max(other), median(clients), slices.Max(clients))
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
