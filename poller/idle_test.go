package poller

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestIdleSocketsOwnNoGoroutine opens 5,000 WebSockets and leaves them idle:
// the process (server and client side together) must stay below 50
// goroutines. The client keeps bare net.Conns with no reader goroutine.
func TestIdleSocketsOwnNoGoroutine(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 10,000 file descriptors")
	}
	const n = 5000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < 2*n+200 {
		t.Fatalf("RLIMIT_NOFILE %d is below the %d this test needs", lim.Cur, 2*n+200)
	}
	srv, _, addr := startEcho(t, Options{})
	before := runtime.NumGoroutine()
	req := []byte("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	buf := make([]byte, 512)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		got := 0
		for !bytes.Contains(buf[:got], []byte("\r\n\r\n")) {
			m, err := c.Read(buf[got:])
			if err != nil {
				t.Fatalf("handshake %d: %v", i, err)
			}
			got += m
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(buf[:got])), nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("handshake %d: %v %v", i, resp, err)
		}
	}
	waitFor(t, 10*time.Second, "all upgraded", func() bool { return srv.Len() == n })
	time.Sleep(200 * time.Millisecond) // let netpoll's task goroutines exit
	g := runtime.NumGoroutine()
	t.Logf("%d idle sockets: %d goroutines (before: %d)", n, g, before)
	if g >= 50 {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines with %d idle sockets; want < 50\n%s", g, n, buf[:runtime.Stack(buf, true)])
	}
}
