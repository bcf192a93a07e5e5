package sioload

import (
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/siogate/siogate/bench/internal/wshandshake"
)

// Connection states, in order.
const (
	stDialing = iota // TCP connect in progress
	stUpgrade        // upgrade request sent, reading the response head
	stOpen           // upgraded, waiting for Engine.IO's open packet
	stConnect        // Socket.IO CONNECT sent, waiting for the reply
	stReady          // measured: pings answered, events read
	stCycle          // churn: connected, waiting for the echo's ack
	stClosed
)

// conn is one client socket. It is owned by the loop goroutine; a ready
// idle conn holds no buffer.
type conn struct {
	fd      int
	state   uint8
	attempt uint8 // attempts made for this index, first included
	stalled bool  // not read (Loader.Stall) until resumed
	slow    bool  // was stalled at some point: counted apart
	churn   bool  // one connect/emit/disconnect cycle (Loader.Churn)
	idx     int32 // connection number: picks the source address and the room
	pos     int32 // position in loop.ready or loop.hs
	ackSeq  uint32
	joinAck uint32 // ack id of a "join" awaiting its answer, or 0
	born    int64  // wall clock of the first attempt, Unix ns
	began   int64  // wall clock of this attempt, Unix ns
	key     string // Sec-WebSocket-Key, until the upgrade is checked
	in      []byte // bytes of an incomplete head or frame
	msg     []byte // fragments of an incomplete message
	msgOp   byte
	out     []byte // bytes the kernel did not take yet
}

// loop is the state of one event loop: every socket of a Loader, driven by
// one goroutine through one epoll instance. Everything in it is owned by
// that goroutine; other goroutines reach it through Loader.do.
type loop struct {
	recorder
	o        Options
	dst      netip.AddrPort
	upgrade  string // request path with query
	nspKey   string // namespace as it appears in packets ("" for "/")
	connect  []byte // the Socket.IO CONNECT message
	pl       *poller
	wakeR    int
	wakeW    int
	events   []pollEvent
	cmds     chan func()
	conns    []*conn // by fd
	ready    []*conn
	hs       []*conn // handshakes (and churn cycles) in flight
	stalled  int     // ready sockets not read now
	slow     int     // open sockets that were stalled
	redials  []redial
	dial     *dialJob
	pace     *paceJob
	join     *joinJob
	churn    *churnJob
	rbuf     []byte
	payload  []byte // scratch for a message payload
	frame    []byte // scratch for a framed message
	nextID   uint64 // next broadcast id
	lastScan int64
	quit     bool
	done     chan struct{} // closed when the loop goroutine has ended
}

const (
	readBuf      = 64 << 10
	maxEvents    = 1024
	scanInterval = 50 * time.Millisecond
	maxBackoff   = time.Second
)

// run is the loop goroutine.
func (lp *loop) run() {
	defer close(lp.done)
	for !lp.quit {
		n, err := lp.pl.wait(lp.events, lp.timeout())
		if err != nil {
			lp.st.FirstError = "epoll: " + err.Error()
			break
		}
		for _, ev := range lp.events[:n] {
			fd := int(ev.fd)
			if fd == lp.wakeR {
				lp.runCommands()
				continue
			}
			if fd < len(lp.conns) && lp.conns[fd] != nil {
				lp.onEvent(lp.conns[fd], ev.bits)
			}
		}
		lp.pump(time.Now().UnixNano())
	}
	for _, c := range lp.conns {
		if c != nil {
			closeFD(c.fd)
		}
	}
	lp.conns, lp.ready, lp.hs = nil, nil, nil
	if lp.dial != nil {
		lp.finishDial()
	}
	if lp.pace != nil {
		close(lp.pace.done)
		lp.pace = nil
	}
	if lp.join != nil {
		lp.finishJoin()
	}
	if lp.churn != nil {
		lp.finishChurn()
	}
}

// timeout returns how long epoll may block, in milliseconds.
func (lp *loop) timeout() int {
	if lp.pace != nil {
		return 1
	}
	if len(lp.hs) > 0 || len(lp.redials) > 0 || (lp.dial != nil && lp.dial.left > 0) || lp.churn != nil {
		return 10
	}
	return -1
}

// runCommands drains the wake pipe, then runs the queued commands.
func (lp *loop) runCommands() {
	var b [64]byte
	for {
		if n, err := readFD(lp.wakeR, b[:]); n <= 0 || err != nil {
			break
		}
	}
	for {
		select {
		case f := <-lp.cmds:
			f()
		default:
			return
		}
	}
}

