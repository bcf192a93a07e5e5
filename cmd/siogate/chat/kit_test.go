package chat_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/siogate/siogate/cmd/siogate/chat"
	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/siotest"
)

// TestMain fails the run when goroutines of siogate outlive the tests.
func TestMain(m *testing.M) { siotest.Main(m) }

const nsp = "/chat"

// startChat serves a chat made from o on a real hub server on 127.0.0.1
// and returns its address and namespace. Sockets that connect with auth
// {"user": "<id>"} count as signed in as that user, the way the gateway's
// JWT middleware marks them.
func startChat(t *testing.T, o chat.Options) (string, *hub.Namespace) {
	t.Helper()
	srv, addr := siotest.StartServer(t, hub.Options{})
	n := srv.Of(nsp)
	n.Use(func(s *hub.Socket, auth hub.Raw) error {
		var a struct {
			User string `json:"user"`
		}
		_ = auth.Decode(&a)
		if a.User != "" {
			s.Set("user", a.User)
		}
		return nil
	})
	o.User = func(s *hub.Socket) string {
		u, _ := s.Get("user").(string)
		return u
	}
	c, err := chat.New(o)
	if err != nil {
		t.Fatal(err)
	}
	c.Mount(n)
	return addr, n
}

// waitSockets waits until n has want sockets (a closed client's
// disconnect has been handled).
func waitSockets(t *testing.T, n *hub.Namespace, want int) {
	t.Helper()
	siotest.WaitFor(t, fmt.Sprintf("%d sockets in %s", want, n.Name()), func() bool { return n.Len() == want })
}

// member is a test client connected to the chat namespace. Its methods
// run on the test's goroutine: events that arrive while it waits for an
// acknowledgement are kept, in order, for event().
type member struct {
	t      *testing.T
	c      *siotest.Client
	nextID int64
	queue  []siotest.Packet
}

// join connects to the chat with auth (JSON) and says hello.
func join(t *testing.T, addr, auth string) *member {
	t.Helper()
	m := &member{t: t, c: siotest.Dial(t, addr)}
	m.c.Fatalf = t.Fatalf
	m.c.Join(nsp, auth)
	return m
}

// refused connects with auth and returns the CONNECT_ERROR message.
func refused(t *testing.T, addr, auth string) string {
	t.Helper()
	c := siotest.Dial(t, addr)
	p := c.Connect(nsp, auth)
	if p.Type != '4' {
		t.Fatalf("CONNECT with %s: got %q, want CONNECT_ERROR", auth, p.Text)
	}
	var e struct{ Message string }
	if err := json.Unmarshal([]byte(p.Data), &e); err != nil {
		t.Fatalf("CONNECT_ERROR %q: %v", p.Data, err)
	}
	return e.Message
}

// call emits event(arg) asking for an acknowledgement and returns the
// acknowledgement's first argument.
func (m *member) call(event string, arg any) json.RawMessage {
	m.t.Helper()
	id := m.nextID
	m.nextID++
	if arg == nil {
		m.c.Emit(nsp, id, event)
	} else {
		m.c.Emit(nsp, id, event, arg)
	}
	return m.ack(id)
}

// callBinary emits event with a JSON object (raw, its placeholders
// numbering atts) and the attachments, and returns the acknowledgement.
func (m *member) callBinary(event, obj string, atts ...[]byte) json.RawMessage {
	m.t.Helper()
	id := m.nextID
	m.nextID++
	name, _ := json.Marshal(event)
	m.c.EmitBinary(nsp, id, "["+string(name)+","+obj+"]", atts...)
	return m.ack(id)
}

// placeholder is the JSON of binary attachment n.
func placeholder(n int) string { return `{"_placeholder":true,"num":` + strconv.Itoa(n) + `}` }

func (m *member) ack(id int64) json.RawMessage {
	m.t.Helper()
	for {
		p := m.c.Next()
		if (p.Type == '3' || p.Type == '6') && p.ID == id {
			var args []json.RawMessage
			if err := json.Unmarshal([]byte(p.Data), &args); err != nil || len(args) == 0 {
				m.t.Fatalf("ack %d: %q", id, p.Data)
			}
			return args[0]
		}
		m.queue = append(m.queue, p)
	}
}

// ok calls event and fails the test on an error answer.
func (m *member) ok(event string, arg any, v any) {
	m.t.Helper()
	raw := m.call(event, arg)
	if e := errorText(raw); e != "" {
		m.t.Fatalf("%s %v: error %q", event, arg, e)
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			m.t.Fatalf("%s answer %s: %v", event, raw, err)
		}
	}
}

// errorText returns the error of an {"error": "..."} answer ("" for others).
func errorText(raw json.RawMessage) string {
	var e struct {
		Error *string `json:"error"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Error == nil {
		return ""
	}
	return *e.Error
}

// event returns the next event called name, with its arguments, keeping
// the other events for later.
func (m *member) event(name string) (siotest.Packet, []json.RawMessage) {
	m.t.Helper()
	for i, p := range m.queue {
		if p.Name() == name {
			m.queue = append(m.queue[:i], m.queue[i+1:]...)
			_, args := p.Event()
			return p, args
		}
	}
	for {
		p := m.c.Next()
		if p.Name() == name {
			_, args := p.Event()
			return p, args
		}
		m.queue = append(m.queue, p)
	}
}

// message returns the next "message" event decoded, and its attachment.
func (m *member) message() (chat.Message, []byte) {
	m.t.Helper()
	p, args := m.event("message")
	var msg chat.Message
	if err := json.Unmarshal(args[0], &msg); err != nil {
		m.t.Fatalf("message %s: %v", args[0], err)
	}
	var data []byte
	if msg.File != nil && !msg.File.Expired {
		if len(p.Atts) != 1 {
			m.t.Fatalf("message with a file came with %d attachments: %q", len(p.Atts), p.Text)
		}
		data = p.Atts[0]
	}
	return msg, data
}

// quiet asserts that no event called name is pending. A round trip to the
// server first: whatever was sent to this socket before the server answers
// arrives before the answer.
func (m *member) quiet(name string) {
	m.t.Helper()
	m.ok("hello", nil, nil)
	for _, p := range m.queue {
		if p.Name() == name {
			m.t.Fatalf("unexpected %s event: %q", name, p.Text)
		}
	}
}

// close ends the member's connection.
func (m *member) close() { m.c.Close() }

func wantError(t *testing.T, raw json.RawMessage, substr string) {
	t.Helper()
	got := errorText(raw)
	if got == "" || !strings.Contains(got, substr) {
		t.Fatalf("answer %s, want an error containing %q", raw, substr)
	}
}
