package sio

import (
	"errors"
	"strconv"
)

// DecodeError reports a malformed packet or JSON payload. Offset is the index
// of the offending byte in the input given to the decoding function; it
// equals the input length when the input ends too early.
//
// The reference server closes the whole connection on any such error.
type DecodeError struct {
	Offset int
	Reason string
}

// Error returns "sio: <reason> at offset N".
func (e *DecodeError) Error() string {
	return "sio: " + e.Reason + " at offset " + strconv.Itoa(e.Offset)
}

func errAt(off int, reason string) *DecodeError {
	return &DecodeError{Offset: off, Reason: reason}
}

// Errors of the Assembler. The reference server closes the connection on
// either.
var (
	// ErrUnexpectedBinary: a binary message arrived while no BINARY_EVENT or
	// BINARY_ACK was waiting for attachments.
	ErrUnexpectedBinary = errors.New("sio: binary message without a pending binary packet")
	// ErrAttachmentsPending: a text message arrived while a binary packet was
	// still waiting for attachments.
	ErrAttachmentsPending = errors.New("sio: text message while binary attachments are pending")
)

// Reasons carried by DecodeError. They are fixed strings so callers and tests
// can compare them; Offset says where.
const (
	// Header.
	reasonEmptyPacket     = "empty packet"
	reasonBadType         = "invalid packet type"
	reasonNoAttachCount   = "missing attachment count"
	reasonAttachDash      = "attachment count not followed by '-'"
	reasonAttachRange     = "attachment count out of range"
	reasonTooManyAttach   = "too many attachments"
	reasonBadNamespace    = "invalid character in namespace"
	reasonIDNotAllowed    = "ack id on a packet type that has none"
	reasonIDRange         = "ack id out of range"
	reasonMissingID       = "ack without an ack id"
	reasonUnexpectedData  = "unexpected payload"
	reasonMissingData     = "missing payload"
	reasonConnectData     = "CONNECT payload is not an object"
	reasonErrorData       = "CONNECT_ERROR payload is not an object or a string"
	reasonNotArray        = "payload is not an array"
	reasonEmptyEvent      = "event array is empty"
	reasonEventName       = "event name is not a string"
	reasonReservedEvent   = "reserved event name"
	reasonPlaceholderNum  = "invalid placeholder num"
	reasonPlaceholderOver = "placeholder num out of range"

	// JSON.
	reasonJSONEnd       = "unexpected end of JSON"
	reasonJSONChar      = "invalid character in JSON"
	reasonJSONTrailing  = "data after the JSON value"
	reasonJSONDepth     = "JSON nested too deeply"
	reasonJSONNumber    = "invalid number"
	reasonJSONControl   = "control character in string"
	reasonJSONEscape    = "invalid escape in string"
	reasonJSONUTF8      = "invalid UTF-8 in string"
	reasonJSONString    = "unterminated string"
	reasonJSONKey       = "object key is not a string"
	reasonJSONColon     = "missing ':' after object key"
	reasonJSONObjectEnd = "missing ',' or '}' in object"
	reasonJSONArrayEnd  = "missing ',' or ']' in array"
)
