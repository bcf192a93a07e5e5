package hub

import "sync"

// ackTable holds a socket's pending acknowledgement callbacks by ack id.
type ackTable struct {
	mu sync.Mutex
	m  map[int64]func(*Message)
}

// register records the callback of id unless limit (>= 0) callbacks are
// pending already; it reports whether it did.
func (t *ackTable) register(id int64, fn func(*Message), limit int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if limit >= 0 && len(t.m) >= limit {
		return false
	}
	if t.m == nil {
		t.m = make(map[int64]func(*Message))
	}
	t.m[id] = fn
	return true
}

func (t *ackTable) cancel(id int64) {
	t.mu.Lock()
	delete(t.m, id)
	t.mu.Unlock()
}

func (t *ackTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// resolve calls and forgets the callback of id; it reports whether one was
// pending. fn runs outside the lock and must not block.
func (t *ackTable) resolve(id int64, m *Message) bool {
	t.mu.Lock()
	fn, ok := t.m[id]
	delete(t.m, id)
	t.mu.Unlock()
	if ok {
		fn(m)
	}
	return ok
}

// failAll calls every pending callback with nil (the socket is gone).
func (t *ackTable) failAll() {
	t.mu.Lock()
	m := t.m
	t.m = nil
	t.mu.Unlock()
	for _, fn := range m {
		fn(nil)
	}
}
