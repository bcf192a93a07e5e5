package redisadapter

import "sync/atomic"

type counters struct {
	reconnects                  atomic.Uint64
	published, publishFailed    atomic.Uint64
	received, delivered         atomic.Uint64
	skipped, decodeErrors       atomic.Uint64
	requestsSent, requestsIn    atomic.Uint64
	requestTimeouts, requestErr atomic.Uint64
}

// Stats is a snapshot of a Bus's counters (totals since New, except the
// gauges Connected and Queued). Every namespace of the Bus counts here.
type Stats struct {
	// Connected: the subscriptions are in place (cross-node traffic flows).
	Connected bool
	// Reconnects counts subscriptions re-established after a loss.
	Reconnects uint64
	// Published counts messages published (broadcasts, requests, answers).
	Published uint64
	// PublishFailed counts messages not published: Redis refused them,
	// was known to be down, or the queue was full. Local delivery of those
	// broadcasts happened anyway.
	PublishFailed uint64
	// Queued is the number of messages waiting to be published.
	Queued int
	// Received counts messages received from the bus.
	Received uint64
	// Delivered counts broadcasts from other nodes delivered locally.
	Delivered uint64
	// Skipped counts broadcasts ignored before being decoded: this node's
	// own, or for a room with no member here.
	Skipped uint64
	// DecodeErrors counts messages that could not be decoded (dropped).
	DecodeErrors uint64
	// RequestsSent counts requests sent to the other nodes.
	RequestsSent uint64
	// RequestsReceived counts requests from other nodes handled here.
	RequestsReceived uint64
	// RequestTimeouts counts requests that some node did not answer in
	// time.
	RequestTimeouts uint64
	// RequestFailures counts requests failed fast (Redis unavailable,
	// publish failed, adapter closed).
	RequestFailures uint64
}

// Stats returns a snapshot of the counters.
func (b *Bus) Stats() Stats {
	c := &b.stats
	return Stats{
		Connected:        b.Connected(),
		Reconnects:       c.reconnects.Load(),
		Published:        c.published.Load(),
		PublishFailed:    c.publishFailed.Load(),
		Queued:           len(b.queue),
		Received:         c.received.Load(),
		Delivered:        c.delivered.Load(),
		Skipped:          c.skipped.Load(),
		DecodeErrors:     c.decodeErrors.Load(),
		RequestsSent:     c.requestsSent.Load(),
		RequestsReceived: c.requestsIn.Load(),
		RequestTimeouts:  c.requestTimeouts.Load(),
		RequestFailures:  c.requestErr.Load(),
	}
}
