package hub

import (
	"context"
	"errors"
	"net"
	"net/http"

	"sync"

	"github.com/siogate/siogate/hub/eio"
	"github.com/siogate/siogate/poller"
)

// Server is a Socket.IO v5 server (Engine.IO v4 underneath) on siogate's
// reactor. Create it with New, register handlers on namespaces (Of; the
// Server's own On/OnConnect/Emit/To... act on "/"), then either run it
// standalone (ListenAndServe) or mount it (ServeHTTP + Upgrade).
type Server struct {
	opts      Options
	eio       *eio.Server
	wheel     *poller.Wheel
	exec      *poller.Executor
	stats     counters
	joinLocks joinLocks // MaxRoomsPerSocket checks (limits.go)
	// The event bucket's spacing and tolerance, ns, from Options.EventRate
	// and EventBurst (limits.go); 0: no limit.
	eventInterval, eventTolerance int64

	createMu sync.Mutex // serializes dynamic namespace creation
	mu       sync.RWMutex
	nsps     map[string]*Namespace
	dynamic  []dynamicNamespace

	pollMu  sync.Mutex
	poll    *poller.Server // set by Serve
	mounted *poller.Server // started for adopted WebSockets in the mounted mode
	shut    bool           // Shutdown has begun: Serve refuses to start

	closeOnce sync.Once
}

type dynamicNamespace struct {
	match func(name string) bool
	setup func(*Namespace)
}

// New builds a server from o (defaults filled in).
func New(o Options) (*Server, error) {
	o.setDefaults()
	if err := o.checkLimits(); err != nil {
		return nil, err
	}
	s := &Server{opts: o, nsps: make(map[string]*Namespace)}
	s.eventInterval, s.eventTolerance = o.eventSpacing()
	s.wheel = poller.NewWheel(0)
	ex, err := poller.NewExecutor(poller.ExecutorOptions{Workers: o.Workers, OnPanic: func(v any) {
		s.opts.Logger.Error("hub: task panicked", "err", v)
	}})
	if err != nil {
		s.wheel.Close()
		return nil, err
	}
	s.exec = ex
	s.eio, err = eio.New(eio.Options{
		Path:                o.Path,
		PingInterval:        o.PingInterval,
		PingTimeout:         o.PingTimeout,
		UpgradeTimeout:      o.UpgradeTimeout,
		MaxPayload:          o.MaxPayload,
		MaxQueuedBytes:      o.MaxQueuedBytes,
		DisablePolling:      o.DisablePolling,
		DisableWebSocket:    o.DisableWebSocket,
		AllowedOrigins:      o.AllowedOrigins,
		AllowCredentials:    o.AllowCredentials,
		MaxConnections:      o.MaxConnections,
		MaxConnectionsPerIP: o.MaxConnectionsPerIP,
		HandshakeRate:       o.HandshakeRate,
		HandshakeBurst:      o.HandshakeBurst,
		TrustedProxies:      o.TrustedProxies,
		Wheel:               s.wheel,
		Logger:              o.Logger,
		OnSession:           func(sess *eio.Session) eio.Handler { return s.newClient(sess) },
	})
	if err != nil {
		_ = ex.Close(0)
		s.wheel.Close()
		return nil, err
	}
	s.opts.Path = s.eio.Options().Path
	s.Of("/")
	return s, nil
}

// Options returns the options in force.
func (s *Server) Options() Options { return s.opts }

// Engine returns the Engine.IO server underneath.
func (s *Server) Engine() *eio.Server { return s.eio }

// Wheel returns the timing wheel shared by the server's layers.
func (s *Server) Wheel() *poller.Wheel { return s.wheel }

// Of returns the namespace name, creating it on first use.
func (s *Server) Of(name string) *Namespace {
	if name == "" || name[0] != '/' {
		name = "/" + name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nsps[name]
	if n == nil {
		n = newNamespace(s, name)
		s.nsps[name] = n
	}
	return n
}

// OfFunc accepts namespaces created on demand: when a client connects to a
// name that matches and does not exist yet, the namespace is created and
// setup registers its handlers (like Node's io.of(regexp)).
func (s *Server) OfFunc(match func(name string) bool, setup func(*Namespace)) {
	s.mu.Lock()
	s.dynamic = append(s.dynamic, dynamicNamespace{match, setup})
	s.mu.Unlock()
}

// namespaceFor returns the namespace a CONNECT asks for, or nil.
func (s *Server) namespaceFor(name string) *Namespace {
	s.mu.RLock()
	n := s.nsps[name]
	dyn := s.dynamic
	s.mu.RUnlock()
	if n != nil {
		return n
	}
	for _, d := range dyn {
		if !d.match(name) {
			continue
		}
		// One creation at a time: setup runs once, before the namespace is
		// visible to anyone.
		s.createMu.Lock()
		defer s.createMu.Unlock()
		s.mu.RLock()
		n = s.nsps[name]
		s.mu.RUnlock()
		if n != nil {
			return n
		}
		n = newNamespace(s, name)
		if d.setup != nil {
			d.setup(n)
		}
		s.mu.Lock()
		s.nsps[name] = n
		s.mu.Unlock()
		return n
	}
	return nil
}

// Namespaces returns the names of the existing namespaces.
func (s *Server) Namespaces() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.nsps))
	for name := range s.nsps {
		out = append(out, name)
	}
	return out
}

