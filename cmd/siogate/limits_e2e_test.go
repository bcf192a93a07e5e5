package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestLimitsThroughGateway: the gateway's limit flags reach the hub: a
// second connection from one address is refused with 429 and the Engine.IO
// error JSON while another address connects, an official client over its
// event rate gets the error ack and stays connected, and both hits show in
// siogate_limit_hits_total.
func TestLimitsThroughGateway(t *testing.T) {
	t.Parallel()
	p := startGateway(t, "", "-max-connections-per-ip", "1", "-event-rate", "0.01", "-event-burst", "1")
	pp := startPuppet(t)
	if ev := pp.connect("a", p.base, "", nil); ev.Type != "connect" {
		t.Fatalf("connect: %+v", ev)
	}

	r := p.call(t, "GET", "/socket.io/?EIO=4&transport=polling", "", nil)
	if r.status != 429 || string(r.raw) != `{"code":4,"message":"Too many connections from this address"}` {
		t.Fatalf("second connection from 127.0.0.1: %d %s", r.status, r.raw)
	}
	other := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext,
	}}
	resp, err := other.Get(p.base + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("connection from 127.0.0.2: %d %s", resp.StatusCode, body)
	}

	pp.do(map[string]any{"op": "emit", "id": "a", "ref": 1, "event": "chat", "args": []any{"one"}, "ack": true, "timeout": 60000})
	pp.do(map[string]any{"op": "emit", "id": "a", "ref": 2, "event": "chat", "args": []any{"two"}, "ack": true, "timeout": 60000})
	ack := pp.next("a", "ack", 10*time.Second)
	if ack.Ref != 2 || ack.Err != "" || len(ack.Args) != 1 || !jsonEq(ack.Args[0], json.RawMessage(`{"error":"rate limited"}`)) {
		t.Fatalf("ack of the event over the rate: %+v", ack)
	}
	if v := p.waitMetric(t, "siogate_limit_hits_total", map[string]string{"limit": "connections_per_ip"}, 1); v != 1 {
		t.Errorf("siogate_limit_hits_total{limit=connections_per_ip} = %v, want 1", v)
	}
	if v := p.waitMetric(t, "siogate_limit_hits_total", map[string]string{"limit": "event_rate"}, 1); v != 1 {
		t.Errorf("siogate_limit_hits_total{limit=event_rate} = %v, want 1", v)
	}
	if v := p.waitMetric(t, "siogate_sockets", map[string]string{"namespace": "/"}, 1); v != 1 {
		t.Errorf("siogate_sockets{namespace=/} = %v: the rate-limited client must stay", v)
	}
}
