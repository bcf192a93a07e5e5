// Command wsecho is a raw WebSocket server on siogate's reactor core, used by
// tests and benchmarks.
//
// On any path, a text message whose payload starts with 'b' is sent
// unchanged to every connected socket (encoded once, the same bytes queued
// on each); any other data message is echoed to its sender. Plain HTTP on
// the same port serves net/http/pprof under /debug/pprof/ and the bench hook
// GET /debug/gc (runtime.GC + debug.FreeOSMemory).
//
//	go run ./cmd/wsecho -addr 127.0.0.1:8080
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gobwas/ws"

	"github.com/siogate/siogate/internal/debugmux"
	"github.com/siogate/siogate/poller"
	"github.com/siogate/siogate/wsframe"
)

type echo struct{ srv **poller.Server }

func (echo) OnOpen(*poller.Conn) {}

func (e echo) OnMessage(c *poller.Conn, op ws.OpCode, payload []byte) {
	frame := wsframe.AppendFrame(make([]byte, 0, wsframe.HeaderSize(len(payload))+len(payload)), op, payload)
	if op == ws.OpText && len(payload) > 0 && payload[0] == 'b' {
		(*e.srv).Range(func(peer *poller.Conn) bool {
			_ = peer.Send(frame)
			return true
		})
		return
	}
	_ = c.Send(frame)
}

func (echo) OnClose(*poller.Conn, error) {}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	maxQueued := flag.Int("max-queued", 4<<20, "per-socket outbound queue limit in bytes")
	maxMessage := flag.Int("max-message", 16<<20, "largest WebSocket message accepted, in bytes")
	flag.Parse()

	mux := http.NewServeMux()
	debugmux.Register(mux)

	var srv *poller.Server
	h := echo{srv: &srv}
	var err error
	srv, err = poller.New(poller.Options{
		Upgrade:        func(*poller.Request) (poller.Handler, error) { return h, nil },
		HTTP:           mux,
		MaxQueuedBytes: *maxQueued,
		MaxMessageSize: *maxMessage,
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe(*addr) }()
	log.Printf("wsecho listening on ws://%s/", *addr)
	select {
	case err := <-errc:
		log.Fatal(err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Printf("shutdown: %v", err)
	}
}
