package sioload

import "errors"

// Errors of the load generator. Connections that fail with a handshake
// error are not retried.
var (
	// ErrClosed is returned by the methods of a closed Loader.
	ErrClosed = errors.New("sioload: loader closed")
	// ErrUnsupported is returned by New where epoll is not available.
	ErrUnsupported = errors.New("sioload: needs Linux (epoll)")
	// ErrProtocol means the server sent a frame or packet the loader could
	// not parse.
	ErrProtocol = errors.New("sioload: protocol error")
	// ErrTooLarge means a frame or response head passed the loader's limit.
	ErrTooLarge = errors.New("sioload: too large")
	// ErrHandshake means the upgrade response was not a valid 101.
	ErrHandshake = errors.New("sioload: bad upgrade response")
	// ErrConnectRefused means the server answered the Socket.IO CONNECT with
	// CONNECT_ERROR.
	ErrConnectRefused = errors.New("sioload: Socket.IO CONNECT refused")
	// ErrNoSocket means there is no ready socket to send from.
	ErrNoSocket = errors.New("sioload: no ready socket")
	// ErrBusy means a run of the same kind (or one that conflicts with it,
	// such as Reconnect during a paced run) is already going on.
	ErrBusy = errors.New("sioload: another run is in progress")
)
