package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/siogate/siogate/hub/siotest"
)

// and exits 0 on SIGINT.
func TestRunCommand(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	// README.md's command is `make run`: the chat page's npm step, then
	// `go run ./cmd/siogate`, which this test runs.
	if !strings.Contains(string(readme), "make run\n") || !strings.Contains(string(readme), "`go run ./cmd/siogate`") {
		t.Fatal("README.md no longer shows `make run` and `go run ./cmd/siogate`; update this test with it")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	addr := siotest.FreeAddr(t)
	cmd := exec.Command(goBin, "run", "./cmd/siogate")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = cleanEnv("SIOGATE_ADDR=" + addr)
	p := startProc(t, cmd, addr, true)

	if !regexp.MustCompile(`msg="siogate listening" url=http://` + regexp.QuoteMeta(addr) + `/ `).MatchString(p.out.String()) {
		t.Errorf("no start line with the URL in:\n%s", p.out.String())
	}
	// The chat page, or 503 when its bundle was not fetched (make chat-assets).
	if r := p.call(t, "GET", "/", "", nil); !chatPageServed(r) {
		t.Errorf("GET /: %d %s", r.status, r.raw)
	}
	if r := p.call(t, "GET", "/readyz", "", nil); r.status != 200 {
		t.Errorf("GET /readyz: %d", r.status)
	}
	if r := p.call(t, "GET", "/socket.io/?EIO=4&transport=polling", "", nil); r.status != 200 || !strings.Contains(string(r.raw), `"sid"`) {
		t.Errorf("polling handshake: %d %s", r.status, r.raw)
	}
	if r := p.call(t, "GET", "/api/v1/stats", "", nil); r.status != 404 || r.body["error"] != "api_disabled" {
		t.Errorf("API without -api-key: %d %s", r.status, r.raw)
	}
	p.signal(syscall.SIGINT)
	err, ok := p.wait(15 * time.Second)
	if !ok {
		t.Fatal("go run ./cmd/siogate did not exit within 15 s of SIGINT")
	}
	// The go command itself exits 1 when it sees SIGINT while it runs a
	// program (Go 1.26), whatever the program does; the gateway's clean
	// exit shows in its last log line.
	if err != nil && !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("exit: %v", err)
	}
	if !strings.Contains(p.out.String(), `msg="siogate stopped"`) {
		t.Errorf("the gateway did not stop cleanly:\n%s", p.out.String())
	}
}

// exits 0.
func TestHelp(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(gatewayBinary(t), "-h").CombinedOutput()
	if err != nil {
		t.Fatalf("-h: %v\n%s", err, out)
	}
	for _, f := range []string{"addr", "allowed-origins", "jwt-secret", "jwt-public-key", "jwt-user-claim", "allow-anonymous",
		"api-key", "api-max-body", "webhook-url", "webhook-events", "webhook-timeout", "webhook-concurrency",
		"log-format", "log-level", "shutdown-timeout", "drain-spread"} {
		if !regexp.MustCompile(`(?m)^  -`+f+`( |$)`).Match(out) || !strings.Contains(string(out), envName(f)) {
			t.Errorf("-h does not document -%s / %s", f, envName(f))
		}
	}
}
