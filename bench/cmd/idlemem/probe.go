package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// probe talks to a server's debug endpoints.
type probe struct {
	base   string // http://host:port
	client *http.Client
}

func newProbe(addr string) probe {
	return probe{
		base: "http://" + addr,
		// No keep-alive: an idle HTTP connection would be counted as a socket.
		client: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{DisableKeepAlives: true},
		},
	}
}

// get fetches path and returns the body of a 200 answer.
func (p probe) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return body, nil
}

// waitReady polls /debug/pprof/ until it answers 200, exited is closed, or
// ctx is done.
func (p probe) waitReady(ctx context.Context, exited <-chan struct{}) error {
	var last error
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := p.get(rctx, "/debug/pprof/")
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

// gc asks the server for runtime.GC + debug.FreeOSMemory.
func (p probe) gc(ctx context.Context) error {
	body, err := p.get(ctx, "/debug/gc")
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(body)) != "ok" {
		return fmt.Errorf("GET /debug/gc: answered %q, want ok", body)
	}
	return nil
}

// goroutines returns the server's goroutine count.
func (p probe) goroutines(ctx context.Context) (int, error) {
	body, err := p.get(ctx, "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, err
	}
	return parseGoroutineTotal(body)
}

// memStats returns the runtime.MemStats figures printed at the end of the
// heap profile. The server's heap profile may be empty of samples; the
// MemStats trailer is always there.
func (p probe) memStats(ctx context.Context) (memStats, error) {
	body, err := p.get(ctx, "/debug/pprof/heap?debug=1")
	if err != nil {
		return memStats{}, err
	}
	return parseMemStats(body)
}

// parseGoroutineTotal reads N from the first line of a debug=1 goroutine
// profile, "goroutine profile: total N".
func parseGoroutineTotal(b []byte) (int, error) {
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

// memStats holds the runtime.MemStats fields the benchmark reports, in bytes.
type memStats struct {
	HeapInuse  int64
	StackInuse int64
	Sys        int64
}

// parseMemStats reads "# Name = value" lines of a debug=1 heap profile.
// Stack is printed as "# Stack = inuse / sys".
func parseMemStats(b []byte) (memStats, error) {
	var m memStats
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
			return memStats{}, fmt.Errorf("heap profile: %s: %w", name, err)
		}
		*dst = n
		found++
	}
	if err := s.Err(); err != nil {
		return memStats{}, fmt.Errorf("heap profile: %w", err)
	}
	if found < 3 {
		return memStats{}, fmt.Errorf("heap profile: MemStats trailer missing")
	}
	return m, nil
}
