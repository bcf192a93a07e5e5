package eio

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/siogate/siogate/poller"
)

// pollRequest is one request of the polling transport, answered on the
// reactor (Direct: ex) or through net/http (ServeHTTP: hr and w); the same
// code serves both.
type pollRequest struct {
	method string
	uri    string // request target
	header http.Header
	ex     *poller.Exchange
	hr     *http.Request
	w      http.ResponseWriter
}

// remote is the client's address (host:port).
func (r *pollRequest) remote() string {
	if r.hr != nil {
		return r.hr.RemoteAddr
	}
	if a := r.ex.Request.RemoteAddr; a != nil {
		return a.String()
	}
	return ""
}

// readBody returns the POST body: ErrPayloadTooLarge past max, another
// error when it did not arrive within deadline.
func (r *pollRequest) readBody(max int, deadline time.Duration) ([]byte, error) {
	if r.ex != nil {
		// The reactor read it, within MaxDirectBody and BodyTimeout
		// (DirectOptions).
		if errors.Is(r.ex.Err, poller.ErrBodyTooLarge) {
			return nil, ErrPayloadTooLarge
		}
		return r.ex.Body, r.ex.Err
	}
	if r.hr.ContentLength > int64(max) {
		return nil, ErrPayloadTooLarge
	}
	// Where the connection has no deadlines (ErrNotSupported), the
	// heartbeat still ends the session.
	_ = http.NewResponseController(r.w).SetReadDeadline(time.Now().Add(deadline))
	return io.ReadAll(io.LimitReader(r.hr.Body, int64(max)+1))
}

// newWaiter is what a GET parks as when nothing is queued; h holds its
// answer's CORS headers.
func (r *pollRequest) newWaiter(h http.Header) *pollWaiter {
	if r.ex != nil {
		return &pollWaiter{ex: r.ex, hdr: h}
	}
	return &pollWaiter{ch: make(chan []*Outgoing, 1), hdr: h}
}

// pollReply is the answer to a pollRequest. parked: no answer yet, waiter
// gets it when the session has something to send.
type pollReply struct {
	status int
	header http.Header
	body   []byte
	parked *Session
	waiter *pollWaiter
}

// pollWaiter is a parked polling GET. The session hands it the packets to
// write exactly once (give), never under the session lock.
type pollWaiter struct {
	ch  chan []*Outgoing // net/http: ServeHTTP waits on it (buffered, one)
	ex  *poller.Exchange // reactor: answered from whichever goroutine gives
	hdr http.Header      // the answer's CORS headers
}

// give answers the parked GET with q, or with 400 when q is nil (the
// session moved to the WebSocket). Packets that a reactor GET could not
// take (its client went away that moment) go back to the queue's head.
func (g *pollWaiter) give(s *Session, q []*Outgoing) {
	if g.ch != nil {
		g.ch <- q
		return
	}
	r := g.reply(q)
	if !g.ex.Respond(r.status, r.header, r.body) && q != nil {
		s.requeue(q)
	}
}

// reply is the answer that give(q) stands for.
func (g *pollWaiter) reply(q []*Outgoing) pollReply {
	if q == nil {
		return errorReply(g.hdr, &HandshakeError{Code: CodeBadRequest})
	}
	return payloadReply(g.hdr, q)
}

// forget unparks g if the session still holds it (its client went away).
func (s *Session) forget(g *pollWaiter) {
	s.mu.Lock()
	if s.get == g {
		s.get = nil
	}
	s.mu.Unlock()
}

// payloadReply is a 200 carrying packets.
func payloadReply(h http.Header, ms []*Outgoing) pollReply {
	n := 0
	for i, m := range ms {
		if i > 0 {
			n++
		}
		n += len(m.polling())
	}
	body := make([]byte, 0, n)
	for i, m := range ms {
		if i > 0 {
			body = append(body, Separator)
		}
		body = append(body, m.polling()...)
	}
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	return pollReply{status: http.StatusOK, header: h, body: body}
}

// errorReply is the Engine.IO error JSON.
func errorReply(h http.Header, e *HandshakeError) pollReply {
	h.Set("Content-Type", "application/json")
	return pollReply{status: e.Status(), header: h, body: e.Body()}
}

