package hub

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/siogate/siogate/hub/eio"
	"github.com/siogate/siogate/hub/sio"
)

type socketState uint8

const (
	socketConnecting socketState = iota
	socketConnected
	socketLeaving // Disconnect(false) called; the leave runs on the mailbox
	socketDisconnected
)

// Socket is one client connected to one namespace. Its methods are safe for
// concurrent use; Emit and the other sends never block.
type Socket struct {
	id     string
	nsp    *Namespace
	client *client
	auth   Raw // the CONNECT payload ({} when empty)
	acks   ackTable
	// pid is the private session id of connection state recovery ("" when
	// off); recovered: this socket was restored (recovery.go).
	pid string

	mu         sync.Mutex
	state      socketState
	recovered  bool          // set before the socket is shared, read-only after
	leaveAfter bool          // Disconnect(false) while connecting: leave right after the CONNECT reply
	left       bool          // leave has finished (disconnect handler run)
	pending    []pendingSend // sends made while connecting, flushed after the CONNECT reply
	data       map[string]any
	aside      *socketAside // what few sockets need, made on first use
}

// socketAside holds the Socket fields that few sockets use, so that the
// others do not pay for them (16 bytes less per socket). Guarded by the
// socket's mu.
type socketAside struct {
	leftCh   chan struct{} // closed when left is set; made on demand (recovery_connect.go)
	replayed *replaySet    // offsets just replayed to a recovered socket (recovery_connect.go)
}

// asideLocked returns s.aside, made if needed. s.mu is held.
func (s *Socket) asideLocked() *socketAside {
	if s.aside == nil {
		s.aside = &socketAside{}
	}
	return s.aside
}

// ID returns the socket id (distinct from the Engine.IO session id).
func (s *Socket) ID() string { return s.id }

// Namespace returns the socket's namespace.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake returns how the socket connected (query, headers, auth...),
// built from the Engine.IO request on each call.
func (s *Socket) Handshake() HandshakeInfo { return newHandshake(s.client.sess.Request(), s.auth) }

// Auth returns the auth payload of the CONNECT packet ({} when absent).
func (s *Socket) Auth() Raw { return s.auth }

// Transport returns "websocket" or "polling".
func (s *Socket) Transport() string { return s.client.sess.Transport() }

// Connected reports whether the socket is still in its namespace.
func (s *Socket) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == socketConnecting || s.state == socketConnected
}

// Set stores a value in the socket's session data.
func (s *Socket) Set(key string, v any) {
	s.mu.Lock()
	if s.data == nil {
		s.data = make(map[string]any)
	}
	s.data[key] = v
	s.mu.Unlock()
}

// Get returns a value from the socket's session data.
func (s *Socket) Get(key string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data[key]
}

// Emit sends an event to this client. It never blocks. []byte arguments
// travel as binary attachments. Errors: ErrReservedEvent, ErrDisconnected,
// ErrSlowConsumer, or an argument that does not encode.
func (s *Socket) Emit(event string, args ...any) error {
	if isReserved(event) {
		return ErrReservedEvent
	}
	raw, atts, err := encodeArgs(args)
	if err != nil {
		return err
	}
	return s.emitRecorded(event, raw, atts)
}

// EmitRaw sends an event whose arguments are raw JSON (placeholders in raw
// numbering atts from 0), e.g. to forward a Message unchanged.
func (s *Socket) EmitRaw(event string, raw [][]byte, atts [][]byte) error {
	if isReserved(event) {
		return ErrReservedEvent
	}
	return s.emitRecorded(event, raw, atts)
}

// emitRecorded sends an EVENT without ack; with recovery on it is recorded
// and carries its offset, as Node routes such emits through the adapter.
func (s *Socket) emitRecorded(event string, raw, atts [][]byte) error {
	if s.nsp.srv.opts.Recovery == nil {
		// No selection to record: building one would cost an
		// allocation per emit.
		return s.sendOutgoing(encodePacket(sio.Event, s.nsp.name, -1, event, raw, atts), false)
	}
	raw, off := s.nsp.withOffset(event, raw, atts, BroadcastOptions{Rooms: []string{s.id}})
	return s.sendStamped(encodePacket(sio.Event, s.nsp.name, -1, event, raw, atts), false, off)
}

// EmitVolatile is Emit for an event that may be dropped when the client
// cannot take it now.
func (s *Socket) EmitVolatile(event string, args ...any) error {
	if isReserved(event) {
		return ErrReservedEvent
	}
	raw, atts, err := encodeArgs(args)
	if err != nil {
		return err
	}
	return s.sendOutgoing(encodePacket(sio.Event, s.nsp.name, -1, event, raw, atts), true)
}

// Send emits the "message" event (python-socketio's send).
func (s *Socket) Send(args ...any) error { return s.Emit("message", args...) }

