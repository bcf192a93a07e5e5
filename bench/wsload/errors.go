package wsload

import "errors"

// Handshake errors. They are permanent: Dial does not retry a connection that
// failed with one of them.
var (
	// ErrHeadTooLarge means the server's response head did not end within
	// the read limit.
	ErrHeadTooLarge = errors.New("wsload: response head too large")
	// ErrBadStatus means the response status was not 101 Switching Protocols.
	ErrBadStatus = errors.New("wsload: response status is not 101")
	// ErrBadUpgrade means the Upgrade or Connection header was missing or wrong.
	ErrBadUpgrade = errors.New("wsload: response lacks Upgrade: websocket")
	// ErrBadAccept means Sec-WebSocket-Accept did not match the key sent.
	ErrBadAccept = errors.New("wsload: wrong Sec-WebSocket-Accept")
	// ErrBadEcho means the echo frame read back did not match the one sent.
	ErrBadEcho = errors.New("wsload: echo reply does not match")
)
