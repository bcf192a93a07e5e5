package poller

import (
	"sync"
	_ "unsafe" // for go:linkname
)

// netpoll gives every connection an output "barrier" from this pool: two
// arrays of 32 entries, about 1.3 KiB, used only by netpoll's own write
// path (connection.flush, behind Writer().Flush). The poller never writes
// through netpoll: it writes with its own writev under Conn.mu (write.go).
// So on every idle socket the barrier is dead weight, about a quarter of
// the socket's memory. shareNetpollBarrier makes the pool hand one barrier
// to every connection.
//
// This is correct only while nothing calls a netpoll connection's Writer
// or Flush: TestNoNetpollWriter keeps this package honest. The pinned
// netpoll version (go.mod) has the symbol; a version without it fails to
// link rather than misbehave.
//
//go:linkname netpollBarrierPool github.com/cloudwego/netpoll.barrierPool
var netpollBarrierPool sync.Pool

func shareNetpollBarrier() {
	shared := netpollBarrierPool.Get()
	netpollBarrierPool.New = func() any { return shared }
}
