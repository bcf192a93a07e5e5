package eio

import (
	"errors"
	"sync"
	"time"

	"github.com/siogate/siogate/poller"
)

// Handler receives one session's messages and its end.
//
// OnMessage runs on the goroutine of the transport that received the
// packet (the WebSocket's I/O goroutine, or the polling POST's handler),
// one call at a time and in arrival order. It must not block: decode what
// must be decoded at once and hand the rest to an executor (package hub
// does). OnClose is called exactly once, from whichever goroutine closed the
// session; an OnMessage on another goroutine may still be finishing.
type Handler interface {
	// OnMessage delivers a message packet. data is owned by the callee.
	OnMessage(s *Session, data []byte, binary bool)
	// OnClose reports the end of the session.
	OnClose(s *Session, reason Reason, err error)
}

type transportKind uint8

const (
	kindPolling transportKind = iota
	kindWebSocket
)

func (k transportKind) String() string {
	if k == kindWebSocket {
		return "websocket"
	}
	return "polling"
}

// clientCloseLinger is how long a polling session closed by its client's
// close packet stays known, so that a GET sent together with the close and
// arriving after it gets the noop instead of "Session ID unknown".
const clientCloseLinger = time.Second

// Session is one Engine.IO connection: a sid that lives across the polling
// -> WebSocket upgrade. Its methods are safe for concurrent use.
//
// Lock rule: s.mu is never held while calling into a poller.Conn (a close
// there may call back into the session synchronously).
type Session struct {
	srv   *Server
	id    string
	req   *Request
	h     Handler
	timer poller.Timer // heartbeat: ping interval, then ping timeout

	uncounted bool // guarded by the registry shard lock

	// Guarded by mu. The flags sit together (after uncounted) so that they
	// share one word: 16 bytes less per session than in field order.
	kind         transportKind
	draining     bool // queued packets are being moved to ws; new sends queue behind them
	upgrading    bool // probe answered: a GET parked before got noop, a GET now waits for the upgrade
	posting      bool // a polling POST is being handled
	awaitingPong bool
	closed       bool
	mu           sync.Mutex
	ws           *poller.Conn // the WebSocket once kind == kindWebSocket
	probe        *poller.Conn // WebSocket being probed for an upgrade
	queue        []*Outgoing  // polling (or pre-upgrade) queue
	queued       int
	get          *pollWaiter // parked polling GET
	linger       *Outgoing   // closed polling session: what the next GET gets
	reason       Reason
}

// ID returns the Engine.IO session id.
func (s *Session) ID() string { return s.id }

// Request returns the handshake request.
func (s *Session) Request() *Request { return s.req }

// Transport returns "polling" or "websocket".
func (s *Session) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kind.String()
}

// Closed reports whether the session has ended.
func (s *Session) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Send queues one message. It never blocks. Errors: ErrClosed, and
// ErrSlowConsumer when the queue limit is hit (the session is then closed).
func (s *Session) Send(m *Outgoing) error { return s.send(false, m, nil) }

// SendVolatile queues a message that may be dropped (ErrDropped) when the
// client is behind, keeping the session open: a WebSocket whose kernel
// buffer is full, a polling session holding data that no GET has taken yet,
// or a session in the middle of an upgrade.
func (s *Session) SendVolatile(m *Outgoing) error { return s.send(true, m, nil) }

// SendGroup queues several messages atomically and in order (a Socket.IO
// binary packet and its attachments).
func (s *Session) SendGroup(volatile bool, ms []*Outgoing) error { return s.send(volatile, nil, ms) }

// Close ends the session (ReasonForcedClose): a WebSocket gets a close
// frame, a parked polling GET gets the close packet.
func (s *Session) Close() { s.closeWith(ReasonForcedClose, nil, msgClose) }

// CloseWith ends the session with the given reason and cause, e.g.
// ReasonParseError when an upper layer cannot decode what the client sent.
func (s *Session) CloseWith(reason Reason, err error) { s.closeWith(reason, err, msgClose) }

