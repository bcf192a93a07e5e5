package hub_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/siogate/siogate/hub"
)

// clusterAdapter plays a multi-node adapter in memory: the namespace's
// sockets are local, and `others` fake servers each answer a
// BroadcastWithAck with a count of one socket and one acknowledgement
// (unless silent), and record server-side emits.
type clusterAdapter struct {
	*hub.MemoryAdapter
	nsp    *hub.Namespace
	others int
	silent bool // the other servers never send their count

	mu      sync.Mutex
	opts    []hub.BroadcastOptions
	emitted []string
}

func (a *clusterAdapter) ServerCount(context.Context) (int, error) { return 1 + a.others, nil }

func (a *clusterAdapter) BroadcastWithAck(p *hub.Packet, opts hub.BroadcastOptions, onCount func(int), onAck func(*hub.Message)) {
	a.mu.Lock()
	a.opts = append(a.opts, opts)
	a.mu.Unlock()
	a.MemoryAdapter.BroadcastWithAck(p, opts, onCount, onAck)
	if a.silent || opts.Local {
		return
	}
	for i := range a.others {
		go func() {
			time.Sleep(20 * time.Millisecond) // after the local answers
			onCount(1)
			onAck(hub.NewRemoteMessage("", [][]byte{[]byte(`"remote"`), {byte('0' + i)}}, nil, nil))
		}()
	}
}

func (a *clusterAdapter) ServerSideEmit(event string, args [][]byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.emitted = append(a.emitted, event+string(slices.Concat(args...)))
	return nil
}

func (a *clusterAdapter) ServerSideEmitWithAck(_ context.Context, event string, args [][]byte) ([]hub.Raw, error) {
	if err := a.ServerSideEmit(event, args); err != nil {
		return nil, err
	}
	return []hub.Raw{hub.Raw(`"pong"`)}, nil
}

