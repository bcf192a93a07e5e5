package hub_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/eio"
	"github.com/siogate/siogate/hub/siotest"
)

// sayServer handles "say": it records the argument and acknowledges
// "ok" when asked to.
func sayServer(t *testing.T, o hub.Options) (*hub.Server, string, chan string) {
	srv, addr := startServer(t, o)
	said := make(chan string, 64)
	srv.On("say", func(_ *hub.Socket, m *hub.Message) {
		var x string
		_ = m.Decode(&x)
		said <- x
		if m.WantsAck() {
			_ = m.Ack("ok")
		}
	})
	return srv, addr, said
}

// expectAck reads the next packet and checks it is the ack id with data.
func expectAck(t *testing.T, c *client, id int64, data string) {
	t.Helper()
	p := c.Next()
	if p.Type != '3' || p.ID != id || p.Data != data {
		t.Fatalf("got %q, want ack %d %s", p.Text, id, data)
	}
}

// TestEventRateAckError: past its bucket a client's event with an ack id
// gets the ack [{"error":"rate limited"}] at once and is not handled; one
// without an ack id is dropped; the connection stays, and another client's
// events are handled as usual.
func TestEventRateAckError(t *testing.T) {
	// One token per 100 s: nothing refills during the test.
	srv, addr, said := sayServer(t, hub.Options{EventRate: 0.01, EventBurst: 2})
	a, b := dial(t, addr), dial(t, addr)
	a.Join("/", "")
	b.Join("/", "")

	a.Emit("/", 1, "say", "a1")
	expectAck(t, a, 1, `["ok"]`)
	a.Emit("/", -1, "say", "a2")
	a.Emit("/", 3, "say", "a3")
	expectAck(t, a, 3, `[{"error":"rate limited"}]`)
	a.Emit("/", -1, "say", "a4")
	waitFor(t, "the second rate-limited event", func() bool { return srv.Stats().Limited[hub.LimitEventRate] == 2 })

	b.Emit("/", 7, "say", "b1")
	expectAck(t, b, 7, `["ok"]`)
	waitFor(t, "three events handled", func() bool { return srv.Stats().EventsIn == 3 })
	got := []string{recv(t, said, "a1"), recv(t, said, "a2"), recv(t, said, "b1")}
	slices.Sort(got)
	if !slices.Equal(got, []string{"a1", "a2", "b1"}) {
		t.Fatalf("handled %q", got)
	}

	// a is still connected: it gets a broadcast.
	if err := srv.Emit("news", 1); err != nil {
		t.Fatal(err)
	}
	a.ExpectEvent("news")
	b.ExpectEvent("news")
	if st := srv.Stats(); st.Sockets != 2 || st.EventsIn != 3 {
		t.Fatalf("sockets %d, events %d", st.Sockets, st.EventsIn)
	}
}

// TestEventRateDisconnect: with RateDisconnect the client over the rate is
// closed and its sockets leave with "rate limited"; another client carries
// on.
func TestEventRateDisconnect(t *testing.T) {
	srv, addr, said := sayServer(t, hub.Options{EventRate: 0.01, EventBurst: 1, EventRatePolicy: hub.RateDisconnect})
	reasons := make(chan hub.Reason, 2)
	srv.OnDisconnect(func(_ *hub.Socket, r hub.Reason) { reasons <- r })
	a, b := dial(t, addr), dial(t, addr)
	a.Join("/", "")
	b.Join("/", "")
	a.Emit("/", 1, "say", "a1")
	expectAck(t, a, 1, `["ok"]`)
	a.Emit("/", 2, "say", "a2")
	a.WaitClosed()
	if r := recv(t, reasons, "OnDisconnect"); r != hub.ReasonRateLimited {
		t.Fatalf("reason %q, want %q", r, hub.ReasonRateLimited)
	}
	b.Emit("/", 1, "say", "b1")
	expectAck(t, b, 1, `["ok"]`)
	if x := recv(t, said, "a1"); x != "a1" {
		t.Fatalf("first handled %q", x)
	}
	if x := recv(t, said, "b1"); x != "b1" {
		t.Fatalf("then %q, want b1 (a2 must not be handled)", x)
	}
	st := srv.Stats()
	if st.Limited[hub.LimitEventRate] != 1 || st.Disconnects[hub.ReasonRateLimited] != 1 || st.Sockets != 1 {
		t.Fatalf("limited %v, disconnects %v, sockets %d", st.Limited, st.Disconnects, st.Sockets)
	}
}

