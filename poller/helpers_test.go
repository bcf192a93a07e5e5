package poller

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/siogate/siogate/wsframe"
)

// echoHandler echoes every data message; a text message starting with 'b'
// is broadcast to every open socket, as cmd/wsecho does.
type echoHandler struct {
	srv    *Server
	closed chan error // receives each OnClose reason when not nil
	opened atomic.Int64
}

func (h *echoHandler) OnOpen(*Conn) { h.opened.Add(1) }

func (h *echoHandler) OnMessage(c *Conn, op ws.OpCode, p []byte) {
	frame := wsframe.AppendFrame(nil, op, p)
	if op == ws.OpText && len(p) > 0 && p[0] == 'b' {
		h.srv.Range(func(peer *Conn) bool {
			_ = peer.Send(frame)
			return true
		})
		return
	}
	_ = c.Send(frame)
}

func (h *echoHandler) OnClose(_ *Conn, reason error) {
	if h.closed != nil {
		select {
		case h.closed <- reason:
		default:
		}
	}
}

// startEcho runs a Server with echoHandler on 127.0.0.1:0.
func startEcho(t testing.TB, o Options) (*Server, *echoHandler, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startEchoWith(t, o, ln)
}

// startEchoOn runs a Server with echoHandler on ln.
func startEchoOn(t testing.TB, ln net.Listener) (*Server, *echoHandler, string) {
	t.Helper()
	return startEchoWith(t, Options{}, ln)
}

func startEchoWith(t testing.TB, o Options, ln net.Listener) (*Server, *echoHandler, string) {
	t.Helper()
	h := &echoHandler{closed: make(chan error, 1024)}
	if o.Upgrade == nil {
		o.Upgrade = func(*Request) (Handler, error) { return h, nil }
	}
	if o.HTTP == nil {
		mux := http.NewServeMux()
		mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte("hello " + r.Method + " " + string(body)))
		})
		o.HTTP = mux
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	})
	return srv, h, ln.Addr().String()
}

// wsClient is a raw client: it writes masked frames and reads server frames.
type wsClient struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialWS(t testing.TB, addr string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, br, _, err := ws.Dialer{}.Dial(ctx, "ws://"+addr+"/ws")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if br == nil {
		br = bufio.NewReader(conn)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &wsClient{t: t, conn: conn, r: br}
}

// writeRaw sends a frame exactly as given (the test decides masking).
func (c *wsClient) writeFrame(f ws.Frame) {
	c.t.Helper()
	if err := ws.WriteFrame(c.conn, f); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *wsClient) send(op ws.OpCode, fin bool, p []byte) {
	c.t.Helper()
	f := ws.NewFrame(op, fin, append([]byte(nil), p...))
	c.writeFrame(ws.MaskFrameInPlace(f))
}

func (c *wsClient) read() ws.Frame {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := ws.ReadFrame(c.r)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

// expectClose reads until a close frame and returns its code.
func (c *wsClient) expectClose() ws.StatusCode {
	c.t.Helper()
	for {
		f := c.read()
		if f.Header.OpCode == ws.OpClose {
			code, _ := ws.ParseCloseFrameData(f.Payload)
			return code
		}
	}
}

// expectEOF asserts the server closes TCP.
func (c *wsClient) expectEOF() {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(c.r); err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			c.t.Fatal("server did not close the connection")
		}
	}
}

// rawHTTP writes req on a new TCP connection and returns everything the
// server sends until it closes or timeout passes.
func rawHTTP(t testing.TB, addr string, req []byte, timeout time.Duration) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(req); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	b, _ := io.ReadAll(conn)
	return string(b)
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var _ sync.Locker // keep sync imported for tests that add locks
