// Command conformance serves the fixture that the official Engine.IO and
// Socket.IO protocol test suites expect, on one port:
//
//   - /engine.io/: raw Engine.IO; every message received is sent back
//     unchanged on the same session (text stays text, binary stays binary);
//   - /socket.io/: the Socket.IO fixture (namespaces / and /custom), added
//     by the Socket.IO layer.
//
// pingInterval 300 ms, pingTimeout 200 ms and maxPayload 1,000,000 by
// default, as the suites expect. Use flags to run it with production timings
// for benchmarks (-debug adds /debug/pprof/, GET /debug/gc and GET
// /debug/stats):
//
//	go run ./cmd/conformance -addr 127.0.0.1:3000 -ping-interval 25s -ping-timeout 20s -debug
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

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/eio"
	"github.com/siogate/siogate/poller"
)

// echo is the /engine.io/ fixture: every message goes back as it came.
type echo struct{}

func (echo) OnMessage(s *eio.Session, data []byte, binary bool) {
	_ = s.Send(eio.NewOutgoing(data, binary))
}

func (echo) OnClose(*eio.Session, eio.Reason, error) {}

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	pingInterval := flag.Duration("ping-interval", 300*time.Millisecond, "Engine.IO pingInterval")
	pingTimeout := flag.Duration("ping-timeout", 200*time.Millisecond, "Engine.IO pingTimeout")
	maxPayload := flag.Int("max-payload", 1000000, "Engine.IO maxPayload in bytes")
	maxQueued := flag.Int("max-queued", 0, "outbound bytes queued per client (WebSocket and polling) before it is cut as a slow consumer (0: the default, 1 MiB)")
	connectTimeout := flag.Duration("connect-timeout", time.Second, "Socket.IO connect timeout")
	authDelay := flag.Duration("auth-delay", 20*time.Millisecond, "delay of the auth event after the CONNECT reply (negative: no auth event, like bench/node/server.mjs; bench/cmd/siobench sets it)")
	debugEndpoints := flag.Bool("debug", false, "serve /debug/pprof/, GET /debug/gc and GET /debug/stats (for bench/cmd/siobench)")
	mounted := flag.Bool("mounted", false, "serve /socket.io/ through a plain net/http server (hub mounted as an http.Handler, WebSockets hijacked onto the reactor) instead of the reactor's listener; /engine.io/ is then not served")
	flag.Parse()

	wheel := poller.NewWheel(0)
	eioSrv, err := eio.New(eio.Options{
		Path:         "/engine.io/",
		PingInterval: *pingInterval,
		PingTimeout:  *pingTimeout,
		MaxPayload:   *maxPayload,
		Wheel:        wheel,
		OnSession:    func(*eio.Session) eio.Handler { return echo{} },
	})
	if err != nil {
		log.Fatal(err)
	}
	sioSrv, err := hub.New(hub.Options{
		Path:           "/socket.io/",
		PingInterval:   *pingInterval,
		PingTimeout:    *pingTimeout,
		MaxPayload:     *maxPayload,
		MaxQueuedBytes: *maxQueued,
		ConnectTimeout: *connectTimeout,
	})
	if err != nil {
		log.Fatal(err)
	}
	setupSocketIO(sioSrv, *authDelay)
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", eioSrv)
	mux.Handle("/socket.io/", sioSrv)
	if *debugEndpoints {
		mountDebug(mux, sioSrv)
	}
	popts := poller.Options{
		Wheel:          wheel,
		MaxMessageSize: *maxPayload,
		MaxQueuedBytes: *maxQueued,
		HTTP:           mux,
		Upgrade: func(r *poller.Request) (poller.Handler, error) {
			if eioSrv.Handles(r.Path) {
				return eioSrv.Upgrade(r)
			}
			if sioSrv.Handles(r.Path) {
				return sioSrv.Upgrade(r)
			}
			return nil, &poller.HTTPError{Status: http.StatusNotFound, Body: []byte("Not Found")}
		},
		Direct: func(r *poller.Request) poller.DirectFunc {
			if fn := eioSrv.Direct(r); fn != nil {
				return fn
			}
			return sioSrv.Direct(r)
		},
	}
	eioSrv.DirectOptions(&popts)
	srv, err := poller.New(popts)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	var plain *http.Server
	if *mounted {
		m := http.NewServeMux()
		m.Handle("/socket.io/", sioSrv)
		if *debugEndpoints {
			mountDebug(m, sioSrv)
		}
		plain = &http.Server{Addr: *addr, Handler: m, ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- plain.ListenAndServe() }()
	} else {
		go func() { errc <- srv.ListenAndServe(*addr) }()
	}
	log.Printf("conformance fixture on http://%s (engine.io at /engine.io/, socket.io at /socket.io/)", *addr)
	select {
	case err := <-errc:
		log.Fatal(err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if plain != nil {
		_ = plain.Shutdown(sctx)
	}
	_ = eioSrv.Shutdown(sctx)
	_ = sioSrv.Shutdown(sctx)
	_ = srv.Shutdown(sctx)
	wheel.Close()
}
