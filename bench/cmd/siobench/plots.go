package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/siogate/siogate/bench/internal/svgplot"
)

// writePlots writes the SVG plots of the scenarios in rs to dir, named
// prefix-<plot>.svg, and returns the files written.
func writePlots(dir, prefix string, rs []record, targets []string) ([]string, error) {
	var charts []struct {
		name  string
		chart svgplot.Chart
	}
	add := func(name string, c svgplot.Chart) {
		if len(c.Series) > 0 {
			charts = append(charts, struct {
				name  string
				chart svgplot.Chart
			}{name, c})
		}
	}
	byN := func(scenario string, size int, f func(record) float64) []svgplot.Series {
		var out []svgplot.Series
		for _, t := range targets {
			var s svgplot.Series
			s.Name = t
			for _, g := range groups(rs, scenario, targets) {
				if g.Target == t && g.Size == size {
					s.X = append(s.X, float64(g.N))
					s.Y = append(s.Y, median(g.values(f)))
				}
			}
			if len(s.X) > 0 {
				out = append(out, s)
			}
		}
		return out
	}
	add("idle-rss", svgplot.Chart{
		Title: "RSS per idle socket vs sockets", XLabel: "sockets", YLabel: "KiB per socket", YFromZero: true,
		Series: byN("idle", 0, func(r record) float64 { return r.RSSPerSocketKiB }),
	})
	for _, size := range sizes(rs, "broadcast") {
		add(fmt.Sprintf("broadcast-%dB-last", size), svgplot.Chart{
			Title:  fmt.Sprintf("One %d B broadcast: time to the last socket", size),
			XLabel: "sockets", YLabel: "ms (median over broadcasts and runs)", YFromZero: true,
			Series: byN("broadcast", size, func(r record) float64 { return r.LastMS }),
		})
		add(fmt.Sprintf("broadcast-%dB-cpu", size), svgplot.Chart{
			Title:  fmt.Sprintf("One %d B broadcast: server CPU per delivery", size),
			XLabel: "sockets", YLabel: "µs per delivery", YFromZero: true,
			Series: byN("broadcast", size, func(r record) float64 { return r.CPUUSPerDelivery }),
		})
	}
	for _, size := range sizes(rs, "burst") {
		add(fmt.Sprintf("burst-%dB-rate", size), svgplot.Chart{
			Title:  fmt.Sprintf("Bursts of %d B broadcasts: deliveries per second", size),
			XLabel: "sockets", YLabel: "deliveries/s", YFromZero: true,
			Series: byN("burst", size, func(r record) float64 { return r.DeliveriesPerSec }),
		})
	}
	var echo []svgplot.Series
	limit := math.NaN()
	for _, t := range targets {
		s := svgplot.Series{Name: t}
		for _, g := range groups(rs, "echo", targets) {
			if g.Target == t {
				s.X = append(s.X, g.Rate)
				s.Y = append(s.Y, median(g.values(func(r record) float64 { return r.P99MS })))
				limit = g.recs[0].EchoP99Limit
			}
		}
		if len(s.X) > 0 {
			echo = append(echo, s)
		}
	}
	add("echo-p99", svgplot.Chart{
		Title: "Echo with ack: p99 latency vs offered rate", XLabel: "offered echoes/s", YLabel: "p99 ms",
		LogX: true, LogY: true, Series: echo, HLine: limit, HLineLabel: "limit",
	})

	var slow []svgplot.Series
	stallAt := 0
	for _, t := range targets {
		var pick *record
		for i, r := range rs {
			if r.Scenario == "slow" && r.Target == t && r.Error == "" && len(r.RSSSeries) > 0 && (pick == nil || r.N > pick.N) {
				pick = &rs[i]
			}
		}
		if pick == nil {
			continue
		}
		s := svgplot.Series{Name: t}
		for i, v := range pick.RSSSeries {
			s.X = append(s.X, float64(i))
			s.Y = append(s.Y, mib(v))
		}
		stallAt = pick.RSSStallAt
		slow = append(slow, s)
	}
	add("slow-rss", svgplot.Chart{
		Title:  fmt.Sprintf("Slow consumers: server RSS (sockets stalled from second %d)", stallAt),
		XLabel: "seconds (one sample a second; phase 1, then phase 2)", YLabel: "RSS MiB", YFromZero: true, Series: slow,
	})

	var files []string
	for _, c := range charts {
		path := filepath.Join(dir, prefix+"-"+c.name+".svg")
		if err := os.WriteFile(path, c.chart.SVG(), 0o644); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}

// sizes returns the payload sizes measured in a scenario.
func sizes(rs []record, scenario string) []int {
	var out []int
	for _, r := range rs {
		if r.Scenario == scenario && r.Error == "" && !slices.Contains(out, r.Size) {
			out = append(out, r.Size)
		}
	}
	slices.Sort(out)
	return out
}
