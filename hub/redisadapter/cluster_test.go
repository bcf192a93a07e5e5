package redisadapter_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/redisadapter"
	"github.com/siogate/siogate/hub/siotest"
)

// twoNodes starts two siogate servers on one Redis and key.
func twoNodes(t *testing.T, setup func(*hub.Server)) (*node, *node) {
	t.Helper()
	o := redisadapter.Options{URL: redisURL(t), Key: testKey(t), RequestTimeout: 3 * time.Second}
	a := startNode(t, o, hub.Options{}, setup)
	b := startNode(t, o, hub.Options{}, setup)
	waitServers(t, a.srv, "/", 2)
	waitServers(t, b.srv, "/", 2)
	return a, b
}

func TestClusterBroadcast(t *testing.T) {
	a, b := twoNodes(t, func(srv *hub.Server) {
		// A client asks its server to relay to a room, skipping itself.
		srv.On("relay", func(s *hub.Socket, m *hub.Message) {
			var room string
			_ = m.Decode(&room)
			_ = s.To(room).Emit("relayed", s.ID())
		})
	})
	a1, a2 := join(t, a, "r"), join(t, a)
	b1, b2 := join(t, b, "r"), join(t, b, "other")
	all := []peer{a1, a2, b1, b2}

	// Each case's sender then sends "end" to everybody: from one node,
	// messages arrive in order.
	cases := []struct {
		name string
		from *node
		op   func(*hub.Server) hub.BroadcastOperator
		want []int // indexes in all that get one "x"
	}{
		{"room", a, func(s *hub.Server) hub.BroadcastOperator { return s.To("r") }, []int{0, 2}},
		{"room from the other node", b, func(s *hub.Server) hub.BroadcastOperator { return s.To("r") }, []int{0, 2}},
		{"room except a remote sid", a, func(s *hub.Server) hub.BroadcastOperator { return s.To("r").Except(b1.sid) }, []int{0}},
		{"everybody except a room", a, func(s *hub.Server) hub.BroadcastOperator { return s.Except("r") }, []int{1, 3}},
		{"two rooms", b, func(s *hub.Server) hub.BroadcastOperator { return s.To("r", "other") }, []int{0, 2, 3}},
		{"to a remote sid", a, func(s *hub.Server) hub.BroadcastOperator { return s.To(b2.sid) }, []int{3}},
		{"to a remote sid and a room", a, func(s *hub.Server) hub.BroadcastOperator { return s.To(b2.sid, "r") }, []int{0, 2, 3}},
		{"to a room nobody holds", a, func(s *hub.Server) hub.BroadcastOperator { return s.To("nobody") }, nil},
		{"local only", a, func(s *hub.Server) hub.BroadcastOperator { return s.Of("/").Local() }, []int{0, 1}},
		{"volatile", b, func(s *hub.Server) hub.BroadcastOperator { return s.Of("/").Volatile().To("r") }, []int{0, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.op(c.from.srv).Emit("x", 1); err != nil {
				t.Fatal(err)
			}
			_ = c.from.srv.Emit("end")
			for i, p := range all {
				got := until(t, p)
				want := 0
				if slices.Contains(c.want, i) {
					want = 1
				}
				if len(got) != want || (want == 1 && got[0] != `2["x",1]`) {
					t.Errorf("peer %d got %q, want %d x", i, got, want)
				}
			}
		})
	}

	t.Run("socket.To from a handler", func(t *testing.T) {
		use(t, a1, b1)
		b1.c.Emit("/", -1, "relay", "r")
		if p := a1.c.ExpectEvent("relayed"); p.Data != `["relayed","`+b1.sid+`"]` {
			t.Fatalf("a1 got %q", p.Text)
		}
		_ = b.srv.Emit("end")
		if got := until(t, b1); len(got) != 0 {
			t.Fatalf("the sender got %q", got)
		}
		until(t, a1)
	})

	t.Run("binary", func(t *testing.T) {
		use(t, a1, b1)
		_ = a.srv.To("r").Emit("bin", []byte{1, 2, 3}, map[string]any{"n": 1})
		p := b1.c.ExpectEvent("bin")
		if p.Text != `51-["bin",{"_placeholder":true,"num":0},{"n":1}]` || len(p.Atts) != 1 || string(p.Atts[0]) != "\x01\x02\x03" {
			t.Fatalf("b1 got %q %q", p.Text, p.Atts)
		}
		a1.c.ExpectEvent("bin")
	})

	t.Run("other namespace", func(t *testing.T) {
		use(t, b1)
		a.srv.Of("/chat")
		ctx, cancel := context.WithTimeout(context.Background(), siotest.WaitTimeout)
		defer cancel()
		if err := adapterOf(t, b.srv, "/chat").WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
		if err := adapterOf(t, a.srv, "/chat").WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
		sid := b1.c.Join("/chat", "")
		socketOf(t, b.srv, "/chat", sid).Join("r")
		_ = a.srv.Of("/chat").To("r").Emit("x", "chat")
		if p := b1.c.ExpectEvent("x"); p.Text != `2/chat,["x","chat"]` {
			t.Fatalf("got %q", p.Text)
		}
		// "/" broadcasts do not leak into /chat and the other way round.
		_ = a.srv.Emit("end")
		if got := until(t, b1); len(got) != 0 {
			t.Fatalf("b1 got %q", got)
		}
	})

	st := a.bus.Stats()
	if !st.Connected || st.Published == 0 || st.PublishFailed != 0 || st.DecodeErrors != 0 {
		t.Errorf("stats of a: %+v", st)
	}
	if st := b.bus.Stats(); st.Delivered == 0 || st.Skipped == 0 {
		t.Errorf("stats of b (rooms it does not hold are skipped): %+v", st)
	}
}

