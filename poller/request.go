package poller

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Request is a request head as the reactor parsed it: a WebSocket
// handshake (Options.Upgrade) or a request answered on the reactor
// (Options.Direct). It is built once per request and owned by the callback
// afterwards.
type Request struct {
	// Method is the request method ("GET" for every WebSocket handshake).
	Method string
	// URI is the raw request-target, e.g. "/socket.io/?EIO=4&transport=websocket".
	URI string
	// Path and RawQuery split URI.
	Path, RawQuery string
	// Host is the Host header.
	Host string
	// Header holds every header that is not part of the WebSocket handshake
	// itself (Origin, Cookie, X-Forwarded-For, User-Agent, ...).
	Header http.Header
	// RemoteAddr is the TCP peer.
	RemoteAddr net.Addr
	// ContentLength is the declared body length of a direct request (0 when
	// absent).
	ContentLength int64

	query url.Values
}

// Query parses RawQuery once and returns it.
func (r *Request) Query() url.Values {
	if r.query == nil {
		r.query, _ = url.ParseQuery(r.RawQuery)
		if r.query == nil {
			r.query = url.Values{}
		}
	}
	return r.query
}

// Origin is the Origin header.
func (r *Request) Origin() string { return r.Header.Get("Origin") }

func (r *Request) setURI(uri string) {
	r.URI = uri
	r.Path, r.RawQuery, _ = strings.Cut(uri, "?")
	if p, err := url.PathUnescape(r.Path); err == nil {
		r.Path = p
	}
}
