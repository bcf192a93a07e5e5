package wsload

import (
	"fmt"
	"io"
	"strings"

	"github.com/siogate/siogate/bench/internal/wshandshake"
)

// maxHead bounds the response head a server may send.
const maxHead = 4096

// newKey returns a Sec-WebSocket-Key: 16 bytes from r, base64-encoded.
func newKey(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("wsload: key: %w", err)
	}
	return wshandshake.Key(b), nil
}

// checkResponse validates a complete response head (as delimited by
// wshandshake.HeadEnd) against the key that was sent.
func checkResponse(head []byte, key string) error {
	status, fields := wshandshake.SplitHead(head)
	if !wshandshake.Switching(status) {
		return fmt.Errorf("%w: %q", ErrBadStatus, status)
	}
	var upgrade, connection, accept bool
	for _, l := range fields {
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
			accept = value == wshandshake.AcceptKey(key)
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
