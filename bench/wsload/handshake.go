package wsload

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
)

// wsGUID is the constant of RFC 6455 section 1.3 that the server appends to
// the key before hashing it.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// maxHead bounds the response head a server may send.
const maxHead = 4096

// newKey returns a Sec-WebSocket-Key: 16 bytes from r, base64-encoded.
func newKey(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("wsload: key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b[:]), nil
}

// acceptKey returns the Sec-WebSocket-Accept value a server must answer to key.
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// appendRequest appends the upgrade request for host and path to b.
func appendRequest(b []byte, host, path, key string) []byte {
	b = append(b, "GET "...)
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "...)
	b = append(b, key...)
	b = append(b, "\r\n\r\n"...)
	return b
}

// headEnd returns the length of the response head in b, blank line included,
// or -1 if b does not hold a whole head yet.
func headEnd(b []byte) int {
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		return -1
	}
	return i + 4
}

// checkResponse validates a complete response head (as delimited by headEnd)
// against the key that was sent.
func checkResponse(head []byte, key string) error {
	lines := strings.Split(strings.TrimSuffix(string(head), "\r\n\r\n"), "\r\n")
	// Status line: "HTTP/1.1 101 Switching Protocols"; the reason is free text.
	proto, rest, _ := strings.Cut(lines[0], " ")
	code, _, _ := strings.Cut(rest, " ")
	if !strings.HasPrefix(proto, "HTTP/1.") || code != "101" {
		return fmt.Errorf("%w: %q", ErrBadStatus, lines[0])
	}
	var upgrade, connection, accept bool
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch {
		case strings.EqualFold(name, "Upgrade"):
			upgrade = strings.EqualFold(value, "websocket")
		case strings.EqualFold(name, "Connection"):
			connection = hasToken(value, "upgrade")
		case strings.EqualFold(name, "Sec-WebSocket-Accept"):
			accept = value == acceptKey(key)
		}
	}
	switch {
	case !upgrade || !connection:
		return ErrBadUpgrade
	case !accept:
		return ErrBadAccept
	}
	return nil
}

// hasToken reports whether the comma-separated list v holds token, ignoring case.
func hasToken(v, token string) bool {
	for t := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}