// TestMaxRoomsPerSocket: a Join that would pass the limit returns
// ErrTooManyRooms and joins none of its rooms; rooms already held do not
// count again; leaving frees a place; other sockets are not affected, and
// bulk joins (SocketsJoin) obey the same limit.
func TestMaxRoomsPerSocket(t *testing.T) {
	srv, addr := startServer(t, hub.Options{MaxRoomsPerSocket: 2})
	errs := make(chan error, 16)
	srv.On("join", func(s *hub.Socket, m *hub.Message) {
		var rooms []string
		_ = m.Decode(&rooms)
		err := s.Join(rooms...)
		errs <- err
		_ = m.Ack(s.Rooms())
	})
	srv.On("leave", func(s *hub.Socket, m *hub.Message) {
		var room string
		_ = m.Decode(&room)
		s.Leave(room)
		_ = m.Ack(s.Rooms())
	})
	a, b := dial(t, addr), dial(t, addr)
	aid, bid := a.Join("/", ""), b.Join("/", "")
	steps := []struct {
		c       *client
		event   string
		arg     any
		wantErr bool
		rooms   string
	}{
		{a, "join", []string{"r1", "r2"}, false, `[["` + aid + `","r1","r2"]]`},
		{a, "join", []string{"r3"}, true, `[["` + aid + `","r1","r2"]]`},
		{a, "join", []string{"r1", aid}, false, `[["` + aid + `","r1","r2"]]`},
		{a, "join", []string{"r2", "r4"}, true, `[["` + aid + `","r1","r2"]]`},
		{a, "leave", "r1", false, `[["` + aid + `","r2"]]`},
		{a, "join", []string{"r3", "r3"}, false, `[["` + aid + `","r2","r3"]]`},
	}
	for i, st := range steps {
		st.c.Emit("/", int64(i), st.event, st.arg)
		expectAck(t, st.c, int64(i), st.rooms)
		if st.event != "join" {
			continue
		}
		err := recv(t, errs, "Join's error")
		if st.wantErr != errors.Is(err, hub.ErrTooManyRooms) || (!st.wantErr && err != nil) {
			t.Fatalf("step %d (%v): err %v", i, st.arg, err)
		}
	}
	b.Emit("/", 1, "join", []string{"r1", "r3"})
	expectAck(t, b, 1, `[["`+bid+`","r1","r3"]]`)
	if err := recv(t, errs, "b's Join"); err != nil {
		t.Fatalf("b: %v", err)
	}

	srv.To(aid).SocketsJoin("r9")
	if rooms := socketOf(t, srv, "/", aid).Rooms(); slices.Contains(rooms, "r9") {
		t.Fatalf("SocketsJoin passed the limit: %q", rooms)
	}
	if got := srv.Stats().Limited[hub.LimitRooms]; got != 3 {
		t.Fatalf("Limited[rooms] = %d, want 3", got)
	}
}

// TestMaxPendingAcks: an EmitWithAck past the limit fails at once with
// ErrTooManyPendingAcks; a broadcast with acks skips the socket (and does
// not wait for it); once the client answers, EmitWithAck works again.
func TestMaxPendingAcks(t *testing.T) {
	srv, addr := startServer(t, hub.Options{MaxPendingAcks: 1})
	a, b := dial(t, addr), dial(t, addr)
	aid := a.Join("/", "")
	b.Join("/", "")
	sa := socketOf(t, srv, "/", aid)
	answer := make(chan string, 2)
	ask := func() {
		go func() {
			m, err := sa.EmitWithAck(context.Background(), "q")
			if err != nil {
				answer <- err.Error()
				return
			}
			answer <- string(m.Arg(0))
		}()
	}
	ask()
	q := a.ExpectEvent("q")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := sa.EmitWithAck(ctx, "q"); !errors.Is(err, hub.ErrTooManyPendingAcks) {
		t.Fatalf("second EmitWithAck: %v, want ErrTooManyPendingAcks", err)
	}

	type result struct {
		n   int
		err error
	}
	all := make(chan result, 1)
	go func() {
		replies, err := srv.Except().Timeout(waitTimeout).EmitWithAck(context.Background(), "all")
		all <- result{len(replies), err}
	}()
	p := b.ExpectEvent("all")
	b.Ack("/", p.ID, "b")
	if r := recv(t, all, "the broadcast's acks"); r.n != 1 || r.err != nil {
		t.Fatalf("broadcast with acks: %d replies, %v; want b's only", r.n, r.err)
	}

	a.Ack("/", q.ID, "a1")
	if got := recv(t, answer, "the first answer"); got != `"a1"` {
		t.Fatalf("first EmitWithAck: %s", got)
	}
	if err := sa.Emit("after"); err != nil {
		t.Fatal(err)
	}
	a.ExpectEvent("after") // the broadcast never reached a
	ask()
	q = a.ExpectEvent("q")
	a.Ack("/", q.ID, "a2")
	if got := recv(t, answer, "the third answer"); got != `"a2"` {
		t.Fatalf("EmitWithAck after the answer: %s", got)
	}
	if got := srv.Stats().Limited[hub.LimitPendingAcks]; got != 2 {
		t.Fatalf("Limited[pending_acks] = %d, want 2", got)
	}
}

