package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siogate/siogate/hub"
)

// recoverAuth is the CONNECT auth a reconnecting client sends.
func recoverAuth(pid, offset string) string {
	b, _ := json.Marshal(map[string]string{"pid": pid, "offset": offset})
	return string(b)
}

// argInt decodes argument i of an EVENT as an int.
func argInt(t testing.TB, p packet, i int) int {
	t.Helper()
	_, args := p.Event()
	var n int
	if i >= len(args) || json.Unmarshal(args[i], &n) != nil {
		t.Fatalf("argument %d of %q is not a number", i, p.Text)
	}
	return n
}

// recoveryServer starts a server with recovery on (ro) that reports its
// connected sockets and disconnect reasons.
func recoveryServer(t *testing.T, o hub.Options) (*hub.Server, string, chan *hub.Socket, chan hub.Reason) {
	t.Helper()
	if o.Recovery == nil {
		o.Recovery = &hub.RecoveryOptions{}
	}
	srv, addr := startServer(t, o)
	connected := make(chan *hub.Socket, 16)
	gone := make(chan hub.Reason, 16)
	srv.OnConnect(func(s *hub.Socket, _ hub.Raw) error { connected <- s; return nil })
	srv.OnDisconnect(func(_ *hub.Socket, r hub.Reason) { gone <- r })
	return srv, addr, connected, gone
}

func TestRecoveryConnectReplyHasPID(t *testing.T) {
	_, addr, _, _ := recoveryServer(t, hub.Options{})
	c := dial(t, addr)
	p := c.Connect("/", "")
	var reply map[string]string
	if err := json.Unmarshal([]byte(p.Data), &reply); err != nil || len(reply) != 2 {
		t.Fatalf("CONNECT reply %q: want {sid, pid}", p.Text)
	}
	sid, secret, _ := strings.Cut(reply["pid"], ".")
	if len(reply["sid"]) != 20 || sid != reply["sid"] || len(secret) != 20 {
		t.Fatalf("CONNECT reply %q: want a 20-character sid and the pid <sid>.<20 characters>", p.Text)
	}
}

// TestRecoveryOffsets: the offset is appended to non-volatile EVENTs
// without ack id, broadcast or emitted to one socket, and to nothing else.
func TestRecoveryOffsets(t *testing.T) {
	srv, addr, connected, _ := recoveryServer(t, hub.Options{})
	c := dial(t, addr)
	c.Join("/", "")
	s := recv(t, connected, "connect")

	seen := map[string]bool{}
	withOffset := func(p packet, nargs int) {
		t.Helper()
		_, args := p.Event()
		off := p.Offset()
		if len(args) != nargs+1 || off == "" || seen[off] || p.ID != -1 {
			t.Fatalf("%q: want %d arguments and a new offset", p.Text, nargs)
		}
		seen[off] = true
	}
	without := func(p packet, nargs int) {
		t.Helper()
		if _, args := p.Event(); len(args) != nargs {
			t.Fatalf("%q: want exactly %d arguments (no offset)", p.Text, nargs)
		}
	}

	if err := srv.Emit("b", 1, "two"); err != nil {
		t.Fatal(err)
	}
	withOffset(c.ExpectEvent("b"), 2)
	_ = srv.Of("/").Volatile().Emit("v", 1)
	without(c.ExpectEvent("v"), 1)
	_ = s.Emit("e", 1)
	withOffset(c.ExpectEvent("e"), 1)
	_ = s.EmitVolatile("ev", 1)
	without(c.ExpectEvent("ev"), 1)
	_ = srv.To(s.ID()).Emit("bin", []byte{1, 2, 3})
	p := c.ExpectEvent("bin")
	withOffset(p, 1)
	if len(p.Atts) != 1 || string(p.Atts[0]) != "\x01\x02\x03" {
		t.Fatalf("binary broadcast: attachments %q", p.Atts)
	}

	// Emits with an ack id carry no offset (Node does not record them).
	done := make(chan error, 2)
	go func() {
		_, err := s.EmitWithAck(context.Background(), "a", 1)
		done <- err
	}()
	p = c.ExpectEvent("a")
	without(p, 1)
	c.Ack("/", p.ID, "ok")
	go func() {
		_, err := srv.Of("/").Except().Timeout(5*time.Second).EmitWithAck(context.Background(), "ba", 1)
		done <- err
	}()
	p = c.ExpectEvent("ba")
	without(p, 1)
	c.Ack("/", p.ID, "ok")
	for range 2 {
		if err := recv(t, done, "ack"); err != nil {
			t.Fatal(err)
		}
	}

	// Without recovery: no pid, no offset.
	plain, paddr := startServer(t, hub.Options{})
	pc := dial(t, paddr)
	if _, pid := pc.JoinSession("/", ""); pid != "" {
		t.Fatalf("recovery off: CONNECT reply has pid %q", pid)
	}
	_ = plain.Emit("b", 1)
	without(pc.ExpectEvent("b"), 1)
}

