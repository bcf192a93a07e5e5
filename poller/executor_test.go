package poller

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/panjf2000/ants/v2"
)

func newTestExecutor(t *testing.T, o ExecutorOptions) *Executor {
	t.Helper()
	e, err := NewExecutor(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close(10 * time.Second) })
	return e
}

// waitChan fails the test if ch is not closed within d.
func waitChan(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// TestSerialFIFO: 64 Serials x 2,000 tasks on 4 workers, submitted from 8
// goroutines. The pool is almost always full, so most Serials go through
// the overflow run queue. Each task appends to its Serial's slice without a
// lock: under -race that also checks that a Serial's tasks never overlap and
// that each one happens after the previous.
func TestSerialFIFO(t *testing.T) {
	const (
		serials    = 64
		tasks      = 2000
		submitters = 8
	)
	e := newTestExecutor(t, ExecutorOptions{Workers: 4})
	type owner struct {
		s   Serial
		got []int
	}
	owners := make([]owner, serials)
	for i := range owners {
		owners[i].s.Init(e, tasks)
	}
	var done sync.WaitGroup
	done.Add(serials * tasks)
	var maxReady atomic.Int64
	var wg sync.WaitGroup
	for g := range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range tasks {
				for i := g; i < serials; i += submitters {
					o := &owners[i]
					if err := o.s.Submit(func() {
						o.got = append(o.got, k)
						if k%64 == 0 {
							runtime.Gosched()
						}
						done.Done()
					}); err != nil {
						t.Errorf("serial %d task %d: %v", i, k, err)
						done.Done()
					}
				}
				if k%100 == 0 {
					e.mu.Lock()
					n := int64(len(e.ready))
					e.mu.Unlock()
					if n > maxReady.Load() {
						maxReady.Store(n)
					}
				}
			}
		}()
	}
	wg.Wait()
	all := make(chan struct{})
	go func() { done.Wait(); close(all) }()
	waitChan(t, all, 60*time.Second, "every task to run")
	for i := range owners {
		o := &owners[i]
		if len(o.got) != tasks {
			t.Fatalf("serial %d ran %d tasks, want %d", i, len(o.got), tasks)
		}
		for k, v := range o.got {
			if v != k {
				t.Fatalf("serial %d: task %d ran in position %d (order %v...)", i, v, k, o.got[max(0, k-3):k+1])
			}
		}
		if n := o.s.Len(); n != 0 {
			t.Fatalf("serial %d: Len = %d after draining", i, n)
		}
	}
	t.Logf("largest overflow queue seen: %d", maxReady.Load())
	if p := e.Panics(); p != 0 {
		t.Fatalf("Panics = %d", p)
	}
}

// stopKicker ends e's kicker goroutine early, so that a test sees what the
// workers do on their own; Close still works afterwards.
func stopKicker(e *Executor) {
	close(e.kickStop)
	e.wg.Wait()
	e.kickStop = make(chan struct{})
}

// TestSerialOverflowQueue makes the overflow path deterministic: with one
// worker held by Serial a, Serial b cannot get a worker and must wait in the
// run queue, then run on a's worker once a is done. The kicker is stopped:
// draining the queue is the workers' job, the kicker only a safety net.
func TestSerialOverflowQueue(t *testing.T) {
	e := newTestExecutor(t, ExecutorOptions{Workers: 1})
	stopKicker(e)
	var a, b Serial
	a.Init(e, 0)
	b.Init(e, 0)
	started, release := make(chan struct{}), make(chan struct{})
	if err := a.Submit(func() { close(started); <-release }); err != nil {
		t.Fatal(err)
	}
	waitChan(t, started, 10*time.Second, "a's task to start")
	var order []string
	var mu sync.Mutex
	rec := func(s string) func() {
		return func() { mu.Lock(); order = append(order, s); mu.Unlock() }
	}
	for _, s := range []string{"b1", "b2", "b3"} {
		if err := b.Submit(rec(s)); err != nil {
			t.Fatal(err)
		}
	}
	e.mu.Lock()
	queued := len(e.ready) == 1 && e.ready[0] == &b
	e.mu.Unlock()
	if !queued {
		t.Fatal("b is not in the overflow run queue while the only worker is busy")
	}
	if n := b.Len(); n != 3 {
		t.Fatalf("b.Len = %d, want 3", n)
	}
	bDone := make(chan struct{})
	if err := b.Submit(func() { close(bDone) }); err != nil {
		t.Fatal(err)
	}
	close(release)
	waitChan(t, bDone, 10*time.Second, "b's tasks to run")
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(order) != "[b1 b2 b3]" {
		t.Fatalf("b ran %v", order)
	}
}

