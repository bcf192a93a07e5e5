package redisadapter_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/redisadapter"
	"github.com/siogate/siogate/hub/siotest"
)

// BenchmarkClusterBroadcast measures room broadcasts end to end: node A
// emits, 8 WebSocket clients in the room receive. With nodes=1 they are on
// A; with nodes=2 on B, so every broadcast crosses Redis (encode, publish
// pipeline, pattern subscription, decode, local fan-out). One op is one
// broadcast received by all 8.
func BenchmarkClusterBroadcast(b *testing.B) {
	for _, nodes := range []int{1, 2} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			o := redisadapter.Options{URL: redisURL(b), Key: testKey(b), PublishQueue: 1 << 20}
			a := startNode(b, o, hub.Options{}, nil)
			recv := a
			if nodes == 2 {
				recv = startNode(b, o, hub.Options{}, nil)
				waitServers(b, a.srv, "/", 2)
			}
			const clients = 8
			peers := make([]peer, clients)
			for i := range peers {
				peers[i] = join(b, recv, "r")
			}
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			failed := make(chan string, clients)
			for _, p := range peers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range b.N {
						select {
						case <-p.c.Packets:
						case <-time.After(siotest.WaitTimeout):
							failed <- "a client stopped receiving"
							return
						}
					}
				}()
			}
			for i := range b.N {
				_ = a.srv.To("r").Emit("m", i)
			}
			wg.Wait()
			b.StopTimer()
			select {
			case msg := <-failed:
				b.Fatal(msg)
			default:
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "broadcasts/s")
			if st := a.bus.Stats(); st.PublishFailed != 0 {
				b.Fatalf("publishes failed: %+v", st)
			}
		})
	}
}
