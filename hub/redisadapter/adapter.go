package redisadapter

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/siogate/siogate/hub"
)

// Adapter is the hub.Adapter of one namespace on a Bus. Room membership
// lives in an in-memory adapter; broadcasts go to the local sockets at
// once and to the other nodes through Redis, and bulk operations
// (FetchSockets, SocketsJoin, SocketsLeave, DisconnectSockets) and
// server-side emits travel as requests. It also answers the requests of
// the other nodes, siogate or Node. Its methods are safe for concurrent
// use; none of them blocks on Redis except the ones that wait for other
// nodes' answers (FetchSockets, ServerCount, ServerSideEmitWithAck).
type Adapter struct {
	bus *Bus
	nsp *hub.Namespace
	mem *hub.MemoryAdapter

	prefix         string // <key>#<nsp>#: broadcast channels start with it
	pattern        string // PSUBSCRIBE pattern of the broadcast channels
	reqChannel     string // <key>-request#<nsp>#
	respChannel    string // <key>-response#<nsp>#
	ownRespChannel string // <key>-response#<nsp>#<uid>#

	mu      sync.Mutex
	pending map[string]*request // this node's requests waiting for answers
	closed  bool
}

var (
	_ hub.Adapter           = (*Adapter)(nil)
	_ hub.ServerCounter     = (*Adapter)(nil)
	_ hub.ServerSideEmitter = (*Adapter)(nil)
)

func newAdapter(b *Bus, nsp *hub.Namespace) *Adapter {
	key, name := b.opts.Key, nsp.Name()
	a := &Adapter{
		bus:         b,
		nsp:         nsp,
		mem:         hub.NewMemoryAdapter(nsp),
		prefix:      key + "#" + name + "#",
		reqChannel:  key + "-request#" + name + "#",
		respChannel: key + "-response#" + name + "#",
		pending:     make(map[string]*request),
	}
	a.pattern = globEscape(a.prefix) + "*"
	a.ownRespChannel = a.respChannel + b.uid + "#"
	return a
}