// EmitWithAck emits an event with an ack id and waits for the client's
// acknowledgement until ctx is done (or Options.AckTimeout when ctx has no
// deadline). It may be called from a handler of this same socket. It
// fails at once with ErrTooManyPendingAcks when Options.MaxPendingAcks
// acknowledgements are already awaited from the socket.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (*Message, error) {
	if isReserved(event) {
		return nil, ErrReservedEvent
	}
	raw, atts, err := encodeArgs(args)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.nsp.srv.opts.AckTimeout)
		defer cancel()
	}
	id := s.nsp.nextID()
	ch := make(chan *Message, 1)
	if err := s.registerAck(id, func(m *Message) { ch <- m }); err != nil {
		return nil, err
	}
	if err := s.sendOutgoing(encodePacket(sio.Event, s.nsp.name, id, event, raw, atts), false); err != nil {
		s.acks.cancel(id)
		return nil, err
	}
	select {
	case m := <-ch:
		if m == nil {
			return nil, ErrDisconnected
		}
		return m, nil
	case <-ctx.Done():
		s.acks.cancel(id)
		return nil, errors.Join(ErrAckTimeout, ctx.Err())
	}
}

// Join adds the socket to rooms, all or none: it returns ErrTooManyRooms
// (and joins none) when that would put the socket in more than
// Options.MaxRoomsPerSocket rooms, and ErrDisconnected when the socket has
// left its namespace.
func (s *Socket) Join(rooms ...string) error {
	if !s.Connected() {
		return ErrDisconnected
	}
	return s.joinLimited(rooms)
}

// Leave removes the socket from a room.
func (s *Socket) Leave(room string) { s.nsp.adapter.Del(s, room) }

// Rooms returns the socket's rooms, its own id room first.
func (s *Socket) Rooms() []string { return s.nsp.adapter.SocketRooms(s) }

// To returns a broadcast to rooms that skips this socket.
func (s *Socket) To(rooms ...string) BroadcastOperator {
	return s.nsp.To(rooms...).Except(s.id)
}

// In is To.
func (s *Socket) In(rooms ...string) BroadcastOperator { return s.To(rooms...) }

// Broadcast returns a broadcast to the whole namespace that skips this
// socket.
func (s *Socket) Broadcast() BroadcastOperator { return s.nsp.Except(s.id) }

// Disconnect removes the socket from its namespace, sending the client a
// DISCONNECT (the client will not reconnect by itself). close = true closes
// the whole underlying connection (every namespace) instead.
func (s *Socket) Disconnect(close bool) {
	if close {
		s.client.closeAll(ReasonForcedServer)
		return
	}
	s.mu.Lock()
	switch s.state {
	case socketConnecting:
		// The client must see its CONNECT reply before the DISCONNECT;
		// client.connect finishes the job.
		s.leaveAfter = true
		s.mu.Unlock()
		return
	case socketConnected:
		// From now on the socket counts as gone: later emits fail and a
		// second Disconnect does nothing.
		s.state = socketLeaving
		_ = s.client.send(encodePacket(sio.Disconnect, s.nsp.name, -1, "", nil, nil), false)
		s.mu.Unlock()
		s.client.submitLeave(s, ReasonServerDisconnect)
	default:
		s.mu.Unlock()
	}
}

// sendOutgoing queues the messages of one packet for this client.
func (s *Socket) sendOutgoing(out []*eio.Outgoing, volatile bool) error {
	return s.sendStamped(out, volatile, "")
}

// sendStamped is sendOutgoing for a packet carrying recovery offset
// offset ("" for none).
func (s *Socket) sendStamped(out []*eio.Outgoing, volatile bool, offset string) error {
	s.mu.Lock()
	if offset != "" && s.replayedLocked(offset) {
		s.mu.Unlock()
		return nil // the recovery replay had it (recovery_connect.go)
	}
	switch s.state {
	case socketDisconnected, socketLeaving:
		s.mu.Unlock()
		return ErrDisconnected
	case socketConnecting:
		if !volatile {
			s.pending = append(s.pending, pendingSend{out: out, offset: offset})
		}
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	return s.client.send(out, volatile)
}

// sendAck answers the client's ack id.
func (s *Socket) sendAck(id int64, raw, atts [][]byte) error {
	return s.sendOutgoing(encodePacket(sio.Ack, s.nsp.name, id, "", raw, atts), false)
}

// finishConnect sends the CONNECT reply, then what was emitted meanwhile.
func (s *Socket) finishConnect(reply []*eio.Outgoing) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != socketConnecting {
		return ErrDisconnected
	}
	if err := s.client.send(reply, false); err != nil {
		return err
	}
	for _, p := range s.pending {
		if err := s.client.send(p.out, false); err != nil {
			return err
		}
	}
	s.pending = nil
	s.state = socketConnected
	return nil
}

// markDisconnected flips the state once; it reports whether it did.
func (s *Socket) markDisconnected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == socketDisconnected {
		return false
	}
	s.state = socketDisconnected
	s.pending = nil
	return true
}

func (s *Socket) info() SocketInfo {
	s.mu.Lock()
	data := make(map[string]any, len(s.data))
	for k, v := range s.data {
		data[k] = v
	}
	s.mu.Unlock()
	return SocketInfo{ID: s.id, Handshake: s.Handshake(), Rooms: s.Rooms(), Data: data}
}

var reservedEvents = map[string]bool{
	"connect": true, "connect_error": true, "disconnect": true,
	"disconnecting": true, "newListener": true, "removeListener": true,
}

func isReserved(event string) bool { return reservedEvents[event] }

// ackContext returns the context of an ack wait: the operator's Timeout,
// else ctx's own deadline, else def (Options.AckTimeout).
func ackContext(ctx context.Context, d, def time.Duration) (context.Context, context.CancelFunc) {
	if d > 0 {
		return context.WithTimeout(ctx, d)
	}
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, def)
}
