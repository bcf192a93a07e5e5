package hub

import (
	"crypto/rand"
	"encoding/base64"
)

// newSocketID returns 20 URL-safe characters from crypto/rand, like Node's
// socket ids.
func newSocketID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
