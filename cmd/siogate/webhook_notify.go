package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"
)

// notify queues a disconnect notification; a full queue drops it (counted).
func (w *webhooks) notify(p hookPayload) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.m.webhook("disconnect", "dropped")
		return
	}
	select {
	case w.notes <- p:
	default:
		w.m.webhook("disconnect", "dropped")
	}
}

func (w *webhooks) notifier() {
	defer w.wg.Done()
	for p := range w.notes {
		w.deliver(p)
	}
}

// deliver posts a notification, retrying timeouts, unreachable backends,
// 429 and 5xx answers with jittered exponential backoff: a disconnect
// notification is idempotent, so posting it twice is harmless.
func (w *webhooks) deliver(p hookPayload) {
	for attempt := 0; ; attempt++ {
		if w.base.Err() != nil {
			w.m.webhook("disconnect", "dropped")
			return
		}
		status, _, err := w.callCtx(w.base, p, false)
		if err == nil && (status < 200 || status >= 300) {
			err = &hookStatusError{status}
		}
		w.m.webhook("disconnect", outcome(err))
		var se *hookStatusError
		retry := errors.Is(err, errHookTimeout) || errors.Is(err, errHookUnreachable) ||
			(errors.As(err, &se) && (se.status >= 500 || se.status == http.StatusTooManyRequests))
		if !retry || attempt >= w.retries {
			if err != nil {
				w.logger.Warn("disconnect webhook failed", "sid", p.SID, "nsp", p.Nsp, "err", err, "attempts", attempt+1)
			}
			return
		}
		backoff := time.Duration(float64(200*time.Millisecond<<attempt) * (0.5 + rand.Float64()))
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-w.base.Done():
			t.Stop()
		}
		w.m.webhookRetries.Inc()
	}
}

// Close stops taking notifications and waits until the queued ones are
// posted or ctx ends (then pending retries are abandoned and the rest is
// dropped, counted).
func (w *webhooks) Close(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	close(w.notes)
	w.mu.Unlock()
	done := make(chan struct{})
	go func() {
		w.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		w.cancel()
		<-done
	}
	w.cancel()
	w.client.CloseIdleConnections()
	return err
}
