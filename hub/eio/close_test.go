package eio_test

import (
	"testing"

	"github.com/siogate/siogate/hub/eio"
)

// TestPollingClientCloseForgetsSession: a polling client that sends the
// close packet itself is forgotten at once (no lingering session held for a
// heartbeat): its next request gets "Session ID unknown".
func TestPollingClientCloseForgetsSession(t *testing.T) {
	srv, rec, base := startEIO(t, eio.Options{})
	sid := handshake(t, base)
	url := base + "?EIO=4&transport=polling&sid=" + sid
	if code, body, _ := do(t, "POST", url, "1"); code != 200 || body != "ok" {
		t.Fatalf("POST close: %d %q", code, body)
	}
	rec.wantReason(t, sid, eio.ReasonTransportClose)
	if n := srv.Len(); n != 0 {
		t.Fatalf("%d sessions still registered", n)
	}
	if code, body, _ := do(t, "GET", url, ""); code != 400 || body != `{"code":1,"message":"Session ID unknown"}` {
		t.Fatalf("GET after close: %d %q", code, body)
	}
}
