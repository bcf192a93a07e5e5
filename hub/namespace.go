package hub

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/siogate/siogate/internal/shrink"
	"github.com/siogate/siogate/poller"
)

// EventHandler handles one event. It runs on the worker pool, after every
// earlier packet of the same client, and may block (only that client
// waits). A panic is recovered and logged; the socket stays connected.
type EventHandler func(s *Socket, m *Message)

// ConnectHandler decides a namespace connection. auth is the CONNECT
// payload ({} when absent). A non-nil error refuses the connection with a
// CONNECT_ERROR (use *ConnectError to add data).
type ConnectHandler func(s *Socket, auth Raw) error

// DisconnectHandler is told that a socket left its namespace and why.
type DisconnectHandler func(s *Socket, reason Reason)

// Namespace is a Socket.IO namespace: its handlers, middleware, sockets and
// rooms (through its Adapter). Register handlers before clients connect, or
// at any time: registration is safe for concurrent use.
type Namespace struct {
	srv     *Server
	name    string
	adapter Adapter
	ids     atomic.Int64

	mu           sync.RWMutex
	sockets      map[string]*Socket
	socketsPeak  shrink.Peak // guarded by mu
	handlers     map[string]EventHandler
	anyHandler   EventHandler
	middlewares  []ConnectHandler
	onConnect    ConnectHandler
	onDisconnect DisconnectHandler

	serverHandlers map[string]ServerSideHandler
	serverMailbox  poller.Serial // runs server-side handlers in order
}

func newNamespace(srv *Server, name string) *Namespace {
	n := &Namespace{srv: srv, name: name, sockets: make(map[string]*Socket), handlers: make(map[string]EventHandler)}
	n.serverMailbox.Init(srv.exec, srv.opts.MaxMailbox)
	n.adapter = srv.opts.NewAdapter(n)
	return n
}

// Name returns the namespace name, e.g. "/" or "/chat".
func (n *Namespace) Name() string { return n.name }

// Server returns the namespace's server.
func (n *Namespace) Server() *Server { return n.srv }

// Adapter returns the namespace's adapter.
func (n *Namespace) Adapter() Adapter { return n.adapter }

// On registers the handler of event, replacing any earlier one.
func (n *Namespace) On(event string, h EventHandler) {
	n.mu.Lock()
	n.handlers[event] = h
	n.mu.Unlock()
}

// OnAny registers a catch-all handler, called for every event before the
// event's own handler.
func (n *Namespace) OnAny(h EventHandler) {
	n.mu.Lock()
	n.anyHandler = h
	n.mu.Unlock()
}

// Use appends a middleware: middlewares run in order before OnConnect, and
// the first error refuses the connection.
func (n *Namespace) Use(mw ConnectHandler) {
	n.mu.Lock()
	n.middlewares = append(n.middlewares, mw)
	n.mu.Unlock()
}

// OnConnect sets the connect handler (after the middlewares).
func (n *Namespace) OnConnect(h ConnectHandler) {
	n.mu.Lock()
	n.onConnect = h
	n.mu.Unlock()
}

// OnDisconnect sets the disconnect handler.
func (n *Namespace) OnDisconnect(h DisconnectHandler) {
	n.mu.Lock()
	n.onDisconnect = h
	n.mu.Unlock()
}

// Socket returns the local socket with id, or nil.
func (n *Namespace) Socket(id string) *Socket { return n.localSocket(id) }

func (n *Namespace) localSocket(id string) *Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.sockets[id]
}

// Sockets returns a snapshot of the local sockets.
func (n *Namespace) Sockets() []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]*Socket, 0, len(n.sockets))
	for _, s := range n.sockets {
		out = append(out, s)
	}
	return out
}

// Len reports the number of local sockets.
func (n *Namespace) Len() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return len(n.sockets)
}

func (n *Namespace) nextID() int64 { return n.ids.Add(1) - 1 }

// NextAckID reserves an ack id, unique among the namespace's pending
// acknowledgements, for a packet that an adapter sends with
// BroadcastWithAck on behalf of another server.
func (n *Namespace) NextAckID() int64 { return n.nextID() }

func (n *Namespace) add(s *Socket) {
	n.mu.Lock()
	n.sockets[s.id] = s
	n.socketsPeak.Grew(len(n.sockets))
	n.mu.Unlock()
}

func (n *Namespace) remove(s *Socket) {
	n.mu.Lock()
	if n.sockets[s.id] == s {
		shrink.Delete(&n.sockets, &n.socketsPeak, s.id)
	}
	n.mu.Unlock()
}

// authorize runs the middlewares and the connect handler.
func (n *Namespace) authorize(s *Socket, auth Raw) (err error) {
	n.mu.RLock()
	var chain []ConnectHandler
	if !s.skipsMiddlewares() { // a recovered socket (recovery_connect.go)
		chain = append(chain, n.middlewares...)
	}
	if n.onConnect != nil {
		chain = append(chain, n.onConnect)
	}
	n.mu.RUnlock()
	defer func() {
		if v := recover(); v != nil {
			n.srv.opts.Logger.Error("hub: connect handler panicked", "nsp", n.name, "err", v)
			err = fmt.Errorf("internal error")
		}
	}()
	for _, h := range chain {
		if err := h(s, auth); err != nil {
			return err
		}
	}
	return nil
}

// dispatch runs the handlers of one event.
func (n *Namespace) dispatch(s *Socket, m *Message) {
	n.mu.RLock()
	any, h := n.anyHandler, n.handlers[m.Event]
	n.mu.RUnlock()
	n.srv.stats.eventsIn.Add(1)
	if any != nil {
		n.call(any, s, m)
	}
	if h != nil {
		n.call(h, s, m)
	}
}

func (n *Namespace) call(h EventHandler, s *Socket, m *Message) {
	defer func() {
		if v := recover(); v != nil {
			n.srv.stats.handlerPanics.Add(1)
			n.srv.opts.Logger.Error("hub: handler panicked", "nsp", n.name, "event", m.Event, "sid", s.id, "err", v)
		}
	}()
	h(s, m)
}

func (n *Namespace) disconnected(s *Socket, reason Reason) {
	n.mu.RLock()
	h := n.onDisconnect
	n.mu.RUnlock()
	if h == nil {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			n.srv.opts.Logger.Error("hub: disconnect handler panicked", "nsp", n.name, "sid", s.id, "err", v)
		}
	}()
	h(s, reason)
}

// Broadcast operators on the whole namespace.

func (n *Namespace) op() BroadcastOperator { return BroadcastOperator{nsp: n} }

// To returns a broadcast to rooms (socket ids count as rooms).
func (n *Namespace) To(rooms ...string) BroadcastOperator { return n.op().To(rooms...) }

// In is To.
func (n *Namespace) In(rooms ...string) BroadcastOperator { return n.op().To(rooms...) }

// Except returns a broadcast to the namespace that skips rooms or ids.
func (n *Namespace) Except(rooms ...string) BroadcastOperator { return n.op().Except(rooms...) }

// Volatile returns a broadcast whose packets may be dropped.
func (n *Namespace) Volatile() BroadcastOperator { return n.op().Volatile() }

// Local returns a broadcast limited to this node.
func (n *Namespace) Local() BroadcastOperator { return n.op().Local() }

// Emit sends an event to every socket of the namespace.
func (n *Namespace) Emit(event string, args ...any) error { return n.op().Emit(event, args...) }

// Send emits "message" to every socket of the namespace.
func (n *Namespace) Send(args ...any) error { return n.op().Emit("message", args...) }
