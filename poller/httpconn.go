package poller

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// httpConn is the net.Conn that net/http serves a plain HTTP connection
// through, while the socket itself stays on the reactor: the reactor's
// OnRequest appends what it reads, Read takes it; Write goes through the
// socket's non-blocking write path, waiting while too much is queued.
//
// Keeping the socket registered (instead of detaching its fd and handing
// the fd to net/http) means netpoll never reads bytes that net/http does
// not see: a detach races with a read netpoll already has in flight.
type httpConn struct {
	c *Conn

	mu       sync.Mutex
	cond     sync.Cond
	in       []byte
	eof      bool // peer closed, or the connection was closed
	closed   bool // Close was called
	rdl, wdl time.Time
	rdTimer  *time.Timer
	overflow bool
}

func newHTTPConn(c *Conn, initial []byte) *httpConn {
	h := &httpConn{c: c, in: initial}
	h.cond.L = &h.mu
	return h
}

// feed appends bytes read by the reactor. It reports false when the buffer
// limit is passed (the handler is not reading what the client sends).
func (h *httpConn) feed(b []byte, limit int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.eof || h.closed {
		return true
	}
	if len(h.in)+len(b) > limit {
		h.overflow = true
		return false
	}
	h.in = append(h.in, b...)
	h.cond.Broadcast()
	return true
}

// hangup marks the end of input (peer closed or connection closed).
func (h *httpConn) hangup() {
	h.mu.Lock()
	h.eof = true
	h.cond.Broadcast()
	h.mu.Unlock()
}

func (h *httpConn) Read(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.in) == 0 {
		switch {
		case h.closed:
			return 0, net.ErrClosed
		case h.eof:
			return 0, io.EOF
		case !h.rdl.IsZero() && !time.Now().Before(h.rdl):
			return 0, os.ErrDeadlineExceeded
		}
		h.cond.Wait()
	}
	n := copy(p, h.in)
	h.in = h.in[n:]
	if len(h.in) == 0 {
		h.in = nil
	}
	return n, nil
}

// Write queues p on the reactor's write path in chunks, waiting while the
// socket has more than half its queue limit pending.
func (h *httpConn) Write(p []byte) (int, error) {
	limit := h.c.srv.opts.MaxQueuedBytes
	chunk := min(64<<10, max(limit/4, 1))
	written := 0
	for written < len(p) {
		if err := h.waitWritable(limit / 2); err != nil {
			return written, err
		}
		n := min(chunk, len(p)-written)
		if err := h.c.Send(append([]byte(nil), p[written:written+n]...)); err != nil {
			return written, err
		}
		written += n
	}
	return written, nil
}

func (h *httpConn) waitWritable(below int) error {
	for {
		h.mu.Lock()
		closed, wdl := h.closed || h.eof, h.wdl
		h.mu.Unlock()
		if closed {
			return net.ErrClosed
		}
		if h.c.QueuedBytes() <= below {
			return nil
		}
		if !wdl.IsZero() && !time.Now().Before(wdl) {
			return os.ErrDeadlineExceeded
		}
		time.Sleep(time.Millisecond)
	}
}

// Close flushes what is queued, then closes the socket.
func (h *httpConn) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.cond.Broadcast()
	if h.rdTimer != nil {
		h.rdTimer.Stop()
	}
	h.mu.Unlock()
	h.c.closeWith(errHTTPDone, nil)
	return nil
}

func (h *httpConn) LocalAddr() net.Addr  { return h.c.LocalAddr() }
func (h *httpConn) RemoteAddr() net.Addr { return h.c.RemoteAddr() }

func (h *httpConn) SetDeadline(t time.Time) error {
	_ = h.SetReadDeadline(t)
	return h.SetWriteDeadline(t)
}

// SetReadDeadline wakes a blocked Read at t. net/http sets a deadline in
// the past at the end of every request to abort its background read: the
// Broadcast below does that at once, with no timer (a timer in the past
// would start a goroutine per request).
func (h *httpConn) SetReadDeadline(t time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rdl = t
	if h.rdTimer != nil {
		h.rdTimer.Stop()
		h.rdTimer = nil
	}
	if !t.IsZero() && time.Until(t) > 0 {
		h.rdTimer = time.AfterFunc(time.Until(t), func() {
			h.mu.Lock()
			h.cond.Broadcast()
			h.mu.Unlock()
		})
	}
	h.cond.Broadcast()
	return nil
}

func (h *httpConn) SetWriteDeadline(t time.Time) error {
	h.mu.Lock()
	h.wdl = t
	h.mu.Unlock()
	return nil
}

var errHTTPDone = errors.New("poller: http connection closed")
