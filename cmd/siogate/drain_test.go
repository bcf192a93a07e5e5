package main

import (
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/siogate/siogate/hub/siotest"
)

// TestDrain: on SIGTERM the gateway turns unready, refuses new
// handshakes, closes its connections (WebSockets with 1001) so that
// clients see a transport close, not a server DISCONNECT, and exits in
// time; the clients then reconnect by themselves to a fresh process on the
// same port.
func TestDrain(t *testing.T) {
	t.Parallel()
	addr := siotest.FreeAddr(t)
	flags := []string{"-jwt-secret", testSecret, "-api-key", testKey, "-drain-spread", "1s", "-shutdown-timeout", "5s"}
	old := startGateway(t, addr, flags...)
	pp := startPuppet(t)
	reconnect := map[string]any{"reconnection": true}
	polling := map[string]any{"reconnection": true, "transports": []string{"polling"}}
	first := map[string]clientEvent{
		"w1": pp.connect("w1", old.base, userToken(t, testSecret, "alice"), reconnect),
		"w2": pp.connect("w2", old.base, userToken(t, testSecret, "alice"), reconnect),
		"p1": pp.connect("p1", old.base, userToken(t, testSecret, "alice"), polling),
	}
	for id, ev := range first {
		if ev.Type != "connect" {
			t.Fatalf("%s: %+v", id, ev)
		}
	}

	// Watch /readyz and try a new handshake while the gateway drains.
	var (
		mu                       sync.Mutex
		sawUnready               bool
		handshakeDuringDrain     int
		stopWatch, watcherExited = make(chan struct{}), make(chan struct{})
	)
	go func() {
		defer close(watcherExited)
		client := &http.Client{Timeout: time.Second}
		for {
			select {
			case <-stopWatch:
				return
			default:
			}
			resp, err := client.Get(old.base + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable {
					mu.Lock()
					if !sawUnready {
						sawUnready = true
						if hs, err := client.Get(old.base + "/socket.io/?EIO=4&transport=polling"); err == nil {
							hs.Body.Close()
							handshakeDuringDrain = hs.StatusCode
						}
					}
					mu.Unlock()
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()

	start := time.Now()
	old.signal(syscall.SIGTERM)
	err, exited := old.wait(7 * time.Second)
	took := time.Since(start)
	close(stopWatch)
	<-watcherExited
	if !exited {
		t.Fatalf("not exited %s after SIGTERM with -shutdown-timeout 5s", took)
	}
	if err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	if took > 6*time.Second {
		t.Errorf("exit took %s, over -shutdown-timeout 5s", took)
	}
	mu.Lock()
	if !sawUnready {
		t.Error("/readyz never answered 503 while draining")
	}
	if handshakeDuringDrain != http.StatusServiceUnavailable {
		t.Errorf("new handshake while draining: %d, want 503", handshakeDuringDrain)
	}
	mu.Unlock()
	if out := old.out.String(); !strings.Contains(out, `msg="siogate draining"`) || !strings.Contains(out, `msg="closing connections" count=3`) {
		t.Errorf("drain not logged:\n%s", out)
	}

	for id := range first {
		ev := pp.next(id, "disconnect", 5*time.Second)
		if ev.Reason != "transport close" {
			t.Errorf("%s disconnected with %q, want transport close (clients reconnect after it)", id, ev.Reason)
		}
		if strings.HasPrefix(id, "w") && ev.Code != 1001 {
			t.Errorf("%s: WebSocket close code %d, want 1001", id, ev.Code)
		}
	}

	fresh := startGateway(t, addr, flags...)
	for id, ev := range first {
		again := pp.next(id, "connect", 10*time.Second)
		if again.SID == ev.SID {
			t.Errorf("%s reconnected with its old sid", id)
		}
	}
	r := fresh.call(t, "GET", "/api/v1/users/alice/sockets", testKey, nil)
	if socks, _ := r.body["sockets"].([]any); r.status != 200 || len(socks) != 3 {
		t.Errorf("alice's sockets on the fresh process: %d %s", r.status, r.raw)
	}
}
