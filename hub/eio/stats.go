package eio

import "sync/atomic"

type counters struct {
	opened, upgrades, rejected                 atomic.Uint64
	messagesIn, droppedVolatile, slowConsumers atomic.Uint64
	parseErrors, payloadTooLarge               atomic.Uint64
	closedTransportClose, closedTransportError atomic.Uint64
	closedPingTimeout, closedParseError        atomic.Uint64
	closedForced, closedShutdown               atomic.Uint64
	limits                                     limitCounters
}

func (c *counters) closed(r Reason) {
	switch r {
	case ReasonTransportClose:
		c.closedTransportClose.Add(1)
	case ReasonTransportError:
		c.closedTransportError.Add(1)
	case ReasonPingTimeout:
		c.closedPingTimeout.Add(1)
	case ReasonParseError:
		c.closedParseError.Add(1)
	case ReasonForcedClose:
		c.closedForced.Add(1)
	case ReasonShutdown:
		c.closedShutdown.Add(1)
	}
}

// Stats is a snapshot of a Server's counters (totals since start).
type Stats struct {
	Sessions        int               // open sessions
	Opened          uint64            // sessions opened
	Upgrades        uint64            // polling -> WebSocket upgrades completed
	Rejected        uint64            // refused handshakes and requests
	MessagesIn      uint64            // message packets received
	DroppedVolatile uint64            // volatile messages dropped
	SlowConsumers   uint64            // sessions closed at MaxQueuedBytes
	ParseErrors     uint64            // undecodable packets or payloads
	PayloadTooLarge uint64            // POST bodies over MaxPayload
	ClosedByReason  map[Reason]uint64 // sessions closed, by reason
	Limited         map[Limit]uint64  // handshakes and bodies refused, by limit (limits.go)
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{
		Sessions:        s.Len(),
		Opened:          c.opened.Load(),
		Upgrades:        c.upgrades.Load(),
		Rejected:        c.rejected.Load(),
		MessagesIn:      c.messagesIn.Load(),
		DroppedVolatile: c.droppedVolatile.Load(),
		SlowConsumers:   c.slowConsumers.Load(),
		ParseErrors:     c.parseErrors.Load(),
		PayloadTooLarge: c.payloadTooLarge.Load(),
		ClosedByReason: map[Reason]uint64{
			ReasonTransportClose: c.closedTransportClose.Load(),
			ReasonTransportError: c.closedTransportError.Load(),
			ReasonPingTimeout:    c.closedPingTimeout.Load(),
			ReasonParseError:     c.closedParseError.Load(),
			ReasonForcedClose:    c.closedForced.Load(),
			ReasonShutdown:       c.closedShutdown.Load(),
		},
		Limited: s.limitStats(),
	}
}
