package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	return c
}

func read(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	_, p, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

func TestEchoAndBroadcast(t *testing.T) {
	h := newHub(slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(h)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/any/path"
	a, b := dial(t, url), dial(t, url)

	if err := a.WriteMessage(websocket.TextMessage, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, a); got != "hello" {
		t.Fatalf("echo = %q", got)
	}
	// Make sure b is registered before the broadcast: its own echo proves it.
	if err := b.WriteMessage(websocket.BinaryMessage, []byte("b-binary")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, b); got != "b-binary" {
		t.Fatalf("binary echo = %q", got)
	}
	if err := a.WriteMessage(websocket.TextMessage, []byte("bcast")); err != nil {
		t.Fatal(err)
	}
	// Both sockets get one copy, the sender included.
	for _, got := range []string{read(t, a), read(t, b)} {
		if got != "bcast" {
			t.Fatalf("got %q, want bcast", got)
		}
	}

	h.closeAll()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.wait(ctx); err != nil {
		t.Fatal(err)
	}
	if _, p, err := a.ReadMessage(); err == nil {
		t.Fatalf("read after closeAll: got %q, want an error", p)
	}
}
