package proc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Probe talks to a server's debug endpoints over HTTP/1.1 without
// keep-alive, so that no probe connection stays open to be counted as a
// socket.
type Probe struct {
	base   string // http://host:port
	client *http.Client
}

// NewProbe returns a Probe of the server at addr (host:port).
func NewProbe(addr string) *Probe {
	return &Probe{
		base: "http://" + addr,
		client: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{DisableKeepAlives: true},
		},
	}
}

// Get fetches path and returns the body of a 200 answer. A request whose
// connection ends before any answer (io.EOF, a reset) is sent once more on
// a new connection: the debug endpoints are idempotent, and the nbio target
// was seen to drop one such connection during a reconnect storm (CI,
// session 5). A second failure is returned.
func (p *Probe) Get(ctx context.Context, path string) ([]byte, error) {
	body, err := p.get(ctx, path)
	if err != nil && ctx.Err() == nil && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
		body, err = p.get(ctx, path)
	}
	return body, err
}

func (p *Probe) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return body, nil
}

// WaitReady polls path until it answers 200, exited is closed, or ctx is
// done.
func (p *Probe) WaitReady(ctx context.Context, path string, exited <-chan struct{}) error {
	var last error
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := p.Get(rctx, path)
		cancel()
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-exited:
			return fmt.Errorf("server exited before answering: %w", last)
		case <-ctx.Done():
			return fmt.Errorf("server not ready: %w", last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// GC asks the server for a full collection (GET /debug/gc, answered "ok").
func (p *Probe) GC(ctx context.Context) error {
	body, err := p.Get(ctx, "/debug/gc")
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(body)) != "ok" {
		return fmt.Errorf("GET /debug/gc: answered %q, want ok", bytes.TrimSpace(body))
	}
	return nil
}

// Goroutines returns a Go server's goroutine count (net/http/pprof).
func (p *Probe) Goroutines(ctx context.Context) (int, error) {
	body, err := p.Get(ctx, "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, err
	}
	return ParseGoroutineTotal(body)
}

// MemStats returns the runtime.MemStats figures printed at the end of a Go
// server's heap profile (net/http/pprof).
func (p *Probe) MemStats(ctx context.Context) (MemStats, error) {
	body, err := p.Get(ctx, "/debug/pprof/heap?debug=1")
	if err != nil {
		return MemStats{}, err
	}
	return ParseMemStats(body)
}

// ParseGoroutineTotal reads N from the first line of a debug=1 goroutine
// profile, "goroutine profile: total N".
func ParseGoroutineTotal(b []byte) (int, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	const prefix = "goroutine profile: total "
	s, ok := strings.CutPrefix(strings.TrimSpace(string(line)), prefix)
	if !ok {
		return 0, fmt.Errorf("goroutine profile: first line %q", line)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("goroutine profile: %w", err)
	}
	return n, nil
}

// MemStats holds the runtime.MemStats fields a benchmark reports, in bytes.
type MemStats struct {
	HeapInuse  int64
	StackInuse int64
	Sys        int64
}

// ParseMemStats reads "# Name = value" lines of a debug=1 heap profile.
// Stack is printed as "# Stack = inuse / sys".
func ParseMemStats(b []byte) (MemStats, error) {
	var m MemStats
	found := 0
	s := bufio.NewScanner(bytes.NewReader(b))
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		name, value, ok := strings.Cut(strings.TrimPrefix(s.Text(), "# "), " = ")
		if !ok {
			continue
		}
		var dst *int64
		switch name {
		case "HeapInuse":
			dst = &m.HeapInuse
		case "Stack":
			dst = &m.StackInuse
		case "Sys":
			dst = &m.Sys
		default:
			continue
		}
		value, _, _ = strings.Cut(value, " ")
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return MemStats{}, fmt.Errorf("heap profile: %s: %w", name, err)
		}
		*dst = n
		found++
	}
	if err := s.Err(); err != nil {
		return MemStats{}, fmt.Errorf("heap profile: %w", err)
	}
	if found < 3 {
		return MemStats{}, fmt.Errorf("heap profile: MemStats trailer missing")
	}
	return m, nil
}