func TestClusterFetchSocketsAndRooms(t *testing.T) {
	a, b := twoNodes(t, nil)
	a1, b1, b2 := join(t, a, "r"), join(t, b, "r"), join(t, b)
	socketOf(t, b.srv, "/", b1.sid).Set("user", "bob")

	ctx := context.Background()
	infos, err := a.srv.In("r").FetchSockets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]hub.SocketInfo{}
	for _, info := range infos {
		ids[info.ID] = info
	}
	if len(infos) != 2 || ids[a1.sid].ID == "" || ids[b1.sid].ID == "" {
		t.Fatalf("FetchSockets(r) = %+v", infos)
	}
	remote := ids[b1.sid]
	if remote.Data["user"] != "bob" || !slices.Equal(remote.Rooms, []string{b1.sid, "r"}) ||
		remote.Handshake.Query.Get("transport") != "websocket" || remote.Handshake.Address == "" || remote.Handshake.Issued == 0 {
		t.Errorf("remote socket %+v", remote)
	}
	all, err := a.srv.To().FetchSockets(ctx)
	if err != nil || len(all) != 3 {
		t.Fatalf("FetchSockets() = %d sockets, %v", len(all), err)
	}
	if local, err := a.srv.Of("/").Local().FetchSockets(ctx); err != nil || len(local) != 1 {
		t.Fatalf("Local().FetchSockets() = %d sockets, %v", len(local), err)
	}
	if ex, err := a.srv.Except(b1.sid).FetchSockets(ctx); err != nil || len(ex) != 2 {
		t.Fatalf("Except(b1).FetchSockets() = %d sockets, %v", len(ex), err)
	}

	// SocketsJoin / SocketsLeave across nodes, then a broadcast to the
	// new room.
	a.srv.In(b2.sid).SocketsJoin("joined", "j2")
	siotest.WaitFor(t, "b2 to join", func() bool {
		return slices.Contains(socketOf(t, b.srv, "/", b2.sid).Rooms(), "joined")
	})
	_ = a.srv.To("joined").Emit("x")
	b2.c.ExpectEvent("x")
	a.srv.In("joined").SocketsLeave("j2")
	siotest.WaitFor(t, "b2 to leave j2", func() bool {
		return !slices.Contains(socketOf(t, b.srv, "/", b2.sid).Rooms(), "j2")
	})
	a.srv.Of("/").CloseRoom("r")
	siotest.WaitFor(t, "r to close on both nodes", func() bool {
		return len(b.srv.Of("/").Adapter().Rooms()) == 1 && len(a.srv.Of("/").Adapter().Rooms()) == 0
	})

	// DisconnectSockets across nodes.
	a.srv.In("joined").DisconnectSockets(false)
	if p := b2.c.Next(); p.Type != '1' {
		t.Fatalf("b2 got %q, want DISCONNECT", p.Text)
	}
	siotest.WaitFor(t, "b2 to be gone", func() bool { return b.srv.Of("/").Socket(b2.sid) == nil })
	if a.bus.Stats().RequestsSent == 0 || b.bus.Stats().RequestsReceived == 0 {
		t.Errorf("stats: a %+v, b %+v", a.bus.Stats(), b.bus.Stats())
	}
}

