package sio

import (
	"bytes"
	"testing"
)

// goldenCase is what a line of testdata/packets.txt decodes to.
type goldenCase struct {
	want Packet // Data is filled from the frame: everything after the header
	data string // the expected Data
	// encodesAs names the case whose frame AppendPacket produces, when it is
	// not this one (the input was not in canonical form).
	encodesAs string
	// spaced marks payloads with whitespace, which AppendEvent and AppendAck
	// do not reproduce.
	spaced bool
}

func pkt(t PacketType, nsp string, id int64, atts int) Packet {
	return Packet{Type: t, Namespace: nsp, ID: id, Attachments: atts}
}

var goldenCases = map[string]goldenCase{
	"connect":               {want: pkt(Connect, "/", NoID, 0)},
	"connect-auth":          {want: pkt(Connect, "/", NoID, 0), data: `{"token":"123"}`},
	"connect-nsp-auth":      {want: pkt(Connect, "/custom", NoID, 0), data: `{"token":"abc"}`},
	"connect-nsp":           {want: pkt(Connect, "/random", NoID, 0)},
	"connect-nsp-no-comma":  {want: pkt(Connect, "/random", NoID, 0), encodesAs: "connect-nsp"},
	"connect-reply":         {want: pkt(Connect, "/", NoID, 0), data: `{"sid":"oSO0OpakMV_3jnilAAAA"}`},
	"connect-reply-nsp":     {want: pkt(Connect, "/custom", NoID, 0), data: `{"sid":"wZX3oN0bSVIhsaknAAAI"}`},
	"connect-explicit-main": {want: pkt(Connect, "/", NoID, 0), data: `{"token":"123"}`, encodesAs: "connect-auth"},
	"connect-spaced-auth":   {want: pkt(Connect, "/", NoID, 0), data: " {\"a\" : [1, 2]}\n", spaced: true},

	"disconnect":              {want: pkt(Disconnect, "/", NoID, 0)},
	"disconnect-nsp":          {want: pkt(Disconnect, "/custom", NoID, 0)},
	"disconnect-nsp-no-comma": {want: pkt(Disconnect, "/custom", NoID, 0), encodesAs: "disconnect-nsp"},

	"event":                   {want: pkt(Event, "/", NoID, 0), data: `["message",1,"2",{"3":[true]}]`},
	"event-back":              {want: pkt(Event, "/", NoID, 0), data: `["message-back",1,"2",{"3":[true]}]`},
	"event-auth-nsp":          {want: pkt(Event, "/custom", NoID, 0), data: `["auth",{}]`},
	"event-ack":               {want: pkt(Event, "/", 456, 0), data: `["message-with-ack",1,"2",{"3":[false]}]`},
	"event-nsp-ack":           {want: pkt(Event, "/admin", 12, 0), data: `["foo"]`},
	"event-no-args":           {want: pkt(Event, "/", NoID, 0), data: `["foo"]`},
	"event-id-zero":           {want: pkt(Event, "/", 0, 0), data: `["x"]`},
	"event-id-max":            {want: pkt(Event, "/", MaxAckID, 0), data: `["x"]`},
	"event-unicode":           {want: pkt(Event, "/", NoID, 0), data: `["héllo","日本",{"é":"\u00e9\ud83d\ude00"}]`},
	"event-escaped-name":      {want: pkt(Event, "/", NoID, 0), data: `["a\"b\\c\n"]`},
	"event-numbers":           {want: pkt(Event, "/", NoID, 0), data: `["n",0,-0,1.5e-7,-12.25E+3,1e400,123456789012345678901234567890]`},
	"event-literals":          {want: pkt(Event, "/", NoID, 0), data: `["l",true,false,null,[],{}]`},
	"event-keys-order":        {want: pkt(Event, "/", NoID, 0), data: `["o",{"b":1,"a":2,"b":3}]`},
	"event-spaced":            {want: pkt(Event, "/", NoID, 0), data: "[ \"x\" ,\t1 , [ ] ]", spaced: true},
	"event-nsp-unicode":       {want: pkt(Event, "/チャット", NoID, 0), data: `["x"]`},
	"event-plain-placeholder": {want: pkt(Event, "/", NoID, 0), data: `["x",{"_placeholder":true,"num":5}]`},

	"ack":       {want: pkt(Ack, "/", 456, 0), data: `[1,"2",{"3":[false]}]`},
	"ack-empty": {want: pkt(Ack, "/", 1, 0), data: `[]`},
	"ack-nsp":   {want: pkt(Ack, "/admin", 13, 0), data: `["bar"]`},

	"connect-error-nsp":    {want: pkt(ConnectError, "/random", NoID, 0), data: `{"message":"Invalid namespace"}`},
	"connect-error":        {want: pkt(ConnectError, "/", NoID, 0), data: `{"message":"Not authorized","data":{"code":7}}`},
	"connect-error-legacy": {want: pkt(ConnectError, "/", NoID, 0), data: `"Not authorized"`},

	"binary-event":        {want: pkt(BinaryEvent, "/", NoID, 2), data: `["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`},
	"binary-event-back":   {want: pkt(BinaryEvent, "/", NoID, 2), data: `["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`},
	"binary-event-ack":    {want: pkt(BinaryEvent, "/", 789, 2), data: `["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`},
	"binary-event-nsp":    {want: pkt(BinaryEvent, "/admin", NoID, 2), data: `["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`},
	"binary-event-nested": {want: pkt(BinaryEvent, "/", NoID, 1), data: `["up",{"files":[{"num":0,"_placeholder":true}]}]`},
	"binary-event-zero":   {want: pkt(BinaryEvent, "/", NoID, 0), data: `["x"]`},

	"binary-ack":        {want: pkt(BinaryAck, "/", 789, 2), data: `[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`},
	"binary-ack-readme": {want: pkt(BinaryAck, "/", 15, 1), data: `["bar",{"_placeholder":true,"num":0}]`},
	"binary-ack-nsp":    {want: pkt(BinaryAck, "/admin", 3, 1), data: `[{"_placeholder":true,"num":0}]`},
}

