package eio

import (
	"io"
	"net/http"
	"strconv"
	"time"
)

// ServeHTTP serves the polling transport through net/http (and answers
// WebSocket-transport requests that did not upgrade with 400). A parked GET
// holds its handler's goroutine; on a poller.Server, Direct serves the same
// requests with none.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pr := &pollRequest{
		method: r.Method,
		uri:    r.URL.RequestURI(),
		header: r.Header,
		remote: r.RemoteAddr,
		readBody: func() ([]byte, error) {
			max := s.opts.MaxPayload
			if r.ContentLength > int64(max) {
				return nil, ErrPayloadTooLarge
			}
			// Where the connection has no deadlines (ErrNotSupported), the
			// heartbeat still ends the session.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.bodyDeadline()))
			return io.ReadAll(io.LimitReader(r.Body, int64(max)+1))
		},
	}
	if r.Method == http.MethodGet {
		pr.waiter = &pollWaiter{ch: make(chan []*Outgoing, 1)}
	}
	reply := s.servePoll(pr)
	if ss := reply.parked; ss != nil {
		reply = s.waitParked(ss, pr.waiter, r)
	}
	writeReply(w, reply)
}

// waitParked holds a net/http GET until its session gives it packets or its
// client goes away.
func (s *Server) waitParked(ss *Session, g *pollWaiter, r *http.Request) pollReply {
	select {
	case q := <-g.ch:
		return g.reply(q)
	case <-r.Context().Done():
		ss.forget(g)
		// Packets handed over at the same moment go back to the queue head,
		// so nothing is lost to a client that went away mid-poll.
		select {
		case q := <-g.ch:
			if q != nil {
				ss.requeue(q)
			}
		default:
		}
		return pollReply{}
	}
}

func writeReply(w http.ResponseWriter, r pollReply) {
	if r.status == 0 {
		return
	}
	h := w.Header()
	for k, v := range r.header {
		h[k] = v
	}
	if r.status != http.StatusNoContent {
		h.Set("Content-Length", strconv.Itoa(len(r.body)))
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}
