package sioload

import (
	"encoding/json"
	"fmt"
	"math/bits"
)

// Histogram counts non-negative values (the loader records microseconds)
// in log-linear buckets: exact below 128, then 64 buckets per power of two,
// so a quantile is off by less than 1.6 %. Histograms from several processes
// merge exactly. The zero value is empty and ready to use; a Histogram is
// not safe for concurrent use.
type Histogram struct {
	counts []uint64 // by bucket, grown on demand
	n      uint64
	sum    uint64
	max    uint64
}

const (
	subBits    = 6
	subBuckets = 1 << subBits
)

// bucketOf returns the bucket of v.
func bucketOf(v uint64) int {
	if v < 2*subBuckets {
		return int(v)
	}
	e := bits.Len64(v) - subBits - 1 // v>>e is in [64, 128)
	return (e+1)*subBuckets + int(v>>e) - subBuckets
}

// bucketRange returns the smallest and largest values of bucket b.
func bucketRange(b int) (lo, hi uint64) {
	if b < 2*subBuckets {
		return uint64(b), uint64(b)
	}
	e := uint(b/subBuckets - 1)
	m := uint64(b%subBuckets + subBuckets)
	return m << e, (m+1)<<e - 1
}

// Record adds one value; negative values count as 0.
func (h *Histogram) Record(v int64) {
	u := uint64(max(v, 0))
	b := bucketOf(u)
	if b >= len(h.counts) {
		h.counts = append(h.counts, make([]uint64, b+1-len(h.counts))...)
	}
	h.counts[b]++
	h.n++
	h.sum += u
	h.max = max(h.max, u)
}

// Merge adds o's values to h.
func (h *Histogram) Merge(o *Histogram) {
	if len(o.counts) > len(h.counts) {
		h.counts = append(h.counts, make([]uint64, len(o.counts)-len(h.counts))...)
	}
	for b, c := range o.counts {
		h.counts[b] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// Reset empties h.
func (h *Histogram) Reset() { *h = Histogram{} }

// Count returns the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Max returns the largest value recorded (exact), 0 when empty.
func (h *Histogram) Max() int64 { return int64(h.max) }

// Mean returns the mean of the values, 0 when empty.
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return float64(h.sum) / float64(h.n)
}

// Quantile returns the value below which a share q (0..1) of the values
// lie: the middle of the bucket holding the rank, never above Max. It
// returns 0 when empty.
func (h *Histogram) Quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketRange(b)
			return int64(min(lo+(hi-lo)/2, h.max))
		}
	}
	return int64(h.max)
}

// histJSON is the wire form: the non-empty buckets as [bucket, count] pairs.
type histJSON struct {
	N       uint64      `json:"n"`
	Sum     uint64      `json:"sum"`
	Max     uint64      `json:"max"`
	Buckets [][2]uint64 `json:"buckets,omitempty"`
}

// MarshalJSON encodes the non-empty buckets only.
func (h Histogram) MarshalJSON() ([]byte, error) {
	j := histJSON{N: h.n, Sum: h.sum, Max: h.max}
	for b, c := range h.counts {
		if c > 0 {
			j.Buckets = append(j.Buckets, [2]uint64{uint64(b), c})
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var j histJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*h = Histogram{n: j.N, sum: j.Sum, max: j.Max}
	var total uint64
	for _, bc := range j.Buckets {
		if bc[0] > 64*subBuckets {
			return fmt.Errorf("sioload: histogram bucket %d out of range", bc[0])
		}
		b := int(bc[0])
		if b >= len(h.counts) {
			h.counts = append(h.counts, make([]uint64, b+1-len(h.counts))...)
		}
		h.counts[b] += bc[1]
		total += bc[1]
	}
	if total != h.n {
		return fmt.Errorf("sioload: histogram counts %d values, header says %d", total, h.n)
	}
	return nil
}
