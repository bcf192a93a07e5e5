package poller

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// The wheel reads time.Now and sleeps on a time.Timer in its own goroutine,
// so inside a synctest bubble it runs on the fake clock: the tests below
// check exact fire times, both bounds. A timer armed at a for d fires at the
// first tick boundary at or after a+d, hence in [a+d, a+d+tick]. The
// *RealClock tests check the same on the real clock, with a strict lower
// bound and a generous upper one.

// firing records every call of one timer's callback.
type firing struct {
	mu    sync.Mutex
	times []time.Time
}

func (f *firing) record() {
	f.mu.Lock()
	f.times = append(f.times, time.Now())
	f.mu.Unlock()
}

func (f *firing) get() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.times...)
}

func TestWheelNeverEarly(t *testing.T) {
	cases := []struct {
		name string
		tick time.Duration
		d    time.Duration
	}{
		{"d=0", time.Millisecond, 0},
		{"d=1ms", time.Millisecond, time.Millisecond},
		{"d=5ms", time.Millisecond, 5 * time.Millisecond},
		{"d=50ms", time.Millisecond, 50 * time.Millisecond},
		{"d=300ms", time.Millisecond, 300 * time.Millisecond},
		{"d=1500us/tick=1ms", time.Millisecond, 1500 * time.Microsecond},
		{"d=-1ms", time.Millisecond, -time.Millisecond}, // treated as 0
		// 2 s / 100 µs = 20,000 ticks, past one revolution of 1<<14 slots:
		// the timer sits in its slot for a whole round before it is due.
		{"d=2s/tick=100us/rounds", 100 * time.Microsecond, 2 * time.Second},
		// 3 revolutions and a bit.
		{"d=5s/tick=100us/rounds", 100 * time.Microsecond, 5 * time.Second},
	}
	for _, tc := range cases {
		// Arm on a tick boundary and between two ticks.
		for _, phase := range []time.Duration{0, tc.tick / 3, tc.tick - 1} {
			t.Run(fmt.Sprintf("%s/phase=%v", tc.name, phase), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					w := NewWheel(tc.tick)
					defer w.Close()
					time.Sleep(7*tc.tick + phase)
					var f firing
					var tm Timer
					tm.Init(f.record)
					armed := time.Now()
					w.Reset(&tm, tc.d)
					time.Sleep(max(tc.d, 0) + 3*tc.tick)
					synctest.Wait()
					got := f.get()
					if len(got) != 1 {
						t.Fatalf("fired %d times, want 1", len(got))
					}
					d := max(tc.d, 0)
					lag := got[0].Sub(armed)
					if lag < d {
						t.Fatalf("fired %v after Reset(%v): early", lag, tc.d)
					}
					if lag > d+tc.tick {
						t.Fatalf("fired %v after Reset(%v): more than one tick (%v) late", lag, tc.d, tc.tick)
					}
					if n := w.Len(); n != 0 {
						t.Fatalf("Len after firing = %d, want 0", n)
					}
				})
			})
		}
	}
}

