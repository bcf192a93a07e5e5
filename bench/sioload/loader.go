package sioload

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Loader holds client sockets on one event loop: one goroutine and one
// epoll instance for all of them. Its methods are safe for concurrent use;
// each runs on the loop goroutine and waits for it.
type Loader struct {
	o        Options
	lp       *loop
	close    sync.Once
	closeErr error
}

// New validates o and starts the event loop. Close stops it.
func New(o Options) (*Loader, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	pl, err := newPoller(maxEvents)
	if err != nil {
		return nil, err
	}
	r, w, err := newPipe()
	if err != nil {
		pl.close()
		return nil, err
	}
	if err := pl.addRead(r); err != nil {
		pl.close()
		closeFD(r)
		closeFD(w)
		return nil, err
	}
	lp := &loop{
		o:        o,
		dst:      netip.MustParseAddrPort(o.Addr),
		upgrade:  o.requestPath(),
		pl:       pl,
		wakeR:    r,
		wakeW:    w,
		events:   make([]pollEvent, maxEvents),
		cmds:     make(chan func(), 16),
		rbuf:     make([]byte, readBuf),
		bc:       map[uint64]int{},
		complete: make(chan uint64, 1<<14),
		done:     make(chan struct{}),
	}
	if o.Namespace != "/" {
		lp.nspKey = o.Namespace
	}
	var key [4]byte
	lp.connect = appendMasked(nil, opText, appendSIOPrefix(nil, sioConnect, o.Namespace), key)
	lp.st.MarkNs = time.Now().UnixNano()
	go lp.run()
	return &Loader{o: o, lp: lp}, nil
}

// Options returns the options in effect, defaults filled in.
func (l *Loader) Options() Options { return l.o }

// do runs f on the loop goroutine and waits for it.
func (l *Loader) do(f func(lp *loop)) error {
	ran := make(chan struct{})
	select {
	case l.lp.cmds <- func() { f(l.lp); close(ran) }:
	case <-l.lp.done:
		return ErrClosed
	}
	_, _ = writeFD(l.lp.wakeW, []byte{1}) // a full pipe already wakes the loop
	select {
	case <-ran:
		return nil
	case <-l.lp.done:
		return ErrClosed
	}
}

// Connect opens n more sockets, at most Options.Concurrency handshakes in
// flight, and returns when every one is ready or given up. Transient errors
// (refused, reset, address not available, timeout, early end of file) are
// retried with exponential backoff until ctx is done; a bad upgrade or a
// CONNECT_ERROR is final. Partial success is reported in Result.
func (l *Loader) Connect(ctx context.Context, n int) (Result, error) {
	if n <= 0 {
		return Result{}, errors.New("sioload: Connect needs n > 0")
	}
	done := make(chan Result, 1)
	var busy bool
	err := l.do(func(lp *loop) {
		if lp.dial != nil {
			busy = true
			return
		}
		lp.dial = &dialJob{left: n, next: int32(len(lp.ready)), start: time.Now(), done: done}
	})
	if err != nil {
		return Result{}, err
	}
	if busy {
		return Result{}, errors.New("sioload: Connect already in progress")
	}
	select {
	case r := <-done:
		return r, nil
	case <-ctx.Done():
	}
	if err := l.do(func(lp *loop) { lp.abortDial() }); err != nil {
		return Result{}, err
	}
	return <-done, nil
}

// Len returns the number of ready sockets.
func (l *Loader) Len() int {
	n := 0
	_ = l.do(func(lp *loop) { n = len(lp.ready) })
	return n
}

// Mark resets the statistics: Stats then reports what happens after it.
func (l *Loader) Mark() error {
	return l.do(func(lp *loop) {
		lp.st = Stats{MarkNs: time.Now().UnixNano()}
		clear(lp.bc)
	})
}

