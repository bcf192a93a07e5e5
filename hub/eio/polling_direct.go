package eio

import "github.com/siogate/siogate/poller"

// Direct is the poller.Options.Direct callback for this server's path: the
// polling transport answered on the reactor, with no goroutine per request
// or per parked GET. Requests outside the path return nil (net/http serves
// them). Give the poller.Server MaxDirectBody = MaxPayload and BodyTimeout
// = PingInterval + PingTimeout (DirectOptions) so that limits match
// ServeHTTP's.
func (s *Server) Direct(r *poller.Request) poller.DirectFunc {
	if !s.Handles(r.Path) {
		return nil
	}
	return s.serveDirect
}

// DirectOptions fills the poller options that Direct relies on.
func (s *Server) DirectOptions(o *poller.Options) {
	o.MaxDirectBody = s.opts.MaxPayload
	o.BodyTimeout = s.bodyDeadline()
}

func (s *Server) serveDirect(ex *poller.Exchange) {
	r := ex.Request
	reply := s.servePoll(&pollRequest{method: r.Method, uri: r.URI, header: r.Header, ex: ex})
	if ss, g := reply.parked, reply.waiter; ss != nil {
		if !ex.OnGone(func() { ss.forget(g) }) {
			ss.forget(g) // gone before the callback could be set
		}
		return
	}
	ex.Respond(reply.status, reply.header, reply.body)
}
