package wsload

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// echoServer upgrades every request and echoes every message. It counts the
// messages echoed and its live connection goroutines.
func echoServer(t *testing.T) (srv *httptest.Server, echoed, live *atomic.Int64) {
	echoed, live = new(atomic.Int64), new(atomic.Int64)
	up := websocket.Upgrader{}
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		live.Add(1)
		defer live.Add(-1)
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			echoed.Add(1)
			if err := c.WriteMessage(mt, p); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv, echoed, live
}

func TestDial(t *testing.T) {
	srv, echoed, live := echoServer(t)
	addr := strings.TrimPrefix(srv.URL, "http://")
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, res, err := Dial(ctx, Options{
		Addr:        addr,
		Path:        "/x",
		N:           50,
		Sources:     []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")},
		Concurrency: 8,
		Echo:        true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Connected != 50 || res.Failed != 0 || p.Len() != 50 {
		t.Fatalf("result %+v, pool %d", res, p.Len())
	}
	if got := echoed.Load(); got != 50 {
		t.Fatalf("server echoed %d messages, want 50", got)
	}
	for _, c := range p.conns {
		ip := c.LocalAddr().(*net.TCPAddr).IP.String()
		if ip != "127.0.0.2" && ip != "127.0.0.3" {
			t.Fatalf("connection from %s", ip)
		}
	}
	// No goroutine is kept per connection on the client side: all but a
	// few are the server's.
	if g, srv := runtime.NumGoroutine(), int(live.Load()); g > before+srv+5 {
		t.Errorf("%d goroutines while holding, %d before, %d of the server", g, before, srv)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDialHandshakeRejected(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, res, err := Dial(ctx, Options{Addr: strings.TrimPrefix(srv.URL, "http://"), N: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if res.Connected != 0 || res.Failed != 3 || res.Errors["handshake"] != 3 || res.Retries != 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestDialRetriesUntilDeadline(t *testing.T) {
	// A port with nothing listening: refused, retried, given up at the deadline.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	p, res, err := Dial(ctx, Options{Addr: addr, N: 4, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if res.Connected != 0 || res.Failed != 4 || res.Retries == 0 || res.Errors["deadline"] != 4 {
		t.Fatalf("result %+v", res)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{}, {Addr: "x:1"}, {Addr: "x:1", N: 1, Path: "ws"}} {
		if _, _, err := Dial(context.Background(), o); err == nil {
			t.Errorf("Dial(%+v): no error", o)
		}
	}
}
