package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siogate/siogate/hub/siotest"
)

// testBackend is a webhook receiver that records what it got.
type testBackend struct {
	*httptest.Server
	mu   sync.Mutex
	got  []hookPayload
	auth []string
	wake chan struct{}
}

func newTestBackend(t *testing.T, answer func(w http.ResponseWriter, p hookPayload)) *testBackend {
	b := &testBackend{wake: make(chan struct{})}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p hookPayload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil || r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad webhook", 400)
			return
		}
		b.mu.Lock()
		b.got = append(b.got, p)
		b.auth = append(b.auth, r.Header.Get("Authorization"))
		close(b.wake)
		b.wake = make(chan struct{})
		b.mu.Unlock()
		answer(w, p)
	}))
	t.Cleanup(b.Close)
	return b
}

// wait returns the first recorded payload of event for sid.
func (b *testBackend) wait(t *testing.T, event, sid string) hookPayload {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		b.mu.Lock()
		for _, p := range b.got {
			if p.Event == event && p.SID == sid {
				b.mu.Unlock()
				return p
			}
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("backend got no %q for %s", event, sid)
		}
	}
}

func (b *testBackend) events() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, p := range b.got {
		out = append(out, p.Event)
	}
	return out
}

// TestWebhookRoundTrip: connect, events and disconnect reach the backend
// as {event, nsp, sid, user, args}; the backend's answer is the client's
// ack; a 4xx answer to connect refuses the socket with its message; slow,
// failing and non-JSON answers give the client a clear ack error and are
// counted, while the API still reaches the waiting client.
func TestWebhookRoundTrip(t *testing.T) {
	t.Parallel()
	backend := newTestBackend(t, func(w http.ResponseWriter, p hookPayload) {
		switch p.Event {
		case "connect":
			if p.User != nil && *p.User == "mallory" {
				w.WriteHeader(http.StatusForbidden)
				_, _ = w.Write([]byte(`{"message":"banned","data":{"why":"test"}}`))
			}
		case "echo":
			_, _ = w.Write([]byte(`[{"echo":` + string(p.Args[0]) + `},2]`))
		case "single":
			_, _ = w.Write([]byte(`{"ok":true}`))
		case "slow":
			time.Sleep(1500 * time.Millisecond)
		case "boom":
			http.Error(w, "kaput", http.StatusInternalServerError)
		case "notjson":
			_, _ = w.Write([]byte("hello"))
		}
	})
	p := startGateway(t, "", "-jwt-secret", testSecret, "-api-key", testKey,
		"-webhook-url", backend.URL+"/hooks", "-webhook-secret", "hook-secret", "-webhook-timeout", "500ms",
		"-webhook-events", "connect,disconnect,echo,single,slow,boom,notjson")
	pp := startPuppet(t)

	a := pp.connect("a", p.base, userToken(t, testSecret, "alice"), map[string]any{"auth": map[string]any{"extra": 1}})
	if a.Type != "connect" {
		t.Fatalf("alice: %+v", a)
	}
	hook := backend.wait(t, "connect", a.SID)
	if hook.Nsp != "/" || hook.User == nil || *hook.User != "alice" || len(hook.Args) != 1 || !jsonEq(hook.Args[0], []byte(`{"extra":1}`)) {
		t.Errorf("connect payload: %+v (the token must not be forwarded)", hook)
	}
	if ev := pp.connect("m", p.base, userToken(t, testSecret, "mallory"), nil); ev.Type != "connect_error" || ev.Message != "banned" || !jsonEq(ev.Data, []byte(`{"why":"test"}`)) {
		t.Errorf("rejected connect: %+v", ev)
	}

	emit := func(ref int, event string, args ...any) clientEvent {
		t.Helper()
		pp.do(map[string]any{"op": "emit", "id": "a", "ref": ref, "event": event, "args": args, "ack": true, "timeout": 5000})
		ev := pp.next("a", "ack", 6*time.Second)
		if ev.Ref != ref {
			t.Fatalf("ack ref %d, want %d", ev.Ref, ref)
		}
		return ev
	}
	ackIs := func(name string, ev clientEvent, want ...string) {
		t.Helper()
		if ev.Err != "" || len(ev.Args) != len(want) {
			t.Errorf("%s: ack %+v, want %v", name, ev, want)
			return
		}
		for i := range want {
			if !jsonEq(ev.Args[i], []byte(want[i])) {
				t.Errorf("%s: ack arg %d = %s, want %s", name, i, ev.Args[i], want[i])
			}
		}
	}
	ackIs("echo", emit(1, "echo", map[string]int{"x": 1}), `{"echo":{"x":1}}`, `2`)
	if hook := backend.wait(t, "echo", a.SID); len(hook.Args) != 1 || !jsonEq(hook.Args[0], []byte(`{"x":1}`)) || *hook.User != "alice" {
		t.Errorf("event payload: %+v", hook)
	}
	ackIs("single", emit(2, "single"), `{"ok":true}`)

	// A slow backend: the client's ack waits (until -webhook-timeout), the
	// API still reaches the client meanwhile.
	pp.do(map[string]any{"op": "emit", "id": "a", "ref": 3, "event": "slow", "ack": true, "timeout": 5000})
	backend.wait(t, "slow", a.SID)
	if r := p.call(t, "POST", "/api/v1/emit", testKey, map[string]any{"users": []string{"alice"}, "event": "during-slow"}); r.status != 200 {
		t.Fatalf("emit: %d %s", r.status, r.raw)
	}
	if ev := pp.next("a", "event", 2*time.Second); ev.Event != "during-slow" {
		t.Errorf("got %+v, want during-slow", ev)
	}
	ackIs("slow", pp.next("a", "ack", 5*time.Second), `{"error":"backend timed out"}`)
	ackIs("boom", emit(4, "boom"), `{"error":"backend answered 500"}`)
	ackIs("notjson", emit(5, "notjson"), `{"error":"backend answer is not JSON"}`)

	// Events outside -webhook-events are not posted.
	pp.do(map[string]any{"op": "emit", "id": "a", "ref": 6, "event": "other", "ack": true, "timeout": 300})
	if ev := pp.next("a", "ack", 2*time.Second); ev.Err == "" {
		t.Errorf("unposted event acked: %+v", ev)
	}

	pp.do(map[string]any{"op": "close", "id": "a"})
	if hook := backend.wait(t, "disconnect", a.SID); len(hook.Args) != 1 || !jsonEq(hook.Args[0], []byte(`"client namespace disconnect"`)) {
		t.Errorf("disconnect payload: %+v", hook)
	}
	for _, e := range backend.events() {
		if e == "other" {
			t.Errorf("event %q was posted", e)
		}
	}
	backend.mu.Lock()
	for _, a := range backend.auth {
		if a != "Bearer hook-secret" {
			t.Errorf("webhook Authorization %q", a)
		}
	}
	backend.mu.Unlock()

	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"siogate_webhook_requests_total", map[string]string{"kind": "connect", "outcome": "ok"}, 1},
		{"siogate_webhook_requests_total", map[string]string{"kind": "connect", "outcome": "rejected"}, 1},
		{"siogate_webhook_requests_total", map[string]string{"kind": "event", "outcome": "ok"}, 2},
		{"siogate_webhook_requests_total", map[string]string{"kind": "event", "outcome": "timeout"}, 1},
		{"siogate_webhook_requests_total", map[string]string{"kind": "event", "outcome": "status_5xx"}, 1},
		{"siogate_webhook_requests_total", map[string]string{"kind": "event", "outcome": "bad_answer"}, 1},
		{"siogate_webhook_requests_total", map[string]string{"kind": "disconnect", "outcome": "ok"}, 1},
		{"siogate_handshake_rejections_total", map[string]string{"reason": "webhook_rejected"}, 1},
		{"siogate_webhook_duration_seconds", map[string]string{"kind": "event"}, 5},
	} {
		if v := p.waitMetric(t, c.name, c.labels, c.want); v != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, v, c.want)
		}
	}
}

