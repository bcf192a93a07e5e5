package sio

import (
	"errors"
	"slices"
	"testing"
	"unsafe"
)

// msg is one Engine.IO message fed to an Assembler.
type msg struct {
	text string // a Socket.IO packet, when bin is nil
	bin  []byte
	done bool  // the packet completes here
	atts int   // ... with this many attachments
	err  error // expected error, matched with errors.Is; errDecode for any *DecodeError
}

var errDecode = errors.New("a *DecodeError")

func TestAssembler(t *testing.T) {
	const binEvent = `52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`
	for name, msgs := range map[string][]msg{
		"text": {
			{text: `2["a"]`, done: true},
			{text: `0`, done: true},
		},
		"conformance binary": {
			{text: binEvent},
			{bin: []byte{1, 2, 3}},
			{bin: []byte{4, 5, 6}, done: true, atts: 2},
			{text: `2["after"]`, done: true},
		},
		"binary ack": {
			{text: `62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`},
			{bin: []byte{1}},
			{bin: []byte{2}, done: true, atts: 2},
		},
		"zero attachments": {
			{text: `50-["x"]`, done: true},
		},
		"binary before header": {
			{bin: []byte{1}, err: ErrUnexpectedBinary},
			{text: `2["a"]`, done: true},
		},
		"extra binary": {
			{text: `51-["x",{"_placeholder":true,"num":0}]`},
			{bin: []byte{1}, done: true, atts: 1},
			{bin: []byte{2}, err: ErrUnexpectedBinary},
		},
		"text while pending": {
			{text: binEvent},
			{bin: []byte{1}},
			{text: `2["a"]`, err: ErrAttachmentsPending},
			// The pending packet was dropped: its last attachment is stray now.
			{bin: []byte{2}, err: ErrUnexpectedBinary},
			{text: `2["a"]`, done: true},
		},
		"header while pending": {
			{text: binEvent},
			{text: binEvent, err: ErrAttachmentsPending},
			{text: binEvent},
			{bin: []byte{7}},
			{bin: []byte{8}, done: true, atts: 2},
		},
		"invalid header": {
			{text: `53-["x"]`, err: errDecode}, // fine, but over the limit of 2
			{bin: []byte{1}, err: ErrUnexpectedBinary},
			{text: `5-["x"]`, err: errDecode},
			{text: `2["a"]`, done: true},
		},
	} {
		t.Run(name, func(t *testing.T) {
			var a Assembler
			var sent [][]byte
			for i, m := range msgs {
				var (
					p    Packet
					atts [][]byte
					done bool
					err  error
				)
				if m.bin != nil {
					sent = append(sent, m.bin)
					p, atts, done, err = a.AddBinary(m.bin)
				} else {
					sent = nil
					p, atts, done, err = a.AddText([]byte(m.text), 2)
				}
				switch {
				case m.err == errDecode:
					var de *DecodeError
					if !errors.As(err, &de) {
						t.Fatalf("message %d: err = %v, want a *DecodeError", i, err)
					}
				case !errors.Is(err, m.err):
					t.Fatalf("message %d: err = %v, want %v", i, err, m.err)
				}
				if done != m.done {
					t.Fatalf("message %d: done = %v, want %v", i, done, m.done)
				}
				if !done {
					if p.Data != nil || atts != nil {
						t.Fatalf("message %d: unfinished packet returned %+v, %q", i, p, atts)
					}
					continue
				}
				if a.Pending() != 0 {
					t.Errorf("message %d: Pending() = %d after a complete packet", i, a.Pending())
				}
				if len(atts) != m.atts || p.Attachments != m.atts {
					t.Fatalf("message %d: %d attachments for a packet of %d, want %d", i, len(atts), p.Attachments, m.atts)
				}
				if m.atts > 0 {
					if !slices.EqualFunc(atts, sent, func(a, b []byte) bool { return &a[0] == &b[0] }) {
						t.Errorf("message %d: attachments are not the slices given, in order", i)
					}
				}
			}
		})
	}
}

func TestAssemblerPending(t *testing.T) {
	var a Assembler
	a.AddText([]byte(`53-["x"]`), 0)
	a.AddBinary([]byte{1})
	if got := a.Pending(); got != 2 {
		t.Errorf("Pending() = %d, want 2", got)
	}
	a.Reset()
	if got := a.Pending(); got != 0 {
		t.Errorf("Pending() after Reset = %d, want 0", got)
	}
	if _, _, _, err := a.AddBinary([]byte{1}); !errors.Is(err, ErrUnexpectedBinary) {
		t.Errorf("AddBinary after Reset: %v", err)
	}
}

// A huge announced count must not be allocated up front.
func TestAssemblerHugeCount(t *testing.T) {
	var a Assembler
	if _, _, _, err := a.AddText([]byte(`52147483647-["x"]`), 0); err != nil {
		t.Fatal(err)
	}
	if c := cap(a.pending.atts); c > 16 {
		t.Errorf("attachment slice allocated with capacity %d", c)
	}
}

// An idle connection's Assembler is one pointer.
func TestAssemblerSize(t *testing.T) {
	if n := unsafe.Sizeof(Assembler{}); n != unsafe.Sizeof(uintptr(0)) {
		t.Errorf("Assembler is %d bytes, want one pointer", n)
	}
}
