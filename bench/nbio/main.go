// Command nbio is a raw-WebSocket floor for the benchmark harness
// (bench/cmd/siobench, target "nbio"): the same server as cmd/wsecho, written
// on github.com/lesismal/nbio instead of siogate's reactor, so that siogate
// can be measured side by side with another non-blocking Go WebSocket
// server in one run. It is used only by the harness, never by siogate.
//
// It lives in a module of its own (bench/nbio/go.mod), so the siogate
// module neither imports nbio nor builds this directory; the harness builds
// it with `go build` run in this directory.
//
//	cd bench/nbio && go run . -addr 127.0.0.1:8082
//
// nbio is used the way its documentation shows: an nbhttp.Engine in its
// default non-blocking I/O mode (a few poller goroutines read every socket,
// handlers run on nbio's task pool) and a nbhttp/websocket Upgrader with
// OnMessage and OnClose callbacks.
//
// Every path except /debug/ accepts a WebSocket upgrade. A text message
// whose payload starts with 'b' is sent to every connected socket (the
// sender included); any other data message is echoed to its sender. This is
// the behaviour of cmd/wsecho and bench/baseline, the protocol the load
// generator (bench/sioload, WebSocket mode) speaks to raw targets. As in
// cmd/wsecho, sockets have no read deadline: the load generator's raw
// sockets send nothing while idle. Every write goes through nbio's
// Conn.WriteMessage, nbio's own API (it frames the payload per socket; nbio
// has no prepared, encode-once message).
//
// Plain HTTP on the same port serves net/http/pprof under /debug/pprof/ and
// GET /debug/gc, which runs runtime.GC and debug.FreeOSMemory and answers
// "ok", so that the harness can read a settled RSS.
//
// SIGINT or SIGTERM stops the listener and closes every socket.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

// hub is the set of open sockets, kept in a slice so that a broadcast walks
// it without allocating. Writes never block (nbio queues what the kernel
// does not take), so a broadcast holds the read lock while it writes;
// several broadcasts may run at once.
type hub struct {
	mu    sync.RWMutex
	conns []*websocket.Conn
	index map[*websocket.Conn]int
}

func newHub() *hub { return &hub{index: map[*websocket.Conn]int{}} }

func (h *hub) add(c *websocket.Conn) {
	h.mu.Lock()
	h.index[c] = len(h.conns)
	h.conns = append(h.conns, c)
	h.mu.Unlock()
}

func (h *hub) remove(c *websocket.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	i, ok := h.index[c]
	if !ok {
		return
	}
	last := len(h.conns) - 1
	h.conns[i] = h.conns[last]
	h.index[h.conns[i]] = i
	h.conns[last] = nil
	h.conns = h.conns[:last]
	delete(h.index, c)
}

// broadcast writes p as one message of type mt to every open socket. A
// failed write closes that socket in nbio; OnClose then removes it.
func (h *hub) broadcast(mt websocket.MessageType, p []byte) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, c := range h.conns {
		_ = c.WriteMessage(mt, p)
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "listen address")
	maxQueued := flag.Int("max-queued", 4<<20, "per-socket outbound buffer limit in bytes (nbio's MaxWriteBufferSize: a socket whose unsent bytes pass it is closed)")
	maxMessage := flag.Int("max-message", 16<<20, "largest WebSocket message accepted, in bytes")
	flag.Parse()
	logging.SetLevel(logging.LevelError)

	h := newHub()
	u := websocket.NewUpgrader()
	u.CheckOrigin = func(*http.Request) bool { return true }
	u.KeepaliveTime = 0 // no read deadline, as cmd/wsecho
	u.MessageLengthLimit = *maxMessage
	u.OnOpen(h.add)
	u.OnMessage(func(c *websocket.Conn, mt websocket.MessageType, p []byte) {
		if mt == websocket.TextMessage && len(p) > 0 && p[0] == 'b' {
			h.broadcast(mt, p)
			return
		}
		_ = c.WriteMessage(mt, p)
	})
	u.OnClose(func(c *websocket.Conn, _ error) { h.remove(c) })

	// The same endpoints as internal/debugmux registers for the servers of
	// siogate's own module; this nested module cannot import it.
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/gc", func(w http.ResponseWriter, _ *http.Request) {
		runtime.GC()
		debug.FreeOSMemory()
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// On failure Upgrade has answered the request.
		_, _ = u.Upgrade(w, r, nil)
	})

	engine := nbhttp.NewEngine(nbhttp.Config{
		Network: "tcp",
		Addrs:   []string{*addr},
		Handler: mux,
		// The payload passed to OnMessage goes back to nbio's pool when the
		// callback returns; WriteMessage copies it first.
		ReleaseWebsocketPayload: true,
		MaxWriteBufferSize:      *maxQueued,
	})
	if err := engine.Start(); err != nil {
		log.Fatal(err)
	}
	log.Printf("nbio listening on ws://%s/", *addr)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := engine.Shutdown(sctx); err != nil {
		log.Printf("shutdown: %v", err)
	}
}
