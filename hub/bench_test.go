package hub_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/siogate/siogate/hub"
)

// broadcastFixture is a server with members sockets connected over the
// polling transport in process (srv.ServeHTTP, no file descriptors): real
// hub sockets whose Engine.IO sessions queue what is sent to them until a
// GET takes it.
type broadcastFixture struct {
	srv     *hub.Server
	clients []*pollClient
	queued  int // emits since the queues were last drained
}

// benchOptions: no heartbeat during the run, and room for drainEvery
// packets in every queue.
var benchOptions = hub.Options{PingInterval: time.Hour, PingTimeout: time.Hour, MaxQueuedBytes: 4 << 20}

// drainEvery bounds what piles up in each session's queue between drains.
const drainEvery = 256

func newBroadcastFixture(tb testing.TB, members int) *broadcastFixture {
	srv, err := hub.New(benchOptions)
	if err != nil {
		tb.Fatal(err)
	}
	f := &broadcastFixture{srv: srv, clients: make([]*pollClient, members)}
	for i := range f.clients {
		f.clients[i], _ = pollConnect(tb, srv)
	}
	return f
}

func (f *broadcastFixture) close() {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	_ = f.srv.Shutdown(ctx)
}

// drain empties every session's queue with one GET each.
func (f *broadcastFixture) drain(tb testing.TB) {
	if f.queued == 0 {
		return // a GET would wait for something to be queued
	}
	for _, c := range f.clients {
		c.get(tb)
	}
	f.queued = 0
}

type tick struct {
	Seq  int    `json:"seq"`
	Text string `json:"text"`
}

// BenchmarkBroadcast measures one srv.Emit of a small event to every socket
// of "/". allocs/member and ns/member divide the cost of one broadcast by
// the number of sockets it reaches; draining the queues is not timed.
func BenchmarkBroadcast(b *testing.B) {
	for _, members := range []int{1_000, 10_000} {
		var f *broadcastFixture
		b.Run(fmt.Sprintf("members=%dk", members/1000), func(b *testing.B) {
			if f == nil { // once, not for every b.N tried
				f = newBroadcastFixture(b, members)
			}
			f.drain(b)
			var (
				ms      runtime.MemStats
				mallocs uint64
			)
			runtime.ReadMemStats(&ms)
			start := ms.Mallocs
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := f.srv.Emit("tick", tick{i, "hello"}); err != nil {
					b.Fatal(err)
				}
				if f.queued++; f.queued == drainEvery {
					b.StopTimer()
					runtime.ReadMemStats(&ms)
					mallocs += ms.Mallocs - start
					f.drain(b)
					runtime.ReadMemStats(&ms)
					start = ms.Mallocs
					b.StartTimer()
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&ms)
			mallocs += ms.Mallocs - start
			per := float64(b.N) * float64(members)
			b.ReportMetric(float64(mallocs)/per, "allocs/member")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/member")
		})
		if f != nil {
			f.close()
		}
	}
}

// TestBroadcastEncodesOnce: a broadcast is encoded once and the same
// Engine.IO message is queued for every socket. The sharing itself is not
// observable from outside (each polling GET copies the queued bytes into
// its own response body), but its cost is: encoding per socket would take
// at least one allocation per member (the packet text), whereas sharing
// leaves a constant per broadcast plus the amortized growth of each
// session's queue, a small fraction of one per member. Every member then
// receives the same bytes.
func TestBroadcastEncodesOnce(t *testing.T) {
	const members, runs = 1000, 200
	f := newBroadcastFixture(t, members)
	t.Cleanup(f.close)
	allocs := testing.AllocsPerRun(runs, func() {
		if err := f.srv.Emit("tick", tick{1, "hello"}); err != nil {
			t.Fatal(err)
		}
	})
	if perMember := allocs / members; perMember > 0.5 {
		t.Fatalf("%.0f allocations per broadcast to %d sockets (%.2f per member): the packet is encoded per socket", allocs, members, perMember)
	}
	f.queued = runs + 1
	var first string
	for i, c := range f.clients {
		body := c.get(t)
		if i == 0 {
			first = body
		} else if body != first {
			t.Fatalf("member %d got %q, member 0 got %q", i, body, first)
		}
	}
	if want := `42["tick",{"seq":1,"text":"hello"}]`; len(first) < len(want) || first[:len(want)] != want {
		t.Fatalf("body %q", first)
	}
	t.Logf("%.0f allocations per broadcast to %d sockets", allocs, members)
}
