package poller

import (
	"sync"
	"time"
)

// Wheel is a hashed timing wheel: one goroutine drives every deadline of
// every connection (sniff deadlines, Engine.IO ping intervals and timeouts,
// ack timeouts), so an idle socket owns no timer goroutine and no runtime
// timer. Timers are intrusive (a Timer is embedded in the owner's struct), so
// arming and stopping one never allocates.
//
// A timer never fires early; it fires at most one tick (plus scheduling
// latency) late. With the default 1 ms tick that is well inside what the
// Engine.IO conformance suite tolerates.
//
// Callbacks run on the wheel goroutine, one after another, outside the
// wheel's lock. They must not block: enqueue a frame, close a connection or
// submit work to a pool, nothing more.
type Wheel struct {
	tick  time.Duration
	start time.Time
	mask  uint64

	mu     sync.Mutex
	slots  []*Timer // heads of doubly linked lists, one per slot
	now    uint64   // last tick processed
	wakeAt uint64   // tick the driver plans to wake at
	count  int
	wake   chan struct{}
	done   chan struct{}
	wg     sync.WaitGroup
	stop   sync.Once
}

// Timer is one deadline owned by a Wheel. The zero value is a stopped timer;
// set it up with Init once. A Timer must not be copied after Init.
type Timer struct {
	prev, next *Timer
	deadline   uint64 // absolute tick
	armed      bool
	seq        uint64 // bumped on every Reset/Stop; guards against stale firing
	fn         func()
}

// Init sets the function the timer calls when it fires.
func (t *Timer) Init(fn func()) { t.fn = fn }

const (
	defaultTick  = time.Millisecond
	defaultSlots = 1 << 14
	// lookahead bounds how many empty slots the driver scans when deciding how
	// long it may sleep.
	lookahead = 1024
)

// NewWheel starts a wheel with the given tick (0 means 1 ms). Stop ends its
// goroutine.
func NewWheel(tick time.Duration) *Wheel {
	if tick <= 0 {
		tick = defaultTick
	}
	w := &Wheel{
		tick:  tick,
		start: time.Now(),
		mask:  defaultSlots - 1,
		slots: make([]*Timer, defaultSlots),
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	w.wg.Add(1)
	go w.run()
	return w
}

// Reset arms t to fire after d, replacing any earlier deadline. It is safe to
// call from any goroutine, including from the timer's own callback.
func (w *Wheel) Reset(t *Timer, d time.Duration) {
	if d < 0 {
		d = 0
	}
	// Round up so that a timer never fires early.
	target := uint64((time.Since(w.start) + d + w.tick - 1) / w.tick)
	w.mu.Lock()
	w.armLocked(t, target)
}

// Advance arms t to fire d after its previous deadline rather than after
// now, so that a chain of deadlines (a ping interval, then its timeout)
// does not drift by how late each callback ran. A deadline already past
// fires on the next tick.
func (w *Wheel) Advance(t *Timer, d time.Duration) {
	if d < 0 {
		d = 0
	}
	w.mu.Lock()
	w.armLocked(t, t.deadline+uint64((d+w.tick-1)/w.tick))
}

// Due reports whether t is armed and its deadline has passed: the wheel
// is about to run its callback. An owner may act on a deadline that an
// event reached before the wheel did.
func (w *Wheel) Due(t *Timer) bool {
	now := uint64(time.Since(w.start) / w.tick)
	w.mu.Lock()
	defer w.mu.Unlock()
	return t.armed && t.deadline <= now
}

// armLocked links t at the absolute tick target and releases w.mu.
func (w *Wheel) armLocked(t *Timer, target uint64) {
	if t.armed {
		w.unlinkLocked(t)
	}
	if target <= w.now {
		target = w.now + 1
	}
	t.deadline = target
	t.seq++
	w.linkLocked(t)
	wakeNeeded := target < w.wakeAt
	w.mu.Unlock()
	if wakeNeeded {
		w.kick()
	}
}

// Stop disarms t. It reports whether the timer was armed. After Stop returns
// the callback will not start (it may already be running).
func (w *Wheel) Stop(t *Timer) bool {
	w.mu.Lock()
	armed := t.armed
	if armed {
		w.unlinkLocked(t)
	}
	t.seq++
	w.mu.Unlock()
	return armed
}

// Len reports how many timers are armed.
func (w *Wheel) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count
}

// Close stops the wheel's goroutine. Armed timers never fire afterwards.
func (w *Wheel) Close() {
	w.stop.Do(func() { close(w.done) })
	w.wg.Wait()
}

func (w *Wheel) kick() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *Wheel) linkLocked(t *Timer) {
	i := t.deadline & w.mask
	t.prev = nil
	t.next = w.slots[i]
	if t.next != nil {
		t.next.prev = t
	}
	w.slots[i] = t
	t.armed = true
	w.count++
}

func (w *Wheel) unlinkLocked(t *Timer) {
	i := t.deadline & w.mask
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		w.slots[i] = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	}
	t.prev, t.next = nil, nil
	t.armed = false
	w.count--
}

func (w *Wheel) run() {
	defer w.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var due []*Timer
	var seqs []uint64
	for {
		nowTick := uint64(time.Since(w.start) / w.tick)
		due, seqs = due[:0], seqs[:0]
		w.mu.Lock()
		if w.count == 0 || nowTick-w.now > uint64(len(w.slots)) {
			// Nothing armed, or behind by more than a turn (a long idle
			// sleep): visit every slot once instead of every missed tick.
			if w.count > 0 {
				for i := range w.slots {
					due, seqs = w.collectLocked(uint64(i), nowTick, due, seqs)
				}
			}
			w.now = nowTick
		}
		for w.now < nowTick {
			w.now++
			due, seqs = w.collectLocked(w.now&w.mask, w.now, due, seqs)
		}
		sleep := w.nextWaitLocked()
		w.mu.Unlock()
		for i, t := range due {
			w.fire(t, seqs[i])
		}
		clear(due)
		timer.Reset(sleep)
		select {
		case <-w.done:
			return
		case <-w.wake:
		case <-timer.C:
		}
	}
}

// collectLocked unlinks the timers of slot i that are due at tick now.
func (w *Wheel) collectLocked(i, now uint64, due []*Timer, seqs []uint64) ([]*Timer, []uint64) {
	for t := w.slots[i]; t != nil; {
		next := t.next
		if t.deadline <= now {
			w.unlinkLocked(t)
			due = append(due, t)
			seqs = append(seqs, t.seq)
		}
		t = next
	}
	return due, seqs
}

// fire runs t's callback unless t was re-armed or stopped after it was
// collected.
func (w *Wheel) fire(t *Timer, seq uint64) {
	w.mu.Lock()
	stale := t.seq != seq || t.armed
	w.mu.Unlock()
	if stale || t.fn == nil {
		return
	}
	t.fn()
}

// nextWaitLocked returns how long the driver may sleep: until the next
// non-empty slot within the lookahead, or the whole lookahead.
func (w *Wheel) nextWaitLocked() time.Duration {
	if w.count == 0 {
		w.wakeAt = ^uint64(0)
		return time.Hour
	}
	ticks := uint64(lookahead)
	for i := uint64(1); i <= lookahead; i++ {
		if w.slots[(w.now+i)&w.mask] != nil {
			ticks = i
			break
		}
	}
	w.wakeAt = w.now + ticks
	deadline := time.Duration(w.wakeAt) * w.tick
	d := deadline - time.Since(w.start)
	if d < 0 {
		d = 0
	}
	return d
}
