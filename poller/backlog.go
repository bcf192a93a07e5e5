package poller

import (
	"sync"
	"time"
)

// backlogSet holds the sockets whose kernel send buffer was full. One
// goroutine retries them every RetryInterval while the set is not empty and
// sleeps otherwise. netpoll offers no write-readiness callback that does not
// also block a goroutine in Flush, so polling a small set is the cheap way.
type backlogSet struct {
	srv  *Server
	mu   sync.Mutex
	m    map[*Conn]struct{}
	wake chan struct{}
	done chan struct{}
	once sync.Once
}

func (b *backlogSet) init(s *Server) {
	b.srv = s
	b.m = make(map[*Conn]struct{})
	b.wake = make(chan struct{}, 1)
	b.done = make(chan struct{})
}

func (b *backlogSet) add(c *Conn) {
	b.mu.Lock()
	b.m[c] = struct{}{}
	first := len(b.m) == 1
	b.mu.Unlock()
	if first {
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
}

func (b *backlogSet) remove(c *Conn) {
	b.mu.Lock()
	delete(b.m, c)
	b.mu.Unlock()
}

// Len reports the number of backlogged sockets.
func (b *backlogSet) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}

func (b *backlogSet) stop() { b.once.Do(func() { close(b.done) }) }

func (b *backlogSet) run() {
	var snap []*Conn
	t := time.NewTicker(b.srv.opts.RetryInterval)
	defer t.Stop()
	for {
		b.mu.Lock()
		empty := len(b.m) == 0
		b.mu.Unlock()
		if empty {
			select {
			case <-b.done:
				return
			case <-b.wake:
			}
		}
		select {
		case <-b.done:
			return
		case <-t.C:
		}
		b.mu.Lock()
		snap = snap[:0]
		for c := range b.m {
			snap = append(snap, c)
		}
		b.mu.Unlock()
		for _, c := range snap {
			c.retry()
		}
		clear(snap)
	}
}
