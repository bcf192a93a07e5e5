package sioload

import (
	"errors"
	"strings"
	"testing"
)

func TestHandshake(t *testing.T) {
	if got := acceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("acceptKey = %q", got)
	}
	if got := newKey([16]byte{}); got != "AAAAAAAAAAAAAAAAAAAAAA==" {
		t.Fatalf("newKey = %q", got)
	}
	req := string(appendUpgrade(nil, "127.0.0.1:3000", "/socket.io/?EIO=4&transport=websocket", "K"))
	if !strings.HasPrefix(req, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n") ||
		!strings.Contains(req, "Sec-WebSocket-Key: K\r\n") || !strings.HasSuffix(req, "\r\n\r\n") {
		t.Fatalf("request %q", req)
	}
	if headEnd([]byte("HTTP/1.1 101 x\r\n")) != -1 || headEnd([]byte("HTTP/1.1 101 x\r\n\r\n\x81")) != 18 {
		t.Fatal("headEnd")
	}
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	ok := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	if err := checkUpgrade([]byte(ok), key); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"HTTP/1.1 400 Bad Request\r\n\r\n",
		"HTTP/1.1 101 x\r\nSec-WebSocket-Accept: nope\r\n\r\n",
		"SSH-2.0\r\n\r\n",
	} {
		if err := checkUpgrade([]byte(bad), key); !errors.Is(err, ErrHandshake) {
			t.Errorf("checkUpgrade(%q) = %v", bad, err)
		}
	}
}
