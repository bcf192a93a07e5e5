// Command baseline is the reference for the idle-memory benchmark: a plain
// goroutine-per-connection WebSocket server written the ordinary way with
// gorilla/websocket. It shows what a straightforward Go server costs per
// socket, the figure siogate's reactor must beat.
//
//	go run ./bench/baseline -addr 127.0.0.1:8081
//
// Every path except /debug/ accepts a WebSocket upgrade. One goroutine per
// connection loops on ReadMessage. A text message whose payload starts with
// 'b' is sent, encoded once, to every connected socket (the sender
// included); any other data message is echoed to its sender. This is the
// behaviour of cmd/wsecho, so the two can be compared.
//
// Debug endpoints: net/http/pprof under /debug/pprof/, and GET /debug/gc,
// which runs runtime.GC and debug.FreeOSMemory and answers "ok", so that a
// benchmark can read a settled RSS.
//
// SIGINT or SIGTERM stops the listener and closes every socket.
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/siogate/siogate/internal/debugmux"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*addr, log); err != nil {
		log.Error("baseline", "err", err)
		os.Exit(1)
	}
}

func run(addr string, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	h := newHub(log)
	mux := http.NewServeMux()
	debugmux.Register(mux)
	mux.Handle("/", h)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Shutdown does not see hijacked connections: close the sockets ourselves,
	// then wait for their goroutines.
	err = srv.Shutdown(sctx)
	h.closeAll()
	if werr := h.wait(sctx); err == nil {
		err = werr
	}
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
