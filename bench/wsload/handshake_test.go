package wsload

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestNewKey(t *testing.T) {
	k, err := newKey(bytes.NewReader(make([]byte, 16)))
	if err != nil {
		t.Fatal(err)
	}
	if k != "AAAAAAAAAAAAAAAAAAAAAA==" {
		t.Fatalf("newKey = %q", k)
	}
	if _, err := newKey(bytes.NewReader(make([]byte, 3))); err == nil {
		t.Fatal("newKey with a short reader: no error")
	}
}

func TestCheckResponse(t *testing.T) {
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	const accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
	head := func(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n\r\n") }
	for _, tc := range []struct {
		name string
		head []byte
		want error
	}{
		{"ok", head("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: "+accept), nil},
		{"case and lists", head("HTTP/1.1 101 OK", "upgrade: WebSocket", "connection: keep-alive, upgrade", "sec-websocket-accept:"+accept), nil},
		{"no reason", head("HTTP/1.1 101", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: "+accept), nil},
		{"status", head("HTTP/1.1 400 Bad Request", "Content-Length: 0"), ErrBadStatus},
		{"not http", head("SSH-2.0-x"), ErrBadStatus},
		{"no upgrade", head("HTTP/1.1 101 x", "Connection: Upgrade", "Sec-WebSocket-Accept: "+accept), ErrBadUpgrade},
		{"no connection", head("HTTP/1.1 101 x", "Upgrade: websocket", "Sec-WebSocket-Accept: "+accept), ErrBadUpgrade},
		{"wrong accept", head("HTTP/1.1 101 x", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: AAAA"), ErrBadAccept},
		{"no accept", head("HTTP/1.1 101 x", "Upgrade: websocket", "Connection: Upgrade"), ErrBadAccept},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkResponse(tc.head, key); !errors.Is(err, tc.want) {
				t.Fatalf("checkResponse = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestAppendMaskedText(t *testing.T) {
	mask := [4]byte{1, 2, 3, 4}
	got := appendMaskedText(nil, "echo", mask)
	if got[0] != 0x81 || got[1] != 0x84 || !bytes.Equal(got[2:6], mask[:]) {
		t.Fatalf("header % x", got[:6])
	}
	p := got[6:]
	for i := range p {
		p[i] ^= mask[i%4]
	}
	if string(p) != "echo" {
		t.Fatalf("unmasked payload %q", p)
	}
	if got := appendText(nil, "echo"); string(got) != "\x81\x04echo" {
		t.Fatalf("appendText = %q", got)
	}
}