func TestWheelNeverEarlyRealClock(t *testing.T) {
	cases := []struct {
		tick time.Duration
		d    time.Duration
	}{
		{time.Millisecond, 0},
		{time.Millisecond, time.Millisecond},
		{time.Millisecond, 5 * time.Millisecond},
		{time.Millisecond, 50 * time.Millisecond},
		{time.Millisecond, 300 * time.Millisecond},
		{100 * time.Microsecond, 2 * time.Second}, // past one revolution
	}
	// Parallel subtests outlive this function's body: close the wheels in
	// Cleanup, which runs after them.
	w1 := NewWheel(time.Millisecond)
	t.Cleanup(w1.Close)
	w2 := NewWheel(100 * time.Microsecond)
	t.Cleanup(w2.Close)
	for _, tc := range cases {
		t.Run(fmt.Sprintf("tick=%v/d=%v", tc.tick, tc.d), func(t *testing.T) {
			t.Parallel()
			w := w1
			if tc.tick != time.Millisecond {
				w = w2
			}
			fired := make(chan time.Time, 4)
			var tm Timer
			tm.Init(func() { fired <- time.Now() })
			armed := time.Now()
			w.Reset(&tm, tc.d)
			var at time.Time
			select {
			case at = <-fired:
			case <-time.After(tc.d + 10*time.Second):
				t.Fatalf("not fired %v after Reset(%v)", 10*time.Second, tc.d)
			}
			if lag := at.Sub(armed); lag < tc.d {
				t.Fatalf("fired %v after Reset(%v): early", lag, tc.d)
			} else if lag > tc.d+5*time.Second {
				t.Fatalf("fired %v after Reset(%v): far too late", lag, tc.d)
			}
			// Exactly once: nothing more arrives a few ticks later.
			time.Sleep(20 * time.Millisecond)
			if n := len(fired); n != 0 {
				t.Fatalf("fired %d more times", n)
			}
		})
	}
}

func TestWheelStop(t *testing.T) {
	cases := []struct {
		name    string
		d       time.Duration
		stopAt  time.Duration // after Reset
		wantRet bool          // Stop's result
		wantN   int           // callbacks by the end
	}{
		{"immediately", 10 * time.Millisecond, 0, true, 0},
		{"halfway", 10 * time.Millisecond, 5 * time.Millisecond, true, 0},
		{"one tick before", 10 * time.Millisecond, 9 * time.Millisecond, true, 0},
		{"d=0 immediately", 0, 0, true, 0},
		{"far timer", time.Hour, 30 * time.Minute, true, 0},
		{"after firing", 10 * time.Millisecond, 20 * time.Millisecond, false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := NewWheel(time.Millisecond)
				defer w.Close()
				var n atomic.Int32
				var tm Timer
				tm.Init(func() { n.Add(1) })
				w.Reset(&tm, tc.d)
				time.Sleep(tc.stopAt)
				synctest.Wait()
				if got := w.Stop(&tm); got != tc.wantRet {
					t.Fatalf("Stop = %v, want %v", got, tc.wantRet)
				}
				if w.Len() != 0 {
					t.Fatalf("Len after Stop = %d", w.Len())
				}
				if w.Stop(&tm) {
					t.Fatal("second Stop reported an armed timer")
				}
				time.Sleep(tc.d + time.Second)
				synctest.Wait()
				if got := int(n.Load()); got != tc.wantN {
					t.Fatalf("callback ran %d times, want %d", got, tc.wantN)
				}
			})
		})
	}
}

// TestWheelStopSiblingSameTick: two timers due on the same tick are collected
// together; when the first callback stops the second, the second must not
// run ("after Stop returns the callback will not start").
func TestWheelStopSiblingSameTick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := NewWheel(time.Millisecond)
		defer w.Close()
		var a, b Timer
		var ran []string
		var mu sync.Mutex
		rec := func(s string) { mu.Lock(); ran = append(ran, s); mu.Unlock() }
		a.Init(func() { rec("a"); w.Stop(&b) })
		b.Init(func() { rec("b"); w.Stop(&a) })
		w.Reset(&a, 10*time.Millisecond)
		w.Reset(&b, 10*time.Millisecond)
		time.Sleep(50 * time.Millisecond)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(ran) != 1 {
			t.Fatalf("callbacks run: %v, want exactly one of a, b", ran)
		}
	})
}

