package hub

import (
	"context"
	"encoding/json"
	"fmt"
)

// ServerSideHandler handles an event that another server of the cluster
// sent to this namespace with ServerSideEmit. m.Socket() is nil. When
// m.WantsAck() the sender waits for an answer: m.Ack replies, and only its
// first argument travels (as with Node's adapters). Handlers of one
// namespace run on the worker pool one at a time, in arrival order.
type ServerSideHandler func(m *Message)

// OnServerSideEmit registers the handler of a server-side event, replacing
// any earlier one.
func (n *Namespace) OnServerSideEmit(event string, h ServerSideHandler) {
	n.mu.Lock()
	if n.serverHandlers == nil {
		n.serverHandlers = make(map[string]ServerSideHandler)
	}
	n.serverHandlers[event] = h
	n.mu.Unlock()
}

// ServerSideEmit sends an event to this namespace on every other server of
// the cluster (Node's namespace.serverSideEmit). Arguments travel as JSON:
// a []byte becomes a base64 string. With an adapter that is not
// multi-node there is no other server and nothing is sent. It never
// blocks.
func (n *Namespace) ServerSideEmit(event string, args ...any) error {
	if isReserved(event) {
		return ErrReservedEvent
	}
	raw, err := encodeJSONArgs(args)
	if err != nil {
		return err
	}
	sse, ok := n.adapter.(ServerSideEmitter)
	if !ok {
		return nil
	}
	return sse.ServerSideEmit(event, raw)
}

// ServerSideEmitWithAck is ServerSideEmit asking every other server for an
// answer. It waits until ctx is done (or the adapter's own request timeout)
// and returns one reply per server that answered: the first argument its
// handler acknowledged with. When some servers did not answer it returns
// the replies received with an error. With an adapter that is not
// multi-node it returns no replies and no error.
func (n *Namespace) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]Raw, error) {
	if isReserved(event) {
		return nil, ErrReservedEvent
	}
	raw, err := encodeJSONArgs(args)
	if err != nil {
		return nil, err
	}
	sse, ok := n.adapter.(ServerSideEmitter)
	if !ok {
		return nil, nil
	}
	return sse.ServerSideEmitWithAck(ctx, event, raw)
}

// HandleServerSideEmit is called by multi-node adapters with an event that
// another server sent (build m with NewRemoteMessage). The event's handler
// runs on the worker pool; without a handler the event is dropped (an
// acknowledgement request then goes unanswered, as in Node). It never
// blocks.
func (n *Namespace) HandleServerSideEmit(m *Message) {
	n.mu.RLock()
	h := n.serverHandlers[m.Event]
	n.mu.RUnlock()
	if h == nil {
		return
	}
	err := n.serverMailbox.Submit(func() {
		defer func() {
			if v := recover(); v != nil {
				n.srv.stats.handlerPanics.Add(1)
				n.srv.opts.Logger.Error("hub: server-side handler panicked", "nsp", n.name, "event", m.Event, "err", v)
			}
		}()
		h(m)
	})
	if err != nil {
		n.srv.opts.Logger.Warn("hub: server-side event dropped", "nsp", n.name, "event", m.Event, "err", err)
	}
}

// ServerSideEmit sends an event to "/" on the other servers.
func (s *Server) ServerSideEmit(event string, args ...any) error {
	return s.Of("/").ServerSideEmit(event, args...)
}

// ServerSideEmitWithAck is ServerSideEmitWithAck on "/".
func (s *Server) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]Raw, error) {
	return s.Of("/").ServerSideEmitWithAck(ctx, event, args...)
}

// OnServerSideEmit registers a server-side event handler on "/".
func (s *Server) OnServerSideEmit(event string, h ServerSideHandler) {
	s.Of("/").OnServerSideEmit(event, h)
}

// encodeJSONArgs encodes arguments as JSON values (Raw and
// json.RawMessage verbatim).
func encodeJSONArgs(args []any) ([][]byte, error) {
	out := make([][]byte, 0, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case Raw:
			out = append(out, orNull(v))
		case json.RawMessage:
			out = append(out, orNull(v))
		case nil:
			out = append(out, []byte("null"))
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("hub: argument %d: %w", i, err)
			}
			out = append(out, b)
		}
	}
	return out, nil
}

func orNull(raw []byte) []byte {
	if len(raw) == 0 {
		return []byte("null")
	}
	return raw
}
