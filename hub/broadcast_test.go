package hub_test

import (
	"context"
	"slices"
	"sort"
	"testing"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/siotest"
)

// peer is a test client with its socket on one namespace.
type peer struct {
	c   *client
	sid string
	s   *hub.Socket
}

// peers connects n clients to nsp; client i joins rooms[i].
func peers(t *testing.T, srv *hub.Server, addr, nsp string, rooms ...[]string) []peer {
	t.Helper()
	out := make([]peer, len(rooms))
	for i, rs := range rooms {
		c := dial(t, addr)
		sid := c.Join(nsp, "")
		s := socketOf(t, srv, nsp, sid)
		s.Join(rs...)
		out[i] = peer{c, sid, s}
	}
	return out
}

// received returns, for each peer, the texts of the packets it got before
// the "end" event that is sent to everyone after the broadcast under test:
// a socket's packets arrive in the order they were sent, so what is not
// there by "end" never comes.
func received(t *testing.T, nsp *hub.Namespace, ps []peer) [][]string {
	t.Helper()
	if err := nsp.Emit("end"); err != nil {
		t.Fatal(err)
	}
	out := make([][]string, len(ps))
	for i, p := range ps {
		p.c.Fatalf = t.Fatalf
		for {
			pk := p.c.Next()
			if pk.Name() == "end" {
				break
			}
			out[i] = append(out[i], pk.Text)
		}
	}
	return out
}

func TestBroadcastSelection(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	ps := peers(t, srv, addr, "/", []string{"a"}, []string{"a", "b"}, []string{"b"}, nil)
	root := srv.Of("/")
	reused := srv.To("a")
	cases := []struct {
		name string
		op   hub.BroadcastOperator
		want []int // peers reached, once each
	}{
		{"To(a)", srv.To("a"), []int{0, 1}},
		{"In(b)", srv.In("b"), []int{1, 2}},
		{"To(a, b) union", srv.To("a", "b"), []int{0, 1, 2}},
		{"To(a).To(b)", srv.To("a").To("b"), []int{0, 1, 2}},
		{"To(a, a)", srv.To("a", "a"), []int{0, 1}},
		{"Except(a)", srv.Except("a"), []int{2, 3}},
		{"To(b).Except(a)", srv.To("b").Except("a"), []int{2}},
		{"Except(a, b)", root.Except("a", "b"), []int{3}},
		{"Except(sid)", srv.Except(ps[3].sid), []int{0, 1, 2}},
		{"To(sid)", srv.To(ps[2].sid), []int{2}},
		{"To(sid, a)", srv.To(ps[2].sid, "a"), []int{0, 1, 2}},
		{"To(sid of a member, a)", srv.To(ps[0].sid, "a"), []int{0, 1}},
		{"To(a).Except(sid)", srv.To("a").Except(ps[0].sid), []int{1}},
		{"To(nobody)", srv.To("nobody"), nil},
		{"To()", srv.To(), []int{0, 1, 2, 3}},
		{"namespace To", root.To("b"), []int{1, 2}},
		{"namespace In", root.In("a"), []int{0, 1}},
		{"Local", root.Local().To("a"), []int{0, 1}},
		{"Socket.To excludes the sender", ps[1].s.To("a"), []int{0}},
		{"Socket.In", ps[1].s.In("b"), []int{2}},
		{"Socket.To(own room)", ps[0].s.To("a"), []int{1}},
		{"Socket.Broadcast", ps[1].s.Broadcast(), []int{0, 2, 3}},
		{"reused operator", reused, []int{0, 1}},
		{"derived operator", reused.Except(ps[1].sid), []int{0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op.Emit("x", tc.name); err != nil {
				t.Fatal(err)
			}
			got := received(t, root, ps)
			want := `2["x",` + string(siotest.MustJSON(t, tc.name)) + `]`
			for i := range ps {
				n := 0
				if slices.Contains(tc.want, i) {
					n = 1
				}
				if len(got[i]) != n || (n == 1 && got[i][0] != want) {
					t.Errorf("peer %d got %q, want %d × %s", i, got[i], n, want)
				}
			}
		})
	}
	// Options reports the selection and does not alias the operator.
	o := srv.To("a").Except("b").Volatile().Options()
	if !slices.Equal(o.Rooms, []string{"a"}) || !slices.Equal(o.Except, []string{"b"}) || !o.Volatile || o.Local {
		t.Fatalf("Options %+v", o)
	}
}

