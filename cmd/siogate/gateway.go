package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/siogate/siogate/cmd/siogate/chat"
	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/eio"
	"github.com/siogate/siogate/hub/redisadapter"
	"github.com/siogate/siogate/poller"
)

// gateway is the running binary: the hub, the reactor it is mounted on,
// and the HTTP side (health, metrics, API).
//
// The gateway mounts the hub on a poller.Server of its own rather than
// calling hub.Server.Serve, so that every Socket.IO handshake (WebSocket
// upgrades in the reactor, polling requests in net/http) passes the
// gateway's origin policy and drain gate first.
type gateway struct {
	cfg     config
	srv     *hub.Server
	nsps    map[string]*hub.Namespace // the configured namespaces; never created on demand
	reactor *poller.Server
	auth    *authenticator
	origins originPolicy
	hooks   *webhooks           // nil without -webhook-url
	bus     *redisadapter.Bus   // nil without -redis-url
	store   *redisadapter.Store // recovery in Redis: nil without -redis-url or with -recovery=false
	chat    *chat.Chat          // nil with -chat=false
	metrics *metrics
	apiKeys [][]byte
	logger  *slog.Logger
	start   time.Time

	draining atomic.Bool
}

func newGateway(cfg config, logger *slog.Logger) (*gateway, error) {
	auth, err := newAuthenticator(cfg)
	if err != nil {
		return nil, err
	}
	g := &gateway{
		cfg:     cfg,
		nsps:    make(map[string]*hub.Namespace),
		auth:    auth,
		origins: newOriginPolicy(cfg.allowedOrigins),
		metrics: newMetrics(),
		logger:  logger,
		start:   time.Now(),
	}
	for _, k := range cfg.apiKeys {
		g.apiKeys = append(g.apiKeys, []byte(k))
	}
	var newAdapter func(*hub.Namespace) hub.Adapter
	if cfg.redisURL != "" {
		g.bus, err = redisadapter.New(redisadapter.Options{URL: cfg.redisURL, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("-redis-url: %w", err)
		}
		newAdapter = g.bus.NewAdapter
	}
	var recovery *hub.RecoveryOptions
	if cfg.recovery {
		recovery = &hub.RecoveryOptions{MaxDisconnectionDuration: cfg.recoveryMaxDisconnection}
		if g.bus != nil { // sessions and packets in Redis: sockets recover on any node, and across restarts
			g.store, err = redisadapter.NewStore(redisadapter.StoreOptions{Client: g.bus.Client(), Logger: logger})
			if err != nil {
				return nil, fmt.Errorf("recovery store: %w", err)
			}
			recovery.Store = g.store
		}
	}
	g.srv, err = hub.New(cfg.limits.apply(hub.Options{
		NewAdapter:     newAdapter,
		Path:           cfg.path,
		PingInterval:   cfg.pingInterval,
		PingTimeout:    cfg.pingTimeout,
		ConnectTimeout: cfg.connectTimeout,
		MaxPayload:     cfg.maxPayload,
		MaxQueuedBytes: cfg.maxQueued,
		Workers:        cfg.workers,
		// An explicit list is checked by Engine.IO, which also answers CORS
		// for it; the same-host default is checked in front (socketIOGate).
		AllowedOrigins: cfg.allowedOrigins,
		Logger:         logger,
		Recovery:       recovery,
	}))
	if err != nil {
		return nil, err
	}
	g.hooks = newWebhooks(cfg, g.metrics, logger)
	for _, name := range cfg.namespaces {
		n := g.srv.Of(name)
		g.setupNamespace(n)
		g.nsps[n.Name()] = n
	}
	if cfg.chat {
		if err := g.setupChat(); err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = g.srv.Shutdown(ctx)
			if g.hooks != nil {
				_ = g.hooks.Close(ctx)
			}
			return nil, err
		}
	}
	g.metrics.reg.MustRegister(newStatsCollector(g))
	eo := g.srv.Engine().Options()
	popts := poller.Options{
		HTTP:           g.routes(),
		Upgrade:        g.upgrade,
		Direct:         g.direct,
		Wheel:          g.srv.Wheel(),
		MaxMessageSize: eo.MaxPayload,
		MaxQueuedBytes: eo.MaxQueuedBytes,
		Logger:         logger,
	}
	g.srv.DirectOptions(&popts)
	g.reactor, err = poller.New(popts)
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = g.srv.Shutdown(ctx)
		if g.hooks != nil {
			_ = g.hooks.Close(ctx)
		}
		return nil, err
	}
	return g, nil
}

