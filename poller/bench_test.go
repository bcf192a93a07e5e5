package poller

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// BenchmarkSerialSubmit measures Submit plus the drain that runs the tasks:
// one op is one task submitted and run. A full mailbox makes the submitter
// yield and retry, as a socket's I/O goroutine would apply back-pressure.
func BenchmarkSerialSubmit(b *testing.B) {
	for _, serials := range []int{1, 64} {
		b.Run(fmt.Sprintf("serials=%d", serials), func(b *testing.B) {
			e, err := NewExecutor(ExecutorOptions{Workers: 4})
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = e.Close(10 * time.Second) }()
			ss := make([]Serial, serials)
			for i := range ss {
				ss[i].Init(e, 1024)
			}
			var ran atomic.Int64
			task := func() { ran.Add(1) }
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				s := &ss[i%serials]
				for {
					err := s.Submit(task)
					if err == nil {
						break
					}
					if !errors.Is(err, ErrMailboxFull) {
						b.Fatal(err)
					}
					runtime.Gosched()
				}
			}
			for ran.Load() != int64(b.N) {
				runtime.Gosched()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}

// BenchmarkWheelResetStop arms and disarms one timer: the cost every
// heartbeat and ack pays. It must not allocate.
func BenchmarkWheelResetStop(b *testing.B) {
	b.Run("single", func(b *testing.B) {
		w := NewWheel(0)
		defer w.Close()
		var tm Timer
		tm.Init(func() {})
		b.ReportAllocs()
		for b.Loop() {
			w.Reset(&tm, 25*time.Second)
			w.Stop(&tm)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		w := NewWheel(0)
		defer w.Close()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var tm Timer
			tm.Init(func() {})
			for pb.Next() {
				w.Reset(&tm, 25*time.Second)
				w.Stop(&tm)
			}
		})
	})
}

// BenchmarkSniff classifies a typical browser upgrade head of about 300
// bytes, in one read and in three.
func BenchmarkSniff(b *testing.B) {
	head := []byte("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n" +
		"Host: chat.example.com\r\n" +
		"Connection: Upgrade\r\n" +
		"Upgrade: websocket\r\n" +
		"Origin: https://chat.example.com\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
		"\r\n")
	if res, n, _ := sniff(head, 0, testMaxHead); res != sniffUpgrade || n != len(head) {
		b.Fatalf("sniff: %s, %d", resultName(res), n)
	}
	b.Run("reads=1", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(head)))
		for b.Loop() {
			if res, _, _ := sniff(head, 0, testMaxHead); res != sniffUpgrade {
				b.Fatal(resultName(res))
			}
		}
	})
	b.Run("reads=3", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(head)))
		cuts := []int{len(head) / 3, 2 * len(head) / 3}
		for b.Loop() {
			if res, _, _ := feed(head, cuts, testMaxHead); res != sniffUpgrade {
				b.Fatal(resultName(res))
			}
		}
	})
}

// BenchmarkEchoRoundTrip sends one masked binary message over a real
// socket and reads the echo: one op is one round trip through the reactor,
// the frame reader, the handler and the writev path. The client writes a
// pre-encoded frame and reads into a reused buffer, so the allocations
// reported are almost all the server's.
func BenchmarkEchoRoundTrip(b *testing.B) {
	for _, size := range []int{64, 1024, 65536} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			_, _, addr := startEcho(b, Options{})
			c := dialWS(b, addr)
			payload := bytes.Repeat([]byte("0123456789abcdef"), size/16)
			var frame bytes.Buffer
			if err := ws.WriteFrame(&frame, ws.MaskFrameInPlace(ws.NewBinaryFrame(bytes.Clone(payload)))); err != nil {
				b.Fatal(err)
			}
			wire := frame.Bytes()
			got := make([]byte, size)
			roundTrip := func() {
				if _, err := c.conn.Write(wire); err != nil {
					b.Fatal(err)
				}
				h, err := ws.ReadHeader(c.r)
				if err != nil {
					b.Fatal(err)
				}
				if h.OpCode != ws.OpBinary || h.Length != int64(size) || h.Masked {
					b.Fatalf("echo header %+v", h)
				}
				if _, err := io.ReadFull(c.r, got); err != nil {
					b.Fatal(err)
				}
			}
			_ = c.conn.SetDeadline(time.Now().Add(5 * time.Minute))
			roundTrip()
			if !bytes.Equal(got, payload) {
				b.Fatal("echo differs from the message sent")
			}
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				roundTrip()
			}
		})
	}
}