// TestRecoveryRestoresSocket: a socket cut off while 100 broadcasts go to
// its room comes back with its id, pid, rooms and data, and gets the
// packets it missed (those for its rooms, none twice), in order, right
// after the CONNECT reply; its middlewares are skipped.
func TestRecoveryRestoresSocket(t *testing.T) {
	srv, addr, connected, gone := recoveryServer(t, hub.Options{})
	var mw atomic.Int32
	srv.Use(func(*hub.Socket, hub.Raw) error { mw.Add(1); return nil })

	c := dial(t, addr)
	sid, pid := c.JoinSession("/", "")
	s := recv(t, connected, "connect")
	if s.Recovered() {
		t.Fatal("a new socket reports Recovered")
	}
	if err := s.Join("news", "sports"); err != nil {
		t.Fatal(err)
	}
	s.Set("user", "ann")
	s.Set("n", 3)
	s.Set("bad", func() {}) // not JSON: left out of the session
	_ = srv.To("news").Emit("tick", -1)
	off := c.ExpectEvent("tick").Offset()

	c.Close()
	if r := recv(t, gone, "disconnect"); r != hub.ReasonTransportClose {
		t.Fatalf("reason %q", r)
	}
	for i := range 100 {
		if err := srv.To("news").Emit("tick", i); err != nil {
			t.Fatal(err)
		}
		if i == 50 {
			_ = srv.To("other").Emit("tick", "not for this socket")
			_ = srv.Except("sports").Emit("tick", "excluded")
			_ = srv.Of("/").Volatile().Emit("tick", "volatile: not recorded")
			_ = srv.To("sports").Emit("bin", []byte("raw"))
			_ = srv.Emit("all", "every socket")
		}
	}

	c2 := dial(t, addr)
	sid2, pid2 := c2.JoinSession("/", recoverAuth(pid, off))
	if sid2 != sid || pid2 != pid {
		t.Fatalf("recovered as %s/%s, want %s/%s", sid2, pid2, sid, pid)
	}
	s2 := recv(t, connected, "connect of the recovered socket")
	if !s2.Recovered() || s2.ID() != sid || srv.Of("/").Socket(sid) != s2 {
		t.Fatalf("server side: recovered %v id %s", s2.Recovered(), s2.ID())
	}
	if rooms := s2.Rooms(); !slices.Contains(rooms, "news") || !slices.Contains(rooms, "sports") || len(rooms) != 3 {
		t.Fatalf("rooms %v", rooms)
	}
	if s2.Get("user") != "ann" || s2.Get("n") != float64(3) || s2.Get("bad") != nil {
		t.Fatalf("data: user %v n %#v bad %v", s2.Get("user"), s2.Get("n"), s2.Get("bad"))
	}
	if n := mw.Load(); n != 1 {
		t.Fatalf("middleware ran %d times, want once (skipped on recovery)", n)
	}
	offsets := map[string]bool{off: true}
	for i := range 100 {
		p := c2.ExpectEvent("tick")
		if got := argInt(t, p, 0); got != i {
			t.Fatalf("replayed tick %d, want %d", got, i)
		}
		if o := p.Offset(); o == "" || offsets[o] {
			t.Fatalf("tick %d: offset %q missing or seen before", i, o)
		}
		offsets[p.Offset()] = true
		if i == 50 {
			b := c2.ExpectEvent("bin")
			if len(b.Atts) != 1 || string(b.Atts[0]) != "raw" || b.Offset() == "" {
				t.Fatalf("replayed binary broadcast %q %q", b.Text, b.Atts)
			}
			c2.ExpectEvent("all")
		}
	}
	_ = srv.To("news").Emit("live", 1)
	c2.ExpectEvent("live")

	st := srv.Stats().Recovery
	if st.Saved != 1 || st.Recovered != 1 || st.Replayed != 102 {
		t.Fatalf("stats %+v", st)
	}
}

