package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/siogate/siogate/hub/siotest"
)

// chromiumPath is Debian's Chromium (`apt-get install chromium`); the
// tests never download a browser.
const chromiumPath = "/usr/bin/chromium"

// TestBrowserChat drives the chat page that cmd/siogate serves at / in
// headless Chromium with playwright-core: it builds the gateway (with -race
// when this test binary has it), runs it on a free 127.0.0.1 port and runs
// every e2e/browser/*.test.mjs file with node as one subtest. The files
// cover rooms, presence, typing, history, direct messages to every tab of
// a user, image and voice attachments, long-polling next to WebSocket, and
// a gateway killed and restarted on the same port (the Node side asks for
// that with "@@kill" / "@@start" lines, see browserRunNode). Screenshots go
// to $SIOGATE_ARTIFACTS, or to a new temporary folder; the test logs
// where.
func TestBrowserChat(t *testing.T) {
	files := browserFiles(t)
	gw := &browserGateway{bin: browserBuildGateway(t), addr: siotest.FreeAddr(t), out: &sioLockedBuffer{}}
	t.Cleanup(func() { gw.stop(t) })
	if err := gw.start(); err != nil {
		t.Fatalf("%v\n%s", err, gw.out.String())
	}
	artifacts := os.Getenv("SIOGATE_ARTIFACTS")
	if artifacts == "" {
		dir, err := os.MkdirTemp("", "siogate-browser-")
		if err != nil {
			t.Fatal(err)
		}
		artifacts = dir
	} else if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("gateway on http://%s; screenshots go to %s", gw.addr, artifacts)

	env := []string{
		"SIOGATE_URL=http://" + gw.addr,
		"SIOGATE_CHROMIUM=" + chromiumPath,
		"SIOGATE_ARTIFACTS=" + artifacts,
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".test.mjs")
		t.Run(name, func(t *testing.T) {
			browserRunNode(t, file, env, gw)
			if err := gw.exitErr(); err != nil {
				t.Fatalf("gateway exited during %s: %v", name, err)
			}
		})
	}
	if shot := filepath.Join(artifacts, "chat.png"); fileExists(shot) {
		t.Logf("screenshot of two chatting windows: %s", shot)
	} else {
		t.Errorf("no screenshot at %s", shot)
	}
}

// browserFiles lists browser/*.test.mjs, or skips (fails under CI) when
// something the tests need is missing: node, playwright-core, Chromium, or
// the chat page's socket.io-client bundle (`make chat-assets`).
func browserFiles(t *testing.T) []string {
	t.Helper()
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not installed: run `make deps` (npm) first"
	} else if !fileExists(filepath.Join("node_modules", "playwright-core", "package.json")) {
		missing = "e2e/node_modules/playwright-core is missing: run `make deps` (npm) first"
	} else if !fileExists(chromiumPath) {
		missing = chromiumPath + " is missing: apt-get install chromium"
	} else if !fileExists(filepath.Join("..", "cmd", "siogate", "chat", "web", "vendor", "socket.io.min.js")) {
		missing = "the chat page's socket.io-client bundle is missing: run `make chat-assets` first"
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatal(missing)
		}
		t.Skip(missing)
	}
	return testFiles(t, "browser")
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// browserBuildGateway builds cmd/siogate into t.TempDir().
func browserBuildGateway(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "siogate")
	if err := siotest.Build(bin, "github.com/siogate/siogate/cmd/siogate"); err != nil {
		t.Fatal(err)
	}
	return bin
}

// browserGateway is the gateway process, which the tests kill and start
// again on the same address. Its output accumulates over its runs.
type browserGateway struct {
	bin, addr string
	out       *sioLockedBuffer

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	err    error         // cmd.Wait's result, set before exited closes
	killed bool          // the exit was asked for
}

// start runs the gateway and waits until /healthz answers.
func (g *browserGateway) start() error {
	cmd := exec.Command(g.bin, "-addr", g.addr, "-log-level", "warn", "-shutdown-timeout", "5s")
	cmd.Env = browserCleanEnv()
	cmd.Stdout, cmd.Stderr = g.out, g.out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	g.mu.Lock()
	g.cmd, g.exited, g.killed = cmd, exited, false
	g.mu.Unlock()
	go func() {
		err := cmd.Wait()
		g.mu.Lock()
		g.err = err
		g.mu.Unlock()
		close(exited)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + g.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("gateway exited before serving: %v", g.err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gateway not serving on %s after 30 s: %v", g.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the gateway abruptly (SIGKILL, by its pid), as a crash would.
func (g *browserGateway) kill() error {
	g.mu.Lock()
	cmd, exited := g.cmd, g.exited
	g.killed = true
	g.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-exited:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("gateway still running 10 s after SIGKILL")
	}
}

// exitErr reports an exit nobody asked for, or nil while it runs.
func (g *browserGateway) exitErr() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.exited == nil || g.killed {
		return nil
	}
	select {
	case <-g.exited:
		if g.err == nil {
			return errors.New("exit status 0")
		}
		return g.err
	default:
		return nil
	}
}

// stop interrupts the gateway, kills it if it still runs after 10 s, and
// reports its output when t failed or the race detector fired.
func (g *browserGateway) stop(t *testing.T) {
	g.mu.Lock()
	cmd, exited := g.cmd, g.exited
	g.mu.Unlock()
	if cmd != nil {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				t.Errorf("gateway (pid %d) still running 10 s after SIGINT: killed", cmd.Process.Pid)
				_ = cmd.Process.Kill()
				<-exited
			}
		}
	}
	out := g.out.String()
	if strings.Contains(out, "WARNING: DATA RACE") {
		t.Errorf("the gateway reported a data race")
	}
	if t.Failed() {
		t.Logf("gateway output:\n%s", out)
	}
}

// browserCleanEnv is the environment without SIOGATE_* settings.
func browserCleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SIOGATE_") {
			env = append(env, kv)
		}
	}
	return env
}

// browserRunNode runs one test file with node (spec reporter), logging its
// output into t and answering its requests: a line "@@kill" kills the
// gateway, "@@start" starts it again on the same address; each is
// answered on node's stdin with "<request>: ok" (or "<request>: <error>").
// It fails t when node exits non-zero or runs past 3 minutes.
func browserRunNode(t *testing.T, file string, env []string, gw *browserGateway) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := nodeCommand(ctx, env, "--test-reporter=spec", file)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	runErr := runLines(cmd, func(line string) {
		req, ok := strings.CutPrefix(line, "@@")
		if !ok {
			t.Log(line)
			return
		}
		answer := "ok"
		var err error
		switch req {
		case "kill":
			err = gw.kill()
		case "start":
			err = gw.start()
		default:
			err = fmt.Errorf("unknown request %q", req)
		}
		if err != nil {
			t.Errorf("@@%s: %v", req, err)
			answer = strings.ReplaceAll(err.Error(), "\n", " ")
		} else {
			t.Logf("@@%s done", req)
		}
		_, _ = io.WriteString(stdin, req+": "+answer+"\n")
	})
	switch {
	case ctx.Err() != nil:
		t.Fatalf("node %s still running after %v: killed", file, time.Since(start).Round(time.Second))
	case runErr != nil:
		t.Fatalf("node %s: %v", file, runErr)
	}
}
