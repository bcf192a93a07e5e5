package poller

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// The tests in this file drive Options.Direct over real TCP sockets on
// 127.0.0.1: requests answered on the reactor, their bodies, pipelining,
// hand-off to net/http, deadlines, upgrades after direct requests and
// Shutdown.

// netHTTPMux answers every path with "nethttp METHOD PATH BODY", so a test
// can tell a net/http answer from a direct one.
func netHTTPMux() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Served-By", "nethttp")
		_, _ = fmt.Fprintf(w, "nethttp %s %s %s", r.Method, r.URL.Path, body)
	})
}

// startDirect runs a Server (echoHandler for upgrades, netHTTPMux for
// handed-off requests unless o.HTTP is set) with o.Direct = direct.
func startDirect(t testing.TB, o Options, direct func(r *Request) DirectFunc) (*Server, string) {
	t.Helper()
	if o.HTTP == nil {
		o.HTTP = netHTTPMux()
	}
	o.Direct = direct
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, _, addr := startEchoWith(t, o, ln)
	return srv, addr
}

// answerEcho is a DirectFunc that answers at once: 200 with
// "direct METHOD URI BODY", or 413/408 with the error when the body was
// not read.
func answerEcho(ex *Exchange) {
	switch {
	case errors.Is(ex.Err, ErrBodyTooLarge):
		ex.Respond(http.StatusRequestEntityTooLarge, nil, []byte(ex.Err.Error()))
	case ex.Err != nil:
		ex.Respond(http.StatusRequestTimeout, nil, []byte(ex.Err.Error()))
	default:
		h := http.Header{}
		h.Set("Content-Type", "text/plain")
		h.Set("X-Served-By", "direct")
		ex.Respond(http.StatusOK, h, []byte("direct "+ex.Request.Method+" "+ex.Request.URI+" "+string(ex.Body)))
	}
}

// onlyPath answers path directly with fn and hands every other path to
// net/http.
func onlyPath(path string, fn DirectFunc) func(r *Request) DirectFunc {
	return func(r *Request) DirectFunc {
		if r.Path != path {
			return nil
		}
		return fn
	}
}

// dclient is a raw HTTP/1.1 client on one TCP connection.
type dclient struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
}

func dialDirect(t testing.TB, addr string) *dclient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &dclient{t: t, conn: conn, br: bufio.NewReader(conn)}
}

func (c *dclient) write(s string) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// resp reads one response (for a request with method, "" meaning GET)
// and its whole body.
func (c *dclient) resp(method string) (*http.Response, string) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	var req *http.Request
	if method != "" {
		req = &http.Request{Method: method}
	}
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		c.t.Fatalf("read body: %v", err)
	}
	return resp, string(body)
}

// final reads a response, skipping 1xx interim responses.
func (c *dclient) final() (*http.Response, string) {
	c.t.Helper()
	for {
		resp, body := c.resp("")
		if resp.StatusCode >= 200 {
			return resp, body
		}
	}
}

// expectClosed asserts the server closes the connection within d, sending
// nothing more; it returns how long that took.
func (c *dclient) expectClosed(d time.Duration) time.Duration {
	c.t.Helper()
	start := time.Now()
	_ = c.conn.SetReadDeadline(start.Add(d))
	b, err := io.ReadAll(c.br)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		c.t.Fatalf("server did not close the connection within %v", d)
	}
	if len(b) > 0 {
		c.t.Fatalf("unexpected bytes before close: %q", trunc(string(b)))
	}
	return time.Since(start)
}

// expectOpen asserts the server neither sends anything nor closes the
// connection for d.
func (c *dclient) expectOpen(d time.Duration) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	_, err := c.br.Peek(1)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return
	}
	if err != nil {
		c.t.Fatalf("connection closed early: %v", err)
	}
	c.t.Fatalf("unexpected bytes: %d buffered", c.br.Buffered())
}

// checkDirectOK asserts a direct 200 keep-alive answer with the given body.
func checkDirectOK(t testing.TB, resp *http.Response, body, want string) {
	t.Helper()
	if resp.StatusCode != http.StatusOK || body != want {
		t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, body, want)
	}
	if resp.Close || resp.Header.Get("Connection") != "keep-alive" {
		t.Fatalf("want keep-alive, got Close=%v Connection=%q", resp.Close, resp.Header.Get("Connection"))
	}
	if resp.ContentLength != int64(len(want)) {
		t.Fatalf("Content-Length %d, want %d", resp.ContentLength, len(want))
	}
}

