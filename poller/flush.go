package poller

import (
	"runtime"
	"sync"
)

// flushers write behind: Send queues a frame and marks its socket pending
// in one of the server's flush shards, and the shard's goroutine later
// writes the socket's whole queue with one writev. Under load a socket
// collects several frames between two visits, so a burst of broadcasts
// costs one system call per socket rather than one per message, and the
// goroutine that fans a broadcast out only appends to queues while the
// shards write in parallel. When the server is quiet the price is one
// goroutine wake-up per burst. Options.InlineWrites turns this off.
type flushers struct {
	shards []flushShard
	wg     sync.WaitGroup
	done   chan struct{}
	once   sync.Once
}

// flushShard is the pending list of one flush goroutine.
type flushShard struct {
	mu   sync.Mutex
	list []*Conn
	wake chan struct{}
	_    [40]byte // keep shards' locks on separate cache lines
}

func (f *flushers) start(n int) {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	f.shards = make([]flushShard, n)
	f.done = make(chan struct{})
	f.wg.Add(n)
	for i := range f.shards {
		f.shards[i].wake = make(chan struct{}, 1)
		go f.run(&f.shards[i])
	}
}

// add marks c pending (c.mu is held by the caller; lock order is c.mu,
// then the shard's).
func (f *flushers) add(c *Conn) {
	sh := &f.shards[uint(c.fd)%uint(len(f.shards))]
	sh.mu.Lock()
	sh.list = append(sh.list, c)
	first := len(sh.list) == 1
	sh.mu.Unlock()
	if first {
		select {
		case sh.wake <- struct{}{}:
		default:
		}
	}
}

func (f *flushers) stop() {
	f.once.Do(func() { close(f.done) })
	f.wg.Wait()
}

func (f *flushers) run(sh *flushShard) {
	defer f.wg.Done()
	var batch []*Conn
	for {
		select {
		case <-f.done:
			return
		case <-sh.wake:
		}
		for {
			sh.mu.Lock()
			batch, sh.list = sh.list, batch[:0]
			sh.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for _, c := range batch {
				c.flushPending()
			}
			clear(batch)
		}
	}
}

// flushPending is a flush goroutine's visit to a pending socket.
func (c *Conn) flushPending() {
	c.mu.Lock()
	c.pending = false
	if c.closed {
		c.mu.Unlock()
		return
	}
	if !c.backlogged {
		c.flushLocked()
	}
	closeNow := c.takeCloseLocked()
	c.mu.Unlock()
	if closeNow {
		_ = c.nc.Close()
	}
}
