package svgplot

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"
)

func TestSVG(t *testing.T) {
	for _, c := range []Chart{
		{Title: "a <b>", XLabel: "x", YLabel: "y", Series: []Series{
			{Name: "one", X: []float64{1000, 5000, 19000}, Y: []float64{3, 2.9, math.NaN()}},
			{Name: "two", X: []float64{1000, 19000}, Y: []float64{14, 14.6}},
		}, YFromZero: true, HLine: 3, HLineLabel: "target"},
		{LogX: true, LogY: true, Series: []Series{{Name: "log", X: []float64{0, 1000, 64000}, Y: []float64{1, 2, 80}}}},
		{}, // no data at all
	} {
		svg := c.SVG()
		if err := xml.Unmarshal(svg, new(struct{})); err != nil {
			t.Fatalf("not XML: %v\n%s", err, svg)
		}
		if c.Title != "" && !strings.Contains(string(svg), "a &lt;b&gt;") {
			t.Fatal("title not escaped")
		}
		for _, s := range c.Series {
			if !strings.Contains(string(svg), s.Name) {
				t.Fatalf("legend lacks %s", s.Name)
			}
		}
	}
}

func TestAxis(t *testing.T) {
	a := newAxis([]float64{3, 14.6}, false, true)
	if a.lo != 0 || a.hi < 14.6 || a.step <= 0 {
		t.Fatalf("axis %+v", a)
	}
	if ticks := a.ticks(); len(ticks) < 3 || ticks[0] != 0 {
		t.Fatalf("ticks %v", ticks)
	}
	l := newAxis([]float64{900, 64000}, true, false)
	if l.lo != 100 || l.hi != 100000 || l.frac(1000) <= 0 || l.frac(1000) >= 1 {
		t.Fatalf("log axis %+v", l)
	}
	for v, want := range map[float64]string{1500: "1.5k", 2e6: "2M", 0.25: "0.25", 10: "10"} {
		if got := label(v); got != want {
			t.Errorf("label(%v) = %q, want %q", v, got, want)
		}
	}
	if niceStep(0.3) != 0.5 || niceStep(7) != 10 || niceStep(1) != 1 {
		t.Fatal("niceStep")
	}
}
