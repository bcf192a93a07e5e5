package sio

import (
	"encoding/json"
	"testing"
)

func TestAppendEvent(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{string(AppendEvent(nil, "/", NoID, 0, "message-back", []byte(`1`), []byte(`"2"`), []byte(`{"3":[true]}`))),
			`2["message-back",1,"2",{"3":[true]}]`},
		{string(AppendEvent(nil, "", 7, 0, "ping")), `27["ping"]`},
		{string(AppendEvent(nil, "/custom", NoID, 0, "auth", []byte(`{}`))), `2/custom,["auth",{}]`},
		{string(AppendEvent(nil, "/a", 0, 1, "f", Placeholder(0))), `51-/a,0["f",{"_placeholder":true,"num":0}]`},
		{string(AppendEvent(nil, "/", NoID, 0, "x", nil, []byte{})), `2["x",null,null]`},
		{string(AppendEvent(nil, "/", NoID, 0, "q\"\\\n\x01\x7fé\xff")), `2["q\"\\\n\u0001` + "\x7fé\uFFFD" + `"]`},
		{string(AppendAck(nil, "/", 456, 0, []byte(`1`), []byte(`"2"`))), `3456[1,"2"]`},
		{string(AppendAck(nil, "/admin", 13, 0)), `3/admin,13[]`},
		{string(AppendAck(nil, "/", 789, 2, Placeholder(0), Placeholder(1))), `62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`},
		{string(AppendPacket(nil, Packet{Type: Disconnect, ID: 5})), `1`}, // no id on DISCONNECT
		{string(AppendPacket([]byte("4"), Packet{Type: Connect, Namespace: "/x", ID: NoID, Data: []byte(`{"sid":"a"}`)})), `40/x,{"sid":"a"}`},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// AppendString must produce what JSON.stringify produces for valid UTF-8,
// which encoding/json also decodes back to the input.
func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "\"\\/", "\b\f\n\r\t\x00\x1f", "<&>", "\u2028\u2029", "日本語", "\U0001F600"} {
		got := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != s {
			t.Errorf("AppendString(%q) = %s, decodes to %q (%v)", s, got, back, err)
		}
	}
	if got := string(AppendString(nil, "\x00\x1f\b")); got != `"\u0000\u001f\b"` {
		t.Errorf("control characters: %s", got)
	}
}

func TestEncodeAllocs(t *testing.T) {
	dst := make([]byte, 0, 256)
	a1, a2, a3 := []byte(`1`), []byte(`"2"`), []byte(`{"3":[true]}`)
	p := Packet{Type: Event, Namespace: "/custom", ID: 12, Data: []byte(`["x",1]`)}
	for name, f := range map[string]func(){
		"AppendEvent":       func() { AppendEvent(dst[:0], "/custom", 12, 0, "message-back", a1, a2, a3) },
		"AppendAck":         func() { AppendAck(dst[:0], "/custom", 12, 0, a1, a2, a3) },
		"AppendPacket":      func() { AppendPacket(dst[:0], p) },
		"AppendPlaceholder": func() { AppendPlaceholder(dst[:0], 12) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs, want 0", name, n)
		}
	}
}