// TestWebhookBackendDown: with the backend unreachable, connects are
// refused with a clear message (or accepted with -webhook-fail-open),
// event acks carry the error, disconnect notifications are retried, all
// counted; the API and the sockets keep working.
func TestWebhookBackendDown(t *testing.T) {
	t.Parallel()
	down := "http://" + siotest.FreeAddr(t) + "/hooks"
	closed := startGateway(t, "", "-webhook-url", down)
	open := startGateway(t, "", "-webhook-url", down, "-webhook-fail-open", "-webhook-retries", "1", "-api-key", testKey)
	pp := startPuppet(t)

	ev := pp.connect("refused", closed.base, "", nil)
	if ev.Type != "connect_error" || ev.Message != "connection refused: backend unavailable" || !jsonEq(ev.Data, []byte(`{"code":"webhook_error"}`)) {
		t.Errorf("fail-closed connect: %+v", ev)
	}
	mfs := closed.metrics(t)
	if v := metricValue(t, mfs, "siogate_webhook_requests_total", map[string]string{"kind": "connect", "outcome": "unreachable"}); v != 1 {
		t.Errorf("connect unreachable = %v, want 1", v)
	}
	if v := metricValue(t, mfs, "siogate_handshake_rejections_total", map[string]string{"reason": "webhook_error"}); v != 1 {
		t.Errorf("webhook_error rejections = %v, want 1", v)
	}

	a := pp.connect("a", open.base, "", nil)
	if a.Type != "connect" {
		t.Fatalf("fail-open connect: %+v", a)
	}
	pp.do(map[string]any{"op": "emit", "id": "a", "ref": 1, "event": "hello", "ack": true})
	if ev := pp.next("a", "ack", 5*time.Second); len(ev.Args) != 1 || !jsonEq(ev.Args[0], []byte(`{"error":"backend unreachable"}`)) {
		t.Errorf("ack with the backend down: %+v", ev)
	}
	if r := open.call(t, "POST", "/api/v1/emit", testKey, map[string]any{"sids": []string{a.SID}, "event": "still-works"}); r.status != 200 {
		t.Fatalf("emit: %d %s", r.status, r.raw)
	}
	if ev := pp.next("a", "event", 5*time.Second); ev.Event != "still-works" {
		t.Errorf("got %+v", ev)
	}
	pp.do(map[string]any{"op": "close", "id": "a"})
	deadline := time.Now().Add(5 * time.Second)
	for {
		mfs := open.metrics(t)
		retries := metricValue(t, mfs, "siogate_webhook_retries_total", nil)
		failed := metricValue(t, mfs, "siogate_webhook_requests_total", map[string]string{"kind": "disconnect", "outcome": "unreachable"})
		if retries == 1 && failed == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("disconnect notification: %v retries, %v failures; want 1 and 2", retries, failed)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(open.out.String(), "disconnect webhook failed") {
		t.Errorf("no log line for the failed notification")
	}
}
