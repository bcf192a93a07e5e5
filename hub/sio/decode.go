package sio

import (
	"bytes"
	"unicode/utf8"
)

// Decode parses one Socket.IO packet: the data of an Engine.IO text message,
// without the Engine.IO type byte "4".
//
// It checks the whole packet, as the reference server does before acting on
// it:
//   - the type digit;
//   - for BINARY_EVENT and BINARY_ACK, the attachment count "<digits>-",
//     at most maxAttachments when maxAttachments > 0 (the reference server
//     allows 10);
//   - the namespace: '/' then any UTF-8 text up to ',' or the end of the
//     packet, without control characters or any of `"[{`, so that a namespace
//     missing its ',' cannot swallow the payload;
//   - the ack id: decimal digits up to MaxAckID, allowed on EVENT, ACK and
//     their binary forms, required on ACK and BINARY_ACK;
//   - the payload: valid JSON (with UTF-8 strings) of the shape the type
//     needs. CONNECT: nothing or an object. DISCONNECT: nothing. EVENT and
//     BINARY_EVENT: an array whose first element is a string, not one of the
//     reserved names connect, connect_error, disconnect, disconnecting,
//     newListener and removeListener. ACK and BINARY_ACK: an array.
//     CONNECT_ERROR: an object, or a string (older servers).
//   - for binary packets, that every placeholder has a num below
//     Attachments (placeholders are not looked for in other packets).
//
// Unlike the reference parser, Decode does not accept an event name that is
// a number.
//
// The returned Packet aliases b (see Packet). Errors are *DecodeError.
// Decode allocates nothing but the namespace string of a packet outside the
// main namespace, and the error.
func Decode(b []byte, maxAttachments int) (Packet, error) {
	p := Packet{Namespace: "/", ID: NoID}
	if len(b) == 0 {
		return p, errAt(0, reasonEmptyPacket)
	}
	if b[0] < '0' || b[0] > '6' {
		return p, errAt(0, reasonBadType)
	}
	p.Type = PacketType(b[0] - '0')
	i := 1

	if p.Type.IsBinary() {
		start := i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		n, ok := parseCount(b[start:i])
		if !ok {
			return p, errAt(start, reasonAttachRange)
		}
		if i == start {
			return p, errAt(i, reasonNoAttachCount)
		}
		if i == len(b) || b[i] != '-' {
			return p, errAt(i, reasonAttachDash)
		}
		if maxAttachments > 0 && n > maxAttachments {
			return p, errAt(start, reasonTooManyAttach)
		}
		p.Attachments = n
		i++
	}

	if i < len(b) && b[i] == '/' {
		start := i
		for i < len(b) && b[i] != ',' {
			c := b[i]
			if c < 0x80 {
				if c < 0x20 || c == 0x7f || c == '"' || c == '[' || c == '{' {
					return p, errAt(i, reasonBadNamespace)
				}
				i++
				continue
			}
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return p, errAt(i, reasonBadNamespace)
			}
			i += size
		}
		if i-start > 1 {
			p.Namespace = string(b[start:i])
		}
		if i < len(b) {
			i++ // the ','
		}
	}

	if i < len(b) && isDigit(b[i]) {
		if !p.Type.hasID() {
			return p, errAt(i, reasonIDNotAllowed)
		}
		start := i
		var id int64
		for ; i < len(b) && isDigit(b[i]); i++ {
			if id = id*10 + int64(b[i]-'0'); id > MaxAckID {
				return p, errAt(start, reasonIDRange)
			}
		}
		p.ID = id
	}
	if (p.Type == Ack || p.Type == BinaryAck) && p.ID == NoID {
		return p, errAt(i, reasonMissingID)
	}

	if i < len(b) {
		p.Data = b[i:]
	}
	if err := checkPayload(&p, i); err != nil {
		return p, err
	}
	return p, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// checkPayload validates p.Data for p.Type; off is the offset of Data in the
// packet, for errors.
func checkPayload(p *Packet, off int) error {
	d := p.Data
	if len(d) == 0 {
		if p.Type == Connect || p.Type == Disconnect {
			return nil
		}
		return errAt(off, reasonMissingData)
	}
	if p.Type == Disconnect {
		return errAt(off, reasonUnexpectedData)
	}
	s := scanner{b: d, base: off}
	if p.Type.IsBinary() {
		s.placeholders, s.limit = true, p.Attachments
	}
	start := s.document(0)
	if start < 0 {
		return s.err
	}
	switch c := d[start]; p.Type {
	case Connect:
		if c != '{' {
			return errAt(off+start, reasonConnectData)
		}
	case ConnectError:
		if c != '{' && c != '"' {
			return errAt(off+start, reasonErrorData)
		}
	case Ack, BinaryAck:
		if c != '[' {
			return errAt(off+start, reasonNotArray)
		}
	case Event, BinaryEvent:
		if c != '[' {
			return errAt(off+start, reasonNotArray)
		}
		i := skipSpace(d, start+1)
		switch d[i] {
		case ']':
			return errAt(off+i, reasonEmptyEvent)
		case '"':
		default:
			return errAt(off+i, reasonEventName)
		}
		end := s.str(i)
		if isReserved(d[i:end]) {
			return errAt(off+i, reasonReservedEvent)
		}
	}
	return nil
}

// isReserved reports whether the quoted JSON string q (already validated)
// is an event name a client may not emit.
func isReserved(q []byte) bool {
	name := q[1 : len(q)-1]
	if bytes.IndexByte(name, '\\') >= 0 {
		if len(name) > 6*len("removeListener") {
			return false
		}
		var buf [96]byte
		name = appendUnescaped(buf[:0], name)
	}
	switch string(name) {
	case "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener":
		return true
	}
	return false
}
