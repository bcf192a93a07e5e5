package eio

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/siogate/siogate/hub/sio"
)

// PacketType is the Engine.IO packet type, written on the wire as one ASCII
// digit.
type PacketType byte

// The seven Engine.IO v4 packet types.
const (
	Open    PacketType = iota // '0': handshake, sent by the server first
	Close                     // '1': close the transport or session
	Ping                      // '2': heartbeat (server to client), or "probe" during an upgrade
	Pong                      // '3': heartbeat answer, or "probe" during an upgrade
	Message                   // '4': application data
	Upgrade                   // '5': the client switches to the probed transport
	Noop                      // '6': no operation; ends a parked polling GET during an upgrade
)

var typeNames = [...]string{"open", "close", "ping", "pong", "message", "upgrade", "noop"}

// String returns the protocol name of t ("open", "close", ...), or
// "PacketType(N)" for a value outside the seven types.
func (t PacketType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

// Packet is one Engine.IO packet.
//
// Data is the packet's payload without the type digit. A decoded Packet's Data
// aliases the input it was decoded from (except base64 data from a polling
// payload, which is decoded into a new slice): the caller must not modify the
// input while the packet is in use, and must copy Data to keep it past the
// input's lifetime.
//
// Binary marks binary data and is only meaningful for Message packets: the
// encoders write a binary packet as a binary message whatever Type holds.
//
// Engine.IO text is UTF-8, but the codec does not validate it, like the
// reference server: checking the encoding is left to the layer that
// interprets Data (Socket.IO's JSON decoder).
type Packet struct {
	Type   PacketType
	Data   []byte
	Binary bool
}

// Pre-encoded text packets, shared by every session. They must never be
// modified.
var (
	TextClose     = []byte("1")
	TextPing      = []byte("2")
	TextPong      = []byte("3")
	TextNoop      = []byte("6")
	TextProbePong = []byte("3probe")
)

// IsProbePing reports whether p is the "2probe" ping a client sends on a new
// WebSocket to start an upgrade.
func IsProbePing(p Packet) bool {
	return p.Type == Ping && !p.Binary && string(p.Data) == "probe"
}

// DecodeText decodes a packet carried in a WebSocket text frame, or one
// element of a polling payload that is not base64: a type digit '0' to '6'
// followed by any data, possibly none. Data aliases b. Anything else,
// including an empty input, is a *DecodeError.
func DecodeText(b []byte) (Packet, error) {
	if len(b) == 0 {
		return Packet{}, &DecodeError{Offset: 0, Reason: reasonEmptyPacket}
	}
	t := b[0] - '0'
	if t > byte(Noop) {
		return Packet{}, &DecodeError{Offset: 0, Reason: reasonBadType}
	}
	return Packet{Type: PacketType(t), Data: b[1:]}, nil
}

// DecodeBinaryFrame returns the packet carried by a WebSocket binary frame:
// in Engine.IO v4 it is always a binary Message whose Data is the whole frame
// (aliasing b), with no type byte.
func DecodeBinaryFrame(b []byte) Packet {
	return Packet{Type: Message, Data: b, Binary: true}
}

// AppendText appends the text form of p to dst and returns the extended
// slice: the type digit followed by Data ("4hello"). p.Type must be one of the
// seven packet types.
//
// A binary packet is written as 'b' followed by standard base64, its form
// inside a polling payload; [DecodePayload] reads it back, [DecodeText] does
// not. Over WebSocket a binary packet is sent as a binary frame holding Data
// instead.
func AppendText(dst []byte, p Packet) []byte {
	if p.Binary {
		dst = append(dst, 'b')
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = append(dst, '0'+byte(p.Type))
	return append(dst, p.Data...)
}

// Handshake is the JSON object carried by the open packet that starts a
// session.
type Handshake struct {
	// SID is the session id the client sends back in every request.
	SID string
	// Upgrades lists the transports the client may upgrade to:
	// ["websocket"] for a polling session, none for a WebSocket session.
	Upgrades []string
	// PingInterval and PingTimeout drive the heartbeat; they are written in
	// whole milliseconds (truncated).
	PingInterval time.Duration
	PingTimeout  time.Duration
	// MaxPayload is the largest polling body, in bytes, the server accepts;
	// the client sizes its POST batches by it.
	MaxPayload int
}

// AppendOpen appends the open packet for h to dst: '0' followed by a JSON
// object with exactly the keys sid, upgrades, pingInterval, pingTimeout and
// maxPayload in that order, for example
//
//	0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}
//
// An empty Upgrades is written as [] (never null).
func AppendOpen(dst []byte, h Handshake) []byte {
	dst = append(dst, `0{"sid":`...)
	dst = sio.AppendString(dst, h.SID)
	dst = append(dst, `,"upgrades":[`...)
	for i, u := range h.Upgrades {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = sio.AppendString(dst, u)
	}
	dst = append(dst, `],"pingInterval":`...)
	dst = strconv.AppendInt(dst, h.PingInterval.Milliseconds(), 10)
	dst = append(dst, `,"pingTimeout":`...)
	dst = strconv.AppendInt(dst, h.PingTimeout.Milliseconds(), 10)
	dst = append(dst, `,"maxPayload":`...)
	dst = strconv.AppendInt(dst, int64(h.MaxPayload), 10)
	return append(dst, '}')
}
