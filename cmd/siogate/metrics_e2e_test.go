package main

import (
	"strings"
	"testing"
	"time"
)

// TestMetrics: /metrics parses with Prometheus' own parser, has every
// documented family, carries only low-cardinality labels, and its gauges
// and counters follow the traffic.
func TestMetrics(t *testing.T) {
	t.Parallel()
	p := startGateway(t, "", "-api-key", testKey)
	before := p.metrics(t)
	for _, d := range statDefs {
		if before[d.name] == nil {
			t.Errorf("family %s is missing", d.name)
		}
	}
	for _, name := range []string{"siogate_handshake_rejections_total", "siogate_handler_duration_seconds",
		"siogate_webhook_requests_total", "siogate_webhook_duration_seconds", "siogate_webhook_retries_total",
		"go_goroutines", "process_resident_memory_bytes"} {
		if before[name] == nil {
			t.Errorf("family %s is missing", name)
		}
	}

	pp := startPuppet(t)
	if ev := pp.connect("ws", p.base, "", nil); ev.Type != "connect" {
		t.Fatalf("connect: %+v", ev)
	}
	if ev := pp.connect("poll", p.base, "", map[string]any{"transports": []string{"polling"}}); ev.Type != "connect" {
		t.Fatalf("connect: %+v", ev)
	}
	for range 3 {
		pp.do(map[string]any{"op": "emit", "id": "ws", "event": "chat", "args": []any{"hi"}})
	}
	if r := p.call(t, "POST", "/api/v1/emit", testKey, map[string]any{"all": true, "event": "news"}); r.status != 200 {
		t.Fatalf("emit: %d %s", r.status, r.raw)
	}
	pp.next("ws", "event", 5*time.Second)
	pp.next("poll", "event", 5*time.Second)
	pp.do(map[string]any{"op": "close", "id": "poll"})

	var after = p.metrics(t)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		after = p.metrics(t)
		if metricValue(t, after, "siogate_events_received_total", nil) >= 3 &&
			metricValue(t, after, "siogate_disconnects_total", map[string]string{"reason": "client_namespace_disconnect"}) == 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	delta := func(name string, labels map[string]string) float64 {
		return metricValue(t, after, name, labels) - metricValue(t, before, name, labels)
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"siogate_events_received_total", nil, 3},
		{"siogate_broadcasts_total", nil, 1},
		{"siogate_engineio_sessions_opened_total", nil, 2},
		{"siogate_disconnects_total", map[string]string{"reason": "client_namespace_disconnect"}, 1},
		{"siogate_api_requests_total", map[string]string{"route": "POST /api/v1/emit", "code": "200"}, 1},
		{"siogate_api_request_duration_seconds", map[string]string{"route": "POST /api/v1/emit"}, 1},
		{"siogate_handler_duration_seconds", map[string]string{"kind": "connect"}, 2},
		{"siogate_sockets", map[string]string{"namespace": "/"}, 1},
		{"siogate_connections", map[string]string{"transport": "websocket"}, 1},
	} {
		if d := delta(c.name, c.labels); d != c.want {
			t.Errorf("%s%v moved by %v, want %v", c.name, c.labels, d, c.want)
		}
	}
	// The polling client (engine.io-client from npm) is answered on the
	// reactor.
	for _, name := range []string{"siogate_bytes_received_total", "siogate_bytes_sent_total", "siogate_tcp_accepted_total", "siogate_broadcast_deliveries_total", "siogate_packets_sent_total", "siogate_reactor_direct_requests_total"} {
		if d := delta(name, nil); d <= 0 {
			t.Errorf("%s did not grow", name)
		}
	}

	// Low cardinality: no siogate metric is labelled by socket, room or user.
	allowed := map[string]bool{"namespace": true, "transport": true, "reason": true, "kind": true, "outcome": true, "route": true, "code": true, "limit": true}
	for name, mf := range after {
		if !strings.HasPrefix(name, "siogate_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if !allowed[lp.GetName()] {
					t.Errorf("%s has label %q", name, lp.GetName())
				}
			}
		}
	}
}
