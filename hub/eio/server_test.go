package eio_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/siogate/siogate/hub/eio"
	"github.com/siogate/siogate/poller"
)

// recorder echoes messages and records how sessions closed.
type recorder struct {
	mu      sync.Mutex
	reasons map[string]eio.Reason
	closed  chan string
}

func (r *recorder) OnMessage(s *eio.Session, data []byte, binary bool) {
	_ = s.Send(eio.NewOutgoing(data, binary))
}

func (r *recorder) OnClose(s *eio.Session, reason eio.Reason, _ error) {
	r.mu.Lock()
	r.reasons[s.ID()] = reason
	r.mu.Unlock()
	r.closed <- s.ID()
}

func (r *recorder) waitReason(t *testing.T, sid string) eio.Reason {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		reason, ok := r.reasons[sid]
		r.mu.Unlock()
		if ok {
			return reason
		}
		select {
		case <-r.closed:
		case <-deadline:
			t.Fatalf("session %s did not close", sid)
		}
	}
}

// wantReason fails t unless session sid closes with reason want.
func (r *recorder) wantReason(t *testing.T, sid string, want eio.Reason) {
	t.Helper()
	if got := r.waitReason(t, sid); got != want {
		t.Fatalf("reason %q, want %q", got, want)
	}
}

// startEIO serves an eio.Server at /engine.io/ on a reactor on 127.0.0.1:0,
// polling answered on the reactor (Direct).
func startEIO(t *testing.T, o eio.Options) (*eio.Server, *recorder, string) {
	t.Helper()
	return startEIOMode(t, o, true)
}

// startEIOMode is startEIO with polling answered on the reactor (direct)
// or through net/http (ServeHTTP, as when mounted in a mux).
func startEIOMode(t *testing.T, o eio.Options, direct bool) (*eio.Server, *recorder, string) {
	t.Helper()
	rec := &recorder{reasons: map[string]eio.Reason{}, closed: make(chan string, 1024)}
	o.Path = "/engine.io/"
	o.OnSession = func(*eio.Session) eio.Handler { return rec }
	srv, err := eio.New(o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", srv)
	po := poller.Options{HTTP: mux, Upgrade: srv.Upgrade, MaxMessageSize: 4 << 20}
	if direct {
		po.Direct = srv.Direct
		srv.DirectOptions(&po)
	}
	p, err := poller.New(po)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = p.Shutdown(ctx)
	})
	return srv, rec, "http://" + ln.Addr().String() + "/engine.io/"
}

