package hub

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/siogate/siogate/hub/eio"
	"github.com/siogate/siogate/hub/sio"
)

// pendingSend is a packet emitted to a socket that is still connecting,
// sent after its CONNECT reply. offset is the recovery offset the packet
// carries ("" for none): a recovering socket drops the live packets that
// the replay already holds.
type pendingSend struct {
	out    []*eio.Outgoing
	offset string
}

// newSocket builds the socket of a CONNECT and puts it in its namespace:
// recovered when recovery is on and auth carries the pid and offset of a
// session the store can restore, else new (with a new pid when recovery is
// on). It runs on the client's mailbox.
func (c *client) newSocket(nsp *Namespace, auth Raw) *Socket {
	rec := c.srv.opts.Recovery
	if rec != nil {
		if pid, offset, ok := recoveryAuth(auth); ok {
			if s := c.recoverSocket(nsp, auth, rec, pid, offset); s != nil {
				return s
			}
		}
	}
	s := &Socket{id: newSocketID(), nsp: nsp, client: c, auth: auth}
	if rec != nil {
		s.pid = newPID(s.id)
	}
	nsp.add(s)
	nsp.adapter.AddAll(s, nil)
	return s
}

// recoveryAuth reads {pid, offset} from a CONNECT auth payload: both must
// be strings, as Node checks.
func recoveryAuth(auth Raw) (pid, offset string, ok bool) {
	var a struct {
		PID    any `json:"pid"`
		Offset any `json:"offset"`
	}
	if json.Unmarshal(auth, &a) != nil {
		return "", "", false
	}
	pid, ok1 := a.PID.(string)
	offset, ok2 := a.Offset.(string)
	return pid, offset, ok1 && ok2
}

// recoverSocket restores session pid: the socket gets its former id, data
// and rooms, then the packets it missed since offset are queued ahead of
// anything sent to it meanwhile. It returns nil (the client gets a new
// session, as with Node) when the session is unknown or expired, when the
// store no longer covers offset, or when the store fails.
//
// The socket joins its rooms before the record is read, so a broadcast
// sent in between is both delivered live (queued while the socket is
// connecting) and in the record: the live copy is dropped by its offset.
func (c *client) recoverSocket(nsp *Namespace, auth Raw, rec *RecoveryOptions, pid, offset string) *Socket {
	srv := c.srv
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	sess, err := rec.Store.Take(ctx, nsp.name, pid)
	if errors.Is(err, ErrSessionUnknown) && c.takeOver(ctx, nsp, pid) {
		sess, err = rec.Store.Take(ctx, nsp.name, pid)
	}
	if err != nil {
		srv.recoveryFailed(nsp, pid, err)
		return nil
	}
	data, err := decodeData(sess.Data)
	if err != nil {
		srv.recoveryFailed(nsp, pid, err)
		return nil
	}
	s := &Socket{id: sess.SID, pid: sess.PID, nsp: nsp, client: c, auth: auth, data: data, recovered: true}
	nsp.add(s)
	nsp.adapter.AddAll(s, sess.Rooms)
	rooms := append([]string{s.id}, sess.Rooms...)
	missed, err := rec.Store.Missed(ctx, nsp.name, offset, rooms)
	if err != nil {
		// Not recoverable after all: forget this socket (nothing outside
		// the hub has seen it yet; what was queued for it is dropped).
		s.markDisconnected()
		nsp.adapter.DelAll(s)
		nsp.remove(s)
		srv.recoveryFailed(nsp, pid, err)
		return nil
	}
	s.queueMissed(missed)
	srv.stats.recovery.recovered.Add(1)
	srv.stats.recovery.replayed.Add(uint64(len(missed)))
	srv.opts.Logger.Debug("hub: socket recovered", "sid", s.id, "nsp", nsp.name, "missed", len(missed))
	return s
}

// newPID returns the private session id of socket sid: the sid, a dot and
// 20 random characters. The sid part lets a returning client's new
// connection find its former socket when this server has not noticed yet
// that the old connection is gone (takeOver); the random part is the
// secret.
func newPID(sid string) string { return sid + "." + newSocketID() }

