package hub

import (
	"log/slog"
	"net/netip"
	"time"
)

// Options configures a Server. The zero value is usable: path /socket.io/,
// both transports, Socket.IO's default timings, the in-memory adapter.
type Options struct {
	// Path is the endpoint path (default "/socket.io/").
	Path string
	// PingInterval, PingTimeout: Engine.IO heartbeat (defaults 25 s, 20 s).
	PingInterval, PingTimeout time.Duration
	// UpgradeTimeout bounds a polling -> WebSocket upgrade (default 10 s).
	UpgradeTimeout time.Duration
	// ConnectTimeout: a connection that joins no namespace within it is
	// closed (default 45 s).
	ConnectTimeout time.Duration
	// MaxPayload is the largest message or POST body a client may send
	// (default 1,000,000 bytes).
	MaxPayload int
	// MaxAttachments caps binary attachments per packet (default 10).
	MaxAttachments int
	// MaxQueuedBytes bounds what is queued for one client (default 1 MiB);
	// past it volatile emits are dropped and others disconnect the client
	// as a slow consumer.
	MaxQueuedBytes int
	// MaxMailbox bounds the packets received from one client and not yet
	// handled (default 1024); past it the client is disconnected.
	MaxMailbox int
	// Workers bounds the goroutines running handlers (default 10,000).
	// While handlers only use the CPU, 4 × GOMAXPROCS of them (at least 8)
	// run at once; more are started, up to Workers, while handlers block
	// (poller.ExecutorOptions.Parallel; Stats.WorkersLimit shows the
	// current bound).
	Workers int

	// MaxConnections, MaxConnectionsPerIP, HandshakeRate, HandshakeBurst
	// and TrustedProxies are the Engine.IO admission limits (see
	// eio.Options; 0: no limit): a handshake over them gets 503 or 429 and
	// the Engine.IO error JSON.
	MaxConnections, MaxConnectionsPerIP int
	HandshakeRate                       float64
	HandshakeBurst                      int
	TrustedProxies                      []netip.Prefix
	// EventRate caps the events per second one connection may send (0: no
	// limit), a token bucket of EventBurst tokens (default: the rate
	// rounded up); EventRatePolicy says what happens to an event over it
	// (default RateAckError).
	EventRate       float64
	EventBurst      int
	EventRatePolicy RatePolicy
	// MaxRoomsPerSocket caps the rooms one socket may be in, its own id
	// room not counted (default 1024; negative: no limit). Join returns
	// ErrTooManyRooms past it.
	MaxRoomsPerSocket int
	// MaxPendingAcks caps the acknowledgements the server awaits from one
	// socket at a time (default 1024; negative: no limit). EmitWithAck
	// returns ErrTooManyPendingAcks past it; a broadcast with acks skips
	// the socket.
	MaxPendingAcks int

	// DisablePolling, DisableWebSocket turn a transport off.
	DisablePolling, DisableWebSocket bool
	// AllowedOrigins lists origins accepted for CORS and WebSocket handshakes
	// ("*" for any). Empty: no origin check, no CORS headers.
	AllowedOrigins []string
	// AllowCredentials adds Access-Control-Allow-Credentials.
	AllowCredentials bool
	// AckTimeout is the default wait of EmitWithAck calls whose context has
	// no deadline (default 30 s).
	AckTimeout time.Duration
	// NewAdapter builds the adapter of each namespace (default: in-memory).
	NewAdapter func(nsp *Namespace) Adapter
	// Recovery turns connection state recovery on (nil: off, as in Node):
	// sockets that lose their connection get their id, rooms, data and
	// missed packets back when they return in time (recovery.go,
	// docs/recovery.md).
	Recovery *RecoveryOptions
	// Logger; nil: silent.
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	if o.Path == "" {
		o.Path = "/socket.io/"
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 45 * time.Second
	}
	if o.MaxAttachments <= 0 {
		o.MaxAttachments = 10
	}
	if o.MaxMailbox <= 0 {
		o.MaxMailbox = 1024
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 30 * time.Second
	}
	if o.NewAdapter == nil {
		o.NewAdapter = func(nsp *Namespace) Adapter { return NewMemoryAdapter(nsp) }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.setLimitDefaults()
	o.setRecoveryDefaults()
}
