package poller

import (
	"net"
	"sync"
)

// handoff gives a connection whose first request is plain HTTP to the
// standard http.Server. The socket stays on the reactor (see httpConn);
// the bytes already read are the start of net/http's input.
func (s *Server) handoff(c *Conn) {
	h := newHTTPConn(c, c.stash)
	c.stash = nil
	c.http = h
	s.stats.handedOff.Add(1)
	if !s.httpLn.tryPush(h) {
		// net/http is slow to accept: queue from a goroutine so the reactor
		// does not wait.
		go func() {
			if !s.httpLn.push(h) {
				_ = h.Close()
			}
		}()
	}
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
	return &chanListener{ch: make(chan net.Conn, 1024), done: make(chan struct{})}
}

func (l *chanListener) tryPush(c net.Conn) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return false
	}
	select {
	case l.ch <- c:
		return true
	default:
		return false
	}
}

// push delivers c to Accept, waiting while the queue is full.
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