// TestExecutorKickerRescuesStrandedSerial covers the lost-wakeup guard: a
// Serial left in the run queue with no worker running is drained by the
// kicker.
func TestExecutorKickerRescuesStrandedSerial(t *testing.T) {
	e := newTestExecutor(t, ExecutorOptions{Workers: 2})
	var s Serial
	s.Init(e, 0)
	ran := make(chan struct{})
	// What Submit + schedule leave behind when the pool was overloaded and
	// the last busy worker had already passed its final popReady.
	s.queue = append(s.queue, func() { close(ran) })
	s.scheduled.Store(true)
	e.mu.Lock()
	e.ready = append(e.ready, &s)
	e.mu.Unlock()
	waitChan(t, ran, 10*time.Second, "the kicker to drain the stranded Serial")
	waitFor(t, 5*time.Second, "scheduled to clear", func() bool { return !s.scheduled.Load() })
}

// TestSerialsRunInParallel: each Serial's task waits for the other one's to
// start, which completes only if they run at the same time.
func TestSerialsRunInParallel(t *testing.T) {
	for _, workers := range []int{2, 4, 0} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			e := newTestExecutor(t, ExecutorOptions{Workers: workers})
			var a, b Serial
			a.Init(e, 0)
			b.Init(e, 0)
			aIn, bIn := make(chan struct{}), make(chan struct{})
			aOut, bOut := make(chan struct{}), make(chan struct{})
			if err := a.Submit(func() {
				close(aIn)
				select {
				case <-bIn:
					close(aOut)
				case <-time.After(10 * time.Second):
				}
			}); err != nil {
				t.Fatal(err)
			}
			if err := b.Submit(func() {
				close(bIn)
				select {
				case <-aIn:
					close(bOut)
				case <-time.After(10 * time.Second):
				}
			}); err != nil {
				t.Fatal(err)
			}
			waitChan(t, aOut, 20*time.Second, "a to see b running")
			waitChan(t, bOut, 20*time.Second, "b to see a running")
		})
	}
}

// TestSerialTasksNeverOverlap: one Serial, tasks submitted from several
// goroutines at once; no two of its tasks may run at the same time.
func TestSerialTasksNeverOverlap(t *testing.T) {
	e := newTestExecutor(t, ExecutorOptions{Workers: 8})
	var s Serial
	s.Init(e, 100000)
	var inside, overlaps atomic.Int32
	var done sync.WaitGroup
	const goroutines, each = 8, 500
	done.Add(goroutines * each)
	for range goroutines {
		go func() {
			for range each {
				err := s.Submit(func() {
					defer done.Done()
					if inside.Add(1) != 1 {
						overlaps.Add(1)
					}
					runtime.Gosched()
					inside.Add(-1)
				})
				if err != nil {
					t.Error(err)
					done.Done()
				}
			}
		}()
	}
	all := make(chan struct{})
	go func() { done.Wait(); close(all) }()
	waitChan(t, all, 60*time.Second, "every task to run")
	if n := overlaps.Load(); n != 0 {
		t.Fatalf("%d tasks of one Serial overlapped another", n)
	}
}

