package poller

import (
	"context"

	"fmt"
	"net"
	"net/http"
	"syscall"

	"github.com/cloudwego/netpoll"
)

// Adopt moves a WebSocket that another server accepted (net/http hijacked
// it and the 101 response is already written) onto the reactor, so that it
// too costs no goroutine while idle. buffered holds the bytes the other
// server read past the handshake; they are parsed as frames first. On
// success conn is closed (the reactor owns a duplicate of its descriptor)
// and h receives OnOpen and then the socket's messages.
//
// This is how a siogate endpoint mounted in an existing net/http
// application (chi, gin, plain ServeMux) still runs its WebSockets on the
// reactor.
func (s *Server) Adopt(conn net.Conn, buffered []byte, h Handler) (*Conn, error) {
	if s.draining.Load() {
		return nil, ErrServerClosed
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("poller: adopt: %T has no file descriptor", conn)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("poller: adopt: %w", err)
	}
	fd := -1
	var dupErr error
	if err := raw.Control(func(f uintptr) { fd, dupErr = syscall.Dup(int(f)) }); err != nil {
		return nil, fmt.Errorf("poller: adopt: %w", err)
	}
	if dupErr != nil {
		return nil, fmt.Errorf("poller: adopt: dup: %w", dupErr)
	}
	remote, local := conn.RemoteAddr(), conn.LocalAddr()
	_ = conn.Close()
	nc, err := netpoll.NewFDConnection(fd)
	if err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("poller: adopt: %w", err)
	}
	c := &Conn{srv: s, nc: nc, fd: int32(fd), adopted: &connAddrs{remote, local}}
	c.ctx = connCtx{Context: context.Background(), c: c}
	c.timer.Init(c.onTimer)
	_ = nc.AddCloseCallback(c.closeCallback)
	c.h = h
	c.rd.MaxMessageSize = s.opts.MaxMessageSize
	c.state.Store(stateWS)
	s.stats.accepted.Add(1)
	s.stats.upgraded.Add(1)
	s.stats.adopted.Add(1)
	s.track(setWS, c)
	h.OnOpen(c)
	if len(buffered) > 0 {
		c.readFrames(buffered)
	}
	// From here netpoll delivers what arrives (and what arrived meanwhile).
	_ = nc.SetOnRequest(func(_ context.Context, nc netpoll.Connection) error {
		return s.onRequest(&c.ctx, nc)
	})
	return c, nil
}

// RequestFromHTTP builds the upgrade callback's view of a request that
// net/http parsed (for mounted endpoints that call Adopt).
func RequestFromHTTP(r *http.Request) *Request {
	req := &Request{Method: r.Method, Host: r.Host, Header: r.Header.Clone()}
	req.setURI(r.RequestURI)
	if addr, err := net.ResolveTCPAddr("tcp", r.RemoteAddr); err == nil {
		req.RemoteAddr = addr
	}
	return req
}
