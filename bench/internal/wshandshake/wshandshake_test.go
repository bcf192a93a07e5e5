package wshandshake

import (
	"slices"
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	if got := Key([16]byte{}); got != "AAAAAAAAAAAAAAAAAAAAAA==" {
		t.Fatalf("Key = %q", got)
	}
}

func TestAcceptKey(t *testing.T) {
	// The example of RFC 6455 section 1.3.
	if got, want := AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; got != want {
		t.Fatalf("AcceptKey = %q, want %q", got, want)
	}
}

func TestAppendRequest(t *testing.T) {
	got := string(AppendRequest(nil, "127.0.0.1:80", "/ws", "KEY"))
	want := "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:80\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: KEY\r\n\r\n"
	if got != want {
		t.Fatalf("AppendRequest:\n%q\nwant\n%q", got, want)
	}
	// A Socket.IO path with its query, as bench/sioload sends it.
	req := string(AppendRequest(nil, "127.0.0.1:3000", "/socket.io/?EIO=4&transport=websocket", "K"))
	if !strings.HasPrefix(req, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n") ||
		!strings.Contains(req, "Sec-WebSocket-Key: K\r\n") || !strings.HasSuffix(req, "\r\n\r\n") {
		t.Fatalf("request %q", req)
	}
}

func TestHeadEnd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", -1},
		{"HTTP/1.1 101 x\r\n", -1},
		{"HTTP/1.1 101 x\r\n\r\n", 18},
		{"HTTP/1.1 101 x\r\n\r\n\x81", 18},
		{"HTTP/1.1 101 x\r\n\r\n\x81\x04echo", 18},
	} {
		if got := HeadEnd([]byte(tc.in)); got != tc.want {
			t.Errorf("HeadEnd(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestSplitHead(t *testing.T) {
	status, fields := SplitHead([]byte("HTTP/1.1 101 x\r\nUpgrade: websocket\r\nA: b\r\n\r\n"))
	if status != "HTTP/1.1 101 x" || !slices.Equal(fields, []string{"Upgrade: websocket", "A: b"}) {
		t.Fatalf("SplitHead = %q, %q", status, fields)
	}
	if status, fields := SplitHead([]byte("SSH-2.0\r\n\r\n")); status != "SSH-2.0" || len(fields) != 0 {
		t.Fatalf("SplitHead(no fields) = %q, %q", status, fields)
	}
}

func TestSwitching(t *testing.T) {
	for status, want := range map[string]bool{
		"HTTP/1.1 101 Switching Protocols": true,
		"HTTP/1.0 101 OK":                  true,
		"HTTP/1.1 101":                     true,
		"HTTP/1.1 400 Bad Request":         false,
		"HTTP/2 101 x":                     false,
		"SSH-2.0-x":                        false,
		"":                                 false,
	} {
		if got := Switching(status); got != want {
			t.Errorf("Switching(%q) = %v, want %v", status, got, want)
		}
	}
}