func TestClusterEmitWithAck(t *testing.T) {
	a, b := twoNodes(t, nil)
	a1, b1, b2 := join(t, a, "r"), join(t, b, "r"), join(t, b, "r")

	type result struct {
		ms  []*hub.Message
		err error
		d   time.Duration
	}
	ask := func(op hub.BroadcastOperator) <-chan result {
		ch := make(chan result, 1)
		go func() {
			start := time.Now()
			ms, err := op.EmitWithAck(context.Background(), "q", "?")
			ch <- result{ms, err, time.Since(start)}
		}()
		return ch
	}
	res := ask(a.srv.To("r").Timeout(5 * time.Second))
	for _, p := range []peer{a1, b1, b2} {
		pk := p.c.ExpectEvent("q")
		p.c.Ack("/", pk.ID, "from "+p.sid, "a second argument (dropped across nodes, as in Node)")
	}
	r := siotest.Recv(t, res, "EmitWithAck")
	if r.err != nil {
		t.Fatalf("EmitWithAck: %v", r.err)
	}
	if r.d > 3*time.Second {
		t.Errorf("EmitWithAck took %v: it should end when every answer is in", r.d)
	}
	var got []string
	for _, m := range r.ms {
		var s string
		_ = m.Decode(&s)
		got = append(got, s)
	}
	slices.Sort(got)
	want := []string{"from " + a1.sid, "from " + b1.sid, "from " + b2.sid}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("answers %q, want %q", got, want)
	}

	// A remote client that does not answer: the answers in time, and
	// ErrAckTimeout.
	res = ask(a.srv.To("r").Timeout(700 * time.Millisecond))
	for _, p := range []peer{a1, b1, b2} {
		pk := p.c.ExpectEvent("q")
		if p != b2 {
			p.c.Ack("/", pk.ID, "ok")
		}
	}
	r = siotest.Recv(t, res, "EmitWithAck")
	if !errors.Is(r.err, hub.ErrAckTimeout) || len(r.ms) != 2 {
		t.Fatalf("EmitWithAck = %d answers, %v; want 2 and ErrAckTimeout", len(r.ms), r.err)
	}
}

func TestClusterServerSideEmit(t *testing.T) {
	got := make(chan string, 8)
	a, b := twoNodes(t, func(srv *hub.Server) {
		srv.OnServerSideEmit("hello", func(m *hub.Message) {
			var s string
			_ = m.Decode(&s)
			got <- s
		})
		srv.OnServerSideEmit("ping", func(m *hub.Message) {
			var n int
			_ = m.Decode(&n)
			_ = m.Ack(map[string]int{"pong": n + 1})
		})
	})
	if err := a.srv.ServerSideEmit("hello", "from a"); err != nil {
		t.Fatal(err)
	}
	if s := siotest.Recv(t, got, "server-side event"); s != "from a" {
		t.Fatalf("got %q", s)
	}
	replies, err := b.srv.ServerSideEmitWithAck(context.Background(), "ping", 41)
	if err != nil || len(replies) != 1 || string(replies[0]) != `{"pong":42}` {
		t.Fatalf("ServerSideEmitWithAck = %q, %v", replies, err)
	}
	select {
	case s := <-got:
		t.Fatalf("the sender heard its own event %q", s)
	case <-time.After(100 * time.Millisecond):
	}
	// No handler on the other node: it does not answer (as in Node).
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	replies, err = a.srv.ServerSideEmitWithAck(ctx, "nobody")
	if !errors.Is(err, redisadapter.ErrRequestTimeout) || len(replies) != 0 {
		t.Fatalf("unanswered: %q, %v", replies, err)
	}
	if !strings.Contains(err.Error(), "0 of 1") {
		t.Errorf("error %q does not say how many answered", err)
	}
}