func TestSerialPanicRecovered(t *testing.T) {
	cases := []struct {
		name  string
		fn    func()
		check func(v any) bool
	}{
		{"string", func() { panic("boom") }, func(v any) bool { return v == "boom" }},
		{"error", func() { panic(errTest) }, func(v any) bool { return v == errTest }},
		{"nil", func() { panic(nil) }, func(v any) bool {
			var pe *runtime.PanicNilError
			err, ok := v.(error)
			return ok && errors.As(err, &pe)
		}},
		{"runtime error", func() {
			var m map[string]int
			m["x"] = 1
		}, func(v any) bool { _, ok := v.(runtime.Error); return ok }},
	}
	for _, withHandler := range []bool{true, false} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/OnPanic=%v", tc.name, withHandler), func(t *testing.T) {
				var mu sync.Mutex
				var seen []any
				o := ExecutorOptions{Workers: 2}
				if withHandler {
					o.OnPanic = func(v any) { mu.Lock(); seen = append(seen, v); mu.Unlock() }
				}
				e := newTestExecutor(t, o)
				var s Serial
				s.Init(e, 0)
				var order []int
				done := make(chan struct{})
				for i := range 3 {
					if err := s.Submit(func() { order = append(order, i); tc.fn() }); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.Submit(func() { order = append(order, 3); close(done) }); err != nil {
					t.Fatal(err)
				}
				waitChan(t, done, 10*time.Second, "the task after the panics")
				if fmt.Sprint(order) != "[0 1 2 3]" {
					t.Fatalf("ran %v, want [0 1 2 3]", order)
				}
				if p := e.Panics(); p != 3 {
					t.Fatalf("Panics = %d, want 3", p)
				}
				if !withHandler {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if len(seen) != 3 {
					t.Fatalf("OnPanic called %d times, want 3", len(seen))
				}
				for _, v := range seen {
					if !tc.check(v) {
						t.Fatalf("OnPanic got %#v", v)
					}
				}
			})
		}
	}
}

var errTest = errors.New("test error")

func TestSerialMailboxFull(t *testing.T) {
	cases := []struct {
		limit, want int
	}{
		{1, 1},
		{3, 3},
		{0, 1024},
		{-5, 1024},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("limit=%d", tc.limit), func(t *testing.T) {
			e := newTestExecutor(t, ExecutorOptions{Workers: 1})
			var s Serial
			s.Init(e, tc.limit)
			started, release := make(chan struct{}), make(chan struct{})
			if err := s.Submit(func() { close(started); <-release }); err != nil {
				t.Fatal(err)
			}
			// The running task has left the mailbox.
			waitChan(t, started, 10*time.Second, "the blocking task to start")
			var ran atomic.Int32
			for i := range tc.want {
				if err := s.Submit(func() { ran.Add(1) }); err != nil {
					t.Fatalf("Submit %d of %d: %v", i+1, tc.want, err)
				}
			}
			if n := s.Len(); n != tc.want {
				t.Fatalf("Len = %d, want %d", n, tc.want)
			}
			for range 2 {
				if err := s.Submit(func() { ran.Add(1) }); !errors.Is(err, ErrMailboxFull) {
					t.Fatalf("Submit past the limit: %v, want ErrMailboxFull", err)
				}
			}
			close(release)
			waitFor(t, 10*time.Second, "the mailbox to drain", func() bool { return int(ran.Load()) == tc.want })
			// Room again.
			last := make(chan struct{})
			if err := s.Submit(func() { close(last) }); err != nil {
				t.Fatalf("Submit after draining: %v", err)
			}
			waitChan(t, last, 10*time.Second, "the last task")
			if got := int(ran.Load()); got != tc.want {
				t.Fatalf("%d tasks ran, want %d (rejected ones must not run)", got, tc.want)
			}
		})
	}
}

