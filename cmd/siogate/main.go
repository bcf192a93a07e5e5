// Command siogate is the Socket.IO gateway: a Socket.IO v4 endpoint
// (Engine.IO v4 + Socket.IO v5, WebSocket and HTTP long-polling on one
// port) on siogate's reactor, with the in-memory adapter by default.
//
//	go run ./cmd/siogate            # listens on :3000
//	go run ./cmd/siogate -h         # every setting, each also an environment variable
//
// Every setting is a flag and an environment variable (SIOGATE_ADDR for
// -addr, and so on). SIGINT/SIGTERM drain the gateway: new connections are
// refused, WebSockets are closed with 1001 (clients reconnect elsewhere),
// then the process exits.
package main

import (
	"context"
	"errors"

	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/siogate/siogate/hub"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "siogate:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := parseConfig(args)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	srv, err := hub.New(hub.Options{
		Path:           cfg.path,
		PingInterval:   cfg.pingInterval,
		PingTimeout:    cfg.pingTimeout,
		MaxPayload:     cfg.maxPayload,
		MaxQueuedBytes: cfg.maxQueued,
		AllowedOrigins: cfg.origins,
		Logger:         logger,
	})
	if err != nil {
		return err
	}
	gw := newGateway(srv, cfg, logger)

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln, gw.routes()) }()
	logger.Info("siogate listening", "url", "http://"+ln.Addr().String()+"/", "socket.io", cfg.path)

	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	logger.Info("siogate draining", "timeout", cfg.drainTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.drainTimeout)
	defer cancel()
	return srv.Shutdown(sctx)
}

// gateway holds the HTTP side of the binary (health and, in later
// versions, metrics and the publish API).
type gateway struct {
	srv    *hub.Server
	cfg    config
	logger *slog.Logger
	start  time.Time
}

func newGateway(srv *hub.Server, cfg config, logger *slog.Logger) *gateway {
	return &gateway{srv: srv, cfg: cfg, logger: logger, start: time.Now()}
}

func (g *gateway) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		st := g.srv.Stats()
		fmt.Fprintf(w, "siogate: Socket.IO endpoint at %s (%d clients, %d sockets, up %s)\n",
			g.cfg.path, st.Clients, st.Sockets, time.Since(g.start).Round(time.Second))
	})
	return mux
}
