package eio

import (
	"errors"
	"net/http"
	"strconv"
)

// Server errors.
var (
	// ErrClosed is returned by sends on a closed session.
	ErrClosed = errors.New("eio: session closed")
	// ErrSlowConsumer: the session's queue passed MaxQueuedBytes.
	ErrSlowConsumer = errors.New("eio: slow consumer")
	// ErrDropped: a volatile message was dropped.
	ErrDropped = errors.New("eio: volatile message dropped")
	// ErrInvalidHeartbeat: the client sent a ping (only the server pings in v4).
	ErrInvalidHeartbeat = errors.New("eio: invalid heartbeat direction")
	// ErrUnexpectedPacket: a packet type the client may not send here.
	ErrUnexpectedPacket = errors.New("eio: unexpected packet")
)

// HandshakeError codes, as the Engine.IO reference server sends them.
const (
	CodeUnknownTransport   = 0
	CodeUnknownSID         = 1
	CodeBadHandshakeMethod = 2
	CodeBadRequest         = 3
	CodeForbidden          = 4
	CodeUnsupportedVersion = 5
)

var codeMessages = [...]string{
	"Transport unknown",
	"Session ID unknown",
	"Bad handshake method",
	"Bad request",
	"Forbidden",
	"Unsupported protocol version",
}

// HandshakeError is an HTTP-level refusal: status 400 (403 for Forbidden)
// with the JSON body {"code":N,"message":"..."}.
type HandshakeError struct{ Code int }

func (e *HandshakeError) Error() string { return "eio: " + codeMessages[e.Code] }

// Status is the HTTP status sent with the error.
func (e *HandshakeError) Status() int {
	if e.Code == CodeForbidden {
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

// Body is the JSON body sent with the error.
func (e *HandshakeError) Body() []byte {
	b := append([]byte(`{"code":`), strconv.Itoa(e.Code)...)
	b = append(b, `,"message":"`...)
	b = append(b, codeMessages[e.Code]...)
	return append(b, `"}`...)
}

// ErrPayloadTooLarge: a polling POST body over MaxPayload (answered 413).
var ErrPayloadTooLarge = errors.New("eio: payload too large")
