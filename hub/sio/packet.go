package sio

import "strconv"

// PacketType is the Socket.IO packet type, written on the wire as the
// packet's first byte, one ASCII digit.
type PacketType byte

// The seven Socket.IO v5 packet types.
const (
	Connect      PacketType = iota // '0': join a namespace; the server answers with the socket id
	Disconnect                     // '1': leave a namespace
	Event                          // '2': an event: name and arguments, optionally with an ack id
	Ack                            // '3': the answer to an event that carried an ack id
	ConnectError                   // '4': the server refuses a CONNECT
	BinaryEvent                    // '5': an EVENT followed by binary attachments
	BinaryAck                      // '6': an ACK followed by binary attachments
)

var typeNames = [...]string{
	"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK",
}

// String returns the protocol name of t ("CONNECT", "EVENT", ...), or
// "PacketType(N)" for a value outside the seven types.
func (t PacketType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

// IsBinary reports whether packets of type t carry binary attachments
// (BINARY_EVENT and BINARY_ACK).
func (t PacketType) IsBinary() bool { return t == BinaryEvent || t == BinaryAck }

// hasID reports whether packets of type t may carry an ack id.
func (t PacketType) hasID() bool {
	return t == Event || t == Ack || t == BinaryEvent || t == BinaryAck
}

// NoID is the Packet.ID of a packet without an ack id.
const NoID int64 = -1

// MaxAckID is the largest ack id Decode accepts: 2^53-1, the largest integer
// a JavaScript peer represents exactly.
const MaxAckID int64 = 1<<53 - 1

// Packet is one Socket.IO packet: the decoded header and the raw JSON
// payload.
//
// Namespace is "/" for the main namespace; any other namespace starts with
// '/' and holds no ','. ID is the ack id, or NoID (-1) when the packet has
// none: a Packet literal without an ack id must set ID: NoID, since the zero
// value 0 is a valid id. Attachments is the number of binary attachments that
// follow a BINARY_EVENT or BINARY_ACK, and 0 for the other types.
//
// Data is the JSON payload exactly as it appeared on the wire, never
// re-encoded: empty for DISCONNECT and for a CONNECT without auth data.
// A Packet returned by Decode aliases the input: Data points into it, so the
// caller must keep the input unchanged while the packet is in use and copy
// Data to keep it longer. Namespace is a string of its own.
type Packet struct {
	Type        PacketType
	Namespace   string
	ID          int64
	Attachments int
	Data        []byte
}
