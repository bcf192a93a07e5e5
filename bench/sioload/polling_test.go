package sioload

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/siogate/siogate/hub"
)

func TestPolling(t *testing.T) {
	addr, srv := sioServerWith(t, hub.Options{PingInterval: 200 * time.Millisecond, PingTimeout: 500 * time.Millisecond})
	for _, nsp := range []string{"/", "/custom"} {
		t.Run(nsp, func(t *testing.T) {
			const n = 30
			p, err := NewPolling(Options{Addr: addr, Namespace: nsp, Sources: testSources, Concurrency: 10})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := p.Connect(ctx, n)
			if err != nil || res.Connected != n || res.Failed != 0 || res.Handshake.Count() != n {
				t.Fatalf("connect: %+v, %v", res, err)
			}
			if p.Len() != n {
				t.Fatalf("Len %d", p.Len())
			}
			// A WebSocket sender; the polling sockets receive the broadcasts.
			ws, err := New(Options{Addr: addr, Namespace: nsp})
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			if res, err := ws.Connect(ctx, 1); err != nil || res.Connected != 1 {
				t.Fatalf("sender: %+v, %v", res, err)
			}
			if err := p.Mark(); err != nil {
				t.Fatal(err)
			}
			ids, err := ws.Broadcast(3, 100)
			if err != nil {
				t.Fatal(err)
			}
			for range ids {
				select {
				case <-p.Complete():
				case <-ctx.Done():
					st, _ := p.Stats()
					t.Fatalf("broadcasts not complete: %+v", st.Broadcasts)
				}
			}
			time.Sleep(500 * time.Millisecond) // a ping period or two
			st, err := p.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if st.Deliveries != 3*n || st.BroadcastLatency.Count() != 3*n || st.Closed != 0 || st.Ready != n {
				t.Fatalf("stats: deliveries %d, closed %d %v, ready %d", st.Deliveries, st.Closed, st.CloseReasons, st.Ready)
			}
			if st.Pings == 0 {
				t.Errorf("no ping answered")
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Stats(); !errors.Is(err, ErrClosed) {
				t.Fatalf("Stats after Close: %v", err)
			}
		})
	}
	waitFor(t, "server empty", func() bool { return srv.Stats().Clients == 0 })
}

func TestPollingChurn(t *testing.T) {
	addr, srv := sioServerWith(t, hub.Options{})
	p, err := NewPolling(Options{Addr: addr, Sources: testSources})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := p.Churn(ctx, ChurnRun{Cycles: 200, Concurrency: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Cycles != 200 || res.Failed != 0 || res.Cycle.Count() != 200 {
		t.Fatalf("churn: %+v", res)
	}
	waitFor(t, "server empty", func() bool { st := srv.Stats(); return st.Sockets == 0 && st.Clients == 0 })
	if got := srv.Stats().Disconnects[hub.ReasonClientDisconnect]; got != 200 {
		t.Errorf("server saw %d client disconnects, want 200", got)
	}
}

func TestPollingErrors(t *testing.T) {
	addr, _ := sioServerWith(t, hub.Options{})
	p, err := NewPolling(Options{Addr: addr, Namespace: "/private"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	res, err := p.Connect(context.Background(), 2)
	if err != nil || res.Failed != 2 || res.Errors["connect-error"] != 2 {
		t.Fatalf("refused namespace: %+v, %v", res, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	q, err := NewPolling(Options{Addr: dead})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res, err = q.Connect(ctx, 2)
	if err != nil || res.Failed != 2 || res.Retries == 0 {
		t.Fatalf("nothing listening: %+v, %v", res, err)
	}
	if _, err := NewPolling(Options{Addr: dead, Mode: WebSocket}); err == nil {
		t.Fatal("raw WebSocket polling accepted")
	}
}
