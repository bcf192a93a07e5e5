package main

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAPISlowBody: an API request whose body stops arriving gets 408
// body_timeout after -api-body-timeout and its connection closed, while
// other API requests are served meanwhile.
func TestAPISlowBody(t *testing.T) {
	t.Parallel()
	p := startGateway(t, "", "-api-key", testKey, "-api-body-timeout", "300ms")
	conn, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	// 100 bytes announced, 10 sent.
	if _, err := conn.Write([]byte("POST /api/v1/emit HTTP/1.1\r\nHost: " + p.addr + "\r\nAuthorization: Bearer " + testKey +
		"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"event\":\"")); err != nil {
		t.Fatal(err)
	}
	if r := p.call(t, http.MethodGet, "/api/v1/stats", testKey, nil); r.status != http.StatusOK {
		t.Fatalf("stats while a body is stalled: %d %s", r.status, r.raw)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to the stalled request: %v", err)
	}
	defer resp.Body.Close()
	waited := time.Since(start)
	var e struct{ Error, Message string }
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("error body: %v", err)
	}
	if resp.StatusCode != http.StatusRequestTimeout || e.Error != "body_timeout" || !strings.Contains(e.Message, "-api-body-timeout") {
		t.Fatalf("stalled body: %d %+v, want 408 body_timeout", resp.StatusCode, e)
	}
	if waited < 250*time.Millisecond || waited > 3*time.Second {
		t.Fatalf("answered after %v, want about 300 ms", waited)
	}
	if n, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatalf("connection still open after the answer (%d more bytes)", n)
	}
}
