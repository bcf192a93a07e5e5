package eio

import (
	"math"
	"net/netip"
	"sync"
	"time"
)

// rateTableSize bounds the addresses whose handshake rate is tracked: about
// 48 bytes each, so at most a few MiB however many addresses an attacker
// rotates through.
const rateTableSize = 1 << 16

// rateTable is a token bucket per client address, each stored as one
// number: the GCRA "theoretical arrival time" (tat). A request at time t is
// admitted when tat - t <= tolerance, and then moves tat to max(tat, t) +
// interval: a steady rate of one request per interval with bursts of
// burst requests.
//
// An entry whose tat is in the past is the same as no entry (a full
// bucket), and an entry written at time w has tat <= w + tolerance +
// interval. So the table keeps two generations of entries and drops the
// older one when the current one fills up (size/2 entries) or is older than
// tolerance + interval, whichever comes first: memory is bounded by size
// entries, and forgetting an address only ever gives it a full bucket, the
// same as a new address gets.
type rateTable struct {
	interval, tolerance int64 // nanoseconds
	half                int   // entries per generation
	epoch               time.Time

	mu        sync.Mutex
	cur, prev map[netip.Addr]int64
	curStart  int64 // when cur became current
}

func newRateTable(perSecond float64, burst, size int) *rateTable {
	interval := int64(math.Ceil(float64(time.Second) / perSecond))
	if interval < 1 {
		interval = 1
	}
	if burst < 1 {
		burst = 1
	}
	return &rateTable{
		interval:  interval,
		tolerance: int64(burst-1) * interval,
		half:      max(1, size/2),
		epoch:     time.Now(),
		cur:       make(map[netip.Addr]int64),
	}
}

// allow takes one token for ip at time now. When there is none it reports
// how long until there will be one.
func (t *rateTable) allow(ip netip.Addr, now time.Time) (time.Duration, bool) {
	ts := int64(now.Sub(t.epoch))
	t.mu.Lock()
	defer t.mu.Unlock()
	if ts-t.curStart > t.tolerance+t.interval {
		// Everything in prev is older than a full refill: drop it.
		t.rotateLocked(ts)
	}
	tat, found := t.cur[ip]
	if !found {
		if old, ok := t.prev[ip]; ok {
			tat = old
			delete(t.prev, ip)
		}
		if len(t.cur) >= t.half {
			t.rotateLocked(ts)
		}
	}
	tat = max(tat, ts)
	ok := tat-ts <= t.tolerance
	wait := time.Duration(0)
	if ok {
		tat += t.interval
	} else {
		wait = time.Duration(tat - ts - t.tolerance)
	}
	t.cur[ip] = tat
	return wait, ok
}

func (t *rateTable) rotateLocked(ts int64) {
	t.prev, t.cur = t.cur, make(map[netip.Addr]int64)
	t.curStart = ts
}

// len reports the tracked entries (tests).
func (t *rateTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.cur) + len(t.prev)
}