func do(t *testing.T, method, url, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// rawPoll writes one polling request for session sid on a new TCP
// connection, by hand (so that a test controls every byte), and returns the
// connection: head lines in extra ("Name: value\r\n"...), then body.
func rawPoll(t *testing.T, base, method, sid, extra, body string) net.Conn {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	head := method + " " + u.Path + "?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\nHost: " + u.Host + "\r\n" + extra + "\r\n"
	if _, err := conn.Write([]byte(head + body)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// pollAsync sends a polling GET for sid from a goroutine; the channel gets
// "<status> <body>" or the error.
func pollAsync(base, sid string) <-chan string {
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "?EIO=4&transport=polling&sid=" + sid)
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- resp.Status + " " + string(b)
	}()
	return got
}

// handshake opens a polling session and returns its sid.
func handshake(t *testing.T, base string) string {
	t.Helper()
	code, body, _ := do(t, "GET", base+"?EIO=4&transport=polling", "")
	if code != 200 || !strings.HasPrefix(body, `0{"sid":"`) {
		t.Fatalf("handshake: %d %q", code, body)
	}
	return body[len(`0{"sid":"`) : len(`0{"sid":"`)+20]
}

// TestBadRequests is the bad-input table of docs/protocol.md for the
// Engine.IO layer: each request and the exact answer.
func TestBadRequests(t *testing.T) {
	_, _, base := startEIO(t, eio.Options{MaxPayload: 100})
	cases := []struct {
		name, method, query, body string
		status                    int
		want                      string
	}{
		{"no EIO", "GET", "transport=polling", "", 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"EIO=3", "GET", "EIO=3&transport=polling", "", 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"EIO=abc", "GET", "EIO=abc&transport=polling", "", 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"no transport", "GET", "EIO=4", "", 400, `{"code":0,"message":"Transport unknown"}`},
		{"unknown transport", "GET", "EIO=4&transport=abc", "", 400, `{"code":0,"message":"Transport unknown"}`},
		{"handshake by POST", "POST", "EIO=4&transport=polling", "", 400, `{"code":2,"message":"Bad handshake method"}`},
		{"handshake by PUT", "PUT", "EIO=4&transport=polling", "", 400, `{"code":2,"message":"Bad handshake method"}`},
		{"unknown sid", "GET", "EIO=4&transport=polling&sid=nope", "", 400, `{"code":1,"message":"Session ID unknown"}`},
		{"websocket transport without upgrade", "GET", "EIO=4&transport=websocket", "", 400, `{"code":3,"message":"Bad request"}`},
		{"extra parameters ignored", "GET", "EIO=4&transport=polling&t=burst&x=1", "", 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body, h := do(t, tc.method, base+"?"+tc.query, tc.body)
			if code != tc.status {
				t.Fatalf("status %d, want %d (body %q)", code, tc.status, body)
			}
			if tc.want != "" && body != tc.want {
				t.Fatalf("body %q, want %q", body, tc.want)
			}
			if tc.status == 400 && h.Get("Content-Type") != "application/json" {
				t.Fatalf("content type %q", h.Get("Content-Type"))
			}
		})
	}
}

func TestPollingBadInput(t *testing.T) {
	srv, rec, base := startEIO(t, eio.Options{MaxPayload: 100})

	t.Run("body over maxPayload: 413, session closed", func(t *testing.T) {
		sid := handshake(t, base)
		code, _, _ := do(t, "POST", base+"?EIO=4&transport=polling&sid="+sid, "4"+strings.Repeat("x", 200))
		if code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", code)
		}
		rec.wantReason(t, sid, eio.ReasonTransportError)
	})
	t.Run("unparseable body: 400, session closed with parse error", func(t *testing.T) {
		sid := handshake(t, base)
		code, _, _ := do(t, "POST", base+"?EIO=4&transport=polling&sid="+sid, "abc")
		if code != 400 {
			t.Fatalf("status %d", code)
		}
		rec.wantReason(t, sid, eio.ReasonParseError)
		if code, _, _ := do(t, "GET", base+"?EIO=4&transport=polling&sid="+sid, ""); code != 400 {
			t.Fatalf("GET after destroy: %d", code)
		}
	})
	t.Run("client ping: session closed", func(t *testing.T) {
		sid := handshake(t, base)
		code, body, _ := do(t, "POST", base+"?EIO=4&transport=polling&sid="+sid, "2")
		if code != 200 || body != "ok" {
			t.Fatalf("%d %q", code, body)
		}
		rec.wantReason(t, sid, eio.ReasonTransportError)
	})
	t.Run("overlapping GET: 400, parked GET gets close, session closed", func(t *testing.T) {
		sid := handshake(t, base)
		first := parkGET(t, srv, base, sid)
		code, _, _ := do(t, "GET", base+"?EIO=4&transport=polling&sid="+sid, "")
		if code != 400 {
			t.Fatalf("second GET: %d", code)
		}
		if b := <-first; b != "1" {
			t.Fatalf("parked GET got %q, want close packet", b)
		}
		rec.wantReason(t, sid, eio.ReasonTransportError)
	})
	t.Run("client close with a parked GET: noop, then 400", func(t *testing.T) {
		sid := handshake(t, base)
		first := parkGET(t, srv, base, sid)
		if code, body, _ := do(t, "POST", base+"?EIO=4&transport=polling&sid="+sid, "1"); code != 200 || body != "ok" {
			t.Fatalf("POST close: %d %q", code, body)
		}
		if b := <-first; b != "6" {
			t.Fatalf("parked GET got %q, want noop", b)
		}
		rec.wantReason(t, sid, eio.ReasonTransportClose)
		if code, _, _ := do(t, "GET", base+"?EIO=4&transport=polling&sid="+sid, ""); code != 400 {
			t.Fatalf("GET after close: %d", code)
		}
	})
	t.Run("messages are echoed in one payload", func(t *testing.T) {
		sid := handshake(t, base)
		if code, body, _ := do(t, "POST", base+"?EIO=4&transport=polling&sid="+sid, "4hello\x1ebAQIDBA=="); code != 200 || body != "ok" {
			t.Fatalf("POST: %d %q", code, body)
		}
		deadline := time.Now().Add(5 * time.Second)
		got := ""
		for time.Now().Before(deadline) && got != "4hello\x1ebAQIDBA==" {
			_, body, h := do(t, "GET", base+"?EIO=4&transport=polling&sid="+sid, "")
			if h.Get("Content-Type") != "text/plain; charset=UTF-8" {
				t.Fatalf("content type %q", h.Get("Content-Type"))
			}
			got += body
		}
		if got != "4hello\x1ebAQIDBA==" {
			t.Fatalf("echo %q", got)
		}
	})
}

