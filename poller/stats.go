package poller

import "sync/atomic"

type counters struct {
	accepted          atomic.Uint64
	sniffing          atomic.Int64
	upgraded          atomic.Uint64
	handedOff         atomic.Uint64
	direct            atomic.Uint64
	bodyTimeouts      atomic.Uint64
	adopted           atomic.Uint64
	rejected          atomic.Uint64
	handshakeTimeouts atomic.Uint64
	protocolErrors    atomic.Uint64
	slowConsumers     atomic.Uint64
	droppedVolatile   atomic.Uint64
	bytesIn           atomic.Uint64
	bytesOut          atomic.Uint64
}

// Stats is a snapshot of a Server's counters. Totals count since start.
type Stats struct {
	Accepted          uint64 // TCP connections accepted
	Sniffing          int64  // connections whose request head is incomplete
	WebSockets        int    // open WebSockets
	Upgraded          uint64 // WebSocket handshakes accepted
	HandedOff         uint64 // connections handed to net/http
	Direct            uint64 // requests answered on the reactor (Options.Direct)
	DirectConns       int    // connections whose requests the reactor answers
	BodyTimeouts      uint64 // direct request bodies not received within BodyTimeout
	Adopted           uint64 // WebSockets moved onto the reactor by Adopt
	Rejected          uint64 // bad heads, oversized heads, refused upgrades
	HandshakeTimeouts uint64 // heads not complete within HandshakeTimeout
	ProtocolErrors    uint64 // WebSockets closed for an RFC 6455 violation
	SlowConsumers     uint64 // WebSockets closed at MaxQueuedBytes
	DroppedVolatile   uint64 // volatile frames dropped
	Backlogged        int    // sockets waiting for kernel buffer space
	BytesIn, BytesOut uint64 // bytes read and written by the reactor
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		Accepted:          s.stats.accepted.Load(),
		Sniffing:          s.stats.sniffing.Load(),
		WebSockets:        s.Len(),
		Upgraded:          s.stats.upgraded.Load(),
		HandedOff:         s.stats.handedOff.Load(),
		Direct:            s.stats.direct.Load(),
		DirectConns:       s.count(setDirect),
		BodyTimeouts:      s.stats.bodyTimeouts.Load(),
		Adopted:           s.stats.adopted.Load(),
		Rejected:          s.stats.rejected.Load(),
		HandshakeTimeouts: s.stats.handshakeTimeouts.Load(),
		ProtocolErrors:    s.stats.protocolErrors.Load(),
		SlowConsumers:     s.stats.slowConsumers.Load(),
		DroppedVolatile:   s.stats.droppedVolatile.Load(),
		Backlogged:        s.backlog.Len(),
		BytesIn:           s.stats.bytesIn.Load(),
		BytesOut:          s.stats.bytesOut.Load(),
	}
}
