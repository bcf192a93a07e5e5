package eio

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/siogate/siogate/internal/shrink"
	"github.com/siogate/siogate/poller"
	"github.com/siogate/siogate/wsframe"
)

// Limit names an admission limit of the Engine.IO server. The values are
// metric label values (Stats.Limited, the gateway's
// siogate_limit_hits_total{limit}).
type Limit string

// Admission limits and what trips them.
const (
	// LimitConnections: Options.MaxConnections open sessions (503).
	LimitConnections Limit = "connections"
	// LimitConnectionsPerIP: Options.MaxConnectionsPerIP open sessions from
	// one client address (429).
	LimitConnectionsPerIP Limit = "connections_per_ip"
	// LimitHandshakeRate: Options.HandshakeRate new sessions per second from
	// one client address (429).
	LimitHandshakeRate Limit = "handshake_rate"
	// LimitPayload: a polling body over Options.MaxPayload (413), or a
	// WebSocket message over it (close 1009, from the frame header).
	LimitPayload Limit = "payload"
)

// limitError refuses a handshake that a limit does not admit. It is
// answered with HTTP status and the Engine.IO error JSON
// {"code":4,"message":message}, code 4 being what the reference server
// sends when its allowRequest hook refuses a request; the official clients
// treat it as a failed attempt and retry with their reconnection backoff.
type limitError struct {
	limit      Limit
	status     int           // 503 for LimitConnections, 429 for the per-address limits
	message    string        // e.g. "Too many connections"
	retryAfter time.Duration // sent as Retry-After (whole seconds, rounded up) when > 0
}

// body is the JSON body sent with the error.
func (e *limitError) body() []byte {
	b := append([]byte(`{"code":`), strconv.Itoa(CodeForbidden)...)
	b = append(b, `,"message":"`...)
	b = append(b, e.message...) // fixed ASCII strings, nothing to escape
	return append(b, `"}`...)
}

// retryAfterHeader is the Retry-After header value ("" for none).
func (e *limitError) retryAfterHeader() string {
	if e.retryAfter <= 0 {
		return ""
	}
	return strconv.FormatInt(int64((e.retryAfter+time.Second-1)/time.Second), 10)
}

// httpError is the refusal of a WebSocket handshake in the reactor.
func (e *limitError) httpError() *poller.HTTPError {
	he := &poller.HTTPError{Status: e.status, ContentType: "application/json", Body: e.body()}
	if ra := e.retryAfterHeader(); ra != "" {
		he.Header = map[string]string{"Retry-After": ra}
	}
	return he
}

// reply answers a polling handshake with the refusal.
func (e *limitError) reply(h http.Header) pollReply {
	h.Set("Content-Type", "application/json")
	if ra := e.retryAfterHeader(); ra != "" {
		h.Set("Retry-After", ra)
	}
	return pollReply{status: e.status, header: h, body: e.body()}
}

// admission holds the state of the per-address limits. The per-address
// connection counts exist only while MaxConnectionsPerIP is set and hold
// one entry per address with an open session; the handshake buckets exist
// only while HandshakeRate is set and are bounded (rateTable).
//
// Lock order: a session-registry shard lock is never held while mu is
// taken; mu takes nothing else.
type admission struct {
	mu    sync.Mutex
	perIP map[netip.Addr]int32
	// perIPPeak: the most addresses perIP held since it was rebuilt.
	perIPPeak shrink.Peak
	rate      *rateTable
}

// limitCounters counts refusals by limit.
type limitCounters struct {
	connections, perIP, rate atomic.Uint64
	wsPayload                atomic.Uint64 // WebSockets closed 1009 by the reactor
}

// noteTransportClose counts a WebSocket that the reactor closed for a
// message over its size limit (close 1009, decided from the frame header)
// as a payload limit hit.
func (s *Server) noteTransportClose(why error) {
	var ce *wsframe.CloseError
	if errors.As(why, &ce) && ce.Code == ws.StatusMessageTooBig {
		s.stats.limits.wsPayload.Add(1)
	}
}

