package poller

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

func TestEchoSizes(t *testing.T) {
	_, _, addr := startEcho(t, Options{MaxMessageSize: 2 << 20})
	c := dialWS(t, addr)
	for _, n := range []int{0, 125, 126, 65535, 65536, 1 << 20} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			for _, op := range []ws.OpCode{ws.OpText, ws.OpBinary} {
				p := bytes.Repeat([]byte("abcdefghij"), n/10+1)[:n]
				c.send(op, true, p)
				f := c.read()
				if f.Header.OpCode != op || !bytes.Equal(f.Payload, p) {
					t.Fatalf("op %v size %d: got op %v len %d %q", op, n, f.Header.OpCode, len(f.Payload), trunc(string(f.Payload)))
				}
			}
		})
	}
}

func TestFragmentedWithPings(t *testing.T) {
	_, _, addr := startEcho(t, Options{})
	c := dialWS(t, addr)
	c.send(ws.OpText, false, []byte("hel"))
	c.send(ws.OpPing, true, []byte("p1"))
	if f := c.read(); f.Header.OpCode != ws.OpPong || string(f.Payload) != "p1" {
		t.Fatalf("want pong p1, got %v %q", f.Header.OpCode, f.Payload)
	}
	c.send(ws.OpContinuation, false, []byte("lo "))
	c.send(ws.OpPong, true, nil) // unsolicited pong is ignored
	c.send(ws.OpContinuation, true, []byte("wörld"))
	f := c.read()
	if f.Header.OpCode != ws.OpText || string(f.Payload) != "hello wörld" {
		t.Fatalf("got %v %q", f.Header.OpCode, f.Payload)
	}
}

func TestCloseHandshake(t *testing.T) {
	for _, code := range []ws.StatusCode{1000, 1001, 3000, 4999} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			_, h, addr := startEcho(t, Options{})
			c := dialWS(t, addr)
			c.writeFrame(ws.MaskFrameInPlace(ws.NewCloseFrame(ws.NewCloseFrameBody(code, "bye"))))
			if got := c.expectClose(); got != code {
				t.Fatalf("echoed %d, want %d", got, code)
			}
			c.expectEOF()
			select {
			case r := <-h.closed:
				pe, ok := r.(*PeerCloseError)
				if !ok || pe.Code != code || pe.Reason != "bye" {
					t.Fatalf("OnClose reason %v", r)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("OnClose not called")
			}
		})
	}
}

func TestServerClose(t *testing.T) {
	srv, _, addr := startEcho(t, Options{})
	c := dialWS(t, addr)
	waitFor(t, 2*time.Second, "upgrade", func() bool { return srv.Len() == 1 })
	srv.Range(func(conn *Conn) bool { conn.Close(4000, "done"); return true })
	if got := c.expectClose(); got != 4000 {
		t.Fatalf("close code %d", got)
	}
	c.expectEOF()
	waitFor(t, 2*time.Second, "untrack", func() bool { return srv.Len() == 0 })
}

// TestBadFrames: every RFC 6455 violation gets its exact close code and the
// server goes on serving another client.
func TestBadFrames(t *testing.T) {
	_, _, addr := startEcho(t, Options{MaxMessageSize: 1000})
	mask := func(f ws.Frame) ws.Frame { return ws.MaskFrameInPlace(f) }
	cases := []struct {
		name   string
		frames []ws.Frame
		code   ws.StatusCode
	}{
		{"unmasked", []ws.Frame{ws.NewTextFrame([]byte("x"))}, ws.StatusProtocolError},
		{"rsv1", []ws.Frame{func() ws.Frame {
			f := mask(ws.NewTextFrame([]byte("x")))
			f.Header.Rsv = ws.Rsv(true, false, false)
			return f
		}()}, ws.StatusProtocolError},
		{"bad opcode", []ws.Frame{mask(ws.NewFrame(ws.OpCode(3), true, []byte("x")))}, ws.StatusProtocolError},
		{"long ping", []ws.Frame{mask(ws.NewFrame(ws.OpPing, true, make([]byte, 126)))}, ws.StatusProtocolError},
		{"fragmented ping", []ws.Frame{mask(ws.NewFrame(ws.OpPing, false, []byte("x")))}, ws.StatusProtocolError},
		{"lone continuation", []ws.Frame{mask(ws.NewFrame(ws.OpContinuation, true, []byte("x")))}, ws.StatusProtocolError},
		{"text during fragments", []ws.Frame{mask(ws.NewFrame(ws.OpText, false, []byte("a"))), mask(ws.NewTextFrame([]byte("b")))}, ws.StatusProtocolError},
		{"bad utf8", []ws.Frame{mask(ws.NewTextFrame([]byte{0xff, 0xfe}))}, ws.StatusInvalidFramePayloadData},
		{"too big", []ws.Frame{mask(ws.NewBinaryFrame(make([]byte, 1001)))}, ws.StatusMessageTooBig},
		{"too big fragments", []ws.Frame{mask(ws.NewFrame(ws.OpBinary, false, make([]byte, 600))), mask(ws.NewFrame(ws.OpContinuation, true, make([]byte, 600)))}, ws.StatusMessageTooBig},
		{"bad close code", []ws.Frame{mask(ws.NewCloseFrame([]byte{0x03, 0xe7}))}, ws.StatusProtocolError},
		{"one-byte close", []ws.Frame{mask(ws.NewCloseFrame([]byte{0x03}))}, ws.StatusProtocolError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialWS(t, addr)
			for _, f := range tc.frames {
				c.writeFrame(f)
			}
			if got := c.expectClose(); got != tc.code {
				t.Fatalf("close code %d, want %d", got, tc.code)
			}
			c.expectEOF()
			ok := dialWS(t, addr)
			ok.send(ws.OpText, true, []byte("still here"))
			if f := ok.read(); string(f.Payload) != "still here" {
				t.Fatalf("other client got %q", f.Payload)
			}
		})
	}
}

