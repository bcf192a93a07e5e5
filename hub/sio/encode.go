package sio

import (
	"strconv"
	"unicode/utf8"
)

// The encoders append to dst and return the extended slice, like the
// strconv Append functions; they allocate only when dst is too small. They
// trust their input: Data and arguments must be valid JSON, and a namespace
// other than "/" must start with '/' and hold no ','.

// AppendPacket appends the text form of p: the header, then p.Data as it is.
// The attachment count is written for BINARY_EVENT and BINARY_ACK, the
// namespace when it is neither "" nor "/", and the ack id when it is not
// negative on the types that carry one.
func AppendPacket(dst []byte, p Packet) []byte {
	dst = appendHeader(dst, p.Type, p.Namespace, p.ID, p.Attachments)
	return append(dst, p.Data...)
}

// AppendEvent appends an EVENT, or a BINARY_EVENT when attachments > 0:
// `2/nsp,12["name",arg1,arg2]`. The namespace is omitted when it is "" or
// "/", the ack id when it is negative (NoID). name is written as a JSON
// string; each arg is raw JSON written as it is, an empty arg as null.
func AppendEvent(dst []byte, nsp string, id int64, attachments int, name string, args ...[]byte) []byte {
	t := Event
	if attachments > 0 {
		t = BinaryEvent
	}
	dst = appendHeader(dst, t, nsp, id, attachments)
	dst = append(dst, '[')
	dst = AppendString(dst, name)
	for _, a := range args {
		dst = append(dst, ',')
		dst = appendRaw(dst, a)
	}
	return append(dst, ']')
}

// AppendAck appends an ACK, or a BINARY_ACK when attachments > 0:
// `3/nsp,12[arg1,arg2]`. The ack id should be the one of the event being
// answered. Each arg is raw JSON written as it is, an empty arg as null.
func AppendAck(dst []byte, nsp string, id int64, attachments int, args ...[]byte) []byte {
	t := Ack
	if attachments > 0 {
		t = BinaryAck
	}
	dst = appendHeader(dst, t, nsp, id, attachments)
	dst = append(dst, '[')
	for i, a := range args {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendRaw(dst, a)
	}
	return append(dst, ']')
}

func appendHeader(dst []byte, t PacketType, nsp string, id int64, attachments int) []byte {
	dst = append(dst, '0'+byte(t))
	if t.IsBinary() {
		dst = strconv.AppendInt(dst, int64(attachments), 10)
		dst = append(dst, '-')
	}
	if nsp != "" && nsp != "/" {
		dst = append(dst, nsp...)
		dst = append(dst, ',')
	}
	if id >= 0 && t.hasID() {
		dst = strconv.AppendInt(dst, id, 10)
	}
	return dst
}

func appendRaw(dst, raw []byte) []byte {
	if len(raw) == 0 {
		return append(dst, "null"...)
	}
	return append(dst, raw...)
}

// AppendString appends s as a JSON string, escaped as JSON.stringify does:
// '"', '\\' and control characters, with the short forms \b \t \n \f \r.
// Invalid UTF-8 is written as U+FFFD.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if strPlain[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\r':
				dst = append(dst, '\\', 'r')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"