func TestWheelReset(t *testing.T) {
	type step struct {
		at time.Duration // since the start of the test
		d  time.Duration // Reset(d) at that time
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"later", []step{{0, 10 * time.Millisecond}, {5 * time.Millisecond, 50 * time.Millisecond}}},
		{"just before the old deadline", []step{{0, 100 * time.Millisecond}, {99 * time.Millisecond, 100 * time.Millisecond}}},
		{"earlier", []step{{0, 100 * time.Millisecond}, {1 * time.Millisecond, 5 * time.Millisecond}}},
		{"earlier than the driver's planned wake-up", []step{{0, 900 * time.Millisecond}, {300 * time.Millisecond, 2 * time.Millisecond}}},
		{"same", []step{{0, 20 * time.Millisecond}, {0, 20 * time.Millisecond}}},
		{"many", []step{{0, 30 * time.Millisecond}, {10 * time.Millisecond, 30 * time.Millisecond}, {20 * time.Millisecond, 30 * time.Millisecond}, {35 * time.Millisecond, 3 * time.Millisecond}}},
		{"re-arm after firing", []step{{0, 5 * time.Millisecond}, {50 * time.Millisecond, 5 * time.Millisecond}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := NewWheel(time.Millisecond)
				defer w.Close()
				start := time.Now()
				var f firing
				var tm Timer
				tm.Init(f.record)
				// Expected: every deadline that is not replaced before it
				// passes fires once.
				var want []time.Time
				for i, s := range tc.steps {
					time.Sleep(start.Add(s.at).Sub(time.Now()))
					w.Reset(&tm, s.d)
					due := time.Now().Add(s.d)
					if i+1 == len(tc.steps) || start.Add(tc.steps[i+1].at).After(due.Add(time.Millisecond)) {
						want = append(want, due)
					}
				}
				time.Sleep(2 * time.Second)
				synctest.Wait()
				got := f.get()
				if len(got) != len(want) {
					t.Fatalf("fired at %v, want %d firings at %v", rel(start, got), len(want), rel(start, want))
				}
				for i := range got {
					if got[i].Before(want[i]) || got[i].After(want[i].Add(time.Millisecond)) {
						t.Fatalf("firing %d at %v, want in [%v, +1ms]", i, got[i].Sub(start), want[i].Sub(start))
					}
				}
			})
		})
	}
}

func rel(start time.Time, ts []time.Time) []time.Duration {
	out := make([]time.Duration, len(ts))
	for i, t := range ts {
		out[i] = t.Sub(start)
	}
	return out
}

// TestWheelPeriodic re-arms the timer from its own callback.
func TestWheelPeriodic(t *testing.T) {
	for _, period := range []time.Duration{0, time.Millisecond, 7 * time.Millisecond, 25 * time.Second} {
		t.Run(fmt.Sprint(period), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const rounds = 50
				w := NewWheel(time.Millisecond)
				defer w.Close()
				var tm Timer
				var times []time.Time // touched only by the wheel goroutine until synctest.Wait
				tm.Init(func() {
					times = append(times, time.Now())
					if len(times) < rounds {
						w.Reset(&tm, period)
					}
				})
				start := time.Now()
				w.Reset(&tm, period)
				time.Sleep(rounds*(period+time.Millisecond) + time.Second)
				synctest.Wait()
				if len(times) != rounds {
					t.Fatalf("fired %d times, want %d", len(times), rounds)
				}
				prev := start
				for i, at := range times {
					gap := at.Sub(prev)
					if gap < period || gap > period+time.Millisecond {
						t.Fatalf("firing %d came %v after the previous one, want [%v, %v]", i, gap, period, period+time.Millisecond)
					}
					if period == 0 && gap == 0 {
						t.Fatalf("firing %d in the same tick as the previous one", i)
					}
					prev = at
				}
				if w.Len() != 0 {
					t.Fatalf("Len = %d after the last round", w.Len())
				}
			})
		})
	}
}