// TestRecoveryUnderLiveTraffic: broadcasts keep coming while the socket
// is away and while it recovers; it must see every one exactly once, in
// order (the replay and the live traffic meet without a gap or a
// duplicate).
func TestRecoveryUnderLiveTraffic(t *testing.T) {
	srv, addr, connected, gone := recoveryServer(t, hub.Options{})
	c := dial(t, addr)
	_, pid := c.JoinSession("/", "")
	s := recv(t, connected, "connect")
	_ = s.Join("feed")

	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_ = srv.To("feed").Emit("n", i)
			time.Sleep(100 * time.Microsecond)
		}
	}()
	defer func() {
		close(stop)
		<-stopped
	}()

	last, off := -1, ""
	for last < 50 {
		p := c.ExpectEvent("n")
		if n := argInt(t, p, 0); n != last+1 {
			t.Fatalf("got %d after %d", n, last)
		}
		last, off = last+1, p.Offset()
	}
	c.Close()
	recv(t, gone, "disconnect")
	time.Sleep(20 * time.Millisecond) // more broadcasts while away

	c2 := dial(t, addr)
	c2.JoinSession("/", recoverAuth(pid, off))
	if !recv(t, connected, "recovered socket").Recovered() {
		t.Fatal("not recovered")
	}
	target := last + 500
	for last < target {
		p := c2.ExpectEvent("n")
		if n := argInt(t, p, 0); n != last+1 {
			t.Fatalf("after recovery: got %d after %d", n, last)
		}
		last++
	}
	c2.Close()
	recv(t, gone, "disconnect")
}

// TestRecoveryReasons: sockets that lost their connection recover;
// sockets that left on purpose do not.
func TestRecoveryReasons(t *testing.T) {
	_, addr, connected, gone := recoveryServer(t, hub.Options{PingInterval: 100 * time.Millisecond, PingTimeout: 200 * time.Millisecond})
	cases := []struct {
		reason  hub.Reason
		cut     func(c *client, s *hub.Socket)
		recover bool
	}{
		{hub.ReasonTransportClose, func(c *client, _ *hub.Socket) { c.Close() }, true},
		{hub.ReasonForcedServer, func(c *client, s *hub.Socket) { s.Disconnect(true); c.WaitClosed() }, true},
		{hub.ReasonPingTimeout, func(c *client, _ *hub.Socket) { c.NoPong.Store(true); c.WaitClosed() }, true},
		{hub.ReasonClientDisconnect, func(c *client, _ *hub.Socket) { c.Leave("/") }, false},
		{hub.ReasonServerDisconnect, func(c *client, s *hub.Socket) { s.Disconnect(false) }, false},
	}
	for _, tc := range cases {
		t.Run(string(tc.reason), func(t *testing.T) {
			c := dial(t, addr)
			c.Fatalf = t.Fatalf
			sid, pid := c.JoinSession("/", "")
			s := recv(t, connected, "connect")
			_ = s.Emit("hello")
			off := c.ExpectEvent("hello").Offset()
			tc.cut(c, s)
			if r := recv(t, gone, "disconnect"); r != tc.reason {
				t.Fatalf("reason %q, want %q", r, tc.reason)
			}
			c.Close()
			c2 := dial(t, addr)
			c2.Fatalf = t.Fatalf
			defer func() {
				c2.Close()
				recv(t, gone, "disconnect of the second connection")
			}()
			sid2, pid2 := c2.JoinSession("/", recoverAuth(pid, off))
			s2 := recv(t, connected, "reconnect")
			if got := sid2 == sid && pid2 == pid && s2.Recovered(); got != tc.recover {
				t.Fatalf("recovered %v (sid %s -> %s), want %v", got, sid, sid2, tc.recover)
			}
			if !tc.recover && (sid2 == sid || pid2 == pid || pid2 == "") {
				t.Fatalf("a new session must have a new sid and pid: %s/%s", sid2, pid2)
			}
		})
	}
}

