package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/siogate/siogate/hub/siotest"
)

// Connection state recovery with the official socket.io-client against the
// real cmd/siogate binary (recovery is on by default there). The client
// (recovery/client.mjs) reaches the gateway through a TCP proxy of the
// test's: cutting the proxy's connections is a transport close for both
// sides, and the proxy can send the reconnecting client to another
// gateway. Each scenario keeps the client cut off for 5 s while the
// backend (the gateway's HTTP API) broadcasts 100 events to its room;
// after the reconnection socket.recovered must be true and the 100 events
// must arrive in order, none twice, before anything newer.

const (
	recoveryAPIKey = "recovery-test-key"
	recoveryCut    = 5 * time.Second
	recoveryEvents = 100
	recoveryRedis  = "redis://127.0.0.1:6379"
)

// TestRecoveryNodeClient: one gateway, the in-memory store, over
// WebSocket and over long-polling.
func TestRecoveryNodeClient(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, opts string }{
		{"websocket", ""},
		{"polling", `{"transports":["polling"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startRecoveryGateway(t, "")
			px := startCutProxy(t, g.addr)
			cl := startRecoveryClient(t, px.url()+"/", tc.opts)
			sid := primeRecovery(t, cl, g, "/")
			cutAndEmit(t, px, cl, g, "/", func() {})
			expectRecovered(t, cl, g, "/", sid)
		})
	}
}

// TestRecoveryNodeClientRestart: the gateway restarts (a new process on
// the same address) while the client is away; the Redis store brings the
// session and the packets across.
func TestRecoveryNodeClientRestart(t *testing.T) {
	requireRecoveryRedis(t)
	t.Parallel()
	nsp := redisNamespace(t)
	flags := []string{"-redis-url", recoveryRedis, "-namespaces", nsp}
	g := startRecoveryGateway(t, "", flags...)
	px := startCutProxy(t, g.addr)
	cl := startRecoveryClient(t, px.url()+nsp, "")
	sid := primeRecovery(t, cl, g, nsp)
	var g2 *recoveryGateway
	cutAndEmit(t, px, cl, g, nsp, func() {
		g.stop(t)
		g2 = startRecoveryGateway(t, g.addr, flags...)
	})
	expectRecovered(t, cl, g2, nsp, sid)
}

// TestRecoveryNodeClientTwoNodes: two gateways on one Redis; the client
// was on the first, the events were broadcast by the first, and it comes
// back on the second.
func TestRecoveryNodeClientTwoNodes(t *testing.T) {
	requireRecoveryRedis(t)
	t.Parallel()
	nsp := redisNamespace(t)
	flags := []string{"-redis-url", recoveryRedis, "-namespaces", nsp}
	g1 := startRecoveryGateway(t, "", flags...)
	g2 := startRecoveryGateway(t, "", flags...)
	px := startCutProxy(t, g1.addr)
	cl := startRecoveryClient(t, px.url()+nsp, "")
	sid := primeRecovery(t, cl, g1, nsp)
	cutAndEmit(t, px, cl, g1, nsp, func() { px.retarget(g2.addr) })
	expectRecovered(t, cl, g2, nsp, sid)
}

// TestRecoveryNodeClientNewSession: a session that expired, and a pid the
// gateway never gave, get a new session (socket.recovered false) and
// nothing replayed.
func TestRecoveryNodeClientNewSession(t *testing.T) {
	t.Parallel()
	g := startRecoveryGateway(t, "", "-recovery-max-disconnection", "1s")
	t.Run("expired", func(t *testing.T) {
		px := startCutProxy(t, g.addr)
		cl := startRecoveryClient(t, px.url()+"/", "")
		sid := primeRecovery(t, cl, g, "/")
		px.cut()
		cl.expectLost(t)
		for i := 1; i <= 10; i++ {
			g.emit(t, "/", "news", "tick", i)
		}
		time.Sleep(2 * time.Second) // past the 1 s window
		px.restore()
		ev := cl.waitConnect(t)
		if ev.Recovered || ev.ID == sid {
			t.Fatalf("expired session: recovered %v, id %s (was %s)", ev.Recovered, ev.ID, sid)
		}
		expectNothingReplayed(t, cl, g, ev.ID)
	})
	t.Run("unknown pid", func(t *testing.T) {
		cl := startRecoveryClient(t, "http://"+g.addr+"/", `{"auth":{"pid":"never-given","offset":"x-1"}}`)
		ev := cl.waitConnect(t)
		if ev.Recovered {
			t.Fatal("unknown pid: socket.recovered is true")
		}
		expectNothingReplayed(t, cl, g, ev.ID)
	})
}

// primeRecovery waits for the client's first connection, puts its socket
// in the room "news" and sends it tick 0, so that it holds an offset (a
// client that received no recorded packet has none to present). It
// returns the socket id.
func primeRecovery(t *testing.T, cl *recoveryClient, g *recoveryGateway, nsp string) string {
	t.Helper()
	ev := cl.waitConnect(t)
	if ev.Recovered {
		t.Fatal("first connection reports recovered")
	}
	g.api(t, "/api/v1/join", map[string]any{"nsp": nsp, "sids": []string{ev.ID}, "join": []string{"news"}})
	g.emit(t, nsp, "news", "tick", 0)
	if n, off := cl.expectTick(t); n != 0 || off == "" {
		t.Fatalf("tick 0: got %d with offset %q", n, off)
	}
	return ev.ID
}

// cutAndEmit cuts the client off for recoveryCut, broadcasts ticks
// 1..recoveryEvents to "news" through g meanwhile, runs during (a restart,
// a change of node) and lets the client back.
func cutAndEmit(t *testing.T, px *cutProxy, cl *recoveryClient, g *recoveryGateway, nsp string, during func()) {
	t.Helper()
	start := time.Now()
	px.cut()
	cl.expectLost(t)
	for i := 1; i <= recoveryEvents; i++ {
		g.emit(t, nsp, "news", "tick", i)
	}
	during()
	time.Sleep(time.Until(start.Add(recoveryCut)))
	px.restore()
}

// expectRecovered checks the reconnection: the same socket id,
// socket.recovered, the missed ticks in order and none twice, then a live
// broadcast through g.
func expectRecovered(t *testing.T, cl *recoveryClient, g *recoveryGateway, nsp, sid string) {
	t.Helper()
	ev := cl.waitConnect(t)
	if !ev.Recovered || ev.ID != sid {
		t.Fatalf("reconnected with recovered %v, id %s; want true, %s", ev.Recovered, ev.ID, sid)
	}
	seen := map[string]bool{}
	for i := 1; i <= recoveryEvents; i++ {
		n, off := cl.expectTick(t)
		if n != i || off == "" || seen[off] {
			t.Fatalf("missed tick #%d: got %d (offset %q, seen before %v)", i, n, off, seen[off])
		}
		seen[off] = true
	}
	g.emit(t, nsp, "news", "live", "after")
	if e := cl.nextEvent(t); e.Event != "live" {
		t.Fatalf("after the replay: got %s %s, want the live event", e.Event, e.Args)
	}
}

// expectNothingReplayed checks that the first event of a new session is
// the live one.
func expectNothingReplayed(t *testing.T, cl *recoveryClient, g *recoveryGateway, sid string) {
	t.Helper()
	g.emit(t, "/", "", "live", "after", sid)
	if e := cl.nextEvent(t); e.Event != "live" {
		t.Fatalf("new session: got %s %s first, want the live event", e.Event, e.Args)
	}
}

// --- the gateway process

var recoveryBuild struct {
	once sync.Once
	bin  string
	err  error
}

// recoveryGatewayBinary builds cmd/siogate once per test binary (with -race
// when this test binary has it).
func recoveryGatewayBinary(t *testing.T) string {
	t.Helper()
	recoveryBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "siogate-e2e-recovery-")
		if err != nil {
			recoveryBuild.err = err
			return
		}
		bin := filepath.Join(dir, "siogate")
		if recoveryBuild.err = siotest.Build(bin, "github.com/siogate/siogate/cmd/siogate"); recoveryBuild.err != nil {
			return
		}
		recoveryBuild.bin = bin
	})
	if recoveryBuild.err != nil {
		t.Fatal(recoveryBuild.err)
	}
	return recoveryBuild.bin
}

// recoveryGateway is a running cmd/siogate.
type recoveryGateway struct {
	addr   string
	cmd    *exec.Cmd
	out    *sioLockedBuffer
	exited chan struct{}
	err    error
}

// startRecoveryGateway runs the gateway on addr ("" for a free port) with
// the API on, no chat page and a quick drain, and waits for /healthz.
func startRecoveryGateway(t *testing.T, addr string, flags ...string) *recoveryGateway {
	t.Helper()
	recoveryNeedsNode(t)
	if addr == "" {
		addr = siotest.FreeAddr(t)
	}
	args := append([]string{"-addr", addr, "-api-key", recoveryAPIKey, "-chat=false",
		"-drain-spread", "0s", "-shutdown-timeout", "5s", "-ping-interval", "2s", "-ping-timeout", "5s"}, flags...)
	g := &recoveryGateway{addr: addr, out: &sioLockedBuffer{}, exited: make(chan struct{})}
	g.cmd = exec.Command(recoveryGatewayBinary(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SIOGATE_") {
			g.cmd.Env = append(g.cmd.Env, kv)
		}
	}
	g.cmd.Stdout, g.cmd.Stderr = g.out, g.out
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		g.err = g.cmd.Wait()
		close(g.exited)
	}()
	t.Cleanup(func() { g.stop(t) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return g
			}
		}
		select {
		case <-g.exited:
			t.Fatalf("gateway exited before serving: %v\n%s", g.err, g.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway not serving on %s: %v\n%s", addr, err, g.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop drains the gateway (SIGINT) and waits for it; a data race it
// reported fails t. It may be called twice.
func (g *recoveryGateway) stop(t *testing.T) {
	select {
	case <-g.exited:
	default:
		_ = g.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-g.exited:
		case <-time.After(15 * time.Second):
			t.Errorf("gateway (pid %d) still running 15 s after SIGINT: killed", g.cmd.Process.Pid)
			_ = g.cmd.Process.Kill()
			<-g.exited
		}
	}
	if out := g.out.String(); strings.Contains(out, "WARNING: DATA RACE") || t.Failed() {
		if strings.Contains(out, "WARNING: DATA RACE") {
			t.Errorf("the gateway reported a data race")
		}
		t.Logf("gateway %s output:\n%s", g.addr, out)
		g.out = &sioLockedBuffer{} // log it once
	}
}

// api POSTs body to the gateway's HTTP API and fails t unless it answers 200.
func (g *recoveryGateway) api(t *testing.T, path string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, "http://"+g.addr+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+recoveryAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	if reply, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s %s: %d %s", path, b, resp.StatusCode, reply)
	}
}

// emit broadcasts event(arg) to room of nsp (to the socket sid when room
// is "").
func (g *recoveryGateway) emit(t *testing.T, nsp, room, event string, arg any, sid ...string) {
	t.Helper()
	body := map[string]any{"nsp": nsp, "event": event, "args": []any{arg}}
	if room != "" {
		body["rooms"] = []string{room}
	} else {
		body["sids"] = sid
	}
	g.api(t, "/api/v1/emit", body)
}

// --- the proxy

// cutProxy forwards TCP connections to a gateway until it is cut: then it
// closes every connection it carries and refuses new ones until restored.
type cutProxy struct {
	ln net.Listener
	wg sync.WaitGroup

	mu     sync.Mutex
	target string
	down   bool
	conns  map[net.Conn]struct{}
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *cutProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down, target := p.down, p.target
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", target, 2*time.Second)
		if err != nil {
			_ = c.Close()
			continue
		}
		if !p.track(c, up) {
			continue
		}
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

// track registers a connection pair unless the proxy went down meanwhile.
func (p *cutProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *cutProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// cut closes every connection and refuses new ones.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

func (p *cutProxy) retarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

// --- the Node client

// recoveryEvent is one line of recovery/client.mjs.
type recoveryEvent struct {
	Type      string            `json:"type"`
	ID        string            `json:"id"`
	Recovered bool              `json:"recovered"`
	Reason    string            `json:"reason"`
	Message   string            `json:"message"`
	Event     string            `json:"event"`
	Args      []json.RawMessage `json:"args"`
}

type recoveryClient struct {
	events chan recoveryEvent
}

// startRecoveryClient runs recovery/client.mjs against url with the
// client options opts (JSON, "" for none); it is stopped when t ends.
func startRecoveryClient(t *testing.T, url, opts string) *recoveryClient {
	t.Helper()
	recoveryNeedsNode(t)
	cmd := exec.Command("node", filepath.Join("recovery", "client.mjs"))
	cmd.Env = append(os.Environ(), "SIOGATE_URL="+url, "SIOGATE_OPTS="+opts, "NO_COLOR=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr sioLockedBuffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cl := &recoveryClient{events: make(chan recoveryEvent, 1024)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(cl.events)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var ev recoveryEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Errorf("client line %q: %v", sc.Text(), err)
				continue
			}
			cl.events <- ev
		}
	}()
	t.Cleanup(func() {
		_, _ = io.WriteString(stdin, `{"op":"exit"}`+"\n")
		_ = stdin.Close()
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		select {
		case err := <-waited:
			if err != nil && !t.Failed() {
				t.Errorf("client: %v\n%s", err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-waited
			t.Errorf("client (pid %d) did not exit: killed", cmd.Process.Pid)
		}
		<-done
		if t.Failed() {
			t.Logf("client stderr:\n%s", stderr.String())
		}
	})
	return cl
}

// next returns the next line of the client, failing after 20 s.
func (cl *recoveryClient) next(t *testing.T) recoveryEvent {
	t.Helper()
	select {
	case ev, ok := <-cl.events:
		if !ok {
			t.Fatal("the client exited")
		}
		return ev
	case <-time.After(20 * time.Second):
		t.Fatal("the client reported nothing for 20 s")
	}
	return recoveryEvent{}
}

// waitConnect skips connection errors (the proxy refuses while cut) up to
// the next connect.
func (cl *recoveryClient) waitConnect(t *testing.T) recoveryEvent {
	t.Helper()
	for {
		ev := cl.next(t)
		switch ev.Type {
		case "connect":
			return ev
		case "connect_error":
			continue
		}
		t.Fatalf("waiting for connect, got %+v", ev)
	}
}

// expectLost reads the disconnect of a lost connection: "transport close"
// (WebSocket) or "transport error" (a polling request cut).
func (cl *recoveryClient) expectLost(t *testing.T) {
	t.Helper()
	if ev := cl.next(t); ev.Type != "disconnect" || (ev.Reason != "transport close" && ev.Reason != "transport error") {
		t.Fatalf("got %+v, want the disconnect of a lost connection", ev)
	}
}

// nextEvent returns the next event the socket received.
func (cl *recoveryClient) nextEvent(t *testing.T) recoveryEvent {
	t.Helper()
	ev := cl.next(t)
	if ev.Type != "event" {
		t.Fatalf("got %+v, want an event", ev)
	}
	return ev
}

// expectTick reads a "tick" event: its number and its offset (the last
// argument, which recovery appends).
func (cl *recoveryClient) expectTick(t *testing.T) (int, string) {
	t.Helper()
	ev := cl.nextEvent(t)
	var n int
	var off string
	if ev.Event != "tick" || len(ev.Args) != 2 || json.Unmarshal(ev.Args[0], &n) != nil || json.Unmarshal(ev.Args[1], &off) != nil {
		t.Fatalf("got %s %s, want tick(<n>, <offset>)", ev.Event, ev.Args)
	}
	return n, off
}

// --- requirements

// recoveryNeedsNode skips (fails under CI) without node and the npm
// packages.
func recoveryNeedsNode(t *testing.T) {
	t.Helper()
	siotest.RequireNode(t, "socket.io-client")
}

// requireRecoveryRedis skips (fails under CI) without Redis at
// 127.0.0.1:6379.
func requireRecoveryRedis(t *testing.T) {
	t.Helper()
	siotest.RequireRedis(t)
}

// redisNamespace returns a namespace of the test's own (its Redis channels
// and keys are apart from other users of the Redis) and deletes its
// recovery stream when the test ends.
func redisNamespace(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	nsp := "/e2e-recovery-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		opt, err := redis.ParseURL(recoveryRedis)
		if err != nil {
			return
		}
		c := redis.NewClient(opt)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := c.Del(ctx, "socket.io-stream#"+nsp+"#").Err(); err != nil && !errors.Is(err, redis.Nil) {
			t.Logf("deleting the recovery stream: %v", err)
		}
	})
	return nsp
}
