package hub

import (
	"context"
	"slices"
	"sync"

	"github.com/siogate/siogate/internal/shrink"
)

// MemoryAdapter is the default, single-node Adapter: a room index in
// memory. A broadcast to a room costs O(members of the room); the member
// snapshot is taken under a read lock and the sends happen after it is
// released.
type MemoryAdapter struct {
	nsp *Namespace

	mu    sync.RWMutex
	rooms map[string]map[*Socket]struct{}
	// memberOf holds each socket's rooms besides its own id room; a small
	// slice costs less than a map for the few rooms a socket is in.
	memberOf map[*Socket][]string
	// The most entries rooms and memberOf held since they were rebuilt.
	roomsPeak, memberOfPeak shrink.Peak
}

// NewMemoryAdapter returns an empty in-memory adapter for nsp.
func NewMemoryAdapter(nsp *Namespace) *MemoryAdapter {
	return &MemoryAdapter{
		nsp:      nsp,
		rooms:    make(map[string]map[*Socket]struct{}),
		memberOf: make(map[*Socket][]string),
	}
}

// AddAll implements Adapter.
func (a *MemoryAdapter) AddAll(s *Socket, rooms []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, known := a.memberOf[s]
	if !known {
		a.memberOf[s] = nil
		a.memberOfPeak.Grew(len(a.memberOf))
	}
	for _, r := range rooms {
		if r == s.id || slices.Contains(cur, r) {
			continue
		}
		cur = append(cur, r)
		m := a.rooms[r]
		if m == nil {
			m = make(map[*Socket]struct{})
			a.rooms[r] = m
			a.roomsPeak.Grew(len(a.rooms))
		}
		m[s] = struct{}{}
	}
	if known || len(cur) > 0 {
		a.memberOf[s] = cur
	}
}

// Del implements Adapter.
func (a *MemoryAdapter) Del(s *Socket, room string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.memberOf[s]
	if !ok {
		return
	}
	if i := slices.Index(cur, room); i >= 0 {
		a.memberOf[s] = slices.Delete(cur, i, i+1)
		a.leaveLocked(s, room)
	}
}

func (a *MemoryAdapter) leaveLocked(s *Socket, room string) {
	if m := a.rooms[room]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			shrink.Delete(&a.rooms, &a.roomsPeak, room)
		}
	}
}

// DelAll implements Adapter.
func (a *MemoryAdapter) DelAll(s *Socket) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.memberOf[s] {
		a.leaveLocked(s, r)
	}
	shrink.Delete(&a.memberOf, &a.memberOfPeak, s)
}

// SocketRooms implements Adapter.
func (a *MemoryAdapter) SocketRooms(s *Socket) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	cur, ok := a.memberOf[s]
	if !ok {
		return nil
	}
	return append([]string{s.id}, cur...)
}

// Rooms implements Adapter.
func (a *MemoryAdapter) Rooms() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]string, 0, len(a.rooms))
	for r := range a.rooms {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// HasRoom reports whether room has a local member, a socket id counting as
// the room of that socket (a multi-node adapter uses it to skip messages
// for rooms it does not hold before decoding them).
func (a *MemoryAdapter) HasRoom(room string) bool {
	a.mu.RLock()
	_, ok := a.rooms[room]
	a.mu.RUnlock()
	return ok || a.nsp.localSocket(room) != nil
}

var snapshotPool = sync.Pool{New: func() any { s := make([]*Socket, 0, 1024); return &s }}

// Select calls fn for each local socket that opts selects. The selection is
// a snapshot; fn runs with no adapter lock held.
func (a *MemoryAdapter) Select(opts BroadcastOptions, fn func(*Socket)) {
	bufp := snapshotPool.Get().(*[]*Socket)
	buf := a.snapshot(opts, (*bufp)[:0])
	for _, s := range buf {
		fn(s)
	}
	clear(buf)
	if cap(buf) <= 1<<16 {
		*bufp = buf[:0]
		snapshotPool.Put(bufp)
	}
}

func (a *MemoryAdapter) snapshot(opts BroadcastOptions, buf []*Socket) []*Socket {
	var except map[*Socket]struct{}
	a.mu.RLock()
	defer a.mu.RUnlock()
	if len(opts.Except) > 0 {
		except = make(map[*Socket]struct{})
		for _, r := range opts.Except {
			for s := range a.rooms[r] {
				except[s] = struct{}{}
			}
			if s := a.nsp.localSocket(r); s != nil {
				except[s] = struct{}{}
			}
		}
	}
	keep := func(s *Socket) bool {
		_, skip := except[s]
		return !skip
	}
	if len(opts.Rooms) == 0 {
		for s := range a.memberOf {
			if keep(s) {
				buf = append(buf, s)
			}
		}
		return buf
	}
	var seen map[*Socket]struct{}
	if len(opts.Rooms) > 1 {
		seen = make(map[*Socket]struct{})
	}
	add := func(s *Socket) {
		if !keep(s) {
			return
		}
		if seen != nil {
			if _, dup := seen[s]; dup {
				return
			}
			seen[s] = struct{}{}
		}
		buf = append(buf, s)
	}
	for _, r := range opts.Rooms {
		for s := range a.rooms[r] {
			add(s)
		}
		if s := a.nsp.localSocket(r); s != nil {
			if _, member := a.memberOf[s]; member {
				add(s)
			}
		}
	}
	return buf
}

// Broadcast implements Adapter.
func (a *MemoryAdapter) Broadcast(p *Packet, opts BroadcastOptions) {
	out := p.Outgoing()
	off := p.replayedOffset(a.nsp.srv.opts.Recovery, opts)
	var n uint64
	a.Select(opts, func(s *Socket) {
		if s.sendStamped(out, opts.Volatile, off) == nil {
			n++
		}
	})
	a.nsp.srv.stats.deliveries.Add(n)
}

// BroadcastWithAck implements Adapter.
func (a *MemoryAdapter) BroadcastWithAck(p *Packet, opts BroadcastOptions, onCount func(int), onAck func(*Message)) {
	out := p.Outgoing()
	n := 0
	a.Select(opts, func(s *Socket) {
		if s.registerAck(p.ID, onAck) != nil {
			return // at MaxPendingAcks: not reached, not waited for
		}
		if s.sendOutgoing(out, opts.Volatile) == nil {
			n++
		} else {
			s.acks.cancel(p.ID)
		}
	})
	onCount(n)
}

// FetchSockets implements Adapter.
func (a *MemoryAdapter) FetchSockets(_ context.Context, opts BroadcastOptions) ([]SocketInfo, error) {
	var out []SocketInfo
	a.Select(opts, func(s *Socket) { out = append(out, s.info()) })
	return out, nil
}

// AddSockets implements Adapter.
func (a *MemoryAdapter) AddSockets(opts BroadcastOptions, rooms []string) {
	a.Select(opts, func(s *Socket) { s.Join(rooms...) })
}

// DelSockets implements Adapter.
func (a *MemoryAdapter) DelSockets(opts BroadcastOptions, rooms []string) {
	a.Select(opts, func(s *Socket) {
		for _, r := range rooms {
			s.Leave(r)
		}
	})
}

// DisconnectSockets implements Adapter.
func (a *MemoryAdapter) DisconnectSockets(opts BroadcastOptions, close bool) {
	a.Select(opts, func(s *Socket) { s.Disconnect(close) })
}

// Close implements Adapter.
func (a *MemoryAdapter) Close() error { return nil }