// parkGET sends a polling GET for sid in the background and waits until
// the session holds it parked; the channel then yields the GET's body.
func parkGET(t *testing.T, srv *eio.Server, base, sid string) <-chan string {
	t.Helper()
	body := make(chan string, 1)
	go func() {
		_, b, _ := do(t, "GET", base+"?EIO=4&transport=polling&sid="+sid, "")
		body <- b
	}()
	waitParked(t, srv, sid)
	return body
}

// waitParked waits until the session has a GET parked (it then answers a
// second GET with 400 instead of data).
func waitParked(t *testing.T, srv *eio.Server, sid string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if s := srv.Session(sid); s != nil && eio.HasParkedGET(s) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("GET never parked")
}

func TestCORS(t *testing.T) {
	_, _, base := startEIO(t, eio.Options{AllowedOrigins: []string{"http://ok.example"}, AllowCredentials: true})
	req, _ := http.NewRequest("GET", base+"?EIO=4&transport=polling", nil)
	req.Header.Set("Origin", "http://ok.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "http://ok.example" || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("CORS headers %v", resp.Header)
	}
	req.Header.Set("Origin", "http://evil.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || string(body) != `{"code":4,"message":"Forbidden"}` {
		t.Fatalf("foreign origin: %d %q", resp.StatusCode, body)
	}
	// And a WebSocket from a foreign origin is refused the same way.
	conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(base, "/engine.io/"), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = conn.Write([]byte("GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nOrigin: http://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"))
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err = http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 403 || string(body) != `{"code":4,"message":"Forbidden"}` {
		t.Fatalf("foreign origin websocket: %d %q", resp.StatusCode, body)
	}
}

