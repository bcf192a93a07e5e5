package sioload

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/siogate/siogate/hub"
)

// connected returns a Loader holding n sockets of addr.
func connected(t *testing.T, addr string, n int) *Loader {
	t.Helper()
	return connectedWith(t, Options{Addr: addr, Sources: testSources, Concurrency: 50}, n)
}

// connectedWith returns a Loader with options o holding n sockets.
func connectedWith(t *testing.T, o Options, n int) *Loader {
	t.Helper()
	l, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := l.Connect(ctx, n)
	if err != nil || res.Connected != n {
		t.Fatalf("connect: %+v, %v", res, err)
	}
	return l
}

// waitFor polls cond every 10 ms until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPaceBroadcast(t *testing.T) {
	addr, _ := sioServerWith(t, hub.Options{})
	const n = 20
	l := connected(t, addr, n)
	st, err := l.Pace(context.Background(), PaceRun{Kind: PaceBroadcast, Rate: 100, Duration: 300 * time.Millisecond, Drain: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if st.Emitted != 30 || st.Deliveries != 30*n || len(st.Broadcasts) != 30 || st.BroadcastLatency.Count() != 30*n {
		t.Fatalf("emitted %d, deliveries %d, broadcasts %d", st.Emitted, st.Deliveries, len(st.Broadcasts))
	}
	if _, err := l.Pace(context.Background(), PaceRun{Kind: "nope", Rate: 1, Duration: time.Second}); err == nil {
		t.Fatal("unknown kind accepted")
	}
}

func TestJoinAndRooms(t *testing.T) {
	addr, _ := sioServerWith(t, hub.Options{})
	const n, size = 25, 10 // rooms r0, r1 of 10 and r2 of 5
	l := connected(t, addr, n)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if failed, err := l.Join(ctx, 0, size); err != nil || failed != 0 {
		t.Fatalf("join: %d failed, %v", failed, err)
	}
	st, err := l.Pace(ctx, PaceRun{Kind: PaceRoom, Rate: 200, Duration: 300 * time.Millisecond, Drain: 300 * time.Millisecond,
		Rooms: 3, RoomSize: size, Total: n})
	if err != nil {
		t.Fatal(err)
	}
	// Every room broadcast reaches exactly its members: 10, 10 or 5.
	if st.Emitted != 60 || st.RoomExpected < 60*5 || st.Deliveries != st.RoomExpected {
		t.Fatalf("emitted %d, expected %d, deliveries %d", st.Emitted, st.RoomExpected, st.Deliveries)
	}
	if st.Other != 0 || st.Closed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestReconnect(t *testing.T) {
	addr, srv := sioServerWith(t, hub.Options{})
	const n = 60
	l := connected(t, addr, n)
	waitFor(t, "sockets on the server", func() bool { return srv.Stats().Sockets == n })
	if err := l.Mark(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := l.Reconnect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Connected != n || res.Failed != 0 || res.Handshake.Count() != n || res.Elapsed <= 0 {
		t.Fatalf("reconnect: %+v", res)
	}
	st, err := l.Stats()
	if err != nil || st.Ready != n || st.Closed != 0 {
		t.Fatalf("after reconnect: ready %d, closed %d, %v", st.Ready, st.Closed, err)
	}
	// The server let the old sessions go: it holds n sockets, not 2n.
	waitFor(t, "old sessions closed", func() bool { return srv.Stats().Sockets == n })
	if _, err := l.Broadcast(1, 64); err != nil {
		t.Fatal(err)
	}
	waitComplete(t, l, 1)
}

func TestStallResume(t *testing.T) {
	addr, srv := sioServerWith(t, hub.Options{MaxQueuedBytes: 32 << 10})
	const n = 40
	// Small buffers and Ethernet-sized segments: the kernels hold little
	// for a stalled socket, so the server's queue fills fast.
	l := connectedWith(t, Options{Addr: addr, Sources: testSources, RecvBuffer: 8 << 10, MSS: 1460}, n)
	stalled, err := l.Stall(0.25)
	if err != nil || stalled != 10 {
		t.Fatalf("stalled %d, %v", stalled, err)
	}
	if err := l.Mark(); err != nil {
		t.Fatal(err)
	}
	// Broadcast 4 KiB messages, two at a time (a burst bigger than what the
	// kernel takes at once plus MaxQueuedBytes would cut the readers too),
	// until the server has cut every stalled socket as a slow consumer; each
	// broadcast still reaches the 30 that read (Complete counts only those).
	sent := 0
	for srv.Stats().SlowConsumers < uint64(stalled) {
		if sent > 20000 {
			t.Fatalf("%d broadcasts sent, %d slow consumers", sent, srv.Stats().SlowConsumers)
		}
		if _, err := l.Broadcast(2, 4<<10); err != nil {
			t.Fatal(err)
		}
		waitComplete(t, l, 2)
		sent += 2
	}
	t.Logf("%d broadcasts of 4 KiB cut %d stalled sockets", sent, stalled)
	st, err := l.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Closed != 0 || st.Stalled != stalled || st.Deliveries != int64(sent*(n-stalled)) {
		t.Fatalf("fast sockets: closed %d, stalled %d, deliveries %d of %d", st.Closed, st.Stalled, st.Deliveries, sent*(n-stalled))
	}
	if got := srv.Stats().Disconnects[hub.ReasonSlowConsumer]; got != uint64(stalled) {
		t.Fatalf("server: %d disconnects for slow consumer, want %d", got, stalled)
	}
	// Reading again, each stalled socket consumes what the kernel kept and
	// then sees the server's close.
	if r, err := l.Resume(); err != nil || r != stalled {
		t.Fatalf("resumed %d, %v", r, err)
	}
	waitFor(t, "stalled sockets closed", func() bool {
		st, err = l.Stats()
		return err == nil && st.StalledClosed == stalled
	})
	if st.Closed != 0 || st.Stalled != 0 || st.Ready != n-stalled {
		t.Fatalf("after resume: %+v", st)
	}
	t.Logf("stalled sockets ended with %v", st.StalledReasons)
}

func TestChurn(t *testing.T) {
	addr, srv := sioServerWith(t, hub.Options{})
	l, err := New(Options{Addr: addr, Sources: testSources})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := l.Churn(ctx, ChurnRun{Cycles: 300, Concurrency: 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Cycles != 300 || res.Failed != 0 || res.Cycle.Count() != 300 {
		t.Fatalf("churn: %+v", res)
	}
	if l.Len() != 0 {
		t.Fatalf("%d sockets left ready", l.Len())
	}
	waitFor(t, "server empty", func() bool { st := srv.Stats(); return st.Sockets == 0 && st.Clients == 0 })
	if got := srv.Stats().Disconnects[hub.ReasonClientDisconnect]; got != 300 {
		t.Errorf("server saw %d client disconnects, want 300", got)
	}
	// Modes that cannot churn say so.
	w, err := New(Options{Addr: addr, Mode: WebSocket})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Churn(ctx, ChurnRun{Cycles: 1}); err == nil {
		t.Fatal("raw WebSocket churn accepted")
	}
	if _, err := l.Churn(ctx, ChurnRun{}); err == nil {
		t.Fatal("churn of 0 cycles accepted")
	}
}

func TestCloseFrameClass(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&CloseFrameError{Code: 1008}, "close-1008"},
		{&CloseFrameError{}, "close-frame"},
		{&httpStatusError{status: 400}, "http-400"},
		{errors.Join(errors.New("x"), errEIOClose), "eio-close"},
	} {
		if got := ErrorClass(tc.err); got != tc.want {
			t.Errorf("ErrorClass(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// TestStale: a broadcast sent before the mark is a straggler of the
// previous measurement, counted apart.
func TestStale(t *testing.T) {
	r := newRecorder()
	var b []byte
	b = appendStamp(b, kindBroadcast, 1, r.st.MarkNs-1, 20)
	if !r.onStamp(b, 1) || r.st.Stale != 1 || r.st.Deliveries != 0 || r.st.BroadcastLatency.Count() != 0 {
		t.Fatalf("stale broadcast: %+v", r.st)
	}
	b = appendStamp(b[:0], kindRoom, 2, r.st.MarkNs+1, 20)
	if !r.onStamp(b, 1) || r.st.Stale != 1 || r.st.Deliveries != 1 {
		t.Fatalf("fresh room broadcast: %+v", r.st)
	}
}