func (s *Session) send(volatile bool, one *Outgoing, group []*Outgoing) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.kind == kindWebSocket && !s.draining {
		conn := s.ws
		s.mu.Unlock()
		return s.sendWS(conn, volatile, one, group)
	}
	n := 0
	if one != nil {
		n = one.Size()
	}
	for _, m := range group {
		n += m.Size()
	}
	// A polling client is behind when data waits and no GET is there to
	// take it (the same rule as a WebSocket whose kernel buffer is full);
	// between two polls with nothing queued a volatile message still waits
	// for the next GET, which comes within a round trip.
	if volatile && (s.upgrading || (s.get == nil && s.queued > 0)) {
		s.mu.Unlock()
		s.srv.stats.droppedVolatile.Add(1)
		return ErrDropped
	}
	if s.queued > 0 && s.queued+n > s.srv.opts.MaxQueuedBytes {
		s.mu.Unlock()
		if volatile {
			s.srv.stats.droppedVolatile.Add(1)
			return ErrDropped
		}
		s.srv.stats.slowConsumers.Add(1)
		s.closeWith(ReasonTransportError, ErrSlowConsumer, msgClose)
		return ErrSlowConsumer
	}
	if one != nil {
		s.queue = append(s.queue, one)
	}
	s.queue = append(s.queue, group...)
	s.queued += n
	g, q := s.takeGetLocked()
	s.mu.Unlock()
	if g != nil {
		g.give(s, q)
	}
	return nil
}

// sendControl queues a control packet, bypassing the queue limit.
func (s *Session) sendControl(m *Outgoing) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if s.kind == kindWebSocket && !s.draining {
		conn := s.ws
		s.mu.Unlock()
		_ = conn.Send(m.frame())
		return
	}
	s.queue = append(s.queue, m)
	s.queued += m.Size()
	g, q := s.takeGetLocked()
	s.mu.Unlock()
	if g != nil {
		g.give(s, q)
	}
}

func (s *Session) sendWS(conn *poller.Conn, volatile bool, one *Outgoing, group []*Outgoing) error {
	var err error
	switch {
	case one != nil && volatile:
		err = conn.SendVolatile(one.frame())
	case one != nil:
		err = conn.Send(one.frame())
	default:
		var small [8][]byte // a binary packet and its attachments, usually
		frames := small[:0]
		if len(group) > len(small) {
			frames = make([][]byte, 0, len(group))
		}
		for _, m := range group {
			frames = append(frames, m.frame())
		}
		err = conn.SendGroup(volatile, frames)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, poller.ErrDropped):
		s.srv.stats.droppedVolatile.Add(1)
		return ErrDropped
	case errors.Is(err, poller.ErrSlowConsumer):
		s.srv.stats.slowConsumers.Add(1)
		return ErrSlowConsumer
	default:
		return ErrClosed
	}
}

// takeGetLocked unparks the parked GET, if any, with the queue; the caller
// gives it the queue (pollWaiter.give) once s.mu is released.
func (s *Session) takeGetLocked() (*pollWaiter, []*Outgoing) {
	if s.get == nil || s.upgrading || len(s.queue) == 0 {
		return nil, nil
	}
	g := s.get
	s.get = nil
	return g, s.takeQueueLocked()
}

func (s *Session) takeQueueLocked() []*Outgoing {
	q := s.queue
	s.queue, s.queued = nil, 0
	return q
}

// deliver hands a received message to the Handler.
func (s *Session) deliver(data []byte, binary bool) {
	s.srv.stats.messagesIn.Add(1)
	s.h.OnMessage(s, data, binary)
}

