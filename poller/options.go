package poller

import (
	"log/slog"
	"net/http"
	"time"
)

// Options configures a Server. The zero value is usable: every connection is
// refused a WebSocket upgrade (404) and plain HTTP gets 404.
type Options struct {
	// Upgrade decides a WebSocket handshake. It runs on the connection's I/O
	// goroutine with the parsed request head and must not block. It returns
	// the Handler for the new connection, or an error: an *HTTPError is sent
	// as is, any other error becomes 403. nil Upgrade refuses every upgrade.
	Upgrade func(r *Request) (Handler, error)

	// HTTP serves every request that is not a WebSocket upgrade, on the same
	// port, through the standard net/http server. nil answers 404.
	HTTP http.Handler

	// Direct picks the plain HTTP requests the reactor answers itself, with
	// no goroutine per connection or request: it runs on the I/O goroutine
	// with the parsed head and returns the DirectFunc that answers, or nil
	// to hand the connection to HTTP (net/http) from this request on.
	// Requests with a Transfer-Encoding or an Expect header always go to
	// net/http. nil: every plain request goes to net/http.
	Direct func(r *Request) DirectFunc

	// MaxDirectBody caps the body of a direct request (default 1 MiB). A
	// larger Content-Length is not read: the DirectFunc gets
	// ErrBodyTooLarge and the connection closes after its answer.
	MaxDirectBody int

	// BodyTimeout bounds the time from a direct request's head to the end
	// of its body (default 45 s); past it the DirectFunc gets
	// ErrBodyTimeout and the connection closes after its answer.
	BodyTimeout time.Duration

	// MaxHeaderBytes caps the request head read in the reactor (default
	// 16 KiB). A longer head gets 431 and the connection is closed.
	MaxHeaderBytes int

	// HandshakeTimeout bounds the time from accept to a complete request head
	// (default 10 s); a slower peer is closed (slowloris).
	HandshakeTimeout time.Duration

	// MaxMessageSize caps a WebSocket message, before the payload is read
	// (default 1,000,000 bytes, Engine.IO's maxPayload). Larger: close 1009.
	MaxMessageSize int

	// MaxQueuedBytes caps the bytes queued for one socket and not yet taken
	// by the kernel (default 1 MiB). Past it a volatile frame is dropped and
	// any other frame closes the socket as a slow consumer (close 1008).
	MaxQueuedBytes int

	// RetryInterval is how often sockets whose kernel buffer was full are
	// retried (default 10 ms).
	RetryInterval time.Duration

	// InlineWrites makes Send write at once on the caller's goroutine
	// instead of handing the socket to a flush goroutine (write behind,
	// the default, which coalesces bursts into one writev per socket).
	InlineWrites bool

	// FlushWorkers is the number of flush goroutines (default GOMAXPROCS).
	FlushWorkers int

	// CloseTimeout bounds how long a closing socket may take to flush its
	// close frame before TCP is closed anyway (default 2 s).
	CloseTimeout time.Duration

	// MaxHTTPBuffered caps the bytes read from a plain HTTP connection and
	// not yet consumed by its handler (default 4 MiB). netpoll reads
	// whatever arrives, so a client that sends faster than its handler
	// reads is cut here.
	MaxHTTPBuffered int

	// HTTPIdleTimeout is the keep-alive idle timeout of handed-off and
	// direct HTTP connections (default 60 s).
	HTTPIdleTimeout time.Duration

	// Wheel drives all deadlines. nil: the server starts its own.
	Wheel *Wheel

	// Logger receives rare operational events. nil: silent.
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = 16 << 10
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 10 * time.Second
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = 1000000
	}
	if o.MaxQueuedBytes <= 0 {
		o.MaxQueuedBytes = 1 << 20
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = 10 * time.Millisecond
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = 2 * time.Second
	}
	if o.MaxHTTPBuffered <= 0 {
		o.MaxHTTPBuffered = 4 << 20
	}
	if o.MaxDirectBody <= 0 {
		o.MaxDirectBody = 1 << 20
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = 45 * time.Second
	}
	if o.HTTPIdleTimeout <= 0 {
		o.HTTPIdleTimeout = 60 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}
