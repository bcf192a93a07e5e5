package redisadapter

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/siogate/siogate/hub"
)

// goldenCase is one message captured from the real Node packages by
// testdata/gen_golden.cjs.
type goldenCase struct {
	Name       string   `json:"name"`
	Kind       string   `json:"kind"` // broadcast, broadcast-request, request, response
	Channel    string   `json:"channel"`
	Msgpack    string   `json:"msgpack"` // hex
	JSON       string   `json:"json"`
	Parser     []string `json:"parser"`     // socket.io-parser's encoding of the packet: text, then attachments in hex
	DecodeOnly bool     `json:"decodeOnly"` // Go does not write this form (JavaScript-only values, emitter key order)
	UID        string   `json:"uid"`
}

func loadGolden(t *testing.T) map[string]goldenCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Versions map[string]string `json:"versions"`
		Cases    []goldenCase      `json:"cases"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if g.Versions["@socket.io/redis-adapter"] != "8.3.0" || g.Versions["notepack.io"] != "3.0.1" {
		t.Fatalf("golden data from %v", g.Versions)
	}
	out := make(map[string]goldenCase, len(g.Cases))
	for _, c := range g.Cases {
		out[c.Name] = c
	}
	return out
}

func (c goldenCase) bytes(t *testing.T) []byte {
	t.Helper()
	b, err := hex.DecodeString(c.Msgpack)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// clientView is what clients receive for p: the Socket.IO text, then the
// attachments in hex (socket.io-parser's view in the golden file).
func clientView(p *hub.Packet) []string {
	var out []string
	for i, o := range p.Outgoing() {
		if i == 0 {
			out = append(out, string(o.Data()))
		} else {
			out = append(out, hex.EncodeToString(o.Data()))
		}
	}
	return out
}

func TestGoldenBroadcasts(t *testing.T) {
	for _, c := range loadGolden(t) {
		if c.Kind != "broadcast" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			msg := c.bytes(t)
			uid, dec, err := broadcastUID(string(msg))
			if err != nil {
				t.Fatal(err)
			}
			p, opts, err := decodeBroadcastRest(dec)
			if err != nil {
				t.Fatal(err)
			}
			if got := clientView(p); !slices.Equal(got, c.Parser) {
				t.Fatalf("clients would get\n%q\nNode sends\n%q", got, c.Parser)
			}
			nsp := strings.TrimSuffix(strings.TrimPrefix(c.Channel, "socket.io#"), "#")
			nsp, _, _ = strings.Cut(nsp, "#")
			if p.Nsp != nsp {
				t.Fatalf("nsp %q, want %q", p.Nsp, nsp)
			}
			if c.DecodeOnly {
				return
			}
			channel, out, err := encodeBroadcast("socket.io#"+p.Nsp+"#", uid, p, opts)
			if err != nil {
				t.Fatal(err)
			}
			if channel != c.Channel {
				t.Errorf("channel %q, want %q", channel, c.Channel)
			}
			if !bytes.Equal(out, msg) {
				t.Errorf("encoded\n%x\nNode publishes\n%x", out, msg)
			}
		})
	}
}

func TestGoldenDecodeDetails(t *testing.T) {
	g := loadGolden(t)
	decode := func(name string) (string, *hub.Packet, hub.BroadcastOptions) {
		t.Helper()
		uid, dec, err := broadcastUID(string(g[name].bytes(t)))
		if err != nil {
			t.Fatal(err)
		}
		p, opts, err := decodeBroadcastRest(dec)
		if err != nil {
			t.Fatal(err)
		}
		return uid, p, opts
	}
	_, _, opts := decode("one room, except")
	if !slices.Equal(opts.Rooms, []string{"room1"}) || !slices.Equal(opts.Except, []string{"sidX"}) || opts.Volatile {
		t.Errorf("opts %+v", opts)
	}
	if _, _, opts := decode("volatile"); !opts.Volatile {
		t.Error("volatile flag lost")
	}
	if _, _, opts := decode("numeric room"); !slices.Equal(opts.Rooms, []string{"42"}) || !slices.Equal(opts.Except, []string{"7"}) {
		t.Errorf("numeric rooms %+v", opts)
	}
	uid, p, opts := decode("emitter namespace")
	if uid != "emitter" || p.Nsp != "/chat" || !opts.Volatile || !slices.Equal(opts.Except, []string{"sid9"}) {
		t.Errorf("emitter: uid %q nsp %q opts %+v", uid, p.Nsp, opts)
	}
	_, p, _ = decode("binary")
	if len(p.Attachments) != 3 || len(p.Attachments[2]) != 0 || p.Attachments[2] == nil {
		t.Errorf("attachments %q (an empty Buffer must stay an attachment)", p.Attachments)
	}
}

func TestGoldenBroadcastRequest(t *testing.T) {
	c := loadGolden(t)["broadcast with ack"]
	msg := c.bytes(t)
	typ, br, err := decodeMsgpackRequest(string(msg))
	if err != nil || typ != typeBroadcast {
		t.Fatalf("type %d, err %v", typ, err)
	}
	if got := clientView(br.Packet); !slices.Equal(got, c.Parser) {
		t.Fatalf("clients would get %q, Node sends %q", got, c.Parser)
	}
	if br.Opts.Timeout != 5*time.Second || !slices.Equal(br.Opts.Rooms, []string{"room1"}) || !slices.Equal(br.Opts.Except, []string{"sid1"}) {
		t.Fatalf("opts %+v", br.Opts)
	}
	out, err := encodeBroadcastRequest(br)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, msg) {
		t.Fatalf("encoded\n%x\nNode publishes\n%x", out, msg)
	}
	if c.Channel != "socket.io-request#/#" {
		t.Fatalf("channel %q", c.Channel)
	}
}

func TestGoldenRequests(t *testing.T) {
	g := loadGolden(t)
	sel := func(rooms, except []string) hub.BroadcastOptions {
		return hub.BroadcastOptions{Rooms: rooms, Except: except}
	}
	// What this package sends for the same calls as the Node adapter.
	for name, build := range map[string]func(uid, id string) any{
		"adapter addSockets": func(uid, _ string) any {
			return roomsRequest{UID: uid, Type: typeRemoteJoin, Opts: wireSelection(sel([]string{"room1"}, []string{"sid1"})), Rooms: []string{"r2"}}
		},
		"adapter delSockets": func(uid, _ string) any {
			return roomsRequest{UID: uid, Type: typeRemoteLeave, Opts: wireSelection(sel(nil, nil)), Rooms: []string{"r2", "r3"}}
		},
		"adapter disconnectSockets": func(uid, _ string) any {
			return disconnectRequest{UID: uid, Type: typeRemoteDisconnect, Opts: wireSelection(sel([]string{"room1"}, nil))}
		},
		"adapter serverSideEmit": func(uid, _ string) any {
			data, _ := eventData("hello", [][]byte{[]byte(`"world"`), []byte("2")})
			return serverSideEmitRequest{UID: uid, Type: typeServerSideEmit, Data: data}
		},
		"adapter serverSideEmitWithAck": func(uid, id string) any {
			data, _ := eventData("ping", [][]byte{[]byte("1")})
			return serverSideEmitRequest{UID: uid, RequestID: &id, Type: typeServerSideEmit, Data: data}
		},
		"adapter fetchSockets": func(uid, id string) any {
			return fetchRequest{UID: uid, RequestID: id, Type: typeRemoteFetch, Opts: wireSelection(sel([]string{"room1"}, []string{"sid1"}))}
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := g[name]
			var req inRequest
			if err := json.Unmarshal([]byte(c.JSON), &req); err != nil {
				t.Fatal(err)
			}
			var id string
			_ = json.Unmarshal(req.RequestID, &id)
			if got := string(mustJSON(build(c.UID, id))); got != c.JSON {
				t.Fatalf("sent\n%s\nNode sends\n%s", got, c.JSON)
			}
		})
	}
	// What the emitter sends decodes as expected.
	var req inRequest
	if err := json.Unmarshal([]byte(g["emitter socketsJoin"].JSON), &req); err != nil {
		t.Fatal(err)
	}
	if req.UID != "" || req.Type != typeRemoteJoin || !slices.Equal(req.Opts.Rooms, []string{"room1"}) || !slices.Equal([]string(req.Rooms), []string{"r2", "r3"}) {
		t.Fatalf("emitter socketsJoin: %+v", req)
	}
	req = inRequest{}
	if err := json.Unmarshal([]byte(g["emitter disconnectSockets"].JSON), &req); err != nil || !req.Close || req.Type != typeRemoteDisconnect {
		t.Fatalf("emitter disconnectSockets: %+v %v", req, err)
	}
}

func TestGoldenAnswers(t *testing.T) {
	g := loadGolden(t)
	// A Node node's description of its socket, as FetchSockets returns it.
	var resp inResponse
	if err := json.Unmarshal([]byte(g["answer fetchSockets"].JSON), &resp); err != nil {
		t.Fatal(err)
	}
	var sockets []json.RawMessage
	if err := json.Unmarshal(resp.Sockets, &sockets); err != nil || len(sockets) != 1 {
		t.Fatalf("sockets %s: %v", resp.Sockets, err)
	}
	info, err := fromNodeSocket(sockets[0])
	if err != nil {
		t.Fatal(err)
	}
	hs := info.Handshake
	switch {
	case info.ID != "sid1", !slices.Equal(info.Rooms, []string{"sid1", "room1"}):
		t.Errorf("id %q rooms %q", info.ID, info.Rooms)
	case hs.Headers.Get("User-Agent") != "ua", hs.Headers.Get("Cookie") != "a=1; b=2":
		t.Errorf("headers %v", hs.Headers)
	case hs.Query.Get("EIO") != "4", !slices.Equal(hs.Query["t"], []string{"1", "2"}):
		t.Errorf("query %v", hs.Query)
	case hs.Issued != 1700000000123, hs.Address != "::1", hs.URL != "/socket.io/?EIO=4&transport=websocket":
		t.Errorf("handshake %+v", hs)
	case string(hs.Auth) != `{"token":"abc"}`:
		t.Errorf("auth %s", hs.Auth)
	case info.Data["user"] != "ann" || info.Data["n"] != float64(1):
		t.Errorf("data %v", info.Data)
	}
	if strings.Contains(g["answer fetchSockets"].JSON, "sessionStore") {
		t.Error("Node leaks sessionStore?")
	}

	// Our answers have Node's shape: encode a local description and read
	// it back as Node's.
	back, err := fromNodeSocket(nodeSocketJSON(info))
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != info.ID || !slices.Equal(back.Rooms, info.Rooms) || back.Handshake.Headers.Get("User-Agent") != "ua" ||
		back.Handshake.Query.Get("transport") != "websocket" || string(back.Handshake.Auth) != `{"token":"abc"}` || back.Data["user"] != "ann" {
		t.Errorf("round trip: %+v", back)
	}
	var shape map[string]map[string]any
	_ = json.Unmarshal(nodeSocketJSON(info), &shape)
	if h, _ := shape["handshake"]["headers"].(map[string]any); h["user-agent"] != "ua" {
		t.Errorf("headers must be lower-case strings for Node: %v", shape["handshake"]["headers"])
	}

	for name, want := range map[string][]string{"answer allRooms": {"sid1", "room1"}, "answer sockets": nil} {
		var r inResponse
		if err := json.Unmarshal([]byte(g[name].JSON), &r); err != nil {
			t.Fatal(err)
		}
		if want != nil && !slices.Equal(r.Rooms, want) {
			t.Errorf("%s: rooms %q", name, r.Rooms)
		}
	}

	// BROADCAST_ACK: decode, and encode the same bytes.
	for name, want := range map[string]struct {
		packet string
		atts   int
		has    bool
	}{
		"answer broadcast ack":           {`"ok"`, 0, true},
		"answer broadcast ack binary":    {`{"a":{"_placeholder":true,"num":0}}`, 1, true},
		"answer broadcast ack undefined": {"", 0, false},
	} {
		t.Run(name, func(t *testing.T) {
			msg := g[name].bytes(t)
			r, err := decodeMsgpackResponse(string(msg))
			if err != nil {
				t.Fatal(err)
			}
			if r.Type != typeBroadcastAck || string(r.Packet) != want.packet || len(r.Atts) != want.atts || r.HasPacket != want.has {
				t.Fatalf("decoded %+v", r)
			}
			var args [][]byte
			if r.HasPacket {
				args = [][]byte{r.Packet}
			}
			out, err := encodeBroadcastAck(r.RequestID, args, r.Atts)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, msg) {
				t.Fatalf("encoded %x, Node %x", out, msg)
			}
		})
	}
	count := struct {
		Type        int             `json:"type"`
		RequestID   json.RawMessage `json:"requestId"`
		ClientCount int             `json:"clientCount"`
	}{typeBroadcastClientCount, json.RawMessage(`"req007"`), 3}
	if got := string(mustJSON(count)); got != g["answer client count"].JSON {
		t.Errorf("client count %s, Node %s", got, g["answer client count"].JSON)
	}
}

// Values the golden file does not cover.
func TestValueConversions(t *testing.T) {
	for _, c := range []struct {
		json string // hub side
		back string // JSON read back ("" = same)
		code byte   // first msgpack byte written
	}{
		{`1e21`, `1e+21`, 0xcb},
		{`18446744073709551615`, ``, 0xcf},
		{`-9223372036854775808`, ``, 0xd3},
		{`1.0`, `1`, 0x01},
		{`2.5e2`, `250`, 0xcc},
		{`-0.0`, `0`, 0x00},
		{`1E-7`, `1e-7`, 0xcb},
		{`0.000001`, ``, 0xcb},
		{`"\u00e9\ud83d\ude00\n"`, `"é😀\n"`, 0xa7},
		{` { "a" : [ 1 , { } ] , "a" : 2 } `, `{"a":2}`, 0x81},
		{`{"_placeholder":true,"num":0,"extra":1}`, `{"_placeholder":true,"num":0}`, 0xc4},
		{`{"_placeholder":false,"num":0}`, ``, 0x82},
		{`"` + strings.Repeat("x", 70000) + `"`, ``, 0xdb},
	} {
		var buf bytes.Buffer
		if err := jsonToMsgpack(newEncoder(&buf), []byte(c.json), [][]byte{{7}}); err != nil {
			t.Fatalf("%.40s: %v", c.json, err)
		}
		if buf.Bytes()[0] != c.code {
			t.Errorf("%.40s: code 0x%02x, want 0x%02x", c.json, buf.Bytes()[0], c.code)
		}
		jb := jsonBuilder{dec: msgpack.NewDecoder(&buf)}
		got, undef, err := jb.value(nil, 0)
		if err != nil || undef {
			t.Fatalf("%.40s: read back: %v", c.json, err)
		}
		want := c.back
		if want == "" {
			want = strings.TrimSpace(c.json)
		}
		if string(got) != want {
			t.Errorf("%.40s: read back %.60s, want %.60s", c.json, got, want)
		}
	}
	for _, bad := range []string{``, `{`, `[1,]`, `{"a"}`, `tru`, `"abc`, `1 2`, `{"_placeholder":true,"num":5}`} {
		var buf bytes.Buffer
		if err := jsonToMsgpack(newEncoder(&buf), []byte(bad), [][]byte{{7}}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	enc := func(v any) string {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for name, msg := range map[string]string{
		"not an array":  enc(map[string]any{"a": 1}),
		"two elements":  enc([]any{"uid", map[string]any{}}),
		"not an event":  enc([]any{"uid", map[string]any{"type": 0, "data": []any{"x"}}, map[string]any{}}),
		"no data":       enc([]any{"uid", map[string]any{"type": 2}, map[string]any{}}),
		"empty data":    enc([]any{"uid", map[string]any{"type": 2, "data": []any{}}, map[string]any{}}),
		"truncated":     enc([]any{"uid", map[string]any{"type": 2, "data": []any{"ev", "long string"}}, map[string]any{}})[:20],
		"bad rooms":     enc([]any{"uid", map[string]any{"type": 2, "data": []any{"ev"}}, map[string]any{"rooms": []any{[]any{}}}}),
		"nested deeply": enc([]any{"uid", map[string]any{"type": 2, "data": []any{"ev", deep(maxDepth + 5)}}, map[string]any{}}),
	} {
		uid, dec, err := broadcastUID(msg)
		if err == nil {
			_, _, err = decodeBroadcastRest(dec)
		}
		if err == nil {
			t.Errorf("%s: accepted (uid %q)", name, uid)
		}
	}
}

func deep(n int) any {
	var v any = 1
	for range n {
		v = []any{v}
	}
	return v
}

func FuzzDecodeBroadcast(f *testing.F) {
	raw, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		f.Fatal(err)
	}
	var g struct{ Cases []goldenCase }
	if err := json.Unmarshal(raw, &g); err != nil {
		f.Fatal(err)
	}
	for _, c := range g.Cases {
		if c.Msgpack != "" {
			b, _ := hex.DecodeString(c.Msgpack)
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if _, dec, err := broadcastUID(string(msg)); err == nil {
			if p, opts, err := decodeBroadcastRest(dec); err == nil {
				// What decodes must encode again.
				if _, _, err := encodeBroadcast("k#/#", "uid", p, opts); err != nil {
					t.Fatalf("decoded but does not encode: %v", err)
				}
			}
		}
		_, _, _ = decodeMsgpackRequest(string(msg))
		_, _ = decodeMsgpackResponse(string(msg))
	})
}

// FuzzJSONRoundTrip: any JSON value survives hub JSON -> msgpack -> JSON
// with the same meaning.
func FuzzJSONRoundTrip(f *testing.F) {
	for _, s := range []string{`null`, `[1,-2,3.5,"x",{"a":[true,false]}]`, `{"a":1,"a":2}`, `1e400`, `"\ud83d\ude00"`, `-0`, `18446744073709551616`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			return
		}
		var buf bytes.Buffer
		if err := jsonToMsgpack(newEncoder(&buf), in, nil); err != nil {
			if strings.Contains(err.Error(), "placeholder") || errors.Is(err, errDepth) {
				return
			}
			t.Fatalf("%q: %v", in, err)
		}
		jb := jsonBuilder{dec: msgpack.NewDecoder(&buf)}
		out, undef, err := jb.value(nil, 0)
		if err != nil || undef {
			t.Fatalf("%q: read back: %v", in, err)
		}
		var a, b any
		errA, errB := json.Unmarshal(in, &a), json.Unmarshal(out, &b)
		if errA != nil {
			return // out of float64 range: Go cannot compare
		}
		if errB != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("%q became %q", in, out)
		}
	})
}
