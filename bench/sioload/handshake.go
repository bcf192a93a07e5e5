package sioload

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strings"
)

// wsGUID is the constant of RFC 6455 section 1.3 appended to the key.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// maxHead bounds the upgrade response head.
const maxHead = 8192

// newKey encodes 16 random bytes as a Sec-WebSocket-Key.
func newKey(raw [16]byte) string { return base64.StdEncoding.EncodeToString(raw[:]) }

// acceptKey returns the Sec-WebSocket-Accept a server must answer to key.
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// appendUpgrade appends the upgrade request for host and path to b.
func appendUpgrade(b []byte, host, path, key string) []byte {
	b = append(b, "GET "...)
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "...)
	b = append(b, key...)
	return append(b, "\r\n\r\n"...)
}

// headEnd returns the length of the response head in b, blank line
// included, or -1 when b does not hold a whole head yet.
func headEnd(b []byte) int {
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		return -1
	}
	return i + 4
}

// checkUpgrade validates a complete response head against the key sent.
func checkUpgrade(head []byte, key string) error {
	lines := strings.Split(strings.TrimSuffix(string(head), "\r\n\r\n"), "\r\n")
	proto, rest, _ := strings.Cut(lines[0], " ")
	code, _, _ := strings.Cut(rest, " ")
	if !strings.HasPrefix(proto, "HTTP/1.") || code != "101" {
		return fmt.Errorf("%w: status %q", ErrHandshake, lines[0])
	}
	var accept string
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "Sec-WebSocket-Accept") {
			accept = strings.TrimSpace(value)
		}
	}
	if accept != acceptKey(key) {
		return fmt.Errorf("%w: Sec-WebSocket-Accept %q", ErrHandshake, accept)
	}
	return nil
}