// textReply is a plain-text error, as http.Error writes it.
func textReply(h http.Header, status int, text string) pollReply {
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	return pollReply{status: status, header: h, body: []byte(text + "\n")}
}

// servePoll answers one polling-transport request.
func (s *Server) servePoll(r *pollRequest) pollReply {
	h := make(http.Header, 4)
	origin := r.header.Get("Origin")
	if !s.originAllowed(origin) {
		s.stats.rejected.Add(1)
		return errorReply(h, &HandshakeError{Code: CodeForbidden})
	}
	s.setCORS(h, origin)
	if r.method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		if rh := r.header.Get("Access-Control-Request-Headers"); rh != "" {
			h.Set("Access-Control-Allow-Headers", rh)
		}
		return pollReply{status: http.StatusNoContent, header: h}
	}
	_, raw, _ := strings.Cut(r.uri, "?")
	q, _ := url.ParseQuery(raw)
	if he := s.checkQuery(q); he != nil {
		s.stats.rejected.Add(1)
		return errorReply(h, he)
	}
	if q.Get("transport") != "polling" {
		// A WebSocket-transport request that is not an upgrade.
		s.stats.rejected.Add(1)
		return errorReply(h, &HandshakeError{Code: CodeBadRequest})
	}
	sid := q.Get("sid")
	if sid == "" {
		return s.pollingHandshake(h, r)
	}
	ss := s.Session(sid)
	if ss != nil && ss.timedOut() {
		ss = nil
	}
	if ss == nil {
		s.stats.rejected.Add(1)
		return errorReply(h, &HandshakeError{Code: CodeUnknownSID})
	}
	switch r.method {
	case http.MethodGet:
		return ss.handleGET(h, r)
	case http.MethodPost:
		return ss.handlePOST(h, r)
	default:
		return errorReply(h, &HandshakeError{Code: CodeBadRequest})
	}
}

