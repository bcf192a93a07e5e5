package sioload

import (
	"strings"
	"testing"
)

func TestStamp(t *testing.T) {
	for _, size := range []int{0, 10, 64, 1024} {
		s := appendStamp([]byte("x"), kindBroadcast, 42, 1700000000123456789, size)[1:]
		if len(s) < size || (size > 40 && len(s) != size) {
			t.Fatalf("size %d: got %d bytes", size, len(s))
		}
		kind, id, ts, ok := parseStamp(s)
		if !ok || kind != 'b' || id != 42 || ts != 1700000000123456789 {
			t.Fatalf("parseStamp(%q) = %c %d %d %t", s, kind, id, ts, ok)
		}
	}
	for _, bad := range []string{"", "b", "b1", "b1:", "b:1:", "b1:2", "bx:2:", "b1:x:"} {
		if _, _, _, ok := parseStamp([]byte(bad)); ok {
			t.Errorf("parseStamp(%q) ok", bad)
		}
	}
}

func TestParseSIO(t *testing.T) {
	for _, tc := range []struct {
		in               string
		typ              byte
		nsp, ackID, data string
	}{
		{`0{"sid":"x"}`, '0', "", "", `{"sid":"x"}`},
		{`0/custom,{"sid":"x"}`, '0', "/custom", "", `{"sid":"x"}`},
		{`2["bcast","b1:2:"]`, '2', "", "", `["bcast","b1:2:"]`},
		{`312["e1:2:"]`, '3', "", "12", `["e1:2:"]`},
		{`3/custom,7["e1:2:"]`, '3', "/custom", "7", `["e1:2:"]`},
		{`1/custom`, '1', "/custom", "", ``},
		{`1`, '1', "", "", ``},
	} {
		pk, ok := parseSIO([]byte(tc.in))
		if !ok || pk.typ != tc.typ || string(pk.nsp) != tc.nsp || string(pk.ackID) != tc.ackID || string(pk.data) != tc.data {
			t.Errorf("parseSIO(%q) = %c %q %q %q", tc.in, pk.typ, pk.nsp, pk.ackID, pk.data)
		}
	}
	if _, ok := parseSIO(nil); ok {
		t.Error("parseSIO(nil) ok")
	}
}

func TestEventArg(t *testing.T) {
	name, arg, ok := eventArg([]byte(`["bcast","b1:2:xx"]`))
	if !ok || string(name) != "bcast" || !strings.HasPrefix(string(arg), "b1:2:xx") {
		t.Fatalf("eventArg = %q %q %t", name, arg, ok)
	}
	if name, arg, ok = eventArg([]byte(`["auth",null]`)); !ok || string(name) != "auth" || arg != nil {
		t.Fatalf("eventArg(auth) = %q %q %t", name, arg, ok)
	}
	for _, bad := range []string{``, `[1]`, `["open`} {
		if _, _, ok := eventArg([]byte(bad)); ok {
			t.Errorf("eventArg(%q) ok", bad)
		}
	}
	if a := ackArg([]byte(`["e1:2:"]`)); string(a) != `e1:2:"]` {
		t.Fatalf("ackArg = %q", a)
	}
	if a := ackArg([]byte(`[{"ok":true}]`)); a != nil {
		t.Fatalf("ackArg(object) = %q", a)
	}
}

func TestAppendEvent(t *testing.T) {
	for _, tc := range []struct {
		nsp   string
		ackID int64
		want  string
	}{
		{"/", -1, `42["broadcast","b3:9:"]`},
		{"/", 12, `4212["broadcast","b3:9:"]`},
		{"/custom", 5, `42/custom,5["broadcast","b3:9:"]`},
	} {
		if got := string(appendEvent(nil, tc.nsp, "broadcast", tc.ackID, 'b', 3, 9, 0)); got != tc.want {
			t.Errorf("appendEvent(%q, %d) = %s, want %s", tc.nsp, tc.ackID, got, tc.want)
		}
	}
	if got := string(appendSIOPrefix(nil, sioConnect, "/custom")); got != "40/custom," {
		t.Errorf("CONNECT = %q", got)
	}
}
