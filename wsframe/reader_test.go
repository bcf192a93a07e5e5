package wsframe

import (
	"bytes"
	"errors"
	"reflect"
	"strconv"
	"testing"

	"github.com/gobwas/ws"
)

func TestReaderSingleFrame(t *testing.T) {
	for _, lc := range lengthCases {
		for _, op := range []ws.OpCode{ws.OpText, ws.OpBinary} {
			t.Run("op="+strconv.Itoa(int(op))+"/len="+strconv.Itoa(lc.length), func(t *testing.T) {
				payload := pattern(lc.length)
				frame := clientFrame(op, true, payload)
				hdr := len(frame) - lc.length
				var r Reader
				// Every split inside the header, and a few inside the payload.
				cuts := []int{hdr, hdr + lc.length/2, len(frame) - 1}
				for i := range hdr {
					cuts = append(cuts, i)
				}
				for _, cut := range cuts {
					if cut < 0 || cut >= len(frame) {
						continue
					}
					ev, n, err := r.Next(frame[:cut])
					if n != 0 || err != nil || ev.Kind != KindNone || ev.Payload != nil {
						t.Fatalf("Next(%d of %d bytes) = %+v, %d, %v; want need more", cut, len(frame), ev.Kind, n, err)
					}
					wantNeed := 0
					if cut >= hdr {
						wantNeed = len(frame)
					}
					if need := Need(frame[:cut]); need != wantNeed {
						t.Fatalf("Need(%d bytes) = %d, want %d", cut, need, wantNeed)
					}
				}
				if !bytes.Equal(frame[hdr:], clientFrame(op, true, payload)[hdr:]) {
					t.Fatal("Next modified b without consuming a frame")
				}
				b := append(frame, 0x81) // the start of the next frame stays
				ev, n, err := r.Next(b)
				if err != nil || n != len(frame) {
					t.Fatalf("Next = %d, %v; want %d", n, err, len(frame))
				}
				if ev.Kind != KindMessage || ev.Op != op || !bytes.Equal(ev.Payload, payload) {
					t.Fatalf("event %v op %d payload %d bytes; want message op %d of %d bytes", ev.Kind, ev.Op, len(ev.Payload), op, len(payload))
				}
				if !bytes.Equal(b[hdr:len(frame)], payload) {
					t.Fatal("payload not unmasked in place")
				}
				if lc.length > 0 && &ev.Payload[0] != &b[hdr] {
					t.Fatal("unfragmented message is a copy, want it to alias b")
				}
				if cap(ev.Payload) != len(ev.Payload) {
					t.Fatalf("payload cap %d > len %d: appending to it would overwrite the next frame", cap(ev.Payload), len(ev.Payload))
				}
			})
		}
	}
}