// manyTimers arms n timers with random deadlines below span, half of them
// now and half after an odd delay, and checks that each fires exactly once,
// never early and at most slack late.
func manyTimers(t *testing.T, w *Wheel, n int, span, slack time.Duration, wait func()) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	type rec struct {
		tm    Timer
		armed time.Time
		d     time.Duration
		fired atomic.Int64 // UnixNano of the first firing
		count atomic.Int32
	}
	recs := make([]rec, n)
	for i := range recs {
		r := &recs[i]
		r.d = time.Duration(rng.Int64N(int64(span)))
		r.tm.Init(func() {
			if r.count.Add(1) == 1 {
				r.fired.Store(time.Now().UnixNano())
			}
		})
	}
	// Four goroutines arm concurrently while the wheel is running.
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 4 {
				if i == n/2 {
					time.Sleep(1300 * time.Microsecond)
				}
				r := &recs[i]
				r.armed = time.Now()
				w.Reset(&r.tm, r.d)
			}
		}()
	}
	wg.Wait()
	wait()
	early, late, counts := 0, 0, map[int32]int{}
	for i := range recs {
		r := &recs[i]
		counts[r.count.Load()]++
		if r.count.Load() == 0 {
			continue
		}
		lag := time.Duration(r.fired.Load() - r.armed.UnixNano())
		if lag < r.d {
			early++
			if early <= 5 {
				t.Errorf("timer %d fired %v after Reset(%v): early", i, lag, r.d)
			}
		}
		if lag > r.d+slack {
			late++
			if late <= 5 {
				t.Errorf("timer %d fired %v after Reset(%v): more than %v late", i, lag, r.d, slack)
			}
		}
	}
	if counts[1] != n {
		t.Errorf("fire counts (count: timers) = %v, want every one of %d timers once", counts, n)
	}
	if early+late > 0 {
		t.Errorf("%d early, %d late", early, late)
	}
	if w.Len() != 0 {
		t.Errorf("Len = %d after all fired", w.Len())
	}
}

func TestWheelManyTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := NewWheel(time.Millisecond)
		defer w.Close()
		manyTimers(t, w, 10000, 200*time.Millisecond, time.Millisecond, func() {
			time.Sleep(time.Second)
			synctest.Wait()
		})
	})
}

func TestWheelManyTimersRealClock(t *testing.T) {
	w := NewWheel(time.Millisecond)
	defer w.Close()
	manyTimers(t, w, 10000, 200*time.Millisecond, 5*time.Second, func() {
		waitFor(t, 10*time.Second, "all timers to fire", func() bool { return w.Len() == 0 })
		time.Sleep(50 * time.Millisecond) // a stray second firing would show up by now
	})
}

func TestWheelLen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := NewWheel(time.Millisecond)
		defer w.Close()
		var a, b, c Timer
		steps := []struct {
			name string
			op   func()
			want int
		}{
			{"new", func() {}, 0},
			{"arm a", func() { w.Reset(&a, 10*time.Millisecond) }, 1},
			{"arm b", func() { w.Reset(&b, time.Hour) }, 2},
			{"arm c", func() { w.Reset(&c, 20*time.Millisecond) }, 3},
			{"re-arm a", func() { w.Reset(&a, 30*time.Millisecond) }, 3},
			{"stop c", func() { w.Stop(&c) }, 2},
			{"stop c again", func() { w.Stop(&c) }, 2},
			{"a fires", func() { time.Sleep(40 * time.Millisecond); synctest.Wait() }, 1},
			{"stop b", func() { w.Stop(&b) }, 0},
		}
		for _, s := range steps {
			s.op()
			if got := w.Len(); got != s.want {
				t.Fatalf("after %s: Len = %d, want %d", s.name, got, s.want)
			}
		}
	})
}

// TestWheelNilCallback: a timer that was never Init'ed fires as a no-op.
func TestWheelNilCallback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := NewWheel(time.Millisecond)
		defer w.Close()
		var tm Timer
		w.Reset(&tm, time.Millisecond)
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		if w.Len() != 0 {
			t.Fatalf("Len = %d", w.Len())
		}
	})
}

