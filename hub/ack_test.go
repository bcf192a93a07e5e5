package hub_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/siotest"
)

type ackResult struct {
	m   *hub.Message
	err error
}

// emitWithAck runs s.EmitWithAck on its own goroutine.
func emitWithAck(ctx context.Context, s *hub.Socket, event string, args ...any) <-chan ackResult {
	ch := make(chan ackResult, 1)
	go func() {
		m, err := s.EmitWithAck(ctx, event, args...)
		ch <- ackResult{m, err}
	}()
	return ch
}

func TestEmitWithAck(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	c := dial(t, addr)
	s := socketOf(t, srv, "/", c.Join("/", ""))

	res := emitWithAck(t.Context(), s, "question", "a", 1)
	p := c.ExpectEvent("question")
	if p.ID < 0 || p.Text != `2`+siotest.IDText(p.ID)+`["question","a",1]` {
		t.Fatalf("event %q", p.Text)
	}
	c.Ack("/", p.ID, "answer", 42)
	r := recv(t, res, "EmitWithAck")
	if r.err != nil {
		t.Fatal(r.err)
	}
	var (
		text string
		n    int
	)
	if err := r.m.Decode(&text, &n); err != nil || text != "answer" || n != 42 || r.m.Event != "" || r.m.Len() != 2 || r.m.WantsAck() {
		t.Fatalf("ack %q %d (%v), event %q len %d", text, n, err, r.m.Event, r.m.Len())
	}

	// A binary acknowledgement.
	res = emitWithAck(t.Context(), s, "file")
	p = c.ExpectEvent("file")
	c.SendText("61-" + siotest.IDText(p.ID) + `[{"_placeholder":true,"num":0}]`)
	c.SendBinary([]byte{1, 2})
	r = recv(t, res, "EmitWithAck")
	var b []byte
	if r.err != nil || r.m.Decode(&b) != nil || string(b) != "\x01\x02" || len(r.m.Attachments()) != 1 {
		t.Fatalf("binary ack: %v %q", r.err, b)
	}
}

