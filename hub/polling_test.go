package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/siogate/siogate/hub"
)

// pollClient is an Engine.IO polling client that calls srv.ServeHTTP in
// process: no socket, no file descriptor, so benchmarks can connect
// thousands of real hub sockets.
type pollClient struct {
	srv *hub.Server
	sid string // Engine.IO session id
}

const pollPath = "/socket.io/?EIO=4&transport=polling"

func (p *pollClient) do(tb testing.TB, method, body string) string {
	url := pollPath
	if p.sid != "" {
		url += "&sid=" + p.sid
	}
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, url, nil)
	} else {
		r = httptest.NewRequest(method, url, strings.NewReader(body))
	}
	w := httptest.NewRecorder()
	p.srv.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		tb.Fatalf("%s %s: %d %s", method, url, w.Code, w.Body)
	}
	return w.Body.String()
}

// get returns what the session has queued (it waits for something when
// nothing is).
func (p *pollClient) get(tb testing.TB) string { return p.do(tb, http.MethodGet, "") }

// post sends one payload.
func (p *pollClient) post(tb testing.TB, payload string) {
	if got := p.do(tb, http.MethodPost, payload); got != "ok" {
		tb.Fatalf("POST %q: %q", payload, got)
	}
}

// pollConnect opens a polling session, joins "/" and returns the client and
// its socket id.
func pollConnect(tb testing.TB, srv *hub.Server) (*pollClient, string) {
	p := &pollClient{srv: srv}
	open := p.get(tb)
	var h struct{ SID string }
	if !strings.HasPrefix(open, "0") || json.Unmarshal([]byte(open[1:]), &h) != nil || h.SID == "" {
		tb.Fatalf("open packet %q", open)
	}
	p.sid = h.SID
	p.post(tb, "40")
	reply := p.get(tb)
	var r struct{ SID string }
	if !strings.HasPrefix(reply, "40") || json.Unmarshal([]byte(reply[2:]), &r) != nil || r.SID == "" {
		tb.Fatalf("CONNECT reply %q", reply)
	}
	return p, r.SID
}

// newPollServer is a server that is not listening: it is reached through
// ServeHTTP only.
func newPollServer(tb testing.TB, o hub.Options) *hub.Server {
	srv, err := hub.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv
}

func TestPolling(t *testing.T) {
	srv := newPollServer(t, hub.Options{})
	srv.On("ping", func(s *hub.Socket, m *hub.Message) { _ = m.Ack("pong", s.Transport()) })
	p, sid := pollConnect(t, srv)
	p.post(t, `421["ping"]`)
	if got := p.get(t); got != `431["pong","polling"]` {
		t.Fatalf("got %q", got)
	}
	s := socketOf(t, srv, "/", sid)
	_ = s.Emit("a", []byte{1, 2})
	_ = s.Emit("b")
	if got := p.get(t); got != "451-[\"a\",{\"_placeholder\":true,\"num\":0}]\x1ebAQI=\x1e42[\"b\"]" {
		t.Fatalf("got %q", got)
	}
}

// TestSlowConsumer: a client whose queue passes MaxQueuedBytes is
// disconnected as a slow consumer.
func TestSlowConsumer(t *testing.T) {
	srv := newPollServer(t, hub.Options{MaxQueuedBytes: 1000})
	reasons := make(chan hub.Reason, 1)
	srv.OnDisconnect(func(_ *hub.Socket, r hub.Reason) { reasons <- r })
	_, sid := pollConnect(t, srv)
	s := socketOf(t, srv, "/", sid)
	big := strings.Repeat("x", 600)
	if err := s.Emit("big", big); err != nil {
		t.Fatal(err)
	}
	if err := s.EmitVolatile("big", big); err != nil {
		t.Fatalf("volatile over the limit: %v, want a silent drop", err)
	}
	if err := s.Emit("big", big); !errors.Is(err, hub.ErrSlowConsumer) {
		t.Fatalf("second Emit: %v, want ErrSlowConsumer", err)
	}
	if r := recv(t, reasons, "OnDisconnect"); r != hub.ReasonSlowConsumer {
		t.Fatalf("reason %q", r)
	}
	if st := srv.Stats(); st.SlowConsumers != 1 || st.Disconnects[hub.ReasonSlowConsumer] != 1 {
		t.Fatalf("SlowConsumers %d, Disconnects %v", st.SlowConsumers, st.Disconnects)
	}
	if err := s.Emit("x"); !errors.Is(err, hub.ErrDisconnected) {
		t.Fatalf("after: %v", err)
	}
}

// TestMailboxOverflow: a client that sends more than MaxMailbox packets
// its handlers have not taken yet is disconnected.
func TestMailboxOverflow(t *testing.T) {
	srv, addr := startServer(t, hub.Options{MaxMailbox: 4})
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	srv.On("block", func(*hub.Socket, *hub.Message) {
		close(started)
		<-release
	})
	reasons := make(chan hub.Reason, 1)
	srv.OnDisconnect(func(_ *hub.Socket, r hub.Reason) { reasons <- r })
	c := dial(t, addr)
	c.Join("/", "")
	c.Emit("/", -1, "block")
	recv(t, started, "the blocking handler")
	for range 5 {
		c.Emit("/", -1, "queued")
	}
	c.WaitClosed()
	if got := srv.Stats().MailboxOverflows; got != 1 {
		t.Fatalf("MailboxOverflows %d", got)
	}
	release <- struct{}{} // unblock; the disconnect runs after the handler
	if r := recv(t, reasons, "OnDisconnect"); r != hub.ReasonTransportError {
		t.Fatalf("reason %q", r)
	}
}
