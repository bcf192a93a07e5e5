package eio

import (
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/siogate/siogate/poller"
)

// Options configures a Server. The zero value is usable: path /socket.io/,
// both transports, upgrades allowed, Engine.IO's default timings, every
// origin allowed.
type Options struct {
	// Path is the URL path prefix served (default "/socket.io/").
	Path string

	// PingInterval, PingTimeout drive the server's heartbeat (defaults 25 s,
	// 20 s). A session that does not answer a ping within PingTimeout closes
	// with ReasonPingTimeout.
	PingInterval, PingTimeout time.Duration

	// UpgradeTimeout bounds a polling -> WebSocket upgrade (default 10 s).
	UpgradeTimeout time.Duration

	// MaxPayload is the largest message (WebSocket) or POST body (polling) a
	// client may send, announced in the handshake (default 1,000,000 bytes).
	MaxPayload int

	// MaxQueuedBytes bounds what the server queues for one polling session
	// and, through poller, one WebSocket (default 1 MiB). Past it volatile
	// messages are dropped and other messages close the session.
	MaxQueuedBytes int

	// DisablePolling, DisableWebSocket turn a transport off.
	DisablePolling, DisableWebSocket bool
	// DisableUpgrades keeps polling sessions on polling.
	DisableUpgrades bool

	// MaxConnections caps the open sessions (0: no limit). A handshake over
	// it is refused with 503 {"code":4,"message":"Too many connections"}.
	MaxConnections int
	// MaxConnectionsPerIP caps the open sessions of one client address (see
	// Server.ClientIP; 0: no limit). Over it: 429 {"code":4,"message":"Too
	// many connections from this address"}.
	MaxConnectionsPerIP int
	// HandshakeRate caps new sessions per second from one client address
	// (0: no limit), a token bucket of HandshakeBurst tokens (default: the
	// rate rounded up). Over it: 429 {"code":4,"message":"Too many
	// handshakes from this address"} with Retry-After. At most 65,536
	// addresses are tracked; forgetting one only gives it a full bucket.
	HandshakeRate  float64
	HandshakeBurst int
	// TrustedProxies lists the proxies whose X-Forwarded-For is believed
	// (see Server.ClientIP; empty: the TCP peer is the client).
	TrustedProxies []netip.Prefix

	// AllowedOrigins lists the origins accepted for cross-origin polling
	// (CORS) and for WebSocket handshakes; "*" accepts any. Empty: every
	// origin is accepted and no CORS headers are sent.
	AllowedOrigins []string
	// AllowCredentials adds Access-Control-Allow-Credentials to CORS answers.
	AllowCredentials bool
	// CheckRequest may refuse a handshake (polling or WebSocket) with an
	// error; the client gets 403 {"code":4,"message":"Forbidden"}.
	CheckRequest func(r *Request) error

	// OnSession is called for every new session, before the open packet is
	// sent, and returns its Handler. Required.
	OnSession func(s *Session) Handler

	// Wheel drives heartbeats; nil: the server starts its own.
	Wheel *poller.Wheel
	// Logger; nil: silent.
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	if o.Path == "" {
		o.Path = "/socket.io/"
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 25 * time.Second
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = 20 * time.Second
	}
	if o.UpgradeTimeout <= 0 {
		o.UpgradeTimeout = 10 * time.Second
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = 1000000
	}
	if o.MaxQueuedBytes <= 0 {
		o.MaxQueuedBytes = 1 << 20
	}
	if o.HandshakeRate > 0 && o.HandshakeBurst <= 0 {
		o.HandshakeBurst = int(math.Ceil(o.HandshakeRate))
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Request describes the HTTP request that opened a session.
type Request struct {
	Transport  string // "polling" or "websocket"
	URL        string // request target, e.g. /socket.io/?EIO=4&transport=polling
	Header     http.Header
	RemoteAddr string
	Time       time.Time
}

// Query parses the query of URL. It is parsed on each call rather than kept,
// which saves a map per session.
func (r *Request) Query() url.Values {
	_, raw, _ := strings.Cut(r.URL, "?")
	q, _ := url.ParseQuery(raw)
	return q
}
