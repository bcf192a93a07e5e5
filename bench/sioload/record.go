package sioload

import "time"

// recorder turns the stamps of received messages into Stats. The epoll
// loop owns one (through its goroutine); PollLoader guards its own with a
// mutex.
type recorder struct {
	st       Stats
	bc       map[uint64]int // broadcast id -> index in st.Broadcasts
	complete chan uint64
}

func newRecorder() recorder {
	return recorder{
		st:       Stats{MarkNs: time.Now().UnixNano()},
		bc:       map[uint64]int{},
		complete: make(chan uint64, 1<<14),
	}
}

// mark resets the statistics.
func (r *recorder) mark() {
	r.st = Stats{MarkNs: time.Now().UnixNano()}
	clear(r.bc)
}

// onStamp records the latency of a stamped message; it reports whether s
// held a stamp. receivers is the number of sockets a broadcast must reach
// to be complete.
func (r *recorder) onStamp(s []byte, receivers int) bool {
	kind, id, sent, ok := parseStamp(s)
	if !ok {
		return false
	}
	if sent < r.st.MarkNs && (kind == kindBroadcast || kind == kindRoom) {
		// A straggler of the previous measurement: not this one's.
		r.st.Stale++
		return true
	}
	now := time.Now().UnixNano()
	lat := (now - sent) / 1000
	switch kind {
	case kindBroadcast:
		r.st.Deliveries++
		r.st.BroadcastLatency.Record(lat)
		i, seen := r.bc[id]
		if !seen {
			i = len(r.st.Broadcasts)
			r.bc[id] = i
			r.st.Broadcasts = append(r.st.Broadcasts, BroadcastStat{ID: id, SentNs: sent})
		}
		b := &r.st.Broadcasts[i]
		b.Count++
		b.LastNs = now
		if b.Count == receivers {
			select {
			case r.complete <- id:
			default:
			}
		}
	case kindRoom:
		// Room broadcasts reach a few sockets each: counted, not tracked.
		r.st.Deliveries++
		r.st.BroadcastLatency.Record(lat)
	case kindEcho:
		r.st.EchoAcked++
		r.st.EchoLatency.Record(lat)
	default:
		return false
	}
	return true
}

// lost counts a ready socket closed for err; slow tells whether it was
// stalled (Loader.Stall) at some point.
func (r *recorder) lost(err error, slow bool) {
	if slow {
		r.st.StalledClosed++
		if r.st.StalledReasons == nil {
			r.st.StalledReasons = map[string]int{}
		}
		r.st.StalledReasons[ErrorClass(err)]++
		return
	}
	r.st.Closed++
	if r.st.CloseReasons == nil {
		r.st.CloseReasons = map[string]int{}
	}
	r.st.CloseReasons[ErrorClass(err)]++
}
