package redisadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/siogate/siogate/hub"
)

// StoreOptions configures a Store. The zero value works: a Redis at
// 127.0.0.1:6379, the "socket.io" prefix, 10,000 packets per namespace.
type StoreOptions struct {
	// Client is the Redis connection to use (Bus.Client shares the Bus's).
	// The caller keeps it: Store.Close does not close it.
	Client redis.UniversalClient
	// URL is used when Client is nil (default "redis://127.0.0.1:6379"),
	// in the forms Options.URL accepts. The Store owns a client it creates.
	URL string
	// Key prefixes the Store's keys (default "socket.io"); every node of a
	// cluster must use the same.
	Key string
	// MaxLen is about how many packets each namespace's stream keeps
	// (XADD MAXLEN ~; default 10,000, @socket.io/redis-streams-adapter's
	// maxLen). A client whose offset has been trimmed gets a new session.
	MaxLen int64
	// Queue bounds the writes waiting to be sent (default 8192). Past it a
	// packet is sent without an offset and counted in Stats.Dropped.
	Queue int
	// Timeout bounds one Redis call (default 5 s).
	Timeout time.Duration
	// Logger receives write failures; nil: silent.
	Logger *slog.Logger
}

func (o *StoreOptions) setDefaults() {
	if o.URL == "" {
		o.URL = "redis://127.0.0.1:6379"
	}
	if o.Key == "" {
		o.Key = "socket.io"
	}
	if o.MaxLen <= 0 {
		o.MaxLen = 10_000
	}
	if o.Queue <= 0 {
		o.Queue = 8192
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Store is a hub.SessionStore in Redis, so that a socket recovers on any
// node of a cluster and across restarts of a node:
//
//	bus, _ := redisadapter.New(redisadapter.Options{URL: url})
//	store, _ := redisadapter.NewStore(redisadapter.StoreOptions{Client: bus.Client()})
//	srv, _ := hub.New(hub.Options{NewAdapter: bus.NewAdapter, Recovery: &hub.RecoveryOptions{Store: store}})
//	...
//	srv.Shutdown(ctx) // saves the sessions of the sockets it closes
//	store.Close()     // writes what is queued
//	bus.Close()
//
// It only stores: delivery stays with the adapter (any adapter, the
// in-memory one included). Sessions are keys with a TTL of the recovery
// window; packets go to one Redis Stream per namespace, trimmed to about
// StoreOptions.MaxLen entries. Layout (key: the prefix, nsp: the
// namespace):
//
//	<key>-session#<nsp>#<pid>   JSON {"sid","rooms","data"}, PX = until the session expires
//	<key>-stream#<nsp>#         XADD MAXLEN ~ MaxLen, fields o (offset), e (event),
//	                            a (JSON array of the arguments), n and b0..b<n-1>
//	                            (attachments), r and x (JSON arrays of rooms and
//	                            except), t (Unix ms)
//
// Offsets are "<node id>-<n>": each Store numbers the packets of each
// namespace 1, 2, 3... in base 36, so an offset is known without a round trip to Redis and a
// broadcast never waits for Redis. Writes go through one goroutine, in
// order, pipelined; reads (Take, Missed) first wait until this node's
// queued writes are sent. Missed reads the stream backwards from its end
// to the client's offset, and refuses (hub.ErrOffsetUnknown) when it sees
// that a node's numbering skips a packet that was never written.
//
// The Store owns one goroutine, started by NewStore and stopped by Close.
// Its methods are safe for concurrent use.
type Store struct {
	opts      StoreOptions
	client    redis.UniversalClient
	ownClient bool
	uid       string
	seqs      sync.Map // namespace -> *atomic.Uint64: the last number given

	queue chan storeOp
	stop  chan struct{}
	wg    sync.WaitGroup

	closeMu sync.Mutex
	closed  atomic.Bool
	stats   storeCounters
}

var _ hub.SessionStore = (*Store)(nil)

// NewStore connects to Redis as o says and starts the Store's writer. It
// does not wait for Redis.
func NewStore(o StoreOptions) (*Store, error) {
	o.setDefaults()
	s := &Store{
		opts:   o,
		client: o.Client,
		uid:    newUID(8),
		queue:  make(chan storeOp, o.Queue),
		stop:   make(chan struct{}),
	}
	if s.client == nil {
		c, err := NewClient(o.URL)
		if err != nil {
			return nil, err
		}
		s.client, s.ownClient = c, true
	}
	s.wg.Add(1)
	go s.writer()
	return s, nil
}

// Close sends what is queued (for up to StoreOptions.Timeout), stops the
// writer and closes the Redis client if the Store created it. Close the
// Store after Server.Shutdown: the shutdown saves sessions.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed.Load() {
		return nil
	}
	s.closed.Store(true)
	close(s.stop)
	s.wg.Wait()
	if s.ownClient {
		return s.client.Close()
	}
	return nil
}