func TestWheelClose(t *testing.T) {
	cases := []struct {
		name string
		run  func(w *Wheel, tm *Timer)
	}{
		{"armed before Close", func(w *Wheel, tm *Timer) {
			w.Reset(tm, 10*time.Millisecond)
			w.Close()
		}},
		{"armed after Close", func(w *Wheel, tm *Timer) {
			w.Close()
			w.Reset(tm, 0)
		}},
		{"Close twice", func(w *Wheel, tm *Timer) {
			w.Reset(tm, 10*time.Millisecond)
			w.Close()
			w.Close()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := NewWheel(time.Millisecond)
				var n atomic.Int32
				var tm Timer
				tm.Init(func() { n.Add(1) })
				tc.run(w, &tm)
				// synctest.Test itself fails if the wheel goroutine is left
				// behind; time.Sleep lets a forgotten timer fire.
				time.Sleep(time.Second)
				synctest.Wait()
				if got := n.Load(); got != 0 {
					t.Fatalf("callback ran %d times after Close", got)
				}
			})
		})
	}
}

// TestWheelCloseEndsGoroutine checks on the real runtime that Close leaves
// no wheel goroutine behind, including while a callback is running.
func TestWheelCloseEndsGoroutine(t *testing.T) {
	before := countGoroutines("poller.(*Wheel).run")
	w := NewWheel(time.Millisecond)
	inCallback := make(chan struct{})
	release := make(chan struct{})
	var tm Timer
	tm.Init(func() { close(inCallback); <-release })
	w.Reset(&tm, time.Millisecond)
	<-inCallback
	closed := make(chan struct{})
	go func() { w.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while a callback was running")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	waitFor(t, 5*time.Second, "wheel goroutine to exit", func() bool {
		return countGoroutines("poller.(*Wheel).run") == before
	})
}

// countGoroutines counts the goroutines running fn: fn is a frame of their
// stack. A goroutine that fn started only names fn in its "created by"
// line, and is not counted (one of those ending during a test made
// TestWheelCloseEndsGoroutine wait for a count it could not reach).
func countGoroutines(fn string) int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, fn+"(") {
			count++
		}
	}
	return count
}

// TestWheelAdvance: a deadline chained with Advance from a callback that
// ran late counts from the previous deadline, not from the late run; Due
// reports a passed deadline before the callback runs.
func TestWheelAdvance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := NewWheel(time.Millisecond)
		defer w.Close()
		start := time.Now()
		var tm Timer
		var f firing
		first := true
		tm.Init(func() {
			f.record()
			if first {
				first = false
				time.Sleep(7 * time.Millisecond) // a callback that runs late
				w.Advance(&tm, 20*time.Millisecond)
			}
		})
		w.Reset(&tm, 10*time.Millisecond)
		if w.Due(&tm) {
			t.Fatal("Due before the deadline")
		}
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		got := f.get()
		if len(got) != 2 {
			t.Fatalf("fired %d times, want 2", len(got))
		}
		// 10 ms + 20 ms from the first deadline, not 10 + 7 + 20.
		if d := got[1].Sub(start); d < 30*time.Millisecond || d > 31*time.Millisecond {
			t.Fatalf("second deadline fired at %v, want 30 ms (+1 tick)", d)
		}
		if w.Due(&tm) {
			t.Fatal("Due after firing (the timer is no longer armed)")
		}
	})
}

// TestWheelDue: Due turns true once the deadline has passed, even while the
// wheel's goroutine has not run the callback.
func TestWheelDue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := NewWheel(time.Millisecond)
		defer w.Close()
		var tm Timer
		release := make(chan struct{})
		var blocker Timer
		// The first timer's callback holds the wheel goroutine so that the
		// second one is due but not yet run.
		blocker.Init(func() { <-release })
		tm.Init(func() {})
		w.Reset(&blocker, time.Millisecond)
		w.Reset(&tm, 5*time.Millisecond)
		time.Sleep(4 * time.Millisecond)
		if w.Due(&tm) {
			t.Fatal("Due 1 ms before the deadline")
		}
		time.Sleep(2 * time.Millisecond)
		if !w.Due(&tm) {
			t.Fatal("not Due after the deadline while the wheel is held up")
		}
		close(release)
		// The wheel sleeps the wait it planned before the held callback.
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		if w.Due(&tm) {
			t.Fatal("still Due after the callback ran")
		}
	})
}
