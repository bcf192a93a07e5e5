package hub_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/poller"
)

// dialStalled connects a WebSocket client to "/" with a tiny receive
// buffer, reads the open packet and the CONNECT reply, and then never
// reads again.
func dialStalled(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, br, _, err := ws.Dialer{NetDial: d.DialContext}.Dial(ctx, "ws://"+addr+"/socket.io/?EIO=4&transport=websocket")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	var r io.Reader = conn
	if br != nil {
		r = br
	}
	rd := bufio.NewReader(r)
	read := func(prefix string) {
		_ = conn.SetReadDeadline(time.Now().Add(waitTimeout))
		f, err := ws.ReadFrame(rd)
		if err != nil || !strings.HasPrefix(string(f.Payload), prefix) {
			t.Fatalf("stalled client: %q, %v; want %s...", f.Payload, err, prefix)
		}
	}
	read("0{")
	if err := ws.WriteFrame(conn, ws.MaskFrameInPlace(ws.NewTextFrame([]byte("40")))); err != nil {
		t.Fatal(err)
	}
	read("40{")
	return conn
}

// TestSlowConsumerWebSocket: a socket that stops reading first loses the
// volatile broadcasts (and stays), then is disconnected with "slow
// consumer" once its queue passes MaxQueuedBytes; a fast socket of the same
// room receives every broadcast, volatile ones included, in order.
func TestSlowConsumerWebSocket(t *testing.T) {
	const limit = 256 << 10
	srv, addr := startServer(t, hub.Options{MaxQueuedBytes: limit, PingInterval: time.Hour, PingTimeout: time.Hour})
	srv.OnConnect(func(s *hub.Socket, _ hub.Raw) error { return s.Join("room") })
	reasons := make(chan hub.Reason, 4)
	srv.OnDisconnect(func(_ *hub.Socket, r hub.Reason) { reasons <- r })

	fast := dial(t, addr)
	fast.Join("/", "")
	stalled := dialStalled(t, addr)
	var stalledConn *poller.Conn
	srv.Reactor().Range(func(c *poller.Conn) bool {
		if c.RemoteAddr().String() == stalled.LocalAddr().String() {
			stalledConn = c
		}
		return stalledConn == nil
	})
	if stalledConn == nil {
		t.Fatal("the stalled client's connection is not in the reactor")
	}

	seq := 0
	chunk := strings.Repeat("x", 32<<10)
	broadcast := func(volatile bool, event, payload string) {
		t.Helper()
		op := srv.To("room")
		if volatile {
			op = op.Volatile()
		}
		seq++
		if err := op.Emit(event, seq, payload); err != nil {
			t.Fatal(err)
		}
		p := fast.ExpectEvent(event)
		var got int
		if _, args := p.Event(); len(args) != 2 || json.Unmarshal(args[0], &got) != nil || got != seq {
			t.Fatalf("fast socket: %s #%d out of order (want #%d)", event, got, seq)
		}
	}

	// 1. Fill the stalled socket's kernel buffers, then half of its queue,
	// until the kernel stops taking more: its send buffer grows for a while
	// after the peer stops reading, and a queue it empties would take a
	// volatile message (seen under -race).
	for q := -1; q != stalledConn.QueuedBytes(); {
		for stalledConn.QueuedBytes() < limit/2 {
			if seq > 1000 {
				t.Fatalf("32 MiB sent and the stalled socket still has only %d bytes queued", stalledConn.QueuedBytes())
			}
			broadcast(false, "fill", chunk)
		}
		q = stalledConn.QueuedBytes()
		time.Sleep(50 * time.Millisecond) // five backlog retries
	}
	filled := seq
	// 2. Volatile broadcasts too big for what is left of its queue: the
	// stalled socket loses them and stays; the fast one gets them.
	dropped := srv.Engine().Stats().DroppedVolatile
	big := strings.Repeat("v", limit*5/8)
	for range 5 {
		broadcast(true, "volatile", big)
	}
	if d := srv.Engine().Stats().DroppedVolatile - dropped; d != 5 {
		t.Fatalf("%d volatile messages dropped, want 5 (the stalled socket's)", d)
	}
	if st := srv.Stats(); st.Sockets != 2 || st.SlowConsumers != 0 {
		t.Fatalf("after the volatile broadcasts: %d sockets, %d slow consumers", st.Sockets, st.SlowConsumers)
	}
	// 3. Normal broadcasts: the stalled socket is cut at the limit.
	for srv.Stats().SlowConsumers == 0 {
		if seq > 2000 {
			t.Fatal("the stalled socket was never cut")
		}
		broadcast(false, "fill", chunk)
	}
	if r := recv(t, reasons, "the stalled socket's disconnect"); r != hub.ReasonSlowConsumer {
		t.Fatalf("reason %q, want %q", r, hub.ReasonSlowConsumer)
	}
	broadcast(false, "after", "")
	st := srv.Stats()
	if st.Sockets != 1 || st.Disconnects[hub.ReasonSlowConsumer] != 1 || st.Limited[hub.LimitQueuedBytes] != 1 {
		t.Fatalf("sockets %d, disconnects %v, limited %v", st.Sockets, st.Disconnects, st.Limited)
	}
	t.Logf("queue half full after %d broadcasts of 32 KiB, cut %d broadcasts later", filled, seq-filled-6)
}