// onEvent handles readiness of c.
func (lp *loop) onEvent(c *conn, bits uint8) {
	if c.state == stDialing {
		if bits&(evWrite|evErr) == 0 {
			return
		}
		if err := sockError(c.fd); err != nil {
			lp.drop(c, err)
			return
		}
		c.state = stUpgrade
		lp.write(c, wshandshake.AppendRequest(lp.frame[:0], lp.o.Addr, lp.upgrade, c.key))
	}
	if bits&evWrite != 0 && len(c.out) > 0 {
		lp.flush(c)
	}
	if bits&evRead != 0 && c.state != stClosed && !c.stalled {
		lp.read(c)
	}
}

// read drains c's socket (edge-triggered) and consumes what came.
func (lp *loop) read(c *conn) {
	for c.state != stClosed {
		n, err := readFD(c.fd, lp.rbuf)
		if err == errWouldBlock {
			return
		}
		if err != nil {
			lp.drop(c, err)
			return
		}
		if n == 0 {
			lp.drop(c, io.EOF)
			return
		}
		data := lp.rbuf[:n]
		if len(c.in) > 0 {
			c.in = append(c.in, data...)
			data = c.in
		}
		used := lp.consume(c, data)
		if c.state == stClosed {
			return
		}
		switch rest := data[used:]; {
		case len(rest) == 0:
			c.in = nil
		case len(c.in) > 0:
			c.in = c.in[:copy(c.in, rest)]
		default:
			c.in = append([]byte(nil), rest...)
		}
		if n < len(lp.rbuf) {
			return // a short read emptied the socket
		}
	}
}

// consume parses the response head and frames in data and returns the
// bytes used. It may close c.
func (lp *loop) consume(c *conn, data []byte) int {
	off := 0
	if c.state == stUpgrade {
		end := wshandshake.HeadEnd(data)
		if end < 0 {
			if len(data) > maxHead {
				lp.drop(c, ErrTooLarge)
			}
			return 0
		}
		if err := checkUpgrade(data[:end], c.key); err != nil {
			lp.drop(c, err)
			return 0
		}
		c.key = ""
		off = end
		if lp.o.Mode == WebSocket {
			lp.becomeReady(c)
		} else {
			c.state = stOpen
		}
	}
	for c.state >= stOpen && c.state != stClosed {
		f, n, err := parseFrame(data[off:], lp.o.MaxFrame)
		if err != nil {
			lp.protocolError(c, err)
			return off
		}
		if n == 0 {
			break
		}
		off += n
		lp.onFrame(c, f)
	}
	return off
}

// write sends b on c now, queueing what the kernel does not take. b may be
// a scratch buffer: it is copied if kept.
func (lp *loop) write(c *conn, b []byte) {
	if c.state == stClosed {
		return
	}
	if len(c.out) > 0 {
		c.out = append(c.out, b...)
		return
	}
	n, err := writeFD(c.fd, b)
	if err != nil && err != errWouldBlock {
		lp.drop(c, err)
		return
	}
	if n < len(b) {
		c.out = append(c.out, b[n:]...)
	}
}

// flush writes c's queued bytes.
func (lp *loop) flush(c *conn) {
	n, err := writeFD(c.fd, c.out)
	if err != nil && err != errWouldBlock {
		lp.drop(c, err)
		return
	}
	if n == len(c.out) {
		c.out = nil
		return
	}
	c.out = c.out[:copy(c.out, c.out[n:])]
}

// sendText frames payload as a masked text message and writes it on c.
func (lp *loop) sendText(c *conn, op byte, payload []byte) {
	lp.frame = appendMasked(lp.frame[:0], op, payload, randKey())
	lp.write(c, lp.frame)
}

// becomeReady moves c from the handshakes to the ready sockets, or starts
// the emit of a churn cycle.
func (lp *loop) becomeReady(c *conn) {
	if c.churn {
		lp.cycleConnected(c)
		return
	}
	lp.removeHS(c)
	c.state = stReady
	c.pos = int32(len(lp.ready))
	lp.ready = append(lp.ready, c)
	if d := lp.dial; d != nil {
		d.res.Connected++
		d.res.Handshake.Record((time.Now().UnixNano() - c.born) / 1000)
	}
}

// receivers returns the ready sockets that read: a broadcast that reached
// that many is complete.
func (lp *loop) receivers() int { return len(lp.ready) - lp.stalled }

