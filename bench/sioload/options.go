package sioload

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Mode is the protocol the loader speaks over each WebSocket.
type Mode int

const (
	// SocketIO is Engine.IO v4 / Socket.IO v5 over WebSocket: the upgrade
	// GET carries EIO=4&transport=websocket, the client waits for the open
	// packet, sends CONNECT for Options.Namespace, waits for the server's
	// CONNECT, then answers every ping ("2") with a pong ("3").
	SocketIO Mode = iota
	// WebSocket is raw WebSocket: a socket is ready once upgraded. The
	// servers of this mode (cmd/wsecho, bench/baseline) echo a text message
	// and send one starting with 'b' to every socket.
	WebSocket
)

// String returns "socketio" or "websocket".
func (m Mode) String() string {
	if m == WebSocket {
		return "websocket"
	}
	return "socketio"
}

// ParseMode parses the names String returns.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "socketio", "sio":
		return SocketIO, nil
	case "websocket", "ws", "raw":
		return WebSocket, nil
	}
	return 0, fmt.Errorf("sioload: unknown mode %q (socketio, websocket)", s)
}

// Options configures a Loader. The zero value of every field but Addr
// selects the default noted.
type Options struct {
	// Addr is the server's IPv4 host:port. Required.
	Addr string
	// Mode is the protocol. Default SocketIO.
	Mode Mode
	// Path is the request path: default "/socket.io/" in SocketIO mode
	// (the query EIO=4&transport=websocket is added), "/" in WebSocket mode.
	Path string
	// Namespace is the Socket.IO namespace joined. Default "/".
	Namespace string
	// Sources are the local IPv4 addresses to dial from, used round-robin.
	// Empty: the kernel chooses.
	Sources []netip.Addr
	// Concurrency bounds the handshakes in flight. Default 200.
	Concurrency int
	// AttemptTimeout bounds one attempt: TCP connect, upgrade and, in
	// SocketIO mode, the Socket.IO CONNECT. Default 10 s.
	AttemptTimeout time.Duration
	// MaxFrame bounds one frame read from the server. Default 1 MiB.
	MaxFrame int
	// RecvBuffer, if > 0, sets SO_RCVBUF on each socket before it connects
	// (the kernel doubles it): a small one stands for a client with little
	// memory, and bounds what a stalled reader's kernel holds.
	RecvBuffer int
	// MSS, if > 0, sets TCP_MAXSEG before connecting, so that the server
	// sizes its send buffer as over a real network (1460 for Ethernet)
	// instead of loopback's 64 KiB segments, which let the kernel hold
	// megabytes per socket.
	MSS int
}

const (
	defaultConcurrency    = 200
	defaultAttemptTimeout = 10 * time.Second
	defaultMaxFrame       = 1 << 20
)

// withDefaults validates o and fills in the defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Addr == "" {
		return o, errors.New("sioload: Options.Addr is empty")
	}
	ap, err := netip.ParseAddrPort(o.Addr)
	if err != nil || !ap.Addr().Is4() {
		return o, fmt.Errorf("sioload: Options.Addr %q: want an IPv4 host:port", o.Addr)
	}
	for _, s := range o.Sources {
		if !s.Is4() {
			return o, fmt.Errorf("sioload: source %s is not IPv4", s)
		}
	}
	if o.Path == "" {
		o.Path = "/socket.io/"
		if o.Mode == WebSocket {
			o.Path = "/"
		}
	}
	if o.Path[0] != '/' {
		return o, errors.New("sioload: Options.Path must start with /")
	}
	if o.Namespace == "" {
		o.Namespace = "/"
	}
	if o.Namespace[0] != '/' || strings.ContainsAny(o.Namespace, ",?") {
		return o, fmt.Errorf("sioload: bad namespace %q", o.Namespace)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = defaultConcurrency
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = defaultAttemptTimeout
	}
	if o.MaxFrame <= 0 {
		o.MaxFrame = defaultMaxFrame
	}
	if o.RecvBuffer < 0 || o.MSS < 0 || o.MSS > 65535 {
		return o, errors.New("sioload: Options.RecvBuffer and Options.MSS must be >= 0 (MSS <= 65535)")
	}
	return o, nil
}

// requestPath returns the path and query of the upgrade request.
func (o Options) requestPath() string {
	if o.Mode == WebSocket {
		return o.Path
	}
	sep := "?"
	if strings.Contains(o.Path, "?") {
		sep = "&"
	}
	return o.Path + sep + "EIO=4&transport=websocket"
}
