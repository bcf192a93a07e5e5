package poller

import (
	"context"
	"net"
	"sync"
	"sync/atomic"

	"github.com/cloudwego/netpoll"
	"github.com/gobwas/ws"

	"github.com/siogate/siogate/wsframe"
)

// Handler receives the events of one upgraded WebSocket.
//
// OnOpen and OnMessage run on the connection's I/O goroutine, one at a time
// and in arrival order; they must not block (hand work to an Executor).
// OnClose runs exactly once, after the last OnMessage has returned, on
// whichever goroutine closed the connection.
type Handler interface {
	// OnOpen is called once the 101 response is queued, before any message.
	OnOpen(c *Conn)
	// OnMessage delivers one complete data message (ws.OpText or
	// ws.OpBinary). payload is valid only during the call: copy what you keep.
	OnMessage(c *Conn, op ws.OpCode, payload []byte)
	// OnClose reports why the connection ended: ErrPeerClosed,
	// *PeerCloseError, *wsframe.CloseError, ErrSlowConsumer, ErrLocalClose,
	// ErrServerClosed or *WriteError. c is nil when the connection closed
	// before the handler was opened (an accepted handshake whose socket
	// went away, or an Adopt that failed).
	OnClose(c *Conn, reason error)
}

// connection lifecycle, advanced only by the connection's I/O goroutine
// (sniff -> ws | handoff) and by its close callback (-> closed).
const (
	stateSniff   uint32 = iota
	stateWS             // upgraded
	stateHTTP           // served by net/http through an httpConn
	stateDirect         // plain HTTP answered on the reactor (direct.go)
	stateRefused        // answered with an HTTP error; closing after the flush
	stateClosed
)

// connAddrs holds an adopted connection's addresses.
type connAddrs struct{ remote, local net.Addr }

// connCtx lets a *Conn travel as netpoll's per-connection context without
// an extra allocation.
type connCtx struct {
	context.Context
	c *Conn
}

// Conn is one TCP connection accepted by a Server: first a sniffed HTTP
// request, then either an upgraded WebSocket (what this type's methods are
// for) or a connection handed to net/http.
//
// All methods are safe for concurrent use. Writes never block: frames are
// queued and written with non-blocking writev; whatever the kernel does not
// take waits in the queue, bounded by Options.MaxQueuedBytes.
type Conn struct {
	ctx   connCtx
	srv   *Server
	nc    netpoll.Connection
	fd    int32 // packed with state: 8 bytes less per connection
	state atomic.Uint32

	// adopted: the addresses of an adopted connection, whose netpoll
	// connection has none (nil for accepted ones).
	adopted *connAddrs

	// read side: touched only by the I/O goroutine.
	stash   []byte // partial request head or partial frame
	scanned int
	rd      wsframe.Reader
	h       Handler
	http    *httpConn   // stateHTTP: the net/http side
	dx      *directConn // set once the connection was answered directly

	// timer is the sniff deadline, then the close-flush deadline.
	timer Timer

	// write side, guarded by mu.
	mu         sync.Mutex
	out        [][]byte // queued frames, shared and immutable
	off        int      // bytes of out[0] already written
	queued     int      // exact bytes queued and not yet written
	closing    bool     // no more frames accepted; TCP closes when drained
	closed     bool     // close callback ran; the fd must not be touched
	backlogged bool     // kernel buffer was full; in the server's retry set
	pending    bool     // in a flush shard's list (write behind)
	closeTCP   bool     // ask netpoll to close once the queue is empty
	reason     error    // why the connection ended (first one wins)
}

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr {
	if c.adopted != nil {
		return c.adopted.remote
	}
	return c.nc.RemoteAddr()
}

// LocalAddr returns the local address.
func (c *Conn) LocalAddr() net.Addr {
	if c.adopted != nil {
		return c.adopted.local
	}
	return c.nc.LocalAddr()
}

// Server returns the server that accepted c.
func (c *Conn) Server() *Server { return c.srv }

func (c *Conn) onTimer() {
	switch c.state.Load() {
	case stateSniff:
		// Slowloris: the head did not complete in time.
		c.srv.stats.handshakeTimeouts.Add(1)
		_ = c.nc.Close()
	case stateWS, stateRefused:
		// The close frame or the error response could not be flushed in time.
		_ = c.nc.Close()
	case stateDirect:
		c.onDirectTimer()
	}
}