// drop closes c for err: a handshake is retried or given up, a churn
// cycle fails, a ready socket is counted as lost.
func (lp *loop) drop(c *conn, err error) {
	if c.state == stClosed {
		return
	}
	wasReady := c.state == stReady
	if wasReady {
		lp.removeReady(c)
	} else {
		lp.removeHS(c)
	}
	lp.release(c)
	if c.joinAck != 0 {
		lp.joined(c)
	}
	switch {
	case c.churn:
		lp.cycleFailed(c, err)
	case wasReady:
		lp.lost(err, c.slow)
	default:
		lp.handshakeFailed(c.idx, c.attempt, c.born, err)
	}
}

// removeReady takes c out of the ready sockets.
func (lp *loop) removeReady(c *conn) {
	last := lp.ready[len(lp.ready)-1]
	lp.ready[c.pos] = last
	last.pos = c.pos
	lp.ready = lp.ready[:len(lp.ready)-1]
	c.pos = -1
}

// release closes c's socket and forgets it; c must be out of ready and hs.
func (lp *loop) release(c *conn) {
	if c.stalled {
		lp.stalled--
		c.stalled = false
	}
	if c.slow {
		lp.slow--
	}
	c.state = stClosed
	lp.conns[c.fd] = nil
	closeFD(c.fd)
	c.in, c.out, c.msg = nil, nil, nil
}

// protocolError closes c for a frame or packet that could not be parsed.
func (lp *loop) protocolError(c *conn, err error) {
	lp.st.ProtocolErrors++
	if lp.st.FirstError == "" {
		lp.st.FirstError = err.Error()
	}
	lp.drop(c, err)
}

// removeHS takes c out of the handshakes in flight, if it is there.
func (lp *loop) removeHS(c *conn) {
	if c.pos < 0 || int(c.pos) >= len(lp.hs) || lp.hs[c.pos] != c {
		return
	}
	last := lp.hs[len(lp.hs)-1]
	lp.hs[c.pos] = last
	last.pos = c.pos
	lp.hs = lp.hs[:len(lp.hs)-1]
	c.pos = -1
}

// pump runs the timed work: handshake deadlines, redials, new dials, churn
// cycles, the pacing of a paced run, and the end of a Connect.
func (lp *loop) pump(now int64) {
	if (lp.dial != nil || lp.churn != nil) && now-lp.lastScan >= int64(scanInterval) {
		lp.lastScan = now
		limit := now - int64(lp.o.AttemptTimeout)
		for i := 0; i < len(lp.hs); {
			if c := lp.hs[i]; c.began < limit {
				lp.drop(c, errTimeout) // swaps the last one into i
				continue
			}
			i++
		}
	}
	if lp.dial != nil {
		lp.pumpDial(now)
	}
	if lp.churn != nil {
		lp.pumpChurn(now)
	}
	if lp.pace != nil {
		lp.pumpPace(now)
	}
}

// newConn starts the TCP connect of connection idx from its source
// address and registers the socket as a handshake in flight.
func (lp *loop) newConn(idx int32, attempt uint8, born, now int64) (*conn, error) {
	var src netip.Addr
	if n := len(lp.o.Sources); n > 0 {
		src = lp.o.Sources[int(idx)%n]
	}
	fd, err := dialNonblock(src, lp.dst, lp.o.RecvBuffer, lp.o.MSS)
	if err != nil {
		return nil, err
	}
	var raw [16]byte
	binary.LittleEndian.PutUint64(raw[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(raw[8:], rand.Uint64())
	c := &conn{fd: fd, idx: idx, attempt: attempt, born: born, began: now, key: wshandshake.Key(raw)}
	for fd >= len(lp.conns) {
		lp.conns = append(lp.conns, make([]*conn, len(lp.conns)+1024)...)
	}
	lp.conns[fd] = c
	c.pos = int32(len(lp.hs))
	lp.hs = append(lp.hs, c)
	return c, nil
}

// register adds c's socket to epoll; a failure closes c through drop.
func (lp *loop) register(c *conn) {
	if err := lp.pl.add(c.fd); err != nil {
		lp.drop(c, err)
	}
}

// randKey returns a masking key. It only has to vary: the loader talks to
// servers on loopback, not through caching proxies.
func randKey() [4]byte {
	var k [4]byte
	binary.LittleEndian.PutUint32(k[:], rand.Uint32())
	return k
}
