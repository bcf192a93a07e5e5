package wsframe

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

func TestAppendClose(t *testing.T) {
	tests := []struct {
		name       string
		code       ws.StatusCode
		reason     string
		wantCode   ws.StatusCode // as the Reader sees it
		wantReason string
	}{
		{"normal", 1000, "", 1000, ""},
		{"with reason", 1001, "server shutdown", 1001, "server shutdown"},
		{"private code", 4321, "x", 4321, "x"},
		{"reason at limit", 1000, strings.Repeat("r", 123), 1000, strings.Repeat("r", 123)},
		{"reason truncated", 1008, strings.Repeat("r", 200), 1008, strings.Repeat("r", 123)},
		// 61 two-byte runes fill 122 bytes; the 62nd would end at byte 124.
		{"truncated at a rune start", 1000, strings.Repeat("é", 70), 1000, strings.Repeat("é", 61)},
		{"zero code", 0, "dropped", ws.StatusNoStatusRcvd, ""},
		{"1005 echoed empty", ws.StatusNoStatusRcvd, "", ws.StatusNoStatusRcvd, ""},
		{"1006 never sent", ws.StatusAbnormalClosure, "", ws.StatusNoStatusRcvd, ""},
		{"1015 never sent", ws.StatusTLSHandshake, "", ws.StatusNoStatusRcvd, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame := AppendClose(nil, tt.code, tt.reason)
			if len(frame) > 2+ws.MaxControlFramePayloadSize {
				t.Fatalf("close frame of %d bytes, over the control frame limit", len(frame))
			}
			var r Reader
			ev, _, err := r.Next(maskFrame(t, frame))
			if err != nil || ev.Kind != KindClose || ev.Code != tt.wantCode || string(ev.Payload) != tt.wantReason {
				t.Fatalf("Reader reads %v code %d reason %q, %v; want code %d reason %q", ev.Kind, ev.Code, ev.Payload, err, tt.wantCode, tt.wantReason)
			}
			if !utf8.Valid(ev.Payload) {
				t.Fatal("reason no longer valid UTF-8")
			}
		})
	}
}

func TestCloseFrameFor(t *testing.T) {
	shared := map[ws.StatusCode][]byte{
		0: FrameCloseEmpty, 1005: FrameCloseEmpty, 1006: FrameCloseEmpty, 1015: FrameCloseEmpty,
		1000: FrameCloseNormal, 1001: FrameCloseGoingAway, 1002: FrameCloseProtocolError,
		1003: FrameCloseUnsupportedData, 1007: FrameCloseInvalidPayload, 1008: FrameClosePolicy,
		1009: FrameCloseTooBig, 1011: FrameCloseInternal,
	}
	for _, code := range []ws.StatusCode{0, 1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1015, 3000, 4999} {
		got := CloseFrameFor(code)
		want := AppendClose(nil, code, "")
		if string(got) != string(want) {
			t.Errorf("CloseFrameFor(%d) = % x, want % x", code, got, want)
		}
		if s, ok := shared[code]; ok && &got[0] != &s[0] {
			t.Errorf("CloseFrameFor(%d) is a new slice, want the shared frame", code)
		}
	}
}

func TestCloseErrorMessage(t *testing.T) {
	if got, want := ErrMessageTooBig.Error(), "wsframe: message too big (close 1009)"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

// Every error Next can return maps to a frame the peer accepts.
func TestCloseErrorFrames(t *testing.T) {
	for _, v := range violations() {
		ce := v.want
		var r Reader
		ev, _, err := r.Next(maskFrame(t, CloseFrameFor(ce.Code)))
		if err != nil || ev.Code != ce.Code {
			t.Errorf("%s: close frame for %d reads as %d, %v", v.name, ce.Code, ev.Code, err)
		}
	}
}
