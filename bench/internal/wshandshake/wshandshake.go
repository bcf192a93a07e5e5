// Package wshandshake holds the client side of the RFC 6455 opening
// handshake that the load generators (bench/wsload, bench/sioload) share:
// the key, the upgrade request, where the response head ends and its
// status line. Each generator reads the header fields it checks itself.
package wshandshake

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"strings"
)

// guid is the constant of RFC 6455 section 1.3 that the server appends to
// the key before hashing it.
const guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Key encodes 16 random bytes as a Sec-WebSocket-Key.
func Key(raw [16]byte) string { return base64.StdEncoding.EncodeToString(raw[:]) }

// AcceptKey returns the Sec-WebSocket-Accept value a server must answer to
// key.
func AcceptKey(key string) string {
	h := sha1.Sum([]byte(key + guid))
	return base64.StdEncoding.EncodeToString(h[:])
}

// AppendRequest appends the upgrade request for host and path to b.
func AppendRequest(b []byte, host, path, key string) []byte {
	b = append(b, "GET "...)
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "...)
	b = append(b, key...)
	return append(b, "\r\n\r\n"...)
}

// HeadEnd returns the length of the response head in b, blank line
// included, or -1 when b does not hold a whole head yet.
func HeadEnd(b []byte) int {
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		return -1
	}
	return i + 4
}

// SplitHead splits a complete response head (as delimited by HeadEnd) into
// its status line and its header lines.
func SplitHead(head []byte) (status string, fields []string) {
	lines := strings.Split(strings.TrimSuffix(string(head), "\r\n\r\n"), "\r\n")
	return lines[0], lines[1:]
}

// Switching reports whether status is the status line of a 101 answer,
// "HTTP/1.1 101 Switching Protocols" (the reason is free text, and may be
// missing).
func Switching(status string) bool {
	proto, rest, _ := strings.Cut(status, " ")
	code, _, _ := strings.Cut(rest, " ")
	return strings.HasPrefix(proto, "HTTP/1.") && code == "101"
}