func TestReaderFragmented(t *testing.T) {
	euro := []byte("€") // 3 bytes, split across fragments below
	tests := []struct {
		name   string
		frames [][]byte
		want   []record
	}{
		{
			name: "text with ping and pong between",
			frames: [][]byte{
				clientFrame(ws.OpText, false, []byte("hel")),
				clientFrame(ws.OpPing, true, []byte("p1")),
				clientFrame(ws.OpContinuation, false, []byte("lo ")),
				clientFrame(ws.OpPong, true, nil),
				clientFrame(ws.OpContinuation, true, []byte("world")),
			},
			want: []record{
				{Kind: KindNone, Op: ws.OpText},
				{Kind: KindPing, Op: ws.OpPing, Payload: "p1"},
				{Kind: KindNone, Op: ws.OpText},
				{Kind: KindPong, Op: ws.OpPong},
				{Kind: KindMessage, Op: ws.OpText, Payload: "hello world"},
			},
		},
		{
			name: "binary then text reusing the buffer",
			frames: [][]byte{
				clientFrame(ws.OpBinary, false, []byte{0xff, 0}),
				clientFrame(ws.OpContinuation, true, []byte{0xfe}),
				clientFrame(ws.OpText, false, []byte("a")),
				clientFrame(ws.OpContinuation, true, []byte("b")),
			},
			want: []record{
				{Kind: KindNone, Op: ws.OpBinary},
				{Kind: KindMessage, Op: ws.OpBinary, Payload: "\xff\x00\xfe"},
				{Kind: KindNone, Op: ws.OpText},
				{Kind: KindMessage, Op: ws.OpText, Payload: "ab"},
			},
		},
		{
			name: "rune split across fragments",
			frames: [][]byte{
				clientFrame(ws.OpText, false, euro[:1]),
				clientFrame(ws.OpContinuation, false, euro[1:2]),
				clientFrame(ws.OpContinuation, true, euro[2:]),
			},
			want: []record{
				{Kind: KindNone, Op: ws.OpText},
				{Kind: KindNone, Op: ws.OpText},
				{Kind: KindMessage, Op: ws.OpText, Payload: "€"},
			},
		},
		{
			name: "empty fragments",
			frames: [][]byte{
				clientFrame(ws.OpText, false, nil),
				clientFrame(ws.OpContinuation, false, nil),
				clientFrame(ws.OpContinuation, true, nil),
				clientFrame(ws.OpText, true, nil),
			},
			want: []record{
				{Kind: KindNone, Op: ws.OpText},
				{Kind: KindNone, Op: ws.OpText},
				{Kind: KindMessage, Op: ws.OpText},
				{Kind: KindMessage, Op: ws.OpText},
			},
		},
		{
			name: "close between fragments",
			frames: [][]byte{
				clientFrame(ws.OpBinary, false, []byte("x")),
				clientFrame(ws.OpClose, true, ws.NewCloseFrameBody(ws.StatusGoingAway, "bye")),
			},
			want: []record{
				{Kind: KindNone, Op: ws.OpBinary},
				{Kind: KindClose, Op: ws.OpClose, Payload: "bye", Code: ws.StatusGoingAway},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream := concat(tt.frames...)
			for _, sizes := range [][]int{nil, {1}, {2, 5}, {7, 3, 11}} {
				var r Reader
				if got := readAll(t, &r, stream, sizes); !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("chunks %v:\n got %+v\nwant %+v", sizes, got, tt.want)
				}
			}
		})
	}
}

// violation is a stream whose last frame breaks the protocol.
type violation struct {
	name   string
	reader Reader
	before [][]byte // frames accepted first
	frame  []byte
	want   *CloseError
}

