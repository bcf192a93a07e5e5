package poller

import (
	"net"
	"os"
	"sync"
)

// handoff moves a detached connection to net/http. It runs in the close
// callback, after netpoll removed the fd from epoll and before netpoll frees
// its buffers; netpoll does not close a detached fd, so this function owns it.
func (s *Server) handoff(c *Conn) {
	r := c.nc.Reader()
	if n := r.Len(); n > 0 {
		if b, err := r.Next(n); err == nil {
			c.stash = append(c.stash, b...)
		}
	}
	f := os.NewFile(uintptr(c.fd), "")
	nc, err := net.FileConn(f) // dups the fd into Go's runtime poller
	_ = f.Close()
	c.fd = -1
	if err != nil {
		s.opts.Logger.Warn("poller: hand-off failed", "err", err)
		return
	}
	s.stats.handedOff.Add(1)
	prefix := c.stash
	c.stash = nil
	if !s.httpLn.push(&replayConn{Conn: nc, prefix: prefix}) {
		_ = nc.Close()
	}
}

// replayConn replays the bytes the reactor already read before reading
// from the connection itself.
type replayConn struct {
	net.Conn
	prefix []byte
}

func (r *replayConn) Read(p []byte) (int, error) {
	if len(r.prefix) > 0 {
		n := copy(p, r.prefix)
		r.prefix = r.prefix[n:]
		if len(r.prefix) == 0 {
			r.prefix = nil
		}
		return n, nil
	}
	return r.Conn.Read(p)
}

// chanListener is a net.Listener fed by the reactor's hand-offs.
type chanListener struct {
	ch     chan net.Conn
	done   chan struct{}
	once   sync.Once
	mu     sync.RWMutex
	closed bool
}

func newChanListener() *chanListener {
	return &chanListener{ch: make(chan net.Conn, 128), done: make(chan struct{})}
}

// push delivers c to Accept. It blocks while http.Server is slow to accept,
// which only delays this one connection's close callback.
func (l *chanListener) push(c net.Conn) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return false
	}
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		for {
			select {
			case c := <-l.ch:
				_ = c.Close()
			default:
				return
			}
		}
	})
	return nil
}

func (l *chanListener) Addr() net.Addr { return handoffAddr{} }

type handoffAddr struct{}

func (handoffAddr) Network() string { return "tcp" }
func (handoffAddr) String() string  { return "poller-handoff" }
