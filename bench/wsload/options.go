package wsload

import (
	"errors"
	"net/netip"
	"time"
)

// Options configures Dial. Zero values select the defaults noted per field.
type Options struct {
	// Addr is the server's host:port. Required.
	Addr string
	// Path is the request path of the upgrade. Default "/".
	Path string
	// N is the number of connections to open. Required, > 0.
	N int
	// Sources are local addresses to dial from, used round-robin. Empty: the
	// kernel chooses.
	Sources []netip.Addr
	// Concurrency bounds the dials and handshakes in flight. Default 200.
	Concurrency int
	// AttemptTimeout bounds one dial plus handshake. Default 10s.
	AttemptTimeout time.Duration
	// Echo makes every connection send one text message after the upgrade and
	// wait for its echo, so that the server has read and written once on it.
	Echo bool
}

const (
	defaultConcurrency    = 200
	defaultAttemptTimeout = 10 * time.Second
)

// withDefaults validates o and fills in the defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Addr == "" {
		return o, errors.New("wsload: Options.Addr is empty")
	}
	if o.N <= 0 {
		return o, errors.New("wsload: Options.N must be > 0")
	}
	if o.Path == "" {
		o.Path = "/"
	}
	if o.Path[0] != '/' {
		return o, errors.New("wsload: Options.Path must start with /")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = defaultConcurrency
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = defaultAttemptTimeout
	}
	return o, nil
}
