package hub_test

import (
	"testing"

	"github.com/siogate/siogate/hub"
)

func TestStats(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	srv.On("ping", func(_ *hub.Socket, m *hub.Message) { _ = m.Ack("pong") })
	srv.On("boom", func(*hub.Socket, *hub.Message) { panic("boom") })
	srv.Of("/no").Use(func(*hub.Socket, hub.Raw) error { return &hub.ConnectError{Message: "no"} })

	st := srv.Stats()
	if st.Clients != 0 || st.Sockets != 0 || st.EventsIn != 0 || st.Broadcasts != 0 || len(st.Disconnects) != 11 {
		t.Fatalf("fresh server: %+v", st)
	}
	for r, n := range st.Disconnects {
		if n != 0 {
			t.Fatalf("fresh server: Disconnects[%s] = %d", r, n)
		}
	}

	a, b := dial(t, addr), dial(t, addr)
	a.Join("/", "")
	bsid := b.Join("/", "")
	a.Connect("/no", "")
	a.Connect("/missing", "")
	a.Emit("/", -1, "boom")
	a.Emit("/", -1, "unhandled")
	a.Emit("/", 1, "ping")
	a.Expect(`31["pong"]`) // the three events before it were handled
	_ = srv.Emit("e")
	_ = srv.To(bsid).Emit("e")
	_ = socketOf(t, srv, "/", bsid).Emit("e") // not a broadcast
	a.ExpectEvent("e")
	st = srv.Stats()
	if st.Clients != 2 || st.Sockets != 2 || st.EventsIn != 3 || st.Broadcasts != 2 || st.ConnectRejects != 2 || st.HandlerPanics != 1 {
		t.Fatalf("Clients %d (2) Sockets %d (2) EventsIn %d (3) Broadcasts %d (2) ConnectRejects %d (2) HandlerPanics %d (1)",
			st.Clients, st.Sockets, st.EventsIn, st.Broadcasts, st.ConnectRejects, st.HandlerPanics)
	}

	a.Leave("/")
	waitFor(t, "a's socket to leave", func() bool { return srv.Stats().Disconnects[hub.ReasonClientDisconnect] == 1 })
	b.Close()
	waitFor(t, "b's socket to leave", func() bool { return srv.Stats().Disconnects[hub.ReasonTransportClose] == 1 })
	waitFor(t, "b's connection to close", func() bool { return srv.Stats().Clients == 1 })
	st = srv.Stats()
	if st.Sockets != 0 || st.Disconnects[hub.ReasonClientDisconnect] != 1 || st.Disconnects[hub.ReasonTransportClose] != 1 {
		t.Fatalf("Sockets %d, Disconnects %v", st.Sockets, st.Disconnects)
	}
	if st.ParseErrors != 0 || st.MailboxOverflows != 0 || st.SlowConsumers != 0 || st.ConnectTimeouts != 0 {
		t.Fatalf("unexpected counters %+v", st)
	}
}

func TestStatsParseError(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	c := dial(t, addr)
	c.Join("/", "")
	c.SendText(`2["unterminated"`)
	c.WaitClosed()
	waitFor(t, "the socket to leave", func() bool { return srv.Stats().Disconnects[hub.ReasonParseError] == 1 })
	if st := srv.Stats(); st.ParseErrors != 1 {
		t.Fatalf("ParseErrors %d, want 1", st.ParseErrors)
	}
}
