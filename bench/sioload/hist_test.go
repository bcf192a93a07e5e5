package sioload

import (
	"encoding/json"
	"math"
	"testing"
)

func TestBuckets(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<20; v++ {
		b := bucketOf(v)
		if b != prev && b != prev+1 {
			t.Fatalf("bucketOf(%d) = %d after %d: not contiguous", v, b, prev)
		}
		lo, hi := bucketRange(b)
		if v < lo || v > hi {
			t.Fatalf("value %d in bucket %d = [%d, %d]", v, b, lo, hi)
		}
		if float64(hi-lo) > float64(lo)/64 {
			t.Fatalf("bucket %d = [%d, %d] wider than 1/64", b, lo, hi)
		}
		prev = b
	}
	if b := bucketOf(math.MaxUint64); b >= 64*subBuckets {
		t.Fatalf("bucketOf(max) = %d", b)
	}
}

func TestHistogram(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Max() != 0 || h.Mean() != 0 {
		t.Fatal("empty histogram not zero")
	}
	for v := int64(1); v <= 10000; v++ {
		h.Record(v)
	}
	h.Record(-5) // counts as 0
	for _, tc := range []struct {
		q    float64
		want int64
	}{{0.5, 5000}, {0.99, 9900}, {1, 10000}} {
		got := h.Quantile(tc.q)
		if math.Abs(float64(got-tc.want)) > float64(tc.want)/60 {
			t.Errorf("Quantile(%v) = %d, want about %d", tc.q, got, tc.want)
		}
	}
	if h.Max() != 10000 || h.Count() != 10001 {
		t.Fatalf("max %d count %d", h.Max(), h.Count())
	}

	var a, b Histogram
	for v := int64(0); v < 500; v++ {
		a.Record(v)
		b.Record(v * 1000)
	}
	a.Merge(&b)
	if a.Count() != 1000 || a.Max() != 499000 {
		t.Fatalf("merged count %d max %d", a.Count(), a.Max())
	}
	js, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back.Count() != a.Count() || back.Quantile(0.9) != a.Quantile(0.9) || back.Max() != a.Max() || back.Mean() != a.Mean() {
		t.Fatalf("JSON round trip: %s", js)
	}
	for _, bad := range []string{`{"n":2,"buckets":[[1,1]]}`, `{"n":1,"buckets":[[999999,1]]}`, `[`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("Unmarshal(%s): no error", bad)
		}
	}
	h.Reset()
	if h.Count() != 0 {
		t.Fatal("Reset")
	}
}
