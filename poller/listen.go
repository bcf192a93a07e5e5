package poller

import (
	"context"
	"net"
	"syscall"
)

// ListenReusePort listens on the TCP address addr with SO_REUSEPORT set, so
// that several processes (or several Servers) can listen on the same port
// and the kernel spreads new connections across them. This is how one host
// runs a siogate worker per core past one process's file limit.
//
// Each connection stays on the process that accepted it: WebSocket needs
// nothing more, but Engine.IO long-polling does, because a polling session
// lives in one process and its later requests may land on another. Run
// polling behind a balancer with sticky sessions, or disable polling, when
// you use it (docs/scaling.md).
func ListenReusePort(addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	return lc.Listen(context.Background(), "tcp", addr)
}

// soReusePort is SO_REUSEPORT on Linux (the syscall package does not name it).
const soReusePort = 0xf
