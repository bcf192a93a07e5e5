package hub

import (
	"context"
	"sync"
	"time"

	"github.com/siogate/siogate/hub/eio"
	"github.com/siogate/siogate/hub/sio"
)

// BroadcastOptions selects the sockets a broadcast or a bulk operation
// reaches, in the shape @socket.io/redis-adapter puts on the wire.
type BroadcastOptions struct {
	// Rooms: the union of these rooms (a socket id is a room holding that
	// socket). Empty: every socket of the namespace.
	Rooms []string
	// Except: sockets in any of these rooms (or with these ids) are skipped.
	Except []string
	// Volatile: drop the packet for clients that cannot take it now.
	Volatile bool
	// Local: this node only, even with a multi-node adapter.
	Local bool
	// Timeout is how long the sender of a BroadcastWithAck waits for the
	// acknowledgements (0 otherwise). Multi-node adapters put it on the
	// wire (flags.timeout) and forget a request's bookkeeping after it.
	Timeout time.Duration
}

// Adapter holds a namespace's room membership and carries broadcasts and
// bulk operations to the sockets they select: locally with the in-memory
// adapter, across nodes with a multi-node one. Methods must be safe for
// concurrent use and must not call back into the adapter while holding
// their own locks.
type Adapter interface {
	// AddAll adds a local socket to rooms.
	AddAll(s *Socket, rooms []string)
	// Del removes a local socket from one room.
	Del(s *Socket, room string)
	// DelAll removes a local socket from every room (it left the namespace).
	DelAll(s *Socket)
	// SocketRooms returns the rooms of a local socket (its own id room
	// included).
	SocketRooms(s *Socket) []string
	// Rooms returns every room that has at least one local member (socket
	// id rooms excluded).
	Rooms() []string
	// Broadcast sends p to the selected sockets.
	Broadcast(p *Packet, opts BroadcastOptions)
	// BroadcastWithAck sends p with an ack id to the selected sockets;
	// onCount is told how many sockets were reached (called once per node),
	// onAck receives each acknowledgement.
	BroadcastWithAck(p *Packet, opts BroadcastOptions, onCount func(int), onAck func(*Message))
	// FetchSockets describes the selected sockets.
	FetchSockets(ctx context.Context, opts BroadcastOptions) ([]SocketInfo, error)
	// AddSockets makes the selected sockets join rooms.
	AddSockets(opts BroadcastOptions, rooms []string)
	// DelSockets makes the selected sockets leave rooms.
	DelSockets(opts BroadcastOptions, rooms []string)
	// DisconnectSockets disconnects the selected sockets (close: the whole
	// connection, not only the namespace).
	DisconnectSockets(opts BroadcastOptions, close bool)
	// Close releases the adapter.
	Close() error
}

// ServerCounter is implemented by multi-node adapters. ServerCount reports
// how many servers (this one included) serve the namespace: that is how
// many times BroadcastWithAck calls onCount, so EmitWithAck waits for that
// many counts before it can finish. An adapter without it counts as one
// server.
type ServerCounter interface {
	ServerCount(ctx context.Context) (int, error)
}

// ServerSideEmitter is implemented by multi-node adapters that carry events
// between the servers of a cluster (Namespace.ServerSideEmit). Arguments
// are raw JSON values.
type ServerSideEmitter interface {
	// ServerSideEmit sends event(args...) to the namespace on every other
	// server. It must not block.
	ServerSideEmit(event string, args [][]byte) error
	// ServerSideEmitWithAck sends event(args...) asking for an answer and
	// waits, until ctx is done, for one reply per other server. It returns
	// the replies received; with some missing it also returns an error.
	ServerSideEmitWithAck(ctx context.Context, event string, args [][]byte) ([]Raw, error)
}

// SocketInfo describes a socket for FetchSockets (local or remote).
type SocketInfo struct {
	ID        string         `json:"id"`
	Handshake HandshakeInfo  `json:"handshake"`
	Rooms     []string       `json:"rooms"`
	Data      map[string]any `json:"data"`
}

// Packet is an outgoing Socket.IO packet. It is encoded at most once per
// transport however many sockets it goes to. Treat it as immutable.
type Packet struct {
	Type        sio.PacketType
	Nsp         string
	Event       string   // EVENT: the name
	ID          int64    // ack id, -1 for none
	Args        [][]byte // raw JSON arguments
	Attachments [][]byte

	once    sync.Once
	out     []*eio.Outgoing
	offset  string // recovery offset given by this node (recovery.go)
	stamped bool   // stampPacket saw it: a local broadcast, offset is final
}

// NewEventPacket builds an EVENT packet for nsp.
func NewEventPacket(nsp, event string, args ...any) (*Packet, error) {
	raw, atts, err := encodeArgs(args)
	if err != nil {
		return nil, err
	}
	return &Packet{Type: sio.Event, Nsp: nsp, Event: event, ID: -1, Args: raw, Attachments: atts}, nil
}

// Outgoing returns the Engine.IO messages of p: the packet text, then one
// binary message per attachment.
func (p *Packet) Outgoing() []*eio.Outgoing {
	p.once.Do(func() { p.out = encodePacket(p.Type, p.Nsp, p.ID, p.Event, p.Args, p.Attachments) })
	return p.out
}

// encodePacket builds the Engine.IO messages of one Socket.IO packet.
func encodePacket(t sio.PacketType, nsp string, id int64, event string, args, atts [][]byte) []*eio.Outgoing {
	if id < 0 {
		id = sio.NoID
	}
	var text []byte
	switch t {
	case sio.Event, sio.BinaryEvent:
		text = sio.AppendEvent(nil, nsp, id, len(atts), event, args...)
	case sio.Ack, sio.BinaryAck:
		text = sio.AppendAck(nil, nsp, id, len(atts), args...)
	default:
		var data []byte
		if len(args) > 0 {
			data = args[0]
		}
		text = sio.AppendPacket(nil, sio.Packet{Type: t, Namespace: nsp, ID: sio.NoID, Data: data})
	}
	out := make([]*eio.Outgoing, 0, 1+len(atts))
	out = append(out, eio.NewOutgoing(text, false))
	for _, a := range atts {
		out = append(out, eio.NewOutgoing(a, true))
	}
	return out
}
