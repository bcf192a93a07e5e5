package hub

import (
	"net/http"
	"net/url"
	"time"

	"github.com/siogate/siogate/hub/eio"
)

// HandshakeInfo describes how a socket connected, in the shape of Node's
// socket.handshake.
type HandshakeInfo struct {
	Headers http.Header `json:"headers"`
	Time    string      `json:"time"`
	Address string      `json:"address"`
	XDomain bool        `json:"xdomain"`
	Secure  bool        `json:"secure"`
	Issued  int64       `json:"issued"`
	URL     string      `json:"url"`
	Query   url.Values  `json:"query"`
	Auth    Raw         `json:"auth"`
}

func newHandshake(r *eio.Request, auth Raw) HandshakeInfo {
	issued := r.Time
	if issued.IsZero() {
		issued = time.Now()
	}
	addr := r.RemoteAddr // the TCP peer; X-Forwarded-For stays in Headers
	return HandshakeInfo{
		Headers: r.Header,
		Time:    issued.UTC().Format(time.RFC1123),
		Address: addr,
		XDomain: r.Header.Get("Origin") != "",
		Issued:  issued.UnixMilli(),
		URL:     r.URL,
		Query:   r.Query(),
		Auth:    auth,
	}
}
