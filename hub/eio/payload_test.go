package eio_test

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/siogate/siogate/hub/eio"
)

var payloadCases = []struct {
	name string
	pkts []eio.Packet
}{
	// The protocol README and the conformance echo test.
	{"text_and_binary", []eio.Packet{text(eio.Message, "hello"), binary(1, 2, 3, 4)}},
	{"spec_text", []eio.Packet{text(eio.Message, "hello"), text(eio.Ping, ""), text(eio.Message, "world")}},
	{"single_text", []eio.Packet{text(eio.Message, "hello")}},
	{"all_types", []eio.Packet{
		text(eio.Open, ""), text(eio.Close, ""), text(eio.Ping, ""), text(eio.Pong, ""),
		text(eio.Message, ""), text(eio.Upgrade, ""), text(eio.Noop, ""),
	}},
	{"empty_messages", []eio.Packet{text(eio.Message, ""), text(eio.Message, ""), text(eio.Message, "")}},
	{"unicode", []eio.Packet{text(eio.Message, "hello"), text(eio.Message, "€€€"), text(eio.Message, "世界 😀")}},
	{"binary_only", []eio.Packet{binary(1, 2, 3)}},
	{"binary_padding", []eio.Packet{binary(), binary(0), binary(0, 1), binary(0, 1, 2), binary(0xff, 0xfe, 0xfd, 0x1e)}},
	{"socketio_binary_event", []eio.Packet{
		text(eio.Message, `451-["message",{"_placeholder":true,"num":0}]`), binary(1, 2, 3),
	}},
	{"open_then_message", []eio.Packet{
		text(eio.Open, `{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}`),
		text(eio.Message, `0{"sid":"x"}`),
	}},
	{"close_after_data", []eio.Packet{text(eio.Message, "bye"), text(eio.Close, "")}},
}

func TestPayloadGolden(t *testing.T) {
	var got []goldenCase
	for _, c := range payloadCases {
		got = append(got, goldenCase{c.name, eio.AppendPayload(nil, c.pkts)})
	}
	golden := checkGolden(t, "payloads.golden", got)

	for _, c := range payloadCases {
		t.Run(c.name, func(t *testing.T) {
			wire := golden[c.name]
			pkts, err := eio.DecodePayload(wire, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !samePackets(pkts, c.pkts) {
				t.Errorf("decoded %+v, want %+v", pkts, c.pkts)
			}
			if _, err := eio.DecodePayload(wire, len(c.pkts)); err != nil {
				t.Errorf("maxPackets=%d: %v", len(c.pkts), err)
			}
			if len(c.pkts) > 1 {
				if _, err := eio.DecodePayload(wire, len(c.pkts)-1); !errors.Is(err, eio.ErrTooManyPackets) {
					t.Errorf("maxPackets=%d: got %v, want ErrTooManyPackets", len(c.pkts)-1, err)
				}
			}

			// Built one packet at a time, the body is the same.
			var inc []byte
			for i, p := range c.pkts {
				inc = eio.AppendPayloadPacket(inc, p, i == 0)
			}
			if !bytes.Equal(inc, wire) {
				t.Errorf("AppendPayloadPacket built %q, want %q", inc, wire)
			}
		})
	}
}

func TestDecodePayloadErrors(t *testing.T) {
	for _, c := range []struct {
		in     string
		offset int
		reason string
	}{
		{"", 0, "empty payload"},
		{"abc", 0, "invalid packet type"},
		{"7x", 0, "invalid packet type"},
		{"4hello\x1e8", 7, "invalid packet type"},
		{"4a\x1e4b\x1ex", 6, "invalid packet type"},
		{"4a\x1e\x1e4b", 3, "empty packet"},
		{"4a\x1e", 3, "empty packet"},    // trailing separator
		{"\x1e4a", 0, "empty packet"},    // leading separator
		{"\x1e", 0, "empty packet"},      // separator alone
		{"bAQI", 1, "invalid base64"},    // missing padding
		{"bAQIDBA", 5, "invalid base64"}, // incomplete final quantum
		{"4a\x1ebAQIDBA=", 11, "invalid base64"},
		{"4a\x1eb*QID", 4, "invalid base64"},
		{"bAQ=D", 3, "invalid base64"},
		{"bAQIDBA==AQID", 9, "invalid base64"}, // data after the padding
		{"b====", 1, "invalid base64"},
		{"bAQID\x1e4ok\x1eb!", 11, "invalid base64"},
	} {
		t.Run(strconv.Quote(c.in), func(t *testing.T) {
			pkts, err := eio.DecodePayload([]byte(c.in), 0)
			de, ok := errors.AsType[*eio.DecodeError](err)
			if !ok {
				t.Fatalf("got %+v, %v; want a *DecodeError", pkts, err)
			}
			if pkts != nil {
				t.Errorf("got packets %+v with the error", pkts)
			}
			if de.Offset != c.offset || de.Reason != c.reason {
				t.Errorf("got %q at %d, want %q at %d", de.Reason, de.Offset, c.reason, c.offset)
			}
		})
	}
}

func TestDecodePayloadMaxPackets(t *testing.T) {
	body := []byte("4a\x1e4b\x1e4c")
	for _, c := range []struct {
		max int
		ok  bool
	}{{-1, true}, {0, true}, {1, false}, {2, false}, {3, true}, {4, true}} {
		pkts, err := eio.DecodePayload(body, c.max)
		if c.ok && (err != nil || len(pkts) != 3) {
			t.Errorf("max %d: %d packets, %v", c.max, len(pkts), err)
		}
		if !c.ok && err != eio.ErrTooManyPackets {
			t.Errorf("max %d: got %v, want ErrTooManyPackets", c.max, err)
		}
	}
	// The limit applies before anything is decoded, even bad elements.
	if _, err := eio.DecodePayload([]byte("x\x1ex"), 1); err != eio.ErrTooManyPackets {
		t.Errorf("got %v, want ErrTooManyPackets", err)
	}
}

func TestDecodePayloadOwnership(t *testing.T) {
	body := []byte("4hello\x1ebAQIDBA==")
	pkts, err := eio.DecodePayload(body, 0)
	if err != nil {
		t.Fatal(err)
	}
	body[1] = 'j'
	if string(pkts[0].Data) != "jello" {
		t.Errorf("text Data %q does not alias the body", pkts[0].Data)
	}
	for i := range body {
		body[i] = 0
	}
	if !bytes.Equal(pkts[1].Data, []byte{1, 2, 3, 4}) {
		t.Errorf("binary Data %v changed with the body", pkts[1].Data)
	}
}

func TestAppendPayloadEmpty(t *testing.T) {
	if got := eio.AppendPayload([]byte("x"), nil); string(got) != "x" {
		t.Errorf("got %q", got)
	}
}

func TestPayloadZeroAllocs(t *testing.T) {
	pkts := payloadCases[0].pkts // text and binary
	dst := make([]byte, 0, 256)
	for name, f := range map[string]func(){
		"AppendPayload":       func() { _ = eio.AppendPayload(dst[:0], pkts) },
		"AppendPayloadPacket": func() { _ = eio.AppendPayloadPacket(dst[:0], pkts[1], false) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs, want 0", name, n)
		}
	}
	// One allocation for the packet slice, one per binary packet.
	body := eio.AppendPayload(nil, pkts)
	if n := testing.AllocsPerRun(100, func() { _, _ = eio.DecodePayload(body, 0) }); n != 2 {
		t.Errorf("DecodePayload: %v allocs, want 2", n)
	}
}

// FuzzDecodePayload decodes a polling body; what decodes must encode to a body
// that decodes to the same packets, and encode again to the same bytes.
func FuzzDecodePayload(f *testing.F) {
	sep := []byte{eio.Separator}
	f.Fuzz(func(t *testing.T, body []byte) {
		pkts, err := eio.DecodePayload(body, 0)
		if err != nil {
			de, ok := errors.AsType[*eio.DecodeError](err)
			if !ok || de.Offset < 0 || de.Offset > len(body) {
				t.Fatalf("DecodePayload(%q): unexpected error %v", body, err)
			}
			return
		}
		if n := bytes.Count(body, sep) + 1; len(pkts) != n {
			t.Fatalf("DecodePayload(%q): %d packets, want %d", body, len(pkts), n)
		}
		enc := eio.AppendPayload(nil, pkts)
		again, err := eio.DecodePayload(enc, len(pkts))
		if err != nil || !samePackets(pkts, again) {
			t.Fatalf("DecodePayload(%q) = %+v; re-encoded %q decodes to %+v, %v", body, pkts, enc, again, err)
		}
		if enc2 := eio.AppendPayload(nil, again); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable: %q then %q", enc, enc2)
		}
	})
}