// onRequest is netpoll's single OnRequest for every connection. It always
// consumes everything netpoll buffered (netpoll spins otherwise).
func (s *Server) onRequest(ctx context.Context, nc netpoll.Connection) error {
	c := ctx.(*connCtx).c
	r := nc.Reader()
	n := r.Len()
	if n == 0 {
		return nil
	}
	b, err := r.Next(n)
	if err != nil {
		_ = nc.Close()
		return nil
	}
	s.stats.bytesIn.Add(uint64(n))
	if c.dx != nil {
		c.directInput(b)
		_ = r.Release()
		return nil
	}
	switch c.state.Load() {
	case stateSniff:
		c.stash = append(c.stash, b...)
		_ = r.Release()
		s.sniffStep(c)
	case stateWS:
		c.readFrames(b)
		_ = r.Release()
	case stateHTTP:
		c.feedHTTP(b)
		_ = r.Release()
	default:
		// Closing or handed off: drop what arrives.
		_ = r.Release()
	}
	return nil
}

// feedHTTP hands bytes read for a handed-off connection to net/http.
func (c *Conn) feedHTTP(b []byte) {
	if !c.http.feed(b, c.srv.opts.MaxHTTPBuffered) {
		c.overflowHTTP()
	}
}

// overflowHTTP cuts a plain HTTP connection whose unread input passed
// MaxHTTPBuffered.
func (c *Conn) overflowHTTP() {
	c.srv.stats.rejected.Add(1)
	c.Abort(errHTTPOverflow)
}

// readFrames parses WebSocket frames from the bytes just read, joined to any
// partial frame kept from before.
func (c *Conn) readFrames(b []byte) {
	buf := b
	inStash := len(c.stash) > 0
	if inStash {
		c.stash = append(c.stash, b...)
		buf = c.stash
	}
	for len(buf) > 0 && c.state.Load() == stateWS {
		ev, n, err := c.rd.Next(buf)
		if err != nil {
			c.srv.stats.protocolErrors.Add(1)
			ce, _ := err.(*wsframe.CloseError)
			code := ws.StatusProtocolError
			if ce != nil {
				code = ce.Code
			}
			c.closeWith(err, wsframe.CloseFrameFor(code))
			c.stash, buf = nil, nil
			break
		}
		if n == 0 {
			break
		}
		buf = buf[n:]
		switch ev.Kind {
		case wsframe.KindMessage:
			c.h.OnMessage(c, ev.Op, ev.Payload)
		case wsframe.KindPing:
			_ = c.Reply(wsframe.AppendFrame(nil, ws.OpPong, ev.Payload))
		case wsframe.KindClose:
			var reply []byte
			if ev.Code == ws.StatusNoStatusRcvd {
				reply = wsframe.AppendFrame(nil, ws.OpClose, nil)
			} else {
				reply = wsframe.CloseFrameFor(ev.Code)
			}
			c.closeWith(&PeerCloseError{Code: ev.Code, Reason: string(ev.Payload)}, reply)
			buf = nil
		}
	}
	// Keep the unparsed tail (a partial frame) for the next read.
	switch {
	case len(buf) == 0:
		if cap(c.stash) > 4<<10 {
			c.stash = nil // release big buffers once the socket is idle
		} else {
			c.stash = c.stash[:0]
		}
	case inStash && c.stash != nil:
		c.stash = c.stash[:copy(c.stash, buf)]
	default:
		c.stash = append(c.stash[:0], buf...)
	}
}

// closeCallback runs when netpoll closes or detaches the connection, before
// netpoll closes the fd and frees its buffers, and never concurrently with
// onRequest.
func (c *Conn) closeCallback(nc netpoll.Connection) error {
	prev := c.state.Swap(stateClosed)
	c.mu.Lock()
	c.closed, c.closing = true, true
	reason := c.reason
	if reason == nil {
		reason = ErrPeerClosed
	}
	c.reason = reason
	clear(c.out)
	c.out, c.off, c.queued = nil, 0, 0
	backlogged := c.backlogged
	c.backlogged = false
	c.mu.Unlock()
	c.srv.wheel.Stop(&c.timer)
	if backlogged {
		c.srv.backlog.remove(c)
	}
	if prev == stateDirect {
		c.closeDirect()
	} else if c.dx == nil {
		// A connection that was direct may still be read under dx.mu by a
		// goroutine that upgraded it; its buffers go with the Conn.
		c.stash = nil
		c.rd.Reset()
	}
	if c.http != nil {
		c.http.hangup()
	}
	if prev == stateWS {
		c.srv.untrack(setWS, c)
		if c.h != nil {
			c.h.OnClose(c, reason)
		}
	} else if prev == stateSniff {
		c.srv.stats.sniffing.Add(-1)
	}
	return nil
}
