package sioload

import (
	"bytes"
	"strconv"
)

// Payload stamps. Every message the loader sends for a measurement carries
// one string argument that starts with a stamp:
//
//	<kind><id>:<unix-nanoseconds>:xxxx...
//
// kind is 'b' for a broadcast to every socket, 'r' for a broadcast to a
// room and 'e' for an echo; id numbers the broadcast (or the echo); the
// wall-clock send time lets any process on the machine compute the latency
// when the message comes back. 'x' pads the string to
// the requested size. Being plain ASCII, the string is the same bytes in
// JSON, so servers that re-emit their arguments keep it intact.
const (
	kindBroadcast = 'b'
	kindRoom      = 'r'
	kindEcho      = 'e'
)

// appendStamp appends a stamp string of at least size bytes.
func appendStamp(b []byte, kind byte, id uint64, unixNano int64, size int) []byte {
	start := len(b)
	b = append(b, kind)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, unixNano, 10)
	b = append(b, ':')
	for len(b)-start < size {
		b = append(b, 'x')
	}
	return b
}

// parseStamp reads a stamp at the start of s.
func parseStamp(s []byte) (kind byte, id uint64, unixNano int64, ok bool) {
	if len(s) < 4 {
		return 0, 0, 0, false
	}
	kind = s[0]
	s = s[1:]
	id, s, ok = parseUint(s)
	if !ok || len(s) == 0 || s[0] != ':' {
		return 0, 0, 0, false
	}
	ts, s, ok := parseUint(s[1:])
	if !ok || len(s) == 0 || s[0] != ':' {
		return 0, 0, 0, false
	}
	return kind, id, int64(ts), true
}

// parseUint parses leading decimal digits (at most 19) of s.
func parseUint(s []byte) (uint64, []byte, bool) {
	var v uint64
	i := 0
	for ; i < len(s) && i < 19 && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + uint64(s[i]-'0')
	}
	return v, s[i:], i > 0
}

// Socket.IO packet types (the digit after Engine.IO's '4').
const (
	sioConnect      = '0'
	sioDisconnect   = '1'
	sioEvent        = '2'
	sioAck          = '3'
	sioConnectError = '4'
)

// sioPacket is a decoded Socket.IO packet header; data aliases the frame.
type sioPacket struct {
	typ   byte
	nsp   []byte // "" for "/"
	ackID []byte // digits, or empty
	data  []byte // JSON after the header
}

// parseSIO decodes the header of a Socket.IO packet, p being the Engine.IO
// message payload after its '4'.
func parseSIO(p []byte) (sioPacket, bool) {
	if len(p) == 0 {
		return sioPacket{}, false
	}
	pk := sioPacket{typ: p[0]}
	rest := p[1:]
	if len(rest) > 0 && rest[0] == '/' {
		i := bytes.IndexByte(rest, ',')
		if i < 0 {
			pk.nsp, rest = rest, nil
		} else {
			pk.nsp, rest = rest[:i], rest[i+1:]
		}
	}
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	pk.ackID, pk.data = rest[:j], rest[j:]
	return pk, true
}

// eventArg splits the JSON array of an EVENT into its name and the bytes
// after the opening quote of its first argument (nil if that argument is not
// a string).
func eventArg(data []byte) (name, arg []byte, ok bool) {
	if !bytes.HasPrefix(data, []byte(`["`)) {
		return nil, nil, false
	}
	rest := data[2:]
	i := bytes.IndexByte(rest, '"')
	if i < 0 {
		return nil, nil, false
	}
	name, rest = rest[:i], rest[i+1:]
	if bytes.HasPrefix(rest, []byte(`,"`)) {
		arg = rest[2:]
	}
	return name, arg, true
}

// ackArg returns the bytes after the opening quote of an ACK's first
// argument, or nil.
func ackArg(data []byte) []byte {
	if bytes.HasPrefix(data, []byte(`["`)) {
		return data[2:]
	}
	return nil
}

// appendSIOPrefix appends "4" + typ + the namespace prefix ("/nsp," unless
// the namespace is "/") to b: the start of a Socket.IO packet in an
// Engine.IO message.
func appendSIOPrefix(b []byte, typ byte, nsp string) []byte {
	b = append(b, '4', typ)
	if nsp != "/" {
		b = append(b, nsp...)
		b = append(b, ',')
	}
	return b
}

// appendEvent appends the Engine.IO message of a Socket.IO EVENT with one
// stamp argument: 42[/nsp,][ackID]["event","<stamp>"]. ackID < 0 asks for
// no acknowledgement.
func appendEvent(b []byte, nsp, event string, ackID int64, kind byte, id uint64, unixNano int64, size int) []byte {
	b = appendSIOPrefix(b, sioEvent, nsp)
	if ackID >= 0 {
		b = strconv.AppendInt(b, ackID, 10)
	}
	b = append(b, `["`...)
	b = append(b, event...)
	b = append(b, `","`...)
	b = appendStamp(b, kind, id, unixNano, size)
	return append(b, `"]`...)
}

// appendRoomEvent appends the Engine.IO message of the bench event that
// broadcasts a stamp to one room: 42[/nsp,]["bench:room","r<room>","<stamp>"].
// The fixtures answer it with "bcast" carrying the stamp to every member.
func appendRoomEvent(b []byte, nsp string, room int, id uint64, unixNano int64, size int) []byte {
	b = appendSIOPrefix(b, sioEvent, nsp)
	b = append(b, `["bench:room","`...)
	b = appendRoomName(b, room)
	b = append(b, `","`...)
	b = appendStamp(b, kindRoom, id, unixNano, size)
	return append(b, `"]`...)
}

// appendJoin appends the Engine.IO message of the fixtures' "join" event
// with an acknowledgement: 42[/nsp,]<ackID>["join",{"room":"r<room>"}].
func appendJoin(b []byte, nsp string, ackID uint32, room int) []byte {
	b = appendSIOPrefix(b, sioEvent, nsp)
	b = strconv.AppendUint(b, uint64(ackID), 10)
	b = append(b, `["join",{"room":"`...)
	b = appendRoomName(b, room)
	return append(b, `"}]`...)
}

// appendRoomName appends the name of room number k: "r<k>".
func appendRoomName(b []byte, k int) []byte {
	return strconv.AppendInt(append(b, 'r'), int64(k), 10)
}

// ackNumber parses the digits of an acknowledgement id; ok is false when
// there are none or too many.
func ackNumber(digits []byte) (uint32, bool) {
	if len(digits) == 0 || len(digits) > 9 {
		return 0, false
	}
	v, _, ok := parseUint(digits)
	return uint32(v), ok
}
