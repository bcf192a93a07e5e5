package wsframe

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/gobwas/ws"
)

// lengthCases covers the 7-bit, 16-bit and 64-bit length encodings and their
// boundaries.
var lengthCases = []struct {
	length  int
	hdrSize int // unmasked
}{
	{0, 2},
	{1, 2},
	{125, 2},
	{126, 4},
	{65535, 4},
	{65536, 10},
	{1 << 20, 10},
}

func TestParseHeader(t *testing.T) {
	for _, lc := range lengthCases {
		for _, h := range []ws.Header{
			{Fin: true, OpCode: ws.OpText, Masked: true, Mask: testMask},
			{Fin: false, OpCode: ws.OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}},
			{Fin: true, OpCode: ws.OpContinuation},
			{Fin: true, OpCode: ws.OpPing, Rsv: ws.Rsv(true, false, true), Masked: true, Mask: testMask},
			{Fin: true, OpCode: 0xf, Rsv: ws.Rsv(true, true, true)},
		} {
			h.Length = int64(lc.length)
			name := "len=" + strconv.Itoa(lc.length) + "/op=" + strconv.Itoa(int(h.OpCode)) + "/masked=" + strconv.FormatBool(h.Masked)
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := ws.WriteHeader(&buf, h); err != nil {
					t.Fatal(err)
				}
				want := lc.hdrSize
				if h.Masked {
					want += 4
				}
				if buf.Len() != want {
					t.Fatalf("gobwas wrote %d header bytes, want %d", buf.Len(), want)
				}
				b := append(buf.Bytes(), 0xde, 0xad) // bytes after the header are not read
				for i := range want {
					got, n, err := ParseHeader(b[:i])
					if n != 0 || err != nil || got != (ws.Header{}) {
						t.Fatalf("ParseHeader(%d of %d bytes) = %+v, %d, %v; want need more", i, want, got, n, err)
					}
					if need := Need(b[:i]); need != 0 {
						t.Fatalf("Need(%d of %d header bytes) = %d, want 0", i, want, need)
					}
				}
				got, n, err := ParseHeader(b)
				if err != nil || n != want || got != h {
					t.Fatalf("ParseHeader = %+v, %d, %v; want %+v, %d", got, n, err, h, want)
				}
				if need := Need(b[:want]); need != want+lc.length {
					t.Fatalf("Need = %d, want %d", need, want+lc.length)
				}
			})
		}
	}
}

func TestParseHeaderLengthMSB(t *testing.T) {
	b := []byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}
	h, n, err := ParseHeader(b)
	if !errors.Is(err, ErrLengthOverflow) || n != 0 {
		t.Fatalf("ParseHeader = %+v, %d, %v; want ErrLengthOverflow", h, n, err)
	}
	if code := closeCode(t, err); code != ws.StatusProtocolError {
		t.Fatalf("code %d, want 1002", code)
	}
	if _, err := ws.ReadHeader(bytes.NewReader(b)); err != ws.ErrHeaderLengthMSB {
		t.Fatalf("gobwas disagrees: %v", err)
	}
	// Incomplete: the top bit is not looked at before the length is whole.
	if _, n, err := ParseHeader(b[:9]); n != 0 || err != nil {
		t.Fatalf("ParseHeader(9 bytes) = %d, %v; want need more", n, err)
	}
	if need := Need(b); need != 0 {
		t.Fatalf("Need = %d, want 0", need)
	}
	// The largest valid length.
	b[2] = 0x7f
	for i := 3; i < 10; i++ {
		b[i] = 0xff
	}
	h, n, err = ParseHeader(b)
	if err != nil || n != 14 || h.Length != math.MaxInt64 {
		t.Fatalf("ParseHeader = %+v, %d, %v; want length MaxInt64", h, n, err)
	}
	if need := Need(b); need != math.MaxInt {
		t.Fatalf("Need = %d, want MaxInt", need)
	}
}

// Frames gobwas/ws writes as a client parse to the header gobwas meant.
func TestParseHeaderGobwasFrames(t *testing.T) {
	for _, lc := range lengthCases {
		for _, op := range []ws.OpCode{ws.OpText, ws.OpBinary, ws.OpContinuation, ws.OpPing, ws.OpClose} {
			if op.IsControl() && lc.length > ws.MaxControlFramePayloadSize {
				continue
			}
			t.Run("len="+strconv.Itoa(lc.length)+"/op="+strconv.Itoa(int(op)), func(t *testing.T) {
				payload := pattern(lc.length)
				f := ws.MaskFrameWith(ws.NewFrame(op, op.IsControl() || op == ws.OpText, payload), testMask)
				compiled, err := ws.CompileFrame(f)
				if err != nil {
					t.Fatal(err)
				}
				var written bytes.Buffer
				if err := ws.WriteFrame(&written, f); err != nil {
					t.Fatal(err)
				}
				for _, b := range [][]byte{compiled, written.Bytes()} {
					h, n, err := ParseHeader(b)
					if err != nil || h != f.Header || n != ws.HeaderSize(f.Header) {
						t.Fatalf("ParseHeader = %+v, %d, %v; want %+v, %d", h, n, err, f.Header, ws.HeaderSize(f.Header))
					}
					if Need(b) != len(b) {
						t.Fatalf("Need = %d, want %d", Need(b), len(b))
					}
				}
			})
		}
	}
}

func BenchmarkParseHeader(b *testing.B) {
	for _, size := range []int{64, 1024, 65536} {
		frame := clientFrame(ws.OpBinary, true, make([]byte, size))
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, n, err := ParseHeader(frame); n == 0 || err != nil {
					b.Fatal(n, err)
				}
			}
		})
	}
}
