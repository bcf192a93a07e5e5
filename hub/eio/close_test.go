package eio_test

import (
	"testing"
	"time"

	"github.com/siogate/siogate/hub/eio"
)

// TestPollingClientClose: a polling client that sends the close packet
// itself is out of the open count at once; a GET that raced the close (sent
// with it, arriving after it) gets the noop, and the session is forgotten
// within a second, not held for a heartbeat period.
func TestPollingClientClose(t *testing.T) {
	srv, rec, base := startEIO(t, eio.Options{})
	sid := handshake(t, base)
	url := base + "?EIO=4&transport=polling&sid=" + sid
	if code, body, _ := do(t, "POST", url, "1"); code != 200 || body != "ok" {
		t.Fatalf("POST close: %d %q", code, body)
	}
	rec.wantReason(t, sid, eio.ReasonTransportClose)
	if n := srv.Len(); n != 0 {
		t.Fatalf("%d sessions still counted open", n)
	}
	if code, body, _ := do(t, "GET", url, ""); code != 200 || body != "6" {
		t.Fatalf("GET racing the close: %d %q, want 200 \"6\"", code, body)
	}
	if code, body, _ := do(t, "GET", url, ""); code != 400 || body != `{"code":1,"message":"Session ID unknown"}` {
		t.Fatalf("GET after close: %d %q", code, body)
	}

	// A client that does not poll again is forgotten after the window.
	other := handshake(t, base)
	if code, _, _ := do(t, "POST", base+"?EIO=4&transport=polling&sid="+other, "1"); code != 200 {
		t.Fatalf("POST close: %d", code)
	}
	closed := time.Now()
	for srv.Session(other) != nil {
		if time.Since(closed) > 5*time.Second {
			t.Fatal("closed session still registered after 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d := time.Since(closed); d > 3*time.Second {
		t.Fatalf("closed session forgotten after %v, want about 1 s", d)
	}
}
