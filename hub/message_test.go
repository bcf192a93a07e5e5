package hub_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/siogate/siogate/hub"
)

func TestEventDecode(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	type greet struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	got := make(chan string, 1)
	srv.On("greet", func(s *hub.Socket, m *hub.Message) {
		var (
			g    greet
			k    int
			tail []string
		)
		if err := m.Decode(&g, &k, &tail); err != nil {
			got <- "decode: " + err.Error()
			return
		}
		var only greet
		if err := m.Decode(&only); err != nil || only != g {
			got <- fmt.Sprintf("decode prefix: %v %v", only, err)
			return
		}
		if err := m.Decode(nil, nil, nil, new(int)); err == nil {
			got <- "decode: no error for more targets than arguments"
			return
		}
		if m.Socket() != s || m.Event != "greet" || !m.WantsAck() || m.Len() != 3 || m.Arg(3) != nil || m.Arg(-1) != nil {
			got <- fmt.Sprintf("message: event %q len %d wants ack %v", m.Event, m.Len(), m.WantsAck())
			return
		}
		args := m.Args()
		got <- fmt.Sprintf("%s %d %v | %s | %s %s %s", g.Name, g.N+k, tail, m.Arg(0), args[0], args[1], args[2])
		_ = m.Ack(g)
	})
	c := dial(t, addr)
	c.Join("/", "")
	c.SendText(`27["greet",{"name":"ann","n":3}, 4 ,["x","y"]]`)
	want := `ann 7 [x y] | {"name":"ann","n":3} | {"name":"ann","n":3} 4 ["x","y"]`
	if s := recv(t, got, "handler"); s != want {
		t.Fatalf("handler saw %s\nwant %s", s, want)
	}
	c.Expect(`37[{"name":"ann","n":3}]`)
}

func TestOnAnyRunsFirst(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	var order []string // handlers of one client run one at a time
	done := make(chan struct{})
	srv.Of("/").OnAny(func(_ *hub.Socket, m *hub.Message) { order = append(order, "any:"+m.Event) })
	srv.On("a", func(*hub.Socket, *hub.Message) { order = append(order, "a") })
	srv.On("end", func(*hub.Socket, *hub.Message) { close(done) })
	c := dial(t, addr)
	c.Join("/", "")
	c.Emit("/", -1, "a")
	c.Emit("/", -1, "unhandled")
	c.Emit("/", -1, "end")
	recv(t, done, "end")
	want := []string{"any:a", "a", "any:unhandled", "any:end"}
	if !slices.Equal(order, want) {
		t.Fatalf("order %q, want %q", order, want)
	}
}

func TestMessageAck(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	errs := make(chan [2]error, 1)
	srv.On("twice", func(s *hub.Socket, m *hub.Message) {
		errs <- [2]error{m.Ack("first"), m.Ack("second")}
		_ = s.Emit("done")
	})
	srv.On("noid", func(s *hub.Socket, m *hub.Message) {
		errs <- [2]error{m.Ack("x"), m.AckRaw(nil, nil)}
		if m.WantsAck() {
			_ = s.Emit("wrong")
		}
		_ = s.Emit("done")
	})
	srv.On("fail", func(_ *hub.Socket, m *hub.Message) { _ = m.Ack(hub.Err(errors.New("nope"))) })
	c := dial(t, addr)
	c.Join("/", "")

	c.Emit("/", 4, "twice")
	e := recv(t, errs, "twice")
	if e[0] != nil || !errors.Is(e[1], hub.ErrAlreadyAcked) {
		t.Fatalf("Ack, Ack: %v, %v; want nil, ErrAlreadyAcked", e[0], e[1])
	}
	c.Expect(`34["first"]`)
	c.Expect(`2["done"]`)

	c.Emit("/", -1, "noid")
	e = recv(t, errs, "noid")
	if !errors.Is(e[0], hub.ErrNoAck) || !errors.Is(e[1], hub.ErrNoAck) {
		t.Fatalf("Ack without id: %v, %v; want ErrNoAck", e[0], e[1])
	}
	c.Expect(`2["done"]`)

	c.Emit("/", 5, "fail")
	c.Expect(`35[{"error":"nope"}]`)
}

func TestReservedEvents(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	c := dial(t, addr)
	s := socketOf(t, srv, "/", c.Join("/", ""))
	for _, name := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		t.Run(name, func(t *testing.T) {
			_, ackErr := s.EmitWithAck(t.Context(), name)
			_, bAckErr := srv.To(s.ID()).EmitWithAck(t.Context(), name)
			for i, err := range []error{
				s.Emit(name, 1),
				s.EmitRaw(name, nil, nil),
				ackErr,
				srv.Emit(name),
				srv.To("room").Emit(name),
				s.Broadcast().Emit(name),
				srv.Of("/").Volatile().Emit(name),
				bAckErr,
			} {
				if !errors.Is(err, hub.ErrReservedEvent) {
					t.Errorf("call %d: %v, want ErrReservedEvent", i, err)
				}
			}
		})
	}
	// Nothing reserved was sent.
	if err := s.Emit("ok"); err != nil {
		t.Fatal(err)
	}
	c.Expect(`2["ok"]`)
}