// serve runs the reactor on ln until the drain stops it.
func (g *gateway) serve(ln net.Listener) error { return g.reactor.Serve(ln) }

// routes is the HTTP side, served by net/http on the reactor's port.
func (g *gateway) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(g.srv.Options().Path, g.socketIOGate(g.srv))
	mux.HandleFunc("GET /healthz", g.healthz)
	mux.HandleFunc("GET /readyz", g.readyz)
	mux.Handle("GET /metrics", g.metrics.handlerHTTP())
	mux.Handle("/api/", g.api())
	if g.chat != nil {
		mux.Handle("/", g.chat.Handler()) // the page at / and its files (GET only)
	} else {
		mux.HandleFunc("GET /{$}", g.index)
	}
	return mux
}

func (g *gateway) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	st := g.srv.Stats()
	fmt.Fprintf(w, "siogate: Socket.IO endpoint at %s (%d clients, %d sockets, up %s)\n",
		g.cfg.path, st.Clients, st.Sockets, time.Since(g.start).Round(time.Second))
}

// refusal is the gate's answer to a Socket.IO request it stops.
type refusal struct {
	status int
	ctype  string
	body   []byte
}

// gate applies the origin policy and the drain gate (new sessions only:
// requests with a sid go on while the gateway drains) to a Socket.IO
// request; nil lets it through.
func (g *gateway) gate(origin, host string, query func() url.Values) *refusal {
	if !g.origins.allowed(origin, host) {
		g.metrics.rejected("origin")
		he := &eio.HandshakeError{Code: eio.CodeForbidden}
		return &refusal{status: he.Status(), ctype: "application/json", body: he.Body()}
	}
	if g.draining.Load() && query().Get("sid") == "" {
		g.metrics.rejected("draining")
		return &refusal{status: http.StatusServiceUnavailable, ctype: "text/plain; charset=utf-8", body: []byte("Server shutting down")}
	}
	return nil
}

// upgrade is the reactor's WebSocket upgrade callback: the gate, then the
// hub.
func (g *gateway) upgrade(r *poller.Request) (poller.Handler, error) {
	if g.srv.Handles(r.Path) {
		if rf := g.gate(r.Origin(), r.Host, r.Query); rf != nil {
			return nil, &poller.HTTPError{Status: rf.status, ContentType: rf.ctype, Body: rf.body}
		}
	}
	return g.srv.Upgrade(r)
}

// direct is the reactor's Direct callback: polling requests pass the gate
// and are answered on the reactor; everything else goes to routes.
func (g *gateway) direct(r *poller.Request) poller.DirectFunc {
	fn := g.srv.Direct(r)
	if fn == nil {
		return nil
	}
	if rf := g.gate(r.Origin(), r.Host, r.Query); rf != nil {
		return func(ex *poller.Exchange) {
			ex.Respond(rf.status, http.Header{"Content-Type": {rf.ctype}}, rf.body)
		}
	}
	return fn
}

// socketIOGate applies the gate to polling requests that reach net/http
// (those the reactor hands off, e.g. with a chunked body).
func (g *gateway) socketIOGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rf := g.gate(r.Header.Get("Origin"), r.Host, r.URL.Query); rf != nil {
			w.Header().Set("Content-Type", rf.ctype)
			w.WriteHeader(rf.status)
			_, _ = w.Write(rf.body)
			return
		}
		next.ServeHTTP(w, r)
	})
}
