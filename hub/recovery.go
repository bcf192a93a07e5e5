package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/siogate/siogate/hub/sio"
)

// Connection state recovery, with the semantics of socket.io 4.6+ (the
// official clients support it): a socket that loses its connection for a
// recoverable reason is remembered for RecoveryOptions.MaxDisconnectionDuration;
// when its client comes back with {pid, offset} in the CONNECT auth, the
// socket gets its id, rooms and data back and the broadcasts it missed are
// replayed. See docs/recovery.md.

// RecoveryOptions turns connection state recovery on (Options.Recovery; nil:
// off, as in Node where it is opt-in).
//
// With it on, the CONNECT reply carries a private session id ("pid") next
// to the socket id, and every EVENT sent without an acknowledgement and not
// volatile, broadcast or Socket.Emit alike, is recorded in the Store and
// gets its offset (a string) appended as its last argument: clients see
// one more argument than was emitted. The official client remembers the
// last offset it received and sends {pid, offset} when it reconnects.
type RecoveryOptions struct {
	// MaxDisconnectionDuration is how long a disconnected socket can be
	// recovered (default 2 min, Node's maxDisconnectionDuration).
	MaxDisconnectionDuration time.Duration
	// RunMiddlewares runs the namespace's Use middlewares for a recovered
	// socket too. By default they are skipped (Node's skipMiddlewares:
	// true); the OnConnect handler runs either way, and sees
	// Socket.Recovered.
	RunMiddlewares bool
	// Store keeps the sessions and the record of packets (default: a
	// MemoryStore keeping MaxDisconnectionDuration of packets). Use a
	// shared store (hub/redisadapter.Store) so that sockets recover on
	// another node or after a restart. The Server does not close it: close
	// it after Server.Shutdown, which saves the sessions of the sockets it
	// closes.
	Store SessionStore
}

// SessionStore keeps what connection state recovery needs: the sessions of
// disconnected sockets and the packets they may miss. Implementations are
// safe for concurrent use. MemoryStore is the in-process one;
// hub/redisadapter.Store shares them between nodes through Redis.
type SessionStore interface {
	// Append records an EVENT of namespace nsp and returns its offset, a
	// string unique in the store that the client sends back to say what
	// it received last. It is called on the emitting goroutine for each
	// broadcast and emit: it must not wait for I/O (queue writes
	// instead). On error the packet is sent without an offset.
	Append(nsp string, p StoredPacket) (offset string, err error)
	// Save keeps the session of a socket that left for a recoverable
	// reason, until s.Expires.
	Save(ctx context.Context, s Session) error
	// Take returns the session pid of namespace nsp and forgets it, so
	// that it is recovered once at most. Never saved, expired, already
	// taken or of another namespace: ErrSessionUnknown.
	Take(ctx context.Context, nsp, pid string) (Session, error)
	// Missed returns, oldest first, the packets of nsp recorded after the
	// one at offset that a socket in rooms (its own id included) would
	// have received: those addressed to the whole namespace or to one of
	// rooms, and excluding none of rooms. When the record no longer holds
	// every packet after offset (dropped, expired, or offset unknown):
	// ErrOffsetUnknown.
	Missed(ctx context.Context, nsp, offset string, rooms []string) ([]StoredPacket, error)
}

// StoredPacket is an EVENT kept for replay.
type StoredPacket struct {
	// Offset is the packet's offset (set by the store).
	Offset string
	// Event is the event name.
	Event string
	// Args are the raw JSON arguments, the offset not included; binary
	// arguments are attachment placeholders.
	Args [][]byte
	// Attachments are the binary attachments.
	Attachments [][]byte
	// Rooms and Except are the broadcast's selection (Rooms empty: the
	// whole namespace); an emit to one socket has Rooms = its id.
	Rooms, Except []string
	// Time is when the packet was emitted.
	Time time.Time
}

// Size estimates the memory a stored packet holds, in bytes.
func (p *StoredPacket) Size() int {
	n := 96 + len(p.Offset) + len(p.Event)
	for _, a := range p.Args {
		n += 24 + len(a)
	}
	for _, a := range p.Attachments {
		n += 24 + len(a)
	}
	for _, r := range p.Rooms {
		n += 16 + len(r)
	}
	for _, r := range p.Except {
		n += 16 + len(r)
	}
	return n
}

