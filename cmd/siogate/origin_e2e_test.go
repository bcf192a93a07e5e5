package main

import (
	"bufio"
	"net"
	"net/http"
	"testing"
	"time"
)

// with a list. Clients that send no Origin (not browsers) always pass.
func TestOriginPolicy(t *testing.T) {
	t.Parallel()
	p := startGateway(t, "")
	listed := startGateway(t, "", "-allowed-origins", "https://app.example.com")
	cases := []struct {
		gw     *proc
		origin string
		want   int
	}{
		{p, "", 200},
		{p, "http://" + p.addr, 200},
		{p, "https://evil.example", 403},
		{p, "http://" + p.addr + ".evil.example", 403},
		{listed, "https://app.example.com", 200},
		{listed, "http://" + listed.addr, 403},
		{listed, "https://evil.example", 403},
	}
	for _, tc := range cases {
		// Polling handshake.
		req, _ := http.NewRequest("GET", tc.gw.base+"/socket.io/?EIO=4&transport=polling", nil)
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("polling from %q: %d, want %d", tc.origin, resp.StatusCode, tc.want)
		}
		// WebSocket handshake.
		if got := wsHandshake(t, tc.gw.addr, tc.origin); got != map[int]int{200: 101, 403: 403}[tc.want] {
			t.Errorf("websocket from %q: %d, want %d", tc.origin, got, map[int]int{200: 101, 403: 403}[tc.want])
		}
	}
	mfs := p.metrics(t)
	if v := metricValue(t, mfs, "siogate_handshake_rejections_total", map[string]string{"reason": "origin"}); v != 4 {
		t.Errorf("origin rejections = %v, want 4", v)
	}
}

// returns the response status.
func wsHandshake(t *testing.T, addr, origin string) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	req := "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	if origin != "" {
		req += "Origin: " + origin + "\r\n"
	}
	if _, err := conn.Write([]byte(req + "\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("websocket handshake: %v", err)
	}
	return resp.StatusCode
}
