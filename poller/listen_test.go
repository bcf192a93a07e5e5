package poller

import (
	"testing"
)

// TestListenReusePort: two Servers accept on one port; each answers.
func TestListenReusePort(t *testing.T) {
	ln1, err := ListenReusePort("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln2, err := ListenReusePort(ln1.Addr().String())
	if err != nil {
		_ = ln1.Close()
		t.Fatalf("second listener on the same port: %v", err)
	}
	if ln1.Addr().String() != ln2.Addr().String() {
		t.Fatalf("addresses differ: %s %s", ln1.Addr(), ln2.Addr())
	}
	// Both serve: WebSockets dialled to the shared port are echoed whichever
	// listener the kernel picks.
	_, h1, _ := startEchoOn(t, ln1)
	_, h2, _ := startEchoOn(t, ln2)
	for i := 0; i < 40; i++ {
		c := dialWS(t, ln1.Addr().String())
		c.send(1, true, []byte("x"))
		if f := c.read(); string(f.Payload) != "x" {
			t.Fatalf("echo %q", f.Payload)
		}
	}
	if h1.opened.Load()+h2.opened.Load() != 40 {
		t.Fatalf("opened %d + %d, want 40", h1.opened.Load(), h2.opened.Load())
	}
	t.Logf("kernel spread 40 connections: %d / %d", h1.opened.Load(), h2.opened.Load())
}
