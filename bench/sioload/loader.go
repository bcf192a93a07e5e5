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
		recorder: newRecorder(),
		done:     make(chan struct{}),
	}
	if o.Namespace != "/" {
		lp.nspKey = o.Namespace
	}
	var key [4]byte
	lp.connect = appendMasked(nil, opText, appendSIOPrefix(nil, sioConnect, o.Namespace), key)
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
		if lp.dial != nil || lp.churn != nil {
			busy = true
			return
		}
		lp.dial = &dialJob{left: n, next: int32(len(lp.ready)), start: time.Now(), done: done}
	})
	if err != nil {
		return Result{}, err
	}
	if busy {
		return Result{}, ErrBusy
	}
	return l.waitDial(ctx, done)
}

// Reconnect closes every ready socket at once (a plain TCP close, as a
// network change or a proxy restart would), then connects as many again,
// as Connect does. Result.Elapsed runs from the close to the last socket
// ready: the time until all are back.
func (l *Loader) Reconnect(ctx context.Context) (Result, error) {
	done := make(chan Result, 1)
	var busy bool
	err := l.do(func(lp *loop) {
		if lp.dial != nil || lp.churn != nil || lp.join != nil || lp.pace != nil {
			busy = true
			return
		}
		start := time.Now()
		n := lp.dropAll()
		lp.dial = &dialJob{left: n, start: start, done: done}
	})
	if err != nil {
		return Result{}, err
	}
	if busy {
		return Result{}, ErrBusy
	}
	return l.waitDial(ctx, done)
}

// waitDial waits for the dial job to report, giving it up when ctx ends.
func (l *Loader) waitDial(ctx context.Context, done chan Result) (Result, error) {
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
	return l.do(func(lp *loop) { lp.mark() })
}

// Stats returns a snapshot of the statistics since the last Mark.
func (l *Loader) Stats() (Stats, error) {
	var s Stats
	err := l.do(func(lp *loop) {
		s = lp.st.clone()
		s.Ready = len(lp.ready)
		s.Stalled = lp.slow
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

// Broadcast makes the first ready socket that reads emit count "broadcast" events
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
		var rr int
		sender := lp.nextSender(&rr)
		if sender == nil {
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
		lp.write(sender, lp.frame)
	})
	if derr != nil {
		return nil, derr
	}
	return ids, err
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
