package eio

import (
	"maps"
	"net/http"
	"strconv"
)

// ServeHTTP serves the polling transport through net/http (and answers
// WebSocket-transport requests that did not upgrade with 400). A parked GET
// holds its handler's goroutine; on a poller.Server, Direct serves the same
// requests with none.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply := s.servePoll(&pollRequest{method: r.Method, uri: r.URL.RequestURI(), header: r.Header, hr: r, w: w})
	if ss := reply.parked; ss != nil {
		reply = s.waitParked(ss, reply.waiter, r)
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
	maps.Copy(h, r.header)
	if r.status != http.StatusNoContent {
		h.Set("Content-Length", strconv.Itoa(len(r.body)))
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}
