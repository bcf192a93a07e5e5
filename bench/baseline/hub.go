package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// writeTimeout bounds one write to a peer, so a stalled reader cannot hold a
// sender forever.
const writeTimeout = 10 * time.Second

// client is one upgraded socket. gorilla allows one reader and one writer at
// a time: the connection's goroutine is the reader, wmu serialises writers
// (its own echo and other sockets' broadcasts).
type client struct {
	conn *websocket.Conn
	wmu  sync.Mutex
}

// write sends one message under the write lock.
func (c *client) write(mt int, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.conn.WriteMessage(mt, p)
}

// writePrepared sends one prepared message under the write lock.
func (c *client) writePrepared(m *websocket.PreparedMessage) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.conn.WritePreparedMessage(m)
}

// hub upgrades requests and keeps the set of open sockets for broadcast and
// shutdown. Lock order: hub.mu is never held while a client's wmu is taken
// or while writing.
type hub struct {
	log      *slog.Logger
	upgrader websocket.Upgrader
	wg       sync.WaitGroup // one count per connection goroutine

	mu      sync.Mutex
	clients map[*client]struct{}
	closed  bool
}

func newHub(log *slog.Logger) *hub {
	return &hub{
		log: log,
		// Zero buffer sizes: reuse net/http's 4 KiB read and write buffers,
		// gorilla's default and the ordinary configuration.
		upgrader: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		clients:  map[*client]struct{}{},
	}
}

// ServeHTTP upgrades the request and runs the connection's read loop on the
// handler's goroutine until the peer goes away.
func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the request.
	}
	c := &client{conn: conn}
	if !h.add(c) {
		conn.Close()
		return
	}
	defer h.remove(c)
	conn.SetReadLimit(1 << 20)
	for {
		mt, p, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if mt == websocket.TextMessage && len(p) > 0 && p[0] == 'b' {
			m, err := websocket.NewPreparedMessage(mt, p)
			if err != nil {
				return
			}
			h.broadcast(m)
			continue
		}
		if err := c.write(mt, p); err != nil {
			return
		}
	}
}

// add registers c; it fails once the hub is closed.
func (h *hub) add(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.clients[c] = struct{}{}
	h.wg.Add(1)
	return true
}

// remove unregisters c and closes its socket.
func (h *hub) remove(c *client) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
	c.conn.Close()
	h.wg.Done()
}

// snapshot returns the open sockets.
func (h *hub) snapshot() []*client {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		out = append(out, c)
	}
	return out
}

// broadcast writes m, encoded once, to every open socket. A socket whose
// write fails is closed; its read loop then ends and unregisters it.
func (h *hub) broadcast(m *websocket.PreparedMessage) {
	for _, c := range h.snapshot() {
		if err := c.writePrepared(m); err != nil {
			c.conn.Close()
		}
	}
}

// closeAll refuses new sockets and closes the open ones.
func (h *hub) closeAll() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	for _, c := range h.snapshot() {
		c.conn.Close()
	}
}

// wait waits for every connection goroutine to end, or for ctx.
func (h *hub) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		h.log.Warn("shutdown: connections still open", "err", ctx.Err())
		return ctx.Err()
	}
}
