package hub

import (
	"encoding/json"
	"errors"
)

// Errors returned by the hub API.
var (
	// ErrDisconnected: the socket is not connected (any more).
	ErrDisconnected = errors.New("hub: socket disconnected")
	// ErrAckTimeout: no acknowledgement arrived in time.
	ErrAckTimeout = errors.New("hub: ack timeout")
	// ErrAlreadyAcked: Message.Ack was called twice.
	ErrAlreadyAcked = errors.New("hub: message already acknowledged")
	// ErrNoAck: the client did not ask for an acknowledgement.
	ErrNoAck = errors.New("hub: message has no ack id")
	// ErrReservedEvent: the event name is reserved by Socket.IO.
	ErrReservedEvent = errors.New("hub: reserved event name")
	// ErrSlowConsumer: the client's queue is full; it is being disconnected.
	ErrSlowConsumer = errors.New("hub: slow consumer")
	// ErrMailboxFull: the client sent more than MaxMailbox unhandled packets.
	ErrMailboxFull = errors.New("hub: mailbox full")
	// ErrServerClosed: the server is shut down.
	ErrServerClosed = errors.New("hub: server closed")
	// ErrTooManyRooms: a Join would put the socket in more than
	// Options.MaxRoomsPerSocket rooms; it joined none of them.
	ErrTooManyRooms = errors.New("hub: too many rooms for one socket")
	// ErrTooManyPendingAcks: the socket already has Options.MaxPendingAcks
	// acknowledgements awaited.
	ErrTooManyPendingAcks = errors.New("hub: too many pending acknowledgements for one socket")
)

// ConnectError refuses a namespace connection: the client receives
// CONNECT_ERROR {"message": Message, "data": Data} and its connect_error
// event. Any other error returned by a middleware or OnConnect is sent as
// {"message": err.Error()}.
type ConnectError struct {
	Message string
	Data    any
}

func (e *ConnectError) Error() string { return e.Message }

func connectErrorPayload(err error) []byte {
	var ce *ConnectError
	if errors.As(err, &ce) {
		b, mErr := json.Marshal(struct {
			Message string `json:"message"`
			Data    any    `json:"data,omitempty"`
		}{ce.Message, ce.Data})
		if mErr == nil {
			return b
		}
	}
	b, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{err.Error()})
	return b
}

// Err wraps an error as an acknowledgement argument {"error": "..."}, for
// handlers that answer failures through the ack:
//
//	m.Ack(hub.Err(err))
func Err(err error) any {
	return struct {
		Error string `json:"error"`
	}{err.Error()}
}
