package eio_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siogate/siogate/hub/eio"
)

// The golden files under testdata/ hold one wire string per line:
//
//	<case name> <wire string as a Go double-quoted literal>
//
// Blank lines and lines starting with '#' are ignored. The Go tables below
// hold the packets; encoding a table must produce its golden file, and
// decoding the golden file must give back the table. After a deliberate change
// of the wire format, rewrite the files with
//
//	go test ./hub/eio -run Golden -eio-update
var updateGolden = flag.Bool("eio-update", false, "rewrite hub/eio golden files from the test tables")

const goldenHeader = `# Engine.IO v4 wire strings used by the hub/eio codec tests.
# One case per line: <name> <wire string as a Go double-quoted literal>.
# Blank lines and lines starting with '#' are ignored.
# Regenerate with: go test ./hub/eio -run Golden -eio-update
`

type goldenCase struct {
	name string
	wire []byte
}

// checkGolden compares got with the golden file (or rewrites the file when
// -eio-update is set) and returns the wire strings by case name.
func checkGolden(t *testing.T, file string, got []goldenCase) map[string][]byte {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *updateGolden {
		var b strings.Builder
		b.WriteString(goldenHeader)
		for _, c := range got {
			b.WriteString(c.name + " " + strconv.Quote(string(c.wire)) + "\n")
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readGolden(t, path)
	if len(want) != len(got) {
		t.Errorf("%s: %d cases in file, %d in table", file, len(want), len(got))
	}
	for _, c := range got {
		w, ok := want[c.name]
		if !ok {
			t.Errorf("%s: no case %q", file, c.name)
			continue
		}
		if !bytes.Equal(c.wire, w) {
			t.Errorf("%s: %s encoded as %q, golden %q", file, c.name, c.wire, w)
		}
	}
	return want
}

func readGolden(t *testing.T, path string) map[string][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cases := make(map[string][]byte)
	for i, line := range strings.Split(string(raw), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, quoted, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("%s:%d: want <name> <quoted wire>", path, i+1)
		}
		wire, err := strconv.Unquote(quoted)
		if err != nil {
			t.Fatalf("%s:%d: %v", path, i+1, err)
		}
		if _, dup := cases[name]; dup {
			t.Fatalf("%s:%d: duplicate case %q", path, i+1, name)
		}
		cases[name] = []byte(wire)
	}
	return cases
}

func samePacket(a, b eio.Packet) bool {
	return a.Type == b.Type && a.Binary == b.Binary && bytes.Equal(a.Data, b.Data)
}

func samePackets(a, b []eio.Packet) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !samePacket(a[i], b[i]) {
			return false
		}
	}
	return true
}

func text(t eio.PacketType, data string) eio.Packet {
	return eio.Packet{Type: t, Data: []byte(data)}
}

func binary(data ...byte) eio.Packet {
	return eio.Packet{Type: eio.Message, Data: data, Binary: true}
}

var packetCases = []struct {
	name string
	pkt  eio.Packet
}{
	{"open_bare", text(eio.Open, "")},
	{"close", text(eio.Close, "")},
	{"ping", text(eio.Ping, "")},
	{"ping_probe", text(eio.Ping, "probe")},
	{"pong", text(eio.Pong, "")},
	{"pong_probe", text(eio.Pong, "probe")},
	{"message_hello", text(eio.Message, "hello")},
	{"message_empty", text(eio.Message, "")},
	{"message_unicode", text(eio.Message, "héllo wörld €€€ 世界 😀")},
	{"message_socketio_event", text(eio.Message, `2["chat",{"text":"hi"}]`)},
	{"message_controls", text(eio.Message, "line1\nline2\ttab\x00nul")},
	// Not validated: invalid UTF-8 passes through (see Packet).
	{"message_invalid_utf8", text(eio.Message, "\xff\xfe\xc3")},
	{"upgrade", text(eio.Upgrade, "")},
	{"noop", text(eio.Noop, "")},
}

var handshakeCases = []struct {
	name string
	h    eio.Handshake
}{
	// The settings of the official protocol test suites.
	{"open_polling", eio.Handshake{SID: "lv_VI97HAXpY6yYWAAAC", Upgrades: []string{"websocket"},
		PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond, MaxPayload: 1000000}},
	{"open_websocket", eio.Handshake{SID: "lv_VI97HAXpY6yYWAAAC",
		PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond, MaxPayload: 1000000}},
	{"open_defaults", eio.Handshake{SID: "AAAAAAAAAAAAAAAAAAAA", Upgrades: []string{"websocket", "webtransport"},
		PingInterval: 25 * time.Second, PingTimeout: 20 * time.Second, MaxPayload: 1e6}},
	{"open_escaped", eio.Handshake{SID: "q\"b\\n\n\x01é\xff", Upgrades: []string{},
		PingInterval: 1500*time.Microsecond + 1, PingTimeout: 0, MaxPayload: 0}},
}