// The default namespace, for python-socketio-like brevity.

// On registers an event handler on "/".
func (s *Server) On(event string, h EventHandler) { s.Of("/").On(event, h) }

// OnConnect sets the connect handler of "/".
func (s *Server) OnConnect(h ConnectHandler) { s.Of("/").OnConnect(h) }

// OnDisconnect sets the disconnect handler of "/".
func (s *Server) OnDisconnect(h DisconnectHandler) { s.Of("/").OnDisconnect(h) }

// Use adds a middleware to "/".
func (s *Server) Use(mw ConnectHandler) { s.Of("/").Use(mw) }

// Emit sends an event to every socket of "/".
func (s *Server) Emit(event string, args ...any) error { return s.Of("/").Emit(event, args...) }

// Send emits "message" to every socket of "/".
func (s *Server) Send(args ...any) error { return s.Of("/").Send(args...) }

// To returns a broadcast to rooms of "/".
func (s *Server) To(rooms ...string) BroadcastOperator { return s.Of("/").To(rooms...) }

// In is To.
func (s *Server) In(rooms ...string) BroadcastOperator { return s.Of("/").To(rooms...) }

// Except returns a broadcast to "/" skipping rooms or ids.
func (s *Server) Except(rooms ...string) BroadcastOperator { return s.Of("/").Except(rooms...) }

// Handles reports whether path belongs to the Socket.IO endpoint.
func (s *Server) Handles(path string) bool { return s.eio.Handles(path) }

// Upgrade is the poller upgrade callback for the endpoint path.
func (s *Server) Upgrade(r *poller.Request) (poller.Handler, error) {
	if !s.Handles(r.Path) {
		return nil, &poller.HTTPError{Status: http.StatusNotFound, Body: []byte("Not Found")}
	}
	return s.eio.Upgrade(r)
}

// Direct is the poller Direct callback for the endpoint path: polling
// requests answered on the reactor, with no goroutine per request or per
// parked GET. Other paths return nil (net/http serves them). Use it with
// DirectOptions on a poller.Server of your own.
func (s *Server) Direct(r *poller.Request) poller.DirectFunc { return s.eio.Direct(r) }

// DirectOptions fills the poller options Direct relies on (the body limit
// and deadline of polling POSTs).
func (s *Server) DirectOptions(o *poller.Options) { s.eio.DirectOptions(o) }

// ListenAndServe listens on addr and serves Socket.IO (both transports and
// the upgrade) on the reactor; other paths get 404. Use Serve with a
// poller.Server of your own to add HTTP routes on the same port.
func (s *Server) ListenAndServe(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln, nil)
}

// Serve serves on ln; requests outside the endpoint path go to other (nil:
// 404). After Shutdown it closes ln and returns ErrServerClosed.
func (s *Server) Serve(ln net.Listener, other http.Handler) error {
	mux := http.NewServeMux()
	if other != nil {
		mux.Handle("/", other)
	}
	mux.Handle(s.opts.Path, s)
	p, err := s.newReactor(mux)
	if err != nil {
		return err
	}
	s.pollMu.Lock()
	if s.shut {
		// Shutdown ran before Serve got here: nothing would stop p.
		s.pollMu.Unlock()
		_ = p.Shutdown(context.Background())
		_ = ln.Close()
		return ErrServerClosed
	}
	if s.poll != nil {
		s.pollMu.Unlock()
		return errors.New("hub: Serve called twice")
	}
	s.poll = p
	s.pollMu.Unlock()
	return p.Serve(ln)
}

func (s *Server) newReactor(h http.Handler) (*poller.Server, error) {
	o := poller.Options{
		HTTP:           h,
		Upgrade:        s.Upgrade,
		Direct:         s.Direct,
		Wheel:          s.wheel,
		MaxMessageSize: s.eio.Options().MaxPayload,
		MaxQueuedBytes: s.eio.Options().MaxQueuedBytes,
		Logger:         s.opts.Logger,
	}
	s.DirectOptions(&o)
	return poller.New(o)
}

// Reactor returns the poller.Server started by Serve (nil before).
func (s *Server) Reactor() *poller.Server {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	return s.poll
}

// Shutdown closes every connection (WebSockets get close 1001 so clients
// reconnect elsewhere), runs the disconnect handlers, and stops the
// reactor, waiting until ctx is done at most.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.closeOnce.Do(func() {
		_ = s.eio.Shutdown(ctx)
		s.pollMu.Lock()
		s.shut = true
		reactors := []*poller.Server{s.poll, s.mounted}
		s.pollMu.Unlock()
		for _, p := range reactors {
			if p != nil {
				if perr := p.Shutdown(ctx); perr != nil && err == nil {
					err = perr
				}
			}
		}
		timeout := remaining(ctx)
		if xerr := s.exec.Close(timeout); xerr != nil && err == nil {
			err = xerr
		}
		s.mu.RLock()
		for _, n := range s.nsps {
			_ = n.adapter.Close()
		}
		s.mu.RUnlock()
		s.wheel.Close()
	})
	return err
}
