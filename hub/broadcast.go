package hub

import (
	"context"
	"slices"
	"sync"
	"time"
)

// BroadcastOperator selects sockets of a namespace and sends to them or
// acts on them. It is an immutable value: every method returns a new one,
// so an operator can be kept and reused.
//
//	srv.To("room").Except(s.ID()).Emit("said", msg)
type BroadcastOperator struct {
	nsp     *Namespace
	opts    BroadcastOptions
	timeout time.Duration
}

func (b BroadcastOperator) clone() BroadcastOperator {
	b.opts.Rooms = slices.Clone(b.opts.Rooms)
	b.opts.Except = slices.Clone(b.opts.Except)
	return b
}

// To adds rooms to the selection (their union is reached).
func (b BroadcastOperator) To(rooms ...string) BroadcastOperator {
	b = b.clone()
	b.opts.Rooms = append(b.opts.Rooms, rooms...)
	return b
}

// In is To.
func (b BroadcastOperator) In(rooms ...string) BroadcastOperator { return b.To(rooms...) }

// Except skips the sockets in rooms (or with these ids).
func (b BroadcastOperator) Except(rooms ...string) BroadcastOperator {
	b = b.clone()
	b.opts.Except = append(b.opts.Except, rooms...)
	return b
}

// Volatile lets packets be dropped for clients that cannot take them now:
// clients that are behind, as eio.Session.SendVolatile defines it.
func (b BroadcastOperator) Volatile() BroadcastOperator {
	b = b.clone()
	b.opts.Volatile = true
	return b
}

// Local limits the broadcast to this node.
func (b BroadcastOperator) Local() BroadcastOperator {
	b = b.clone()
	b.opts.Local = true
	return b
}

// Timeout sets how long EmitWithAck waits for acknowledgements.
func (b BroadcastOperator) Timeout(d time.Duration) BroadcastOperator {
	b = b.clone()
	b.timeout = d
	return b
}

// Options returns the selection.
func (b BroadcastOperator) Options() BroadcastOptions { return b.clone().opts }

// Emit sends an event to the selected sockets: it is encoded once and the
// same bytes are queued for every socket.
func (b BroadcastOperator) Emit(event string, args ...any) error {
	if isReserved(event) {
		return ErrReservedEvent
	}
	p, err := NewEventPacket(b.nsp.name, event, args...)
	if err != nil {
		return err
	}
	b.nsp.stampPacket(p, b.opts) // connection state recovery (recovery.go)
	b.nsp.srv.stats.broadcasts.Add(1)
	b.nsp.adapter.Broadcast(p, b.opts)
	return nil
}

// Send emits "message".
func (b BroadcastOperator) Send(args ...any) error { return b.Emit("message", args...) }

// EmitWithAck emits an event expecting an acknowledgement from every
// selected socket and waits for them until the Timeout (or ctx) ends. It
// returns the acknowledgements received; if some are missing it also
// returns ErrAckTimeout. With a multi-node adapter (ServerCounter) it also
// waits until every server has said how many sockets it reached.
func (b BroadcastOperator) EmitWithAck(ctx context.Context, event string, args ...any) ([]*Message, error) {
	if isReserved(event) {
		return nil, ErrReservedEvent
	}
	p, err := NewEventPacket(b.nsp.name, event, args...)
	if err != nil {
		return nil, err
	}
	p.ID = b.nsp.nextID()
	ctx, cancel := ackContext(ctx, b.timeout, b.nsp.srv.opts.AckTimeout)
	defer cancel()
	opts := b.clone().opts
	if d, ok := ctx.Deadline(); ok {
		opts.Timeout = time.Until(d)
	}
	servers := 1
	if sc, ok := b.nsp.adapter.(ServerCounter); ok && !opts.Local {
		// On error (the bus is down) only this server will answer.
		if n, err := sc.ServerCount(ctx); err == nil && n > 1 {
			servers = n
		}
	}

	var (
		mu      sync.Mutex
		replies []*Message
		counts  int // onCount calls, one per server
		reached int // sockets the packet was queued for
		gone    int // of those, sockets that left without answering
		done    = make(chan struct{})
		closed  bool
	)
	check := func() {
		if !closed && counts >= servers && len(replies)+gone >= reached {
			closed = true
			close(done)
		}
	}
	onAck := func(m *Message) {
		mu.Lock()
		defer mu.Unlock()
		if m != nil {
			replies = append(replies, m)
		} else {
			gone++ // that socket disconnected
		}
		check()
	}
	onCount := func(n int) {
		mu.Lock()
		defer mu.Unlock()
		counts++
		reached += n
		check()
	}
	b.nsp.srv.stats.broadcasts.Add(1)
	b.nsp.adapter.BroadcastWithAck(p, opts, onCount, onAck)
	select {
	case <-done:
	case <-ctx.Done():
	}
	mu.Lock()
	defer mu.Unlock()
	out := slices.Clone(replies)
	if !closed {
		return out, ErrAckTimeout
	}
	return out, nil
}

// FetchSockets describes the selected sockets (across nodes with a
// multi-node adapter).
func (b BroadcastOperator) FetchSockets(ctx context.Context) ([]SocketInfo, error) {
	return b.nsp.adapter.FetchSockets(ctx, b.opts)
}

// SocketsJoin makes the selected sockets join rooms.
func (b BroadcastOperator) SocketsJoin(rooms ...string) { b.nsp.adapter.AddSockets(b.opts, rooms) }

// SocketsLeave makes the selected sockets leave rooms.
func (b BroadcastOperator) SocketsLeave(rooms ...string) { b.nsp.adapter.DelSockets(b.opts, rooms) }

// DisconnectSockets disconnects the selected sockets (close: their whole
// connections).
func (b BroadcastOperator) DisconnectSockets(close bool) {
	b.nsp.adapter.DisconnectSockets(b.opts, close)
}

// CloseRoom makes every socket leave rooms (python-socketio's close_room).
func (n *Namespace) CloseRoom(rooms ...string) { n.To(rooms...).SocketsLeave(rooms...) }
