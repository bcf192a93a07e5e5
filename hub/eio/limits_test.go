package eio_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siogate/siogate/hub/eio"
)

// Loopback holds all of 127.0.0.0/8, so a test can be several client
// addresses by choosing the source address of its connections.

// fromDialer dials from the loopback address src.
func fromDialer(src string) *net.Dialer {
	return &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
}

// doFrom is do with the connection made from src and extra headers.
func doFrom(t *testing.T, src, method, url, body string, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{DialContext: fromDialer(src).DialContext, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s from %s: %v", method, url, src, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// pollOpen opens a polling session from src and returns its sid.
func pollOpen(t *testing.T, src, base string, hdr map[string]string) string {
	t.Helper()
	code, body, _ := doFrom(t, src, "GET", base+"?EIO=4&transport=polling", "", hdr)
	if code != 200 || !strings.HasPrefix(body, `0{"sid":"`) {
		t.Fatalf("handshake from %s: %d %q", src, code, body)
	}
	return body[len(`0{"sid":"`) : len(`0{"sid":"`)+20]
}

// refused checks a refusal: status and the Engine.IO error JSON.
func refused(t *testing.T, what string, code int, body string, h http.Header, wantCode int, wantMsg string) {
	t.Helper()
	want := `{"code":4,"message":"` + wantMsg + `"}`
	if code != wantCode || body != want || h.Get("Content-Type") != "application/json" {
		t.Fatalf("%s: %d %q (%s), want %d %s", what, code, body, h.Get("Content-Type"), wantCode, want)
	}
}

// wsUpgrade sends a WebSocket handshake from src and returns the status,
// body and headers of the answer. On 101 the connection stays open until
// the end of the test.
func wsUpgrade(t *testing.T, src, base, query string) (int, string, http.Header) {
	t.Helper()
	hostPort := strings.TrimPrefix(strings.TrimSuffix(base, "/engine.io/"), "http://")
	conn, err := fromDialer(src).Dial("tcp", hostPort)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_, _ = conn.Write([]byte("GET /engine.io/?" + query + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"))
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp.StatusCode, "", resp.Header
	}
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// echoes checks that an open polling session still works.
func echoes(t *testing.T, src, base, sid string) {
	t.Helper()
	if code, body, _ := doFrom(t, src, "POST", base+"?EIO=4&transport=polling&sid="+sid, "4still here", nil); code != 200 || body != "ok" {
		t.Fatalf("POST on %s: %d %q", sid, code, body)
	}
	if code, body, _ := doFrom(t, src, "GET", base+"?EIO=4&transport=polling&sid="+sid, "", nil); code != 200 || body != "4still here" {
		t.Fatalf("GET on %s: %d %q", sid, code, body)
	}
}

// closeSession closes a polling session from the client side and waits
// until the server stops counting it.
func closeSession(t *testing.T, srv *eio.Server, src, base, sid string, want int) {
	t.Helper()
	if code, _, _ := doFrom(t, src, "POST", base+"?EIO=4&transport=polling&sid="+sid, "1", nil); code != 200 {
		t.Fatalf("close %s: %d", sid, code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.Len() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions open, want %d", srv.Len(), want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestMaxConnections: past MaxConnections a handshake (polling or
// WebSocket) gets 503 and the Engine.IO error JSON; open sessions carry on,
// and a closed one frees its slot.
func TestMaxConnections(t *testing.T) {
	srv, _, base := startEIO(t, eio.Options{MaxConnections: 2, PingInterval: time.Hour})
	sid := pollOpen(t, "127.0.0.1", base, nil)
	if code, _, _ := wsUpgrade(t, "127.0.0.1", base, "EIO=4&transport=websocket"); code != 101 {
		t.Fatalf("second session: %d", code)
	}
	code, body, h := doFrom(t, "127.0.0.2", "GET", base+"?EIO=4&transport=polling", "", nil)
	refused(t, "polling over the limit", code, body, h, 503, "Too many connections")
	code, body, h = wsUpgrade(t, "127.0.0.2", base, "EIO=4&transport=websocket")
	refused(t, "websocket over the limit", code, body, h, 503, "Too many connections")
	echoes(t, "127.0.0.1", base, sid)

	closeSession(t, srv, "127.0.0.1", base, sid, 1)
	pollOpen(t, "127.0.0.2", base, nil)
	st := srv.Stats()
	if st.Limited[eio.LimitConnections] != 2 || st.Rejected != 2 || st.Sessions != 2 {
		t.Fatalf("stats: limited %v, rejected %d, sessions %d", st.Limited, st.Rejected, st.Sessions)
	}
}

// TestMaxConnectionsPerIP: one address past MaxConnectionsPerIP gets 429;
// other addresses connect, and the address gets its slot back when a
// session ends.
func TestMaxConnectionsPerIP(t *testing.T) {
	srv, _, base := startEIO(t, eio.Options{MaxConnectionsPerIP: 1, PingInterval: time.Hour})
	sid := pollOpen(t, "127.0.0.1", base, nil)
	code, body, h := doFrom(t, "127.0.0.1", "GET", base+"?EIO=4&transport=polling", "", nil)
	refused(t, "second polling session", code, body, h, 429, "Too many connections from this address")
	code, body, h = wsUpgrade(t, "127.0.0.1", base, "EIO=4&transport=websocket")
	refused(t, "second session over websocket", code, body, h, 429, "Too many connections from this address")

	other := pollOpen(t, "127.0.0.2", base, nil)
	if code, _, _ := wsUpgrade(t, "127.0.0.3", base, "EIO=4&transport=websocket"); code != 101 {
		t.Fatalf("websocket from another address: %d", code)
	}
	echoes(t, "127.0.0.1", base, sid)
	echoes(t, "127.0.0.2", base, other)

	closeSession(t, srv, "127.0.0.1", base, sid, 2)
	pollOpen(t, "127.0.0.1", base, nil)
	if got := srv.Stats().Limited[eio.LimitConnectionsPerIP]; got != 2 {
		t.Fatalf("Limited[connections_per_ip] = %d, want 2", got)
	}
}

// TestHandshakeRate: an address past its handshake bucket gets 429 with
// Retry-After; other addresses connect, and the sessions it already has
// carry on, upgrade included (an upgrade is not a new session).
func TestHandshakeRate(t *testing.T) {
	// One token per 100 s: nothing refills during the test.
	srv, _, base := startEIO(t, eio.Options{HandshakeRate: 0.01, HandshakeBurst: 2, PingInterval: time.Hour})
	sid := pollOpen(t, "127.0.0.1", base, nil)
	pollOpen(t, "127.0.0.1", base, nil)
	code, body, h := doFrom(t, "127.0.0.1", "GET", base+"?EIO=4&transport=polling", "", nil)
	refused(t, "third handshake", code, body, h, 429, "Too many handshakes from this address")
	if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 || ra > 100 {
		t.Fatalf("Retry-After %q, want 1..100 seconds", h.Get("Retry-After"))
	}
	code, body, h = wsUpgrade(t, "127.0.0.1", base, "EIO=4&transport=websocket")
	refused(t, "handshake over websocket", code, body, h, 429, "Too many handshakes from this address")
	if h.Get("Retry-After") == "" {
		t.Fatal("no Retry-After on the WebSocket refusal")
	}

	pollOpen(t, "127.0.0.2", base, nil)
	echoes(t, "127.0.0.1", base, sid)
	if code, _, _ := wsUpgrade(t, "127.0.0.1", base, "EIO=4&transport=websocket&sid="+sid); code != 101 {
		t.Fatalf("upgrade of an open session: %d, want 101", code)
	}
	if got := srv.Stats().Limited[eio.LimitHandshakeRate]; got != 2 {
		t.Fatalf("Limited[handshake_rate] = %d, want 2", got)
	}
}

// TestTrustedProxies: behind a trusted proxy the client is the rightmost
// X-Forwarded-For entry that is not a trusted proxy; what the client wrote
// itself further left is ignored. Without TrustedProxies the header is
// ignored altogether.
func TestTrustedProxies(t *testing.T) {
	t.Run("trusted", func(t *testing.T) {
		_, _, base := startEIO(t, eio.Options{MaxConnectionsPerIP: 1, PingInterval: time.Hour,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		xff := func(v string) map[string]string { return map[string]string{"X-Forwarded-For": v} }
		pollOpen(t, "127.0.0.1", base, xff("198.51.100.7"))
		code, body, h := doFrom(t, "127.0.0.1", "GET", base+"?EIO=4&transport=polling", "", xff("203.0.113.9, 198.51.100.7"))
		refused(t, "same client, spoofed entry on the left", code, body, h, 429, "Too many connections from this address")
		pollOpen(t, "127.0.0.1", base, xff("198.51.100.8"))
		pollOpen(t, "127.0.0.1", base, xff("198.51.100.9, 127.0.0.5")) // a second trusted hop
		code, body, h = doFrom(t, "127.0.0.2", "GET", base+"?EIO=4&transport=polling", "", xff("198.51.100.9"))
		refused(t, "same client through another proxy", code, body, h, 429, "Too many connections from this address")
	})
	t.Run("untrusted", func(t *testing.T) {
		_, _, base := startEIO(t, eio.Options{MaxConnectionsPerIP: 1, PingInterval: time.Hour})
		pollOpen(t, "127.0.0.1", base, map[string]string{"X-Forwarded-For": "198.51.100.7"})
		code, body, h := doFrom(t, "127.0.0.1", "GET", base+"?EIO=4&transport=polling", "", map[string]string{"X-Forwarded-For": "198.51.100.8"})
		refused(t, "X-Forwarded-For without a trusted proxy", code, body, h, 429, "Too many connections from this address")
	})
}

// TestLimitOptionsValidated: nonsense limits are refused by New.
func TestLimitOptionsValidated(t *testing.T) {
	h := func(*eio.Session) eio.Handler { return nil }
	for _, o := range []eio.Options{
		{MaxConnections: -1, OnSession: h},
		{MaxConnectionsPerIP: -1, OnSession: h},
		{HandshakeRate: -1, OnSession: h},
	} {
		if srv, err := eio.New(o); err == nil {
			_ = srv.Shutdown(context.Background())
			t.Errorf("New(%+v) accepted", o)
		}
	}
}