func TestEmitVolatileReserved(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	c := dial(t, addr)
	s := socketOf(t, srv, "/", c.Join("/", ""))
	if err := s.EmitVolatile("disconnect"); !errors.Is(err, hub.ErrReservedEvent) {
		t.Fatalf("EmitVolatile(disconnect): %v, want ErrReservedEvent", err)
	}
}

func TestBinaryEmit(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	srv.Of("/files").On("get", func(s *hub.Socket, m *hub.Message) {
		_ = m.Ack("ok", []byte("ack-bytes"))
	})
	c := dial(t, addr)
	s := socketOf(t, srv, "/", c.Join("/", ""))
	fs := socketOf(t, srv, "/files", c.Join("/files", ""))

	if err := s.Emit("file", "a.bin", []byte{1, 2, 3}, map[string]int{"k": 1}, []byte{}); err != nil {
		t.Fatal(err)
	}
	p := c.Expect(`52-["file","a.bin",{"_placeholder":true,"num":0},{"k":1},{"_placeholder":true,"num":1}]`)
	if len(p.Atts) != 2 || string(p.Atts[0]) != "\x01\x02\x03" || len(p.Atts[1]) != 0 {
		t.Fatalf("attachments %q", p.Atts)
	}
	if err := fs.Emit("file", []byte("x")); err != nil {
		t.Fatal(err)
	}
	p = c.Expect(`51-/files,["file",{"_placeholder":true,"num":0}]`)
	if len(p.Atts) != 1 || string(p.Atts[0]) != "x" {
		t.Fatalf("attachments %q", p.Atts)
	}
	c.Emit("/files", 9, "get")
	p = c.Expect(`61-/files,9["ok",{"_placeholder":true,"num":0}]`)
	if len(p.Atts) != 1 || string(p.Atts[0]) != "ack-bytes" {
		t.Fatalf("ack attachments %q", p.Atts)
	}
	// A broadcast carries attachments too.
	if err := srv.To(s.ID()).Emit("b", []byte("bb")); err != nil {
		t.Fatal(err)
	}
	p = c.Expect(`51-["b",{"_placeholder":true,"num":0}]`)
	if string(p.Atts[0]) != "bb" {
		t.Fatalf("broadcast attachment %q", p.Atts[0])
	}
}

func TestBinaryDecode(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	type meta struct {
		Name string `json:"name"`
		Data []byte `json:"data"`
	}
	srv.On("upload", func(_ *hub.Socket, m *hub.Message) {
		var (
			data []byte
			md   meta
			arr  [][]byte
		)
		if err := m.Decode(&data, &md, &arr); err != nil {
			_ = m.Ack(hub.Err(err))
			return
		}
		if len(arr) != 2 {
			_ = m.Ack("array of", len(arr))
			return
		}
		_ = m.Ack(fmt.Sprintf("%x %s %x %x %x %d", data, md.Name, md.Data, arr[0], arr[1], len(m.Attachments())), m.Arg(0))
	})
	c := dial(t, addr)
	c.Join("/", "")
	c.EmitBinary("/", 3,
		`["upload",{"_placeholder":true,"num":0},{"name":"n{\"}","data":{"_placeholder":true,"num":1}},[{"_placeholder":true,"num":2},{"_placeholder":true,"num":0}]]`,
		[]byte{0xde, 0xad}, []byte{0xbe, 0xef}, []byte("z"))
	c.Expect(`33["dead n{\"} beef 7a dead 3",{"_placeholder":true,"num":0}]`)
}

func TestEmitRawAndAckRaw(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	srv.Of("/chat").On("fwd", func(s *hub.Socket, m *hub.Message) {
		_ = s.EmitRaw("fwded", m.RawArgs(), m.Attachments())
		_ = m.AckRaw(m.RawArgs(), m.Attachments())
	})
	srv.Of("/chat").On("raw", func(s *hub.Socket, m *hub.Message) {
		_ = s.Emit("raw", hub.Raw(`{"b":2, "a":1.50}`), json.RawMessage(`[ 1 ]`), nil, m.Arg(0))
	})
	c := dial(t, addr)
	c.Join("/chat", "")

	c.SendText(`2/chat,3[ "fwd" , {"z": 1,"a":1.50e0} ,"x\u00e9", [ ] ]`)
	c.Expect(`2/chat,["fwded",{"z": 1,"a":1.50e0},"x\u00e9",[ ]]`)
	c.Expect(`3/chat,3[{"z": 1,"a":1.50e0},"x\u00e9",[ ]]`)

	c.EmitBinary("/chat", 4, `["fwd",{"_placeholder":true,"num":0},"t"]`, []byte{7})
	p := c.Expect(`51-/chat,["fwded",{"_placeholder":true,"num":0},"t"]`)
	if string(p.Atts[0]) != "\x07" {
		t.Fatalf("forwarded attachment %q", p.Atts[0])
	}
	p = c.Expect(`61-/chat,4[{"_placeholder":true,"num":0},"t"]`)
	if string(p.Atts[0]) != "\x07" {
		t.Fatalf("acked attachment %q", p.Atts[0])
	}

	c.SendText(`2/chat,["raw",1e3]`)
	c.Expect(`2/chat,["raw",{"b":2, "a":1.50},[ 1 ],null,1e3]`)
}