func newClusterServer(t *testing.T, others int, silent bool) (*hub.Server, string, func() *clusterAdapter) {
	var (
		mu   sync.Mutex
		last *clusterAdapter
	)
	srv, addr := startServer(t, hub.Options{NewAdapter: func(n *hub.Namespace) hub.Adapter {
		a := &clusterAdapter{MemoryAdapter: hub.NewMemoryAdapter(n), nsp: n, others: others, silent: silent}
		mu.Lock()
		last = a
		mu.Unlock()
		return a
	}})
	return srv, addr, func() *clusterAdapter {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

func TestEmitWithAckWaitsForEveryServer(t *testing.T) {
	srv, addr, adapter := newClusterServer(t, 2, false)
	c := dial(t, addr)
	c.Join("/", "")
	res := make(chan []*hub.Message, 1)
	errs := make(chan error, 1)
	go func() {
		ms, err := srv.To().Timeout(5*time.Second).EmitWithAck(context.Background(), "q")
		res <- ms
		errs <- err
	}()
	p := c.ExpectEvent("q")
	c.Ack("/", p.ID, "local")
	ms := recv(t, res, "EmitWithAck")
	if err := recv(t, errs, "EmitWithAck error"); err != nil {
		t.Fatalf("EmitWithAck: %v", err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, string(m.Arg(0)))
		if m.Socket() == nil && m.Len() != 2 {
			t.Errorf("remote reply has %d args", m.Len())
		}
	}
	slices.Sort(got)
	if want := []string{`"local"`, `"remote"`, `"remote"`}; !slices.Equal(got, want) {
		t.Fatalf("replies %q, want %q", got, want)
	}
	a := adapter()
	a.mu.Lock()
	opts := a.opts[0]
	a.mu.Unlock()
	if opts.Timeout <= 4*time.Second || opts.Timeout > 5*time.Second {
		t.Fatalf("BroadcastOptions.Timeout = %v, want about 5s", opts.Timeout)
	}
}

func TestEmitWithAckMissingServerTimesOut(t *testing.T) {
	srv, addr, _ := newClusterServer(t, 1, true)
	c := dial(t, addr)
	c.Join("/", "")
	res := make(chan error, 1)
	go func() {
		_, err := srv.To().Timeout(300*time.Millisecond).EmitWithAck(context.Background(), "q")
		res <- err
	}()
	p := c.ExpectEvent("q")
	c.Ack("/", p.ID, "local")
	if err := recv(t, res, "EmitWithAck"); !errors.Is(err, hub.ErrAckTimeout) {
		t.Fatalf("err = %v, want ErrAckTimeout (one server never counted)", err)
	}
	// Local(): this server only, no wait for the others.
	go func() {
		_, err := srv.Of("/").Local().Timeout(5*time.Second).EmitWithAck(context.Background(), "q")
		res <- err
	}()
	p = c.ExpectEvent("q")
	c.Ack("/", p.ID, "local")
	if err := recv(t, res, "Local EmitWithAck"); err != nil {
		t.Fatalf("Local EmitWithAck: %v", err)
	}
}

func TestServerSideEmit(t *testing.T) {
	srv, _, adapter := newClusterServer(t, 1, false)
	if err := srv.ServerSideEmit("hello", "w", 1, hub.Raw(`{"a":1}`), nil, []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	a := adapter()
	a.mu.Lock()
	got := slices.Clone(a.emitted)
	a.mu.Unlock()
	if want := []string{`hello"w"1{"a":1}null"AQI="`}; !slices.Equal(got, want) {
		t.Fatalf("emitted %q, want %q", got, want)
	}
	replies, err := srv.ServerSideEmitWithAck(context.Background(), "ping")
	if err != nil || len(replies) != 1 || string(replies[0]) != `"pong"` {
		t.Fatalf("ServerSideEmitWithAck = %q, %v", replies, err)
	}
	if err := srv.ServerSideEmit("disconnect"); !errors.Is(err, hub.ErrReservedEvent) {
		t.Fatalf("reserved name: %v", err)
	}
	if err := srv.ServerSideEmit("x", func() {}); err == nil {
		t.Fatal("unencodable argument accepted")
	}
}

func TestServerSideEmitSingleNode(t *testing.T) {
	srv, _ := startServer(t, hub.Options{})
	if err := srv.ServerSideEmit("hello", 1); err != nil {
		t.Fatal(err)
	}
	replies, err := srv.ServerSideEmitWithAck(context.Background(), "ping")
	if err != nil || replies != nil {
		t.Fatalf("single node: %q, %v; want no replies, no error", replies, err)
	}
}

func TestHandleServerSideEmit(t *testing.T) {
	srv, _ := startServer(t, hub.Options{})
	nsp := srv.Of("/")
	type call struct {
		event, arg string
		wants      bool
	}
	calls := make(chan call, 4)
	srv.OnServerSideEmit("hello", func(m *hub.Message) {
		var s string
		_ = m.Decode(&s)
		calls <- call{m.Event, s, m.WantsAck()}
		if m.Socket() != nil {
			t.Error("server-side message has a socket")
		}
		if m.WantsAck() {
			if err := m.Ack("pong", "ignored"); err != nil {
				t.Errorf("Ack: %v", err)
			}
			if err := m.Ack("again"); !errors.Is(err, hub.ErrAlreadyAcked) {
				t.Errorf("second Ack: %v", err)
			}
		} else if err := m.Ack(1); !errors.Is(err, hub.ErrNoAck) {
			t.Errorf("Ack without reply: %v", err)
		}
	})
	srv.OnServerSideEmit("boom", func(*hub.Message) { panic("boom") })

	nsp.HandleServerSideEmit(hub.NewRemoteMessage("nobody", nil, nil, nil)) // no handler: dropped
	nsp.HandleServerSideEmit(hub.NewRemoteMessage("boom", nil, nil, nil))
	nsp.HandleServerSideEmit(hub.NewRemoteMessage("hello", [][]byte{[]byte(`"a"`)}, nil, nil))
	replies := make(chan string, 1)
	nsp.HandleServerSideEmit(hub.NewRemoteMessage("hello", [][]byte{[]byte(`"b"`)}, nil, func(raw, atts [][]byte) error {
		replies <- string(slices.Concat(raw...))
		return nil
	}))
	if c := recv(t, calls, "first call"); c != (call{"hello", "a", false}) {
		t.Fatalf("first call %+v", c)
	}
	if c := recv(t, calls, "second call"); c != (call{"hello", "b", true}) {
		t.Fatalf("second call %+v", c)
	}
	if r := recv(t, replies, "reply"); r != `"pong""ignored"` {
		t.Fatalf("reply %q", r)
	}
	waitFor(t, "the panic to be counted", func() bool { return srv.Stats().HandlerPanics == 1 })
}

func TestNextAckIDAndHasRoom(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	nsp := srv.Of("/")
	a, b := nsp.NextAckID(), nsp.NextAckID()
	if b <= a || a < 0 {
		t.Fatalf("NextAckID: %d then %d", a, b)
	}
	c := dial(t, addr)
	sid := c.Join("/", "")
	s := socketOf(t, srv, "/", sid)
	s.Join("r")
	mem, ok := nsp.Adapter().(*hub.MemoryAdapter)
	if !ok {
		t.Fatalf("adapter %T", nsp.Adapter())
	}
	for room, want := range map[string]bool{"r": true, sid: true, "other": false, "": false} {
		if got := mem.HasRoom(room); got != want {
			t.Errorf("HasRoom(%q) = %v, want %v", room, got, want)
		}
	}
	s.Leave("r")
	if mem.HasRoom("r") {
		t.Error("HasRoom after the last member left")
	}
}
