package hub

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/siogate/siogate/hub/sio"
)

// Limit names a limit of the hub. The values are metric label values
// (Stats.Limited, the gateway's siogate_limit_hits_total{limit}); the
// Engine.IO admission limits are eio.Limit values.
type Limit string

// The hub's limits.
const (
	// LimitEventRate: events over Options.EventRate (per connection).
	LimitEventRate Limit = "event_rate"
	// LimitRooms: a Join past Options.MaxRoomsPerSocket (ErrTooManyRooms).
	LimitRooms Limit = "rooms"
	// LimitPendingAcks: an EmitWithAck past Options.MaxPendingAcks
	// (ErrTooManyPendingAcks), or a socket a broadcast with acks skipped
	// for that reason.
	LimitPendingAcks Limit = "pending_acks"
	// LimitAttachments: a packet announcing more than
	// Options.MaxAttachments binary attachments (connection closed, "parse
	// error").
	LimitAttachments Limit = "attachments"
	// LimitMailbox: a connection with more than Options.MaxMailbox packets
	// not yet handled (connection closed, "transport error").
	LimitMailbox Limit = "mailbox"
	// LimitQueuedBytes: a connection whose outbound queue passed
	// Options.MaxQueuedBytes (connection closed, "slow consumer").
	LimitQueuedBytes Limit = "queued_bytes"
)

// RatePolicy says what happens to an event over Options.EventRate.
type RatePolicy string

// Rate policies.
const (
	// RateAckError drops the event; if the client asked for an
	// acknowledgement it gets one at once, with the single argument
	// {"error":"rate limited"} (what hub.Err produces). The connection
	// stays. This is the default.
	RateAckError RatePolicy = "ack-error"
	// RateDisconnect closes the whole connection; its sockets leave with
	// ReasonRateLimited.
	RateDisconnect RatePolicy = "disconnect"
)

const defaultMaxRooms, defaultMaxPendingAcks = 1024, 1024

// rateLimitedAck is the argument of the acknowledgement that answers a
// rate-limited event under RateAckError.
var rateLimitedAck = []byte(`{"error":"rate limited"}`)

// setLimitDefaults fills the limit options (called by setDefaults).
func (o *Options) setLimitDefaults() {
	if o.MaxRoomsPerSocket == 0 {
		o.MaxRoomsPerSocket = defaultMaxRooms
	}
	if o.MaxPendingAcks == 0 {
		o.MaxPendingAcks = defaultMaxPendingAcks
	}
	if o.EventRate > 0 && o.EventBurst <= 0 {
		o.EventBurst = int(math.Ceil(o.EventRate))
	}
	if o.EventRatePolicy == "" {
		o.EventRatePolicy = RateAckError
	}
}

// checkLimits validates the limit options (after the defaults).
func (o *Options) checkLimits() error {
	switch {
	case o.EventRate < 0, math.IsNaN(o.EventRate), math.IsInf(o.EventRate, 0):
		return fmt.Errorf("hub: Options.EventRate %v is not a rate (0: no limit)", o.EventRate)
	case o.EventRatePolicy != RateAckError && o.EventRatePolicy != RateDisconnect:
		return fmt.Errorf("hub: Options.EventRatePolicy %q is neither %q nor %q", o.EventRatePolicy, RateAckError, RateDisconnect)
	case o.MaxConnections < 0, o.MaxConnectionsPerIP < 0, o.HandshakeRate < 0:
		return errors.New("hub: Options.MaxConnections, MaxConnectionsPerIP and HandshakeRate must not be negative (0: no limit)")
	}
	return nil
}

// limitCounters counts the hits of the hub's own limits.
type limitCounters struct {
	eventRate, rooms, acks, attachments atomic.Uint64
}

func (s *Server) limitStats() map[Limit]uint64 {
	c := &s.stats
	return map[Limit]uint64{
		LimitEventRate:   c.limits.eventRate.Load(),
		LimitRooms:       c.limits.rooms.Load(),
		LimitPendingAcks: c.limits.acks.Load(),
		LimitAttachments: c.limits.attachments.Load(),
		LimitMailbox:     c.mailboxOverflows.Load(),
		LimitQueuedBytes: c.slowConsumers.Load(),
	}
}

// Event rate.

// clockStart anchors nanotime, a monotonic nanosecond clock for the event
// buckets.
var clockStart = time.Now()

func nanotime() int64 { return int64(time.Since(clockStart)) }

// eventBucket is a connection's token bucket for Options.EventRate, held
// in one number: the GCRA "theoretical arrival time". An event at time t
// is admitted when tat - t <= (burst-1) * interval and then moves tat to
// max(tat, t) + interval. Eight bytes per connection, no lock.
type eventBucket struct{ tat atomic.Int64 }

