package hub_test

import (
	"testing"

	"github.com/siogate/siogate/hub"
)

// TestDisconnectPairsWithConnect: a client that goes away while OnConnect
// runs still gets its OnDisconnect once OnConnect has accepted it, exactly
// once, even though the CONNECT reply can no longer be sent.
func TestDisconnectPairsWithConnect(t *testing.T) {
	srv, addr := startServer(t, hub.Options{})
	inConnect := make(chan struct{})
	gone := make(chan struct{})
	disconnects := make(chan hub.Reason, 2)
	srv.OnConnect(func(s *hub.Socket, _ hub.Raw) error {
		close(inConnect)
		<-gone
		return nil
	})
	srv.OnDisconnect(func(s *hub.Socket, r hub.Reason) { disconnects <- r })
	c := dial(t, addr)
	c.SendText("0")
	recv(t, inConnect, "OnConnect")
	c.Close()
	waitFor(t, "session closed", func() bool { return srv.Engine().Len() == 0 })
	close(gone)
	if r := recv(t, disconnects, "OnDisconnect"); r != hub.ReasonTransportClose {
		t.Fatalf("reason %q", r)
	}
	waitFor(t, "socket removed", func() bool { return srv.Of("/").Len() == 0 })
	if n := srv.Stats().Sockets; n != 0 {
		t.Fatalf("Stats().Sockets = %d after the socket left", n)
	}
	select {
	case r := <-disconnects:
		t.Fatalf("second OnDisconnect (%q)", r)
	default:
	}
}
