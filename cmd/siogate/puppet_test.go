package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// clientEvent is one line of testdata/clients.mjs.
type clientEvent struct {
	ID        string            `json:"id"`
	Type      string            `json:"type"`
	SID       string            `json:"sid"`
	Transport string            `json:"transport"`
	Message   string            `json:"message"`
	Data      json.RawMessage   `json:"data"`
	Reason    string            `json:"reason"`
	Code      int               `json:"code"`
	Event     string            `json:"event"`
	Args      []json.RawMessage `json:"args"`
	Ref       int               `json:"ref"`
	Err       string            `json:"err"`
}

// puppet drives socket.io-client sockets in one node process.
type puppet struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex
	queue []clientEvent
	wake  chan struct{} // closed and replaced when an event arrives
	done  chan struct{} // closed when stdout ends
}

// requireNode skips the test (fails it under CI) without node and the npm
// packages.
func requireNode(t *testing.T) string {
	t.Helper()
	missing := ""
	e2e, _ := filepath.Abs(filepath.Join("..", "..", "e2e"))
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not installed"
	} else if _, err := os.Stat(filepath.Join(e2e, "node_modules", "socket.io-client", "package.json")); err != nil {
		missing = "e2e/node_modules/socket.io-client is missing"
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: run `make deps` first", missing)
		}
		t.Skipf("%s: run `make deps` first", missing)
	}
	return e2e
}

func startPuppet(t *testing.T) *puppet {
	t.Helper()
	e2e := requireNode(t)
	pp := &puppet{t: t, wake: make(chan struct{}), done: make(chan struct{})}
	pp.cmd = exec.Command("node", filepath.Join("testdata", "clients.mjs"))
	pp.cmd.Env = append(os.Environ(), "SIOGATE_E2E_DIR="+e2e)
	var stderr lockedBuffer
	pp.cmd.Stderr = &stderr
	stdout, err := pp.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if pp.stdin, err = pp.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := pp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(pp.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var ev clientEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				continue
			}
			pp.mu.Lock()
			pp.queue = append(pp.queue, ev)
			close(pp.wake)
			pp.wake = make(chan struct{})
			pp.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = pp.stdin.Close() // the script exits when stdin ends
		select {
		case <-pp.done:
		case <-time.After(5 * time.Second):
			_ = pp.cmd.Process.Kill()
		}
		_ = pp.cmd.Wait()
		if t.Failed() {
			if s := stderr.String(); s != "" {
				t.Logf("node stderr:\n%s", s)
			}
		}
	})
	pp.next("", "ready", 10*time.Second)
	return pp
}

// do sends one command.
func (pp *puppet) do(cmd map[string]any) {
	pp.t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := pp.stdin.Write(append(b, '\n')); err != nil {
		pp.t.Fatalf("node: %v", err)
	}
}

// connect opens socket id on url with token ("" for none) and extra
// options, and returns its first connect or connect_error event.
func (pp *puppet) connect(id, url, token string, opts map[string]any) clientEvent {
	pp.t.Helper()
	cmd := map[string]any{"op": "connect", "id": id, "url": url}
	if token != "" {
		cmd["token"] = token
	}
	for k, v := range opts {
		cmd[k] = v
	}
	pp.do(cmd)
	return pp.nextOf(id, 10*time.Second, "connect", "connect_error")
}

// next returns (and consumes) the first event of socket id with type typ.
func (pp *puppet) next(id, typ string, d time.Duration) clientEvent {
	pp.t.Helper()
	return pp.nextOf(id, d, typ)
}

func (pp *puppet) nextOf(id string, d time.Duration, types ...string) clientEvent {
	pp.t.Helper()
	ev, ok := pp.take(id, d, types...)
	if !ok {
		pp.mu.Lock()
		q := fmt.Sprint(pp.queue)
		pp.mu.Unlock()
		pp.t.Fatalf("socket %q: no %v event within %s (queued: %s)", id, types, d, q)
	}
	return ev
}

// none fails if socket id gets an event of type typ within d.
func (pp *puppet) none(id, typ string, d time.Duration) {
	pp.t.Helper()
	if ev, ok := pp.take(id, d, typ); ok {
		pp.t.Fatalf("socket %q: unexpected %s event %+v", id, typ, ev)
	}
}

func (pp *puppet) take(id string, d time.Duration, types ...string) (clientEvent, bool) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		pp.mu.Lock()
		for i, ev := range pp.queue {
			if ev.ID != id {
				continue
			}
			for _, typ := range types {
				if ev.Type == typ {
					pp.queue = append(pp.queue[:i:i], pp.queue[i+1:]...)
					pp.mu.Unlock()
					return ev, true
				}
			}
		}
		wake := pp.wake
		pp.mu.Unlock()
		select {
		case <-wake:
		case <-pp.done:
			return clientEvent{}, false
		case <-deadline.C:
			return clientEvent{}, false
		}
	}
}

// jsonEq reports whether two JSON texts hold the same value.
func jsonEq(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
