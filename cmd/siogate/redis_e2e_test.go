package main

import (
	"testing"
	"time"

	"github.com/siogate/siogate/hub/siotest"
)

// requireRedis skips (locally) or fails (CI) without Redis on 127.0.0.1:6379.
func requireRedis(t *testing.T) {
	t.Helper()
	siotest.RequireRedis(t)
}

// TestTwoGatewaysOnRedis: two gateway processes share one Redis with
// -redis-url; an API emit on one reaches a user connected to the other,
// and the other's user room too.
func TestTwoGatewaysOnRedis(t *testing.T) {
	requireRedis(t)
	t.Parallel()
	// A namespace of its own keeps this test's traffic apart from other
	// users of the same Redis.
	flags := []string{"-jwt-secret", testSecret, "-api-key", testKey, "-redis-url", "redis://127.0.0.1:6379", "-namespaces", "/e2e-redis"}
	g1 := startGateway(t, "", flags...)
	g2 := startGateway(t, "", flags...)
	pp := startPuppet(t)
	a := pp.connect("a", g1.base, userToken(t, testSecret, "ann"), map[string]any{"nsp": "/e2e-redis"})
	b := pp.connect("b", g2.base, userToken(t, testSecret, "ben"), map[string]any{"nsp": "/e2e-redis", "transports": []string{"polling"}})
	for _, ev := range []clientEvent{a, b} {
		if ev.Type != "connect" {
			t.Fatalf("socket %s: %s %s", ev.ID, ev.Type, ev.Message)
		}
	}
	// Emit through gateway 1 to ben, who is on gateway 2 (user room).
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := g1.call(t, "POST", "/api/v1/emit", testKey, map[string]any{"nsp": "/e2e-redis", "users": []string{"ben"}, "event": "cross", "args": []any{"hi"}})
		if r.status != 200 {
			t.Fatalf("emit: %d %s", r.status, r.raw)
		}
		if ev, ok := pp.take("b", time.Second, "event"); ok {
			// A second argument: the recovery offset (-recovery is on by default).
			if ev.Event != "cross" || len(ev.Args) != 2 || !jsonEq(ev.Args[0], []byte(`"hi"`)) {
				t.Fatalf("ben got %+v", ev)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a broadcast on gateway 1 never reached gateway 2")
		}
	}
	// And the other way, to both users except ben: only ann, across nodes.
	r := g2.call(t, "POST", "/api/v1/emit", testKey, map[string]any{"nsp": "/e2e-redis", "users": []string{"ann", "ben"}, "except_users": []string{"ben"}, "event": "back"})
	if r.status != 200 {
		t.Fatalf("emit back: %d %s", r.status, r.raw)
	}
	if ev := pp.next("a", "event", 5*time.Second); ev.Event != "back" {
		t.Fatalf("ann got %+v", ev)
	}
	pp.none("b", "event", 300*time.Millisecond)
}