// Stats returns a snapshot of the statistics since the last Mark.
func (l *Loader) Stats() (Stats, error) {
	var s Stats
	err := l.do(func(lp *loop) {
		s = lp.st.clone()
		s.Ready = len(lp.ready)
		s.NowNs = time.Now().UnixNano()
	})
	slices.SortFunc(s.Broadcasts, func(a, b BroadcastStat) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return s, err
}

// Complete delivers the id of every broadcast that reached all the ready
// sockets of this Loader. Ids are dropped if nobody reads.
func (l *Loader) Complete() <-chan uint64 { return l.lp.complete }

// Broadcast makes the first ready socket emit count "broadcast" events
// (Socket.IO) or 'b' text messages (WebSocket) back to back, in one write,
// each carrying a new id and its send time in a string of size bytes. It
// returns the ids. The server is expected to send each to every socket:
// "bcast" with the same argument, or the same text.
func (l *Loader) Broadcast(count, size int) ([]uint64, error) {
	if count <= 0 {
		return nil, errors.New("sioload: Broadcast needs count > 0")
	}
	var ids []uint64
	var err error
	derr := l.do(func(lp *loop) {
		if len(lp.ready) == 0 {
			err = ErrNoSocket
			return
		}
		lp.frame = lp.frame[:0]
		for range count {
			id := lp.nextID
			lp.nextID++
			now := time.Now().UnixNano()
			if lp.o.Mode == WebSocket {
				lp.payload = appendStamp(lp.payload[:0], kindBroadcast, id, now, size)
			} else {
				lp.payload = appendEvent(lp.payload[:0], lp.o.Namespace, "broadcast", -1, kindBroadcast, id, now, size)
			}
			lp.frame = appendMasked(lp.frame, opText, lp.payload, randKey())
			ids = append(ids, id)
		}
		lp.write(lp.ready[0], lp.frame)
	})
	if derr != nil {
		return nil, derr
	}
	return ids, err
}

// EchoRun describes a paced echo run.
type EchoRun struct {
	// Rate is the messages per second this Loader sends, spread round-robin
	// over its ready sockets. Required.
	Rate float64
	// Duration is how long it sends. Required.
	Duration time.Duration
	// Size is the length of the string argument. Default 64.
	Size int
	// Drain bounds the wait for the last acknowledgements once sending is
	// over. Default 2 s.
	Drain time.Duration
}

// Echo marks the statistics, sends EchoRun.Rate "echo" events per second
// with an acknowledgement id (or raw text messages in WebSocket mode) for
// EchoRun.Duration, waits until every one is answered or Drain passes, and
// returns the statistics of the run.
func (l *Loader) Echo(ctx context.Context, r EchoRun) (Stats, error) {
	if r.Rate <= 0 || r.Duration <= 0 {
		return Stats{}, errors.New("sioload: EchoRun needs Rate and Duration")
	}
	if r.Size <= 0 {
		r.Size = 64
	}
	if r.Drain <= 0 {
		r.Drain = 2 * time.Second
	}
	if err := l.Mark(); err != nil {
		return Stats{}, err
	}
	var job *echoJob
	var err error
	derr := l.do(func(lp *loop) {
		switch {
		case lp.echo != nil:
			err = ErrBusy
		case len(lp.ready) == 0:
			err = ErrNoSocket
		default:
			now := time.Now().UnixNano()
			job = &echoJob{
				rate: r.Rate, size: r.Size, startNs: now,
				total: max(int64(r.Rate*r.Duration.Seconds()), 1),
				done:  make(chan struct{}),
			}
			lp.echo = job
			lp.st.EchoStartNs = now
		}
	})
	if derr != nil {
		return Stats{}, derr
	}
	if err != nil {
		return Stats{}, err
	}
	select {
	case <-job.done:
	case <-ctx.Done():
		_ = l.do(func(lp *loop) {
			if lp.echo == job {
				lp.st.EchoEndNs = time.Now().UnixNano()
				close(job.done)
				lp.echo = nil
			}
		})
		return l.Stats()
	}
	deadline := time.Now().Add(r.Drain)
	for {
		s, err := l.Stats()
		if err != nil || s.EchoAcked >= s.EchoSent || time.Now().After(deadline) || ctx.Err() != nil {
			return s, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Close closes every socket and stops the loop. It is safe to call more
// than once.
func (l *Loader) Close() error {
	l.close.Do(func() {
		_ = l.do(func(lp *loop) { lp.quit = true })
		<-l.lp.done
		err := errors.Join(l.lp.pl.close(), closeFD(l.lp.wakeR), closeFD(l.lp.wakeW))
		if err != nil {
			l.closeErr = fmt.Errorf("sioload: close: %w", err)
		}
	})
	return l.closeErr
}
