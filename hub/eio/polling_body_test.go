package eio_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/siogate/siogate/hub/eio"
)

// TestPollingSlowBody: a POST whose body stops arriving (slowloris) is
// answered 400 after a heartbeat period (pingInterval + pingTimeout) and
// its connection closed, its session closed, while another session
// carries on.
func TestPollingSlowBody(t *testing.T) {
	t.Run("direct", func(t *testing.T) { testPollingSlowBody(t, true) })
	t.Run("net/http", func(t *testing.T) { testPollingSlowBody(t, false) })
}

func testPollingSlowBody(t *testing.T, direct bool) {
	_, rec, base := startEIOMode(t, eio.Options{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond}, direct)
	slow := handshake(t, base)
	start := time.Now()
	// 100 bytes announced, 10 sent.
	conn := rawPoll(t, base, "POST", slow, "Content-Type: text/plain\r\nContent-Length: 100\r\n", "4"+strings.Repeat("x", 9))
	// Another session is served meanwhile.
	other := handshake(t, base)
	if code, body, _ := do(t, "POST", base+"?EIO=4&transport=polling&sid="+other, "4hello"); code != 200 || body != "ok" {
		t.Fatalf("other session's POST: %d %q", code, body)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to the stalled POST: %v", err)
	}
	resp.Body.Close()
	waited := time.Since(start)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("stalled POST: status %d, want 400", resp.StatusCode)
	}
	if waited < 400*time.Millisecond || waited > 3*time.Second {
		t.Fatalf("stalled POST answered after %v, want about 500 ms", waited)
	}
	// The heartbeat ends the session at about the same moment (its pong
	// could only come in a later POST): either reason is right.
	if r := rec.waitReason(t, slow); r != eio.ReasonTransportError && r != eio.ReasonPingTimeout {
		t.Fatalf("reason %q", r)
	}
	// The connection is not kept for another request: the rest of its
	// body would be read as one.
	if n, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatalf("connection still open after the answer (%d more bytes)", n)
	}
}

// TestPollingParkedClientGone: a client that disconnects while its GET is
// parked leaves no GET behind; its next GET (on a new connection) parks
// instead of counting as a second GET at once (which would close the
// session), and gets what was sent meanwhile.
func TestPollingParkedClientGone(t *testing.T) {
	t.Run("direct", func(t *testing.T) { testPollingParkedClientGone(t, true) })
	t.Run("net/http", func(t *testing.T) { testPollingParkedClientGone(t, false) })
}

func testPollingParkedClientGone(t *testing.T, direct bool) {
	srv, _, base := startEIOMode(t, eio.Options{}, direct)
	sid := handshake(t, base)
	conn := rawPoll(t, base, "GET", sid, "", "")
	waitParked(t, srv, sid)
	_ = conn.Close()
	s := srv.Session(sid)
	deadline := time.Now().Add(5 * time.Second)
	for eio.HasParkedGET(s) {
		if time.Now().After(deadline) {
			t.Fatal("the GET of a client that went away is still parked")
		}
		time.Sleep(5 * time.Millisecond)
	}
	got := pollAsync(base, sid)
	waitParked(t, srv, sid)
	if err := s.Send(eio.NewOutgoing([]byte("after"), false)); err != nil {
		t.Fatal(err)
	}
	if b := <-got; b != "200 OK 4after" {
		t.Fatalf("next GET: %q", b)
	}
}
