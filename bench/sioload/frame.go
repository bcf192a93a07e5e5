package sioload

import (
	"encoding/binary"
	"fmt"
)

// WebSocket opcodes (RFC 6455 section 5.2).
const (
	opCont   = 0x0
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xA
)

// frame is one WebSocket frame sent by a server. payload aliases the bytes
// it was parsed from.
type frame struct {
	fin     bool
	op      byte
	payload []byte
}

// parseFrame parses one server frame at the start of b. It returns the frame
// and the bytes it spans, or n == 0 when b does not hold a whole frame yet.
// A masked frame, reserved bits, a control frame longer than 125 bytes or a
// payload above max is an error.
func parseFrame(b []byte, max int) (f frame, n int, err error) {
	if len(b) < 2 {
		return frame{}, 0, nil
	}
	b0, b1 := b[0], b[1]
	if b0&0x70 != 0 {
		return frame{}, 0, fmt.Errorf("%w: reserved bits %#x", ErrProtocol, b0)
	}
	if b1&0x80 != 0 {
		return frame{}, 0, fmt.Errorf("%w: masked server frame", ErrProtocol)
	}
	f.fin = b0&0x80 != 0
	f.op = b0 & 0x0f
	hdr, size := 2, uint64(b1&0x7f)
	switch size {
	case 126:
		if len(b) < 4 {
			return frame{}, 0, nil
		}
		hdr, size = 4, uint64(binary.BigEndian.Uint16(b[2:4]))
	case 127:
		if len(b) < 10 {
			return frame{}, 0, nil
		}
		hdr, size = 10, binary.BigEndian.Uint64(b[2:10])
	}
	if f.op >= opClose && (size > 125 || !f.fin) {
		return frame{}, 0, fmt.Errorf("%w: bad control frame", ErrProtocol)
	}
	if size > uint64(max) {
		return frame{}, 0, fmt.Errorf("%w: frame of %d bytes", ErrTooLarge, size)
	}
	end := hdr + int(size)
	if len(b) < end {
		return frame{}, 0, nil
	}
	f.payload = b[hdr:end]
	return f, end, nil
}

// appendMasked appends a final client frame of op carrying payload, masked
// with key, to b.
func appendMasked(b []byte, op byte, payload []byte, key [4]byte) []byte {
	n := len(payload)
	switch {
	case n < 126:
		b = append(b, 0x80|op, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|op, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|op, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	b = append(b, key[:]...)
	start := len(b)
	b = append(b, payload...)
	mask(b[start:], key)
	return b
}

// mask XORs p in place with key, as RFC 6455 section 5.3 describes.
func mask(p []byte, key [4]byte) {
	k := binary.LittleEndian.Uint32(key[:])
	k64 := uint64(k) | uint64(k)<<32
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^k64)
	}
	for ; i < len(p); i++ {
		p[i] ^= key[i&3]
	}
}
