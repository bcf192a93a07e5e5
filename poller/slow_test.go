package poller

import (
	"bufio"
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/siogate/siogate/wsframe"
)

// TestStalledReaderDoesNotDelayBroadcast: one socket stops reading; a
// stream of broadcasts still reaches every other socket promptly, and the
// stalled one is cut at MaxQueuedBytes as a slow consumer.
func TestStalledReaderDoesNotDelayBroadcast(t *testing.T) {
	const limit = 256 << 10
	srv, h, addr := startEcho(t, Options{MaxQueuedBytes: limit})
	stalled := dialWS(t, addr) // never reads
	const readers = 20
	fast := make([]*wsClient, readers)
	for i := range fast {
		fast[i] = dialWS(t, addr)
	}
	waitFor(t, 2*time.Second, "upgrades", func() bool { return srv.Len() == readers+1 })

	payload := make([]byte, 16<<10)
	frame := wsframe.AppendFrame(nil, ws.OpBinary, payload)
	const rounds = 400 // 6.4 MiB per socket: far past the stalled socket's buffers
	var wg sync.WaitGroup
	for _, c := range fast {
		wg.Add(1)
		go func(c *wsClient) {
			defer wg.Done()
			_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			for range rounds {
				f, err := ws.ReadFrame(c.r)
				if err != nil || len(f.Payload) != len(payload) {
					t.Errorf("fast reader: %v len %d", err, len(f.Payload))
					return
				}
			}
		}(c)
	}
	start := time.Now()
	var slowErr error
	for range rounds {
		srv.Range(func(c *Conn) bool {
			if err := c.Send(frame); errors.Is(err, ErrSlowConsumer) {
				slowErr = err
			}
			return true
		})
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("broadcast took %v", d)
	}
	if slowErr == nil {
		t.Fatal("stalled socket never hit the queue limit")
	}
	select {
	case r := <-h.closed:
		if !errors.Is(r, ErrSlowConsumer) {
			t.Fatalf("close reason %v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stalled socket not closed")
	}
	if got := srv.Stats().SlowConsumers; got != 1 {
		t.Fatalf("slow consumers %d, want 1", got)
	}
	_ = stalled
}

// TestVolatileDroppedWhileBacklogged: volatile frames are shed while a
// socket is backlogged; the socket stays open.
func TestVolatileDroppedWhileBacklogged(t *testing.T) {
	srv, _, addr := startEcho(t, Options{MaxQueuedBytes: 8 << 20})
	_ = dialWS(t, addr) // never reads
	waitFor(t, 2*time.Second, "upgrade", func() bool { return srv.Len() == 1 })
	var conn *Conn
	srv.Range(func(c *Conn) bool { conn = c; return false })
	big := wsframe.AppendFrame(nil, ws.OpBinary, make([]byte, 1<<20))
	for i := 0; i < 64 && srv.Stats().Backlogged == 0; i++ {
		if err := conn.Send(big); err != nil {
			t.Fatal(err)
		}
		// Writes are behind: let the flush goroutine take this frame (or
		// find the kernel buffer full) before queueing the next.
		waitFor(t, 2*time.Second, "flush", func() bool { return conn.QueuedBytes() < len(big) || srv.Stats().Backlogged > 0 })
	}
	if srv.Stats().Backlogged == 0 {
		t.Fatal("socket never backlogged")
	}
	if err := conn.SendVolatile(big); !errors.Is(err, ErrDropped) {
		t.Fatalf("volatile send: %v", err)
	}
	if srv.Len() != 1 || srv.Stats().DroppedVolatile != 1 {
		t.Fatalf("len %d dropped %d", srv.Len(), srv.Stats().DroppedVolatile)
	}
}

// TestCloseWhileBroadcasting tortures the write path against concurrent
// closes from both sides, so that a write never reaches a reused fd. Run it
// under -race.
func TestCloseWhileBroadcasting(t *testing.T) {
	srv, _, addr := startEcho(t, Options{MaxQueuedBytes: 64 << 10})
	frame := wsframe.AppendFrame(nil, ws.OpText, []byte("tick tock tick tock"))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	// Broadcasters.
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				srv.Range(func(c *Conn) bool {
					_ = c.Send(frame)
					return true
				})
				runtime.Gosched()
			}
		}()
	}
	// Server-side closers.
	wg.Add(1)
	go func() {
		defer wg.Done()
		i := 0
		for ctx.Err() == nil {
			srv.Range(func(c *Conn) bool {
				i++
				if i%7 == 0 {
					c.Close(1000, "")
				} else if i%11 == 0 {
					c.Abort(ErrLocalClose)
				}
				return true
			})
			time.Sleep(time.Millisecond)
		}
	}()
	// Clients that connect, read a little and hang up, over and over.
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				d := net.Dialer{Timeout: time.Second}
				conn, br, _, err := ws.Dialer{NetDial: d.DialContext}.Dial(ctx, "ws://"+addr+"/t")
				if err != nil {
					continue
				}
				if br == nil {
					br = bufio.NewReader(conn)
				}
				_ = conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				for range 5 {
					if _, err := ws.ReadFrame(br); err != nil {
						break
					}
				}
				_ = conn.Close()
			}
		}()
	}
	wg.Wait()
	// Everything settles: no socket left, no backlog entry left.
	waitFor(t, 5*time.Second, "all sockets closed", func() bool { return srv.Len() == 0 })
	waitFor(t, 5*time.Second, "backlog empty", func() bool { return srv.Stats().Backlogged == 0 })
	// And the server still serves.
	c := dialWS(t, addr)
	c.send(ws.OpText, true, []byte("alive"))
	for {
		f := c.read()
		if string(f.Payload) == "alive" {
			break
		}
	}
}
