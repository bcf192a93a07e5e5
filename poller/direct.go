package poller

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DirectFunc answers one plain HTTP request on the reactor, with no
// goroutine of its own (see Options.Direct). It runs once per request, on
// the goroutine that completed the request (the connection's I/O goroutine,
// the wheel for a body timeout, or whichever goroutine answered the request
// before it on the same connection) and must not block. It answers through
// ex.Respond, at once or later from any goroutine.
type DirectFunc func(ex *Exchange)

// Errors an Exchange carries instead of a body.
var (
	// ErrBodyTooLarge: Content-Length passed Options.MaxDirectBody; the body
	// is not read and the connection closes after the response.
	ErrBodyTooLarge = errors.New("poller: request body too large")
	// ErrBodyTimeout: the body did not arrive within Options.BodyTimeout;
	// the connection closes after the response.
	ErrBodyTimeout = errors.New("poller: request body not received in time")
)

// Exchange is one request answered on the reactor: its head, its body and
// the one response it gets.
type Exchange struct {
	// Request is the parsed head.
	Request *Request
	// Body is the complete body (Content-Length bytes); nil when empty or
	// when Err is set.
	Body []byte
	// Err is ErrBodyTooLarge or ErrBodyTimeout when the body was not read.
	Err error

	c         *Conn
	fn        DirectFunc
	keepAlive bool

	mu   sync.Mutex
	done bool   // answered, or the connection went away first
	sent bool   // the response is queued (or the exchange ended): the next request may go on
	gone func() // OnGone
}

// Respond writes the response: status, header (Content-Length and
// Connection are set here) and body. The connection is kept alive for the
// next request unless the client asked otherwise, the body was not read, or
// the server is shutting down. It may be called once, from any goroutine;
// it reports false when the exchange was already answered or the client is
// gone, in which case nothing is written.
func (e *Exchange) Respond(status int, header http.Header, body []byte) bool {
	e.mu.Lock()
	if e.done {
		e.mu.Unlock()
		return false
	}
	e.done, e.gone = true, nil
	e.mu.Unlock()
	c := e.c
	keep := e.keepAlive && e.Err == nil && !c.srv.draining.Load()
	head := e.Request.Method == http.MethodHead
	resp := appendResponse(make([]byte, 0, 160+len(body)), status, header, body, keep, head)
	// The next request is answered only once this response is queued, so
	// that pipelined responses keep their order; after a closing answer
	// the connection is closing (Conn.closing) before it counts as sent,
	// so nothing pipelined behind it is answered.
	var err error
	if keep {
		err = c.Send(resp)
	} else {
		c.closeWith(ErrLocalClose, resp)
	}
	e.markSent()
	if err != nil {
		return false
	}
	c.srv.stats.direct.Add(1)
	if keep {
		c.directKick()
	}
	return true
}

func (e *Exchange) markSent() {
	e.mu.Lock()
	e.sent = true
	e.mu.Unlock()
}

// OnGone registers fn to run once if the connection closes before the
// exchange is answered. It reports false, without registering, when that
// already happened (or the exchange was answered): the caller then does its
// own cleanup.
func (e *Exchange) OnGone(fn func()) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		return false
	}
	e.gone = fn
	return true
}

// hangup ends an unanswered exchange because its connection closed.
func (e *Exchange) hangup() {
	e.mu.Lock()
	fn := e.gone
	already := e.done
	e.done, e.sent, e.gone = true, true, nil
	e.mu.Unlock()
	if !already && fn != nil {
		fn()
	}
}

// answered reports whether the response is queued (or the exchange
// ended), so the connection may go on to the next request.
func (e *Exchange) answered() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sent
}