func TestSend(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	ps := peers(t, srv, addr, "/", []string{"r"})
	c := ps[0].c
	if err := srv.Send("all"); err != nil {
		t.Fatal(err)
	}
	c.Expect(`2["message","all"]`)
	if err := ps[0].s.Send("one", 2); err != nil {
		t.Fatal(err)
	}
	c.Expect(`2["message","one",2]`)
	if err := srv.To("r").Send("room"); err != nil {
		t.Fatal(err)
	}
	c.Expect(`2["message","room"]`)
	if err := srv.Of("/").Send(); err != nil {
		t.Fatal(err)
	}
	c.Expect(`2["message"]`)
}

func TestJoinLeaveRooms(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	ps := peers(t, srv, addr, "/", nil, nil)
	s := ps[0].s
	if got := s.Rooms(); !slices.Equal(got, []string{s.ID()}) {
		t.Fatalf("rooms %q, want only the own id", got)
	}
	s.Join("a", "b", "a", s.ID())
	if got := s.Rooms(); !slices.Equal(got, []string{s.ID(), "a", "b"}) {
		t.Fatalf("rooms %q", got)
	}
	ps[1].s.Join("b", "c")
	if got := srv.Of("/").Adapter().Rooms(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("adapter rooms %q", got)
	}
	s.Leave("a")
	s.Leave("zzz")
	if got := s.Rooms(); !slices.Equal(got, []string{s.ID(), "b"}) {
		t.Fatalf("rooms after Leave %q", got)
	}
	if got := srv.Of("/").Adapter().Rooms(); !slices.Equal(got, []string{"b", "c"}) {
		t.Fatalf("adapter rooms %q", got)
	}
	// Leaving the namespace leaves every room.
	ps[1].c.Leave("/")
	waitFor(t, "socket removed", func() bool { return srv.Of("/").Socket(ps[1].sid) == nil })
	if got := srv.Of("/").Adapter().Rooms(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("adapter rooms after leave %q", got)
	}
	ps[1].s.Join("late") // no effect on a disconnected socket
	if got := srv.Of("/").Adapter().Rooms(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("disconnected socket joined: %q", got)
	}
}

func TestNamespacesIndependent(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	srv.Of("/chat")
	c := dial(t, addr)
	root := socketOf(t, srv, "/", c.Join("/", ""))
	chat := socketOf(t, srv, "/chat", c.Join("/chat", ""))
	root.Join("r")
	chat.Join("r")
	if err := srv.To("r").Emit("x", 1); err != nil {
		t.Fatal(err)
	}
	if err := srv.Of("/chat").To("r").Emit("x", 2); err != nil {
		t.Fatal(err)
	}
	if err := srv.Of("/chat").To(root.ID()).Emit("x", 3); err != nil { // an id of another namespace
		t.Fatal(err)
	}
	if err := srv.Emit("end"); err != nil {
		t.Fatal(err)
	}
	c.Expect(`2["x",1]`)
	c.Expect(`2/chat,["x",2]`)
	c.Expect(`2["end"]`)
	if got := srv.Of("/chat").Adapter().Rooms(); !slices.Equal(got, []string{"r"}) {
		t.Fatalf("/chat rooms %q", got)
	}
}

