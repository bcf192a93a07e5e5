package poller

import (
	"runtime/metrics"
	"time"
)

// The executor's worker limit. Every kickEvery the kicker looks at the run
// queue. Work that waited there a whole tick, twice in a row, while the
// workers were blocked, doubles the limit (up to ExecutorOptions.Workers)
// and starts workers for it. A queue empty for a second with at most a
// quarter of the limit busy halves it again (down to Parallel).
//
// "Blocked" is read from the Go scheduler: at least half of the workers
// are not among the goroutines running or runnable in the whole process,
// so they sleep, wait on a channel, a lock or I/O; or no task finished
// during the tick. Tasks that only use the CPU do not raise the limit,
// since more goroutines than CPUs would not finish them sooner; a worker
// or two waiting on a lock for a moment does not either.

const (
	kickEvery   = 10 * time.Millisecond
	shrinkAfter = 100 // quiet ticks (a second) before the limit halves
)

// adaptState is the kicker goroutine's own memory between ticks.
type adaptState struct {
	samples  []metrics.Sample
	waited   bool   // the run queue was non-empty at the previous tick
	blocked  bool   // and the workers were blocked then
	lastDone uint64 // Executor.done at the previous tick
	quiet    int    // ticks in a row with an empty queue and few workers
}

func (a *adaptState) init() {
	a.samples = []metrics.Sample{
		{Name: "/sched/goroutines/running:goroutines"},
		{Name: "/sched/goroutines/runnable:goroutines"},
	}
}

// onCPU reports how many goroutines of the process run or wait for a CPU.
func (a *adaptState) onCPU() int64 {
	metrics.Read(a.samples)
	var n int64
	for _, s := range a.samples {
		if s.Value.Kind() == metrics.KindUint64 {
			n += int64(s.Value.Uint64())
		}
	}
	return n
}

// kicker adapts the limit and guards against a lost wakeup: a Serial
// queued while no worker could be started (the pool was overloaded).
func (e *Executor) kicker() {
	defer e.wg.Done()
	t := time.NewTicker(kickEvery)
	defer t.Stop()
	for {
		select {
		case <-e.kickStop:
			return
		case <-t.C:
			e.tick()
		}
	}
}

func (e *Executor) tick() {
	a := &e.adapt
	n := e.queued()
	done := e.done.Load()
	blocked := false
	switch {
	case n > 0:
		a.quiet = 0
		if a.waited {
			w := e.workers.Load()
			blocked = done == a.lastDone || w > 0 && 2*(w-a.onCPU()) >= w
			if blocked && a.blocked {
				e.grow(n)
				blocked = false // the next raise needs two more ticks
			}
		}
		e.wake()
	case e.workers.Load() <= e.limit.Load()/4:
		if a.quiet++; a.quiet >= shrinkAfter {
			a.quiet = 0
			e.limit.Store(max(e.floor, e.limit.Load()/2))
		}
	default:
		a.quiet = 0
	}
	a.waited, a.blocked, a.lastDone = n > 0, blocked, done
}

// grow doubles the limit and starts workers for the queued Serials it
// lets in.
func (e *Executor) grow(queued int) {
	l := e.limit.Load()
	if l >= e.ceil {
		return
	}
	nl := min(e.ceil, 2*l)
	e.limit.Store(nl)
	e.grows.Add(1)
	for i := min(int64(queued), nl-l); i > 0; i-- {
		e.wake()
	}
}
