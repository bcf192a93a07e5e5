package wsframe

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gobwas/ws"
)

// testMask is the masking key of the frames the tests build.
var testMask = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// clientFrame builds a masked client frame, the header written by gobwas/ws
// and the payload masked with ws.Cipher, so the tests do not check wsframe
// against itself.
func clientFrame(op ws.OpCode, fin bool, payload []byte) []byte {
	return rawFrame(ws.Header{Fin: fin, OpCode: op, Masked: true, Mask: testMask, Length: int64(len(payload))}, payload)
}

// rawFrame encodes h followed by payload, masked with h.Mask when h.Masked.
// h.Length is written as is, so it may disagree with len(payload).
func rawFrame(h ws.Header, payload []byte) []byte {
	var buf bytes.Buffer
	if err := ws.WriteHeader(&buf, h); err != nil {
		panic(err)
	}
	start := buf.Len()
	buf.Write(payload)
	b := buf.Bytes()
	if h.Masked {
		ws.Cipher(b[start:], h.Mask, 0)
	}
	return b
}

// maskFrame turns an unmasked server frame into the masked client frame with
// the same header and payload.
func maskFrame(t testing.TB, frame []byte) []byte {
	t.Helper()
	h, n, err := ParseHeader(frame)
	if err != nil || n == 0 {
		t.Fatalf("maskFrame: ParseHeader = %d, %v", n, err)
	}
	h.Masked, h.Mask = true, testMask
	return rawFrame(h, frame[n:])
}

func concat(frames ...[]byte) []byte {
	return bytes.Join(frames, nil)
}

// pattern returns n bytes of printable ASCII, valid as text.
func pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = 'a' + byte(i%26)
	}
	return p
}

// closeCode returns the code of a *CloseError, or 0 for nil; any other error
// fails the test.
func closeCode(t testing.TB, err error) ws.StatusCode {
	t.Helper()
	if err == nil {
		return 0
	}
	var ce *CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *CloseError", err, err)
	}
	return ce.Code
}

// record is an Event with copied payload, comparable after the buffers moved on.
type record struct {
	Kind    Kind
	Op      ws.OpCode
	Payload string
	Code    ws.StatusCode
	Err     ws.StatusCode // close code of the error that ended the stream
}

// readAll feeds stream to r in chunks of the given sizes (cycled; the whole
// stream at once if sizes is empty) the way a poller would: append what
// arrived to the pending bytes, call Next until it needs more, keep the rest.
// It checks the invariants of Next and returns what it found.
func readAll(t testing.TB, r *Reader, stream []byte, sizes []int) []record {
	t.Helper()
	var (
		out      []record
		pending  []byte
		consumed int
		fed      int
	)
	for i := 0; fed < len(stream); i++ {
		size := len(stream)
		if len(sizes) > 0 {
			size = sizes[i%len(sizes)]
		}
		size = max(1, min(size, len(stream)-fed))
		pending = append(pending, stream[fed:fed+size]...)
		fed += size
		for {
			ev, n, err := r.Next(pending)
			if err != nil {
				return append(out, record{Err: closeCode(t, err)})
			}
			if n < 0 || n > len(pending) {
				t.Fatalf("Next consumed %d of %d bytes", n, len(pending))
			}
			if n == 0 {
				if need := Need(pending); need != 0 && need <= len(pending) {
					t.Fatalf("Next needs more bytes but Need = %d with %d at hand", need, len(pending))
				}
				break
			}
			if r.MaxMessageSize > 0 && ev.Kind == KindMessage && len(ev.Payload) > r.MaxMessageSize {
				t.Fatalf("message of %d bytes over MaxMessageSize %d", len(ev.Payload), r.MaxMessageSize)
			}
			out = append(out, record{Kind: ev.Kind, Op: ev.Op, Payload: string(ev.Payload), Code: ev.Code})
			consumed += n
			pending = pending[n:]
		}
	}
	if consumed+len(pending) != len(stream) {
		t.Fatalf("consumed %d + pending %d != %d bytes fed", consumed, len(pending), len(stream))
	}
	return out
}