// TestRecoveryNewSession: an unknown pid, an expired session, an offset
// the store no longer covers, a session of another namespace: each gets a
// new session. (A pid presented again while its socket is connected takes
// the socket over: TestRecoveryTakeOver.)
func TestRecoveryNewSession(t *testing.T) {
	store := hub.NewMemoryStore(hub.MemoryStoreOptions{MaxPackets: 5})
	srv, addr, connected, gone := recoveryServer(t, hub.Options{Recovery: &hub.RecoveryOptions{
		MaxDisconnectionDuration: 300 * time.Millisecond, Store: store,
	}})
	srv.Of("/chat").OnConnect(func(s *hub.Socket, _ hub.Raw) error { connected <- s; return nil })
	srv.Of("/chat").OnDisconnect(func(_ *hub.Socket, r hub.Reason) { gone <- r })

	// away leaves a session behind: it returns its sid, pid and offset.
	away := func(t *testing.T) (string, string, string) {
		c := dial(t, addr)
		c.Fatalf = t.Fatalf
		sid, pid := c.JoinSession("/", "")
		s := recv(t, connected, "connect")
		_ = s.Join("r")
		_ = srv.To("r").Emit("x")
		off := c.ExpectEvent("x").Offset()
		c.Close()
		recv(t, gone, "disconnect")
		return sid, pid, off
	}
	// fresh connects with auth and checks that the session is new.
	fresh := func(t *testing.T, nsp, sid, auth string) {
		c := dial(t, addr)
		c.Fatalf = t.Fatalf
		defer func() {
			c.Close()
			recv(t, gone, "disconnect")
		}()
		sid2, pid2 := c.JoinSession(nsp, auth)
		s := recv(t, connected, "connect")
		if sid2 == sid || pid2 == "" || s.Recovered() || len(s.Rooms()) > 1 {
			t.Fatalf("want a new session: sid %s (was %s) pid %q recovered %v rooms %v", sid2, sid, pid2, s.Recovered(), s.Rooms())
		}
		_ = srv.Of(nsp).Emit("marker")
		c.ExpectEvent("marker") // nothing replayed before it
	}

	t.Run("unknown pid", func(t *testing.T) {
		before := srv.Stats().Recovery.Unknown
		fresh(t, "/", "", recoverAuth("no-such-pid", "x"))
		if srv.Stats().Recovery.Unknown != before+1 {
			t.Fatal("not counted as unknown")
		}
	})
	t.Run("not strings", func(t *testing.T) {
		fresh(t, "/", "", `{"pid":1,"offset":{}}`)
	})
	t.Run("expired", func(t *testing.T) {
		sid, pid, off := away(t)
		time.Sleep(400 * time.Millisecond)
		fresh(t, "/", sid, recoverAuth(pid, off))
	})
	t.Run("offset no longer covered", func(t *testing.T) {
		sid, pid, off := away(t)
		before := srv.Stats().Recovery.Stale
		for range 10 { // the store keeps 5
			_ = srv.To("r").Emit("x")
		}
		fresh(t, "/", sid, recoverAuth(pid, off))
		if srv.Stats().Recovery.Stale != before+1 {
			t.Fatal("not counted as stale")
		}
	})
	t.Run("other namespace", func(t *testing.T) {
		sid, pid, off := away(t)
		fresh(t, "/chat", sid, recoverAuth(pid, off))
	})
}