func TestPacketGolden(t *testing.T) {
	var got []goldenCase
	for _, c := range packetCases {
		got = append(got, goldenCase{c.name, eio.AppendText(nil, c.pkt)})
	}
	for _, c := range handshakeCases {
		got = append(got, goldenCase{c.name, eio.AppendOpen(nil, c.h)})
	}
	golden := checkGolden(t, "packets.golden", got)

	for _, c := range packetCases {
		t.Run(c.name, func(t *testing.T) {
			p, err := eio.DecodeText(golden[c.name])
			if err != nil {
				t.Fatal(err)
			}
			if !samePacket(p, c.pkt) {
				t.Errorf("decoded %+v, want %+v", p, c.pkt)
			}
		})
	}
	for _, c := range handshakeCases {
		t.Run(c.name, func(t *testing.T) {
			p, err := eio.DecodeText(golden[c.name])
			if err != nil {
				t.Fatal(err)
			}
			if p.Type != eio.Open || p.Binary {
				t.Fatalf("decoded %v packet, want open", p.Type)
			}
			checkHandshakeJSON(t, p.Data, c.h)
		})
	}
}

// checkHandshakeJSON checks that data is a JSON object with exactly the five
// handshake keys, in order, holding the values of h.
func checkHandshakeJSON(t *testing.T, data []byte, h eio.Handshake) {
	t.Helper()
	if !json.Valid(data) {
		t.Fatalf("invalid JSON %s", data)
	}
	var keys []string
	dec := json.NewDecoder(bytes.NewReader(data))
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch tok := tok.(type) {
		case json.Delim:
			if tok == '{' || tok == '[' {
				depth++
			} else {
				depth--
			}
		case string:
			if depth == 1 { // a key: its value is consumed whole below
				keys = append(keys, tok)
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	want := []string{"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Errorf("keys %v, want %v", keys, want)
	}
	var v struct {
		SID          string   `json:"sid"`
		Upgrades     []string `json:"upgrades"`
		PingInterval int64    `json:"pingInterval"`
		PingTimeout  int64    `json:"pingTimeout"`
		MaxPayload   int      `json:"maxPayload"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if v.Upgrades == nil {
		t.Errorf("upgrades is null, want an array")
	}
	wantSID := strings.ToValidUTF8(h.SID, "\uFFFD")
	if v.SID != wantSID || strings.Join(v.Upgrades, ",") != strings.Join(h.Upgrades, ",") ||
		v.PingInterval != h.PingInterval.Milliseconds() || v.PingTimeout != h.PingTimeout.Milliseconds() ||
		v.MaxPayload != h.MaxPayload {
		t.Errorf("decoded %+v from %+v", v, h)
	}
}

func TestDecodeTextErrors(t *testing.T) {
	for _, in := range []string{"", "abc", "7x", "9", "/", ":", "b", "bAQIDBA==", "\x1e4a", " 4", "\xff"} {
		t.Run(strconv.Quote(in), func(t *testing.T) {
			p, err := eio.DecodeText([]byte(in))
			de, ok := errors.AsType[*eio.DecodeError](err)
			if !ok {
				t.Fatalf("got %+v, %v; want a *DecodeError", p, err)
			}
			if de.Offset != 0 {
				t.Errorf("offset %d, want 0", de.Offset)
			}
		})
	}
}

func TestDecodeErrorMessage(t *testing.T) {
	_, err := eio.DecodeText([]byte("7x"))
	if got, want := err.Error(), "eio: invalid packet type at offset 0"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDecodeTextAliases(t *testing.T) {
	in := []byte("4hello")
	p, err := eio.DecodeText(in)
	if err != nil {
		t.Fatal(err)
	}
	in[1] = 'j'
	if string(p.Data) != "jello" {
		t.Errorf("Data %q does not alias the input", p.Data)
	}
}

func TestDecodeBinaryFrame(t *testing.T) {
	in := []byte{1, 2, 3, 4}
	p := eio.DecodeBinaryFrame(in)
	if !samePacket(p, binary(1, 2, 3, 4)) || &p.Data[0] != &in[0] {
		t.Errorf("got %+v, want binary message aliasing the frame", p)
	}
	if got := eio.DecodeBinaryFrame(nil); !samePacket(got, binary()) {
		t.Errorf("empty frame: got %+v", got)
	}
}

func TestAppendTextBinary(t *testing.T) {
	// A binary packet gets its payload-element form whatever its Type.
	p := binary(1, 2, 3, 4)
	p.Type = eio.Ping
	if got := string(eio.AppendText([]byte("x"), p)); got != "xbAQIDBA==" {
		t.Errorf("got %q", got)
	}
}

func TestPacketTypeString(t *testing.T) {
	want := []string{"open", "close", "ping", "pong", "message", "upgrade", "noop", "PacketType(7)"}
	for i, w := range want {
		if got := eio.PacketType(i).String(); got != w {
			t.Errorf("PacketType(%d).String() = %q, want %q", i, got, w)
		}
	}
	if got := eio.PacketType(255).String(); got != "PacketType(255)" {
		t.Errorf("got %q", got)
	}
}

func TestPreencoded(t *testing.T) {
	for _, c := range []struct {
		b    []byte
		want eio.Packet
	}{
		{eio.TextClose, text(eio.Close, "")},
		{eio.TextPing, text(eio.Ping, "")},
		{eio.TextPong, text(eio.Pong, "")},
		{eio.TextNoop, text(eio.Noop, "")},
		{eio.TextProbePong, text(eio.Pong, "probe")},
	} {
		if got := eio.AppendText(nil, c.want); !bytes.Equal(got, c.b) {
			t.Errorf("%v: pre-encoded %q, AppendText %q", c.want.Type, c.b, got)
		}
	}
}

func TestIsProbePing(t *testing.T) {
	for _, c := range []struct {
		p    eio.Packet
		want bool
	}{
		{text(eio.Ping, "probe"), true},
		{text(eio.Ping, ""), false},
		{text(eio.Ping, "probe2"), false},
		{text(eio.Pong, "probe"), false},
		{text(eio.Message, "probe"), false},
		{eio.Packet{Type: eio.Ping, Data: []byte("probe"), Binary: true}, false},
	} {
		if got := eio.IsProbePing(c.p); got != c.want {
			t.Errorf("IsProbePing(%v %q) = %v", c.p.Type, c.p.Data, got)
		}
	}
}

func TestPacketZeroAllocs(t *testing.T) {
	in := []byte("4hello world")
	dst := make([]byte, 0, 256)
	h := handshakeCases[0].h
	for name, f := range map[string]func(){
		"DecodeText":        func() { _, _ = eio.DecodeText(in) },
		"DecodeBinaryFrame": func() { _ = eio.DecodeBinaryFrame(in) },
		"AppendText":        func() { _ = eio.AppendText(dst[:0], text(eio.Message, "hello")) },
		"AppendText/binary": func() { _ = eio.AppendText(dst[:0], binary(1, 2, 3, 4)) },
		"AppendOpen":        func() { _ = eio.AppendOpen(dst[:0], h) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs, want 0", name, n)
		}
	}
}

// FuzzDecodePacket decodes a WebSocket frame both as text and as binary; what
// decodes must encode back to the same bytes and decode to the same packet.
// A binary frame must also survive a trip through a polling payload.
func FuzzDecodePacket(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := eio.DecodeText(b)
		if err != nil {
			if de, ok := errors.AsType[*eio.DecodeError](err); !ok || de.Offset != 0 {
				t.Fatalf("DecodeText(%q): unexpected error %v", b, err)
			}
		} else {
			enc := eio.AppendText(nil, p)
			if !bytes.Equal(enc, b) {
				t.Fatalf("DecodeText(%q) re-encodes as %q", b, enc)
			}
			q, err := eio.DecodeText(enc)
			if err != nil || !samePacket(p, q) {
				t.Fatalf("second decode of %q: %+v, %v; first %+v", enc, q, err, p)
			}
		}

		bp := eio.DecodeBinaryFrame(b)
		body := eio.AppendPayloadPacket(nil, bp, true)
		pkts, err := eio.DecodePayload(body, 1)
		if err != nil || len(pkts) != 1 || !samePacket(pkts[0], bp) {
			t.Fatalf("binary frame %q through payload %q: %+v, %v", b, body, pkts, err)
		}
	})
}

// DecodeText only slices its input, so its cost does not depend on the size.
func BenchmarkDecodeText(b *testing.B) {
	in := []byte(`42["chat",{"text":"hello world"}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := eio.DecodeText(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendText(b *testing.B) {
	for _, size := range []int{16, 1024, 65536} {
		p := text(eio.Message, strings.Repeat("x", size-1))
		dst := make([]byte, 0, size)
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				dst = eio.AppendText(dst[:0], p)
			}
		})
	}
}

func BenchmarkAppendOpen(b *testing.B) {
	h := handshakeCases[2].h
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = eio.AppendOpen(dst[:0], h)
	}
}

func ExampleAppendOpen() {
	b := eio.AppendOpen(nil, eio.Handshake{
		SID:          "lv_VI97HAXpY6yYWAAAC",
		Upgrades:     []string{"websocket"},
		PingInterval: 25 * time.Second,
		PingTimeout:  20 * time.Second,
		MaxPayload:   1000000,
	})
	fmt.Printf("%s\n", b)
	// Output:
	// 0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}
}

func ExampleDecodeText() {
	p, err := eio.DecodeText([]byte("2probe"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v %q %v\n", p.Type, p.Data, eio.IsProbePing(p))
	_, err = eio.DecodeText([]byte("abc"))
	fmt.Println(err)
	// Output:
	// ping "probe" true
	// eio: invalid packet type at offset 0
}
