package proc

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseProfiles(t *testing.T) {
	if n, err := ParseGoroutineTotal([]byte("goroutine profile: total 19012\n1 @ 0x1\n")); err != nil || n != 19012 {
		t.Fatalf("ParseGoroutineTotal = %d, %v", n, err)
	}
	if _, err := ParseGoroutineTotal([]byte("heap profile\n")); err == nil {
		t.Fatal("no error")
	}
	heap := "heap profile: 1: 2 [3: 4] @ heap/1048576\n\n# runtime.MemStats\n# Alloc = 1\n# Sys = 3000\n# HeapInuse = 2000\n# Stack = 65536 / 65536\n"
	m, err := ParseMemStats([]byte(heap))
	if err != nil || m.HeapInuse != 2000 || m.StackInuse != 65536 || m.Sys != 3000 {
		t.Fatalf("ParseMemStats = %+v, %v", m, err)
	}
	if _, err := ParseMemStats([]byte("# HeapInuse = 1\n")); err == nil {
		t.Fatal("no error for a partial trailer")
	}
}

func TestProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/debug/gc":
			w.Write([]byte("ok\n"))
		case "/debug/pprof/goroutine":
			w.Write([]byte("goroutine profile: total 7\n"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	p := NewProbe(strings.TrimPrefix(srv.URL, "http://"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.WaitReady(ctx, "/debug/gc", nil); err != nil {
		t.Fatal(err)
	}
	if err := p.GC(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := p.Goroutines(ctx); err != nil || n != 7 {
		t.Fatalf("Goroutines = %d, %v", n, err)
	}
	if _, err := p.MemStats(ctx); err == nil {
		t.Fatal("MemStats of a 404: no error")
	}
	exited := make(chan struct{})
	close(exited)
	if err := p.WaitReady(ctx, "/missing", exited); err == nil {
		t.Fatal("WaitReady of an exited server: no error")
	}
}

// TestProbeRetriesDroppedConnection: a server that closes connections
// without answering. Get tries a second connection once: it succeeds when
// only the first was dropped and fails when both are.
func TestProbeRetriesDroppedConnection(t *testing.T) {
	for _, tc := range []struct {
		drop   int // connections closed before the answer
		wantOK bool
	}{{1, true}, {2, false}} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		accepted := make(chan int, 1)
		go func() {
			n := 0
			defer func() { accepted <- n }()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				n++
				_, _ = c.Read(make([]byte, 4096)) // the request head
				if n > tc.drop {
					_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"))
				}
				_ = c.Close()
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		body, err := NewProbe(ln.Addr().String()).Get(ctx, "/debug/gc")
		cancel()
		_ = ln.Close()
		conns := <-accepted
		if tc.wantOK && (err != nil || string(body) != "ok") {
			t.Errorf("drop %d: %q, %v", tc.drop, body, err)
		}
		if !tc.wantOK && err == nil {
			t.Errorf("drop %d: no error", tc.drop)
		}
		if conns != 2 {
			t.Errorf("drop %d: %d connections, want 2 (one retry)", tc.drop, conns)
		}
	}
}
