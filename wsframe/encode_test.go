package wsframe

import (
	"bytes"
	"slices"
	"strconv"
	"testing"

	"github.com/gobwas/ws"
)

func TestHeaderSize(t *testing.T) {
	for _, lc := range lengthCases {
		if got := HeaderSize(lc.length); got != lc.hdrSize {
			t.Errorf("HeaderSize(%d) = %d, want %d", lc.length, got, lc.hdrSize)
		}
		if got := len(AppendHeader(nil, ws.OpBinary, true, lc.length)); got != lc.hdrSize {
			t.Errorf("AppendHeader(%d) wrote %d bytes, want %d", lc.length, got, lc.hdrSize)
		}
	}
}

// AppendFrame writes the bytes gobwas/ws writes for the same frame, and what
// it writes reads back through Reader once masked as a client would.
func TestAppendFrameRoundTrip(t *testing.T) {
	for _, lc := range lengthCases {
		for _, op := range []ws.OpCode{ws.OpText, ws.OpBinary, ws.OpPing, ws.OpPong} {
			if op.IsControl() && lc.length > ws.MaxControlFramePayloadSize {
				continue
			}
			t.Run("op="+strconv.Itoa(int(op))+"/len="+strconv.Itoa(lc.length), func(t *testing.T) {
				payload := pattern(lc.length)
				prefix := []byte("keep")
				got := AppendFrame(prefix, op, payload)
				if !bytes.Equal(got[:len(prefix)], prefix) {
					t.Fatal("AppendFrame overwrote dst")
				}
				got = got[len(prefix):]
				want, err := ws.CompileFrame(ws.NewFrame(op, true, payload))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("AppendFrame = % x..., gobwas = % x...", got[:min(len(got), 12)], want[:min(len(want), 12)])
				}
				f, err := ws.ReadFrame(bytes.NewReader(got))
				if err != nil || !f.Header.Fin || f.Header.Masked || f.Header.OpCode != op || !bytes.Equal(f.Payload, payload) {
					t.Fatalf("gobwas reads back %+v, %v", f.Header, err)
				}
				var r Reader
				ev, n, err := r.Next(maskFrame(t, got))
				if err != nil || n != len(got)+4 || ev.Op != op || !bytes.Equal(ev.Payload, payload) {
					t.Fatalf("Reader reads back %v op %d, %d, %v", ev.Kind, ev.Op, n, err)
				}
			})
		}
	}
}

func TestAppendHeaderFragments(t *testing.T) {
	msg := pattern(300)
	var stream []byte
	stream = append(AppendHeader(stream, ws.OpText, false, 100), msg[:100]...)
	stream = append(AppendHeader(stream, ws.OpContinuation, false, 0), msg[100:100]...)
	stream = append(AppendHeader(stream, ws.OpContinuation, true, 200), msg[100:]...)
	var (
		r   Reader
		got []Kind
	)
	for p := stream; len(p) > 0; {
		f := p[:Need(p)]
		ev, _, err := r.Next(maskFrame(t, f))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Kind)
		if ev.Kind == KindMessage && !bytes.Equal(ev.Payload, msg) {
			t.Fatal("reassembled message differs")
		}
		p = p[len(f):]
	}
	if want := []Kind{KindNone, KindNone, KindMessage}; !slices.Equal(got, want) {
		t.Fatalf("kinds %v, want %v", got, want)
	}
}

func TestAppendHeaderNegativeLength(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("AppendHeader(-1) did not panic")
		}
	}()
	AppendHeader(nil, ws.OpText, true, -1)
}

func TestCompiledFrames(t *testing.T) {
	tests := []struct {
		name      string
		got, want []byte
	}{
		{"ping", FramePing, ws.CompiledPing},
		{"pong", FramePong, ws.CompiledPong},
		{"close empty", FrameCloseEmpty, ws.CompiledClose},
		{"close 1000", FrameCloseNormal, ws.CompiledCloseNormalClosure},
		{"close 1001", FrameCloseGoingAway, ws.CompiledCloseGoingAway},
		{"close 1002", FrameCloseProtocolError, ws.CompiledCloseProtocolError},
		{"close 1003", FrameCloseUnsupportedData, ws.CompiledCloseUnsupportedData},
		{"close 1007", FrameCloseInvalidPayload, ws.CompiledCloseInvalidFramePayloadData},
		{"close 1008", FrameClosePolicy, ws.CompiledClosePolicyViolation},
		{"close 1009", FrameCloseTooBig, ws.CompiledCloseMessageTooBig},
		{"close 1011", FrameCloseInternal, ws.CompiledCloseInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Equal(tt.got, tt.want) {
				t.Fatalf("% x, gobwas compiles % x", tt.got, tt.want)
			}
			if cap(tt.got) != len(tt.got) {
				t.Fatalf("cap %d > len %d: an append would write into the shared frame", cap(tt.got), len(tt.got))
			}
		})
	}
}

func TestAppendFrameZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	payload := pattern(65536)
	dst := make([]byte, 0, HeaderSize(len(payload))+len(payload))
	if allocs := testing.AllocsPerRun(100, func() {
		dst = AppendFrame(dst[:0], ws.OpText, payload)
		dst = AppendClose(dst[:0], ws.StatusGoingAway, "shutting down")
	}); allocs != 0 {
		t.Fatalf("%v allocs per run, want 0", allocs)
	}
	// Into a nil dst: header and payload share one allocation.
	if allocs := testing.AllocsPerRun(100, func() {
		dst = AppendFrame(nil, ws.OpText, payload)
	}); allocs != 1 {
		t.Fatalf("%v allocs per run into nil, want 1", allocs)
	}
}

func BenchmarkAppendFrame(b *testing.B) {
	for _, size := range []int{64, 1024, 65536} {
		payload := pattern(size)
		dst := make([]byte, 0, HeaderSize(size)+size)
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendFrame(dst[:0], ws.OpText, payload)
			}
		})
	}
}