func (s *Server) setCORS(h http.Header, origin string) {
	if origin == "" || len(s.opts.AllowedOrigins) == 0 {
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	if s.opts.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

func (s *Server) pollingHandshake(h http.Header, r *pollRequest) pollReply {
	if r.method != http.MethodGet {
		s.stats.rejected.Add(1)
		return errorReply(h, &HandshakeError{Code: CodeBadHandshakeMethod})
	}
	if s.draining.Load() {
		return textReply(h, http.StatusServiceUnavailable, "Server shutting down")
	}
	req := &Request{Transport: "polling", URL: r.uri, Header: r.header.Clone(), RemoteAddr: r.remote(), Time: time.Now()}
	if le := s.admitRequest(req); le != nil {
		return le.reply(h)
	}
	if s.opts.CheckRequest != nil {
		if err := s.opts.CheckRequest(req); err != nil {
			s.unadmit(req)
			s.stats.rejected.Add(1)
			return errorReply(h, &HandshakeError{Code: CodeForbidden})
		}
	}
	ss := s.newSession(req, kindPolling)
	reply := payloadReply(h, []*Outgoing{s.openPacket(ss, true)})
	s.wheel.Reset(&ss.timer, s.opts.PingInterval)
	return reply
}

// handleGET serves a polling GET on an existing session: answer at once with
// whatever is queued, or park until something is.
func (s *Session) handleGET(h http.Header, r *pollRequest) pollReply {
	s.mu.Lock()
	switch {
	case s.closed && s.linger != nil:
		reply := s.linger
		s.linger = nil
		s.mu.Unlock()
		s.srv.wheel.Stop(&s.timer)
		s.srv.remove(s)
		return payloadReply(h, []*Outgoing{reply})
	case s.closed:
		s.mu.Unlock()
		return errorReply(h, &HandshakeError{Code: CodeUnknownSID})
	case s.kind == kindWebSocket:
		s.mu.Unlock()
		return errorReply(h, &HandshakeError{Code: CodeBadRequest})
	case s.get != nil:
		// Two GETs at once: the reference server closes the session; the
		// parked one gets the close packet, this one 400.
		s.mu.Unlock()
		s.closeWith(ReasonTransportError, errors.New("eio: overlapping polling GET"), msgClose)
		return errorReply(h, &HandshakeError{Code: CodeBadRequest})
	case len(s.queue) > 0 && !s.upgrading:
		q := s.takeQueueLocked()
		s.mu.Unlock()
		return payloadReply(h, q)
	}
	g := r.newWaiter(h)
	s.get = g
	upgrading := s.upgrading
	s.mu.Unlock()
	if upgrading {
		// During an upgrade a GET gets the noop after upgradeCheck (the
		// reference server checks every 100 ms); if the upgrade packet
		// comes first (it may be in flight on the WebSocket: the client
		// sent it before this GET), 400, as any GET after the upgrade.
		// This path is rare, so a runtime timer is fine.
		time.AfterFunc(upgradeCheck, func() { s.noopIfUpgrading(g) })
	}
	return pollReply{parked: s, waiter: g}
}

// upgradeCheck is how long a GET that arrives during an upgrade waits for
// the upgrade packet before it gets the noop: long enough for a packet
// already sent on the WebSocket to be read, short enough not to hold up a
// client that is pausing its polling to complete the upgrade.
const upgradeCheck = 10 * time.Millisecond

// noopIfUpgrading answers g with the noop if it is still parked and the
// session still upgrading.
func (s *Session) noopIfUpgrading(g *pollWaiter) {
	s.mu.Lock()
	if s.get != g || !s.upgrading {
		s.mu.Unlock()
		return
	}
	s.get = nil
	s.mu.Unlock()
	g.give(s, []*Outgoing{msgNoop})
}

func (s *Session) requeue(q []*Outgoing) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.kind == kindWebSocket {
		return
	}
	back := make([]*Outgoing, 0, len(q)+len(s.queue))
	for _, m := range q {
		if m == msgNoop || m == msgClose {
			continue
		}
		back = append(back, m)
		s.queued += m.Size()
	}
	s.queue = append(back, s.queue...)
}

// handlePOST serves a polling POST: a payload of packets from the client.
func (s *Session) handlePOST(h http.Header, r *pollRequest) pollReply {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return errorReply(h, &HandshakeError{Code: CodeUnknownSID})
	case s.kind == kindWebSocket:
		s.mu.Unlock()
		return errorReply(h, &HandshakeError{Code: CodeBadRequest})
	case s.posting:
		s.mu.Unlock()
		s.closeWith(ReasonTransportError, errors.New("eio: overlapping polling POST"), msgClose)
		return errorReply(h, &HandshakeError{Code: CodeBadRequest})
	}
	s.posting = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.posting = false
		s.mu.Unlock()
	}()

	body, err := r.readBody(s.srv.opts.MaxPayload, s.srv.bodyDeadline())
	if err == nil && len(body) > s.srv.opts.MaxPayload {
		err = ErrPayloadTooLarge
	}
	switch {
	case errors.Is(err, ErrPayloadTooLarge):
		s.srv.stats.payloadTooLarge.Add(1)
		s.closeWith(ReasonTransportError, ErrPayloadTooLarge, msgClose)
		return textReply(h, http.StatusRequestEntityTooLarge, "Payload Too Large")
	case err != nil:
		s.closeWith(ReasonTransportError, err, msgClose)
		return errorReply(h, &HandshakeError{Code: CodeBadRequest})
	}
	pkts, err := DecodePayload(body, 0)
	if err != nil {
		s.srv.stats.parseErrors.Add(1)
		s.closeWith(ReasonParseError, err, msgClose)
		return errorReply(h, &HandshakeError{Code: CodeBadRequest})
	}
	for _, p := range pkts {
		s.onPacket(p)
	}
	h.Set("Content-Type", "text/html")
	return pollReply{status: http.StatusOK, header: h, body: []byte("ok")}
}

// bodyDeadline is how long a POST body may take: one that does not arrive
// within a heartbeat period would cost the session anyway (its pong can only
// come in a later POST), so a client dribbling a body holds nothing beyond
// it (slowloris).
func (s *Server) bodyDeadline() time.Duration {
	return s.opts.PingInterval + s.opts.PingTimeout
}

// timedOut closes the session with ReasonPingTimeout if its pong is overdue
// and reports whether it did (or the session had already timed out).
func (s *Session) timedOut() bool {
	s.mu.Lock()
	overdue := s.pongOverdueLocked()
	s.mu.Unlock()
	if overdue {
		s.closeWith(ReasonPingTimeout, nil, msgClose)
	}
	return overdue
}
