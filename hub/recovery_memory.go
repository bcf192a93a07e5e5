package hub

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MemoryStoreOptions bounds a MemoryStore. The zero value gives the
// defaults.
type MemoryStoreOptions struct {
	// MaxAge: packets older than this are dropped (default 2 min; give it
	// RecoveryOptions.MaxDisconnectionDuration).
	MaxAge time.Duration
	// MaxPackets and MaxBytes bound the packets kept, all namespaces
	// together (defaults 100,000 packets and 64 MiB, as estimated by
	// StoredPacket.Size); the oldest go first.
	MaxPackets int
	MaxBytes   int64
	// MaxSessions bounds the sessions kept (default 100,000); past it the
	// oldest is forgotten.
	MaxSessions int
}

// MemoryStore is the in-process SessionStore, the default one: one record
// of packets for every namespace and a table of sessions, in memory, lost
// when the process ends. Its memory is bounded by MemoryStoreOptions: at
// most MaxBytes of packets (plus about 100 bytes each of bookkeeping) and
// MaxSessions sessions (each its rooms and data plus about 200 bytes).
// It owns no goroutine: expired entries go when a later call meets them.
//
// Offsets are "<store id>-<sequence number>". A client's offset is still
// covered as long as no packet after it was dropped, however old the
// offset itself is: a socket in a quiet room recovers too.
type MemoryStore struct {
	opts MemoryStoreOptions
	id   string // offset prefix: offsets of another store (or process) are unknown here

	mu sync.Mutex
	// The record, a ring: ring[(head+i) % len(ring)] for i < count holds
	// the packet with sequence number dropped+1+i. It grows by doubling up
	// to MaxPackets and is then reused.
	ring    []memEntry
	head    int
	count   int
	dropped uint64 // highest sequence number dropped (0: none)
	next    uint64 // sequence number of the next packet
	bytes   int64

	sessions map[string]*memSession
	order    []*memSession // by Save time, which is expiry order
	orderAt  int
}

type memEntry struct {
	seq  uint64
	nsp  string
	size int
	p    StoredPacket
}

type memSession struct {
	s Session
}

var _ SessionStore = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(o MemoryStoreOptions) *MemoryStore {
	if o.MaxAge <= 0 {
		o.MaxAge = defaultMaxDisconnection
	}
	if o.MaxPackets <= 0 {
		o.MaxPackets = 100_000
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 100_000
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &MemoryStore{
		opts:     o,
		id:       base64.RawURLEncoding.EncodeToString(b[:]),
		next:     1,
		sessions: make(map[string]*memSession),
	}
}

// Append implements SessionStore.
func (m *MemoryStore) Append(nsp string, p StoredPacket) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seq := m.next
	m.next++
	p.Offset = m.id + "-" + strconv.FormatUint(seq, 36)
	now := time.Now()
	if p.Time.IsZero() {
		p.Time = now
	}
	if m.count >= m.opts.MaxPackets {
		m.popLocked()
	}
	if m.count == len(m.ring) {
		m.growLocked()
	}
	e := &m.ring[(m.head+m.count)%len(m.ring)]
	*e = memEntry{seq: seq, nsp: nsp, size: p.Size(), p: p}
	m.count++
	m.bytes += int64(e.size)
	m.trimLocked(now)
	return p.Offset, nil
}

func (m *MemoryStore) growLocked() {
	n := min(max(2*len(m.ring), 64), m.opts.MaxPackets)
	ring := make([]memEntry, n)
	for i := range m.count {
		ring[i] = m.ring[(m.head+i)%len(m.ring)]
	}
	m.ring, m.head = ring, 0
}

// at returns the i-th packet of the record (0: the oldest).
func (m *MemoryStore) at(i int) *memEntry { return &m.ring[(m.head+i)%len(m.ring)] }

// popLocked drops the oldest packet.
func (m *MemoryStore) popLocked() {
	e := m.at(0)
	m.bytes -= int64(e.size)
	m.dropped = e.seq
	*e = memEntry{}
	m.head = (m.head + 1) % len(m.ring)
	m.count--
}

