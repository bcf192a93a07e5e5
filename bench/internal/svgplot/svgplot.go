// Package svgplot draws small line charts as SVG: a few series of points,
// linear or logarithmic axes with round ticks, a legend. It exists so the
// benchmark harness can write its plots without a dependency; it is not a
// general plotting library.
//
//	svg := svgplot.Chart{
//		Title: "RSS per idle socket", XLabel: "sockets", YLabel: "KiB",
//		Series: []svgplot.Series{{Name: "siogate", X: []float64{1000, 19000}, Y: []float64{2.9, 2.8}}},
//	}.SVG()
package svgplot

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strconv"
)

// Series is one line: points (X[i], Y[i]), drawn in the order given.
// Points with a NaN or, on a log axis, non-positive coordinate are skipped.
type Series struct {
	Name string
	X, Y []float64
}

// Chart is a line chart. Zero Width and Height select 640x400.
type Chart struct {
	Title, XLabel, YLabel string
	LogX, LogY            bool
	// YFromZero starts a linear Y axis at 0.
	YFromZero bool
	Series    []Series
	// HLine, if not NaN or zero, draws a dashed horizontal line at that Y
	// (a threshold), labelled HLineLabel.
	HLine      float64
	HLineLabel string
	Width      int
	Height     int
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"}

const (
	marginL = 70
	marginR = 20
	marginT = 40
	marginB = 50
)

// SVG renders the chart.
func (c Chart) SVG() []byte {
	w, h := c.Width, c.Height
	if w <= 0 {
		w = 640
	}
	if h <= 0 {
		h = 400
	}
	xs, ys := c.collect()
	xa := newAxis(xs, c.LogX, false)
	ya := newAxis(ys, c.LogY, c.YFromZero)
	if c.HLine != 0 && !math.IsNaN(c.HLine) {
		ya = newAxis(append(ys, c.HLine), c.LogY, c.YFromZero)
	}
	pw, ph := float64(w-marginL-marginR), float64(h-marginT-marginB)
	px := func(x float64) float64 { return marginL + xa.frac(x)*pw }
	py := func(y float64) float64 { return marginT + (1-ya.frac(y))*ph }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14" text-anchor="middle">%s</text>`+"\n", w/2, esc(c.Title))
	// Grid and ticks.
	for _, t := range xa.ticks() {
		x := px(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x, marginT, x, marginT+ph)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x, marginT+ph+16, label(t))
	}
	for _, t := range ya.ticks() {
		y := py(t)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", marginL, y, marginL+pw, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", marginL-6, y+4, label(t))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%.1f" fill="none" stroke="#333"/>`+"\n", marginL, marginT, pw, ph)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", marginL+pw/2, h-10, esc(c.XLabel))
	fmt.Fprintf(&b, `<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", marginT+ph/2, esc(c.YLabel))
	if c.HLine != 0 && !math.IsNaN(c.HLine) {
		y := py(c.HLine)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#888" stroke-dasharray="6 4"/>`+"\n", marginL, y, marginL+pw, y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" fill="#666">%s</text>`+"\n", marginL+pw-4, y-4, esc(c.HLineLabel))
	}
	// Series.
	for i, s := range c.Series {
		color := palette[i%len(palette)]
		var pts bytes.Buffer
		for j := range min(len(s.X), len(s.Y)) {
			if !c.ok(s.X[j], s.Y[j]) {
				continue
			}
			fmt.Fprintf(&pts, "%.1f,%.1f ", px(s.X[j]), py(s.Y[j]))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(s.X[j]), py(s.Y[j]), color)
		}
		if pts.Len() > 0 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", bytes.TrimSpace(pts.Bytes()), color)
		}
		ly := marginT + 16 + 16*i
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", marginL+10, ly-4, marginL+30, ly-4, color)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", marginL+36, ly, esc(s.Name))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// collect returns every drawable coordinate.
func (c Chart) collect() (xs, ys []float64) {
	for _, s := range c.Series {
		for j := range min(len(s.X), len(s.Y)) {
			if c.ok(s.X[j], s.Y[j]) {
				xs, ys = append(xs, s.X[j]), append(ys, s.Y[j])
			}
		}
	}
	return xs, ys
}

func (c Chart) ok(x, y float64) bool {
	switch {
	case math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0):
		return false
	case c.LogX && x <= 0, c.LogY && y <= 0:
		return false
	}
	return true
}

// axis maps data values to [0, 1].
type axis struct {
	lo, hi float64
	log    bool
	step   float64 // linear tick step
}

func newAxis(vs []float64, log, fromZero bool) axis {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if len(vs) == 0 {
		lo, hi = 1, 10
	}
	if log {
		lo = math.Pow(10, math.Floor(math.Log10(lo)))
		hi = math.Pow(10, math.Ceil(math.Log10(hi)))
		if hi <= lo {
			hi = lo * 10
		}
		return axis{lo: lo, hi: hi, log: true}
	}
	if fromZero {
		lo = math.Min(lo, 0)
	}
	if hi <= lo {
		hi = lo + 1
	}
	step := niceStep((hi - lo) / 5)
	return axis{lo: math.Floor(lo/step) * step, hi: math.Ceil(hi/step) * step, step: step}
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func (a axis) frac(v float64) float64 {
	if a.log {
		return (math.Log10(v) - math.Log10(a.lo)) / (math.Log10(a.hi) - math.Log10(a.lo))
	}
	return (v - a.lo) / (a.hi - a.lo)
}

func (a axis) ticks() []float64 {
	var out []float64
	if a.log {
		decades := math.Log10(a.hi / a.lo)
		for d := a.lo; d <= a.hi*1.0001; d *= 10 {
			out = append(out, d)
			if decades <= 2 && d*2 < a.hi {
				out = append(out, d*2, d*5)
			}
		}
		return out
	}
	for v := a.lo; v <= a.hi+a.step/1000; v += a.step {
		out = append(out, math.Round(v/a.step)*a.step)
	}
	return out
}

// label formats a tick value: 1500 -> "1.5k", 0.25 -> "0.25".
func label(v float64) string {
	av := math.Abs(v)
	switch {
	case av >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 4, 64) + "M"
	case av >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 4, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func esc(s string) string { return html.EscapeString(s) }
