package sioload

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// PollLoader holds Socket.IO sockets over HTTP long-polling, the fallback
// transport. Unlike Loader it spends goroutines: one per socket, which
// keeps a GET outstanding and answers pings with a POST, plus the two that
// net/http runs per keep-alive connection; about 30 KiB of loader memory
// per socket, fine for a few thousand. The server's cost is what is
// measured. Its methods are safe for concurrent use.
type PollLoader struct {
	o      Options
	base   string // URL of the handshake, EIO=4&transport=polling
	tr     *http.Transport
	client *http.Client
	ctx    context.Context // ends with Close; every request is under it
	cancel context.CancelFunc
	wg     sync.WaitGroup // socket goroutines
	next   atomic.Uint64  // round-robin over the sources

	mu     sync.Mutex
	rec    recorder
	ready  int
	busy   bool
	closed bool
}

// NewPolling validates o (Mode must be SocketIO) and returns a PollLoader
// with no socket. Close releases it.
func NewPolling(o Options) (*PollLoader, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.Mode != SocketIO {
		return nil, errors.New("sioload: long-polling needs Socket.IO mode")
	}
	p := &PollLoader{o: o, rec: newRecorder()}
	sep := "?"
	if strings.Contains(o.Path, "?") {
		sep = "&"
	}
	p.base = "http://" + o.Addr + o.Path + sep + "EIO=4&transport=polling"
	p.tr = &http.Transport{
		DialContext:         p.dial,
		MaxIdleConnsPerHost: 1 << 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	p.client = &http.Client{Transport: p.tr}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

// dial connects from the next source address.
func (p *PollLoader) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Control: bindNoPortControl}
	if n := len(p.o.Sources); n > 0 {
		src := p.o.Sources[p.next.Add(1)%uint64(n)]
		d.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
	}
	return d.DialContext(ctx, network, addr)
}

// Options returns the options in effect, defaults filled in.
func (p *PollLoader) Options() Options { return p.o }

// begin claims the loader for a Connect or a Churn.
func (p *PollLoader) begin() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return ErrClosed
	case p.busy:
		return ErrBusy
	}
	p.busy = true
	return nil
}

func (p *PollLoader) end() {
	p.mu.Lock()
	p.busy = false
	p.mu.Unlock()
}

// Connect opens n more polling sockets, at most Options.Concurrency
// handshakes in flight, and returns when every one is ready or given up.
// Transient errors are retried with exponential backoff until ctx is done;
// a refused CONNECT or an HTTP error status is final.
func (p *PollLoader) Connect(ctx context.Context, n int) (Result, error) {
	if n <= 0 {
		return Result{}, errors.New("sioload: Connect needs n > 0")
	}
	if err := p.begin(); err != nil {
		return Result{}, err
	}
	defer p.end()
	start := time.Now()
	var (
		mu  sync.Mutex
		res Result
		wg  sync.WaitGroup
	)
	sem := make(chan struct{}, p.o.Concurrency)
	for range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s, retries, err := p.openRetrying(ctx)
			mu.Lock()
			defer mu.Unlock()
			res.Retries += retries
			if err != nil {
				res.Failed++
				if res.Errors == nil {
					res.Errors = map[string]int{}
				}
				res.Errors[ErrorClass(err)]++
				if res.FirstError == "" {
					res.FirstError = err.Error()
				}
				return
			}
			res.Connected++
			res.Handshake.Record((time.Now().UnixNano() - s.born) / 1000)
			p.startSocket(s)
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res, nil
}

// openRetrying opens one socket, retrying transient errors.
func (p *PollLoader) openRetrying(ctx context.Context) (*pollSocket, int, error) {
	born := time.Now().UnixNano()
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, p.o.AttemptTimeout)
		s, err := p.open(actx, born)
		cancel()
		if err == nil {
			return s, attempt - 1, nil
		}
		if ctx.Err() != nil {
			return nil, attempt - 1, errAborted
		}
		if !retryable(err) || attempt >= 255 {
			return nil, attempt - 1, err
		}
		backoff := min(10*time.Millisecond<<min(attempt, 10), maxBackoff)
		t := time.NewTimer(backoff/2 + rand.N(backoff)/2)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, attempt, errAborted
		}
	}
}

// startSocket runs a connected socket's poll loop until it closes or the
// loader does.
func (p *PollLoader) startSocket(s *pollSocket) {
	p.mu.Lock()
	p.ready++
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		err := s.run(p.ctx)
		p.mu.Lock()
		p.ready--
		if p.ctx.Err() == nil {
			p.rec.lost(err, false)
		}
		p.mu.Unlock()
	}()
}

// Len returns the number of ready sockets.
func (p *PollLoader) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ready
}

// Mark resets the statistics: Stats then reports what happens after it.
func (p *PollLoader) Mark() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.rec.mark()
	return nil
}

// Stats returns a snapshot of the statistics since the last Mark.
func (p *PollLoader) Stats() (Stats, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return Stats{}, ErrClosed
	}
	s := p.rec.st.clone()
	s.Ready = p.ready
	s.NowNs = time.Now().UnixNano()
	return s, nil
}

// Complete delivers the id of every broadcast that reached all the ready
// sockets of this PollLoader. Ids are dropped if nobody reads.
func (p *PollLoader) Complete() <-chan uint64 { return p.rec.complete }

// record handles one stamp received by a socket, under the lock.
func (p *PollLoader) record(arg []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rec.onStamp(arg, p.ready)
}

// count adds to the message counters, under the lock.
func (p *PollLoader) count(messages, bytes, pings, other int64) {
	p.mu.Lock()
	p.rec.st.Messages += messages
	p.rec.st.RecvBytes += bytes
	p.rec.st.Pings += pings
	p.rec.st.Other += other
	p.mu.Unlock()
}

// Close ends every socket's requests and goroutine and closes the idle
// connections. It is safe to call more than once.
func (p *PollLoader) Close() error {
	p.mu.Lock()
	was := p.closed
	p.closed = true
	p.mu.Unlock()
	if was {
		return nil
	}
	p.cancel()
	p.wg.Wait()
	p.tr.CloseIdleConnections()
	return nil
}
