package eio

import (
	"github.com/gobwas/ws"

	"github.com/siogate/siogate/poller"
)

// wsTransport is the poller.Handler of one WebSocket: either the transport
// of a session opened directly over WebSocket, or a probe upgrading a polling
// session.
type wsTransport struct {
	sess  *Session
	conn  *poller.Conn
	probe *wsProbe // upgrade in progress: only 2probe and 5 are expected
}

// wsProbe is what a WebSocket needs while it probes an upgrade; dropped
// once the upgrade is done, so an open WebSocket does not carry its timer.
type wsProbe struct {
	timer poller.Timer // UpgradeTimeout
}

func (t *wsTransport) OnOpen(c *poller.Conn) {
	t.conn = c
	s := t.sess
	srv := s.srv
	if t.probe == nil {
		// The session was created with draining set, so anything sent before
		// this point waits in its queue behind the open packet.
		_ = c.Send(srv.openFrame(s, false))
		s.mu.Lock()
		s.ws = c
		s.mu.Unlock()
		s.drainTo(c)
		srv.wheel.Reset(&s.timer, srv.opts.PingInterval)
		return
	}
	s.mu.Lock()
	busy := s.closed || s.kind == kindWebSocket || s.probe != nil
	if !busy {
		s.probe = c
	}
	s.mu.Unlock()
	if busy {
		// Accept, then close at once: the official suite expects a 101 here.
		c.Close(1008, "session already upgraded")
		return
	}
	t.probe.timer.Init(func() { c.Close(1008, "upgrade timeout") })
	srv.wheel.Reset(&t.probe.timer, srv.opts.UpgradeTimeout)
}

func (t *wsTransport) OnMessage(c *poller.Conn, op ws.OpCode, payload []byte) {
	s := t.sess
	if len(payload) > s.srv.opts.MaxPayload {
		// The reactor's own limit may be larger than this server's.
		c.Close(1009, "message too big")
		if t.probe == nil {
			s.closeWith(ReasonTransportError, ErrPayloadTooLarge, msgClose)
		}
		return
	}
	if op == ws.OpBinary {
		if t.probe != nil {
			c.Close(1002, "unexpected binary frame during upgrade")
			return
		}
		s.onPacket(Packet{Type: Message, Data: append([]byte(nil), payload...), Binary: true})
		return
	}
	p, err := DecodeText(payload)
	if err != nil {
		if t.probe != nil {
			c.Close(1002, "bad packet during upgrade")
			return
		}
		s.srv.stats.parseErrors.Add(1)
		s.closeWith(ReasonParseError, err, msgClose)
		return
	}
	if t.probe != nil {
		t.onProbePacket(c, p)
		return
	}
	if p.Type == Message {
		p.Data = append([]byte(nil), p.Data...)
	}
	s.onPacket(p)
}

// onProbePacket drives the upgrade: 2probe -> 3probe (and release the parked
// GET with a noop), then 5 switches the session to this WebSocket. It runs on
// the WebSocket's I/O goroutine, in frame order, so a GET sent after 5 sees
// the upgraded session.
func (t *wsTransport) onProbePacket(c *poller.Conn, p Packet) {
	s := t.sess
	switch {
	case IsProbePing(p):
		// Written at once, not behind: the client may act on the upgrade
		// (a GET that must see it) before a flush goroutine would run.
		_ = c.Reply(msgProbePong.frame())
		s.mu.Lock()
		s.upgrading = true
		g := s.get
		s.get = nil
		s.mu.Unlock()
		if g != nil {
			g.give(s, []*Outgoing{msgNoop})
		}
	case p.Type == Upgrade:
		if !s.upgradeTo(c) {
			c.Close(1008, "upgrade refused")
			return
		}
		s.srv.wheel.Stop(&t.probe.timer)
		t.probe = nil
	default:
		c.Close(1002, "unexpected packet during upgrade")
	}
}

// upgradeTo switches s to c and moves the polling queue onto it, keeping
// order with sends that happen meanwhile.
func (s *Session) upgradeTo(c *poller.Conn) bool {
	s.mu.Lock()
	if s.closed || s.probe != c || !s.upgrading {
		s.mu.Unlock()
		return false
	}
	s.kind, s.ws, s.probe, s.upgrading, s.draining = kindWebSocket, c, nil, false, true
	g := s.get
	s.get = nil
	s.mu.Unlock()
	if g != nil {
		// A GET that raced the upgrade packet: the session is on the
		// WebSocket now.
		g.give(s, nil)
	}
	s.srv.stats.upgrades.Add(1)
	s.drainTo(c)
	return true
}

// drainTo moves the queue onto c until it is empty, then lets sends go to
// c directly; sends that race with it queue behind, so order holds.
func (s *Session) drainTo(c *poller.Conn) {
	for {
		s.mu.Lock()
		q := s.takeQueueLocked()
		if len(q) == 0 || s.closed {
			s.draining = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		frames := make([][]byte, len(q))
		for i, m := range q {
			frames[i] = m.frame()
		}
		_ = c.SendGroup(false, frames)
	}
}

func (t *wsTransport) OnClose(c *poller.Conn, reason error) {
	s := t.sess
	if t.probe != nil {
		s.srv.wheel.Stop(&t.probe.timer)
		s.mu.Lock()
		if s.probe == c {
			s.probe, s.upgrading = nil, false
		}
		g, q := s.takeGetLocked()
		s.mu.Unlock()
		if g != nil {
			g.give(s, q)
		}
		return
	}
	s.transportClosed(c, reason)
}

// rejectAfterOpen accepts a WebSocket and closes it at once.
type rejectAfterOpen struct{}

func (rejectAfterOpen) OnOpen(c *poller.Conn)                     { c.Close(1008, "session already upgraded") }
func (rejectAfterOpen) OnMessage(*poller.Conn, ws.OpCode, []byte) {}
func (rejectAfterOpen) OnClose(*poller.Conn, error)               {}