// TestAnswersRawRequests sends, by hand, the requests only older Node
// adapters (or direct users of the bus) send: SOCKETS, ALL_ROOMS and the
// one-socket forms of REMOTE_JOIN / REMOTE_LEAVE / REMOTE_DISCONNECT.
func TestAnswersRawRequests(t *testing.T) {
	url, key := redisURL(t), testKey(t)
	n := startNode(t, redisadapter.Options{URL: url, Key: key}, hub.Options{}, nil)
	p1, p2 := join(t, n, "r"), join(t, n)

	opt, _ := redis.ParseURL(url)
	rc := redis.NewClient(opt)
	defer rc.Close()
	ctx := context.Background()
	sub := rc.Subscribe(ctx, key+"-response#/#")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscription confirmation
		t.Fatal(err)
	}
	ask := func(req string) map[string]any {
		t.Helper()
		if err := rc.Publish(ctx, key+"-request#/#", req).Err(); err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithTimeout(ctx, siotest.WaitTimeout)
		defer cancel()
		m, err := sub.ReceiveMessage(rctx)
		if err != nil {
			t.Fatalf("no answer to %s: %v", req, err)
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(m.Payload), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if r := ask(`{"uid":"other","requestId":"q1","type":0,"rooms":["r"]}`); r["requestId"] != "q1" || !equalJSON(r["sockets"], []any{p1.sid}) {
		t.Errorf("SOCKETS: %v", r)
	}
	r := ask(`{"uid":"other","requestId":"q2","type":1}`)
	rooms, _ := r["rooms"].([]any)
	if r["requestId"] != "q2" || !slices.Contains(rooms, any("r")) || !slices.Contains(rooms, any(p1.sid)) || !slices.Contains(rooms, any(p2.sid)) {
		t.Errorf("ALL_ROOMS: %v", r)
	}
	if r := ask(`{"uid":"other","requestId":"q3","type":2,"sid":"` + p2.sid + `","room":7}`); r["requestId"] != "q3" {
		t.Errorf("REMOTE_JOIN: %v", r)
	}
	if rs := socketOf(t, n.srv, "/", p2.sid).Rooms(); !slices.Contains(rs, "7") {
		t.Errorf("after REMOTE_JOIN: rooms %q", rs)
	}
	if r := ask(`{"uid":"other","requestId":"q4","type":3,"sid":"` + p2.sid + `","room":"7"}`); r["requestId"] != "q4" {
		t.Errorf("REMOTE_LEAVE: %v", r)
	}
	if rs := socketOf(t, n.srv, "/", p2.sid).Rooms(); slices.Contains(rs, "7") {
		t.Errorf("after REMOTE_LEAVE: rooms %q", rs)
	}
	if r := ask(`{"uid":"other","requestId":"q5","type":4,"sid":"` + p2.sid + `","close":true}`); r["requestId"] != "q5" {
		t.Errorf("REMOTE_DISCONNECT: %v", r)
	}
	p2.c.WaitClosed()

	// Garbage is counted and ignored; the node still answers afterwards.
	for _, junk := range []string{"", "{", "\xc1", `{"type":5}`, `{"type":6,"data":"x"}`} {
		_ = rc.Publish(ctx, key+"-request#/#", junk).Err()
		_ = rc.Publish(ctx, key+"#/#", junk).Err()
	}
	if r := ask(`{"uid":"other","requestId":"q6","type":0,"rooms":[]}`); r["requestId"] != "q6" {
		t.Errorf("after junk: %v", r)
	}
	if st := n.bus.Stats(); st.DecodeErrors < 4 {
		t.Errorf("decode errors %d", st.DecodeErrors)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestConcurrentBroadcasts runs broadcasts, joins and fetches from many
// goroutines on both nodes (for the race detector), then checks that
// every broadcast of one sender arrived in order.
func TestConcurrentBroadcasts(t *testing.T) {
	a, b := twoNodes(t, nil)
	b1 := join(t, b, "r")
	const perSender, senders = 200, 4
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perSender {
				_ = a.srv.To("r").Emit("n", s, i)
				if i%50 == 0 {
					a.srv.In("r").SocketsJoin("x")
					_, _ = a.srv.In("x").FetchSockets(context.Background())
				}
			}
		}()
	}
	wg.Wait()
	next := make([]int, senders)
	for range senders * perSender {
		_, args := b1.c.ExpectEvent("n").Event()
		var s, i int
		if len(args) != 2 || json.Unmarshal(args[0], &s) != nil || json.Unmarshal(args[1], &i) != nil {
			t.Fatalf("bad event %q", args)
		}
		if i != next[s] {
			t.Fatalf("sender %d: got %d, want %d (order lost)", s, i, next[s])
		}
		next[s]++
	}
}
