package poller

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/gobwas/ws"

	"github.com/siogate/siogate/wsframe"
)

var (
	closeGoingAway   = wsframe.CloseFrameFor(ws.StatusGoingAway)
	closePolicySlow  = appendCloseFrame(uint16(ws.StatusPolicyViolation), "slow consumer")
	respBadRequest   = httpResponse(http.StatusBadRequest, "", []byte("Bad Request"), nil)
	respHeadTooLarge = httpResponse(http.StatusRequestHeaderFieldsTooLarge, "", []byte("Request Header Fields Too Large"), nil)
	respUnavailable  = httpResponse(http.StatusServiceUnavailable, "", []byte("Server shutting down"), nil)
)

var (
	errBadRequest    = errors.New("poller: malformed request")
	errHeadTooLarge  = errors.New("poller: request head too large")
	errUpgradeRefuse = errors.New("poller: upgrade refused")
	errHTTPOverflow  = errors.New("poller: HTTP input not read by the handler past MaxHTTPBuffered")
)

func appendCloseFrame(code uint16, reason string) []byte {
	return wsframe.AppendClose(nil, ws.StatusCode(code), reason)
}

// sniffStep advances a connection that has not finished its request head.
func (s *Server) sniffStep(c *Conn) {
	res, headLen, scanned := sniff(c.stash, c.scanned, s.opts.MaxHeaderBytes)
	c.scanned = scanned
	switch res {
	case sniffMore:
		return
	case sniffBad:
		s.stats.rejected.Add(1)
		c.refuse(errBadRequest, respBadRequest)
	case sniffTooLarge:
		s.stats.rejected.Add(1)
		c.refuse(errHeadTooLarge, respHeadTooLarge)
	case sniffHTTP:
		c.stopSniff()
		if s.draining.Load() {
			c.refuse(ErrServerClosed, respUnavailable)
			return
		}
		if s.opts.Direct != nil {
			s.beginDirect(c)
			c.directKick()
			return
		}
		c.state.Store(stateHTTP)
		s.stats.sniffing.Add(-1)
		s.handoff(c)
	case sniffUpgrade:
		c.stopSniff()
		if s.draining.Load() {
			c.refuse(ErrServerClosed, respUnavailable)
			return
		}
		s.upgrade(c, headLen)
	}
}

func (c *Conn) stopSniff() {
	c.srv.wheel.Stop(&c.timer)
	c.scanned = 0
}

// refuse answers a connection that is still sniffing with an HTTP error and
// closes it once the answer is written (or at CloseTimeout). Bytes that
// arrive meanwhile are dropped.
func (c *Conn) refuse(reason error, resp []byte) {
	c.stopSniff()
	c.stash = nil
	if c.state.CompareAndSwap(stateSniff, stateRefused) {
		c.srv.stats.sniffing.Add(-1)
	}
	c.closeWith(reason, resp)
}

// upgrade runs gobwas's Upgrader over exactly the head bytes, asking the
// Upgrade callback for the decision, and switches c to WebSocket.
func (s *Server) upgrade(c *Conn, headLen int) {
	req := &Request{Method: http.MethodGet, Header: make(http.Header), RemoteAddr: c.nc.RemoteAddr()}
	var (
		h         Handler
		rejection error
	)
	u := ws.Upgrader{
		OnRequest: func(uri []byte) error {
			req.setURI(string(uri))
			return nil
		},
		OnHost: func(host []byte) error {
			req.Host = string(host)
			return nil
		},
		OnHeader: func(key, value []byte) error {
			req.Header.Add(string(key), string(value))
			return nil
		},
		OnBeforeUpgrade: func() (ws.HandshakeHeader, error) {
			if s.opts.Upgrade == nil {
				rejection = &HTTPError{Status: http.StatusNotFound, Body: []byte("Not Found")}
				return nil, errUpgradeRefuse
			}
			var err error
			h, err = s.opts.Upgrade(req)
			if err == nil && h == nil {
				err = &HTTPError{Status: http.StatusNotFound, Body: []byte("Not Found")}
			}
			if err != nil {
				rejection = err
				return nil, errUpgradeRefuse
			}
			return nil, nil
		},
	}
	var resp bytes.Buffer
	rw := struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(c.stash[:headLen]), &resp}
	_, err := u.Upgrade(rw)
	if err != nil {
		s.stats.rejected.Add(1)
		out := resp.Bytes()
		if rejection != nil {
			out = rejectionResponse(rejection)
		}
		c.refuse(errUpgradeRefuse, out)
		return
	}
	rest := c.stash[headLen:]
	c.stash = nil
	c.h = h
	c.rd.MaxMessageSize = s.opts.MaxMessageSize
	if !c.state.CompareAndSwap(stateSniff, stateWS) {
		// Closed meanwhile (possible only when another goroutine upgrades a
		// connection that was direct): the handler never opens.
		h.OnClose(nil, ErrPeerClosed)
		return
	}
	s.stats.sniffing.Add(-1)
	s.stats.upgraded.Add(1)
	s.track(setWS, c)
	_ = c.Send(resp.Bytes())
	h.OnOpen(c)
	if len(rest) > 0 {
		c.readFrames(rest)
	}
}

func rejectionResponse(err error) []byte {
	var he *HTTPError
	if errors.As(err, &he) {
		return httpResponse(he.Status, he.ContentType, he.Body, he.Header)
	}
	return httpResponse(http.StatusForbidden, "", []byte(err.Error()), nil)
}

// httpResponse builds a complete HTTP/1.1 response that closes the
// connection.
func httpResponse(status int, ctype string, body []byte, header map[string]string) []byte {
	if ctype == "" {
		ctype = "text/plain; charset=utf-8"
	}
	b := make([]byte, 0, 128+len(body))
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\nContent-Type: "...)
	b = append(b, ctype...)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\nConnection: close\r\n"...)
	for k, v := range header {
		b = append(b, k...)
		b = append(b, ": "...)
		b = append(b, v...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}
