package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestAckArgs(t *testing.T) {
	cases := []struct {
		body string
		want []string
		err  error
	}{
		{"", nil, nil},
		{"  \n", nil, nil},
		{`[1,"two",{"x":3}]`, []string{`1`, `"two"`, `{"x":3}`}, nil},
		{`[]`, []string{}, nil},
		{`{"ok":true}`, []string{`{"ok":true}`}, nil},
		{`"text"`, []string{`"text"`}, nil},
		{`null`, []string{`null`}, nil},
		{`hello`, nil, errHookBadAnswer},
		{`[1,`, nil, errHookBadAnswer},
	}
	for _, tc := range cases {
		got, err := ackArgs([]byte(tc.body))
		if !errors.Is(err, tc.err) || len(got) != len(tc.want) {
			t.Errorf("ackArgs(%q) = %q, %v; want %q, %v", tc.body, got, err, tc.want, tc.err)
			continue
		}
		for i := range got {
			if string(got[i]) != tc.want[i] {
				t.Errorf("ackArgs(%q)[%d] = %s, want %s", tc.body, i, got[i], tc.want[i])
			}
		}
	}
}

func TestPublicError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: %w", errHookUnreachable, errors.New("dial tcp 10.0.0.1:80: refused")), "backend unreachable"},
		{errHookTimeout, "backend timed out"},
		{&hookStatusError{502}, "backend answered 502"},
		{errors.New("json: unsupported value"), "backend call failed"},
	} {
		if got := publicError(tc.err).Error(); got != tc.want {
			t.Errorf("publicError(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func hookConfig(url string) config {
	return config{
		webhookURL: url, webhookEvents: []string{"*"}, webhookTimeout: 2 * time.Second,
		webhookConcurrency: 1, webhookQueue: 1, webhookRetries: 2,
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestWebhookConcurrencyBound: with one slot and room for one waiting
// call, a third concurrent call fails at once as busy.
func TestWebhookConcurrencyBound(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 4)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
	}))
	defer backend.Close()
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce() // before backend.Close, even when the test fails
	m := newMetrics()
	cfg := hookConfig(backend.URL)
	cfg.webhookTimeout = time.Minute // the waiting call must not time out on a slow machine
	w := newWebhooks(cfg, m, slog.New(slog.DiscardHandler))
	defer w.Close(context.Background())

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = w.callEvent(hookPayload{Event: "e", SID: fmt.Sprint(i)})
		}()
	}
	<-arrived // one call in flight
	deadline := time.Now().Add(5 * time.Second)
	for w.waiting.Load() != 1 { // the other call waits for the slot
		if time.Now().After(deadline) {
			t.Fatalf("waiting = %d", w.waiting.Load())
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := w.callEvent(hookPayload{Event: "e", SID: "third"}); !errors.Is(err, errHookBusy) {
		t.Errorf("third call: %v, want busy", err)
	}
	releaseOnce()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if v := counterValue(t, m.webhookRequests.WithLabelValues("event", "busy")); v != 1 {
		t.Errorf("busy = %v", v)
	}
	if v := counterValue(t, m.webhookRequests.WithLabelValues("event", "ok")); v != 2 {
		t.Errorf("ok = %v", v)
	}
}

// TestWebhookNotifyRetries: a disconnect notification answered 503 is
// posted again; Close waits for it; later notifications are dropped.
func TestWebhookNotifyRetries(t *testing.T) {
	var calls atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer backend.Close()
	m := newMetrics()
	w := newWebhooks(hookConfig(backend.URL), m, slog.New(slog.DiscardHandler))
	w.notify(hookPayload{Event: "disconnect", SID: "s"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("backend called %d times, want 2", n)
	}
	if v := counterValue(t, m.webhookRetries); v != 1 {
		t.Errorf("retries = %v", v)
	}
	w.notify(hookPayload{Event: "disconnect", SID: "late"})
	if v := counterValue(t, m.webhookRequests.WithLabelValues("disconnect", "dropped")); v != 1 {
		t.Errorf("dropped = %v", v)
	}
}

// TestWebhookCloseGivesUp: Close returns when its context ends, abandoning
// retries against a failing backend.
func TestWebhookCloseGivesUp(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer backend.Close()
	cfg := hookConfig(backend.URL)
	cfg.webhookRetries = 100
	w := newWebhooks(cfg, newMetrics(), slog.New(slog.DiscardHandler))
	w.notify(hookPayload{Event: "disconnect", SID: "s"})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := w.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %s", d)
	}
}