// trimLocked drops the oldest packets while the record is over a bound.
func (m *MemoryStore) trimLocked(now time.Time) {
	oldest := now.Add(-m.opts.MaxAge)
	for m.count > 0 && (m.bytes > m.opts.MaxBytes || m.at(0).p.Time.Before(oldest)) {
		m.popLocked()
	}
}

// Save implements SessionStore.
func (m *MemoryStore) Save(_ context.Context, s Session) error {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expireSessionsLocked(now)
	for len(m.sessions) >= m.opts.MaxSessions && m.orderAt < len(m.order) {
		m.popSessionLocked()
	}
	s.Rooms = slices.Clone(s.Rooms)
	ms := &memSession{s: s}
	m.sessions[s.PID] = ms
	m.order = append(m.order, ms)
	return nil
}

func (m *MemoryStore) expireSessionsLocked(now time.Time) {
	for m.orderAt < len(m.order) && !m.order[m.orderAt].s.Expires.After(now) {
		m.popSessionLocked()
	}
	if m.orderAt > 1024 && m.orderAt > len(m.order)/2 {
		n := copy(m.order, m.order[m.orderAt:])
		clear(m.order[n:])
		m.order = m.order[:n]
		m.orderAt = 0
	}
}

// popSessionLocked forgets the oldest session (if Take has not already).
func (m *MemoryStore) popSessionLocked() {
	ms := m.order[m.orderAt]
	m.order[m.orderAt] = nil
	m.orderAt++
	if m.sessions[ms.s.PID] == ms {
		delete(m.sessions, ms.s.PID)
	}
}

// Take implements SessionStore.
func (m *MemoryStore) Take(_ context.Context, nsp, pid string) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ms := m.sessions[pid]
	if ms == nil || ms.s.Nsp != nsp {
		return Session{}, ErrSessionUnknown
	}
	delete(m.sessions, pid)
	if !ms.s.Expires.After(time.Now()) {
		return Session{}, ErrSessionUnknown
	}
	return ms.s, nil
}

// Missed implements SessionStore.
func (m *MemoryStore) Missed(_ context.Context, nsp, offset string, rooms []string) ([]StoredPacket, error) {
	seq, ok := m.parseOffset(offset)
	if !ok {
		return nil, ErrOffsetUnknown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if seq >= m.next || seq < m.dropped {
		// Never issued, or packets after it were dropped.
		return nil, ErrOffsetUnknown
	}
	var out []StoredPacket
	for i := int(seq - m.dropped); i < m.count; i++ {
		e := m.at(i)
		if e.nsp == nsp && e.p.Reaches(rooms) {
			out = append(out, e.p)
		}
	}
	return out, nil
}

func (m *MemoryStore) parseOffset(offset string) (uint64, bool) {
	i := strings.LastIndexByte(offset, '-') // the id may hold '-', the number does not
	if i < 0 || offset[:i] != m.id {
		return 0, false
	}
	seq, err := strconv.ParseUint(offset[i+1:], 36, 64)
	return seq, err == nil && seq > 0
}

// MemoryStoreStats describes what a MemoryStore holds.
type MemoryStoreStats struct {
	Packets  int    // packets in the record
	Bytes    int64  // their estimated size
	Sessions int    // sessions kept (some may have expired already)
	Dropped  uint64 // sequence number of the newest packet dropped (0: none)
}

// Stats returns what the store holds now.
func (m *MemoryStore) Stats() MemoryStoreStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return MemoryStoreStats{
		Packets:  m.count,
		Bytes:    m.bytes,
		Sessions: len(m.sessions),
		Dropped:  m.dropped,
	}
}

// Reaches reports whether a socket in rooms (its own id included) was
// addressed by p, as Node's shouldIncludePacket decides: p's Rooms are
// empty or share one with rooms, and p's Except share none. Stores use it
// to filter Missed.
func (p *StoredPacket) Reaches(rooms []string) bool {
	for _, r := range rooms {
		if slices.Contains(p.Except, r) {
			return false
		}
	}
	if len(p.Rooms) == 0 {
		return true
	}
	for _, r := range rooms {
		if slices.Contains(p.Rooms, r) {
			return true
		}
	}
	return false
}
