package sioload

import (
	"math/rand/v2"
	"time"
)

// redial is a handshake attempt waiting for its backoff.
type redial struct {
	idx     int32
	attempt uint8
	born    int64
	due     int64 // Unix ns
}

// dialJob is the Connect (or Reconnect) in progress.
type dialJob struct {
	left  int // first attempts not started yet
	next  int32
	start time.Time
	res   Result
	done  chan Result // buffered 1; receives the result once
}

// pumpDial starts the redials that are due and new first attempts, up to
// Options.Concurrency handshakes in flight, and ends the job when nothing
// is left.
func (lp *loop) pumpDial(now int64) {
	d := lp.dial
	for i := 0; i < len(lp.redials) && len(lp.hs) < lp.o.Concurrency; {
		r := lp.redials[i]
		if r.due > now {
			i++
			continue
		}
		lp.redials[i] = lp.redials[len(lp.redials)-1]
		lp.redials = lp.redials[:len(lp.redials)-1]
		lp.attempt(r.idx, r.attempt+1, r.born, now)
	}
	for d.left > 0 && len(lp.hs) < lp.o.Concurrency {
		d.left--
		d.next++
		lp.attempt(d.next-1, 1, now, now)
	}
	if d.left == 0 && len(lp.hs) == 0 && len(lp.redials) == 0 {
		lp.finishDial()
	}
}

// attempt starts one handshake of connection idx.
func (lp *loop) attempt(idx int32, attempt uint8, born, now int64) {
	c, err := lp.newConn(idx, attempt, born, now)
	if err != nil {
		lp.handshakeFailed(idx, attempt, born, err)
		return
	}
	lp.register(c)
}

// handshakeFailed retries connection idx after a backoff, or gives it up.
func (lp *loop) handshakeFailed(idx int32, attempt uint8, born int64, err error) {
	d := lp.dial
	if d == nil {
		return
	}
	if retryable(err) && attempt < 255 {
		backoff := min(10*time.Millisecond<<min(attempt, 10), maxBackoff)
		jitter := rand.N(backoff)
		lp.redials = append(lp.redials, redial{
			idx: idx, attempt: attempt, born: born,
			due: time.Now().Add(backoff/2 + jitter/2).UnixNano(),
		})
		d.res.Retries++
		return
	}
	d.res.Failed++
	if d.res.Errors == nil {
		d.res.Errors = map[string]int{}
	}
	d.res.Errors[ErrorClass(err)]++
	if d.res.FirstError == "" {
		d.res.FirstError = err.Error()
	}
}

// finishDial ends the Connect in progress and hands its result over.
func (lp *loop) finishDial() {
	d := lp.dial
	lp.dial = nil
	if n := len(lp.redials); n > 0 {
		d.res.Failed += n
		if d.res.Errors == nil {
			d.res.Errors = map[string]int{}
		}
		d.res.Errors["deadline"] += n
	}
	lp.redials = nil
	d.res.Elapsed = time.Since(d.start)
	d.done <- d.res
}

// abortDial gives up the Connect in progress: pending attempts fail with
// "deadline".
func (lp *loop) abortDial() {
	d := lp.dial
	if d == nil {
		return
	}
	d.res.Failed += d.left
	if d.left > 0 {
		if d.res.Errors == nil {
			d.res.Errors = map[string]int{}
		}
		d.res.Errors["deadline"] += d.left
	}
	d.left = 0
	for i := 0; i < len(lp.hs); {
		if c := lp.hs[i]; !c.churn {
			lp.drop(c, errAborted) // not retryable: counted as failed
			continue
		}
		i++
	}
	if d.res.FirstError == "" && d.res.Failed > 0 {
		d.res.FirstError = "connect deadline passed"
	}
	lp.finishDial()
}

// dropAll closes every ready socket at once, on purpose: they are not
// counted as lost. It returns how many there were.
func (lp *loop) dropAll() int {
	n := len(lp.ready)
	for _, c := range lp.ready {
		c.pos = -1
		lp.release(c)
	}
	lp.ready = lp.ready[:0]
	return n
}