func get(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n" }

// TestDirectKeepAlive: plain GETs are answered on the reactor, one after
// the other on one keep-alive connection; the DirectFunc sees the parsed
// head; HEAD gets the length without the body; Content-Length and
// Connection from the caller's header are replaced.
func TestDirectKeepAlive(t *testing.T) {
	reqs := make(chan *Request, 16)
	srv, addr := startDirect(t, Options{}, func(r *Request) DirectFunc {
		reqs <- r
		switch r.Path {
		case "/d":
			return answerEcho
		case "/liar":
			return func(ex *Exchange) {
				h := http.Header{"Content-Length": {"999"}, "Connection": {"close"}, "X-A": {"1", "2"}}
				if !ex.Respond(http.StatusCreated, h, []byte("ok")) {
					t.Error("Respond reported false")
				}
				if ex.Respond(http.StatusOK, nil, []byte("twice")) {
					t.Error("a second Respond reported true")
				}
				if ex.OnGone(func() {}) {
					t.Error("OnGone registered on an answered exchange")
				}
			}
		}
		return nil
	})
	c := dialDirect(t, addr)

	c.write("GET /d?a=1&b=x%20y HTTP/1.1\r\nHost: example.com\r\nx-test: one\r\nX-Test: two\r\n\r\n")
	resp, body := c.resp("")
	checkDirectOK(t, resp, body, "direct GET /d?a=1&b=x%20y ")
	if resp.Header.Get("X-Served-By") != "direct" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("headers %v", resp.Header)
	}
	r := <-reqs
	if r.Method != "GET" || r.URI != "/d?a=1&b=x%20y" || r.Path != "/d" || r.RawQuery != "a=1&b=x%20y" ||
		r.Host != "example.com" || r.ContentLength != 0 || r.RemoteAddr == nil {
		t.Fatalf("request %+v", r)
	}
	if got := r.Header["X-Test"]; len(got) != 2 || got[0] != "one" || got[1] != "two" {
		t.Fatalf("X-Test %q (header %v)", got, r.Header)
	}
	if r.Query().Get("b") != "x y" {
		t.Fatalf("query %v", r.Query())
	}

	// The same connection goes on.
	before := srv.Stats()
	c.write(get("/d?n=1"))
	resp, body = c.resp("")
	checkDirectOK(t, resp, body, "direct GET /d?n=1 ")
	c.write(get("/d?n=2"))
	resp, body = c.resp("")
	checkDirectOK(t, resp, body, "direct GET /d?n=2 ")

	c.write("HEAD /d HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body = c.resp(http.MethodHead)
	if resp.StatusCode != 200 || body != "" || resp.ContentLength != int64(len("direct HEAD /d ")) {
		t.Fatalf("HEAD: %d %q length %d", resp.StatusCode, body, resp.ContentLength)
	}

	c.write(get("/liar"))
	resp, body = c.resp("")
	if resp.StatusCode != http.StatusCreated || body != "ok" || resp.ContentLength != 2 || resp.Close ||
		resp.Header.Get("Connection") != "keep-alive" || len(resp.Header["X-A"]) != 2 {
		t.Fatalf("/liar: %d %q length %d close %v header %v", resp.StatusCode, body, resp.ContentLength, resp.Close, resp.Header)
	}
	// The stream is still in step after HEAD and /liar.
	c.write(get("/d?n=3"))
	resp, body = c.resp("")
	checkDirectOK(t, resp, body, "direct GET /d?n=3 ")

	st := srv.Stats()
	if got := st.Direct - before.Direct; got != 5 {
		t.Fatalf("Stats.Direct grew by %d, want 5", got)
	}
	if st.Direct != 6 || st.HandedOff != 0 || st.Accepted != 1 {
		t.Fatalf("Direct %d HandedOff %d Accepted %d, want 6, 0, 1", st.Direct, st.HandedOff, st.Accepted)
	}
	if st.DirectConns != 1 || st.Sniffing != 0 {
		t.Fatalf("DirectConns %d Sniffing %d, want 1 and 0", st.DirectConns, st.Sniffing)
	}
}

// TestDirectTwoRequestsStats is the plain case on a server that answers
// everything directly: two requests, two answers, nothing handed off.
func TestDirectTwoRequestsStats(t *testing.T) {
	srv, addr := startDirect(t, Options{}, func(*Request) DirectFunc { return answerEcho })
	c := dialDirect(t, addr)
	for i := 1; i <= 2; i++ {
		c.write(get("/x?i=" + strconv.Itoa(i)))
		resp, body := c.resp("")
		checkDirectOK(t, resp, body, "direct GET /x?i="+strconv.Itoa(i)+" ")
		if resp.Header.Get("Content-Type") != "text/plain" || resp.Header.Get("X-Served-By") != "direct" {
			t.Fatalf("headers %v", resp.Header)
		}
	}
	st := srv.Stats()
	if st.Direct != 2 || st.HandedOff != 0 || st.Accepted != 1 || st.DirectConns != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestDirectBodySplit: a POST whose head and body arrive in several
// writes reaches the DirectFunc whole, once; the next request rides in the
// same write as the end of the body.
func TestDirectBodySplit(t *testing.T) {
	var calls atomic.Int64
	bodies := make(chan []byte, 4)
	srv, addr := startDirect(t, Options{}, func(*Request) DirectFunc {
		return func(ex *Exchange) {
			calls.Add(1)
			if ex.Err != nil {
				t.Errorf("Err %v", ex.Err)
			}
			bodies <- ex.Body
			answerEcho(ex)
		}
	})
	c := dialDirect(t, addr)
	const body = "hello-body-end"
	head := "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	c.write(head[:20])
	time.Sleep(15 * time.Millisecond)
	c.write(head[20:])
	for _, piece := range []string{"hello", "-body"} {
		time.Sleep(15 * time.Millisecond)
		c.write(piece)
	}
	time.Sleep(15 * time.Millisecond)
	c.write("-end" + get("/next"))

	resp, got := c.resp("")
	checkDirectOK(t, resp, got, "direct POST /up "+body)
	if b := <-bodies; string(b) != body {
		t.Fatalf("ex.Body %q, want %q", b, body)
	}
	resp, got = c.resp("")
	checkDirectOK(t, resp, got, "direct GET /next ")
	if b := <-bodies; b != nil {
		t.Fatalf("GET body %q, want nil", b)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("DirectFunc ran %d times, want 2", n)
	}
	if st := srv.Stats(); st.Direct != 2 || st.BodyTimeouts != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestDirectPipelinedOrder: three requests in one write, the first
// answered late from another goroutine: the next DirectFunc does not run
// before that answer and the responses arrive in order.
func TestDirectPipelinedOrder(t *testing.T) {
	var firstAnswered, outOfOrder atomic.Bool
	var calls atomic.Int64
	_, addr := startDirect(t, Options{}, func(r *Request) DirectFunc {
		n := r.Query().Get("n")
		return func(ex *Exchange) {
			calls.Add(1)
			if n == "1" {
				go func() {
					time.Sleep(50 * time.Millisecond)
					firstAnswered.Store(true)
					if !ex.Respond(http.StatusOK, nil, []byte("one")) {
						t.Error("late Respond reported false")
					}
				}()
				return
			}
			if !firstAnswered.Load() {
				outOfOrder.Store(true)
			}
			ex.Respond(http.StatusOK, nil, []byte("n="+n+" "+string(ex.Body)))
		}
	})
	c := dialDirect(t, addr)
	start := time.Now()
	c.write(get("/p?n=1") +
		"POST /p?n=2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
		get("/p?n=3"))
	resp, body := c.resp("")
	checkDirectOK(t, resp, body, "one")
	if el := time.Since(start); el < 45*time.Millisecond {
		t.Fatalf("first response after %v, before it was answered", el)
	}
	resp, body = c.resp("")
	checkDirectOK(t, resp, body, "n=2 abc")
	resp, body = c.resp("")
	checkDirectOK(t, resp, body, "n=3 ")
	if outOfOrder.Load() {
		t.Fatal("a later DirectFunc ran before the first request was answered")
	}
	if calls.Load() != 3 {
		t.Fatalf("%d calls, want 3", calls.Load())
	}
}

// TestDirectPipelinedOrderRace: the answer to a request must be queued
// before the next request on the connection is answered. The first answer
// comes from another goroutine while the next request's bytes arrive (a
// separate write): answering that one inline must not overtake it. With
// "Connection: close" the next request must not be answered at all.
func TestDirectPipelinedOrderRace(t *testing.T) {
	big := bytes.Repeat([]byte("L"), 32<<10)
	_, addr := startDirect(t, Options{}, func(r *Request) DirectFunc {
		if r.Path == "/late" {
			return func(ex *Exchange) {
				go func() {
					if d := rand.IntN(60); d > 0 {
						time.Sleep(time.Duration(d) * time.Microsecond)
					}
					ex.Respond(http.StatusOK, nil, big)
				}()
			}
		}
		return func(ex *Exchange) { ex.Respond(http.StatusOK, nil, []byte("now")) }
	})
	readLen := func(c *dclient, round int, want int) *http.Response {
		t.Helper()
		resp, body := c.resp("")
		if len(body) != want {
			t.Fatalf("round %d: a %d-byte answer where the %d-byte one was due", round, len(body), want)
		}
		return resp
	}
	c := dialDirect(t, addr)
	deadline := time.Now().Add(time.Second)
	for i := 0; i < 2000 && time.Now().Before(deadline); i++ {
		c.write(get("/late"))
		c.write(get("/now"))
		readLen(c, i, len(big))
		readLen(c, i, 3)
	}
	deadline = time.Now().Add(time.Second)
	for i := 0; i < 200 && time.Now().Before(deadline); i++ {
		c := dialDirect(t, addr)
		c.write("GET /late HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		c.write(get("/now"))
		if resp := readLen(c, i, len(big)); !resp.Close {
			t.Fatalf("round %d: no Connection: close", i)
		}
		c.expectClosed(2 * time.Second)
		_ = c.conn.Close()
	}
}

// TestDirectParkedClientGone: an exchange kept for later whose client
// disconnects runs its OnGone callback; answering it then reports false
// and writes nothing. An answered exchange's callback never runs.
func TestDirectParkedClientGone(t *testing.T) {
	parked := make(chan *Exchange, 2)
	gone := make(chan string, 2)
	srv, addr := startDirect(t, Options{}, func(r *Request) DirectFunc {
		return func(ex *Exchange) {
			path := r.Path
			if !ex.OnGone(func() { gone <- path }) {
				t.Error("OnGone refused on a fresh exchange")
			}
			parked <- ex
		}
	})

	// Answered, then the client leaves: no callback.
	a := dialDirect(t, addr)
	a.write(get("/answered"))
	ex := <-parked
	if !ex.Respond(http.StatusOK, nil, []byte("x")) {
		t.Fatal("Respond reported false")
	}
	resp, body := a.resp("")
	checkDirectOK(t, resp, body, "x")

	// Parked, then the client leaves: the callback runs.
	b := dialDirect(t, addr)
	b.write(get("/parked"))
	ex = <-parked
	waitFor(t, 2*time.Second, "two direct connections", func() bool { return srv.Stats().DirectConns == 2 })
	_ = b.conn.Close()
	select {
	case p := <-gone:
		if p != "/parked" {
			t.Fatalf("OnGone ran for %s", p)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("OnGone did not run after the client closed")
	}
	if ex.Respond(http.StatusOK, nil, []byte("too late")) {
		t.Fatal("Respond to a gone client reported true")
	}
	if ex.OnGone(func() {}) {
		t.Fatal("OnGone registered after the client was gone")
	}
	_ = a.conn.Close()
	waitFor(t, 2*time.Second, "DirectConns back to 0", func() bool { return srv.Stats().DirectConns == 0 })
	select {
	case p := <-gone:
		t.Fatalf("OnGone ran for the answered exchange %s", p)
	default:
	}
	if d := srv.Stats().Direct; d != 1 {
		t.Fatalf("Stats.Direct %d, want 1 (the late answer must not count)", d)
	}
}

// TestDirectHandOff: Direct returning nil sends the connection to net/http
// from that request on, whether it is the first request or follows direct
// ones, pipelined or not.
func TestDirectHandOff(t *testing.T) {
	t.Run("first", func(t *testing.T) {
		srv, addr := startDirect(t, Options{}, onlyPath("/d", answerEcho))
		c := dialDirect(t, addr)
		c.write(get("/other"))
		resp, body := c.resp("")
		if resp.StatusCode != 200 || body != "nethttp GET /other " || resp.Header.Get("X-Served-By") != "nethttp" {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
		// From then on net/http serves the connection, even /d.
		c.write(get("/d"))
		if _, body = c.resp(""); body != "nethttp GET /d " {
			t.Fatalf("after hand-off: %q", body)
		}
		st := srv.Stats()
		if st.HandedOff != 1 || st.Direct != 0 || st.DirectConns != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("after-direct", func(t *testing.T) {
		srv, addr := startDirect(t, Options{}, onlyPath("/d", answerEcho))
		c := dialDirect(t, addr)
		c.write(get("/d"))
		resp, body := c.resp("")
		checkDirectOK(t, resp, body, "direct GET /d ")
		c.write("POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody")
		resp, body = c.resp("")
		if resp.StatusCode != 200 || body != "nethttp POST /other body" {
			t.Fatalf("second: %d %q", resp.StatusCode, body)
		}
		c.write(get("/d"))
		if _, body = c.resp(""); body != "nethttp GET /d " {
			t.Fatalf("third: %q", body)
		}
		st := srv.Stats()
		if st.HandedOff != 1 || st.Direct != 1 || st.DirectConns != 0 || st.Accepted != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("pipelined-behind-late-answer", func(t *testing.T) {
		_, addr := startDirect(t, Options{}, onlyPath("/d", func(ex *Exchange) {
			go func() {
				time.Sleep(30 * time.Millisecond)
				ex.Respond(http.StatusOK, nil, []byte("late"))
			}()
		}))
		c := dialDirect(t, addr)
		c.write(get("/d") + "POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi" + get("/d"))
		resp, body := c.resp("")
		checkDirectOK(t, resp, body, "late")
		if _, body = c.resp(""); body != "nethttp POST /other hi" {
			t.Fatalf("second: %q", body)
		}
		if _, body = c.resp(""); body != "nethttp GET /d " {
			t.Fatalf("third: %q", body)
		}
	})
}

// TestDirectChunkedGoesToNetHTTP: Transfer-Encoding and Expect always go
// to net/http, even for a path Direct would answer; Direct is not asked.
func TestDirectChunkedGoesToNetHTTP(t *testing.T) {
	var asked atomic.Int64
	srv, addr := startDirect(t, Options{}, func(*Request) DirectFunc {
		asked.Add(1)
		return answerEcho
	})
	c := dialDirect(t, addr)
	c.write("POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
	time.Sleep(10 * time.Millisecond)
	c.write("2\r\nde\r\n0\r\n\r\n")
	resp, body := c.final()
	if resp.StatusCode != 200 || body != "nethttp POST /d abcde" {
		t.Fatalf("chunked: %d %q", resp.StatusCode, body)
	}

	e := dialDirect(t, addr)
	e.write("POST /d HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nxyz")
	resp, body = e.final()
	if resp.StatusCode != 200 || body != "nethttp POST /d xyz" {
		t.Fatalf("expect: %d %q", resp.StatusCode, body)
	}

	// After a direct request, a chunked one on the same connection too.
	d := dialDirect(t, addr)
	d.write(get("/d"))
	resp, body = d.resp("")
	checkDirectOK(t, resp, body, "direct GET /d ")
	d.write("POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nq\r\n0\r\n\r\n")
	if resp, body = d.final(); body != "nethttp POST /d q" {
		t.Fatalf("chunked after direct: %d %q", resp.StatusCode, body)
	}
	if n := asked.Load(); n != 1 {
		t.Fatalf("Direct asked %d times, want 1 (the plain GET)", n)
	}
	if st := srv.Stats(); st.HandedOff != 3 || st.Direct != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestDirectBodyTooLarge: a Content-Length past MaxDirectBody is not read:
// the DirectFunc gets ErrBodyTooLarge and the connection closes after the
// answer. At the limit the body is read.
func TestDirectBodyTooLarge(t *testing.T) {
	errs := make(chan error, 4)
	srv, addr := startDirect(t, Options{MaxDirectBody: 16}, func(*Request) DirectFunc {
		return func(ex *Exchange) {
			errs <- ex.Err
			if ex.Err != nil && ex.Body != nil {
				t.Errorf("Body %q with Err %v", ex.Body, ex.Err)
			}
			answerEcho(ex)
		}
	})
	ok := dialDirect(t, addr)
	ok.write("POST /at-limit HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n0123456789abcdef")
	resp, body := ok.resp("")
	checkDirectOK(t, resp, body, "direct POST /at-limit 0123456789abcdef")
	if err := <-errs; err != nil {
		t.Fatalf("at the limit: %v", err)
	}

	c := dialDirect(t, addr)
	c.write("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n")
	resp, body = c.resp("")
	if resp.StatusCode != http.StatusRequestEntityTooLarge || body != ErrBodyTooLarge.Error() {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	if !resp.Close {
		t.Fatalf("want Connection: close, header %v", resp.Header)
	}
	if err := <-errs; !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("Err %v, want ErrBodyTooLarge", err)
	}
	c.expectClosed(2 * time.Second)
	waitFor(t, 2*time.Second, "one direct connection left", func() bool { return srv.Stats().DirectConns == 1 })
}

// TestDirectBodyTimeout: a body that does not complete within BodyTimeout
// is answered with ErrBodyTimeout (counted), and the connection closes;
// body bytes trickling in do not move the deadline.
func TestDirectBodyTimeout(t *testing.T) {
	type seen struct {
		err  error
		body []byte
		at   time.Time
	}
	got := make(chan seen, 2)
	recordAndEcho := func(*Request) DirectFunc {
		return func(ex *Exchange) {
			got <- seen{ex.Err, ex.Body, time.Now()}
			answerEcho(ex)
		}
	}
	srv, addr := startDirect(t, Options{BodyTimeout: 200 * time.Millisecond}, recordAndEcho)

	c := dialDirect(t, addr)
	start := time.Now()
	c.write("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
	resp, body := c.resp("")
	if resp.StatusCode != http.StatusRequestTimeout || body != ErrBodyTimeout.Error() || !resp.Close {
		t.Fatalf("got %d %q close %v", resp.StatusCode, body, resp.Close)
	}
	s := <-got
	if !errors.Is(s.err, ErrBodyTimeout) || s.body != nil {
		t.Fatalf("Err %v Body %q", s.err, s.body)
	}
	if el := s.at.Sub(start); el < 190*time.Millisecond || el > 2*time.Second {
		t.Fatalf("timed out after %v, want about 200ms", el)
	}
	c.expectClosed(2 * time.Second)
	if st := srv.Stats(); st.BodyTimeouts != 1 {
		t.Fatalf("BodyTimeouts %d, want 1", st.BodyTimeouts)
	}

	t.Run("trickle", func(t *testing.T) {
		srv, addr := startDirect(t, Options{BodyTimeout: 400 * time.Millisecond}, recordAndEcho)
		c := dialDirect(t, addr)
		start := time.Now()
		c.write("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
		for _, piece := range []string{"cd", "ef", "gh"} {
			time.Sleep(100 * time.Millisecond)
			c.write(piece)
		}
		s := <-got
		el := s.at.Sub(start)
		if !errors.Is(s.err, ErrBodyTimeout) {
			t.Fatalf("Err %v", s.err)
		}
		// Reset by each piece, the deadline would be 700ms or later.
		if el < 390*time.Millisecond || el > 690*time.Millisecond {
			t.Fatalf("timed out after %v, want about 400ms from the head", el)
		}
		resp, _ := c.resp("")
		if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
			t.Fatalf("got %d close %v", resp.StatusCode, resp.Close)
		}
		c.expectClosed(2 * time.Second)
		if st := srv.Stats(); st.BodyTimeouts != 1 {
			t.Fatalf("BodyTimeouts %d", st.BodyTimeouts)
		}
	})
}

// TestDirectIdleTimeout: a keep-alive direct connection idle for
// HTTPIdleTimeout is closed; each request restarts the idle period; a
// connection waiting for its answer is not idle.
func TestDirectIdleTimeout(t *testing.T) {
	const idle = 200 * time.Millisecond
	parked := make(chan *Exchange, 1)
	srv, addr := startDirect(t, Options{HTTPIdleTimeout: idle}, func(r *Request) DirectFunc {
		if r.Path == "/park" {
			return func(ex *Exchange) { parked <- ex }
		}
		return answerEcho
	})
	c := dialDirect(t, addr)
	c.write(get("/d"))
	resp, body := c.resp("")
	checkDirectOK(t, resp, body, "direct GET /d ")
	c.expectOpen(idle / 2)
	c.write(get("/d"))
	resp, body = c.resp("")
	checkDirectOK(t, resp, body, "direct GET /d ")
	if el := c.expectClosed(2 * time.Second); el < idle*3/4 {
		t.Fatalf("closed %v after the last answer, want about %v", el, idle)
	}
	waitFor(t, 2*time.Second, "DirectConns 0", func() bool { return srv.Stats().DirectConns == 0 })

	p := dialDirect(t, addr)
	p.write(get("/park"))
	ex := <-parked
	p.expectOpen(2 * idle)
	if !ex.Respond(http.StatusOK, nil, []byte("finally")) {
		t.Fatal("Respond reported false: the waiting connection was closed")
	}
	resp, body = p.resp("")
	checkDirectOK(t, resp, body, "finally")
	if el := p.expectClosed(2 * time.Second); el < idle*3/4 {
		t.Fatalf("closed %v after the answer, want about %v", el, idle)
	}
	if st := srv.Stats(); st.HandshakeTimeouts != 0 {
		t.Fatalf("idle close counted as a handshake timeout: %+v", st)
	}
}

// bigAnswer is larger than what the loopback socket buffers hold, so most
// of it stays queued on the server while the client does not read.
const bigAnswer = 64 << 20

// readBig reads one response and reports how many body bytes arrived.
func (c *dclient) readBig() (int64, error) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return io.Copy(io.Discard, resp.Body)
}

// TestDirectIdleTimeoutKeepsQueuedAnswer: the idle period starts when the
// answer is written, not when it is queued: a client reading a large
// answer slowly must get all of it.
func TestDirectIdleTimeoutKeepsQueuedAnswer(t *testing.T) {
	body := make([]byte, bigAnswer)
	_, addr := startDirect(t, Options{HTTPIdleTimeout: 200 * time.Millisecond}, func(*Request) DirectFunc {
		return func(ex *Exchange) { ex.Respond(http.StatusOK, nil, body) }
	})
	c := dialDirect(t, addr)
	c.write(get("/big"))
	// Not reading: the answer stays queued while the idle deadline passes.
	time.Sleep(500 * time.Millisecond)
	n, err := c.readBig()
	if err != nil || n != bigAnswer {
		t.Fatalf("read %d of %d body bytes: %v", n, bigAnswer, err)
	}
	c.expectClosed(2 * time.Second)
}

// TestDirectShutdownKeepsQueuedAnswer: Shutdown closes idle direct
// connections, but not before the answer they are still writing is out.
func TestDirectShutdownKeepsQueuedAnswer(t *testing.T) {
	body := make([]byte, bigAnswer)
	answered := make(chan struct{})
	srv, addr := startDirect(t, Options{}, func(*Request) DirectFunc {
		return func(ex *Exchange) {
			ex.Respond(http.StatusOK, nil, body)
			close(answered)
		}
	})
	c := dialDirect(t, addr)
	c.write(get("/big"))
	<-answered
	waitFor(t, 2*time.Second, "a queued answer", func() bool {
		n := 0
		srv.each(setDirect, func(dc *Conn) bool { n += dc.QueuedBytes(); return true })
		return n > 0
	})
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	waitFor(t, 2*time.Second, "draining", srv.draining.Load)
	// Not reading yet: let Shutdown's closing of idle connections run.
	time.Sleep(100 * time.Millisecond)
	n, err := c.readBig()
	if err != nil || n != bigAnswer {
		t.Fatalf("read %d of %d body bytes: %v", n, bigAnswer, err)
	}
	c.expectClosed(2 * time.Second)
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// TestDirectSlowHead: on a connection already answered directly, a next
// head that keeps trickling in is cut at HandshakeTimeout.
func TestDirectSlowHead(t *testing.T) {
	srv, addr := startDirect(t, Options{HandshakeTimeout: 300 * time.Millisecond}, func(*Request) DirectFunc { return answerEcho })
	c := dialDirect(t, addr)
	c.write(get("/first"))
	resp, body := c.resp("")
	checkDirectOK(t, resp, body, "direct GET /first ")

	start := time.Now()
	c.write("GET /second HTTP/1.1\r\nHost: x\r\n")
	done := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, err := c.conn.Write([]byte("X")); err != nil {
				return
			}
		}
	}()
	_ = c.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	_, err := io.ReadAll(c.br)
	elapsed := time.Since(start)
	close(stop)
	<-done
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("slow head was not cut")
	}
	if elapsed < 250*time.Millisecond || elapsed > 2*time.Second {
		t.Fatalf("closed after %v, want about 300ms", elapsed)
	}
	if st := srv.Stats(); st.HandshakeTimeouts != 1 {
		t.Fatalf("HandshakeTimeouts %d, want 1", st.HandshakeTimeouts)
	}
}

// TestDirectConnectionClose: "Connection: close" (any case, in a list)
// and HTTP/1.0 get "Connection: close" and the server closes after the
// answer, without reading a request pipelined behind.
func TestDirectConnectionClose(t *testing.T) {
	var calls atomic.Int64
	srv, addr := startDirect(t, Options{}, func(*Request) DirectFunc {
		return func(ex *Exchange) {
			calls.Add(1)
			answerEcho(ex)
		}
	})
	cases := []struct{ name, req, want string }{
		{"close", "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "direct GET /a "},
		{"list", "GET /b HTTP/1.1\r\nHost: x\r\nConnection: foo, Close\r\n\r\n", "direct GET /b "},
		{"http10", "GET /c HTTP/1.0\r\n\r\n", "direct GET /c "},
		{"http10-keepalive", "GET /d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "direct GET /d "},
		{"pipelined", "GET /e HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + get("/never"), "direct GET /e "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := calls.Load()
			c := dialDirect(t, addr)
			c.write(tc.req)
			resp, body := c.resp("")
			if resp.StatusCode != 200 || body != tc.want || !resp.Close {
				t.Fatalf("got %d %q close %v", resp.StatusCode, body, resp.Close)
			}
			c.expectClosed(2 * time.Second)
			if got := calls.Load() - n; got != 1 {
				t.Fatalf("DirectFunc ran %d times, want 1", got)
			}
		})
	}
	waitFor(t, 2*time.Second, "DirectConns 0", func() bool { return srv.Stats().DirectConns == 0 })
}

// TestDirectMalformedHead: a bad header line or Content-Length gets 400
// and close, before Direct is asked; equal duplicate lengths are fine.
func TestDirectMalformedHead(t *testing.T) {
	var asked atomic.Int64
	srv, addr := startDirect(t, Options{}, func(*Request) DirectFunc {
		asked.Add(1)
		return answerEcho
	})
	bad := []struct{ name, req string }{
		{"no-colon", "GET /d HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n"},
		{"space-in-name", "GET /d HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n"},
		{"space-before-colon", "GET /d HTTP/1.1\r\nHost : x\r\n\r\n"},
		{"empty-name", "GET /d HTTP/1.1\r\n: v\r\n\r\n"},
		{"obs-fold", "GET /d HTTP/1.1\r\nX-A: b\r\n c\r\n\r\n"},
		{"conflicting-length", "POST /d HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"},
		{"non-numeric-length", "POST /d HTTP/1.1\r\nContent-Length: 3x\r\n\r\n"},
		{"negative-length", "POST /d HTTP/1.1\r\nContent-Length: -1\r\n\r\n"},
		{"empty-length", "POST /d HTTP/1.1\r\nContent-Length:\r\n\r\n"},
		{"list-length", "POST /d HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			rej := srv.Stats().Rejected
			c := dialDirect(t, addr)
			c.write(tc.req)
			resp, _ := c.resp("")
			if resp.StatusCode != http.StatusBadRequest || !resp.Close {
				t.Fatalf("got %d close %v, want 400 and close", resp.StatusCode, resp.Close)
			}
			c.expectClosed(2 * time.Second)
			if got := srv.Stats().Rejected - rej; got != 1 {
				t.Fatalf("Rejected grew by %d, want 1", got)
			}
		})
	}
	if n := asked.Load(); n != 0 {
		t.Fatalf("Direct was asked %d times about malformed heads", n)
	}

	t.Run("after-direct", func(t *testing.T) {
		c := dialDirect(t, addr)
		c.write(get("/ok"))
		resp, body := c.resp("")
		checkDirectOK(t, resp, body, "direct GET /ok ")
		c.write("GET /d HTTP/1.1\r\nBad Header Without Colon\r\n\r\n")
		resp, _ = c.resp("")
		if resp.StatusCode != http.StatusBadRequest || !resp.Close {
			t.Fatalf("got %d close %v", resp.StatusCode, resp.Close)
		}
		c.expectClosed(2 * time.Second)
	})
	t.Run("equal-duplicate-length", func(t *testing.T) {
		c := dialDirect(t, addr)
		c.write("POST /d HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc")
		resp, body := c.resp("")
		checkDirectOK(t, resp, body, "direct POST /d abc")
	})
	// Every subtest's client is closed by now.
	waitFor(t, 2*time.Second, "DirectConns 0", func() bool { return srv.Stats().DirectConns == 0 })
}

const (
	upgradeHead = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	upgradeAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

func maskedText(s string) string {
	var b bytes.Buffer
	_ = ws.WriteFrame(&b, ws.MaskFrameInPlace(ws.NewTextFrame([]byte(s))))
	return b.String()
}

// expectUpgradeEcho reads the 101 and the echo of the frame "hi", sends
// "again" and reads its echo.
func (c *dclient) expectUpgradeEcho() {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		c.t.Fatalf("upgrade response %v %v", resp, err)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != upgradeAccept {
		c.t.Fatalf("accept %q", got)
	}
	for _, msg := range []string{"hi", "again"} {
		if msg != "hi" {
			c.write(maskedText(msg))
		}
		f, err := ws.ReadFrame(c.br)
		if err != nil || f.Header.OpCode != ws.OpText || string(f.Payload) != msg {
			c.t.Fatalf("echo of %q: %v %q %v", msg, f.Header.OpCode, f.Payload, err)
		}
	}
}

// TestDirectThenUpgrade: a WebSocket handshake after direct requests on a
// keep-alive connection is upgraded, with the frames behind it.
func TestDirectThenUpgrade(t *testing.T) {
	t.Run("sequential", func(t *testing.T) {
		srv, addr := startDirect(t, Options{}, func(*Request) DirectFunc { return answerEcho })
		c := dialDirect(t, addr)
		c.write(get("/d"))
		resp, body := c.resp("")
		checkDirectOK(t, resp, body, "direct GET /d ")
		c.write(upgradeHead + maskedText("hi"))
		c.expectUpgradeEcho()
		st := srv.Stats()
		if st.Upgraded != 1 || st.WebSockets != 1 || st.DirectConns != 0 || st.Sniffing != 0 {
			t.Fatalf("stats %+v", st)
		}
		_ = c.conn.Close()
		waitFor(t, 2*time.Second, "WebSocket closed", func() bool { return srv.Stats().WebSockets == 0 })
		if st := srv.Stats(); st.Sniffing != 0 || st.DirectConns != 0 {
			t.Fatalf("after close: %+v", st)
		}
	})
	t.Run("pipelined-behind-late-answer", func(t *testing.T) {
		srv, addr := startDirect(t, Options{}, func(*Request) DirectFunc {
			return func(ex *Exchange) {
				go func() {
					time.Sleep(30 * time.Millisecond)
					ex.Respond(http.StatusOK, nil, []byte("late"))
				}()
			}
		})
		c := dialDirect(t, addr)
		c.write(get("/d") + upgradeHead + maskedText("hi"))
		resp, body := c.resp("")
		checkDirectOK(t, resp, body, "late")
		c.expectUpgradeEcho()
		if st := srv.Stats(); st.Upgraded != 1 || st.WebSockets != 1 || st.Sniffing != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// TestDirectUpgradeRefused: a refused handshake after direct requests gets
// the refusal and close, and leaves no connection counted as sniffing or
// direct.
func TestDirectUpgradeRefused(t *testing.T) {
	srv, addr := startDirect(t, Options{Upgrade: func(*Request) (Handler, error) {
		return nil, &HTTPError{Status: http.StatusForbidden, Body: []byte("no")}
	}}, func(*Request) DirectFunc { return answerEcho })
	c := dialDirect(t, addr)
	c.write(get("/d"))
	resp, body := c.resp("")
	checkDirectOK(t, resp, body, "direct GET /d ")
	c.write(upgradeHead)
	resp, body = c.resp("")
	if resp.StatusCode != http.StatusForbidden || body != "no" || !resp.Close {
		t.Fatalf("got %d %q close %v", resp.StatusCode, body, resp.Close)
	}
	c.expectClosed(2 * time.Second)
	waitFor(t, 2*time.Second, "counters settled", func() bool {
		st := srv.Stats()
		return st.Sniffing == 0 && st.DirectConns == 0
	})
	if st := srv.Stats(); st.Rejected != 1 || st.Upgraded != 0 || st.WebSockets != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestDirectBadNextHead: after a direct request, a next head that is not
// HTTP gets 400, one past MaxHeaderBytes 431, and the connection closes.
func TestDirectBadNextHead(t *testing.T) {
	srv, addr := startDirect(t, Options{MaxHeaderBytes: 256}, func(*Request) DirectFunc { return answerEcho })
	cases := []struct {
		name, next string
		status     int
	}{
		{"not-http", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", http.StatusBadRequest},
		{"bad-request-line", "GET /x HTTP/2.0\r\n\r\n", http.StatusBadRequest},
		{"too-large", "GET /x HTTP/1.1\r\nX-Pad: " + strings.Repeat("p", 300), http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialDirect(t, addr)
			c.write(get("/d"))
			resp, body := c.resp("")
			checkDirectOK(t, resp, body, "direct GET /d ")
			c.write(tc.next)
			resp, _ = c.resp("")
			if resp.StatusCode != tc.status || !resp.Close {
				t.Fatalf("got %d close %v, want %d and close", resp.StatusCode, resp.Close, tc.status)
			}
			c.expectClosed(2 * time.Second)
		})
	}
	waitFor(t, 2*time.Second, "DirectConns 0", func() bool { return srv.Stats().DirectConns == 0 })
	if st := srv.Stats(); st.Rejected != uint64(len(cases)) || st.Direct != uint64(len(cases)) {
		t.Fatalf("stats %+v", st)
	}
}

// TestDirectShutdown: Shutdown closes idle direct connections at once,
// waits for an unanswered exchange, whose answer then says
// "Connection: close", and returns nil.
func TestDirectShutdown(t *testing.T) {
	parked := make(chan *Exchange, 1)
	srv, addr := startDirect(t, Options{}, func(r *Request) DirectFunc {
		if r.Path == "/park" {
			return func(ex *Exchange) { parked <- ex }
		}
		return answerEcho
	})
	idle := dialDirect(t, addr)
	idle.write(get("/d"))
	resp, body := idle.resp("")
	checkDirectOK(t, resp, body, "direct GET /d ")

	busy := dialDirect(t, addr)
	busy.write(get("/park"))
	ex := <-parked

	shut := make(chan error, 1)
	start := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	idle.expectClosed(2 * time.Second)
	busy.expectOpen(100 * time.Millisecond)
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) with an exchange unanswered", err)
	default:
	}
	if !ex.Respond(http.StatusOK, nil, []byte("late")) {
		t.Fatal("Respond during Shutdown reported false")
	}
	resp, body = busy.resp("")
	if resp.StatusCode != 200 || body != "late" || !resp.Close {
		t.Fatalf("got %d %q close %v, want 200 late and close", resp.StatusCode, body, resp.Close)
	}
	busy.expectClosed(2 * time.Second)
	select {
	case err := <-shut:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Shutdown did not return")
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("Shutdown took %v", el)
	}
	if st := srv.Stats(); st.DirectConns != 0 || st.Direct != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// TestDirectConnsStat: DirectConns counts the connections in direct mode:
// up with each, down when the client closes, hands off or upgrades.
func TestDirectConnsStat(t *testing.T) {
	srv, addr := startDirect(t, Options{}, onlyPath("/d", answerEcho))
	var cs []*dclient
	for range 3 {
		c := dialDirect(t, addr)
		c.write(get("/d"))
		resp, body := c.resp("")
		checkDirectOK(t, resp, body, "direct GET /d ")
		cs = append(cs, c)
	}
	if n := srv.Stats().DirectConns; n != 3 {
		t.Fatalf("DirectConns %d, want 3", n)
	}
	// One hands off, one upgrades.
	cs[0].write(get("/other"))
	if _, body := cs[0].resp(""); body != "nethttp GET /other " {
		t.Fatalf("hand-off: %q", body)
	}
	cs[1].write(upgradeHead + maskedText("hi"))
	cs[1].expectUpgradeEcho()
	if n := srv.Stats().DirectConns; n != 1 {
		t.Fatalf("DirectConns %d after a hand-off and an upgrade, want 1", n)
	}
	_ = cs[2].conn.Close()
	waitFor(t, 2*time.Second, "DirectConns 0", func() bool { return srv.Stats().DirectConns == 0 })
	_ = cs[0].conn.Close()
	_ = cs[1].conn.Close()
	waitFor(t, 2*time.Second, "all closed", func() bool {
		st := srv.Stats()
		return st.WebSockets == 0 && st.DirectConns == 0 && st.Sniffing == 0
	})
}

// TestDirectBufferLimit: a client that keeps sending while its request is
// unanswered is cut at MaxHTTPBuffered, and the exchange learns it.
func TestDirectBufferLimit(t *testing.T) {
	parked := make(chan *Exchange, 1)
	gone := make(chan struct{})
	srv, addr := startDirect(t, Options{MaxHTTPBuffered: 1024}, func(*Request) DirectFunc {
		return func(ex *Exchange) {
			ex.OnGone(func() { close(gone) })
			parked <- ex
		}
	})
	c := dialDirect(t, addr)
	c.write(get("/d"))
	ex := <-parked
	_, _ = c.conn.Write([]byte(strings.Repeat(get("/more"), 2048/len(get("/more"))+1)))
	select {
	case <-gone:
	case <-time.After(3 * time.Second):
		t.Fatal("connection not cut at MaxHTTPBuffered")
	}
	if ex.Respond(http.StatusOK, nil, nil) {
		t.Fatal("Respond after the cut reported true")
	}
	if st := srv.Stats(); st.Rejected != 1 {
		t.Fatalf("Rejected %d, want 1", st.Rejected)
	}
}

// TestDirectStatusWithoutBody: 204 carries no Content-Length and the
// stream stays in step.
func TestDirectStatusWithoutBody(t *testing.T) {
	_, addr := startDirect(t, Options{}, func(r *Request) DirectFunc {
		switch r.Path {
		case "/none":
			return func(ex *Exchange) { ex.Respond(http.StatusNoContent, nil, nil) }
		case "/none-with-body":
			// A body given with 204 is not sent: it would be read as the
			// start of the next response.
			return func(ex *Exchange) { ex.Respond(http.StatusNoContent, nil, []byte("stray")) }
		case "/head":
			return func(ex *Exchange) { ex.Respond(http.StatusOK, nil, []byte("twelve bytes")) }
		}
		return answerEcho
	})
	c := dialDirect(t, addr)
	c.write(get("/none") + get("/none-with-body") + "HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n" + get("/d"))
	for range 2 {
		resp, body := c.resp("")
		if resp.StatusCode != http.StatusNoContent || body != "" || resp.Header.Get("Content-Length") != "" {
			t.Fatalf("204: %v %q", resp.Header, body)
		}
	}
	resp, body := c.resp("HEAD")
	if resp.StatusCode != http.StatusOK || body != "" || resp.ContentLength != 12 {
		t.Fatalf("HEAD: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	resp, body = c.resp("")
	checkDirectOK(t, resp, body, "direct GET /d ")
}

// TestDirectConcurrent answers pipelined requests on many connections,
// some inline and some from other goroutines after a random pause, and
// checks every connection gets its answers in order (run with -race).
func TestDirectConcurrent(t *testing.T) {
	const conns, perConn = 8, 40
	srv, addr := startDirect(t, Options{}, func(r *Request) DirectFunc {
		tag := r.RawQuery
		return func(ex *Exchange) {
			answer := func() { ex.Respond(http.StatusOK, nil, append([]byte(tag+":"), ex.Body...)) }
			if rand.IntN(3) == 0 {
				answer()
				return
			}
			go func() {
				time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
				answer()
			}()
		}
	})
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			var all strings.Builder
			for j := range perConn {
				b := fmt.Sprintf("b%d", j)
				fmt.Fprintf(&all, "POST /c?%d-%d HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", i, j, len(b), b)
			}
			// Written in uneven pieces that cut heads and bodies.
			go func() {
				s := all.String()
				for len(s) > 0 {
					n := min(len(s), 1+rand.IntN(200))
					if _, err := io.WriteString(conn, s[:n]); err != nil {
						return
					}
					s = s[n:]
				}
			}()
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			br := bufio.NewReader(conn)
			for j := range perConn {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					errs <- fmt.Errorf("conn %d response %d: %w", i, j, err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				if want := fmt.Sprintf("%d-%d:b%d", i, j, j); string(body) != want {
					errs <- fmt.Errorf("conn %d response %d: %q, want %q", i, j, body, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := srv.Stats(); st.Direct != conns*perConn {
		t.Fatalf("Direct %d, want %d", st.Direct, conns*perConn)
	}
}

// TestParseHead checks parseHead on heads sniff accepted.
func TestParseHead(t *testing.T) {
	cases := []struct {
		name    string
		head    string
		method  string
		uri     string
		host    string
		length  int64
		keep    bool
		handOff bool
		err     error
	}{
		{name: "get", head: "GET /a?b=c HTTP/1.1\r\nHost: h\r\n\r\n", method: "GET", uri: "/a?b=c", host: "h", keep: true},
		{name: "bare-lf", head: "GET / HTTP/1.1\nHost: h\nX: y\n\n", method: "GET", uri: "/", host: "h", keep: true},
		{name: "http10", head: "GET / HTTP/1.0\r\n\r\n", method: "GET", uri: "/"},
		{name: "close", head: "GET / HTTP/1.1\r\nconnection: keep-alive, CLOSE\r\nHost: h\r\n\r\n", method: "GET", uri: "/", host: "h"},
		{name: "length", head: "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length:  42 \r\n\r\n", method: "PUT", uri: "/x", host: "h", length: 42, keep: true},
		{name: "equal-lengths", head: "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n", method: "PUT", uri: "/x", host: "h", length: 7, keep: true},
		{name: "chunked", head: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", method: "POST", uri: "/", host: "h", keep: true, handOff: true},
		{name: "expect", head: "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", method: "POST", uri: "/", host: "h", length: 1, keep: true, handOff: true},
		{name: "no-colon", head: "GET / HTTP/1.1\r\nnope\r\n\r\n", err: errBadHeader},
		{name: "bad-token", head: "GET / HTTP/1.1\r\nA(b): c\r\n\r\n", err: errBadHeader},
		{name: "conflict", head: "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", err: errBadContentLength},
		{name: "negative", head: "GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", err: errBadContentLength},
		{name: "overflow", head: "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", err: errBadContentLength},
		{name: "plus-length", head: "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", err: errBadContentLength},
		{name: "no-host", head: "GET / HTTP/1.1\r\n\r\n", err: errBadHost},
		{name: "no-host-close", head: "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", err: errBadHost},
		{name: "two-hosts", head: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", err: errBadHost},
		{name: "two-hosts-http10", head: "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", err: errBadHost},
		{name: "ctl-in-value", head: "GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", err: errBadHeader},
		{name: "cr-in-value", head: "GET / HTTP/1.1\r\nHost: h\r\nX: a\rContent-Length: 4\r\n\r\n", err: errBadHeader},
		{name: "space-in-target", head: "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", err: errBadRequestLine},
		{name: "bad-escape", head: "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n", err: errBadRequestLine},
		{name: "escape", head: "GET /a%20b?q=%41 HTTP/1.1\r\nHost: h\r\n\r\n", method: "GET", uri: "/a%20b?q=%41", host: "h", keep: true},
		{name: "tab-in-value", head: "GET / HTTP/1.1\r\nHost: h\r\nX: a\tb\r\n\r\n", method: "GET", uri: "/", host: "h", keep: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if res, n, _ := sniff([]byte(tc.head), 0, testMaxHead); res != sniffHTTP || n != len(tc.head) {
				t.Fatalf("sniff: %s %d", resultName(res), n)
			}
			var req Request
			info, err := parseHead([]byte(tc.head), &req)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.Method != tc.method || req.URI != tc.uri || req.Host != tc.host || req.ContentLength != tc.length {
				t.Fatalf("request %+v", req)
			}
			if info.keepAlive != tc.keep || info.handOff != tc.handOff {
				t.Fatalf("info %+v, want keepAlive %v handOff %v", info, tc.keep, tc.handOff)
			}
			for k := range req.Header {
				if k != http.CanonicalHeaderKey(k) {
					t.Fatalf("header key %q not canonical", k)
				}
			}
		})
	}
}