// globEscape escapes the characters PSUBSCRIBE patterns treat specially.
func globEscape(s string) string {
	if !strings.ContainsAny(s, `*?[]\`) {
		return s
	}
	var sb strings.Builder
	for _, c := range []byte(s) {
		switch c {
		case '*', '?', '[', ']', '\\':
			sb.WriteByte('\\')
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// Namespace returns the adapter's namespace.
func (a *Adapter) Namespace() *hub.Namespace { return a.nsp }

// WaitReady waits until the namespace's subscriptions are in place, so
// that the other nodes count this one and reach it. It fails at once with
// ErrUnavailable while Redis is down.
func (a *Adapter) WaitReady(ctx context.Context) error { return a.bus.await(ctx, a) }

// AddAll implements hub.Adapter.
func (a *Adapter) AddAll(s *hub.Socket, rooms []string) { a.mem.AddAll(s, rooms) }

// Del implements hub.Adapter.
func (a *Adapter) Del(s *hub.Socket, room string) { a.mem.Del(s, room) }

// DelAll implements hub.Adapter.
func (a *Adapter) DelAll(s *hub.Socket) { a.mem.DelAll(s) }

// SocketRooms implements hub.Adapter.
func (a *Adapter) SocketRooms(s *hub.Socket) []string { return a.mem.SocketRooms(s) }

// Rooms implements hub.Adapter: the rooms with a member on this node.
func (a *Adapter) Rooms() []string { return a.mem.Rooms() }

// Broadcast implements hub.Adapter: local sockets get p at once; unless
// opts.Local, p is published for the other nodes (on the room's channel
// when exactly one room is targeted).
func (a *Adapter) Broadcast(p *hub.Packet, opts hub.BroadcastOptions) {
	a.mem.Broadcast(p, opts)
	if opts.Local {
		return
	}
	channel, msg, err := encodeBroadcast(a.prefix, a.bus.uid, p, opts)
	if err != nil {
		a.encodeFailed("broadcast", p.Event, err)
		return
	}
	_ = a.bus.publish(outgoing{channel: channel, payload: msg}) // counted when it fails
}

// BroadcastWithAck implements hub.Adapter: the other nodes get a BROADCAST
// request and answer with their client count and their clients'
// acknowledgements (the first argument of each), until opts.Timeout.
func (a *Adapter) BroadcastWithAck(p *hub.Packet, opts hub.BroadcastOptions, onCount func(int), onAck func(*hub.Message)) {
	if !opts.Local {
		a.broadcastRemote(p, opts, onCount, onAck)
	}
	a.mem.BroadcastWithAck(p, opts, onCount, onAck)
}

func (a *Adapter) broadcastRemote(p *hub.Packet, opts hub.BroadcastOptions, onCount func(int), onAck func(*hub.Message)) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = a.nsp.Server().Options().AckTimeout
		opts.Timeout = timeout
	}
	id, r := a.begin(typeBroadcast, 0, func(id string, r *request) {
		r.onCount, r.onAck = onCount, onAck
		// Like Node, forget the request once the sender stopped waiting.
		r.timer = time.AfterFunc(timeout+time.Second, func() { a.forget(id) })
	})
	if r == nil {
		return
	}
	msg, err := encodeBroadcastRequest(broadcastRequest{UID: a.bus.uid, RequestID: id, Packet: p, Opts: opts})
	if err != nil {
		a.forget(id)
		a.encodeFailed("broadcast with ack", p.Event, err)
		return
	}
	a.bus.stats.requestsSent.Add(1)
	_ = a.bus.publish(outgoing{channel: a.reqChannel, payload: msg}) // counted when it fails
}

// FetchSockets implements hub.Adapter: the local sockets, then those of
// every other node. When some node does not answer in time it returns
// what it has with an error wrapping ErrRequestTimeout; while Redis is
// down, the local sockets with an error wrapping ErrUnavailable.
func (a *Adapter) FetchSockets(ctx context.Context, opts hub.BroadcastOptions) ([]hub.SocketInfo, error) {
	local, _ := a.mem.FetchSockets(ctx, opts)
	if opts.Local {
		return local, nil
	}
	ctx, cancel := context.WithTimeout(ctx, a.bus.opts.RequestTimeout)
	defer cancel()
	n, err := a.ServerCount(ctx)
	if err != nil {
		a.bus.stats.requestErr.Add(1)
		return local, a.requestError("fetchSockets", err)
	}
	if n <= 1 {
		return local, nil
	}
	id, r := a.begin(typeRemoteFetch, n-1, nil)
	if r == nil {
		return local, a.requestError("fetchSockets", ErrClosed)
	}
	a.sendRequest(id, fetchRequest{UID: a.bus.uid, RequestID: id, Type: typeRemoteFetch, Opts: wireSelection(opts)})
	err = a.wait(ctx, id, r, "fetchSockets")
	a.mu.Lock()
	out := append(local, r.sockets...)
	a.mu.Unlock()
	return out, err
}

// AddSockets implements hub.Adapter: the selected sockets of every node
// join rooms (REMOTE_JOIN, no answer).
func (a *Adapter) AddSockets(opts hub.BroadcastOptions, rooms []string) {
	a.mem.AddSockets(opts, rooms)
	if !opts.Local {
		a.sendCommand(roomsRequest{UID: a.bus.uid, Type: typeRemoteJoin, Opts: wireSelection(opts), Rooms: nonNil(rooms)})
	}
}

// DelSockets implements hub.Adapter: the selected sockets of every node
// leave rooms (REMOTE_LEAVE, no answer).
func (a *Adapter) DelSockets(opts hub.BroadcastOptions, rooms []string) {
	a.mem.DelSockets(opts, rooms)
	if !opts.Local {
		a.sendCommand(roomsRequest{UID: a.bus.uid, Type: typeRemoteLeave, Opts: wireSelection(opts), Rooms: nonNil(rooms)})
	}
}

// DisconnectSockets implements hub.Adapter (REMOTE_DISCONNECT, no answer).
func (a *Adapter) DisconnectSockets(opts hub.BroadcastOptions, close bool) {
	if !opts.Local {
		a.sendCommand(disconnectRequest{UID: a.bus.uid, Type: typeRemoteDisconnect, Opts: wireSelection(opts), Close: close})
	}
	a.mem.DisconnectSockets(opts, close)
}

// ServerCount implements hub.ServerCounter: the number of nodes
// subscribed to the namespace's request channel (PUBSUB NUMSUB), this one
// included. It waits for this node's own subscriptions first and fails
// fast while Redis is down.
func (a *Adapter) ServerCount(ctx context.Context) (int, error) {
	if err := a.bus.await(ctx, a); err != nil {
		return 1, err
	}
	n, err := a.bus.numSub(ctx, a.reqChannel)
	if err != nil {
		return 1, unavailable(err)
	}
	return max(n, 1), nil
}

// ServerSideEmit implements hub.ServerSideEmitter.
func (a *Adapter) ServerSideEmit(event string, args [][]byte) error {
	data, err := eventData(event, args)
	if err != nil {
		return err
	}
	a.bus.stats.requestsSent.Add(1)
	err = a.bus.publish(outgoing{channel: a.reqChannel, payload: mustJSON(serverSideEmitRequest{UID: a.bus.uid, Type: typeServerSideEmit, Data: data})})
	if err != nil {
		return a.requestError("serverSideEmit", err)
	}
	return nil
}

// ServerSideEmitWithAck implements hub.ServerSideEmitter: it waits for one
// answer per other node, until ctx is done or Options.RequestTimeout.
func (a *Adapter) ServerSideEmitWithAck(ctx context.Context, event string, args [][]byte) ([]hub.Raw, error) {
	data, err := eventData(event, args)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, a.bus.opts.RequestTimeout)
	defer cancel()
	n, err := a.ServerCount(ctx)
	if err != nil {
		a.bus.stats.requestErr.Add(1)
		return nil, a.requestError("serverSideEmitWithAck", err)
	}
	if n <= 1 {
		return nil, nil
	}
	id, r := a.begin(typeServerSideEmit, n-1, nil)
	if r == nil {
		return nil, a.requestError("serverSideEmitWithAck", ErrClosed)
	}
	rid := id
	a.sendRequest(id, serverSideEmitRequest{UID: a.bus.uid, RequestID: &rid, Type: typeServerSideEmit, Data: data})
	err = a.wait(ctx, id, r, "serverSideEmitWithAck")
	a.mu.Lock()
	out := r.replies
	a.mu.Unlock()
	return out, err
}

// Close implements hub.Adapter: it unsubscribes the namespace's channels
// and fails its pending requests with ErrClosed.
func (a *Adapter) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	a.mu.Unlock()
	a.bus.unregister(a)
	a.failPending(ErrClosed)
	return nil
}

func (a *Adapter) isClosed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}

func (a *Adapter) encodeFailed(what, event string, err error) {
	a.bus.stats.publishFailed.Add(1)
	a.bus.log.Error("redisadapter: cannot encode "+what, "nsp", a.nsp.Name(), "event", event, "err", err)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
