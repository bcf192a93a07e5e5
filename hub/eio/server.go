package eio

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/siogate/siogate/internal/shrink"
	"github.com/siogate/siogate/poller"
)

// Server is an Engine.IO v4 server. It serves the polling transport as an
// http.Handler (ServeHTTP) and the WebSocket transport as a poller upgrade
// callback (Upgrade); mount both on one poller.Server to get both
// transports, and the upgrade between them, on one port.
type Server struct {
	opts      Options
	wheel     *poller.Wheel
	ownWheel  bool
	shards    [sessionShards]sessionShard
	count     atomic.Int64
	draining  atomic.Bool
	stats     counters
	adm       admission // per-address limits (limits.go)
	closeOnce sync.Once
}

const sessionShards = 64

type sessionShard struct {
	mu   sync.RWMutex
	m    map[string]*Session
	peak shrink.Peak // the most sessions m held since it was rebuilt
}

// New validates o and builds a Server.
func New(o Options) (*Server, error) {
	o.setDefaults()
	if o.OnSession == nil {
		return nil, errors.New("eio: Options.OnSession is required")
	}
	if !strings.HasPrefix(o.Path, "/") {
		return nil, errors.New("eio: Options.Path must start with /")
	}
	if !strings.HasSuffix(o.Path, "/") {
		o.Path += "/"
	}
	if o.DisablePolling && o.DisableWebSocket {
		return nil, errors.New("eio: both transports disabled")
	}
	if err := checkLimits(&o); err != nil {
		return nil, err
	}
	s := &Server{opts: o, wheel: o.Wheel}
	s.initAdmission()
	if s.wheel == nil {
		s.wheel, s.ownWheel = poller.NewWheel(0), true
	}
	for i := range s.shards {
		s.shards[i].m = make(map[string]*Session)
	}
	return s, nil
}

// Options returns the options in force.
func (s *Server) Options() Options { return s.opts }

// Handles reports whether path belongs to this server.
func (s *Server) Handles(path string) bool {
	return strings.HasPrefix(path, s.opts.Path) || path+"/" == s.opts.Path
}

// Len reports the number of open sessions.
func (s *Server) Len() int { return int(s.count.Load()) }

// Session returns the open session with id sid, or nil.
func (s *Server) Session(sid string) *Session {
	sh := s.shardOf(sid)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.m[sid]
}

// Range calls fn for a snapshot of the open sessions until fn returns false.
func (s *Server) Range(fn func(*Session) bool) {
	var buf []*Session
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		buf = buf[:0]
		for _, ss := range sh.m {
			buf = append(buf, ss)
		}
		sh.mu.RUnlock()
		for _, ss := range buf {
			if !fn(ss) {
				return
			}
		}
	}
}

// Shutdown refuses new sessions and closes every open one with
// ReasonShutdown (WebSockets get close 1001, so clients reconnect; a
// polling client gets the close packet). ctx is accepted for symmetry with
// net/http; closing does not wait on clients.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.draining.Store(true)
		s.Range(func(ss *Session) bool {
			ss.closeWith(ReasonShutdown, nil, msgClose)
			return true
		})
		if s.ownWheel {
			s.wheel.Close()
		}
	})
	return ctx.Err()
}

func (s *Server) shardOf(sid string) *sessionShard {
	var h uint32 = 2166136261
	for i := 0; i < len(sid); i++ {
		h = (h ^ uint32(sid[i])) * 16777619
	}
	return &s.shards[h%sessionShards]
}

// remove forgets a session; it counts it as closed unless countClosed did.
func (s *Server) remove(ss *Session) {
	sh := s.shardOf(ss.id)
	sh.mu.Lock()
	uncount := false
	if sh.m[ss.id] == ss {
		shrink.Delete(&sh.m, &sh.peak, ss.id)
		uncount = !ss.uncounted
	}
	sh.mu.Unlock()
	if uncount {
		s.unadmit(ss.req)
	}
}

// countClosed takes a closed session that lingers in the registry out of
// the open-session count.
func (s *Server) countClosed(ss *Session) {
	sh := s.shardOf(ss.id)
	sh.mu.Lock()
	uncount := sh.m[ss.id] == ss && !ss.uncounted
	if uncount {
		ss.uncounted = true
	}
	sh.mu.Unlock()
	if uncount {
		s.unadmit(ss.req)
	}
}

// newSession creates and registers a session admitted by admit (which
// counted it) and asks OnSession for its handler.
func (s *Server) newSession(req *Request, kind transportKind) *Session {
	ss := &Session{srv: s, id: newSID(), req: req, kind: kind}
	if kind == kindWebSocket {
		ss.draining = true // until the WebSocket is attached in OnOpen
	}
	ss.timer.Init(ss.onHeartbeat)
	ss.h = s.opts.OnSession(ss)
	sh := s.shardOf(ss.id)
	sh.mu.Lock()
	sh.m[ss.id] = ss
	sh.peak.Grew(len(sh.m))
	sh.mu.Unlock()
	s.stats.opened.Add(1)
	return ss
}

// openFrame returns the open packet for ss.
func (s *Server) openFrame(ss *Session, polling bool) []byte {
	return s.openPacket(ss, polling).frame()
}

func (s *Server) openPacket(ss *Session, polling bool) *Outgoing {
	h := Handshake{
		SID:          ss.id,
		Upgrades:     []string{},
		PingInterval: s.opts.PingInterval,
		PingTimeout:  s.opts.PingTimeout,
		MaxPayload:   s.opts.MaxPayload,
	}
	if polling && !s.opts.DisableUpgrades && !s.opts.DisableWebSocket {
		h.Upgrades = []string{"websocket"}
	}
	b := AppendOpen(nil, h)
	return &Outgoing{typ: Open, data: b[1:]}
}
