package eio_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/siogate/siogate/hub/eio"
)

// TestVolatilePolling: a polling session between two GETs takes a volatile
// message while nothing waits for the client, drops one while data is still
// waiting, and hands over what it took with the next GET.
func TestVolatilePolling(t *testing.T) {
	srv, _, base := startEIO(t, eio.Options{})
	sid := handshake(t, base)
	s := srv.Session(sid)
	if s == nil {
		t.Fatal("no session")
	}
	if err := s.SendVolatile(eio.NewOutgoing([]byte("first"), false)); err != nil {
		t.Fatalf("volatile into an empty queue: %v", err)
	}
	if err := s.SendVolatile(eio.NewOutgoing([]byte("second"), false)); !errors.Is(err, eio.ErrDropped) {
		t.Fatalf("volatile behind queued data: %v, want ErrDropped", err)
	}
	if err := s.Send(eio.NewOutgoing([]byte("third"), false)); err != nil {
		t.Fatalf("send: %v", err)
	}
	code, body, _ := do(t, "GET", base+"?EIO=4&transport=polling&sid="+sid, "")
	if code != 200 || body != "4first\x1e4third" {
		t.Fatalf("GET: %d %q, want 4first and 4third", code, body)
	}
	// A parked GET takes a volatile message at once.
	got := pollAsync(base, sid)
	waitParked(t, srv, sid)
	if err := s.SendVolatile(eio.NewOutgoing([]byte("fourth"), false)); err != nil {
		t.Fatalf("volatile to a parked GET: %v", err)
	}
	if b := <-got; !strings.HasSuffix(b, "4fourth") {
		t.Fatalf("parked GET: %q", b)
	}
}
