// Package sioload is a load generator that holds thousands of Socket.IO (or
// raw WebSocket) client sockets in one process without a goroutine per
// socket, and measures the latency of what the server sends them.
//
// One Loader runs one event loop: a goroutine blocked in epoll_wait over
// every socket, all non-blocking and edge-triggered. A socket goes through
// TCP connect, the WebSocket upgrade (written and checked by hand), the
// Engine.IO open packet and the Socket.IO CONNECT of its namespace, then
// stays ready: it answers every Engine.IO ping with a pong and reads
// whatever the server sends. An idle ready socket holds a few hundred
// bytes in the loader and no buffer, so the server's cost dominates. One
// process can hold as many sockets as its file limit allows; Options.Sources
// spreads them over several loopback source addresses, and several
// processes (bench/cmd/sioload, driven by bench/cmd/siobench) pass the
// per-process limit.
//
// Latency: every measured message carries a stamp, "b<id>:<unix-ns>:xxx" for
// a broadcast and "e<seq>:<unix-ns>:xxx" for an echo, in its string
// argument. The server sends it back unchanged ("bcast" to every socket,
// or the acknowledgement of "echo"), and the receiving loop records the
// wall-clock difference in a mergeable log-linear Histogram. Processes on
// one machine share the clock, so the sender and the receivers may be
// different processes.
//
//	l, err := sioload.New(sioload.Options{
//		Addr:    "127.0.0.1:3000",
//		Sources: []netip.Addr{netip.MustParseAddr("127.0.0.2")},
//	})
//	if err != nil {
//		return err
//	}
//	defer l.Close()
//	res, _ := l.Connect(ctx, 5000)          // res.Connected, res.Handshake
//	_ = l.Mark()
//	ids, _ := l.Broadcast(1, 64)            // one 64-byte broadcast
//	for range ids {
//		<-l.Complete()                  // reached every socket of l
//	}
//	st, _ := l.Stats()                      // st.BroadcastLatency.Quantile(0.99)
//
// Beyond fan-out and echo, a Loader drives the scenarios of a gateway's bad
// days: Pace sends paced broadcasts, room broadcasts ("bench:room", after
// Join put every socket in its room) or echoes; Reconnect closes every
// socket at once and connects them again; Stall stops reading a share of
// the sockets (their kernel buffers fill, as with a client that stopped
// draining) and Resume reads them again to see how the server ended them
// (a WebSocket close 1008 is counted as "close-1008"); Churn runs
// connect/emit/disconnect cycles. Options.RecvBuffer and Options.MSS shrink
// what the kernels buffer per socket on loopback.
//
// PollLoader is the long-polling counterpart for mixed-transport runs and
// churn: Socket.IO over HTTP long-polling with one goroutine per socket (an
// outstanding GET each), fine for a few thousand sockets.
//
// The Loader is Linux-only (epoll); elsewhere New returns ErrUnsupported.
package sioload
