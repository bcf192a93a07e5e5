package redisadapter_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/redisadapter"
	"github.com/siogate/siogate/hub/siotest"
)

// redisProc is a redis-server the test runs on a port of its own.
type redisProc struct {
	t    *testing.T
	port string
	cmd  *exec.Cmd
}

func startRedisServer(t *testing.T) *redisProc {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is required in CI")
		}
		t.Skip("redis-server is not installed (this test fails under CI)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	r := &redisProc{t: t, port: port}
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *redisProc) url() string { return "redis://127.0.0.1:" + r.port }

func (r *redisProc) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", r.port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--loglevel", "warning")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	opt, _ := redis.ParseURL(r.url())
	c := redis.NewClient(opt)
	defer c.Close()
	deadline := time.Now().Add(siotest.WaitTimeout)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on port %s did not start", r.port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signal sends sig to the server, by its pid.
func (r *redisProc) signal(sig os.Signal) {
	r.t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Fatal(err)
	}
}

// kill ends the server with SIGKILL, by its pid.
func (r *redisProc) kill() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// ticker emits "tick", n from node a to room "r" every few milliseconds
// and records the slowest Emit.
type ticker struct {
	n       atomic.Int64
	slowest atomic.Int64 // ns
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func startTicker(srv *hub.Server) *ticker {
	tk := &ticker{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(tk.done)
		for {
			select {
			case <-tk.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			start := time.Now()
			_ = srv.To("r").Emit("tick", tk.n.Add(1))
			if d := int64(time.Since(start)); d > tk.slowest.Load() {
				tk.slowest.Store(d)
			}
		}
	}()
	return tk
}

func (tk *ticker) halt() {
	tk.once.Do(func() { close(tk.stop) })
	<-tk.done
}

// nextTick reads p's packets up to the next tick, answering a "q" with
// an ack on the way, and returns its number.
func nextTick(t *testing.T, p peer) int64 {
	t.Helper()
	p.c.Fatalf = t.Fatalf
	for {
		pk := p.c.Next()
		name, args := pk.Event()
		switch name {
		case "tick":
			n, _ := strconv.ParseInt(string(args[0]), 10, 64)
			return n
		case "q":
			p.c.Ack("/", pk.ID, "ok")
		}
	}
}

// waitTick reads p's ticks until one numbered above after arrives, and
// returns how long that took.
func waitTick(t *testing.T, p peer, after int64) time.Duration {
	t.Helper()
	start := time.Now()
	for nextTick(t, p) <= after {
	}
	return time.Since(start)
}

// TestRedisOutage kills the Redis under two nodes during traffic, then
// starts it again.
func TestRedisOutage(t *testing.T) {
	rs := startRedisServer(t)
	o := redisadapter.Options{URL: rs.url(), Key: testKey(t), RequestTimeout: 2 * time.Second, HealthCheckInterval: 500 * time.Millisecond}
	a := startNode(t, o, hub.Options{}, nil)
	b := startNode(t, o, hub.Options{}, nil)
	waitServers(t, a.srv, "/", 2)
	a1, b1 := join(t, a, "r"), join(t, b, "r")

	tk := startTicker(a.srv)
	defer tk.halt()
	waitTick(t, b1, 5) // cross-node traffic flows
	goroutines := runtime.NumGoroutine()

	rs.kill()
	killedAt := tk.n.Load()
	siotest.WaitFor(t, "both buses to see Redis go", func() bool { return !a.bus.Connected() && !b.bus.Connected() })

	// Local delivery goes on, for two seconds (the reconnection attempts
	// back off meanwhile).
	downAt := time.Now()
	for last := int64(0); time.Since(downAt) < 2*time.Second; {
		n := nextTick(t, a1)
		if n <= last {
			t.Fatalf("a1: tick %d after %d", n, last)
		}
		last = n
	}

	// Requests fail fast with a clear error; the local part still works.
	ctx := context.Background()
	start := time.Now()
	infos, err := a.srv.In("r").FetchSockets(ctx)
	if !errors.Is(err, redisadapter.ErrUnavailable) || len(infos) != 1 || time.Since(start) > 200*time.Millisecond {
		t.Errorf("FetchSockets while Redis is down: %d sockets, %v, in %v", len(infos), err, time.Since(start))
	} else {
		t.Logf("FetchSockets while Redis is down: %v", err)
	}
	if _, err := b.srv.ServerSideEmitWithAck(ctx, "x"); !errors.Is(err, redisadapter.ErrUnavailable) {
		t.Errorf("ServerSideEmitWithAck while Redis is down: %v", err)
	}
	if err := b.srv.ServerSideEmit("x"); !errors.Is(err, redisadapter.ErrUnavailable) {
		t.Errorf("ServerSideEmit while Redis is down: %v", err)
	}
	acked := make(chan error, 1)
	go func() {
		_, err := a.srv.To("r").Timeout(5*time.Second).EmitWithAck(ctx, "q")
		acked <- err
	}()
	waitTick(t, a1, tk.n.Load()+5) // answers the "q" on the way
	if err := siotest.Recv(t, acked, "EmitWithAck"); err != nil {
		t.Errorf("EmitWithAck to the local sockets while Redis is down: %v", err)
	}
	if st := a.bus.Stats(); st.PublishFailed == 0 || st.Connected {
		t.Errorf("stats while down: %+v", st)
	}

	// Redis comes back: cross-node traffic resumes by itself.
	rs.start()
	restartedAt := tk.n.Load()
	d := waitTick(t, b1, restartedAt)
	t.Logf("outage: ticks %d..%d lost to b; traffic resumed %v after the restart", killedAt, restartedAt, d.Round(time.Millisecond))
	if d > 5*time.Second {
		t.Errorf("cross-node traffic took %v to resume", d)
	}
	siotest.WaitFor(t, "both buses to reconnect", func() bool { return a.bus.Connected() && b.bus.Connected() })
	waitServers(t, a.srv, "/", 2)
	infos, err = a.srv.In("r").FetchSockets(ctx)
	if err != nil || len(infos) != 2 {
		t.Errorf("FetchSockets after the outage: %d sockets, %v", len(infos), err)
	}
	for _, n := range []*node{a, b} {
		if st := n.bus.Stats(); st.Reconnects != 1 || !st.Connected {
			t.Errorf("stats after the outage: %+v", st)
		}
	}

	// Redis hangs (stopped, its connections open): an Emit that waited
	// for it would take the RequestTimeout; local delivery goes on.
	rs.signal(syscall.SIGSTOP)
	hungAt := time.Now()
	for last := int64(0); time.Since(hungAt) < time.Second; {
		if n := nextTick(t, a1); n <= last {
			t.Fatalf("a1 while Redis hangs: tick %d after %d", n, last)
		} else {
			last = n
		}
	}
	rs.signal(syscall.SIGCONT)

	tk.halt()
	// Waiting for Redis costs a request timeout (2 s); the bound is half of
	// that so that scheduler stalls on a loaded machine (59 ms seen under
	// -race in CI) do not count.
	if slow := time.Duration(tk.slowest.Load()); slow > o.RequestTimeout/2 {
		t.Errorf("an Emit took %v: broadcasts must not wait for Redis", slow)
	} else {
		t.Logf("slowest Emit: %v", slow)
	}
	siotest.WaitFor(t, "goroutines to settle", func() bool { return runtime.NumGoroutine() <= goroutines+5 })
}

// TestStartWithoutRedis starts a node while its Redis is down: local
// traffic works, requests fail fast, and the node joins the bus when
// Redis appears.
func TestStartWithoutRedis(t *testing.T) {
	rs := startRedisServer(t)
	rs.kill()
	o := redisadapter.Options{URL: rs.url(), Key: testKey(t), RequestTimeout: time.Second}
	bus, err := redisadapter.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	srv, addr := siotest.StartServer(t, hub.Options{NewAdapter: bus.NewAdapter})
	n := &node{srv: srv, addr: addr, bus: bus}
	p := join(t, n, "r")
	_ = srv.To("r").Emit("x")
	p.c.ExpectEvent("x")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	siotest.WaitFor(t, "the first connection attempt to fail", func() bool {
		_, err := srv.To("r").FetchSockets(ctx)
		return errors.Is(err, redisadapter.ErrUnavailable)
	})
	if err := ctx.Err(); err != nil {
		t.Fatalf("FetchSockets did not fail fast: %v", err)
	}
	rs.start()
	siotest.WaitFor(t, "the bus to come up", bus.Connected)
	if err := adapterOf(t, srv, "/").WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitServers(t, srv, "/", 1)
	if st := bus.Stats(); st.Reconnects != 0 {
		t.Errorf("first connection counted as a reconnect: %+v", st)
	}
}

// TestCloseFailsPending closes a Bus while a request waits for a node that
// never answers.
func TestCloseFailsPending(t *testing.T) {
	url, key := redisURL(t), testKey(t)
	n := startNode(t, redisadapter.Options{URL: url, Key: key, RequestTimeout: 10 * time.Second}, hub.Options{}, nil)
	// A silent "node": subscribed to the request channel, never answers.
	opt, _ := redis.ParseURL(url)
	rc := redis.NewClient(opt)
	defer rc.Close()
	ps := rc.Subscribe(context.Background(), key+"-request#/#")
	defer ps.Close()
	if _, err := ps.Receive(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitServers(t, n.srv, "/", 2)
	done := make(chan error, 1)
	go func() {
		_, err := n.srv.To().FetchSockets(context.Background())
		done <- err
	}()
	siotest.WaitFor(t, "the request to be sent", func() bool { return n.bus.Stats().RequestsSent == 1 })
	start := time.Now()
	_ = n.srv.Of("/").Adapter().Close()
	if err := siotest.Recv(t, done, "FetchSockets"); !errors.Is(err, redisadapter.ErrClosed) || time.Since(start) > time.Second {
		t.Fatalf("FetchSockets after Close: %v", err)
	}
	if _, err := n.srv.To().FetchSockets(context.Background()); !errors.Is(err, redisadapter.ErrClosed) {
		t.Fatalf("FetchSockets on a closed adapter: %v", err)
	}
	// The node still serves its own sockets.
	p := join(t, n, "r")
	_ = n.srv.To("r").Emit("x")
	p.c.ExpectEvent("x")
	if err := n.bus.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.srv.ServerSideEmit("x"); !errors.Is(err, redisadapter.ErrClosed) {
		t.Fatalf("ServerSideEmit after bus.Close: %v", err)
	}
}

// stallProxy forwards TCP connections to a target, and can stall them:
// bytes stop flowing but the connections stay open, as with a network
// partition (no RST, no FIN).
type stallProxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	stalled bool
	resume  chan struct{} // closed when a stall ends
	conns   []net.Conn
	wg      sync.WaitGroup
}

func startStallProxy(t *testing.T, target string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target, resume: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *stallProxy) addr() string { return p.ln.Addr().String() }

func (p *stallProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *stallProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			dst.Close()
			return
		}
		p.mu.Lock()
		stalled, resume := p.stalled, p.resume
		p.mu.Unlock()
		if stalled {
			<-resume
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			src.Close()
			return
		}
	}
}