// wsDial opens a WebSocket to the Engine.IO endpoint.
func wsDial(t *testing.T, base, query string) (net.Conn, *bufio.Reader) {
	t.Helper()
	u := strings.Replace(base, "http://", "ws://", 1) + "?" + query
	conn, br, _, err := ws.Dialer{Timeout: 5 * time.Second}.Dial(context.Background(), u)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	if br == nil {
		br = bufio.NewReader(conn)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn, br
}

func wsRead(t *testing.T, conn net.Conn, br *bufio.Reader) ws.Frame {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := ws.ReadFrame(br)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return f
}

func wsSend(t *testing.T, conn net.Conn, op ws.OpCode, p string) {
	t.Helper()
	if err := ws.WriteFrame(conn, ws.MaskFrameInPlace(ws.NewFrame(op, true, []byte(p)))); err != nil {
		t.Fatal(err)
	}
}

func TestWebSocketBadInput(t *testing.T) {
	_, rec, base := startEIO(t, eio.Options{MaxPayload: 100, PingInterval: time.Hour})
	open := func(t *testing.T) (net.Conn, *bufio.Reader, string) {
		conn, br := wsDial(t, base, "EIO=4&transport=websocket")
		f := wsRead(t, conn, br)
		if !strings.HasPrefix(string(f.Payload), `0{"sid":"`) || !strings.Contains(string(f.Payload), `"upgrades":[]`) {
			t.Fatalf("open packet %q", f.Payload)
		}
		return conn, br, string(f.Payload[len(`0{"sid":"`) : len(`0{"sid":"`)+20])
	}
	cases := []struct {
		name   string
		op     ws.OpCode
		data   string
		reason eio.Reason
	}{
		{"unknown packet type", ws.OpText, "abc", eio.ReasonParseError},
		{"empty text frame", ws.OpText, "", eio.ReasonParseError},
		{"client ping", ws.OpText, "2", eio.ReasonTransportError},
		{"client close packet", ws.OpText, "1", eio.ReasonTransportClose},
		{"message over maxPayload", ws.OpText, "4" + strings.Repeat("x", 150), eio.ReasonTransportError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, br, sid := open(t)
			wsSend(t, conn, tc.op, tc.data)
			rec.wantReason(t, sid, tc.reason)
			for { // the server closes the WebSocket
				_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				f, err := ws.ReadFrame(br)
				if err != nil || f.Header.OpCode == ws.OpClose {
					break
				}
			}
		})
	}
	t.Run("unknown sid upgrade: 400", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(base, "/engine.io/"), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = conn.Write([]byte("GET /engine.io/?EIO=4&transport=websocket&sid=nope HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"))
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 || string(body) != `{"code":1,"message":"Session ID unknown"}` {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
	})
}

// TestUpgrade drives a polling -> WebSocket upgrade by hand, including the
// second WebSocket for an upgraded sid (accepted, then closed) and a
// polling GET after the upgrade (400).
func TestUpgrade(t *testing.T) {
	srv, _, base := startEIO(t, eio.Options{PingInterval: time.Hour})
	sid := handshake(t, base)
	parked := parkGET(t, srv, base, sid)
	conn, br := wsDial(t, base, "EIO=4&transport=websocket&sid="+sid)
	wsSend(t, conn, ws.OpText, "2probe")
	if f := wsRead(t, conn, br); string(f.Payload) != "3probe" {
		t.Fatalf("probe answer %q", f.Payload)
	}
	if b := <-parked; b != "6" {
		t.Fatalf("parked GET got %q, want noop", b)
	}
	wsSend(t, conn, ws.OpText, "5")
	wsSend(t, conn, ws.OpText, "4after")
	if f := wsRead(t, conn, br); string(f.Payload) != "4after" {
		t.Fatalf("echo over WebSocket %q", f.Payload)
	}
	if s := srv.Session(sid); s == nil || s.Transport() != "websocket" {
		t.Fatal("session not upgraded")
	}
	if code, _, _ := do(t, "GET", base+"?EIO=4&transport=polling&sid="+sid, ""); code != 400 {
		t.Fatalf("GET after upgrade: %d", code)
	}
	// A second WebSocket for the same sid: 101, then closed at once.
	conn2, br2 := wsDial(t, base, "EIO=4&transport=websocket&sid="+sid)
	_ = conn2.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := ws.ReadFrame(br2)
	if err != nil || f.Header.OpCode != ws.OpClose {
		t.Fatalf("second WebSocket: %v %v", f.Header.OpCode, err)
	}
	if st := srv.Stats(); st.Upgrades != 1 {
		t.Fatalf("upgrades %d", st.Upgrades)
	}
}
