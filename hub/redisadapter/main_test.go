package redisadapter_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/redisadapter"
	"github.com/siogate/siogate/hub/siotest"
)

// TestMain fails the run when goroutines of siogate outlive the tests.
func TestMain(m *testing.M) { siotest.Main(m) }

// redisURL is the shared test Redis: $SIOGATE_TEST_REDIS_URL or
// redis://127.0.0.1:6379. When it does not answer the test is skipped,
// except under CI (env CI set), where it fails.
func redisURL(t testing.TB) string {
	t.Helper()
	u, err := sharedRedis()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Redis at %s is required in CI: %v", u, err)
		}
		t.Skipf("Redis at %s is not reachable (%v): start redis-server to run this test (it fails under CI)", u, err)
	}
	return u
}

var sharedRedis = sync.OnceValues(func() (string, error) {
	u := os.Getenv("SIOGATE_TEST_REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379"
	}
	opt, err := redis.ParseURL(u)
	if err != nil {
		return u, err
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return u, c.Ping(ctx).Err()
})

// testKey is a channel prefix of the test's own, so that tests (and other
// users of the shared Redis) do not hear each other.
func testKey(t testing.TB) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "siogate-test-" + hex.EncodeToString(b)
}

// node is one siogate server on a Bus.
type node struct {
	srv  *hub.Server
	addr string
	bus  *redisadapter.Bus
}

// startNode starts a Bus with o (URL and Key must be set) and a server
// using it, waits until "/" is subscribed, and stops both at the end of
// the test (server first).
func startNode(t testing.TB, o redisadapter.Options, ho hub.Options, setup func(*hub.Server)) *node {
	t.Helper()
	bus, err := redisadapter.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := bus.Close(); err != nil {
			t.Errorf("bus.Close: %v", err)
		}
	})
	ho.NewAdapter = bus.NewAdapter
	srv, addr := siotest.StartServer(t, ho)
	if setup != nil {
		setup(srv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), siotest.WaitTimeout)
	defer cancel()
	if err := adapterOf(t, srv, "/").WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	return &node{srv: srv, addr: addr, bus: bus}
}

func adapterOf(t testing.TB, srv *hub.Server, nsp string) *redisadapter.Adapter {
	t.Helper()
	a, ok := srv.Of(nsp).Adapter().(*redisadapter.Adapter)
	if !ok {
		t.Fatalf("adapter of %s is %T", nsp, srv.Of(nsp).Adapter())
	}
	return a
}

// waitServers waits until PUBSUB NUMSUB counts n servers on nsp.
func waitServers(t testing.TB, srv *hub.Server, nsp string, n int) {
	t.Helper()
	a := adapterOf(t, srv, nsp)
	siotest.WaitFor(t, fmt.Sprintf("%d servers on %s", n, nsp), func() bool {
		got, err := a.ServerCount(context.Background())
		return err == nil && got == n
	})
}

// socketOf returns the server-side socket of sid.
func socketOf(t testing.TB, srv *hub.Server, nsp, sid string) *hub.Socket {
	t.Helper()
	s := srv.Of(nsp).Socket(sid)
	if s == nil {
		t.Fatalf("no socket %s on %s", sid, nsp)
	}
	return s
}

// peer is a test client with its socket on "/".
type peer struct {
	c   *siotest.Client
	sid string
}

func join(t testing.TB, n *node, rooms ...string) peer {
	t.Helper()
	c := siotest.Dial(t, n.addr)
	sid := c.Join("/", "")
	socketOf(t, n.srv, "/", sid).Join(rooms...)
	return peer{c, sid}
}

// use points the peers' failures at t (a subtest).
func use(t *testing.T, ps ...peer) {
	for _, p := range ps {
		p.c.Fatalf = t.Fatalf
	}
}

// until reads p's packets up to the event "end" (sent to everybody after
// the broadcast under test) and returns the texts before it.
func until(t *testing.T, p peer) []string {
	t.Helper()
	p.c.Fatalf = t.Fatalf
	var out []string
	for {
		pk := p.c.Next()
		if pk.Name() == "end" {
			return out
		}
		out = append(out, pk.Text)
	}
}