// checkLimits validates the limit options.
func checkLimits(o *Options) error {
	switch {
	case o.MaxConnections < 0, o.MaxConnectionsPerIP < 0:
		return errors.New("eio: Options.MaxConnections and MaxConnectionsPerIP must not be negative (0: no limit)")
	case o.HandshakeRate < 0, math.IsNaN(o.HandshakeRate), math.IsInf(o.HandshakeRate, 0):
		return fmt.Errorf("eio: Options.HandshakeRate %v is not a rate (0: no limit)", o.HandshakeRate)
	case o.MaxConnectionsPerIP > math.MaxInt32:
		return errors.New("eio: Options.MaxConnectionsPerIP is too large")
	}
	return nil
}

func (s *Server) initAdmission() {
	if s.opts.MaxConnectionsPerIP > 0 {
		s.adm.perIP = make(map[netip.Addr]int32)
	}
	if s.opts.HandshakeRate > 0 {
		s.adm.rate = newRateTable(s.opts.HandshakeRate, s.opts.HandshakeBurst, rateTableSize)
	}
}

// ClientIP returns the address that the per-address limits count req
// against: the TCP peer, or the client that X-Forwarded-For names when the
// peer is one of Options.TrustedProxies; an IPv6 address stands for its /64.
// It is computed, not stored, so a session costs no more for it.
func (s *Server) ClientIP(req *Request) netip.Addr {
	return clientIP(req.RemoteAddr, req.Header, s.opts.TrustedProxies)
}

// admitRequest applies the admission limits to a new session (see admit)
// and counts a refusal.
func (s *Server) admitRequest(req *Request) *limitError {
	le := s.admit(req)
	if le != nil {
		s.stats.rejected.Add(1)
		s.opts.Logger.Debug("eio: handshake refused", "reason", string(le.limit), "remote", req.RemoteAddr, "transport", req.Transport)
	}
	return le
}

// admit applies the admission limits to a new session and, when it is
// admitted, counts it as open (Len). The caller must either register the
// session (newSession) or call unadmit.
func (s *Server) admit(req *Request) *limitError {
	var ip netip.Addr
	if s.adm.rate != nil || s.adm.perIP != nil {
		ip = s.ClientIP(req)
	}
	if s.adm.rate != nil {
		if wait, ok := s.adm.rate.allow(ip, req.Time); !ok {
			s.stats.limits.rate.Add(1)
			return &limitError{limit: LimitHandshakeRate, status: http.StatusTooManyRequests,
				message: "Too many handshakes from this address", retryAfter: wait}
		}
	}
	if limit := int64(s.opts.MaxConnections); limit > 0 {
		for {
			n := s.count.Load()
			if n >= limit {
				s.stats.limits.connections.Add(1)
				return &limitError{limit: LimitConnections, status: http.StatusServiceUnavailable,
					message: "Too many connections"}
			}
			if s.count.CompareAndSwap(n, n+1) {
				break
			}
		}
	} else {
		s.count.Add(1)
	}
	if limit := int32(s.opts.MaxConnectionsPerIP); limit > 0 {
		s.adm.mu.Lock()
		n := s.adm.perIP[ip]
		if n >= limit {
			s.adm.mu.Unlock()
			s.count.Add(-1)
			s.stats.limits.perIP.Add(1)
			return &limitError{limit: LimitConnectionsPerIP, status: http.StatusTooManyRequests,
				message: "Too many connections from this address"}
		}
		s.adm.perIP[ip] = n + 1
		s.adm.perIPPeak.Grew(len(s.adm.perIP))
		s.adm.mu.Unlock()
	}
	return nil
}

// unadmit undoes admit for a session that stops counting as open. The
// address is computed again from the same request: the same key.
func (s *Server) unadmit(req *Request) {
	s.count.Add(-1)
	if s.adm.perIP == nil {
		return
	}
	ip := s.ClientIP(req)
	s.adm.mu.Lock()
	if n := s.adm.perIP[ip]; n > 1 {
		s.adm.perIP[ip] = n - 1
	} else {
		shrink.Delete(&s.adm.perIP, &s.adm.perIPPeak, ip)
	}
	s.adm.mu.Unlock()
}

func (s *Server) limitStats() map[Limit]uint64 {
	c := &s.stats
	return map[Limit]uint64{
		LimitConnections:      c.limits.connections.Load(),
		LimitConnectionsPerIP: c.limits.perIP.Load(),
		LimitHandshakeRate:    c.limits.rate.Load(),
		LimitPayload:          c.payloadTooLarge.Load() + c.limits.wsPayload.Load(),
	}
}