// TestMaxAttachments: a packet announcing more attachments than
// MaxAttachments closes its connection ("parse error") before any
// attachment is read; another client's binary events are handled.
func TestMaxAttachments(t *testing.T) {
	srv, addr := startServer(t, hub.Options{MaxAttachments: 2})
	got := make(chan int, 1)
	srv.On("up", func(_ *hub.Socket, m *hub.Message) { got <- len(m.Attachments()) })
	reasons := make(chan hub.Reason, 2)
	srv.OnDisconnect(func(_ *hub.Socket, r hub.Reason) { reasons <- r })
	a, b := dial(t, addr), dial(t, addr)
	a.Join("/", "")
	b.Join("/", "")
	ph := func(n int) string { return `{"_placeholder":true,"num":` + string(rune('0'+n)) + `}` }
	a.SendText(`53-["up",` + ph(0) + `,` + ph(1) + `,` + ph(2) + `]`)
	a.WaitClosed()
	if r := recv(t, reasons, "OnDisconnect"); r != hub.ReasonParseError {
		t.Fatalf("reason %q", r)
	}
	b.EmitBinary("/", -1, `["up",`+ph(0)+`,`+ph(1)+`]`, []byte{1}, []byte{2})
	if n := recv(t, got, "b's event"); n != 2 {
		t.Fatalf("%d attachments", n)
	}
	if st := srv.Stats(); st.Limited[hub.LimitAttachments] != 1 || st.ParseErrors != 1 {
		t.Fatalf("limited %v, parse errors %d", st.Limited, st.ParseErrors)
	}
}

// TestAdmissionLimits: the Engine.IO admission limits set through
// hub.Options refuse a connection past them while the admitted one
// carries on.
func TestAdmissionLimits(t *testing.T) {
	srv, addr, said := sayServer(t, hub.Options{MaxConnections: 1, MaxConnectionsPerIP: 1, HandshakeRate: 100})
	a := dial(t, addr)
	a.Join("/", "")
	if c, err := siotest.DialClient(addr, t.Fatalf); err == nil {
		c.Close()
		t.Fatal("a second connection was admitted")
	}
	a.Emit("/", 1, "say", "still here")
	expectAck(t, a, 1, `["ok"]`)
	recv(t, said, "a's event")
	es := srv.Engine().Stats()
	if es.Limited[eio.LimitConnections]+es.Limited[eio.LimitConnectionsPerIP] != 1 {
		t.Fatalf("Engine limits: %v", es.Limited)
	}
	if o := srv.Engine().Options(); o.MaxConnections != 1 || o.MaxConnectionsPerIP != 1 || o.HandshakeRate != 100 || o.HandshakeBurst != 100 {
		t.Fatalf("Engine options: %+v", o)
	}
}

// TestLimitOptions: defaults and validation.
func TestLimitOptions(t *testing.T) {
	srv, err := hub.New(hub.Options{EventRate: 2.5})
	if err != nil {
		t.Fatal(err)
	}
	o := srv.Options()
	_ = srv.Shutdown(context.Background())
	if o.MaxRoomsPerSocket != 1024 || o.MaxPendingAcks != 1024 || o.EventBurst != 3 || o.EventRatePolicy != hub.RateAckError {
		t.Fatalf("defaults: rooms %d, acks %d, burst %d, policy %q", o.MaxRoomsPerSocket, o.MaxPendingAcks, o.EventBurst, o.EventRatePolicy)
	}
	for _, bad := range []hub.Options{
		{EventRate: -1},
		{EventRatePolicy: "kick"},
		{MaxConnections: -1},
		{HandshakeRate: -2},
	} {
		if srv, err := hub.New(bad); err == nil {
			_ = srv.Shutdown(context.Background())
			t.Errorf("New(%+v) accepted", bad)
		}
	}
}

// TestMailboxAndPayloadLimitsSpareOthers: the older limits, MaxMailbox and
// MaxPayload, close only the connection that passes them.
func TestMailboxAndPayloadLimitsSpareOthers(t *testing.T) {
	srv, addr, said := sayServer(t, hub.Options{MaxMailbox: 4, MaxPayload: 1000})
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	srv.On("block", func(*hub.Socket, *hub.Message) {
		started <- struct{}{}
		<-release
	})
	flood, big, other := dial(t, addr), dial(t, addr), dial(t, addr)
	flood.Join("/", "")
	big.Join("/", "")
	other.Join("/", "")

	flood.Emit("/", -1, "block")
	recv(t, started, "the blocking handler")
	for range 5 {
		flood.Emit("/", -1, "say", "queued")
	}
	flood.WaitClosed()
	close(release)

	big.Emit("/", -1, "say", strings.Repeat("x", 1200))
	if code := big.WaitClosed(); code != 1009 {
		t.Fatalf("message over MaxPayload: close code %d, want 1009", code)
	}

	other.Emit("/", 1, "say", "fine")
	expectAck(t, other, 1, `["ok"]`)
	for x := recv(t, said, "other's event"); x != "fine"; x = recv(t, said, "other's event") {
	}
	if st := srv.Stats(); st.Limited[hub.LimitMailbox] != 1 || st.Sockets != 1 {
		t.Fatalf("limited %v, sockets %d", st.Limited, st.Sockets)
	}
	if got := srv.Engine().Stats().Limited[eio.LimitPayload]; got != 1 {
		t.Fatalf("Engine Limited[payload] = %d, want 1", got)
	}
}
