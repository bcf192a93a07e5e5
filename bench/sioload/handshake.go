package sioload

import (
	"fmt"
	"strings"

	"github.com/siogate/siogate/bench/internal/wshandshake"
)

// maxHead bounds the upgrade response head.
const maxHead = 8192

// checkUpgrade validates a complete response head against the key sent.
func checkUpgrade(head []byte, key string) error {
	status, fields := wshandshake.SplitHead(head)
	if !wshandshake.Switching(status) {
		return fmt.Errorf("%w: status %q", ErrHandshake, status)
	}
	var accept string
	for _, l := range fields {
		name, value, ok := strings.Cut(l, ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "Sec-WebSocket-Accept") {
			accept = strings.TrimSpace(value)
		}
	}
	if accept != wshandshake.AcceptKey(key) {
		return fmt.Errorf("%w: Sec-WebSocket-Accept %q", ErrHandshake, accept)
	}
	return nil
}
