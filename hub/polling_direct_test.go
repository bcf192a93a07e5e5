package hub_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/siotest"
)

// rawPoller is a polling client on one keep-alive TCP connection, written
// by hand so that the client side runs no goroutine either.
type rawPoller struct {
	c   net.Conn
	r   *bufio.Reader
	sid string
}

func (p *rawPoller) send(tb testing.TB, method, body string) {
	tb.Helper()
	url := "/socket.io/?EIO=4&transport=polling"
	if p.sid != "" {
		url += "&sid=" + p.sid
	}
	req := method + " " + url + " HTTP/1.1\r\nHost: test\r\n"
	if method == http.MethodPost {
		req += "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n"
	}
	if _, err := io.WriteString(p.c, req+"\r\n"+body); err != nil {
		tb.Fatalf("%s: %v", method, err)
	}
}

func (p *rawPoller) read(tb testing.TB) string {
	tb.Helper()
	_ = p.c.SetReadDeadline(time.Now().Add(siotest.WaitTimeout))
	resp, err := http.ReadResponse(p.r, nil)
	if err != nil {
		tb.Fatalf("read response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("response %d %q: %v", resp.StatusCode, b, err)
	}
	if resp.Close {
		tb.Fatalf("response asks to close a keep-alive connection")
	}
	return string(b)
}

// TestPollingOnReactor: polling clients of the standalone server are
// answered on the reactor. 200 clients each park a GET, and the process
// holds no goroutine for them (net/http would hold two per client); one
// broadcast then answers every parked GET on its keep-alive connection.
func TestPollingOnReactor(t *testing.T) {
	srv, addr := siotest.StartServer(t, hub.Options{})
	const n = 200
	clients := make([]*rawPoller, n)
	for i := range clients {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		p := &rawPoller{c: c, r: bufio.NewReader(c)}
		p.send(t, http.MethodGet, "")
		open := p.read(t)
		sid, ok := strings.CutPrefix(open, `0{"sid":"`)
		if !ok {
			t.Fatalf("open packet %q", open)
		}
		p.sid, _, _ = strings.Cut(sid, `"`)
		p.send(t, http.MethodPost, "40")
		if got := p.read(t); got != "ok" {
			t.Fatalf("POST: %q", got)
		}
		p.send(t, http.MethodGet, "")
		if got := p.read(t); !strings.HasPrefix(got, `40{"sid":"`) {
			t.Fatalf("CONNECT reply %q", got)
		}
		clients[i] = p
	}
	before := runtime.NumGoroutine()
	for _, p := range clients {
		p.send(t, http.MethodGet, "") // parks: nothing is queued
	}
	// Give the server time to read the GETs (they are answered below, which
	// proves they were parked); a goroutine per GET would exist by then.
	time.Sleep(200 * time.Millisecond)
	st := srv.Reactor().Stats()
	if st.Direct != 3*n {
		t.Errorf("%d requests answered before the broadcast, want %d", st.Direct, 3*n)
	}
	if grew := runtime.NumGoroutine() - before; grew > n/10 {
		t.Errorf("%d parked polling GETs added %d goroutines", n, grew)
	}
	if st.HandedOff != 0 {
		t.Errorf("%d connections were handed to net/http, want 0", st.HandedOff)
	}
	if st.DirectConns != n {
		t.Errorf("DirectConns %d, want %d", st.DirectConns, n)
	}
	if err := srv.Emit("news", "hi"); err != nil {
		t.Fatal(err)
	}
	for i, p := range clients {
		if got := p.read(t); got != `42["news","hi"]` {
			t.Fatalf("client %d got %q", i, got)
		}
	}
}
