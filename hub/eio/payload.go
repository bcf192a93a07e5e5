package eio

import (
	"bytes"
	"encoding/base64"
	"errors"
)

// Separator is the ASCII record separator that joins packets in a polling
// payload. The protocol assumes it never occurs in packet data; the encoders
// do not check.
const Separator = 0x1e

// DecodePayload splits a polling POST body into packets. Elements are joined
// by [Separator]; an element starting with 'b' is a binary Message whose data
// is standard base64 with padding, decoded into a newly allocated slice. Any
// other element is decoded as by [DecodeText] and its Data aliases body.
//
// An empty body, an empty element (including a leading or trailing
// separator), an unknown type and bad base64 are reported as a *DecodeError
// whose Offset indexes body. If maxPackets > 0 and body holds more packets than
// that, DecodePayload returns [ErrTooManyPackets] before decoding anything.
func DecodePayload(body []byte, maxPackets int) ([]Packet, error) {
	if len(body) == 0 {
		return nil, &DecodeError{Offset: 0, Reason: reasonEmptyPayload}
	}
	n := bytes.Count(body, []byte{Separator}) + 1
	if maxPackets > 0 && n > maxPackets {
		return nil, ErrTooManyPackets
	}
	pkts := make([]Packet, 0, n)
	for off := 0; ; {
		elem := body[off:]
		end := bytes.IndexByte(elem, Separator)
		if end >= 0 {
			elem = elem[:end]
		}
		p, err := decodeElement(elem)
		if err != nil {
			if de, ok := errors.AsType[*DecodeError](err); ok {
				de.Offset += off
			}
			return nil, err
		}
		pkts = append(pkts, p)
		if end < 0 {
			return pkts, nil
		}
		off += end + 1
	}
}

// decodeElement decodes one payload element; error offsets are relative to
// elem.
func decodeElement(elem []byte) (Packet, error) {
	if len(elem) == 0 || elem[0] != 'b' {
		return DecodeText(elem)
	}
	src := elem[1:]
	data := make([]byte, 0, base64.StdEncoding.DecodedLen(len(src)))
	data, err := base64.StdEncoding.AppendDecode(data, src)
	if err != nil {
		off := 1
		if ce, ok := errors.AsType[base64.CorruptInputError](err); ok {
			off += int(ce)
		}
		return Packet{}, &DecodeError{Offset: off, Reason: reasonBadBase64}
	}
	return Packet{Type: Message, Data: data, Binary: true}, nil
}

// AppendPayload appends pkts to dst as a polling GET body and returns the
// extended slice: text packets as by [AppendText], binary ones as 'b' and
// standard base64, joined by [Separator]. No packets append nothing, which is
// not a valid body.
func AppendPayload(dst []byte, pkts []Packet) []byte {
	for i, p := range pkts {
		dst = AppendPayloadPacket(dst, p, i == 0)
	}
	return dst
}

// AppendPayloadPacket appends one packet of a polling body to dst, preceded
// by a [Separator] unless first is set. It lets a caller build a body packet
// by packet, passing first=true for the first one only.
func AppendPayloadPacket(dst []byte, p Packet, first bool) []byte {
	if !first {
		dst = append(dst, Separator)
	}
	return AppendText(dst, p)
}
