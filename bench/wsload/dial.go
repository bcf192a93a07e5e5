package wsload

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/siogate/siogate/bench/internal/wshandshake"
)

// Result summarises a Dial.
type Result struct {
	// Connected is the number of connections upgraded and held.
	Connected int
	// Failed is the number of connections given up.
	Failed int
	// Retries counts attempts repeated after a transient error.
	Retries int
	// Elapsed is the wall time of the whole Dial.
	Elapsed time.Duration
	// Errors counts the failed connections by the class of their last error
	// ("refused", "addrnotavail", "timeout", "handshake", "deadline", ...).
	Errors map[string]int
	// FirstError is the text of the first error that made a connection fail.
	FirstError string
}

// Pool holds the connections opened by Dial. It is not safe for concurrent
// use; Close releases every connection.
type Pool struct {
	conns []net.Conn
}

// Len returns the number of connections held.
func (p *Pool) Len() int { return len(p.conns) }

// Close closes every connection and returns the first error seen.
func (p *Pool) Close() error {
	var first error
	for _, c := range p.conns {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	p.conns = nil
	return first
}

// Dial opens o.N WebSocket connections with at most o.Concurrency in flight.
// A connection that fails with a transient error (refused, reset, address not
// available, timeout, early EOF) is retried with exponential backoff until ctx
// is done; handshake errors are final. Dial returns when every connection is
// open or given up. It returns an error only for invalid options; partial
// success is reported in Result, and the Pool holds what connected.
func Dial(ctx context.Context, o Options) (*Pool, Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, Result{}, err
	}
	start := time.Now()
	res := Result{Errors: map[string]int{}}
	p := &Pool{conns: make([]net.Conn, 0, o.N)}

	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		jobs = make(chan int)
	)
	for range min(o.Concurrency, o.N) {
		wg.Go(func() {
			for i := range jobs {
				var src netip.Addr
				if len(o.Sources) > 0 {
					src = o.Sources[i%len(o.Sources)]
				}
				c, retries, err := dialRetry(ctx, o, src)
				mu.Lock()
				res.Retries += retries
				if err != nil {
					res.Failed++
					res.Errors[errorClass(ctx, err)]++
					if res.FirstError == "" {
						res.FirstError = err.Error()
					}
				} else {
					p.conns = append(p.conns, c)
				}
				mu.Unlock()
			}
		})
	}
	fed := 0
feed:
	for ; fed < o.N; fed++ {
		select {
		case jobs <- fed:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if left := o.N - fed; left > 0 {
		res.Failed += left
		res.Errors["deadline"] += left
		if res.FirstError == "" {
			res.FirstError = ctx.Err().Error()
		}
	}
	res.Connected = len(p.conns)
	res.Elapsed = time.Since(start)
	return p, res, nil
}

// dialRetry dials one connection from src, retrying transient errors with
// backoff until ctx is done. It returns the number of retries made.
func dialRetry(ctx context.Context, o Options, src netip.Addr) (net.Conn, int, error) {
	const maxBackoff = time.Second
	backoff := 10 * time.Millisecond
	for retries := 0; ; retries++ {
		c, err := dialOnce(ctx, o, src)
		if err == nil {
			return c, retries, nil
		}
		if !retryable(err) || ctx.Err() != nil {
			return nil, retries, err
		}
		wait := backoff/2 + mrand.N(backoff)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, retries, err
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// dialOnce makes one attempt: TCP connect, upgrade, and the optional echo.
func dialOnce(ctx context.Context, o Options, src netip.Addr) (net.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, o.AttemptTimeout)
	defer cancel()
	d := net.Dialer{}
	if src.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
	}
	c, err := d.DialContext(actx, "tcp", o.Addr)
	if err != nil {
		return nil, err
	}
	deadline, _ := actx.Deadline()
	c.SetDeadline(deadline)
	// Cut the handshake short if ctx is cancelled before the deadline.
	stop := context.AfterFunc(actx, func() { c.SetDeadline(time.Unix(1, 0)) })
	err = handshake(c, o)
	if !stop() || err != nil {
		c.Close()
		if err == nil {
			err = actx.Err()
		}
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// handshake upgrades c and, if o.Echo, exchanges one text message.
func handshake(c net.Conn, o Options) error {
	key, err := newKey(rand.Reader)
	if err != nil {
		return err
	}
	if _, err := c.Write(wshandshake.AppendRequest(make([]byte, 0, 256), o.Addr, o.Path, key)); err != nil {
		return err
	}
	buf := make([]byte, maxHead)
	got, end := 0, -1
	for end < 0 {
		if got == len(buf) {
			return ErrHeadTooLarge
		}
		n, err := c.Read(buf[got:])
		got += n
		if err != nil && wshandshake.HeadEnd(buf[:got]) < 0 {
			return err
		}
		end = wshandshake.HeadEnd(buf[:got])
	}
	if err := checkResponse(buf[:end], key); err != nil {
		return err
	}
	if !o.Echo {
		return nil
	}
	var mask [4]byte
	rand.Read(mask[:])
	if _, err := c.Write(appendMaskedText(make([]byte, 0, 16), echoPayload, mask)); err != nil {
		return err
	}
	want := appendText(nil, echoPayload)
	n := copy(buf, buf[end:got])
	if n < len(want) {
		m, err := io.ReadFull(c, buf[n:len(want)])
		n += m
		if err != nil {
			return err
		}
	}
	if string(buf[:n]) != string(want) {
		return ErrBadEcho
	}
	return nil
}

// retryable reports whether err is worth another attempt.
func retryable(err error) bool {
	switch errorClass(context.Background(), err) {
	case "refused", "reset", "addrnotavail", "timeout", "eof":
		return true
	}
	return false
}

// errorClass names the kind of err for Result.Errors.
func errorClass(ctx context.Context, err error) string {
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		return "deadline"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EADDRINUSE):
		return "addrnotavail"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "fdlimit"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.Is(err, ErrHeadTooLarge), errors.Is(err, ErrBadStatus),
		errors.Is(err, ErrBadUpgrade), errors.Is(err, ErrBadAccept), errors.Is(err, ErrBadEcho):
		return "handshake"
	}
	return "other"
}