func TestEmitDuringConnect(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	srv.Of("/ok").OnConnect(func(s *hub.Socket, _ hub.Raw) error {
		s.Join("r")
		_ = s.Emit("welcome", 1)
		_ = srv.Of("/ok").To(s.ID()).Emit("by-id")
		_ = srv.Of("/ok").To("r").Emit("by-room")
		return nil
	})
	srv.Of("/no").OnConnect(func(s *hub.Socket, _ hub.Raw) error {
		_ = s.Emit("welcome", 1)
		return errors.New("refused")
	})
	c := dial(t, addr)
	c.Join("/ok", "")
	c.Expect(`2/ok,["welcome",1]`)
	c.Expect(`2/ok,["by-id"]`)
	c.Expect(`2/ok,["by-room"]`)

	// A refused socket gets none of what it was sent while connecting.
	if p := c.Connect("/no", ""); p.Text != `4/no,{"message":"refused"}` {
		t.Fatalf("got %q", p.Text)
	}
	c.Join("/", "") // fails if "welcome" arrives first
}

func TestHandlerPanicRecovered(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	srv.On("boom", func(*hub.Socket, *hub.Message) { panic("boom") })
	srv.On("ping", func(_ *hub.Socket, m *hub.Message) { _ = m.Ack("pong") })
	c := dial(t, addr)
	c.Join("/", "")
	c.Emit("/", -1, "boom")
	c.Emit("/", 1, "ping")
	c.Expect(`31["pong"]`) // handled after "boom", so the panic is counted
	if got := srv.Stats().HandlerPanics; got != 1 {
		t.Fatalf("HandlerPanics %d, want 1", got)
	}
	c.Emit("/", -1, "boom")
	c.Emit("/", 2, "ping")
	c.Expect(`32["pong"]`)
	if got := srv.Stats().HandlerPanics; got != 2 {
		t.Fatalf("HandlerPanics %d, want 2", got)
	}
}

// TestEventsInOrder: the events of one client reach its handlers in the
// order sent, one at a time. The handler appends to a slice with no lock:
// under -race, handlers that overlapped would be reported.
func TestEventsInOrder(t *testing.T) {
	const n = 1000
	srv, addr := startServer(t, hub.Options{})
	var got []int
	done := make(chan struct{})
	srv.On("n", func(_ *hub.Socket, m *hub.Message) {
		var i int
		_ = m.Decode(&i)
		got = append(got, i)
		if len(got) == n {
			close(done)
		}
	})
	c := dial(t, addr)
	c.Join("/", "")
	for i := range n {
		c.Emit("/", -1, "n", i)
	}
	recv(t, done, "all events")
	for i, v := range got {
		if v != i {
			t.Fatalf("event %d handled in position %d", v, i)
		}
	}
}

// TestClientsInParallel: a handler blocked for one client does not hold up
// the handlers of another: a's handler waits until b's has run.
func TestClientsInParallel(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	bRan := make(chan struct{})
	srv.On("wait", func(_ *hub.Socket, m *hub.Message) {
		select {
		case <-bRan:
			_ = m.Ack("b ran")
		case <-time.After(waitTimeout):
			_ = m.Ack("blocked")
		}
	})
	srv.On("go", func(_ *hub.Socket, m *hub.Message) {
		close(bRan)
		_ = m.Ack("ok")
	})
	a, b := dial(t, addr), dial(t, addr)
	a.Join("/", "")
	b.Join("/", "")
	a.Emit("/", 1, "wait")
	b.Emit("/", 1, "go")
	b.Expect(`31["ok"]`)
	a.Expect(`31["b ran"]`)
}

// TestDisconnectInOnConnect: a socket that OnConnect disconnects after
// accepting gets its CONNECT reply, then a DISCONNECT, so it is not left
// believing it is connected.
func TestDisconnectInOnConnect(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	reasons := make(chan hub.Reason, 1)
	srv.OnConnect(func(s *hub.Socket, _ hub.Raw) error {
		s.Disconnect(false)
		return nil
	})
	srv.OnDisconnect(func(_ *hub.Socket, r hub.Reason) { reasons <- r })
	c := dial(t, addr)
	c.Join("/", "")
	c.Expect("1")
	if r := recv(t, reasons, "OnDisconnect"); r != hub.ReasonServerDisconnect {
		t.Fatalf("reason %q", r)
	}
	if st := srv.Stats(); st.Sockets != 0 {
		t.Fatalf("Sockets %d", st.Sockets)
	}
}