// onPacket handles one packet from the client on the active transport.
// data is owned by the session.
func (s *Session) onPacket(p Packet) {
	switch p.Type {
	case Message:
		s.deliver(p.Data, p.Binary)
	case Pong:
		s.mu.Lock()
		if s.awaitingPong && !s.closed {
			s.awaitingPong = false
			s.srv.wheel.Reset(&s.timer, s.srv.opts.PingInterval)
		}
		s.mu.Unlock()
	case Close:
		// A parked GET gets a noop, as the reference server does.
		s.closeWith(ReasonTransportClose, nil, msgNoop)
	case Noop:
	case Ping:
		s.closeWith(ReasonTransportError, ErrInvalidHeartbeat, msgClose)
	default:
		s.closeWith(ReasonTransportError, ErrUnexpectedPacket, msgClose)
	}
}

// onHeartbeat is the wheel callback: send a ping, or time out.
func (s *Session) onHeartbeat() {
	s.mu.Lock()
	if s.closed {
		// A lingering closed session is forgotten after one heartbeat period.
		s.linger = nil
		s.mu.Unlock()
		s.srv.remove(s)
		return
	}
	if s.awaitingPong {
		s.mu.Unlock()
		s.closeWith(ReasonPingTimeout, nil, msgClose)
		return
	}
	s.awaitingPong = true
	// The timeout counts from when the ping was due, not from this late
	// run of the callback (pongOverdueLocked relies on the deadline).
	s.srv.wheel.Advance(&s.timer, s.srv.opts.PingTimeout)
	s.mu.Unlock()
	s.sendControl(msgPing)
}

// closeWith ends the session once. getReply is what a parked polling GET
// receives (close or noop).
func (s *Session) closeWith(reason Reason, err error, getReply *Outgoing) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed, s.reason = true, reason
	conn, probe, g := s.ws, s.probe, s.get
	s.ws, s.probe, s.get = nil, nil, nil
	s.queue, s.queued = nil, 0
	// A polling client that has no GET parked learns of a server-side close
	// from its next GET, as with the reference server; the session lingers
	// for it, a heartbeat period at most. A client that sent the close
	// packet itself polls no more, except for a GET it sent at the same
	// moment that arrives after the close (the official suite does exactly
	// that): its session lingers for clientCloseLinger only, since under
	// churn a longer linger would hold every closed session.
	linger := g == nil && conn == nil && reason != ReasonPingTimeout && reason != ReasonParseError
	lingerFor := s.srv.opts.PingInterval + s.srv.opts.PingTimeout
	if reason == ReasonTransportClose {
		lingerFor = min(lingerFor, clientCloseLinger)
	}
	if linger {
		s.linger = getReply
	}
	s.mu.Unlock()

	if linger {
		s.srv.wheel.Reset(&s.timer, lingerFor)
		s.srv.countClosed(s)
	} else {
		s.srv.wheel.Stop(&s.timer)
		s.srv.remove(s)
	}
	s.srv.stats.closed(reason)
	if g != nil {
		g.give(s, []*Outgoing{getReply})
	}
	if conn != nil {
		code := uint16(1000)
		if reason == ReasonShutdown {
			code = 1001
		}
		conn.Close(code, "")
	}
	if probe != nil {
		probe.Close(1000, "")
	}
	s.h.OnClose(s, reason, err)
}

// transportClosed is called when the session's WebSocket ended.
func (s *Session) transportClosed(c *poller.Conn, why error) {
	s.mu.Lock()
	active := s.ws == c && !s.closed
	s.mu.Unlock()
	if !active {
		return
	}
	s.srv.noteTransportClose(why)
	var pe *poller.PeerCloseError
	if errors.Is(why, poller.ErrPeerClosed) || errors.As(why, &pe) {
		s.closeWith(ReasonTransportClose, nil, msgClose)
		return
	}
	s.closeWith(ReasonTransportError, why, msgClose)
}

// pongOverdueLocked reports whether the ping timeout has passed although
// the wheel has not run the callback yet (it runs at the deadline or up to
// a tick later). A polling request that arrives in that gap finds the
// session timed out, as the reference server's event loop would: it runs
// due timers before I/O. Called with s.mu held.
func (s *Session) pongOverdueLocked() bool {
	return s.awaitingPong && !s.closed && s.srv.wheel.Due(&s.timer)
}