// Session is the saved state of a disconnected socket.
type Session struct {
	PID string // the private session id the client presents
	SID string // the socket id, given back on recovery
	Nsp string // the namespace
	// Rooms are the socket's rooms, its own id room not included.
	Rooms []string
	// Data is the socket's data (Socket.Set) as a JSON object, nil when
	// empty. Values that encoding/json cannot encode are left out.
	Data []byte
	// Expires is when the session can no longer be recovered.
	Expires time.Time
}

// Recovery errors.
var (
	// ErrSessionUnknown: no session of that pid can be recovered (never
	// saved, expired, or recovered already).
	ErrSessionUnknown = errors.New("hub: recovery session unknown or expired")
	// ErrOffsetUnknown: the store no longer holds every packet sent after
	// the client's offset (or never saw that offset).
	ErrOffsetUnknown = errors.New("hub: recovery offset unknown or too old")
)

// RecoveryStats counts connection state recovery (Stats.Recovery).
type RecoveryStats struct {
	Saved     uint64 // sessions saved on a recoverable disconnect
	Recovered uint64 // sockets recovered
	Replayed  uint64 // packets replayed to recovered sockets
	// Unknown counts attempts with a session unknown or expired, Stale
	// those whose offset was no longer covered, Errors those the store
	// failed (each gets a new session, as Node does).
	Unknown, Stale, Errors uint64
	// TakenOver counts recoveries of a socket whose old connection was
	// still open here (dead but not yet detected): it was closed first.
	TakenOver uint64
	// AppendErrors counts packets sent without an offset because the
	// store refused them; SaveErrors sessions the store did not save.
	AppendErrors, SaveErrors uint64
}

type recoveryCounters struct {
	saved, recovered, replayed atomic.Uint64
	unknown, stale, errors     atomic.Uint64
	takenOver                  atomic.Uint64
	appendErrors, saveErrors   atomic.Uint64
}

func (c *recoveryCounters) snapshot() RecoveryStats {
	return RecoveryStats{
		Saved: c.saved.Load(), Recovered: c.recovered.Load(), Replayed: c.replayed.Load(),
		Unknown: c.unknown.Load(), Stale: c.stale.Load(), Errors: c.errors.Load(),
		TakenOver:    c.takenOver.Load(),
		AppendErrors: c.appendErrors.Load(), SaveErrors: c.saveErrors.Load(),
	}
}

const (
	defaultMaxDisconnection = 2 * time.Minute
	// storeTimeout bounds a store call on the connect and disconnect paths.
	storeTimeout = 5 * time.Second
)

// setRecoveryDefaults copies Options.Recovery (the caller's value is left
// alone) and fills its defaults (called by setDefaults).
func (o *Options) setRecoveryDefaults() {
	if o.Recovery == nil {
		return
	}
	r := *o.Recovery
	if r.MaxDisconnectionDuration <= 0 {
		r.MaxDisconnectionDuration = defaultMaxDisconnection
	}
	if r.Store == nil {
		r.Store = NewMemoryStore(MemoryStoreOptions{MaxAge: r.MaxDisconnectionDuration})
	}
	o.Recovery = &r
}

// recoverable reports whether a socket that left for reason may be
// recovered: the reasons of Node's RECOVERABLE_DISCONNECT_REASONS. A socket
// that left on purpose (either side's namespace disconnect), was cut for
// its own behaviour (parse error, slow consumer, rate limit) is not.
func recoverable(r Reason) bool {
	switch r {
	case ReasonTransportError, ReasonTransportClose, ReasonForcedClose,
		ReasonPingTimeout, ReasonShutdown, ReasonForcedServer:
		return true
	}
	return false
}

// Recovered reports whether the socket was recovered after a temporary
// disconnection: it has its former id, rooms and data, and the packets it
// missed were replayed before anything else was sent to it.
func (s *Socket) Recovered() bool { return s.recovered }

