package hub

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/gobwas/ws"

	"github.com/siogate/siogate/poller"
)

// ServeHTTP serves the Socket.IO endpoint to net/http: the polling
// transport, and WebSocket upgrades, which are hijacked and moved onto the
// reactor (poller.Server.Adopt) so that they cost no goroutine once idle.
// This is the mounted mode, for an existing Go web application:
//
//	mux.Handle("/socket.io/", srv)
//	http.ListenAndServe(":8080", mux)
//
// In the standalone mode (ListenAndServe, Serve) WebSocket handshakes never
// reach ServeHTTP: the reactor upgrades them itself.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isWebSocketUpgrade(r) {
		s.serveWebSocket(w, r)
		return
	}
	s.eio.ServeHTTP(w, r)
}

func isWebSocketUpgrade(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	for _, v := range r.Header.Values("Upgrade") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "websocket") {
				return true
			}
		}
	}
	return false
}

func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	h, err := s.Upgrade(poller.RequestFromHTTP(r))
	if err != nil {
		writeHTTPError(w, err)
		return
	}
	reactor, err := s.adoptReactor()
	if err != nil {
		h.OnClose(nil, err)
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	conn, rw, _, err := ws.HTTPUpgrader{}.Upgrade(r, w)
	if err != nil {
		// gobwas has answered the client already.
		h.OnClose(nil, err)
		return
	}
	var buffered []byte
	if rw != nil && rw.Reader.Buffered() > 0 {
		b, _ := rw.Reader.Peek(rw.Reader.Buffered())
		buffered = bytes.Clone(b)
	}
	if _, err := reactor.Adopt(conn, buffered, h); err != nil {
		_ = conn.Close()
		h.OnClose(nil, err)
	}
}

// adoptReactor returns the reactor that adopted WebSockets live on: the
// one Serve runs, or one started for the mounted mode.
func (s *Server) adoptReactor() (*poller.Server, error) {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	if s.poll != nil {
		return s.poll, nil
	}
	if s.shut {
		return nil, ErrServerClosed
	}
	if s.mounted == nil {
		p, err := s.newReactor(nil)
		if err != nil {
			return nil, err
		}
		s.mounted = p
	}
	return s.mounted, nil
}

func writeHTTPError(w http.ResponseWriter, err error) {
	he, ok := err.(*poller.HTTPError)
	if !ok {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	ct := he.ContentType
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(he.Body)))
	for k, v := range he.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(he.Status)
	_, _ = w.Write(he.Body)
}
