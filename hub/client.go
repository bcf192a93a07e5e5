package hub

import (
	"errors"
	"slices"
	"sync"

	"github.com/siogate/siogate/hub/eio"
	"github.com/siogate/siogate/hub/sio"
	"github.com/siogate/siogate/poller"
)

// client is one Engine.IO session seen from Socket.IO: it decodes packets,
// demultiplexes namespaces and runs handlers in order on its mailbox.
//
// Packets are decoded on the transport's goroutine; acknowledgements are
// resolved right there (so a handler blocked in EmitWithAck on this same
// client gets its answer); everything else goes through the mailbox, one
// task at a time, in arrival order.
type client struct {
	srv     *Server
	sess    *eio.Session
	mailbox poller.Serial
	// timer is the connect timeout, dropped once the client joins a
	// namespace (48 bytes less per connected client); guarded by mu.
	timer *poller.Timer

	asmMu  sync.Mutex
	asm    sio.Assembler
	events eventBucket // Options.EventRate (limits.go)

	mu        sync.Mutex
	sockets   []*Socket // one per joined namespace (usually one: no map)
	connected bool      // joined a namespace at least once
	closed    bool
	override  Reason // reason to report instead of the Engine.IO one
}

func (s *Server) newClient(sess *eio.Session) *client {
	c := &client{srv: s, sess: sess, timer: new(poller.Timer)}
	c.mailbox.Init(s.exec, s.opts.MaxMailbox)
	c.timer.Init(c.onConnectTimeout)
	s.wheel.Reset(c.timer, s.opts.ConnectTimeout)
	s.stats.clients.Add(1)
	return c
}

// stopConnectTimer stops the connect timeout and lets it go.
func (c *client) stopConnectTimer() {
	c.mu.Lock()
	t := c.timer
	c.timer = nil
	c.mu.Unlock()
	if t != nil {
		c.srv.wheel.Stop(t)
	}
}

func (c *client) onConnectTimeout() {
	c.mu.Lock()
	joined := c.connected
	c.mu.Unlock()
	if !joined {
		c.srv.stats.connectTimeouts.Add(1)
		c.sess.Close()
	}
}

// OnMessage implements eio.Handler (transport goroutine, must not block).
func (c *client) OnMessage(_ *eio.Session, data []byte, binary bool) {
	c.asmMu.Lock()
	var (
		p    sio.Packet
		atts [][]byte
		done bool
		err  error
	)
	if binary {
		p, atts, done, err = c.asm.AddBinary(data)
	} else {
		p, atts, done, err = c.asm.AddText(data, c.srv.opts.MaxAttachments)
	}
	c.asmMu.Unlock()
	if err != nil {
		c.srv.stats.parseErrors.Add(1)
		c.srv.noteDecodeError(err)
		c.sess.CloseWith(eio.ReasonParseError, err)
		return
	}
	if !done {
		return
	}
	if p.Type == sio.Ack || p.Type == sio.BinaryAck {
		c.onAck(p, atts)
		return
	}
	if (p.Type == sio.Event || p.Type == sio.BinaryEvent) && !c.allowEvent() {
		c.rateLimited(p)
		return
	}
	if err := c.mailbox.Submit(func() { c.handle(p, atts) }); err != nil {
		c.srv.stats.mailboxOverflows.Add(1)
		c.sess.CloseWith(eio.ReasonTransportError, ErrMailboxFull)
	}
}

func (c *client) socket(nsp string) *Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.socketLocked(nsp)
}

func (c *client) socketLocked(nsp string) *Socket {
	for _, s := range c.sockets {
		if s.nsp.name == nsp {
			return s
		}
	}
	return nil
}

func (c *client) onAck(p sio.Packet, atts [][]byte) {
	s := c.socket(p.Namespace)
	if s == nil {
		return
	}
	args, err := sio.SplitArray(p.Data)
	if err != nil {
		c.sess.CloseWith(eio.ReasonParseError, err)
		return
	}
	s.acks.resolve(p.ID, &Message{socket: s, args: args, atts: atts, id: -1})
}

// handle runs on the mailbox.
func (c *client) handle(p sio.Packet, atts [][]byte) {
	switch p.Type {
	case sio.Connect:
		c.connect(p)
	case sio.Disconnect:
		if s := c.socket(p.Namespace); s != nil {
			c.leave(s, ReasonClientDisconnect)
		}
	case sio.Event, sio.BinaryEvent:
		s := c.socket(p.Namespace)
		if s == nil {
			// The reference server closes a connection that sends to a
			// namespace it did not join.
			c.sess.CloseWith(eio.ReasonParseError, errors.New("hub: event for a namespace not joined"))
			return
		}
		name, args, err := sio.SplitEvent(p.Data)
		if err != nil {
			c.sess.CloseWith(eio.ReasonParseError, err)
			return
		}
		if !s.Connected() {
			return
		}
		s.nsp.dispatch(s, &Message{Event: name, socket: s, args: args, atts: atts, id: p.ID})
	default:
		c.sess.CloseWith(eio.ReasonParseError, errors.New("hub: unexpected packet from client"))
	}
}

