package redisadapter

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
)

// The subscriber: one goroutine owns the subscription connection. A
// session subscribes every route and dispatches what arrives; when the
// connection fails the Bus is down until the next session has a
// subscription confirmed.

// Reconnection back-off.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = time.Second
)

// subscriber runs subscription sessions until Close, backing off between
// failed ones.
func (b *Bus) subscriber() {
	defer b.wg.Done()
	backoff := minBackoff
	for {
		wasUp, err := b.session()
		if err == nil || b.closed.Load() {
			return
		}
		b.setDown(err)
		if wasUp {
			backoff = minBackoff
		}
		t := time.NewTimer(backoff)
		select {
		case <-b.stopSub:
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// session opens a subscription connection, subscribes every route and
// dispatches messages until the connection fails (the error is returned)
// or the Bus closes (nil).
func (b *Bus) session() (wasUp bool, err error) {
	ps := b.client.Subscribe(b.ctx)
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		_ = ps.Close()
		return false, nil
	}
	b.ps = ps
	clear(b.confirmed)
	var chans, pats []string
	for name, r := range b.routes {
		if r.kind == routeBroadcast {
			pats = append(pats, name)
		} else {
			chans = append(chans, name)
		}
	}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		if b.ps == ps {
			b.ps = nil
		}
		b.mu.Unlock()
		_ = ps.Close()
	}()

	if len(chans) > 0 {
		if err := ps.Subscribe(b.ctx, chans...); err != nil {
			return false, err
		}
	}
	if len(pats) > 0 {
		if err := ps.PSubscribe(b.ctx, pats...); err != nil {
			return false, err
		}
	}
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(b.ctx, b.opts.HealthCheckInterval)
		if b.closed.Load() {
			return wasUp, nil
		}
		if err != nil {
			if !isTimeout(err) {
				return wasUp, err
			}
			if pinged {
				return wasUp, fmt.Errorf("redisadapter: no answer to a ping within %v", b.opts.HealthCheckInterval)
			}
			if err := ps.Ping(b.ctx); err != nil {
				return wasUp, err
			}
			pinged = true
			continue
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if (m.Kind == "subscribe" || m.Kind == "psubscribe") && b.confirm(m.Channel) {
				wasUp = true
			}
		case *redis.Message:
			b.dispatch(m)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// confirm records a subscription confirmed by Redis; the first one after a
// failure brings the Bus up.
func (b *Bus) confirm(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.routes[name]; !ok {
		return false // unsubscribed meanwhile
	}
	b.confirmed[name] = true
	if !b.up {
		b.up = true
		b.down.Store(false)
		b.lastErr = nil
		if b.everUp {
			b.stats.reconnects.Add(1)
			b.log.Info("redisadapter: reconnected", "node", b.uid)
		}
		b.everUp = true
	}
	b.notifyLocked()
	return true
}

// setDown records a failed session: requests waiting for answers fail,
// publishes are dropped until the next session is up.
func (b *Bus) setDown(err error) {
	b.mu.Lock()
	wasUp := b.up
	first := !b.everUp && b.lastErr == nil
	b.up = false
	b.down.Store(true)
	b.lastErr = err
	clear(b.confirmed)
	adapters := b.adaptersLocked()
	b.notifyLocked()
	b.mu.Unlock()
	if wasUp || first {
		b.log.Warn("redisadapter: redis unavailable, cross-node traffic stopped", "node", b.uid, "err", err)
	}
	for _, a := range adapters {
		a.failPending(unavailable(err))
	}
}

// dispatch hands a message to the adapter its channel belongs to. It runs
// on the subscriber goroutine: handlers must not block.
func (b *Bus) dispatch(m *redis.Message) {
	b.stats.received.Add(1)
	key := m.Channel
	if m.Pattern != "" {
		key = m.Pattern
	}
	b.mu.RLock()
	r, ok := b.routes[key]
	b.mu.RUnlock()
	if !ok {
		return
	}
	switch r.kind {
	case routeBroadcast:
		r.a.onBroadcast(m.Channel, m.Payload)
	case routeRequest:
		r.a.onRequest(m.Payload)
	case routeResponse:
		r.a.onResponse(m.Payload)
	}
}
