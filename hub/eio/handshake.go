package eio

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/siogate/siogate/poller"
)

// checkQuery validates what every Engine.IO request carries.
func (s *Server) checkQuery(q url.Values) *HandshakeError {
	switch q.Get("transport") {
	case "polling":
		if s.opts.DisablePolling {
			return &HandshakeError{Code: CodeUnknownTransport}
		}
	case "websocket":
		if s.opts.DisableWebSocket {
			return &HandshakeError{Code: CodeUnknownTransport}
		}
	default:
		return &HandshakeError{Code: CodeUnknownTransport}
	}
	if q.Get("EIO") != "4" {
		return &HandshakeError{Code: CodeUnsupportedVersion}
	}
	return nil
}

// originAllowed applies AllowedOrigins.
func (s *Server) originAllowed(origin string) bool {
	if len(s.opts.AllowedOrigins) == 0 || origin == "" {
		return true
	}
	return slices.Contains(s.opts.AllowedOrigins, "*") || slices.Contains(s.opts.AllowedOrigins, origin)
}

// Upgrade is the poller upgrade callback for this server's path: a new
// WebSocket session, or the probe of a polling session's upgrade.
func (s *Server) Upgrade(r *poller.Request) (poller.Handler, error) {
	q := r.Query()
	if he := s.checkQuery(q); he != nil {
		s.stats.rejected.Add(1)
		return nil, handshakeHTTPError(he)
	}
	if q.Get("transport") != "websocket" {
		s.stats.rejected.Add(1)
		return nil, handshakeHTTPError(&HandshakeError{Code: CodeBadRequest})
	}
	if !s.originAllowed(r.Origin()) {
		s.stats.rejected.Add(1)
		return nil, handshakeHTTPError(&HandshakeError{Code: CodeForbidden})
	}
	if sid := q.Get("sid"); sid != "" {
		ss := s.Session(sid)
		if ss == nil {
			s.stats.rejected.Add(1)
			return nil, handshakeHTTPError(&HandshakeError{Code: CodeUnknownSID})
		}
		if s.opts.DisableUpgrades {
			return rejectAfterOpen{}, nil
		}
		return &wsTransport{sess: ss, probe: &wsProbe{}}, nil
	}
	if s.draining.Load() {
		return nil, &poller.HTTPError{Status: http.StatusServiceUnavailable, Body: []byte("Server shutting down")}
	}
	remote := ""
	if r.RemoteAddr != nil {
		remote = r.RemoteAddr.String()
	}
	req := &Request{Transport: "websocket", URL: r.URI, Header: r.Header, RemoteAddr: remote, Time: time.Now()}
	if le := s.admitRequest(req); le != nil {
		return nil, le.httpError()
	}
	if s.opts.CheckRequest != nil {
		if err := s.opts.CheckRequest(req); err != nil {
			s.unadmit(req)
			s.stats.rejected.Add(1)
			return nil, handshakeHTTPError(&HandshakeError{Code: CodeForbidden})
		}
	}
	ss := s.newSession(req, kindWebSocket)
	return &wsTransport{sess: ss}, nil
}

func handshakeHTTPError(he *HandshakeError) *poller.HTTPError {
	return &poller.HTTPError{Status: he.Status(), ContentType: "application/json", Body: he.Body()}
}