func TestFetchSockets(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	ps := peers(t, srv, addr, "/", []string{"a"}, []string{"b"})
	ps[0].s.Set("user", "ann")
	if ps[0].s.Get("user") != "ann" || ps[1].s.Get("user") != nil {
		t.Fatal("Set/Get")
	}
	infos, err := srv.To("a").FetchSockets(context.Background())
	if err != nil || len(infos) != 1 {
		t.Fatalf("FetchSockets: %d, %v", len(infos), err)
	}
	in := infos[0]
	if in.ID != ps[0].sid || !slices.Equal(in.Rooms, []string{ps[0].sid, "a"}) || in.Data["user"] != "ann" ||
		in.Handshake.Query.Get("EIO") != "4" || in.Handshake.Auth.String() != "{}" {
		t.Fatalf("info %+v", in)
	}
	all, _ := srv.To().FetchSockets(context.Background())
	var ids []string
	for _, in := range all {
		ids = append(ids, in.ID)
	}
	want := []string{ps[0].sid, ps[1].sid}
	sort.Strings(ids)
	sort.Strings(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("ids %q, want %q", ids, want)
	}
}

func TestSocketsJoinLeaveCloseRoom(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	ps := peers(t, srv, addr, "/", []string{"a"}, []string{"a", "b"}, nil)
	srv.To("a").Except("b").SocketsJoin("c", "d")
	srv.To(ps[2].sid).SocketsJoin("d")
	rooms := func(i int) []string { return ps[i].s.Rooms()[1:] }
	if !slices.Equal(rooms(0), []string{"a", "c", "d"}) || !slices.Equal(rooms(1), []string{"a", "b"}) || !slices.Equal(rooms(2), []string{"d"}) {
		t.Fatalf("after SocketsJoin: %q %q %q", rooms(0), rooms(1), rooms(2))
	}
	srv.To("d").SocketsLeave("a", "c")
	if !slices.Equal(rooms(0), []string{"d"}) || !slices.Equal(rooms(1), []string{"a", "b"}) || !slices.Equal(rooms(2), []string{"d"}) {
		t.Fatalf("after SocketsLeave: %q %q %q", rooms(0), rooms(1), rooms(2))
	}
	srv.Of("/").CloseRoom("d", "b")
	if !slices.Equal(rooms(0), nil) || !slices.Equal(rooms(1), []string{"a"}) || !slices.Equal(rooms(2), nil) {
		t.Fatalf("after CloseRoom: %q %q %q", rooms(0), rooms(1), rooms(2))
	}
	if got := srv.Of("/").Adapter().Rooms(); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("adapter rooms %q", got)
	}
}

func TestDisconnectSockets(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	reasons := make(chan string, 4)
	srv.OnDisconnect(func(s *hub.Socket, r hub.Reason) { reasons <- s.ID() + " " + string(r) })
	srv.On("ping", func(_ *hub.Socket, m *hub.Message) { _ = m.Ack("pong") })
	ps := peers(t, srv, addr, "/", []string{"a"}, []string{"b"}, []string{"b"})

	srv.To("a").DisconnectSockets(false)
	ps[0].c.Expect("1")
	if got, want := recv(t, reasons, "OnDisconnect"), ps[0].sid+" server namespace disconnect"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	stillOpen(t, ps[0].c)

	srv.To("b").Except(ps[2].sid).DisconnectSockets(true)
	ps[1].c.WaitClosed()
	if got, want := recv(t, reasons, "OnDisconnect"), ps[1].sid+" forced server close"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	// The others are untouched.
	ps[2].c.Emit("/", 7, "ping")
	ps[2].c.Expect(`37["pong"]`)
	if n := srv.Of("/").Len(); n != 2 {
		t.Fatalf("%d sockets left, want 2", n)
	}
}

func TestVolatile(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	ps := peers(t, srv, addr, "/", []string{"a"})
	// Volatile packets may be dropped, so only the calls are checked.
	if err := ps[0].s.EmitVolatile("v", 1); err != nil {
		t.Fatal(err)
	}
	if err := srv.Of("/").Volatile().Emit("v", 2); err != nil {
		t.Fatal(err)
	}
	if err := srv.To("a").Volatile().Emit("v", []byte{3}); err != nil {
		t.Fatal(err)
	}
}
