package redisadapter_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/redisadapter"
	"github.com/siogate/siogate/hub/siotest"
)

// startStore starts a Store on the test Redis under key and closes it at
// the end of the test; the test's keys are deleted then.
func startStore(t *testing.T, key string, o redisadapter.StoreOptions) *redisadapter.Store {
	t.Helper()
	o.URL, o.Key = redisURL(t), key
	s, err := redisadapter.NewStore(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("store.Close: %v", err)
		}
	})
	cleanKeys(t, key)
	return s
}

// rawRedis is a plain client on the test Redis, closed at the end of t.
func rawRedis(t *testing.T) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(redisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// cleanKeys deletes the keys under prefix key when t ends.
func cleanKeys(t *testing.T, key string) {
	c := rawRedis(t)
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, key+"*", 100).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
}

func TestStorePackets(t *testing.T) {
	ctx := context.Background()
	s := startStore(t, testKey(t), redisadapter.StoreOptions{})
	in := []hub.StoredPacket{
		{Event: "a", Args: [][]byte{[]byte(`{"x":1}`), []byte(`"two"`)}, Rooms: []string{"r1"}},
		{Event: "b", Args: [][]byte{[]byte(`{"_placeholder":true,"num":0}`)}, Attachments: [][]byte{{0, 1, 2, 255}}},
		{Event: "c", Rooms: []string{"r2"}},                                  // another room
		{Event: "d", Except: []string{"r1"}},                                 // excludes the socket
		{Event: "e", Args: [][]byte{[]byte(`null`)}, Rooms: []string{"sid"}}, // the socket itself
	}
	var offs []string
	for _, p := range in {
		off, err := s.Append("/", p)
		if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, off)
	}
	if _, err := s.Append("/other", hub.StoredPacket{Event: "z"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append("/", hub.StoredPacket{Event: "f"}); err != nil {
		t.Fatal(err)
	}

	got, err := s.Missed(ctx, "/", offs[0], []string{"sid", "r1"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, p.Event)
	}
	if !slices.Equal(names, []string{"b", "e", "f"}) {
		t.Fatalf("missed after a: %v", names)
	}
	b := got[0]
	if b.Offset != offs[1] || len(b.Attachments) != 1 || string(b.Attachments[0]) != "\x00\x01\x02\xff" || string(b.Args[0]) != `{"_placeholder":true,"num":0}` {
		t.Fatalf("binary packet came back as %+v", b)
	}
	if got[1].Offset != offs[4] || string(got[1].Args[0]) != "null" || !slices.Equal(got[1].Rooms, []string{"sid"}) || got[1].Time.IsZero() {
		t.Fatalf("packet e came back as %+v", got[1])
	}
	for _, bad := range []string{"", "nope", "zzz-1", s.UID() + "-zzzz"} {
		if _, err := s.Missed(ctx, "/", bad, []string{"sid"}); !errors.Is(err, hub.ErrOffsetUnknown) {
			t.Errorf("offset %q: %v, want ErrOffsetUnknown", bad, err)
		}
	}
	if st := s.Stats(); st.Appended != 7 || st.Dropped != 0 || st.WriteErrors != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestStoreTrimmed: the stream keeps about MaxLen packets; an offset
// trimmed away is unknown.
func TestStoreTrimmed(t *testing.T) {
	ctx := context.Background()
	s := startStore(t, testKey(t), redisadapter.StoreOptions{MaxLen: 10})
	first, _ := s.Append("/", hub.StoredPacket{Event: "e"})
	var last string
	for range 1000 {
		last, _ = s.Append("/", hub.StoredPacket{Event: "e"})
	}
	if _, err := s.Missed(ctx, "/", first, []string{"s"}); !errors.Is(err, hub.ErrOffsetUnknown) {
		t.Fatalf("trimmed offset: %v", err)
	}
	if got, err := s.Missed(ctx, "/", last, []string{"s"}); err != nil || len(got) != 0 {
		t.Fatalf("newest offset: %v %v", got, err)
	}
}

// TestStoreGap: a node's packet missing from the stream (a write that
// failed) makes a recovery across it fail rather than skip it.
func TestStoreGap(t *testing.T) {
	ctx := context.Background()
	key := testKey(t)
	s := startStore(t, key, redisadapter.StoreOptions{})
	rc := rawRedis(t)
	stream := key + "-stream#/#"
	for _, off := range []string{"nodeA-1", "nodeB-7", "nodeA-2", "nodeB-9", "nodeA-3"} {
		if err := rc.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"o", off, "e", "x", "a", "[]"}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.Missed(ctx, "/", "nodeA-2", []string{"s"}); err != nil || len(got) != 2 {
		t.Fatalf("after nodeA-2: %v %v", got, err)
	}
	_, err := s.Missed(ctx, "/", "nodeA-1", []string{"s"})
	if !errors.Is(err, hub.ErrOffsetUnknown) {
		t.Fatalf("across nodeB-8, never written: %v", err)
	}
}

func TestStoreSessions(t *testing.T) {
	ctx := context.Background()
	key := testKey(t)
	s := startStore(t, key, redisadapter.StoreOptions{})
	sess := hub.Session{PID: "p1", SID: "s1", Nsp: "/", Rooms: []string{"a", "b"}, Data: []byte(`{"user":"ann"}`), Expires: time.Now().Add(time.Minute)}
	if err := s.Save(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Take(ctx, "/chat", "p1"); !errors.Is(err, hub.ErrSessionUnknown) {
		t.Fatalf("other namespace: %v", err)
	}
	got, err := s.Take(ctx, "/", "p1")
	if err != nil || got.SID != "s1" || !slices.Equal(got.Rooms, sess.Rooms) || string(got.Data) != string(sess.Data) || time.Until(got.Expires) < 50*time.Second {
		t.Fatalf("take: %+v %v", got, err)
	}
	if _, err := s.Take(ctx, "/", "p1"); !errors.Is(err, hub.ErrSessionUnknown) {
		t.Fatalf("second take: %v", err)
	}
	// The TTL is the session's remaining lifetime.
	sess.PID, sess.Expires = "p2", time.Now().Add(100*time.Millisecond)
	if err := s.Save(ctx, sess); err != nil {
		t.Fatal(err)
	}
	pttl, err := rawRedis(t).PTTL(ctx, key+"-session#/#p2").Result()
	if err != nil || pttl <= 0 || pttl > 100*time.Millisecond {
		t.Fatalf("PTTL %v %v", pttl, err)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := s.Take(ctx, "/", "p2"); !errors.Is(err, hub.ErrSessionUnknown) {
		t.Fatalf("expired: %v", err)
	}
	if st := s.Stats(); st.Saved != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// TestStoreRecoveryAcrossNodes: two nodes on one Redis (pub/sub adapter
// for delivery, the Store for recovery). A socket on node 1 gets node 2's
// broadcasts, loses node 1 to a shutdown, and recovers on node 2 with its
// id, rooms and data and every broadcast it missed, in order.
func TestStoreRecoveryAcrossNodes(t *testing.T) {
	url, key := redisURL(t), testKey(t)
	cleanKeys(t, key)
	newNode := func() (*node, *redisadapter.Store, chan *hub.Socket) {
		store := startStore(t, key, redisadapter.StoreOptions{})
		connected := make(chan *hub.Socket, 4)
		n := startNode(t, redisadapter.Options{URL: url, Key: key},
			hub.Options{Recovery: &hub.RecoveryOptions{Store: store}},
			func(srv *hub.Server) {
				srv.OnConnect(func(s *hub.Socket, _ hub.Raw) error { connected <- s; return nil })
			})
		return n, store, connected
	}
	n1, store1, conn1 := newNode()
	n2, _, conn2 := newNode()
	waitServers(t, n1.srv, "/", 2)

	c := siotest.Dial(t, n1.addr)
	sid, pid := c.JoinSession("/", "")
	s := siotest.Recv(t, conn1, "connect")
	_ = s.Join("room")
	s.Set("user", "ann")
	_ = n2.srv.To("room").Emit("n", 0) // through pub/sub, offset from node 2
	p := c.ExpectEvent("n")
	off := p.Offset()
	if off == "" {
		t.Fatalf("a broadcast from node 2 has no offset: %q", p.Text)
	}

	ctx, cancel := context.WithTimeout(context.Background(), siotest.WaitTimeout)
	defer cancel()
	if err := n1.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.WaitClosed()
	// As the gateway drains: the store is closed after the hub's shutdown,
	// which sends the sessions it saved.
	if err := store1.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 20; i++ {
		_ = n2.srv.To("room").Emit("n", i)
	}
	c2 := siotest.Dial(t, n2.addr)
	if sid2, pid2 := c2.JoinSession("/", recoverAuth(pid, off)); sid2 != sid || pid2 != pid {
		t.Fatalf("recovered as %s/%s, want %s/%s (%+v)", sid2, pid2, sid, pid, n2.srv.Stats().Recovery)
	}
	s2 := siotest.Recv(t, conn2, "recovered socket")
	if !s2.Recovered() || !slices.Contains(s2.Rooms(), "room") || s2.Get("user") != "ann" {
		t.Fatalf("recovered %v rooms %v user %v", s2.Recovered(), s2.Rooms(), s2.Get("user"))
	}
	for i := 1; i <= 20; i++ {
		var got int
		_, args := c2.ExpectEvent("n").Event()
		if err := json.Unmarshal(args[0], &got); err != nil || got != i {
			t.Fatalf("replayed %s, want %d", args[0], i)
		}
	}
	_ = n2.srv.To("room").Emit("n", "live")
	c2.ExpectEvent("n")
}

func recoverAuth(pid, offset string) string {
	return `{"pid":` + strconv.Quote(pid) + `,"offset":` + strconv.Quote(offset) + `}`
}
