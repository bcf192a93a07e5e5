package e2e

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/siogate/siogate/poller"
)

// TestHandoffLargePOST sends large request bodies, each on a new connection
// (as engine.io-client's polling transport does in Node: agent false), to a
// net/http handler behind poller's HTTP hand-off. Every body must arrive
// whole.
func TestHandoffLargePOST(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/len", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("handler read %d of %s bytes: %v", len(b), r.Header.Get("Content-Length"), err)
			return
		}
		_, _ = w.Write([]byte(strconv.Itoa(len(b))))
	})
	srv, err := poller.New(poller.Options{HTTP: mux})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-served
	})

	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true},
	}
	defer client.CloseIdleConnections()
	body := bytes.Repeat([]byte("x"), 200_000)
	failed := 0
	for i := range 100 {
		resp, err := client.Post("http://"+ln.Addr().String()+"/len", "text/plain", bytes.NewReader(body))
		if err != nil {
			failed++
			t.Errorf("POST #%d: %v", i, err)
			continue
		}
		got, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if string(got) != strconv.Itoa(len(body)) {
			t.Errorf("POST #%d: handler saw %q bytes, want %d", i, got, len(body))
		}
	}
	if failed > 0 {
		t.Errorf("%d of 100 POSTs of %d bytes did not complete", failed, len(body))
	}
}