func violations() []violation {
	open := [][]byte{clientFrame(ws.OpText, false, []byte("a"))}
	vs := []violation{
		{name: "unmasked", frame: rawFrame(ws.Header{Fin: true, OpCode: ws.OpText, Length: 2}, []byte("hi")), want: ErrUnmasked},
		{name: "unmasked ping", frame: rawFrame(ws.Header{Fin: true, OpCode: ws.OpPing}, nil), want: ErrUnmasked},
		{name: "control payload 126", frame: clientFrame(ws.OpPing, true, make([]byte, 126)), want: ErrControlTooLong},
		{name: "close payload 126", frame: clientFrame(ws.OpClose, true, pattern(126)), want: ErrControlTooLong},
		{name: "ping not final", frame: clientFrame(ws.OpPing, false, nil), want: ErrControlFragmented},
		{name: "close not final", frame: clientFrame(ws.OpClose, false, nil), want: ErrControlFragmented},
		{name: "continuation without start", frame: clientFrame(ws.OpContinuation, true, []byte("x")), want: ErrUnexpectedContinuation},
		{name: "continuation after complete message", before: [][]byte{clientFrame(ws.OpText, true, nil)}, frame: clientFrame(ws.OpContinuation, false, nil), want: ErrUnexpectedContinuation},
		{name: "text inside fragmented message", before: open, frame: clientFrame(ws.OpText, true, []byte("b")), want: ErrExpectedContinuation},
		{name: "binary inside fragmented message", before: open, frame: clientFrame(ws.OpBinary, false, nil), want: ErrExpectedContinuation},
		{name: "close body 1 byte", frame: clientFrame(ws.OpClose, true, []byte{3}), want: ErrCloseBodyTooShort},
		{name: "invalid utf8 text", frame: clientFrame(ws.OpText, true, []byte("ok\xff")), want: ErrInvalidUTF8},
		{name: "truncated rune", frame: clientFrame(ws.OpText, true, []byte("€")[:2]), want: ErrInvalidUTF8},
		{name: "surrogate", frame: clientFrame(ws.OpText, true, []byte("\xed\xa0\x80")), want: ErrInvalidUTF8},
		{name: "invalid utf8 fragmented", before: open, frame: clientFrame(ws.OpContinuation, true, []byte{0xc0, 0xaf}), want: ErrInvalidUTF8},
		{name: "invalid utf8 close reason", frame: clientFrame(ws.OpClose, true, append(ws.NewCloseFrameBody(1000, ""), 0xff)), want: ErrCloseReasonUTF8},
		{name: "64-bit length MSB", frame: []byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, want: ErrLengthOverflow},
		{name: "length beyond int, no limit", frame: []byte{0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}, want: ErrMessageTooBig},
		{name: "too big single", reader: Reader{MaxMessageSize: 10}, frame: clientFrame(ws.OpBinary, true, make([]byte, 11)), want: ErrMessageTooBig},
		{name: "too big fragment", reader: Reader{MaxMessageSize: 10}, frame: clientFrame(ws.OpText, false, pattern(11)), want: ErrMessageTooBig},
		{name: "too big fragment sum", reader: Reader{MaxMessageSize: 10}, before: [][]byte{
			clientFrame(ws.OpBinary, false, make([]byte, 6)),
			clientFrame(ws.OpContinuation, false, make([]byte, 4)),
		}, frame: clientFrame(ws.OpContinuation, true, []byte{1}), want: ErrMessageTooBig},
	}
	for _, rsv := range []byte{ws.Rsv(true, false, false), ws.Rsv(false, true, false), ws.Rsv(false, false, true)} {
		vs = append(vs, violation{
			name:  "rsv " + strconv.Itoa(int(rsv)),
			frame: rawFrame(ws.Header{Fin: true, Rsv: rsv, OpCode: ws.OpText, Masked: true, Mask: testMask}, nil),
			want:  ErrReservedBits,
		})
	}
	for _, op := range []ws.OpCode{3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf} {
		vs = append(vs, violation{
			name:  "opcode " + strconv.Itoa(int(op)),
			frame: clientFrame(op, true, nil),
			want:  ErrReservedOpCode,
		})
	}
	for _, code := range []ws.StatusCode{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		vs = append(vs, violation{
			name:  "close code " + strconv.Itoa(int(code)),
			frame: clientFrame(ws.OpClose, true, ws.NewCloseFrameBody(code, "")),
			want:  ErrCloseCode,
		})
	}
	return vs
}

func TestReaderViolations(t *testing.T) {
	wantCode := map[*CloseError]ws.StatusCode{
		ErrInvalidUTF8: 1007, ErrCloseReasonUTF8: 1007, ErrMessageTooBig: 1009,
	}
	for _, v := range violations() {
		t.Run(v.name, func(t *testing.T) {
			r := v.reader
			for i, f := range v.before {
				if _, n, err := r.Next(f); n != len(f) || err != nil {
					t.Fatalf("frame %d before: Next = %d, %v", i, n, err)
				}
			}
			ev, n, err := r.Next(v.frame)
			if !errors.Is(err, v.want) {
				t.Fatalf("Next = %v, %d, %v; want %v", ev.Kind, n, err, v.want)
			}
			code := ws.StatusProtocolError
			if c, ok := wantCode[v.want]; ok {
				code = c
			}
			if got := closeCode(t, err); got != code {
				t.Fatalf("close code %d, want %d", got, code)
			}
		})
	}
}

