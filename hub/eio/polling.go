package eio

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// pollWaiter is a parked polling GET. The session hands it the packets to
// write (exactly once, buffered channel of one).
type pollWaiter struct {
	ch chan []*Outgoing
}

func writePayload(w http.ResponseWriter, ms []*Outgoing) error {
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
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(body)
	return err
}

// handleGET serves a polling GET on an existing session: answer at once with
// whatever is queued, or park until something is.
func (s *Session) handleGET(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	switch {
	case s.closed && s.linger != nil:
		reply := s.linger
		s.linger = nil
		s.mu.Unlock()
		s.srv.wheel.Stop(&s.timer)
		s.srv.remove(s)
		_ = writePayload(w, []*Outgoing{reply})
		return
	case s.closed:
		s.mu.Unlock()
		writeHandshakeError(w, &HandshakeError{Code: CodeUnknownSID})
		return
	case s.kind == kindWebSocket:
		s.mu.Unlock()
		writeHandshakeError(w, &HandshakeError{Code: CodeBadRequest})
		return
	case s.get != nil:
		// Two GETs at once: the reference server closes the session; the
		// parked one gets the close packet, this one 400.
		s.mu.Unlock()
		s.closeWith(ReasonTransportError, errors.New("eio: overlapping polling GET"), msgClose)
		writeHandshakeError(w, &HandshakeError{Code: CodeBadRequest})
		return
	case s.upgrading:
		s.mu.Unlock()
		_ = writePayload(w, []*Outgoing{msgNoop})
		return
	case len(s.queue) > 0:
		q := s.takeQueueLocked()
		s.mu.Unlock()
		_ = writePayload(w, q)
		return
	}
	g := &pollWaiter{ch: make(chan []*Outgoing, 1)}
	s.get = g
	s.mu.Unlock()

	select {
	case q := <-g.ch:
		_ = writePayload(w, q)
	case <-r.Context().Done():
		s.mu.Lock()
		if s.get == g {
			s.get = nil
		}
		s.mu.Unlock()
		// Packets handed over at the same moment go back to the queue head,
		// so nothing is lost to a client that went away mid-poll.
		select {
		case q := <-g.ch:
			s.requeue(q)
		default:
		}
	}
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
func (s *Session) handlePOST(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		writeHandshakeError(w, &HandshakeError{Code: CodeUnknownSID})
		return
	case s.kind == kindWebSocket:
		s.mu.Unlock()
		writeHandshakeError(w, &HandshakeError{Code: CodeBadRequest})
		return
	case s.posting:
		s.mu.Unlock()
		s.closeWith(ReasonTransportError, errors.New("eio: overlapping polling POST"), msgClose)
		writeHandshakeError(w, &HandshakeError{Code: CodeBadRequest})
		return
	}
	s.posting = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.posting = false
		s.mu.Unlock()
	}()

	max := s.srv.opts.MaxPayload
	if r.ContentLength > int64(max) {
		s.srv.stats.payloadTooLarge.Add(1)
		s.closeWith(ReasonTransportError, ErrPayloadTooLarge, msgClose)
		http.Error(w, "Payload Too Large", http.StatusRequestEntityTooLarge)
		return
	}
	// A body that does not arrive within a heartbeat period would cost
	// the session anyway (its pong can only come in a later POST), so the
	// read gets that long and no more: a client dribbling a body holds no
	// connection and goroutine beyond it (slowloris). Where the connection
	// has no deadlines (ErrNotSupported), the heartbeat still ends the
	// session.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.srv.opts.PingInterval + s.srv.opts.PingTimeout))
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(max)+1))
	if err != nil {
		s.closeWith(ReasonTransportError, err, msgClose)
		writeHandshakeError(w, &HandshakeError{Code: CodeBadRequest})
		return
	}
	if len(body) > max {
		s.srv.stats.payloadTooLarge.Add(1)
		s.closeWith(ReasonTransportError, ErrPayloadTooLarge, msgClose)
		http.Error(w, "Payload Too Large", http.StatusRequestEntityTooLarge)
		return
	}
	pkts, err := DecodePayload(body, 0)
	if err != nil {
		s.srv.stats.parseErrors.Add(1)
		s.closeWith(ReasonParseError, err, msgClose)
		writeHandshakeError(w, &HandshakeError{Code: CodeBadRequest})
		return
	}
	for _, p := range pkts {
		s.onPacket(p)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("ok"))
}

func writeHandshakeError(w http.ResponseWriter, e *HandshakeError) {
	body := e.Body()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status())
	_, _ = w.Write(body)
}
