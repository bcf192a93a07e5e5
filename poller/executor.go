package poller

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/ants/v2"
)

// Executor runs user work on a bounded github.com/panjf2000/ants/v2 pool
// without ever blocking the caller: I/O goroutines hand events to a Serial
// and return at once. When every worker is busy, ready Serials wait in an
// overflow run queue that workers drain before they go idle.
type Executor struct {
	pool *ants.Pool

	mu    sync.Mutex
	ready []*Serial

	panics   atomic.Uint64
	busy     atomic.Int64
	onPanic  func(v any)
	kickStop chan struct{}
	wg       sync.WaitGroup
	closed   atomic.Bool
}

// ExecutorOptions configures an Executor. The zero value is usable.
type ExecutorOptions struct {
	// Workers bounds the number of goroutines running tasks (default 10,000).
	Workers int
	// OnPanic is called with the value of a recovered panic (default: count it).
	OnPanic func(v any)
}

// NewExecutor starts an executor.
func NewExecutor(o ExecutorOptions) (*Executor, error) {
	if o.Workers <= 0 {
		o.Workers = 10000
	}
	p, err := ants.NewPool(o.Workers, ants.WithNonblocking(true), ants.WithExpiryDuration(10*time.Second))
	if err != nil {
		return nil, fmt.Errorf("poller: executor pool: %w", err)
	}
	e := &Executor{pool: p, onPanic: o.OnPanic, kickStop: make(chan struct{})}
	e.wg.Add(1)
	go e.kicker()
	return e, nil
}

// Running reports how many workers are running tasks now (idle workers
// waiting to expire are not counted).
func (e *Executor) Running() int { return int(e.busy.Load()) }

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

// kicker guards against the one lost-wakeup window of the overflow queue: a
// Serial queued while the last busy worker was already past its final check.
func (e *Executor) kicker() {
	defer e.wg.Done()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-e.kickStop:
			return
		case <-t.C:
			e.mu.Lock()
			n := len(e.ready)
			e.mu.Unlock()
			if n > 0 {
				_ = e.pool.Submit(e.drainReady)
			}
		}
	}
}

func (e *Executor) schedule(s *Serial) {
	if e.closed.Load() {
		s.scheduled.Store(false)
		return
	}
	if err := e.pool.Submit(s.runFn); err == nil {
		return
	} else if !errors.Is(err, ants.ErrPoolOverload) {
		// Pool closed: the work is dropped, as after Shutdown.
		s.scheduled.Store(false)
		return
	}
	e.mu.Lock()
	e.ready = append(e.ready, s)
	e.mu.Unlock()
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

func (e *Executor) drainReady() {
	e.busy.Add(1)
	defer e.busy.Add(-1)
	for s := e.popReady(); s != nil; s = e.popReady() {
		s.drain()
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
	limit     int
	runFn     func()
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
	s.ex, s.limit = ex, limit
	s.runFn = s.run
}

// Submit queues fn. It never blocks; it returns ErrMailboxFull when the
// mailbox holds limit tasks already, so the owner can apply its overflow
// policy (siogate disconnects the socket).
func (s *Serial) Submit(fn func()) error {
	s.mu.Lock()
	if len(s.queue) >= s.limit {
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

func (s *Serial) run() {
	s.ex.busy.Add(1)
	defer s.ex.busy.Add(-1)
	s.drain()
	s.ex.drainReady()
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
}