func TestEmitWithAckTimeout(t *testing.T) {
	srv, addr := startServer(t, hub.Options{AckTimeout: 100 * time.Millisecond})
	srv.On("ping", func(_ *hub.Socket, m *hub.Message) { _ = m.Ack("pong") })
	c := dial(t, addr)
	s := socketOf(t, srv, "/", c.Join("/", ""))

	t.Run("context deadline", func(t *testing.T) {
		c.Fatalf = t.Fatalf
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		res := emitWithAck(ctx, s, "q")
		p := c.ExpectEvent("q")
		r := recv(t, res, "EmitWithAck")
		if !errors.Is(r.err, hub.ErrAckTimeout) || !errors.Is(r.err, context.DeadlineExceeded) || r.m != nil {
			t.Fatalf("got %v, want ErrAckTimeout and DeadlineExceeded", r.err)
		}
		c.Ack("/", p.ID, "late") // ignored
	})
	t.Run("Options.AckTimeout", func(t *testing.T) {
		c.Fatalf = t.Fatalf
		res := emitWithAck(context.Background(), s, "q")
		c.ExpectEvent("q")
		if r := recv(t, res, "EmitWithAck"); !errors.Is(r.err, hub.ErrAckTimeout) {
			t.Fatalf("got %v, want ErrAckTimeout", r.err)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		c.Fatalf = t.Fatalf
		ctx, cancel := context.WithCancel(context.Background())
		res := emitWithAck(ctx, s, "q")
		c.ExpectEvent("q")
		cancel()
		if r := recv(t, res, "EmitWithAck"); !errors.Is(r.err, hub.ErrAckTimeout) || !errors.Is(r.err, context.Canceled) {
			t.Fatalf("got %v, want ErrAckTimeout and Canceled", r.err)
		}
	})
	c.Fatalf = t.Fatalf
	c.Emit("/", 1, "ping")
	c.Expect(`31["pong"]`)
}

func TestEmitWithAckDisconnected(t *testing.T) {
	cases := []struct {
		name  string
		leave func(c *client)
	}{
		{"namespace disconnect", func(c *client) { c.Leave("/") }},
		{"transport close", func(c *client) { c.Close() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, addr := startServer(t, hub.Options{})
			c := dial(t, addr)
			s := socketOf(t, srv, "/", c.Join("/", ""))
			res := emitWithAck(t.Context(), s, "q")
			c.ExpectEvent("q")
			tc.leave(c)
			r := recv(t, res, "EmitWithAck")
			if !errors.Is(r.err, hub.ErrDisconnected) {
				t.Fatalf("got %v, want ErrDisconnected", r.err)
			}
			if _, err := s.EmitWithAck(t.Context(), "again"); !errors.Is(err, hub.ErrDisconnected) {
				t.Fatalf("after disconnect: %v, want ErrDisconnected", err)
			}
		})
	}
}

// TestEmitWithAckInHandler: a handler may wait for an acknowledgement of
// its own client: acks are resolved outside the client's mailbox.
func TestEmitWithAckInHandler(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	srv.On("ask", func(s *hub.Socket, m *hub.Message) {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		reply, err := s.EmitWithAck(ctx, "question", "?")
		if err != nil {
			_ = m.Ack(hub.Err(err))
			return
		}
		_ = m.Ack("client said", reply.Arg(0))
	})
	c := dial(t, addr)
	c.Join("/", "")
	c.Emit("/", 1, "ask")
	p := c.ExpectEvent("question")
	c.Ack("/", p.ID, 42)
	c.Expect(`31["client said",42]`)
}

type acksResult struct {
	ms  []*hub.Message
	err error
}

func broadcastWithAck(ctx context.Context, op hub.BroadcastOperator, event string) <-chan acksResult {
	ch := make(chan acksResult, 1)
	go func() {
		ms, err := op.EmitWithAck(ctx, event)
		ch <- acksResult{ms, err}
	}()
	return ch
}

func ackValues(t *testing.T, ms []*hub.Message) []string {
	t.Helper()
	var out []string
	for _, m := range ms {
		var v string
		if err := m.Decode(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func TestBroadcastEmitWithAck(t *testing.T) {
	srv, addr, hooks := hookedServer(t)
	srv.On("sync", func(_ *hub.Socket, m *hub.Message) { _ = m.Ack() })
	var cs []*client
	for range 3 {
		c := dial(t, addr)
		socketOf(t, srv, "/", c.Join("/", "")).Join("all")
		cs = append(cs, c)
	}

	t.Run("all answer", func(t *testing.T) {
		res := broadcastWithAck(t.Context(), srv.To("all").Timeout(time.Minute), "q")
		for i, c := range cs {
			c.Fatalf = t.Fatalf
			p := c.ExpectEvent("q")
			c.Ack("/", p.ID, string(rune('a'+i)))
		}
		r := recv(t, res, "EmitWithAck")
		if r.err != nil || !slices.Equal(ackValues(t, r.ms), []string{"a", "b", "c"}) {
			t.Fatalf("got %v %v", ackValues(t, r.ms), r.err)
		}
	})

	// One client never answers: the wait ends with what arrived and
	// ErrAckTimeout. The answers are known to be in before the wait is
	// cut short: each answering client follows its ack with an event whose
	// own ack comes back, and a connection's packets are handled in order.
	t.Run("partial", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		res := broadcastWithAck(ctx, srv.To("all").Timeout(time.Minute), "q")
		for i, c := range cs {
			c.Fatalf = t.Fatalf
			p := c.ExpectEvent("q")
			if i == 2 {
				continue
			}
			c.Ack("/", p.ID, string(rune('a'+i)))
			c.Emit("/", 100, "sync")
			c.Expect(`3100[]`)
		}
		cancel()
		r := recv(t, res, "EmitWithAck")
		if !errors.Is(r.err, hub.ErrAckTimeout) || !slices.Equal(ackValues(t, r.ms), []string{"a", "b"}) {
			t.Fatalf("got %v %v, want [a b] and ErrAckTimeout", ackValues(t, r.ms), r.err)
		}
	})

	t.Run("Timeout with no answer", func(t *testing.T) {
		res := broadcastWithAck(t.Context(), srv.To("all").Timeout(100*time.Millisecond), "q")
		for _, c := range cs {
			c.Fatalf = t.Fatalf
			c.ExpectEvent("q")
		}
		r := recv(t, res, "EmitWithAck")
		if !errors.Is(r.err, hub.ErrAckTimeout) || len(r.ms) != 0 {
			t.Fatalf("got %d acks, %v; want none and ErrAckTimeout", len(r.ms), r.err)
		}
	})

	t.Run("nobody selected", func(t *testing.T) {
		r := recv(t, broadcastWithAck(t.Context(), srv.To("empty").Timeout(time.Minute), "q"), "EmitWithAck")
		if r.err != nil || len(r.ms) != 0 {
			t.Fatalf("got %d acks, %v", len(r.ms), r.err)
		}
	})

	// A socket that leaves is not waited for.
	t.Run("one leaves", func(t *testing.T) {
		for len(hooks.counted) > 0 {
			<-hooks.counted // earlier broadcasts
		}
		res := broadcastWithAck(t.Context(), srv.To("all").Timeout(time.Minute), "q")
		recv(t, hooks.counted, "onCount") // the broadcast knows how many answers to expect
		for i, c := range cs {
			c.Fatalf = t.Fatalf
			p := c.ExpectEvent("q")
			if i == 2 {
				c.Leave("/")
				continue
			}
			c.Ack("/", p.ID, string(rune('a'+i)))
		}
		r := recv(t, res, "EmitWithAck")
		if r.err != nil || !slices.Equal(ackValues(t, r.ms), []string{"a", "b"}) {
			t.Fatalf("got %v %v, want [a b] and no error", ackValues(t, r.ms), r.err)
		}
	})
}

// hookAdapter is the in-memory adapter with a hook on the count that
// BroadcastWithAck reports, which a multi-node adapter reports late.
type hookAdapter struct {
	*hub.MemoryAdapter
	beforeCount func()   // runs before the count is reported
	counted     chan int // receives each count, once reported
}

func (a *hookAdapter) BroadcastWithAck(p *hub.Packet, opts hub.BroadcastOptions, onCount func(int), onAck func(*hub.Message)) {
	a.MemoryAdapter.BroadcastWithAck(p, opts, func(n int) {
		if a.beforeCount != nil {
			a.beforeCount()
		}
		onCount(n)
		a.counted <- n
	}, onAck)
}

// hookedServer starts a server whose "/" has a hookAdapter.
func hookedServer(t *testing.T) (*hub.Server, string, *hookAdapter) {
	var root *hookAdapter
	srv, addr := startServer(t, hub.Options{NewAdapter: func(nsp *hub.Namespace) hub.Adapter {
		a := &hookAdapter{MemoryAdapter: hub.NewMemoryAdapter(nsp), counted: make(chan int, 16)}
		if nsp.Name() == "/" {
			root = a
		}
		return a
	}})
	return srv, addr, root
}

// TestBroadcastEmitWithAckLeaveBeforeCount: a selected socket that leaves
// before the adapter has reported how many sockets it reached (the normal
// case with a multi-node adapter, whose nodes answer late) must not be
// waited for either.
func TestBroadcastEmitWithAckLeaveBeforeCount(t *testing.T) {
	srv, addr, hooks := hookedServer(t)
	gone := make(chan struct{}, 4)
	srv.OnDisconnect(func(*hub.Socket, hub.Reason) { gone <- struct{}{} })
	var cs []*client
	var leaver *hub.Socket
	for range 3 {
		c := dial(t, addr)
		leaver = socketOf(t, srv, "/", c.Join("/", ""))
		cs = append(cs, c)
	}
	hooks.beforeCount = func() {
		leaver.Disconnect(false)
		<-gone // its pending acks have been failed
	}
	res := broadcastWithAck(t.Context(), srv.To().Timeout(time.Minute), "q")
	for i, c := range cs[:2] {
		p := c.ExpectEvent("q")
		c.Ack("/", p.ID, string(rune('a'+i)))
	}
	r := recv(t, res, "EmitWithAck")
	if r.err != nil || !slices.Equal(ackValues(t, r.ms), []string{"a", "b"}) {
		t.Fatalf("got %v %v, want [a b] and no error", ackValues(t, r.ms), r.err)
	}
}

// TestBroadcastEmitWithAckDefaultTimeout: with no Timeout and no deadline
// on ctx, a broadcast waits Options.AckTimeout, as the option documents.
func TestBroadcastEmitWithAckDefaultTimeout(t *testing.T) {
	srv, addr := startServer(t, hub.Options{AckTimeout: 100 * time.Millisecond})
	c := dial(t, addr)
	c.Join("/", "")
	res := broadcastWithAck(context.Background(), srv.To(), "q")
	c.ExpectEvent("q")
	r := recv(t, res, "EmitWithAck") // waitTimeout (10 s) < the hard-coded 30 s
	if !errors.Is(r.err, hub.ErrAckTimeout) {
		t.Fatalf("got %v, want ErrAckTimeout", r.err)
	}
}
