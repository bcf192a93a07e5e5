// Command siogate is the Socket.IO gateway: a Socket.IO v4 endpoint
// (Engine.IO v4 + Socket.IO v5, WebSocket and HTTP long-polling on one
// port) on siogate's reactor, for backends in any language.
//
//	go run ./cmd/siogate            # listens on :3000, in-memory adapter
//	go run ./cmd/siogate -h         # every setting, each also an environment variable
//
// What it adds to the hub:
//
//   - JWT auth: clients pass a token in the handshake (auth.token); its
//     user id claim puts every socket of a user in the room user:<id>.
//   - An HTTP API under /api/v1/ for the backend (bearer API key): emit to
//     rooms, sockets or users (with acks), join, leave, disconnect, list
//     (docs/api.md).
//   - Webhooks: connect (may refuse), disconnect and client events are
//     POSTed to the backend; its answer is the client's ack.
//   - /metrics (Prometheus), /healthz, /readyz, structured logs.
//   - An origin policy (same host by default) against cross-site WebSocket
//     hijacking.
//   - Graceful drain on SIGTERM/SIGINT (docs/operations.md).
//   - The chat app at / on the namespace /chat (package chat, docs/chat.md);
//     -chat=false turns it off.
//
// Every setting is a flag and an environment variable (SIOGATE_ADDR for
// -addr, and so on).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/siogate/siogate/poller"
)

func main() {
	err := run(os.Args[1:], os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "siogate:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	g, err := newGateway(cfg, logger)
	if err != nil {
		return err
	}
	listen := func(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
	if cfg.reusePort {
		listen = poller.ListenReusePort
	}
	ln, err := listen(cfg.addr)
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = g.drain(ctx)
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- g.serve(ln) }()
	logStart(logger, cfg, g, ln.Addr())

	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, poller.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	stop() // a second signal kills the process the default way
	logger.Info("siogate draining", "timeout", cfg.shutdownTimeout, "spread", cfg.drainSpread)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := g.drain(sctx); err != nil {
		logger.Warn("drain did not finish cleanly; the rest was forced closed", "err", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, poller.ErrServerClosed) {
		logger.Warn("reactor stopped with an error", "err", err)
	}
	logger.Info("siogate stopped")
	return nil
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	if cfg.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// logStart writes the one line that says where the gateway listens, and
// what it enforces.
func logStart(logger *slog.Logger, cfg config, g *gateway, addr net.Addr) {
	host := addr.String()
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		host = fmt.Sprintf("localhost:%d", ta.Port)
	}
	auth := "off (every client is anonymous)"
	if g.auth.enabled() {
		auth = "jwt"
		if cfg.allowAnonymous {
			auth = "jwt, anonymous allowed"
		}
	}
	origins := "same host"
	if len(cfg.allowedOrigins) > 0 {
		origins = fmt.Sprint(cfg.allowedOrigins)
	}
	attrs := []any{"url", "http://" + host + "/", "socket.io", cfg.path, "namespaces", cfg.namespaces,
		"auth", auth, "origins", origins, "api", len(cfg.apiKeys) > 0}
	if g.hooks != nil {
		attrs = append(attrs, "webhook_events", g.hooks.eventNames(), "webhook_connect", g.hooks.connect, "webhook_disconnect", g.hooks.disc)
	}
	logger.Info("siogate listening", attrs...)
}