// A violation visible in the header is reported before the payload arrives,
// so the caller never buffers the frame.
func TestReaderRejectsFromHeader(t *testing.T) {
	for _, v := range violations() {
		h, hn, err := ParseHeader(v.frame)
		if err != nil || h.Length == 0 || v.want == ErrInvalidUTF8 || v.want == ErrCloseReasonUTF8 ||
			v.want == ErrCloseBodyTooShort || v.want == ErrCloseCode {
			continue // no payload to hold back, or found only in the payload
		}
		t.Run(v.name, func(t *testing.T) {
			r := v.reader
			for _, f := range v.before {
				r.Next(f)
			}
			if _, _, err := r.Next(v.frame[:hn]); !errors.Is(err, v.want) {
				t.Fatalf("Next(header only) = %v, want %v", err, v.want)
			}
		})
	}
}

func TestReaderMaxMessageSize(t *testing.T) {
	const limit = 1000
	big := clientFrame(ws.OpBinary, true, make([]byte, 1<<20))
	hdr := len(big) - 1<<20
	r := Reader{MaxMessageSize: limit}
	if _, _, err := r.Next(big[:hdr]); !errors.Is(err, ErrMessageTooBig) {
		t.Fatalf("1 MiB frame header against %d: %v, want ErrMessageTooBig", limit, err)
	}
	tests := []struct {
		name   string
		frames [][]byte
		want   []record
	}{
		{"single at limit", [][]byte{clientFrame(ws.OpText, true, pattern(limit))},
			[]record{{Kind: KindMessage, Op: ws.OpText, Payload: string(pattern(limit))}}},
		{"single over", [][]byte{clientFrame(ws.OpText, true, pattern(limit+1))},
			[]record{{Err: 1009}}},
		{"fragments at limit, controls not counted", [][]byte{
			clientFrame(ws.OpBinary, false, make([]byte, limit-1)),
			clientFrame(ws.OpPing, true, pattern(125)),
			clientFrame(ws.OpContinuation, true, []byte{0}),
		}, []record{
			{Kind: KindNone, Op: ws.OpBinary},
			{Kind: KindPing, Op: ws.OpPing, Payload: string(pattern(125))},
			{Kind: KindMessage, Op: ws.OpBinary, Payload: string(make([]byte, limit))},
		}},
		{"fragment sum over", [][]byte{
			clientFrame(ws.OpBinary, false, make([]byte, limit-1)),
			clientFrame(ws.OpContinuation, false, nil),
			clientFrame(ws.OpContinuation, true, []byte{0, 0}),
		}, []record{
			{Kind: KindNone, Op: ws.OpBinary},
			{Kind: KindNone, Op: ws.OpBinary},
			{Err: 1009},
		}},
		{"limit applies per message", [][]byte{
			clientFrame(ws.OpBinary, false, make([]byte, limit)),
			clientFrame(ws.OpContinuation, true, nil),
			clientFrame(ws.OpText, false, pattern(limit)),
			clientFrame(ws.OpContinuation, true, nil),
		}, []record{
			{Kind: KindNone, Op: ws.OpBinary},
			{Kind: KindMessage, Op: ws.OpBinary, Payload: string(make([]byte, limit))},
			{Kind: KindNone, Op: ws.OpText},
			{Kind: KindMessage, Op: ws.OpText, Payload: string(pattern(limit))},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Reader{MaxMessageSize: limit}
			if got := readAll(t, &r, concat(tt.frames...), []int{97}); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReaderClose(t *testing.T) {
	long := string(pattern(123))
	tests := []struct {
		name     string
		body     []byte
		wantCode ws.StatusCode
		reason   string
		err      ws.StatusCode
	}{
		{name: "empty", body: nil, wantCode: ws.StatusNoStatusRcvd},
		{name: "1 byte", body: []byte{0x03}, err: 1002},
		{name: "normal", body: ws.NewCloseFrameBody(1000, ""), wantCode: 1000},
		{name: "going away with reason", body: ws.NewCloseFrameBody(1001, "bye €"), wantCode: 1001, reason: "bye €"},
		{name: "longest reason", body: ws.NewCloseFrameBody(1000, long), wantCode: 1000, reason: long},
		{name: "3000", body: ws.NewCloseFrameBody(3000, ""), wantCode: 3000},
		{name: "3999", body: ws.NewCloseFrameBody(3999, "x"), wantCode: 3999, reason: "x"},
		{name: "4000", body: ws.NewCloseFrameBody(4000, ""), wantCode: 4000},
		{name: "4999", body: ws.NewCloseFrameBody(4999, ""), wantCode: 4999},
		{name: "1011", body: ws.NewCloseFrameBody(1011, ""), wantCode: 1011},
		{name: "invalid utf8 reason", body: ws.NewCloseFrameBody(1000, "a\xc3"), err: 1007},
	}
	for _, code := range []ws.StatusCode{999, 1004, 1005, 1006, 1015, 1100, 2999} {
		tests = append(tests, struct {
			name     string
			body     []byte
			wantCode ws.StatusCode
			reason   string
			err      ws.StatusCode
		}{name: "code " + strconv.Itoa(int(code)), body: ws.NewCloseFrameBody(code, ""), err: 1002})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Reader
			frame := clientFrame(ws.OpClose, true, tt.body)
			ev, n, err := r.Next(frame)
			if code := closeCode(t, err); code != tt.err {
				t.Fatalf("error %v, want close %d", err, tt.err)
			}
			if tt.err != 0 {
				return
			}
			if n != len(frame) || ev.Kind != KindClose || ev.Code != tt.wantCode || string(ev.Payload) != tt.reason {
				t.Fatalf("Next = %v code %d reason %q, %d; want close %d %q, %d", ev.Kind, ev.Code, ev.Payload, n, tt.wantCode, tt.reason, len(frame))
			}
		})
	}
}

func TestReaderSkipUTF8Check(t *testing.T) {
	r := Reader{SkipUTF8Check: true}
	bad := []byte("\xff\xfe")
	frame := clientFrame(ws.OpText, true, bad)
	ev, n, err := r.Next(frame)
	if err != nil || n != len(frame) || !bytes.Equal(ev.Payload, bad) {
		t.Fatalf("Next = %q, %d, %v; want the invalid text delivered", ev.Payload, n, err)
	}
	// Close reasons are checked anyway.
	frame = clientFrame(ws.OpClose, true, append(ws.NewCloseFrameBody(1000, ""), bad...))
	if _, _, err := r.Next(frame); !errors.Is(err, ErrCloseReasonUTF8) {
		t.Fatalf("close with bad reason: %v, want ErrCloseReasonUTF8", err)
	}
}

func TestReaderReset(t *testing.T) {
	var r Reader
	if _, _, err := r.Next(clientFrame(ws.OpText, false, []byte("part"))); err != nil {
		t.Fatal(err)
	}
	r.Reset()
	if r.buf != nil {
		t.Fatal("Reset kept the assembly buffer")
	}
	if _, _, err := r.Next(clientFrame(ws.OpContinuation, true, nil)); !errors.Is(err, ErrUnexpectedContinuation) {
		t.Fatalf("continuation after Reset: %v, want ErrUnexpectedContinuation", err)
	}
	r.Reset()
	ev, _, err := r.Next(clientFrame(ws.OpBinary, true, []byte("new")))
	if err != nil || ev.Kind != KindMessage || string(ev.Payload) != "new" {
		t.Fatalf("message after Reset: %+v, %v", ev, err)
	}
}

// The same bytes give the same events however they are split.
func TestReaderChunking(t *testing.T) {
	var frames [][]byte
	for _, lc := range lengthCases[:6] {
		frames = append(frames,
			clientFrame(ws.OpText, true, pattern(lc.length)),
			clientFrame(ws.OpBinary, false, pattern(lc.length/2)),
			clientFrame(ws.OpPing, true, pattern(min(lc.length, 125))),
			clientFrame(ws.OpContinuation, true, pattern(lc.length-lc.length/2)),
		)
	}
	frames = append(frames, clientFrame(ws.OpClose, true, ws.NewCloseFrameBody(1000, "done")))
	stream := concat(frames...)
	var r Reader
	want := readAll(t, &r, stream, nil)
	if len(want) != len(frames) || want[len(want)-1].Kind != KindClose {
		t.Fatalf("whole stream: %d events, want %d ending with close", len(want), len(frames))
	}
	for _, sizes := range [][]int{{1}, {2}, {3, 1}, {13}, {125}, {126, 4}, {4096}, {65537}} {
		r.Reset()
		if got := readAll(t, &r, stream, sizes); !reflect.DeepEqual(got, want) {
			t.Fatalf("chunks %v: events differ from reading the whole stream", sizes)
		}
	}
}

func TestReaderZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	streams := map[string][]byte{
		"text":   clientFrame(ws.OpText, true, pattern(1024)),
		"binary": clientFrame(ws.OpBinary, true, pattern(65536)),
		"ping":   clientFrame(ws.OpPing, true, []byte("p")),
		"close":  clientFrame(ws.OpClose, true, ws.NewCloseFrameBody(1000, "bye")),
		// Once its assembly buffer has grown, a Reader assembles without
		// allocating either.
		"fragmented": concat(clientFrame(ws.OpText, false, pattern(100)), clientFrame(ws.OpContinuation, true, pattern(100))),
	}
	for name, stream := range streams {
		var r Reader
		work := make([]byte, len(stream))
		allocs := testing.AllocsPerRun(100, func() {
			copy(work, stream) // masked again
			for p := work; len(p) > 0; {
				_, n, err := r.Next(p)
				if n == 0 || err != nil {
					t.Fatalf("%s: Next = %d, %v", name, n, err)
				}
				p = p[n:]
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, allocs)
		}
	}
}

func BenchmarkReaderNext(b *testing.B) {
	for _, op := range []ws.OpCode{ws.OpBinary, ws.OpText} {
		for _, size := range []int{64, 1024, 65536} {
			// The ASCII payload stays ASCII under the mask, so running Next
			// on the same bytes over and over alternates between masked and
			// unmasked text, both valid.
			mask := [4]byte{1, 2, 3, 4}
			frame := rawFrame(ws.Header{Fin: true, OpCode: op, Masked: true, Mask: mask, Length: int64(size)}, pattern(size))
			name := "binary"
			if op == ws.OpText {
				name = "text"
			}
			b.Run(name+"/size="+strconv.Itoa(size), func(b *testing.B) {
				var r Reader
				b.SetBytes(int64(len(frame)))
				b.ReportAllocs()
				for b.Loop() {
					if ev, n, err := r.Next(frame); n != len(frame) || err != nil || ev.Kind != KindMessage {
						b.Fatal(n, err)
					}
				}
			})
		}
	}
}

func BenchmarkReaderNextFragmented(b *testing.B) {
	for _, size := range []int{1024, 65536} {
		stream := concat(
			clientFrame(ws.OpBinary, false, make([]byte, size/4)),
			clientFrame(ws.OpContinuation, false, make([]byte, size/4)),
			clientFrame(ws.OpContinuation, false, make([]byte, size/4)),
			clientFrame(ws.OpContinuation, true, make([]byte, size/4)),
		)
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			var r Reader
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			for b.Loop() {
				for p := stream; len(p) > 0; {
					_, n, err := r.Next(p)
					if n == 0 || err != nil {
						b.Fatal(n, err)
					}
					p = p[n:]
				}
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindNone: "none", KindMessage: "message", KindPing: "ping", KindPong: "pong", KindClose: "close", 9: "kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}