// TestSerialSubmitFromTask: a task may submit to its own Serial and to others.
func TestSerialSubmitFromTask(t *testing.T) {
	e := newTestExecutor(t, ExecutorOptions{Workers: 1})
	var a, b Serial
	a.Init(e, 0)
	b.Init(e, 0)
	var order []string // a's and b's tasks all run on the single worker
	var mu sync.Mutex
	rec := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	done := make(chan struct{})
	if err := a.Submit(func() {
		rec("a1")
		if err := a.Submit(func() { rec("a2") }); err != nil {
			t.Error(err)
		}
		if err := b.Submit(func() { rec("b1"); close(done) }); err != nil {
			t.Error(err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	waitChan(t, done, 10*time.Second, "b's task")
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(order) != "[a1 a2 b1]" {
		t.Fatalf("order %v", order)
	}
}

func TestExecutorClose(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		before := countGoroutines("poller.(*Executor).kicker")
		e, err := NewExecutor(ExecutorOptions{Workers: 4})
		if err != nil {
			t.Fatal(err)
		}
		var s Serial
		s.Init(e, 0)
		done := make(chan struct{})
		if err := s.Submit(func() { close(done) }); err != nil {
			t.Fatal(err)
		}
		waitChan(t, done, 10*time.Second, "the task")
		if err := e.Close(5 * time.Second); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := e.Close(5 * time.Second); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		waitFor(t, 5*time.Second, "kicker to exit", func() bool {
			return countGoroutines("poller.(*Executor).kicker") == before
		})
	})
	t.Run("waits for a running task", func(t *testing.T) {
		e, err := NewExecutor(ExecutorOptions{Workers: 4})
		if err != nil {
			t.Fatal(err)
		}
		var s Serial
		s.Init(e, 0)
		started := make(chan struct{})
		var finished atomic.Bool
		if err := s.Submit(func() {
			close(started)
			time.Sleep(50 * time.Millisecond)
			finished.Store(true)
		}); err != nil {
			t.Fatal(err)
		}
		waitChan(t, started, 10*time.Second, "the task to start")
		if err := e.Close(30 * time.Second); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if !finished.Load() {
			t.Fatal("Close returned before the running task finished")
		}
	})
	t.Run("times out", func(t *testing.T) {
		e, err := NewExecutor(ExecutorOptions{Workers: 4})
		if err != nil {
			t.Fatal(err)
		}
		var s Serial
		s.Init(e, 0)
		started, release := make(chan struct{}), make(chan struct{})
		defer close(release)
		if err := s.Submit(func() { close(started); <-release }); err != nil {
			t.Fatal(err)
		}
		waitChan(t, started, 10*time.Second, "the task to start")
		t0 := time.Now()
		err = e.Close(30 * time.Millisecond)
		if !errors.Is(err, ants.ErrTimeout) {
			t.Fatalf("Close with a stuck task: %v, want ants.ErrTimeout", err)
		}
		if el := time.Since(t0); el < 30*time.Millisecond {
			t.Fatalf("Close gave up after %v, before its timeout", el)
		}
	})
	t.Run("submit after close", func(t *testing.T) {
		e, err := NewExecutor(ExecutorOptions{Workers: 4})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Close(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		var s Serial
		s.Init(e, 2)
		var ran atomic.Int32
		for range 2 {
			if err := s.Submit(func() { ran.Add(1) }); err != nil {
				t.Fatalf("Submit after Close: %v", err)
			}
		}
		// The work is dropped: nothing is scheduled, the mailbox keeps it
		// and stays bounded.
		if s.scheduled.Load() {
			t.Fatal("a Serial is scheduled on a closed executor")
		}
		if err := s.Submit(func() { ran.Add(1) }); !errors.Is(err, ErrMailboxFull) {
			t.Fatalf("third Submit: %v, want ErrMailboxFull", err)
		}
		time.Sleep(20 * time.Millisecond)
		if n := ran.Load(); n != 0 {
			t.Fatalf("%d tasks ran after Close", n)
		}
	})
}

// TestExecutorRunning: Running counts busy workers.
func TestExecutorRunning(t *testing.T) {
	e := newTestExecutor(t, ExecutorOptions{Workers: 4})
	if n := e.Running(); n != 0 {
		t.Fatalf("Running = %d on a new executor", n)
	}
	var s Serial
	s.Init(e, 0)
	started, release := make(chan struct{}), make(chan struct{})
	if err := s.Submit(func() { close(started); <-release }); err != nil {
		t.Fatal(err)
	}
	waitChan(t, started, 10*time.Second, "the task to start")
	if n := e.Running(); n != 1 {
		t.Fatalf("Running = %d while one task runs, want 1", n)
	}
	close(release)
	waitFor(t, 5*time.Second, "the task to return", func() bool { return !s.scheduled.Load() })
	waitFor(t, 2*time.Second, "Running to drop to 0 once no task runs", func() bool { return e.Running() == 0 })
}

// TestSerialForce: Force queues past the limit, in order with Submit's
// tasks, while Submit keeps refusing until the mailbox drains.
func TestSerialForce(t *testing.T) {
	e := newTestExecutor(t, ExecutorOptions{Workers: 1})
	var s Serial
	s.Init(e, 2)
	started, release := make(chan struct{}), make(chan struct{})
	if err := s.Submit(func() { close(started); <-release }); err != nil {
		t.Fatal(err)
	}
	waitChan(t, started, 10*time.Second, "the blocking task to start")
	var order []string // written by the Serial's tasks only
	rec := func(v string) func() { return func() { order = append(order, v) } }
	for _, v := range []string{"s1", "s2"} {
		if err := s.Submit(rec(v)); err != nil {
			t.Fatal(err)
		}
	}
	s.Force(rec("f1"))
	s.Force(rec("f2"))
	if n := s.Len(); n != 4 {
		t.Fatalf("Len = %d, want 4", n)
	}
	if err := s.Submit(rec("rejected")); !errors.Is(err, ErrMailboxFull) {
		t.Fatalf("Submit over the limit: %v, want ErrMailboxFull", err)
	}
	done := make(chan struct{})
	s.Force(func() { close(done) })
	close(release)
	waitChan(t, done, 10*time.Second, "the forced tasks")
	if got := fmt.Sprint(order); got != "[s1 s2 f1 f2]" {
		t.Fatalf("ran %s, want [s1 s2 f1 f2]", got)
	}
}

// TestExecutorGrowsForBlockedTasks: 40 Serials whose tasks each wait until
// all 40 run at once. With Parallel 2 that completes only if the executor
// sees its workers blocked and raises the limit; once the queue stays
// empty the limit comes back down to Parallel.
func TestExecutorGrowsForBlockedTasks(t *testing.T) {
	const n = 40
	e := newTestExecutor(t, ExecutorOptions{Workers: 64, Parallel: 2})
	if l := e.Limit(); l != 2 {
		t.Fatalf("Limit = %d on a new executor, want Parallel (2)", l)
	}
	var in sync.WaitGroup
	in.Add(n)
	all := make(chan struct{})
	go func() { in.Wait(); close(all) }()
	var out sync.WaitGroup
	out.Add(n)
	serials := make([]Serial, n)
	for i := range serials {
		serials[i].Init(e, 0)
		if err := serials[i].Submit(func() {
			defer out.Done()
			in.Done()
			<-all
		}); err != nil {
			t.Fatal(err)
		}
	}
	waitChan(t, all, 20*time.Second, "all 40 blocked tasks to run at once")
	out.Wait()
	if l, g := e.Limit(), e.Grows(); l < n || g == 0 {
		t.Fatalf("Limit %d after %d grows, want >= %d", l, g, n)
	} else {
		t.Logf("limit raised to %d in %d steps", l, g)
	}
	waitFor(t, 20*time.Second, "the limit to come back to Parallel", func() bool { return e.Limit() == 2 })
}

// TestExecutorHoldsParallelForCPUTasks: 2,000 Serials submit short CPU
// tasks in bursts from 8 goroutines. The tasks never block, so no more
// than Parallel workers run at once, however long the run queue gets.
func TestExecutorHoldsParallelForCPUTasks(t *testing.T) {
	e := newTestExecutor(t, ExecutorOptions{Parallel: 4})
	serials := make([]Serial, 2000)
	for i := range serials {
		serials[i].Init(e, 0)
	}
	var peak, sink atomic.Int64
	var done sync.WaitGroup
	task := func() {
		defer done.Done()
		if w := e.workers.Load(); w > peak.Load() {
			peak.Store(w)
		}
		x := 0
		for i := range 20000 {
			x += i * i
		}
		sink.Add(int64(x))
	}
	const rounds = 20
	start := time.Now()
	done.Add(rounds * len(serials))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				for i := g; i < len(serials); i += 8 {
					if err := serials[i].Submit(task); err != nil {
						t.Error(err)
						done.Done()
					}
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	fin := make(chan struct{})
	go func() { done.Wait(); close(fin) }()
	waitChan(t, fin, 60*time.Second, "every task to run")
	t.Logf("%v for %d tasks, peak %d workers", time.Since(start), rounds*len(serials), peak.Load())
	if p, g := peak.Load(), e.Grows(); p > 4 || g != 0 {
		t.Fatalf("%d workers at once, %d grows, for tasks that never block (Parallel 4)", p, g)
	}
}
