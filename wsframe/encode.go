package wsframe

import (
	"encoding/binary"
	"slices"

	"github.com/gobwas/ws"
)

// Ping and pong frames without payload, compiled once and shared by every
// connection: never modify them. Their capacity equals their length.
var (
	FramePing = slices.Clip(AppendFrame(nil, ws.OpPing, nil))
	FramePong = slices.Clip(AppendFrame(nil, ws.OpPong, nil))
)

// HeaderSize returns the size of an unmasked (server) frame header for a
// payload of payloadLen bytes: 2, 4 or 10.
func HeaderSize(payloadLen int) int {
	switch {
	case payloadLen < len16Code:
		return 2
	case payloadLen <= 0xffff:
		return 4
	default:
		return 10
	}
}

// AppendHeader appends the header of an unmasked frame to dst and returns the
// extended slice; the caller appends the payloadLen payload bytes. Set fin to
// false for every fragment of a message but the last, whose followers carry
// ws.OpContinuation. It panics if payloadLen is negative.
//
// AppendHeader checks no RFC rule: a control frame must be final and carry at
// most 125 bytes, which is the caller's to respect.
func AppendHeader(dst []byte, op ws.OpCode, fin bool, payloadLen int) []byte {
	if payloadLen < 0 {
		panic("wsframe: negative payload length")
	}
	b0 := byte(op) & opBits
	if fin {
		b0 |= finBit
	}
	switch {
	case payloadLen < len16Code:
		return append(dst, b0, byte(payloadLen))
	case payloadLen <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, b0, len16Code), uint16(payloadLen))
	default:
		return binary.BigEndian.AppendUint64(append(dst, b0, len64Code), uint64(payloadLen))
	}
}

// AppendFrame appends a single, final, unmasked frame to dst and returns the
// extended slice. It does not allocate when dst has room for
// HeaderSize(len(payload)) + len(payload) more bytes.
//
// Server frames are the same bytes for every client, so a broadcast is
// encoded once and the result shared.
func AppendFrame(dst []byte, op ws.OpCode, payload []byte) []byte {
	dst = slices.Grow(dst, HeaderSize(len(payload))+len(payload))
	dst = AppendHeader(dst, op, true, len(payload))
	return append(dst, payload...)
}