func (s *Store) streamKey(nsp string) string { return s.opts.Key + "-stream#" + nsp + "#" }

func (s *Store) sessionKey(nsp, pid string) string {
	return s.opts.Key + "-session#" + nsp + "#" + pid
}

// Append implements hub.SessionStore: the packet gets this node's next
// offset and its XADD is queued. When the queue is full or the Store
// closed it returns an error (the hub then sends the packet without an
// offset); the number is used up either way, so a recovery across the
// missing packet is refused rather than silently incomplete.
func (s *Store) Append(nsp string, p hub.StoredPacket) (string, error) {
	off := s.uid + "-" + strconv.FormatUint(s.nextSeq(nsp), 36)
	if s.closed.Load() {
		s.stats.dropped.Add(1)
		return "", ErrClosed
	}
	if p.Time.IsZero() {
		p.Time = time.Now()
	}
	p.Offset = off
	values, err := encodeEntry(&p)
	if err != nil {
		s.stats.dropped.Add(1)
		return "", err
	}
	select {
	case s.queue <- storeOp{kind: opAppend, key: s.streamKey(nsp), values: values}:
		return off, nil
	default:
		s.stats.dropped.Add(1)
		return "", errStoreQueueFull
	}
}

// nextSeq numbers the packets of nsp: 1, 2, 3...
func (s *Store) nextSeq(nsp string) uint64 {
	v, ok := s.seqs.Load(nsp)
	if !ok {
		v, _ = s.seqs.LoadOrStore(nsp, new(atomic.Uint64))
	}
	return v.(*atomic.Uint64).Add(1)
}

// sessionJSON is a session's value in Redis.
type sessionJSON struct {
	SID   string          `json:"sid"`
	Rooms []string        `json:"rooms"`
	Data  json.RawMessage `json:"data,omitempty"`
}

// Save implements hub.SessionStore: a SET with the session's remaining
// lifetime as TTL, queued after this node's earlier writes.
func (s *Store) Save(ctx context.Context, sess hub.Session) error {
	ttl := time.Until(sess.Expires)
	if ttl <= 0 {
		return nil
	}
	b, err := json.Marshal(sessionJSON{SID: sess.SID, Rooms: sess.Rooms, Data: sess.Data})
	if err != nil {
		return fmt.Errorf("redisadapter: session: %w", err)
	}
	return s.enqueue(ctx, storeOp{kind: opSave, key: s.sessionKey(sess.Nsp, sess.PID), payload: b, ttl: ttl})
}

// Take implements hub.SessionStore with GETDEL, after this node's queued
// writes.
func (s *Store) Take(ctx context.Context, nsp, pid string) (hub.Session, error) {
	if err := s.flush(ctx); err != nil {
		return hub.Session{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	key := s.sessionKey(nsp, pid)
	var (
		ttl *redis.DurationCmd
		get *redis.StringCmd
	)
	_, _ = s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		ttl = p.PTTL(ctx, key)
		get = p.GetDel(ctx, key)
		return nil
	})
	v, err := get.Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return hub.Session{}, hub.ErrSessionUnknown
	case err != nil:
		return hub.Session{}, fmt.Errorf("redisadapter: GETDEL session: %w", err)
	}
	var js sessionJSON
	if err := json.Unmarshal(v, &js); err != nil || js.SID == "" {
		return hub.Session{}, fmt.Errorf("redisadapter: session %q: not a session (%v)", pid, err)
	}
	return hub.Session{PID: pid, SID: js.SID, Nsp: nsp, Rooms: js.Rooms, Data: js.Data, Expires: time.Now().Add(ttl.Val())}, nil
}

// StoreStats is a snapshot of a Store's counters.
type StoreStats struct {
	Appended    uint64 // packets written to a stream
	Saved       uint64 // sessions written
	Dropped     uint64 // packets not queued (queue full, Store closed): sent without offset
	WriteErrors uint64 // packets and sessions Redis did not take
	Queued      int    // writes waiting
}

type storeCounters struct {
	appended, saved, dropped, writeErrors atomic.Uint64
}

// Stats returns the Store's counters.
func (s *Store) Stats() StoreStats {
	return StoreStats{
		Appended:    s.stats.appended.Load(),
		Saved:       s.stats.saved.Load(),
		Dropped:     s.stats.dropped.Load(),
		WriteErrors: s.stats.writeErrors.Load(),
		Queued:      len(s.queue),
	}
}

// UID returns the node id that prefixes this Store's offsets.
func (s *Store) UID() string { return s.uid }