func samePacket(a, b Packet) bool {
	return a.Type == b.Type && a.Namespace == b.Namespace && a.ID == b.ID &&
		a.Attachments == b.Attachments && bytes.Equal(a.Data, b.Data)
}

func TestGoldenDecode(t *testing.T) {
	wires := wireMap(t, "packets.txt", goldenCases)
	for name, gc := range goldenCases {
		t.Run(name, func(t *testing.T) {
			in := wires[name].packet()
			got, err := Decode(in, 10)
			if err != nil {
				t.Fatalf("Decode(%q): %v", in, err)
			}
			want := gc.want
			want.Data = []byte(gc.data)
			if !samePacket(got, want) {
				t.Fatalf("Decode(%q)\n got %+v %q\nwant %+v %q", in, got, got.Data, want, want.Data)
			}
			if len(got.Data) > 0 && &got.Data[len(got.Data)-1] != &in[len(in)-1] {
				t.Errorf("Data does not alias the input")
			}
		})
	}
}

func TestGoldenEncode(t *testing.T) {
	wires := wireMap(t, "packets.txt", goldenCases)
	for name, gc := range goldenCases {
		t.Run(name, func(t *testing.T) {
			wantName := name
			if gc.encodesAs != "" {
				wantName = gc.encodesAs
			}
			want := wires[wantName].frame
			p := gc.want
			p.Data = []byte(gc.data)
			if got := "4" + string(AppendPacket(nil, p)); got != want {
				t.Errorf("AppendPacket = %q, want %q", got, want)
			}
			if gc.spaced {
				return
			}
			var got []byte
			switch p.Type {
			case Event, BinaryEvent:
				name, args, err := SplitEvent(p.Data)
				if err != nil {
					t.Fatal(err)
				}
				got = AppendEvent([]byte("4"), p.Namespace, p.ID, p.Attachments, name, args...)
			case Ack, BinaryAck:
				args, err := SplitArray(p.Data)
				if err != nil {
					t.Fatal(err)
				}
				got = AppendAck([]byte("4"), p.Namespace, p.ID, p.Attachments, args...)
			default:
				return
			}
			if p.Type.IsBinary() && p.Attachments == 0 {
				// Written as the plain type: a BINARY_EVENT with no
				// attachment is an EVENT.
				want = "42" + want[len("450-"):]
			}
			if string(got) != want {
				t.Errorf("re-encoded = %q, want %q", got, want)
			}
		})
	}
}

func TestPacketTypeString(t *testing.T) {
	for typ, want := range map[PacketType]string{
		Connect: "CONNECT", Disconnect: "DISCONNECT", Event: "EVENT", Ack: "ACK",
		ConnectError: "CONNECT_ERROR", BinaryEvent: "BINARY_EVENT", BinaryAck: "BINARY_ACK",
		7: "PacketType(7)",
	} {
		if got := typ.String(); got != want {
			t.Errorf("PacketType(%d).String() = %q, want %q", byte(typ), got, want)
		}
	}
}