// takeOver handles a client that presents the pid of a socket still
// connected here: its old connection is dead but not yet detected (a
// half-open TCP connection after a network change, a cut polling
// request), so its session was not saved. The old connection is closed as
// a transport close (its disconnect handler runs, its session is saved)
// and takeOver waits for that, until ctx ends; it reports whether the
// session should now be in the store.
func (c *client) takeOver(ctx context.Context, nsp *Namespace, pid string) bool {
	sid, _, ok := strings.Cut(pid, ".")
	if !ok {
		return false
	}
	old := nsp.localSocket(sid)
	if old == nil || old.client == c || subtle.ConstantTimeCompare([]byte(old.pid), []byte(pid)) != 1 {
		return false
	}
	left := old.awaitLeft()
	old.client.closeAll(ReasonTransportClose)
	select {
	case <-left:
		c.srv.stats.recovery.takenOver.Add(1)
		return true
	case <-ctx.Done():
		return false
	}
}

// markLeft records that leave has finished for the socket.
func (s *Socket) markLeft() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.left = true
	if s.aside != nil && s.aside.leftCh != nil {
		close(s.aside.leftCh)
	}
}

// awaitLeft returns a channel closed once leave has finished.
func (s *Socket) awaitLeft() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.asideLocked()
	if a.leftCh == nil {
		a.leftCh = make(chan struct{})
		if s.left {
			close(a.leftCh)
		}
	}
	return a.leftCh
}

// recoveryFailed counts and logs a recovery attempt that gets a new session.
func (srv *Server) recoveryFailed(nsp *Namespace, pid string, err error) {
	c := &srv.stats.recovery
	switch {
	case errors.Is(err, ErrSessionUnknown):
		c.unknown.Add(1)
	case errors.Is(err, ErrOffsetUnknown):
		c.stale.Add(1)
	default:
		c.errors.Add(1)
		srv.opts.Logger.Warn("hub: recovery store failed, new session", "nsp", nsp.name, "err", err)
		return
	}
	srv.opts.Logger.Debug("hub: not recovered, new session", "nsp", nsp.name, "err", err)
}

// replaySet holds the offsets of the last packets replayed to a recovered
// socket, for a while: a packet recorded just before the store was read
// can still be on its way to the socket live (the emitting goroutine
// records, then delivers; another node's broadcast comes through the bus
// on its own schedule), and must not arrive twice.
type replaySet struct {
	offsets map[string]struct{}
	until   time.Time
}

const (
	// replayKeep is how many of the newest replayed offsets are kept and
	// replayWindow how long: a live copy later than that is not expected.
	replayKeep   = 1024
	replayWindow = 10 * time.Second
)

// replayedLocked reports whether offset was replayed to this recovered
// socket; it forgets the set once its window is over. s.mu is held.
func (s *Socket) replayedLocked(offset string) bool {
	if s.aside == nil || s.aside.replayed == nil {
		return false
	}
	if time.Now().After(s.aside.replayed.until) {
		s.aside.replayed = nil
		return false
	}
	_, dup := s.aside.replayed.offsets[offset]
	return dup
}

// queueMissed puts the missed packets, oldest first, ahead of what was
// queued for the connecting socket, dropping the queued packets that the
// replay holds already, and keeps the newest replayed offsets so that
// late live copies are dropped too.
func (s *Socket) queueMissed(missed []StoredPacket) {
	if len(missed) == 0 {
		return
	}
	set := &replaySet{offsets: make(map[string]struct{}, min(len(missed), replayKeep)), until: time.Now().Add(replayWindow)}
	for _, m := range missed[max(0, len(missed)-replayKeep):] {
		set.offsets[m.Offset] = struct{}{}
	}
	queue := make([]pendingSend, 0, len(missed)+1)
	for i := range missed {
		m := &missed[i]
		args := make([][]byte, len(m.Args), len(m.Args)+1)
		copy(args, m.Args)
		args = append(args, quoteOffset(m.Offset))
		queue = append(queue, pendingSend{out: encodePacket(sio.Event, s.nsp.name, -1, m.Event, args, m.Attachments), offset: m.Offset})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pending {
		if _, dup := set.offsets[p.offset]; dup && p.offset != "" {
			continue
		}
		queue = append(queue, p)
	}
	s.pending = queue
	s.asideLocked().replayed = set
}

// skipsMiddlewares reports whether the namespace's middlewares are skipped
// for this socket (recovered, and RecoveryOptions.RunMiddlewares off).
func (s *Socket) skipsMiddlewares() bool {
	rec := s.nsp.srv.opts.Recovery
	return s.recovered && rec != nil && !rec.RunMiddlewares
}

// connectReply is the CONNECT reply's payload: {"sid"} or, with recovery
// on, {"sid","pid"}.
func (s *Socket) connectReply() []byte {
	b, _ := json.Marshal(struct {
		SID string `json:"sid"`
		PID string `json:"pid,omitempty"`
	}{s.id, s.pid})
	return b
}