func (p *stallProxy) stall(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on == p.stalled {
		return
	}
	p.stalled = on
	if !on {
		close(p.resume)
		p.resume = make(chan struct{})
	}
}

func (p *stallProxy) close() {
	p.ln.Close()
	p.stall(false)
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// TestSilentConnection stalls the subscription connection without closing
// it: the health check notices, the bus goes down and requests fail fast;
// when traffic flows again the bus comes back.
func TestSilentConnection(t *testing.T) {
	url := redisURL(t)
	opt, _ := redis.ParseURL(url)
	proxy := startStallProxy(t, opt.Addr)
	o := redisadapter.Options{URL: url, Key: testKey(t), RequestTimeout: time.Second}
	a := startNode(t, o, hub.Options{}, nil)
	// b reaches Redis through the proxy and pings after 200 ms of silence.
	ob := o
	ob.URL = "redis://" + proxy.addr()
	ob.HealthCheckInterval = 200 * time.Millisecond
	b := startNode(t, ob, hub.Options{}, nil)
	waitServers(t, a.srv, "/", 2)
	b1 := join(t, b, "r")
	tk := startTicker(a.srv)
	defer tk.halt()
	waitTick(t, b1, 3)

	proxy.stall(true)
	stalledAt := time.Now()
	siotest.WaitFor(t, "b to notice the silent connection", func() bool { return !b.bus.Connected() })
	t.Logf("noticed after %v", time.Since(stalledAt).Round(time.Millisecond))
	if _, err := b.srv.To("r").FetchSockets(context.Background()); !errors.Is(err, redisadapter.ErrUnavailable) {
		t.Errorf("FetchSockets on b while stalled: %v", err)
	}

	proxy.stall(false)
	d := waitTick(t, b1, tk.n.Load())
	t.Logf("traffic resumed %v after the stall ended", d.Round(time.Millisecond))
	siotest.WaitFor(t, "b to reconnect", b.bus.Connected)
	if st := b.bus.Stats(); st.Reconnects == 0 {
		t.Errorf("stats: %+v", st)
	}
}
