package sioload

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/siogate/siogate/hub"
)

var testSources = []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")}

// sioServer runs siogate's hub with the benchmark fixture's events on "/"
// and "/custom", with fast pings so that the test sees several.
func sioServer(t *testing.T) string {
	addr, _ := sioServerWith(t, hub.Options{PingInterval: 150 * time.Millisecond, PingTimeout: 300 * time.Millisecond})
	return addr
}

// sioServerWith runs a hub with options o and the events of the benchmark
// fixtures (cmd/conformance, bench/node/server.mjs): "echo", "broadcast",
// "join" and "bench:room".
func sioServerWith(t *testing.T, o hub.Options) (string, *hub.Server) {
	t.Helper()
	srv, err := hub.New(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"/", "/custom"} {
		nsp := srv.Of(name)
		nsp.On("echo", func(_ *hub.Socket, m *hub.Message) {
			if m.WantsAck() {
				_ = m.AckRaw(m.RawArgs(), nil)
			}
		})
		nsp.On("broadcast", func(_ *hub.Socket, m *hub.Message) {
			args := make([]any, 0, m.Len())
			for _, r := range m.RawArgs() {
				args = append(args, hub.Raw(r))
			}
			_ = nsp.Emit("bcast", args...)
		})
		nsp.On("join", func(s *hub.Socket, m *hub.Message) {
			var a struct {
				Room string `json:"room"`
			}
			if err := m.Decode(&a); err != nil || a.Room == "" {
				_ = m.Ack(map[string]string{"error": "invalid room"})
				return
			}
			s.Join(a.Room)
			_ = m.Ack(s.Rooms())
		})
		nsp.On("bench:room", func(_ *hub.Socket, m *hub.Message) {
			var room string
			if m.Len() < 2 || m.Decode(&room) != nil {
				return
			}
			_ = nsp.To(room).Emit("bcast", m.Arg(1))
		})
	}
	srv.Of("/private").OnConnect(func(*hub.Socket, hub.Raw) error {
		return &hub.ConnectError{Message: "no"}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return ln.Addr().String(), srv
}

// wsServer is a raw WebSocket server with the behaviour of cmd/wsecho: a
// text message starting with 'b' goes to every socket, others are echoed.
func wsServer(t *testing.T) string {
	t.Helper()
	var (
		mu    sync.Mutex
		conns = map[*websocket.Conn]*sync.Mutex{}
	)
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		wmu := new(sync.Mutex)
		mu.Lock()
		conns[c] = wmu
		mu.Unlock()
		defer func() {
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			c.Close()
		}()
		for {
			mt, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if mt == websocket.TextMessage && len(p) > 0 && p[0] == 'b' {
				mu.Lock()
				for peer, pmu := range conns {
					pmu.Lock()
					_ = peer.WriteMessage(mt, p)
					pmu.Unlock()
				}
				mu.Unlock()
				continue
			}
			wmu.Lock()
			_ = c.WriteMessage(mt, p)
			wmu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// waitComplete waits for n broadcast completions from l.
func waitComplete(t *testing.T, l *Loader, n int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for range n {
		select {
		case <-l.Complete():
		case <-timeout:
			st, _ := l.Stats()
			t.Fatalf("broadcast not complete: %+v; ready %d, closed %d %v, other %d, first error %q",
				st.Broadcasts, st.Ready, st.Closed, st.CloseReasons, st.Other, st.FirstError)
		}
	}
}

func TestLoader(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode Mode
		nsp  string
	}{
		{"socketio", SocketIO, "/"},
		{"socketio-custom", SocketIO, "/custom"},
		{"websocket", WebSocket, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := ""
			if tc.mode == WebSocket {
				addr = wsServer(t)
			} else {
				addr = sioServer(t)
			}
			const n = 150
			l, err := New(Options{Addr: addr, Mode: tc.mode, Namespace: tc.nsp, Sources: testSources, Concurrency: 40})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := l.Connect(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			if res.Connected != n || res.Failed != 0 || res.Handshake.Count() != n {
				t.Fatalf("connect: %+v", res)
			}
			// One goroutine, the loop, holds every socket of the loader.
			if g := loopGoroutines(); g != 1 {
				t.Errorf("%d loop goroutines for %d sockets", g, n)
			}
			if err := l.Mark(); err != nil {
				t.Fatal(err)
			}
			if tc.mode == SocketIO {
				// A few ping periods after the mark, so the stats below count
				// answered pings.
				time.Sleep(500 * time.Millisecond)
			}
			ids, err := l.Broadcast(1, 64)
			if err != nil || len(ids) != 1 {
				t.Fatalf("Broadcast: %v, %v", ids, err)
			}
			waitComplete(t, l, 1)
			ids, err = l.Broadcast(5, 1024)
			if err != nil || len(ids) != 5 {
				t.Fatalf("Broadcast burst: %v, %v", ids, err)
			}
			waitComplete(t, l, 5)
			st, err := l.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if st.Deliveries != 6*n || len(st.Broadcasts) != 6 || st.BroadcastLatency.Count() != 6*n {
				t.Fatalf("deliveries %d, broadcasts %+v", st.Deliveries, st.Broadcasts)
			}
			for i, b := range st.Broadcasts {
				if b.ID != uint64(i) || b.Count != n || b.LastNs < b.SentNs {
					t.Fatalf("broadcast %d: %+v", i, b)
				}
			}
			if st.Closed != 0 || st.Ready != n || st.ProtocolErrors != 0 {
				t.Fatalf("stats: %+v", st)
			}
			if tc.mode == SocketIO && st.Pings == 0 {
				t.Errorf("no ping answered in %v", time.Duration(st.NowNs-st.MarkNs))
			}

			es, err := l.Echo(ctx, EchoRun{Rate: 1000, Duration: 300 * time.Millisecond, Size: 100})
			if err != nil {
				t.Fatal(err)
			}
			if es.EchoSent != 300 || es.EchoAcked != 300 || es.EchoLatency.Count() != 300 {
				t.Fatalf("echo: sent %d, acked %d", es.EchoSent, es.EchoAcked)
			}
			if es.Closed != 0 {
				t.Fatalf("echo closed sockets: %+v", es.CloseReasons)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Stats(); !errors.Is(err, ErrClosed) {
				t.Fatalf("Stats after Close: %v", err)
			}
		})
	}
}

// loopGoroutines counts the goroutines running sioload's loop code.
func loopGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "sioload.(*loop)") {
			n++
		}
	}
	return n
}

func TestConnectError(t *testing.T) {
	addr := sioServer(t)
	l, err := New(Options{Addr: addr, Namespace: "/private"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	res, err := l.Connect(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.Connected != 0 || res.Failed != 3 || res.Errors["connect-error"] != 3 || res.Retries != 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestConnectDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: refused, retried until the deadline
	l, err := New(Options{Addr: addr, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res, err := l.Connect(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if res.Connected != 0 || res.Failed != 4 || res.Retries == 0 || res.Errors["deadline"] != 4 {
		t.Fatalf("result %+v", res)
	}
	if _, err := l.Broadcast(1, 10); !errors.Is(err, ErrNoSocket) {
		t.Fatalf("Broadcast without sockets: %v", err)
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []Options{{}, {Addr: "localhost:1"}, {Addr: "[::1]:1"}, {Addr: "127.0.0.1:1", Path: "x"},
		{Addr: "127.0.0.1:1", Namespace: "x"}, {Addr: "127.0.0.1:1", Sources: []netip.Addr{netip.MustParseAddr("::1")}}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
	o, err := Options{Addr: "127.0.0.1:1"}.withDefaults()
	if err != nil || o.requestPath() != "/socket.io/?EIO=4&transport=websocket" || o.Namespace != "/" {
		t.Fatalf("defaults: %+v, %v", o, err)
	}
	o, _ = Options{Addr: "127.0.0.1:1", Mode: WebSocket}.withDefaults()
	if o.requestPath() != "/" {
		t.Fatalf("websocket path %q", o.requestPath())
	}
	for _, s := range []string{"socketio", "websocket"} {
		if m, err := ParseMode(s); err != nil || m.String() != s {
			t.Errorf("ParseMode(%q) = %v, %v", s, m, err)
		}
	}
}
