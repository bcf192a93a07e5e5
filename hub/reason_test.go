package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/siogate/siogate/hub"
)

// TestDisconnectReasons: each way a socket can leave its namespace reaches
// OnDisconnect with socket.io's reason string, is counted once, and the
// client sees what the reference server would send it.
func TestDisconnectReasons(t *testing.T) {
	cases := []struct {
		reason hub.Reason
		opts   hub.Options
		// cause makes the socket leave; it returns what the client must see
		// afterwards, checked by check.
		cause func(t *testing.T, srv *hub.Server, c *client, s *hub.Socket)
		check func(t *testing.T, c *client)
	}{
		{
			reason: hub.ReasonClientDisconnect,
			cause:  func(_ *testing.T, _ *hub.Server, c *client, _ *hub.Socket) { c.Leave("/") },
			check:  stillOpen,
		},
		{
			reason: hub.ReasonTransportClose,
			cause:  func(_ *testing.T, _ *hub.Server, c *client, _ *hub.Socket) { c.Close() },
			check:  func(*testing.T, *client) {},
		},
		{
			reason: hub.ReasonServerDisconnect,
			cause:  func(_ *testing.T, _ *hub.Server, _ *client, s *hub.Socket) { s.Disconnect(false) },
			check: func(t *testing.T, c *client) {
				c.Expect("1")
				stillOpen(t, c)
			},
		},
		{
			reason: hub.ReasonForcedServer,
			cause:  func(_ *testing.T, _ *hub.Server, _ *client, s *hub.Socket) { s.Disconnect(true) },
			check:  func(_ *testing.T, c *client) { c.WaitClosed() },
		},
		{
			reason: hub.ReasonPingTimeout,
			opts:   hub.Options{PingInterval: 200 * time.Millisecond, PingTimeout: 200 * time.Millisecond},
			cause:  func(_ *testing.T, _ *hub.Server, c *client, _ *hub.Socket) { c.NoPong.Store(true) },
			check:  func(_ *testing.T, c *client) { c.WaitClosed() },
		},
		{
			reason: hub.ReasonShutdown,
			cause: func(t *testing.T, srv *hub.Server, _ *client, _ *hub.Socket) {
				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				defer cancel()
				if err := srv.Shutdown(ctx); err != nil {
					t.Errorf("Shutdown: %v", err)
				}
			},
			check: func(t *testing.T, c *client) {
				if code := c.WaitClosed(); code != ws.StatusGoingAway {
					t.Fatalf("close code %d, want 1001", code)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(string(tc.reason), func(t *testing.T) {
			srv, addr := startServer(t, tc.opts)
			type left struct {
				id        string
				reason    hub.Reason
				connected bool
			}
			gone := make(chan left, 1)
			srv.On("ping", func(_ *hub.Socket, m *hub.Message) { _ = m.Ack("pong") })
			srv.OnDisconnect(func(s *hub.Socket, r hub.Reason) { gone <- left{s.ID(), r, s.Connected()} })
			c := dial(t, addr)
			sid := c.Join("/", "")
			s := socketOf(t, srv, "/", sid)

			tc.cause(t, srv, c, s)
			got := recv(t, gone, "OnDisconnect")
			if got.id != sid || got.reason != tc.reason || got.connected {
				t.Fatalf("OnDisconnect(%s, %q) connected=%v; want (%s, %q) disconnected", got.id, got.reason, got.connected, sid, tc.reason)
			}
			st := srv.Stats()
			if st.Disconnects[tc.reason] != 1 || st.Sockets != 0 {
				t.Fatalf("Disconnects %v, Sockets %d", st.Disconnects, st.Sockets)
			}
			tc.check(t, c)
			if s.Connected() || srv.Of("/").Socket(sid) != nil {
				t.Fatal("socket still registered")
			}
			if err := s.Emit("late"); err != hub.ErrDisconnected {
				t.Fatalf("Emit after disconnect: %v, want ErrDisconnected", err)
			}
		})
	}
}

// stillOpen checks that the connection is usable: it joins "/" again.
func stillOpen(t *testing.T, c *client) {
	t.Helper()
	c.Join("/", "")
	c.Emit("/", 1, "ping")
	c.Expect(`31["pong"]`)
}

// TestDisconnectIsImmediate: once Disconnect(false) returns the socket is
// out of its namespace: it sends nothing more and a second Disconnect is a
// no-op (Node's socket.disconnect() marks the socket disconnected at once
// and returns early when it is not connected).
func TestDisconnectIsImmediate(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	srv.Of("/x")
	c := dial(t, addr)
	s := socketOf(t, srv, "/x", c.Join("/x", ""))
	s.Disconnect(false)
	if s.Connected() {
		t.Error("Connected() after Disconnect(false)")
	}
	if err := s.Emit("after"); err != hub.ErrDisconnected {
		t.Errorf("Emit after Disconnect(false): %v, want ErrDisconnected", err)
	}
	s.Disconnect(false)
	c.Expect("1/x,")
	c.Join("/", "") // fails on a second DISCONNECT or on "after"
}