// withOffset records an EVENT that recovery must be able to replay and
// returns its arguments with the offset appended; without recovery, or if
// the store refuses it, args unchanged. sel is the broadcast's selection
// (Rooms = the socket id for an emit to one socket).
func (n *Namespace) withOffset(event string, args, atts [][]byte, sel BroadcastOptions) ([][]byte, string) {
	rec := n.srv.opts.Recovery
	if rec == nil {
		return args, ""
	}
	off, err := rec.Store.Append(n.name, StoredPacket{
		Event: event, Args: args, Attachments: atts,
		Rooms: sel.Rooms, Except: sel.Except, Time: time.Now(),
	})
	if err != nil {
		n.srv.stats.recovery.appendErrors.Add(1)
		n.srv.opts.Logger.Debug("hub: packet not recorded for recovery", "nsp", n.name, "event", event, "err", err)
		return args, ""
	}
	out := make([][]byte, len(args), len(args)+1)
	copy(out, args)
	return append(out, quoteOffset(off)), off
}

func quoteOffset(off string) []byte { return sio.AppendString(nil, off) }

// recordable reports whether recovery records a broadcast of p: recovery
// on, not volatile, no ack id (Node's SessionAwareAdapter.broadcast).
func (p *Packet) recordable(rec *RecoveryOptions, opts BroadcastOptions) bool {
	return rec != nil && !opts.Volatile && p.ID < 0
}

// stampPacket gives a recordable broadcast packet its offset.
func (n *Namespace) stampPacket(p *Packet, opts BroadcastOptions) {
	if !p.recordable(n.srv.opts.Recovery, opts) {
		return
	}
	p.stamped = true
	p.Args, p.offset = n.withOffset(p.Event, p.Args, p.Attachments, opts)
}

// replayedOffset returns the offset a broadcast carries as its last
// argument when recovery is on ("" otherwise). Only broadcasts that are
// stamped have one (recordable ones, the rule Node peers follow too):
// this node's own are final as stamped (an unrecorded
// one has none, whatever its last argument is); a packet from another node
// has it in its last argument.
func (p *Packet) replayedOffset(rec *RecoveryOptions, opts BroadcastOptions) string {
	if !p.recordable(rec, opts) {
		return ""
	}
	if p.stamped || len(p.Args) == 0 {
		return p.offset
	}
	last := p.Args[len(p.Args)-1]
	var s string
	if len(last) < 2 || last[0] != '"' || json.Unmarshal(last, &s) != nil {
		return ""
	}
	return s
}

// sessionToSave returns the session to keep for a socket leaving for
// reason, or nil (recovery off, reason not recoverable). It runs before
// the socket leaves its rooms.
func (s *Socket) sessionToSave(reason Reason) *Session {
	rec := s.nsp.srv.opts.Recovery
	if rec == nil || !recoverable(reason) || s.pid == "" {
		return nil
	}
	rooms := s.Rooms()
	if i := slices.Index(rooms, s.id); i >= 0 {
		rooms = slices.Delete(rooms, i, i+1)
	}
	return &Session{
		PID: s.pid, SID: s.id, Nsp: s.nsp.name, Rooms: rooms,
		Data: s.encodeData(), Expires: time.Now().Add(rec.MaxDisconnectionDuration),
	}
}

// saveSession hands a session to the store (on the client's mailbox).
func (srv *Server) saveSession(sess *Session) {
	if sess == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := srv.opts.Recovery.Store.Save(ctx, *sess); err != nil {
		srv.stats.recovery.saveErrors.Add(1)
		srv.opts.Logger.Warn("hub: session not saved for recovery", "nsp", sess.Nsp, "sid", sess.SID, "err", err)
		return
	}
	srv.stats.recovery.saved.Add(1)
}

// encodeData returns the socket's data as a JSON object (nil when empty),
// leaving out (and logging) values encoding/json cannot encode.
func (s *Socket) encodeData() []byte {
	s.mu.Lock()
	if len(s.data) == 0 {
		s.mu.Unlock()
		return nil
	}
	fields := make(map[string]json.RawMessage, len(s.data))
	var bad []string
	for k, v := range s.data {
		b, err := json.Marshal(v)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", k, err))
			continue
		}
		fields[k] = b
	}
	s.mu.Unlock()
	if len(bad) > 0 {
		s.nsp.srv.opts.Logger.Warn("hub: socket data left out of the recovery session", "sid", s.id, "nsp", s.nsp.name, "err", bad)
	}
	b, _ := json.Marshal(fields) // RawMessages that just came out of Marshal
	return b
}

// decodeData is encodeData's inverse: values come back as encoding/json
// decodes them into an any.
func decodeData(b []byte) (map[string]any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("hub: recovery session data: %w", err)
	}
	return m, nil
}
