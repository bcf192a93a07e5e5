package hub

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
)

// Message is one event received from a client (or the arguments of an
// acknowledgement the client sent back). Its arguments stay raw JSON until
// a handler asks to decode them, so re-emitting them keeps the client's
// bytes. A Message is owned by the handler it is given to.
type Message struct {
	// Event is the event name ("" for an acknowledgement).
	Event  string
	socket *Socket
	args   [][]byte
	atts   [][]byte
	id     int64 // ack id, -1 when none
	acked  atomic.Bool
	// reply answers a message that did not come from a local client (see
	// NewRemoteMessage); nil otherwise.
	reply func(raw, atts [][]byte) error
}

// NewRemoteMessage builds a Message that did not come from a local client:
// an acknowledgement relayed by a multi-node adapter from a socket on
// another server, or an event sent by another server (ServerSideEmit).
// args are raw JSON values whose binary placeholders number atts from 0.
// Socket returns nil. reply, when not nil, makes the message answerable:
// Ack and AckRaw call it once with their arguments.
func NewRemoteMessage(event string, args, atts [][]byte, reply func(raw, atts [][]byte) error) *Message {
	return &Message{Event: event, args: args, atts: atts, id: -1, reply: reply}
}

// Socket returns the socket the message came from (nil for a message from
// another server, see NewRemoteMessage).
func (m *Message) Socket() *Socket { return m.socket }

// Len reports the number of arguments.
func (m *Message) Len() int { return len(m.args) }

// Arg returns argument i as raw JSON (binary placeholders included).
func (m *Message) Arg(i int) Raw {
	if i < 0 || i >= len(m.args) {
		return nil
	}
	return Raw(m.args[i])
}

// Args returns every argument as raw JSON.
func (m *Message) Args() []Raw {
	out := make([]Raw, len(m.args))
	for i, a := range m.args {
		out[i] = Raw(a)
	}
	return out
}

// Attachments returns the binary attachments, in placeholder order.
func (m *Message) Attachments() [][]byte { return m.atts }

// Decode unmarshals the arguments, in order, into vs (fewer targets than
// arguments is fine; extra targets are an error). A binary attachment
// decodes into a []byte target.
func (m *Message) Decode(vs ...any) error {
	if len(vs) > len(m.args) {
		return fmt.Errorf("hub: %q has %d arguments, %d targets given", m.Event, len(m.args), len(vs))
	}
	for i, v := range vs {
		if v == nil {
			continue
		}
		if err := json.Unmarshal(withAttachments(m.args[i], m.atts), v); err != nil {
			return fmt.Errorf("hub: %q argument %d: %w", m.Event, i, err)
		}
	}
	return nil
}

// WantsAck reports whether the sender asked for an acknowledgement.
func (m *Message) WantsAck() bool { return m.id >= 0 || m.reply != nil }

// Ack answers the client's acknowledgement callback with args (encoded as
// for Emit). It may be called once, from any goroutine.
func (m *Message) Ack(args ...any) error {
	raw, atts, err := encodeArgs(args)
	if err != nil {
		return err
	}
	return m.AckRaw(raw, atts)
}

// AckRaw answers with raw JSON arguments and attachments (placeholders in
// raw must number atts from 0).
func (m *Message) AckRaw(raw [][]byte, atts [][]byte) error {
	if !m.WantsAck() {
		return ErrNoAck
	}
	if !m.acked.CompareAndSwap(false, true) {
		return ErrAlreadyAcked
	}
	if m.reply != nil {
		return m.reply(raw, atts)
	}
	return m.socket.sendAck(m.id, raw, atts)
}

// RawArgs returns the raw JSON arguments (for forwarding with EmitRaw).
func (m *Message) RawArgs() [][]byte { return m.args }
