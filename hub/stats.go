package hub

import (
	"context"
	"sync/atomic"
	"time"
)

type counters struct {
	clients, sockets               atomic.Int64
	eventsIn, broadcasts           atomic.Uint64
	packetsOut, deliveries         atomic.Uint64
	parseErrors, mailboxOverflows  atomic.Uint64
	slowConsumers, connectRejects  atomic.Uint64
	connectTimeouts, handlerPanics atomic.Uint64
	disconnects                    [len(reasonList)]atomic.Uint64
	limits                         limitCounters
	recovery                       recoveryCounters // recovery.go
}

var reasonList = [...]Reason{
	ReasonTransportClose, ReasonTransportError, ReasonPingTimeout, ReasonParseError,
	ReasonForcedClose, ReasonShutdown, ReasonClientDisconnect, ReasonServerDisconnect,
	ReasonForcedServer, ReasonSlowConsumer, ReasonRateLimited,
}

func (c *counters) disconnect(r Reason) {
	for i, x := range reasonList {
		if x == r {
			c.disconnects[i].Add(1)
			return
		}
	}
}

// Stats is a snapshot of the server's counters (totals since start).
type Stats struct {
	Clients          int64             // open Engine.IO connections
	Sockets          int64             // sockets connected to a namespace
	EventsIn         uint64            // events received
	Broadcasts       uint64            // broadcasts sent
	Deliveries       uint64            // sockets of this node that broadcasts were queued for
	PacketsOut       uint64            // packets queued to clients (emits, acks, broadcast deliveries, control)
	WorkersBusy      int               // pool workers running handlers now
	WorkersLimit     int               // workers allowed at once now: 4 × GOMAXPROCS, more while handlers block
	WorkersGrows     uint64            // times handlers blocking raised WorkersLimit
	ParseErrors      uint64            // connections closed for undecodable packets
	MailboxOverflows uint64            // connections closed at MaxMailbox
	SlowConsumers    uint64            // connections closed at MaxQueuedBytes
	ConnectRejects   uint64            // namespace connections refused
	ConnectTimeouts  uint64            // connections that joined no namespace in time
	HandlerPanics    uint64            // recovered handler panics
	Disconnects      map[Reason]uint64 // sockets disconnected, by reason
	Limited          map[Limit]uint64  // limit hits, by limit (limits.go)
	Recovery         RecoveryStats     // connection state recovery (recovery.go)
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	st := Stats{
		Clients:          c.clients.Load(),
		Sockets:          c.sockets.Load(),
		EventsIn:         c.eventsIn.Load(),
		Broadcasts:       c.broadcasts.Load(),
		Deliveries:       c.deliveries.Load(),
		PacketsOut:       c.packetsOut.Load(),
		WorkersBusy:      s.exec.Running(),
		WorkersLimit:     s.exec.Limit(),
		WorkersGrows:     s.exec.Grows(),
		ParseErrors:      c.parseErrors.Load(),
		MailboxOverflows: c.mailboxOverflows.Load(),
		SlowConsumers:    c.slowConsumers.Load(),
		ConnectRejects:   c.connectRejects.Load(),
		ConnectTimeouts:  c.connectTimeouts.Load(),
		HandlerPanics:    c.handlerPanics.Load(),
		Disconnects:      make(map[Reason]uint64, len(reasonList)),
		Limited:          s.limitStats(),
		Recovery:         c.recovery.snapshot(),
	}
	for i, r := range reasonList {
		st.Disconnects[r] = c.disconnects[i].Load()
	}
	return st
}

func remaining(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		if r := time.Until(d); r > 0 {
			return r
		}
		return 0
	}
	return 5 * time.Second
}
