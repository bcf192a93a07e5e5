package wsframe

import (
	"encoding/binary"
	"math"

	"github.com/gobwas/ws"
)

// Bits of the first two header bytes (RFC 6455 section 5.2).
const (
	finBit    = 0x80
	rsvBits   = 0x70
	opBits    = 0x0f
	maskBit   = 0x80
	len7Bits  = 0x7f
	len16Code = 126
	len64Code = 127
)

// ParseHeader parses a client-to-server frame header at the start of b and
// returns it with its size in bytes.
//
// n == 0 and err == nil means that b does not hold a complete header yet: call
// again once more bytes have arrived. A header is 2 to 14 bytes long.
//
// ParseHeader does not check the RFC 6455 rules (masking, reserved bits and
// opcodes, control frame limits, fragmentation): Reader.Next does. Its only
// error is ErrLengthOverflow, for a 64-bit length with the top bit set.
// It neither modifies nor retains b.
func ParseHeader(b []byte) (h ws.Header, n int, err error) {
	if len(b) < 2 {
		return h, 0, nil
	}
	b0, b1 := b[0], b[1]
	h.Fin = b0&finBit != 0
	h.Rsv = (b0 & rsvBits) >> 4
	h.OpCode = ws.OpCode(b0 & opBits)
	h.Masked = b1&maskBit != 0

	n = 2
	switch l := b1 & len7Bits; l {
	case len16Code:
		n += 2
	case len64Code:
		n += 8
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		n += 4
	}
	if len(b) < n {
		return ws.Header{}, 0, nil
	}

	switch b1 & len7Bits {
	case len16Code:
		h.Length = int64(binary.BigEndian.Uint16(b[2:4]))
	case len64Code:
		l := binary.BigEndian.Uint64(b[2:10])
		if l > math.MaxInt64 {
			return ws.Header{}, 0, ErrLengthOverflow
		}
		h.Length = int64(l)
	}
	if h.Masked {
		copy(h.Mask[:], b[n-4:n])
	}
	return h, n, nil
}

// Need reports how many bytes the frame at the start of b occupies in total,
// header and payload, once its header is complete; it returns 0 while the
// header itself is incomplete or invalid. Call it after Reader.Next returned
// n == 0 to size the buffer that will hold the rest of the frame.
//
// A length that does not fit in an int is reported as math.MaxInt; Next has
// already rejected such a frame with ErrMessageTooBig.
func Need(b []byte) int {
	h, n, err := ParseHeader(b)
	if err != nil || n == 0 {
		return 0
	}
	if h.Length > int64(math.MaxInt-n) {
		return math.MaxInt
	}
	return n + int(h.Length)
}