func BenchmarkDecodePayload(b *testing.B) {
	for _, bin := range []bool{false, true} {
		for _, n := range []int{1, 16, 256} {
			pkts := make([]eio.Packet, n)
			for i := range pkts {
				pkts[i] = text(eio.Message, `2["chat",{"text":"hello world"}]`)
				if bin {
					pkts[i] = binary(bytes.Repeat([]byte{1, 2, 3}, 10)...)
				}
			}
			body := eio.AppendPayload(nil, pkts)
			b.Run(fmt.Sprintf("binary=%v/packets=%d", bin, n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					if _, err := eio.DecodePayload(body, 0); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkAppendPayload(b *testing.B) {
	for _, bin := range []bool{false, true} {
		for _, n := range []int{1, 16, 256} {
			pkts := make([]eio.Packet, n)
			for i := range pkts {
				pkts[i] = text(eio.Message, `2["chat",{"text":"hello world"}]`)
				if bin {
					pkts[i] = binary(bytes.Repeat([]byte{1, 2, 3}, 10)...)
				}
			}
			dst := eio.AppendPayload(nil, pkts)
			b.Run(fmt.Sprintf("binary=%v/packets=%d", bin, n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(dst)))
				for b.Loop() {
					dst = eio.AppendPayload(dst[:0], pkts)
				}
			})
		}
	}
}

func ExampleDecodePayload() {
	pkts, err := eio.DecodePayload([]byte("4hello\x1ebAQIDBA==\x1e1"), 16)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range pkts {
		fmt.Printf("%v binary=%v %q\n", p.Type, p.Binary, p.Data)
	}
	_, err = eio.DecodePayload([]byte("4a\x1e\x1e4b"), 16)
	fmt.Println(err)
	// Output:
	// message binary=false "hello"
	// message binary=true "\x01\x02\x03\x04"
	// close binary=false ""
	// eio: empty packet at offset 3
}

func ExampleAppendPayload() {
	body := eio.AppendPayload(nil, []eio.Packet{
		{Type: eio.Message, Data: []byte("hello")},
		{Type: eio.Message, Data: []byte{1, 2, 3, 4}, Binary: true},
	})
	fmt.Printf("%q\n", body)
	// Output:
	// "4hello\x1ebAQIDBA=="
}
