package poller

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/ants/v2"
)

// Executor runs user work on a bounded github.com/panjf2000/ants/v2 pool
// without ever blocking the caller: I/O goroutines hand events to a Serial
// and return at once. A worker runs one Serial, then the Serials waiting in
// the run queue, before it goes idle.
//
// The number of workers running at once is held near what the CPUs can run
// (ExecutorOptions.Parallel) while tasks finish quickly, and raised, up to
// ExecutorOptions.Workers, when queued work waits behind tasks that block
// (executor_limit.go). A burst of short tasks therefore no longer starts a
// goroutine per task: the Go runtime keeps a descriptor for every goroutine
// that ever ran at once, so a worker peak is memory held for good.
type Executor struct {
	// pool runs invoke(arg): arg is the *Serial to drain first, or the
	// Executor itself for a worker that only drains the run queue (ants
	// ends a worker given nil). A pool with one function spares every
	// Serial a closure of its own.
	pool *ants.PoolWithFunc

	floor, ceil int64         // bounds of limit: Parallel and Workers
	limit       atomic.Int64  // workers allowed to run now
	workers     atomic.Int64  // workers started and not yet finished
	done        atomic.Uint64 // tasks run: progress, for the kicker
	grows       atomic.Uint64
	adapt       adaptState // the kicker's own

	mu    sync.Mutex
	ready []*Serial

	panics   atomic.Uint64
	onPanic  func(v any)
	kickStop chan struct{}
	wg       sync.WaitGroup
	closed   atomic.Bool
}

// ExecutorOptions configures an Executor. The zero value is usable.
type ExecutorOptions struct {
	// Workers bounds the number of goroutines running tasks (default 10,000).
	Workers int
	// Parallel is how many tasks run at once while tasks do not block
	// (default 4 × GOMAXPROCS, at least 8; at most Workers). The executor
	// raises it, up to Workers, when queued tasks wait behind blocked ones,
	// and lowers it again once the queue has stayed empty for a second.
	Parallel int
	// OnPanic is called with the value of a recovered panic (default: count it).
	OnPanic func(v any)
}

// NewExecutor starts an executor.
func NewExecutor(o ExecutorOptions) (*Executor, error) {
	if o.Workers <= 0 {
		o.Workers = 10000
	}
	if o.Parallel <= 0 {
		o.Parallel = max(8, 4*runtime.GOMAXPROCS(0))
	}
	o.Parallel = min(o.Parallel, o.Workers)
	e := &Executor{onPanic: o.OnPanic, kickStop: make(chan struct{}),
		floor: int64(o.Parallel), ceil: int64(o.Workers)}
	p, err := ants.NewPoolWithFunc(o.Workers, e.invoke, ants.WithNonblocking(true), ants.WithExpiryDuration(10*time.Second))
	if err != nil {
		return nil, fmt.Errorf("poller: executor pool: %w", err)
	}
	e.pool = p
	e.limit.Store(e.floor)
	e.adapt.init()
	e.wg.Add(1)
	go e.kicker()
	return e, nil
}

// Running reports how many workers are running tasks now (idle workers
// waiting to expire are not counted).
func (e *Executor) Running() int { return int(e.workers.Load()) }

// Limit reports how many workers may run at once now: Parallel, or more
// while tasks block.
func (e *Executor) Limit() int { return int(e.limit.Load()) }

// Grows reports how many times the worker limit was raised because queued
// tasks waited behind blocked ones.
func (e *Executor) Grows() uint64 { return e.grows.Load() }

// Panics reports how many task panics were recovered.
func (e *Executor) Panics() uint64 { return e.panics.Load() }

// Close waits up to timeout for running tasks, then releases the pool.
func (e *Executor) Close(timeout time.Duration) error {
	if !e.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(e.kickStop)
	e.wg.Wait()
	return e.pool.ReleaseTimeout(timeout)
}

// reserve takes a worker slot under the current limit.
func (e *Executor) reserve() bool {
	for {
		w := e.workers.Load()
		if w >= e.limit.Load() {
			return false
		}
		if e.workers.CompareAndSwap(w, w+1) {
			return true
		}
	}
}

// start runs work(s) on a pool worker in a slot already reserved.
func (e *Executor) start(s *Serial) error {
	var arg any = e
	if s != nil {
		arg = s
	}
	err := e.pool.Invoke(arg)
	if err != nil {
		e.workers.Add(-1)
	}
	return err
}