// TestRecoveryTakeOver: a client that comes back on a new connection while
// the server still holds its old one (dead but not yet detected: a
// half-open TCP connection after a network change) recovers too: the old
// connection is closed first and its disconnect handler runs before the
// recovered socket's connect handler.
func TestRecoveryTakeOver(t *testing.T) {
	srv, addr := startServer(t, hub.Options{Recovery: &hub.RecoveryOptions{}})
	var (
		mu  sync.Mutex
		log []string
	)
	note := func(s string) { mu.Lock(); log = append(log, s); mu.Unlock() }
	connected := make(chan *hub.Socket, 4)
	srv.OnConnect(func(s *hub.Socket, _ hub.Raw) error {
		note(fmt.Sprintf("connect recovered=%v", s.Recovered()))
		connected <- s
		return nil
	})
	srv.OnDisconnect(func(_ *hub.Socket, r hub.Reason) { note("disconnect " + string(r)) })

	old := dial(t, addr)
	sid, pid := old.JoinSession("/", "")
	s := recv(t, connected, "connect")
	_ = s.Join("room")
	_ = srv.To("room").Emit("n", 0)
	off := old.ExpectEvent("n").Offset()
	_ = srv.To("room").Emit("n", 1) // the old connection gets it too, but the client never saw it

	c2 := dial(t, addr)
	if got, _ := c2.JoinSession("/", recoverAuth(pid, off)); got != sid {
		t.Fatalf("sid %s, want %s (%+v)", got, sid, srv.Stats().Recovery)
	}
	if s2 := recv(t, connected, "recovered"); !s2.Recovered() || !slices.Contains(s2.Rooms(), "room") {
		t.Fatalf("recovered %v rooms %v", s2.Recovered(), s2.Rooms())
	}
	if got := argInt(t, c2.ExpectEvent("n"), 0); got != 1 {
		t.Fatalf("replayed %d, want 1", got)
	}
	old.WaitClosed()
	mu.Lock()
	defer mu.Unlock()
	want := []string{"connect recovered=false", "disconnect transport close", "connect recovered=true"}
	if !slices.Equal(log, want) {
		t.Fatalf("handlers ran %q, want %q", log, want)
	}
	if st := srv.Stats().Recovery; st.TakenOver != 1 || st.Recovered != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestRecoveryRunMiddlewares: with RunMiddlewares the middlewares decide
// for recovered sockets too.
func TestRecoveryRunMiddlewares(t *testing.T) {
	srv, addr, connected, gone := recoveryServer(t, hub.Options{Recovery: &hub.RecoveryOptions{RunMiddlewares: true}})
	var calls atomic.Int32
	srv.Use(func(s *hub.Socket, _ hub.Raw) error {
		if calls.Add(1) > 1 {
			return errors.New("no more")
		}
		return nil
	})
	c := dial(t, addr)
	_, pid := c.JoinSession("/", "")
	s := recv(t, connected, "connect")
	_ = s.Emit("x")
	off := c.ExpectEvent("x").Offset()
	c.Close()
	recv(t, gone, "disconnect")
	c2 := dial(t, addr)
	if p := c2.Connect("/", recoverAuth(pid, off)); p.Type != '4' || calls.Load() != 2 {
		t.Fatalf("got %q after %d middleware calls, want CONNECT_ERROR from the second", p.Text, calls.Load())
	}
}

// TestRecoveryAcrossServers: a store shared by two servers (as the Redis
// one is) lets a socket closed by one server's shutdown recover on the
// other, with what the other broadcast meanwhile.
func TestRecoveryAcrossServers(t *testing.T) {
	store := hub.NewMemoryStore(hub.MemoryStoreOptions{})
	opts := hub.Options{Recovery: &hub.RecoveryOptions{Store: store}}
	srv1, addr1, connected1, _ := recoveryServer(t, opts)
	srv2, addr2, connected2, _ := recoveryServer(t, opts)

	c := dial(t, addr1)
	sid, pid := c.JoinSession("/", "")
	s := recv(t, connected1, "connect")
	_ = s.Join("room")
	_ = srv1.To("room").Emit("n", 0)
	off := c.ExpectEvent("n").Offset()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv1.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.WaitClosed()
	if st := srv1.Stats().Recovery; st.Saved != 1 {
		t.Fatalf("shutdown saved %d sessions, want 1", st.Saved)
	}
	for i := 1; i <= 3; i++ {
		_ = srv2.To("room").Emit("n", i)
	}
	c2 := dial(t, addr2)
	if got, _ := c2.JoinSession("/", recoverAuth(pid, off)); got != sid {
		t.Fatalf("sid %s, want %s (%+v)", got, sid, srv2.Stats().Recovery)
	}
	if s2 := recv(t, connected2, "recovered"); !s2.Recovered() || !slices.Contains(s2.Rooms(), "room") {
		t.Fatalf("recovered %v rooms %v", s2.Recovered(), s2.Rooms())
	}
	for i := 1; i <= 3; i++ {
		if got := argInt(t, c2.ExpectEvent("n"), 0); got != i {
			t.Fatalf("got %d, want %d", got, i)
		}
	}
}

// BenchmarkBroadcastRecorded is BenchmarkBroadcast's cost with recovery
// on: one record per broadcast, whatever the number of members.
func BenchmarkBroadcastRecorded(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run("recovery="+strconv.FormatBool(on), func(b *testing.B) {
			o := hub.Options{}
			if on {
				o.Recovery = &hub.RecoveryOptions{}
			}
			srv, err := hub.New(o)
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = srv.Shutdown(context.Background()) }()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				_ = srv.To("nobody").Emit("tick", i, fmt.Sprint("x"))
			}
		})
	}
}