func TestBadHeads(t *testing.T) {
	_, _, addr := startEcho(t, Options{})
	big := "GET /ws HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 17<<10) + "\r\n\r\n"
	cases := []struct {
		name, req, status string
	}{
		{"tls hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "HTTP/1.1 400 "},
		{"lowercase method", "get / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "},
		{"no version", "GET /\r\n\r\n", "HTTP/1.1 400 "},
		{"head over 16 KiB", big, "HTTP/1.1 431 "},
		{"head over 16 KiB, no end", "GET / HTTP/1.1\r\nX: " + strings.Repeat("b", 17<<10), "HTTP/1.1 431 "},
		{"no host", "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "HTTP/1.1 400 "},
		{"space in target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 "},
		{"bad escape", "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 "},
		{"control byte in a value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\rContent-Length: 4\r\n\r\n", "HTTP/1.1 400 "},
		{"signed length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +4\r\n\r\nbody", "HTTP/1.1 400 "},
		{"bad websocket key", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", "HTTP/1.1 400 "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := rawHTTP(t, addr, []byte(tc.req), 5*time.Second)
			if !strings.HasPrefix(got, tc.status) {
				t.Fatalf("got %q, want prefix %q", trunc(got), tc.status)
			}
		})
	}
}

func TestUpgradeRejected(t *testing.T) {
	_, _, addr := startEcho(t, Options{Upgrade: func(r *Request) (Handler, error) {
		if r.Query().Get("EIO") != "4" || r.Origin() != "http://ok" {
			return nil, &HTTPError{Status: 400, ContentType: "application/json", Body: []byte(`{"code":5,"message":"Unsupported protocol version"}`)}
		}
		return &echoHandler{}, nil
	}})
	req := "GET /socket.io/?EIO=3&transport=websocket HTTP/1.1\r\nHost: x\r\nOrigin: http://ok\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	got := rawHTTP(t, addr, []byte(req), 5*time.Second)
	if !strings.HasPrefix(got, "HTTP/1.1 400 ") || !strings.HasSuffix(got, `{"code":5,"message":"Unsupported protocol version"}`) || !strings.Contains(got, "application/json") {
		t.Fatalf("got %q", got)
	}
}

func TestHandshakeDribbled(t *testing.T) {
	_, _, addr := startEcho(t, Options{})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	// A masked text frame "hi" follows the head; dribble both one byte at a time.
	var frame bytes.Buffer
	_ = ws.WriteFrame(&frame, ws.MaskFrameInPlace(ws.NewTextFrame([]byte("hi"))))
	all := append([]byte(req), frame.Bytes()...)
	for i := range all {
		if _, err := conn.Write(all[i : i+1]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Microsecond)
	}
	br := bufio.NewReader(conn)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("response %v %v", resp, err)
	}
	if resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("accept %q", resp.Header.Get("Sec-WebSocket-Accept"))
	}
	f, err := ws.ReadFrame(br)
	if err != nil || string(f.Payload) != "hi" {
		t.Fatalf("frame %q %v", f.Payload, err)
	}
}

func TestHTTPHandoffKeepAlivePipelined(t *testing.T) {
	srv, _, addr := startEcho(t, Options{})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Two pipelined requests in one write, the second with a body split
	// across later writes.
	_, _ = conn.Write([]byte("GET /hello HTTP/1.1\r\nHost: x\r\n\r\nPOST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234"))
	time.Sleep(20 * time.Millisecond)
	_, _ = conn.Write([]byte("56"))
	time.Sleep(20 * time.Millisecond)
	_, _ = conn.Write([]byte("789"))
	br := bufio.NewReader(conn)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for _, want := range []string{"hello GET ", "hello POST 0123456789"} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != want {
			t.Fatalf("body %q, want %q", body, want)
		}
	}
	// Keep-alive: a third request later on the same connection, chunked.
	_, _ = conn.Write([]byte("POST /hello HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"))
	time.Sleep(20 * time.Millisecond)
	_, _ = conn.Write([]byte("2\r\nde\r\n0\r\n\r\n"))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "hello POST abcde" {
		t.Fatalf("chunked body %q", body)
	}
	if srv.Stats().HandedOff == 0 {
		t.Fatal("hand-off not counted")
	}
}

func TestStdlibClientKeepAlive(t *testing.T) {
	_, _, addr := startEcho(t, Options{})
	cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	for i := range 20 {
		resp, err := cl.Post("http://"+addr+"/hello", "text/plain", strings.NewReader(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != fmt.Sprintf("hello POST %d", i) {
			t.Fatalf("body %q", body)
		}
	}
}

func TestSlowloris(t *testing.T) {
	srv, _, addr := startEcho(t, Options{HandshakeTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	_, _ = conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n"))
	done := make(chan struct{})
	go func() {
		// Keep dribbling header bytes; the deadline must still cut us off.
		defer close(done)
		for i := 0; i < 100; i++ {
			if _, err := conn.Write([]byte("X")); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	_, err = io.ReadAll(conn)
	elapsed := time.Since(start)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("slowloris peer was not closed")
	}
	if elapsed < 250*time.Millisecond || elapsed > 2*time.Second {
		t.Fatalf("closed after %v, want about 300ms", elapsed)
	}
	<-done
	if srv.Stats().HandshakeTimeouts == 0 {
		t.Fatal("timeout not counted")
	}
}

func trunc(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
