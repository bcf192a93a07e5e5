package wsframe

import (
	"slices"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// Close frames sent by the server for common codes, compiled once. They are
// shared by every connection: never modify them. Their capacity equals their
// length, so appending to one copies it instead of writing into it.
var (
	// FrameCloseEmpty is a close frame without a body: no code, no reason.
	FrameCloseEmpty           = compileClose(0)
	FrameCloseNormal          = compileClose(ws.StatusNormalClosure)           // 1000
	FrameCloseGoingAway       = compileClose(ws.StatusGoingAway)               // 1001, server shutdown
	FrameCloseProtocolError   = compileClose(ws.StatusProtocolError)           // 1002
	FrameCloseUnsupportedData = compileClose(ws.StatusUnsupportedData)         // 1003
	FrameCloseInvalidPayload  = compileClose(ws.StatusInvalidFramePayloadData) // 1007, bad UTF-8
	FrameClosePolicy          = compileClose(ws.StatusPolicyViolation)         // 1008
	FrameCloseTooBig          = compileClose(ws.StatusMessageTooBig)           // 1009
	FrameCloseInternal        = compileClose(ws.StatusInternalServerError)     // 1011
)

func compileClose(code ws.StatusCode) []byte {
	return slices.Clip(AppendClose(nil, code, ""))
}

// CloseFrameFor returns a close frame carrying code and no reason: one of the
// shared frames above when there is one (do not modify it), else a new slice.
// Codes that must not appear on the wire (0, 1005, 1006, 1015) give
// FrameCloseEmpty, so echoing a peer's ws.StatusNoStatusRcvd is correct.
func CloseFrameFor(code ws.StatusCode) []byte {
	switch code {
	case ws.StatusNormalClosure:
		return FrameCloseNormal
	case ws.StatusGoingAway:
		return FrameCloseGoingAway
	case ws.StatusProtocolError:
		return FrameCloseProtocolError
	case ws.StatusUnsupportedData:
		return FrameCloseUnsupportedData
	case ws.StatusInvalidFramePayloadData:
		return FrameCloseInvalidPayload
	case ws.StatusPolicyViolation:
		return FrameClosePolicy
	case ws.StatusMessageTooBig:
		return FrameCloseTooBig
	case ws.StatusInternalServerError:
		return FrameCloseInternal
	}
	if noWireCode(code) {
		return FrameCloseEmpty
	}
	return AppendClose(nil, code, "")
}

// maxCloseReason is what is left of a control frame's 125 bytes after the
// 2-byte code.
const maxCloseReason = ws.MaxControlFramePayloadSize - 2

// AppendClose appends an unmasked close frame carrying code and reason to dst
// and returns the extended slice.
//
// A reason too long for the 125-byte limit of control frames is cut at 123
// bytes, backing off to the start of a UTF-8 sequence so that a valid reason
// stays valid. Codes that must not appear on the wire (0, 1005, 1006, 1015)
// produce a frame without a body, and the reason is dropped with them.
func AppendClose(dst []byte, code ws.StatusCode, reason string) []byte {
	if noWireCode(code) {
		return AppendHeader(dst, ws.OpClose, true, 0)
	}
	if len(reason) > maxCloseReason {
		cut := maxCloseReason
		for cut > 0 && !utf8.RuneStart(reason[cut]) {
			cut--
		}
		reason = reason[:cut]
	}
	size := 2 + len(reason)
	dst = AppendHeader(slices.Grow(dst, 2+size), ws.OpClose, true, size)
	start := len(dst)
	dst = dst[:start+size]
	ws.PutCloseFrameBody(dst[start:], code, reason)
	return dst
}

// noWireCode reports whether code has no place in a close frame body: the
// zero value, or one of the codes RFC 6455 section 7.4.1 reserves for local
// use (1005 no status, 1006 abnormal closure, 1015 TLS failure).
func noWireCode(code ws.StatusCode) bool {
	return code.Empty() || code.IsProtocolReserved()
}

// parseClose validates the payload of a received close frame and splits it
// into code and reason (RFC 6455 sections 5.5.1 and 7.4).
func parseClose(p []byte) (ws.StatusCode, []byte, error) {
	switch len(p) {
	case 0:
		return ws.StatusNoStatusRcvd, p, nil
	case 1:
		return 0, nil, ErrCloseBodyTooShort
	}
	// The unsafe variant lends the reason as a string over p without copying;
	// the string does not outlive this call.
	code, reason := ws.ParseCloseFrameDataUnsafe(p)
	if code > 4999 {
		// Past the private range 4000-4999: defined by no one.
		return 0, nil, ErrCloseCode
	}
	switch err := ws.CheckCloseFrameData(code, reason); err {
	case nil:
		return code, p[2:], nil
	case ws.ErrProtocolInvalidUTF8:
		return 0, nil, ErrCloseReasonUTF8
	default:
		return 0, nil, ErrCloseCode
	}
}
