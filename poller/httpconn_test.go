package poller

import (
	"errors"
	"os"
	"testing"
	"time"
)

// TestHTTPConnDeadlines: a deadline in the past (net/http's way to abort
// its background read at the end of every request) wakes a blocked Read at
// once and arms no timer; a future one wakes it when due.
func TestHTTPConnDeadlines(t *testing.T) {
	h := newHTTPConn(nil, nil)
	done := make(chan error, 1)
	go func() {
		_, err := h.Read(make([]byte, 1))
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := h.SetReadDeadline(time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read after a past deadline: %v", err)
	}
	h.mu.Lock()
	armed := h.rdTimer != nil
	h.mu.Unlock()
	if armed {
		t.Fatal("a timer was armed for a deadline in the past")
	}

	_ = h.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	start := time.Now()
	if _, err := h.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read with a future deadline: %v", err)
	}
	if waited := time.Since(start); waited < 25*time.Millisecond {
		t.Fatalf("Read returned after %v, before its deadline", waited)
	}

	// With the deadline cleared, fed bytes are read.
	_ = h.SetReadDeadline(time.Time{})
	h.feed([]byte("x"), 10)
	if n, err := h.Read(make([]byte, 4)); n != 1 || err != nil {
		t.Fatalf("Read: %d, %v", n, err)
	}
}
