package wsframe

import (
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"testing"

	"github.com/gobwas/ws"
)

// FuzzReader feeds arbitrary bytes to a Reader in chunks whose sizes come
// from split, checks the invariants of Next on every call (see readAll), and
// that the chunking changes nothing: the events equal those of the whole
// input read at once. The corpus is in testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	f.Add(clientFrame(ws.OpText, true, []byte("hello")), []byte{1}, uint16(0), false)
	f.Fuzz(func(t *testing.T, data, split []byte, maxSize uint16, skipUTF8 bool) {
		sizes := make([]int, len(split))
		for i, s := range split {
			sizes[i] = int(s) + 1
		}
		whole := Reader{MaxMessageSize: int(maxSize), SkipUTF8Check: skipUTF8}
		chunked := whole
		want := readAll(t, &whole, bytes.Clone(data), nil)
		got := readAll(t, &chunked, bytes.Clone(data), sizes)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("chunks %v:\n got %+v\nwant %+v", sizes, got, want)
		}
	})
}

// FuzzParseHeader checks ParseHeader and Need against gobwas/ws's ReadHeader.
// The corpus is in testdata/fuzz/FuzzParseHeader.
func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{0x81, 0x85, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseHeader(b)
		gh, gerr := ws.ReadHeader(bytes.NewReader(b))
		switch {
		case err != nil:
			if !errors.Is(err, ErrLengthOverflow) || n != 0 || gerr != ws.ErrHeaderLengthMSB {
				t.Fatalf("ParseHeader = %d, %v; gobwas %v", n, err, gerr)
			}
		case n == 0:
			if gerr != io.EOF && gerr != io.ErrUnexpectedEOF {
				t.Fatalf("ParseHeader needs more bytes, gobwas read %+v, %v", gh, gerr)
			}
			if need := Need(b); need != 0 {
				t.Fatalf("Need = %d with an incomplete header", need)
			}
		default:
			// The size follows the length code even when the length would
			// fit a shorter one.
			size := 2
			switch b[1] & len7Bits {
			case len16Code:
				size += 2
			case len64Code:
				size += 8
			}
			if h.Masked {
				size += 4
			}
			if gerr != nil || h != gh || n != size {
				t.Fatalf("ParseHeader = %+v, %d; gobwas %+v, %v; want size %d", h, n, gh, gerr, size)
			}
			if got, _, _ := ParseHeader(b[:n]); got != h {
				t.Fatal("header differs when cut to its own size")
			}
			if need := Need(b); need != math.MaxInt && int64(need-n) != h.Length {
				t.Fatalf("Need = %d for a %d-byte header and length %d", need, n, h.Length)
			}
		}
	})
}
