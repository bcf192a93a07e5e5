package eio

import (
	"errors"
	"strconv"
)

// ErrTooManyPackets is returned by [DecodePayload] when a polling body holds
// more packets than the caller allows. The body is not decoded at all.
var ErrTooManyPackets = errors.New("eio: too many packets in payload")

// DecodeError reports a malformed packet or polling payload. Offset is the
// index of the offending byte in the input given to [DecodeText] or
// [DecodePayload]; it may equal the input length when the input ends too early
// (a trailing separator, for example).
type DecodeError struct {
	Offset int
	Reason string
}

// Error returns "eio: <reason> at offset N".
func (e *DecodeError) Error() string {
	return "eio: " + e.Reason + " at offset " + strconv.Itoa(e.Offset)
}

// Reasons carried by DecodeError. They are fixed strings so callers and tests
// can compare them; Offset says where.
const (
	reasonEmptyPacket  = "empty packet"
	reasonEmptyPayload = "empty payload"
	reasonBadType      = "invalid packet type"
	reasonBadBase64    = "invalid base64"
)
