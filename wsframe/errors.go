package wsframe

import (
	"strconv"

	"github.com/gobwas/ws"
)

// CloseError is a protocol violation by the peer. The server answers it with
// a close frame carrying Code (see CloseFrameFor) and then closes the
// connection.
//
// Every error returned by Reader.Next and ParseHeader is a *CloseError, most of
// them one of the sentinels below, so the error path does not allocate either.
// Compare with errors.Is, read the code with errors.As. The sentinels are
// shared: never modify them.
type CloseError struct {
	Code   ws.StatusCode
	Reason string
}

// Error returns "wsframe: <reason> (close <code>)".
func (e *CloseError) Error() string {
	return "wsframe: " + e.Reason + " (close " + strconv.Itoa(int(e.Code)) + ")"
}

func protocolError(reason string) *CloseError {
	return &CloseError{Code: ws.StatusProtocolError, Reason: reason}
}

// Violations found in a frame header (close 1002).
var (
	// ErrLengthOverflow: a 64-bit payload length with the most significant
	// bit set. The only error ParseHeader returns.
	ErrLengthOverflow = protocolError("64-bit payload length has its most significant bit set")
	// ErrUnmasked: a client frame without a masking key.
	ErrUnmasked = protocolError("client frame is not masked")
	// ErrReservedBits: RSV1-3 set although no extension was negotiated.
	ErrReservedBits = protocolError("reserved bits set with no extension negotiated")
	// ErrReservedOpCode: opcode 0x3-0x7 or 0xB-0xF.
	ErrReservedOpCode = protocolError("reserved opcode")
	// ErrControlTooLong: a control frame with more than 125 payload bytes.
	ErrControlTooLong = protocolError("control frame payload over 125 bytes")
	// ErrControlFragmented: a control frame with FIN clear.
	ErrControlFragmented = protocolError("fragmented control frame")
	// ErrUnexpectedContinuation: a continuation frame with no message started.
	ErrUnexpectedContinuation = protocolError("continuation frame without a started message")
	// ErrExpectedContinuation: a new text or binary frame while a fragmented
	// message is still open.
	ErrExpectedContinuation = protocolError("new data frame inside a fragmented message")
)

// Violations found in a close frame body.
var (
	// ErrCloseBodyTooShort: a close payload of exactly one byte (close 1002).
	ErrCloseBodyTooShort = protocolError("close frame payload of 1 byte")
	// ErrCloseCode: a close code a peer may not send (close 1002).
	ErrCloseCode = protocolError("invalid close code")
	// ErrCloseReasonUTF8: a close reason that is not valid UTF-8 (close 1007).
	ErrCloseReasonUTF8 = &CloseError{Code: ws.StatusInvalidFramePayloadData, Reason: "close reason is not valid UTF-8"}
)

// Violations found in a message.
var (
	// ErrInvalidUTF8: a text message that is not valid UTF-8 (close 1007).
	ErrInvalidUTF8 = &CloseError{Code: ws.StatusInvalidFramePayloadData, Reason: "text message is not valid UTF-8"}
	// ErrMessageTooBig: a data message over Reader.MaxMessageSize, or a frame
	// whose declared length does not fit in an int (close 1009).
	ErrMessageTooBig = &CloseError{Code: ws.StatusMessageTooBig, Reason: "message too big"}
)

// headerError maps an error of ws.CheckHeader to the matching sentinel.
func headerError(err error) *CloseError {
	switch err {
	case ws.ErrProtocolMaskRequired:
		return ErrUnmasked
	case ws.ErrProtocolNonZeroRsv:
		return ErrReservedBits
	case ws.ErrProtocolOpCodeReserved:
		return ErrReservedOpCode
	case ws.ErrProtocolControlPayloadOverflow:
		return ErrControlTooLong
	case ws.ErrProtocolControlNotFinal:
		return ErrControlFragmented
	case ws.ErrProtocolContinuationUnexpected:
		return ErrUnexpectedContinuation
	case ws.ErrProtocolContinuationExpected:
		return ErrExpectedContinuation
	}
	// A check added to gobwas/ws after v1.5.0: still a protocol error.
	return protocolError(err.Error())
}