func (b *eventBucket) allow(now, interval, tolerance int64) bool {
	for {
		old := b.tat.Load()
		tat := max(old, now)
		if tat-now > tolerance {
			return false
		}
		if b.tat.CompareAndSwap(old, tat+interval) {
			return true
		}
	}
}

// eventSpacing returns the event bucket's interval between events and its
// tolerance (burst - 1 intervals), in ns; 0, 0 without an EventRate.
func (o *Options) eventSpacing() (interval, tolerance int64) {
	if o.EventRate <= 0 {
		return 0, 0
	}
	interval = max(int64(math.Ceil(float64(time.Second)/o.EventRate)), 1)
	return interval, int64(o.EventBurst-1) * interval
}

// allowEvent takes a token from the connection's bucket (always true
// without an EventRate).
func (c *client) allowEvent() bool {
	if c.srv.eventInterval == 0 {
		return true
	}
	return c.events.allow(nanotime(), c.srv.eventInterval, c.srv.eventTolerance)
}

// rateLimited applies Options.EventRatePolicy to an event over the rate.
// It runs on the transport goroutine, before the mailbox: a flood costs
// neither a mailbox slot nor a handler run.
func (c *client) rateLimited(p sio.Packet) {
	c.srv.stats.limits.eventRate.Add(1)
	if c.srv.opts.EventRatePolicy == RateDisconnect {
		c.closeAll(ReasonRateLimited)
		return
	}
	if p.ID < 0 {
		return
	}
	if s := c.socket(p.Namespace); s != nil {
		_ = s.sendAck(p.ID, [][]byte{rateLimitedAck}, nil)
	}
}

// noteDecodeError counts a packet refused for MaxAttachments (the other
// decode errors are counted as parse errors only).
func (s *Server) noteDecodeError(err error) {
	var de *sio.DecodeError
	if errors.As(err, &de) && de.Reason == "too many attachments" {
		s.stats.limits.attachments.Add(1)
	}
}

// Rooms per socket.

// joinLocks serialize the check-then-add of Join per socket without a
// mutex in every Socket: a socket always maps to the same stripe.
type joinLocks [64]sync.Mutex

// joinSeed seeds the hash that picks a socket's stripe.
var joinSeed = maphash.MakeSeed()

func (l *joinLocks) of(s *Socket) *sync.Mutex {
	return &l[maphash.Comparable(joinSeed, s)%uint64(len(l))]
}

// joinLimited adds s to rooms unless that would put it in more than
// Options.MaxRoomsPerSocket rooms (its own id room not counted); then it
// joins none of them.
func (s *Socket) joinLimited(rooms []string) error {
	srv := s.nsp.srv
	limit := srv.opts.MaxRoomsPerSocket
	if limit < 0 {
		s.nsp.adapter.AddAll(s, rooms)
		return nil
	}
	mu := srv.joinLocks.of(s)
	mu.Lock()
	defer mu.Unlock()
	cur := s.nsp.adapter.SocketRooms(s) // its id room first, when it has rooms
	have := max(len(cur)-1, 0)
	var fresh []string
	for _, r := range rooms {
		if r == s.id || slices.Contains(cur, r) || slices.Contains(fresh, r) {
			continue
		}
		fresh = append(fresh, r)
		if have+len(fresh) > limit {
			srv.stats.limits.rooms.Add(1)
			return fmt.Errorf("%w: %d rooms and %d more asked, limit %d", ErrTooManyRooms, have, countNew(cur, rooms, s.id), limit)
		}
	}
	s.nsp.adapter.AddAll(s, rooms)
	return nil
}

// countNew counts the distinct rooms of rooms not in cur (for the error).
func countNew(cur, rooms []string, own string) int {
	seen := make(map[string]struct{}, len(rooms))
	for _, r := range rooms {
		if r != own && !slices.Contains(cur, r) {
			seen[r] = struct{}{}
		}
	}
	return len(seen)
}

// Pending acknowledgements per socket.

// registerAck registers the callback of ack id unless the socket already
// waits for Options.MaxPendingAcks acknowledgements.
func (s *Socket) registerAck(id int64, fn func(*Message)) error {
	limit := s.nsp.srv.opts.MaxPendingAcks
	if !s.acks.register(id, fn, limit) {
		s.nsp.srv.stats.limits.acks.Add(1)
		return fmt.Errorf("%w (limit %d)", ErrTooManyPendingAcks, limit)
	}
	return nil
}
