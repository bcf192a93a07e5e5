package redisadapter

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/siogate/siogate/hub"
)

// Bus is one node's connection to the Redis pub/sub bus, shared by the
// adapters of all its namespaces: one subscription connection for every
// channel, one publisher that keeps this node's messages in order.
//
//	bus, err := redisadapter.New(redisadapter.Options{URL: "redis://127.0.0.1:6379"})
//	srv, err := hub.New(hub.Options{NewAdapter: bus.NewAdapter})
//	...
//	srv.Shutdown(ctx) // closes the adapters
//	bus.Close()
//
// The Bus owns two goroutines, started by New and stopped by Close. When
// Redis goes away they keep trying to reconnect (backing off up to a
// second) and resubscribe everything; meanwhile local delivery goes on,
// publishes are dropped and counted, and requests fail fast with
// ErrUnavailable. Its methods are safe for concurrent use.
type Bus struct {
	opts      Options
	client    redis.UniversalClient
	ownClient bool
	uid       string
	log       *slog.Logger
	stats     counters

	queue   chan outgoing
	stopPub chan struct{}
	stopSub chan struct{}
	ctx     context.Context // canceled by Close: aborts dials
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	closed atomic.Bool
	down   atomic.Bool // the last subscription session failed

	mu        sync.RWMutex
	ps        *redis.PubSub    // the current session's, nil between sessions
	routes    map[string]route // subscribed channel or pattern -> owner
	confirmed map[string]bool  // subscriptions Redis confirmed in the current session
	up        bool             // a subscription was confirmed since the last failure
	everUp    bool
	lastErr   error
	changed   chan struct{} // closed and replaced whenever the state changes
}

type routeKind uint8

const (
	routeBroadcast routeKind = iota // the pattern <key>#<nsp>#*
	routeRequest
	routeResponse // shared or this node's own response channel
)

type route struct {
	a    *Adapter
	kind routeKind
}

// New connects to Redis as o says and starts the Bus. It does not wait for
// Redis: a Bus started while Redis is down connects when it comes up.
func New(o Options) (*Bus, error) {
	o.setDefaults()
	b := &Bus{
		opts:      o,
		client:    o.Client,
		log:       o.Logger,
		queue:     make(chan outgoing, o.PublishQueue),
		stopPub:   make(chan struct{}),
		stopSub:   make(chan struct{}),
		routes:    make(map[string]route),
		confirmed: make(map[string]bool),
		changed:   make(chan struct{}),
	}
	if b.client == nil {
		c, err := NewClient(o.URL)
		if err != nil {
			return nil, err
		}
		b.client, b.ownClient = c, true
	}
	b.uid = newUID(6)
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.wg.Add(2)
	go b.subscriber()
	go b.publisher()
	return b, nil
}

// NewAdapter returns the adapter of nsp on this Bus; pass it as
// hub.Options.NewAdapter. The adapter subscribes at once (without waiting
// for Redis) and unsubscribes when the namespace's server shuts down.
func (b *Bus) NewAdapter(nsp *hub.Namespace) hub.Adapter {
	a := newAdapter(b, nsp)
	b.register(a)
	return a
}

// UID returns the node id this Bus puts on its messages (6 characters, as
// Node's adapter makes them).
func (b *Bus) UID() string { return b.uid }

// Client returns the Redis client.
func (b *Bus) Client() redis.UniversalClient { return b.client }

// Connected reports whether the subscriptions are in place.
func (b *Bus) Connected() bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.up
}

// Close publishes what is queued (for up to 2 s), stops the Bus's
// goroutines and closes the Redis client if the Bus created it. Adapters
// of the Bus keep working locally; their requests fail with ErrClosed.
// Close the Bus after shutting down the servers that use it.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		return nil
	}
	b.closed.Store(true)
	ps := b.ps
	adapters := b.adaptersLocked()
	b.notifyLocked()
	b.mu.Unlock()

	close(b.stopPub)
	close(b.stopSub)
	b.cancel()
	if ps != nil {
		_ = ps.Close() // unblocks the subscriber's read
	}
	b.wg.Wait()
	for _, a := range adapters {
		a.failPending(ErrClosed)
	}
	if b.ownClient {
		return b.client.Close()
	}
	return nil
}

// register routes a's channels to it and subscribes them.
func (b *Bus) register(a *Adapter) {
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		return
	}
	if old, ok := b.routes[a.reqChannel]; ok && old.a != a {
		b.log.Error("redisadapter: namespace registered twice on one Bus: the older adapter goes deaf (use one Bus per server)", "nsp", a.nsp.Name(), "node", b.uid)
	}
	b.routes[a.pattern] = route{a, routeBroadcast}
	b.routes[a.reqChannel] = route{a, routeRequest}
	b.routes[a.respChannel] = route{a, routeResponse}
	b.routes[a.ownRespChannel] = route{a, routeResponse}
	ps := b.ps
	b.mu.Unlock()
	if ps == nil {
		return // the next session subscribes them
	}
	// An error means the session is broken: it ends on its own and the
	// next one subscribes everything in routes.
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.RequestTimeout)
	defer cancel()
	if err := ps.Subscribe(ctx, a.reqChannel, a.respChannel, a.ownRespChannel); err == nil {
		_ = ps.PSubscribe(ctx, a.pattern)
	}
}

// unregister removes a's routes and unsubscribes them.
func (b *Bus) unregister(a *Adapter) {
	chans := []string{a.reqChannel, a.respChannel, a.ownRespChannel}
	b.mu.Lock()
	for _, c := range append(chans, a.pattern) {
		if r, ok := b.routes[c]; ok && r.a == a {
			delete(b.routes, c)
			delete(b.confirmed, c)
		}
	}
	ps := b.ps
	b.mu.Unlock()
	if ps == nil {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.RequestTimeout)
	defer cancel()
	if err := ps.Unsubscribe(ctx, chans...); err == nil {
		_ = ps.PUnsubscribe(ctx, a.pattern)
	}
}

func (b *Bus) adaptersLocked() []*Adapter {
	seen := make(map[*Adapter]bool)
	var out []*Adapter
	for _, r := range b.routes {
		if !seen[r.a] {
			seen[r.a] = true
			out = append(out, r.a)
		}
	}
	return out
}

func (b *Bus) notifyLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// readyLocked reports whether all of a's subscriptions are confirmed.
func (b *Bus) readyLocked(a *Adapter) bool {
	return b.up && b.confirmed[a.pattern] && b.confirmed[a.reqChannel] &&
		b.confirmed[a.respChannel] && b.confirmed[a.ownRespChannel]
}

// await waits until a's subscriptions are in place. It fails at once when
// the Bus is known to be down or closed.
func (b *Bus) await(ctx context.Context, a *Adapter) error {
	for {
		b.mu.RLock()
		switch {
		case b.closed.Load() || a.isClosed():
			b.mu.RUnlock()
			return ErrClosed
		case b.down.Load():
			err := b.lastErr
			b.mu.RUnlock()
			return unavailable(err)
		case b.readyLocked(a):
			b.mu.RUnlock()
			return nil
		}
		ch := b.changed
		b.mu.RUnlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%w: subscriptions not in place: %w", ErrUnavailable, ctx.Err())
		}
	}
}

func unavailable(cause error) error {
	if cause == nil {
		return ErrUnavailable
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, cause)
}

const uidChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// newUID returns n random characters from uidChars, as Node's uid2 makes
// them (64 characters: no modulo bias).
func newUID(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	for i, c := range buf {
		buf[i] = uidChars[int(c)%len(uidChars)]
	}
	return string(buf)
}