func (c *client) connect(p sio.Packet) {
	c.mu.Lock()
	dup := c.socketLocked(p.Namespace) != nil
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return
	}
	if dup {
		c.sess.CloseWith(eio.ReasonParseError, errors.New("hub: duplicate CONNECT"))
		return
	}
	nsp := c.srv.namespaceFor(p.Namespace)
	if nsp == nil {
		c.srv.stats.connectRejects.Add(1)
		_ = c.send(encodePacket(sio.ConnectError, p.Namespace, -1, "", [][]byte{[]byte(`{"message":"Invalid namespace"}`)}, nil), false)
		return
	}
	auth := Raw(p.Data)
	if len(auth) == 0 {
		auth = Raw("{}")
	}
	s := c.newSocket(nsp, auth) // in its namespace, recovered or new (recovery_connect.go)
	c.mu.Lock()
	c.sockets = append(c.sockets, s)
	c.mu.Unlock()
	if err := nsp.authorize(s, auth); err != nil {
		c.srv.stats.connectRejects.Add(1)
		c.drop(s)
		_ = c.send(encodePacket(sio.ConnectError, p.Namespace, -1, "", [][]byte{connectErrorPayload(err)}, nil), false)
		return
	}
	if err := s.finishConnect(encodePacket(sio.Connect, p.Namespace, -1, "", [][]byte{s.connectReply()}, nil)); err != nil {
		// OnConnect accepted the socket and may have acted on it (joined
		// rooms, told a backend), so it leaves like any connected socket
		// (unless a disconnect already took it): OnDisconnect always pairs
		// with an accepting OnConnect.
		if s.markDisconnected() {
			c.left(s, ReasonTransportClose)
		}
		return
	}
	c.mu.Lock()
	c.connected = true
	c.mu.Unlock()
	c.stopConnectTimer()
	c.srv.stats.sockets.Add(1)
	s.mu.Lock()
	leave := s.leaveAfter
	s.mu.Unlock()
	if leave {
		s.Disconnect(false)
	}
}

// drop forgets a socket that never finished connecting.
func (c *client) drop(s *Socket) {
	s.markDisconnected()
	s.nsp.adapter.DelAll(s)
	s.nsp.remove(s)
	c.mu.Lock()
	if i := slices.Index(c.sockets, s); i >= 0 {
		c.sockets = slices.Delete(c.sockets, i, i+1)
	}
	c.mu.Unlock()
}

// leave removes a connected socket from its namespace and runs its
// disconnect handler. It runs on the mailbox.
func (c *client) leave(s *Socket, reason Reason) {
	if !s.markDisconnected() {
		return
	}
	c.srv.stats.sockets.Add(-1)
	c.left(s, reason)
}

// left is leave once the socket is marked disconnected (and, if it was
// connected, uncounted).
func (c *client) left(s *Socket, reason Reason) {
	saved := s.sessionToSave(reason) // connection state recovery (recovery.go)
	c.drop(s)
	c.srv.saveSession(saved)
	s.acks.failAll()
	c.srv.stats.disconnect(reason)
	s.nsp.disconnected(s, reason)
	s.markLeft()
}

// submitLeave schedules leave on the mailbox (from any goroutine).
func (c *client) submitLeave(s *Socket, reason Reason) {
	c.mailbox.Force(func() { c.leave(s, reason) })
}

// closeAll closes the whole connection, reporting reason to every socket.
func (c *client) closeAll(reason Reason) {
	c.mu.Lock()
	if c.override == "" {
		c.override = reason
	}
	c.mu.Unlock()
	c.sess.Close()
}

// send queues one packet's messages on the session.
func (c *client) send(out []*eio.Outgoing, volatile bool) error {
	c.srv.stats.packetsOut.Add(1)
	var err error
	if len(out) == 1 {
		if volatile {
			err = c.sess.SendVolatile(out[0])
		} else {
			err = c.sess.Send(out[0])
		}
	} else {
		err = c.sess.SendGroup(volatile, out)
	}
	switch {
	case err == nil, errors.Is(err, eio.ErrDropped):
		return nil
	case errors.Is(err, eio.ErrSlowConsumer):
		c.srv.stats.slowConsumers.Add(1)
		c.closeAll(ReasonSlowConsumer)
		return ErrSlowConsumer
	default:
		return ErrDisconnected
	}
}

// OnClose implements eio.Handler.
func (c *client) OnClose(_ *eio.Session, reason eio.Reason, err error) {
	c.stopConnectTimer()
	c.srv.stats.clients.Add(-1)
	c.mu.Lock()
	c.closed = true
	r := c.override
	c.mu.Unlock()
	if r == "" {
		r = Reason(reason)
	}
	if errors.Is(err, eio.ErrSlowConsumer) {
		r = ReasonSlowConsumer
	}
	c.mailbox.Force(func() {
		c.mu.Lock()
		socks := slices.Clone(c.sockets)
		c.mu.Unlock()
		for _, s := range socks {
			c.leave(s, r)
		}
	})
}