func (e *Executor) schedule(s *Serial) {
	if e.closed.Load() {
		s.scheduled.Store(false)
		return
	}
	if e.reserve() {
		err := e.start(s)
		if err == nil {
			return
		}
		if !errors.Is(err, ants.ErrPoolOverload) {
			// Pool closed: the work is dropped, as after Shutdown.
			s.scheduled.Store(false)
			return
		}
	}
	e.mu.Lock()
	e.ready = append(e.ready, s)
	e.mu.Unlock()
	// A worker that released its slot after this schedule's reserve failed
	// has seen the run queue before s was added: start one in its place.
	e.wake()
}

// wake starts a worker for the run queue if the limit allows one.
func (e *Executor) wake() {
	if e.reserve() {
		_ = e.start(nil) // on overload the kicker retries
	}
}

func (e *Executor) popReady() *Serial {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.ready) == 0 {
		return nil
	}
	s := e.ready[0]
	e.ready[0] = nil
	e.ready = e.ready[1:]
	if len(e.ready) == 0 {
		e.ready = nil
	}
	return s
}

func (e *Executor) queued() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.ready)
}

func (e *Executor) invoke(arg any) {
	s, _ := arg.(*Serial) // nil for the Executor: the run queue only
	e.work(s)
}

// work is a worker: it drains s (if any), then the run queue, and gives
// its slot back when the queue is empty.
func (e *Executor) work(s *Serial) {
	for {
		if s != nil {
			s.drain()
		}
		if s = e.popReady(); s != nil {
			continue
		}
		e.workers.Add(-1)
		// A Serial queued while this worker held the last slot waits for
		// this check or for its scheduler's wake, whichever sees the slot.
		if e.queued() == 0 || !e.reserve() {
			return
		}
	}
}

// ErrMailboxFull is returned by Serial.Submit when the mailbox bound is hit.
var ErrMailboxFull = errors.New("poller: mailbox full")

// Serial is one owner's mailbox (typically one socket's): tasks submitted to
// it run on the Executor's pool one at a time, in submission order, while
// different Serials run in parallel. Each task runs under its own recover.
// The zero value is not usable; call Init.
type Serial struct {
	ex        *Executor
	limit     int32
	scheduled atomic.Bool

	mu    sync.Mutex
	queue []func()
	spare []func()
}

// Init binds s to an executor with a bound on queued tasks (<= 0: 1024).
func (s *Serial) Init(ex *Executor, limit int) {
	if limit <= 0 {
		limit = 1024
	}
	s.ex, s.limit = ex, int32(min(limit, math.MaxInt32))
}

// Submit queues fn. It never blocks; it returns ErrMailboxFull when the
// mailbox holds limit tasks already, so the owner can apply its overflow
// policy (siogate disconnects the socket).
func (s *Serial) Submit(fn func()) error {
	s.mu.Lock()
	if len(s.queue) >= int(s.limit) {
		s.mu.Unlock()
		return ErrMailboxFull
	}
	s.queue = append(s.queue, fn)
	s.mu.Unlock()
	if s.scheduled.CompareAndSwap(false, true) {
		s.ex.schedule(s)
	}
	return nil
}

// Force queues fn even when the mailbox is full. It is for the one task
// that must not be lost, such as the close notification after an overflow.
func (s *Serial) Force(fn func()) {
	s.mu.Lock()
	s.queue = append(s.queue, fn)
	s.mu.Unlock()
	if s.scheduled.CompareAndSwap(false, true) {
		s.ex.schedule(s)
	}
}

// Len reports the number of queued tasks.
func (s *Serial) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

func (s *Serial) drain() {
	for {
		s.mu.Lock()
		batch := s.queue
		s.queue, s.spare = s.spare[:0], nil
		s.mu.Unlock()
		for i, fn := range batch {
			s.call(fn)
			batch[i] = nil
		}
		s.mu.Lock()
		if cap(batch) <= 64 {
			s.spare = batch[:0]
		}
		if len(s.queue) == 0 {
			// A Submit that appends after this point sees scheduled == false
			// and schedules a new drain; one that appended before was seen.
			s.scheduled.Store(false)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

func (s *Serial) call(fn func()) {
	defer func() {
		if v := recover(); v != nil {
			s.ex.panics.Add(1)
			if s.ex.onPanic != nil {
				s.ex.onPanic(v)
			}
		}
	}()
	fn()
	s.ex.done.Add(1)
}
