package sioload

import (
	"errors"
	"testing"
)

// TestHandshake checks the upgrade answers sioload accepts; the request,
// key and head framing are tested in bench/internal/wshandshake.
func TestHandshake(t *testing.T) {
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