// appendResponse builds an HTTP/1.1 response. The answer to a HEAD
// announces the body's length without the body.
func appendResponse(b []byte, status int, header http.Header, body []byte, keepAlive, head bool) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\n"...)
	for k, vs := range header {
		if k == "Content-Length" || k == "Connection" {
			continue
		}
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if status == http.StatusNoContent || status == http.StatusNotModified {
		body = nil // these carry no body (RFC 9110, 15.3.5 and 15.4.5)
	} else {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	if keepAlive {
		b = append(b, "Connection: keep-alive\r\n\r\n"...)
	} else {
		b = append(b, "Connection: close\r\n\r\n"...)
	}
	if head {
		return b
	}
	return append(b, body...)
}

// directConn is the read side of a connection whose requests the reactor
// answers (stateDirect). The bytes received wait in Conn.stash, guarded by
// mu; one goroutine at a time advances the connection (run, through
// directKick), so pipelined requests are answered in order.
type directConn struct {
	mu      sync.Mutex
	cur     *Exchange // handed to its DirectFunc, maybe not answered yet
	pend    *Exchange // head read, waiting for its body
	phase   uint8     // what the connection's timer is armed for
	timeout bool      // the body deadline passed
	work    atomic.Int32
}

// deadline phases of a direct connection.
const (
	phaseNone uint8 = iota
	phaseIdle       // between requests: Options.HTTPIdleTimeout
	phaseHead       // a head has started: Options.HandshakeTimeout
	phaseBody       // a body is awaited: Options.BodyTimeout
)

// beginDirect switches a sniffed connection to direct answering.
func (s *Server) beginDirect(c *Conn) {
	c.dx = &directConn{}
	c.state.Store(stateDirect)
	s.stats.sniffing.Add(-1)
	s.track(setDirect, c)
}

// directInput takes the bytes read for a connection that was ever direct.
// Once such a connection was upgraded or handed off (possibly by another
// goroutine answering pipelined requests, under dx.mu), its reads still go
// through dx.mu, so they never overlap the transition.
func (c *Conn) directInput(b []byte) {
	d := c.dx
	d.mu.Lock()
	switch c.state.Load() {
	case stateDirect:
	case stateWS:
		c.readFrames(b)
		d.mu.Unlock()
		return
	case stateHTTP:
		c.feedHTTP(b)
		d.mu.Unlock()
		return
	default:
		d.mu.Unlock()
		return
	}
	if len(c.stash)+len(b) > c.srv.opts.MaxHTTPBuffered {
		d.mu.Unlock()
		c.overflowHTTP()
		return
	}
	c.stash = append(c.stash, b...)
	d.mu.Unlock()
	c.directKick()
}

// directKick advances the connection, or leaves it to the goroutine that
// is already advancing it (which then runs once more).
func (c *Conn) directKick() {
	d := c.dx
	if d.work.Add(1) != 1 {
		return
	}
	for {
		c.directRun()
		if d.work.Add(-1) == 0 {
			return
		}
	}
}

// directRun answers what the buffered bytes hold until it must wait: for
// the answer to the current request, for more bytes, or for nothing (the
// connection was handed off or is closing).
func (c *Conn) directRun() {
	s, d := c.srv, c.dx
	for {
		d.mu.Lock()
		if c.state.Load() != stateDirect || c.isClosing() {
			d.mu.Unlock()
			return
		}
		if d.cur != nil {
			if !d.cur.answered() {
				d.mu.Unlock()
				return
			}
			d.cur = nil
		}
		if ex := d.pend; ex != nil {
			need := int(ex.Request.ContentLength)
			switch {
			case len(c.stash) >= need:
				ex.Body = append([]byte(nil), c.stash[:need]...)
				c.consume(need)
			case d.timeout:
				ex.Err = ErrBodyTimeout
				s.stats.bodyTimeouts.Add(1)
			default:
				c.armDirect(phaseBody, s.opts.BodyTimeout)
				d.mu.Unlock()
				return
			}
			d.pend, d.cur, d.timeout = nil, ex, false
			c.armDirect(phaseNone, 0)
			d.mu.Unlock()
			ex.fn(ex)
			continue
		}
		if len(c.stash) == 0 {
			c.armDirect(phaseIdle, s.opts.HTTPIdleTimeout)
			d.mu.Unlock()
			return
		}
		res, headLen, scanned := sniff(c.stash, c.scanned, s.opts.MaxHeaderBytes)
		c.scanned = scanned
		switch res {
		case sniffMore:
			c.armDirect(phaseHead, s.opts.HandshakeTimeout)
			d.mu.Unlock()
			return
		case sniffBad:
			c.directRefuseLocked(errBadRequest, respBadRequest)
			return
		case sniffTooLarge:
			c.directRefuseLocked(errHeadTooLarge, respHeadTooLarge)
			return
		case sniffUpgrade:
			// A WebSocket handshake after direct requests on the same
			// connection: the reactor upgrades it as if it came first.
			c.scanned = 0
			if s.draining.Load() {
				c.directRefuseLocked(ErrServerClosed, respUnavailable)
				return
			}
			c.armDirect(phaseNone, 0)
			// A compare-and-swap: the close callback may have run meanwhile
			// when this goroutine answered a pipelined request.
			if !c.state.CompareAndSwap(stateDirect, stateSniff) {
				d.mu.Unlock()
				return
			}
			s.stats.sniffing.Add(1)
			s.untrack(setDirect, c)
			s.upgrade(c, headLen)
			d.mu.Unlock()
			return
		}
		// sniffHTTP
		c.scanned = 0
		req := &Request{RemoteAddr: c.RemoteAddr()}
		info, err := parseHead(c.stash[:headLen], req)
		if err != nil {
			c.directRefuseLocked(err, respBadRequest)
			return
		}
		var fn DirectFunc
		if !info.handOff && s.opts.Direct != nil {
			fn = s.opts.Direct(req)
		}
		if fn == nil {
			// net/http serves this request and every later one.
			c.armDirect(phaseNone, 0)
			s.untrack(setDirect, c)
			s.handoff(c)
			if !c.state.CompareAndSwap(stateDirect, stateHTTP) {
				// Closed meanwhile: the close callback did not see c.http.
				c.http.hangup()
			}
			d.mu.Unlock()
			return
		}
		c.consume(headLen)
		ex := &Exchange{Request: req, c: c, fn: fn, keepAlive: info.keepAlive}
		if req.ContentLength > int64(s.opts.MaxDirectBody) {
			// The body is never read: answer, then close.
			ex.Err = ErrBodyTooLarge
			d.cur = ex
			c.armDirect(phaseNone, 0)
			d.mu.Unlock()
			fn(ex)
			continue
		}
		d.pend = ex
		d.mu.Unlock()
	}
}

// directRefuseLocked answers a request the reactor will not serve with an
// HTTP error and closes the connection once it is written. Called with
// dx.mu held; it releases it.
func (c *Conn) directRefuseLocked(why error, resp []byte) {
	c.armDirect(phaseNone, 0)
	c.dx.mu.Unlock()
	if why != ErrServerClosed {
		c.srv.stats.rejected.Add(1)
	}
	c.closeWith(why, resp)
}

// consume drops n bytes from the head of the stash.
func (c *Conn) consume(n int) {
	rest := copy(c.stash, c.stash[n:])
	c.stash = c.stash[:rest]
	if rest == 0 && cap(c.stash) > 4<<10 {
		c.stash = nil
	}
}

// armDirect points the connection's timer at a phase; the deadline of a
// phase is set once, when the phase begins, so trickled bytes do not
// extend it. Called with dx.mu held.
func (c *Conn) armDirect(phase uint8, d time.Duration) {
	dx := c.dx
	if dx.phase == phase {
		return
	}
	dx.phase = phase
	if phase == phaseNone {
		c.srv.wheel.Stop(&c.timer)
		return
	}
	c.srv.wheel.Reset(&c.timer, d)
}

// onDirectTimer runs on the wheel when a direct connection's deadline
// passes: the close flush took too long, the connection sat idle or the
// head did not complete (close), or the body did not arrive (the request
// is answered with ErrBodyTimeout).
func (c *Conn) onDirectTimer() {
	if c.isClosing() {
		_ = c.nc.Close()
		return
	}
	d := c.dx
	d.mu.Lock()
	phase := d.phase
	d.phase = phaseNone
	if phase == phaseBody {
		d.timeout = true
	}
	d.mu.Unlock()
	switch phase {
	case phaseBody:
		c.directKick()
	case phaseHead:
		c.srv.stats.handshakeTimeouts.Add(1)
		_ = c.nc.Close()
	case phaseIdle:
		// Close once the last answer is out (a large one may still be
		// queued), within CloseTimeout.
		c.closeWith(ErrLocalClose, nil)
	}
}

// closeDirect runs from the close callback of a connection still in
// stateDirect (nothing that may close the connection runs under dx.mu in
// that state): an unanswered request learns that its client is gone.
func (c *Conn) closeDirect() {
	d := c.dx
	d.mu.Lock()
	cur := d.cur
	d.cur, d.pend = nil, nil
	c.stash = nil
	d.mu.Unlock()
	c.srv.untrack(setDirect, c)
	if cur != nil {
		cur.hangup()
	}
}

// closeIdleDirect closes the connection if it waits for no answer (used by
// Shutdown), once what is queued is written (within CloseTimeout); it
// reports whether nothing is left to write.
func (c *Conn) closeIdleDirect() bool {
	d := c.dx
	d.mu.Lock()
	busy := d.cur != nil && !d.cur.answered()
	d.mu.Unlock()
	if busy {
		return false
	}
	c.closeWith(ErrServerClosed, nil)
	return c.QueuedBytes() == 0
}

func (c *Conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}
