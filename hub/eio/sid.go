package eio

import (
	"crypto/rand"
	"encoding/base64"
)

// newSID returns 20 URL-safe characters from 15 bytes of crypto/rand, the
// shape of the Node server's ids (the sharded Redis adapter relies on it).
func newSID() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // never fails on Linux (Go 1.24+ crashes instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
