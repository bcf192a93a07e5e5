package redisadapter_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/redisadapter"
	"github.com/siogate/siogate/hub/siotest"
)

// needNode skips the test (fails it under CI) when node or the npm
// packages in e2e/node_modules are missing.
func needNode(t *testing.T) {
	t.Helper()
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not installed"
	} else if _, err := os.Stat(filepath.Join("..", "..", "e2e", "node_modules", "@socket.io", "redis-adapter", "package.json")); err != nil {
		missing = "e2e/node_modules is missing (run `make deps`)"
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(missing)
	}
	t.Skip(missing + " (this test fails under CI)")
}

// syncBuffer collects a process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startNodeServer runs testdata/node_server.cjs and returns its address.
// The process ends with the test.
func startNodeServer(t *testing.T, redisURL, key string, specific bool) string {
	t.Helper()
	cmd := exec.Command("node", filepath.Join("testdata", "node_server.cjs"), redisURL, key, strconv.FormatBool(specific))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	port := make(chan string, 1)
	var out syncBuffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if p, ok := strings.CutPrefix(line, "listening "); ok {
				port <- p
				continue
			}
			out.Write([]byte(line + "\n"))
		}
	}()
	t.Cleanup(func() {
		_ = stdin.Close() // the script exits when stdin ends
		done := make(chan error, 1)
		go func() { <-readDone; done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("node server stdout:\n%s\nstderr:\n%s", out.String(), stderr.String())
		} else if s := stderr.String(); s != "" {
			t.Errorf("node server stderr:\n%s", s)
		}
	})
	select {
	case p := <-port:
		return "127.0.0.1:" + p
	case <-readDone:
		t.Fatalf("node server exited: %s", stderr.String())
	case <-time.After(siotest.WaitTimeout):
		t.Fatalf("node server did not start: %s", stderr.String())
	}
	return ""
}

// runNode runs a script of testdata to completion.
func runNode(t *testing.T, script string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), siotest.WaitTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", append([]string{filepath.Join("testdata", script)}, args...)...).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("node %s: %v\n%s", script, err, out)
	}
}

var ackIDs atomic.Int64

// call emits event(args...) on "/" with an ack id and returns the
// acknowledgement's arguments.
func call(t *testing.T, c *siotest.Client, event string, args ...any) []json.RawMessage {
	t.Helper()
	c.Fatalf = t.Fatalf
	id := ackIDs.Add(1)
	c.Emit("/", id, event, args...)
	p := c.Next()
	if p.Type != '3' || p.ID != id {
		t.Fatalf("%s: got %q, want the ack %d", event, p.Text, id)
	}
	var out []json.RawMessage
	if err := json.Unmarshal([]byte(p.Data), &out); err != nil {
		t.Fatalf("%s: bad ack %q", event, p.Text)
	}
	return out
}

// decode1 decodes the first acknowledgement argument, failing on a
// reported {error}.
func decode1(t *testing.T, args []json.RawMessage, v any) {
	t.Helper()
	if len(args) == 0 {
		t.Fatal("empty acknowledgement")
	}
	var fail struct{ Error string }
	if json.Unmarshal(args[0], &fail) == nil && fail.Error != "" {
		t.Fatalf("the node server failed: %s", args[0])
	}
	if err := json.Unmarshal(args[0], v); err != nil {
		t.Fatalf("ack %s: %v", args[0], err)
	}
}

// TestMixedCluster runs a siogate node and a Node socket.io 4.8 node with
// @socket.io/redis-adapter 8.3 on one Redis, each with clients, and
// exercises every kind of traffic in both directions; then again with both
// answering on the requester's own response channel.
func TestMixedCluster(t *testing.T) {
	needNode(t)
	for _, specific := range []bool{false, true} {
		t.Run("publishOnSpecificResponseChannel="+strconv.FormatBool(specific), func(t *testing.T) {
			testMixedCluster(t, specific)
		})
	}
}

func testMixedCluster(t *testing.T, specific bool) {
	url, key := redisURL(t), testKey(t)
	var (
		heardMu sync.Mutex
		heard   []string
	)
	o := redisadapter.Options{URL: url, Key: key, PublishOnSpecificResponseChannel: specific}
	g := startNode(t, o, hub.Options{}, func(srv *hub.Server) {
		srv.OnServerSideEmit("hello", func(m *hub.Message) {
			heardMu.Lock()
			heard = append(heard, string(m.Arg(0))+","+string(m.Arg(1)))
			heardMu.Unlock()
		})
		srv.OnServerSideEmit("ping", func(m *hub.Message) {
			var n int
			_ = m.Decode(&n)
			_ = m.Ack(map[string]any{"pong": n + 1, "from": "go"})
		})
		srv.OnConnect(func(s *hub.Socket, _ hub.Raw) error {
			s.Set("user", "gopher")
			return nil
		})
	})
	nodeAddr := startNodeServer(t, url, key, specific)
	waitServers(t, g.srv, "/", 2)

	ctl := siotest.Dial(t, nodeAddr) // drives the Node server
	ctl.Join("/", "")
	n1 := siotest.Dial(t, nodeAddr)
	n1sid := n1.Join("/", "")
	var joined string
	decode1(t, call(t, n1, "join", "r"), &joined)
	g1 := join(t, g, "r")
	ctx := context.Background()

	t.Run("siogate to Node room broadcast", func(t *testing.T) {
		use(t, g1)
		n1.Fatalf = t.Fatalf
		if err := g.srv.To("r").Emit("from-go", "x", []byte{1, 2}); err != nil {
			t.Fatal(err)
		}
		p := n1.ExpectEvent("from-go")
		if p.Text != `51-["from-go","x",{"_placeholder":true,"num":0}]` || len(p.Atts) != 1 || !bytes.Equal(p.Atts[0], []byte{1, 2}) {
			t.Fatalf("the Node client got %q %q", p.Text, p.Atts)
		}
		g1.c.ExpectEvent("from-go")
	})

	t.Run("Node to siogate room broadcast", func(t *testing.T) {
		use(t, g1)
		n1.Fatalf = t.Fatalf
		call(t, ctl, "emit-room", "r", "from-node", map[string]any{"a": 1})
		if p := g1.c.ExpectEvent("from-node"); p.Text != `2["from-node",{"a":1}]` {
			t.Fatalf("the siogate client got %q", p.Text)
		}
		n1.ExpectEvent("from-node")
		call(t, ctl, "emit-room-binary", "r")
		p := g1.c.ExpectEvent("from-node-binary")
		if p.Text != `51-["from-node-binary",{"_placeholder":true,"num":0},{"n":1}]` || !bytes.Equal(p.Atts[0], []byte{5, 6, 7}) {
			t.Fatalf("the siogate client got %q %q", p.Text, p.Atts)
		}
		n1.ExpectEvent("from-node-binary")
	})

	t.Run("fetchSockets from Node sees siogate sockets", func(t *testing.T) {
		var sockets []struct {
			ID    string            `json:"id"`
			Rooms []string          `json:"rooms"`
			Data  map[string]string `json:"data"`
			Query map[string]string `json:"query"`
		}
		start := time.Now()
		decode1(t, call(t, ctl, "fetch", "r"), &sockets)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("fetchSockets took %v (a node did not answer?)", d)
		}
		byID := map[string]int{}
		for i, s := range sockets {
			byID[s.ID] = i
		}
		i, ok := byID[g1.sid]
		if len(sockets) != 2 || !ok {
			t.Fatalf("Node fetched %+v, want %s and %s", sockets, g1.sid, n1sid)
		}
		if s := sockets[i]; s.Data["user"] != "gopher" || !slices.Equal(s.Rooms, []string{g1.sid, "r"}) || s.Query["transport"] != "websocket" {
			t.Errorf("siogate socket as Node sees it: %+v", s)
		}
	})

	t.Run("FetchSockets from siogate sees Node sockets", func(t *testing.T) {
		infos, err := g.srv.In("r").FetchSockets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var remote *hub.SocketInfo
		for i := range infos {
			if infos[i].ID == n1sid {
				remote = &infos[i]
			}
		}
		if len(infos) != 2 || remote == nil {
			t.Fatalf("FetchSockets = %+v", infos)
		}
		if remote.Data["user"] != "node" || !slices.Equal(remote.Rooms, []string{n1sid, "r"}) ||
			remote.Handshake.Query.Get("EIO") != "4" || remote.Handshake.Headers.Get("Host") != nodeAddr {
			t.Errorf("Node socket: %+v", *remote)
		}
	})

	t.Run("broadcast with acks from siogate", func(t *testing.T) {
		use(t, g1)
		n1.Fatalf = t.Fatalf
		res := make(chan []*hub.Message, 1)
		errs := make(chan error, 1)
		go func() {
			ms, err := g.srv.To("r").Timeout(5*time.Second).EmitWithAck(ctx, "q", "from go")
			res <- ms
			errs <- err
		}()
		pn := n1.ExpectEvent("q")
		n1.Ack("/", pn.ID, "node says hi")
		pg := g1.c.ExpectEvent("q")
		g1.c.Ack("/", pg.ID, "go says hi")
		start := time.Now()
		ms := siotest.Recv(t, res, "EmitWithAck")
		if err := siotest.Recv(t, errs, "EmitWithAck error"); err != nil {
			t.Fatalf("EmitWithAck: %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("EmitWithAck took %v after the answers", d)
		}
		var got []string
		for _, m := range ms {
			got = append(got, string(m.Arg(0)))
		}
		slices.Sort(got)
		if !slices.Equal(got, []string{`"go says hi"`, `"node says hi"`}) {
			t.Fatalf("answers %q", got)
		}
	})

	t.Run("broadcast with acks from Node", func(t *testing.T) {
		use(t, g1)
		n1.Fatalf = t.Fatalf
		ctl.Fatalf = t.Fatalf
		id := ackIDs.Add(1)
		ctl.Emit("/", id, "ask-room", "r")
		pg := g1.c.ExpectEvent("q")
		if pg.Text[:1] != "2" || pg.ID < 0 {
			t.Fatalf("the siogate client got %q (no ack id)", pg.Text)
		}
		g1.c.Ack("/", pg.ID, "go", "ignored")
		pn := n1.ExpectEvent("q")
		n1.Ack("/", pn.ID, "node")
		p := ctl.Next()
		if p.Type != '3' || p.ID != id {
			t.Fatalf("ctl got %q", p.Text)
		}
		var args []json.RawMessage
		_ = json.Unmarshal([]byte(p.Data), &args)
		var answers []string
		decode1(t, args, &answers)
		slices.Sort(answers)
		if !slices.Equal(answers, []string{"go", "node"}) {
			t.Fatalf("Node collected %q", answers)
		}
	})

	t.Run("server-side emits", func(t *testing.T) {
		var replies []map[string]any
		decode1(t, call(t, ctl, "server-side"), &replies)
		if len(replies) != 1 || replies[0]["from"] != "go" || replies[0]["pong"] != float64(2) {
			t.Fatalf("Node's serverSideEmitWithAck got %v", replies)
		}
		siotest.WaitFor(t, "siogate to hear Node's event", func() bool {
			heardMu.Lock()
			defer heardMu.Unlock()
			return slices.Equal(heard, []string{`"from node",1`})
		})
		if err := g.srv.ServerSideEmit("hello", "from go"); err != nil {
			t.Fatal(err)
		}
		out, err := g.srv.ServerSideEmitWithAck(ctx, "ping", 41)
		if err != nil || len(out) != 1 || string(out[0]) != `{"pong":42,"from":"node"}` {
			t.Fatalf("ServerSideEmitWithAck = %q, %v", out, err)
		}
		var nodeHeard [][]any
		decode1(t, call(t, ctl, "heard"), &nodeHeard)
		if len(nodeHeard) != 1 || nodeHeard[0][0] != "from go" {
			t.Fatalf("Node heard %v", nodeHeard)
		}
	})

	t.Run("socketsJoin both ways and allRooms", func(t *testing.T) {
		call(t, ctl, "sockets-join", g1.sid, "nj")
		siotest.WaitFor(t, "the siogate socket to join nj", func() bool {
			return slices.Contains(socketOf(t, g.srv, "/", g1.sid).Rooms(), "nj")
		})
		g.srv.In(n1sid).SocketsJoin("gj")
		siotest.WaitFor(t, "the Node socket to join gj", func() bool {
			var sockets []struct{ ID string }
			decode1(t, call(t, ctl, "fetch", "gj"), &sockets)
			return len(sockets) == 1 && sockets[0].ID == n1sid
		})
		var rooms []string
		decode1(t, call(t, ctl, "all-rooms"), &rooms)
		for _, r := range []string{"r", "nj", "gj", g1.sid, n1sid} {
			if !slices.Contains(rooms, r) {
				t.Errorf("allRooms from Node lacks %q: %q", r, rooms)
			}
		}
	})

	t.Run("disconnectSockets both ways", func(t *testing.T) {
		n1.Fatalf = t.Fatalf
		g.srv.In(n1sid).DisconnectSockets(true)
		n1.WaitClosed()
		g2 := join(t, g)
		call(t, ctl, "disconnect-sockets", g2.sid)
		g2.c.WaitClosed()
	})

	if st := g.bus.Stats(); st.RequestTimeouts != 0 || st.RequestFailures != 0 || st.DecodeErrors != 0 || st.PublishFailed != 0 {
		t.Errorf("siogate stats: %+v", st)
	}
}

// TestEmitter publishes into siogate with @socket.io/redis-emitter.
func TestEmitter(t *testing.T) {
	needNode(t)
	url, key := redisURL(t), testKey(t)
	events := make(chan string, 4)
	g := startNode(t, redisadapter.Options{URL: url, Key: key}, hub.Options{}, func(srv *hub.Server) {
		srv.OnServerSideEmit("from-emitter", func(m *hub.Message) { events <- string(m.Arg(0)) })
		srv.Of("/chat")
	})
	g1, g2 := join(t, g, "r"), join(t, g, "r")
	chatSid := g1.c.Join("/chat", "")
	ctx, cancel := context.WithTimeout(context.Background(), siotest.WaitTimeout)
	defer cancel()
	if err := adapterOf(t, g.srv, "/chat").WaitReady(ctx); err != nil {
		t.Fatal(err)
	}

	runNode(t, "emitter.cjs", url, key, g2.sid)

	p := g1.c.ExpectEvent("emitted")
	if p.Text != `51-["emitted","to room",{"_placeholder":true,"num":0}]` || !bytes.Equal(p.Atts[0], []byte{1, 2}) {
		t.Fatalf("g1 got %q %q", p.Text, p.Atts)
	}
	if p := g1.c.ExpectEvent("emitted"); p.Data != `["emitted","to room except sid"]` {
		t.Fatalf("g1 got %q", p.Text)
	}
	if p := g1.c.ExpectEvent("emitted"); p.Text != `2/chat,["emitted","chat"]` {
		t.Fatalf("g1 got %q (socket %s)", p.Text, chatSid)
	}
	if p := g1.c.ExpectEvent("emitted"); p.Data != `["emitted","last"]` {
		t.Fatalf("g1 got %q", p.Text)
	}
	for _, want := range []string{`["emitted","to room",{"_placeholder":true,"num":0}]`, `["emitted","to sid"]`, `["emitted","last"]`} {
		if p := g2.c.ExpectEvent("emitted"); p.Data != want {
			t.Fatalf("g2 got %q, want %s", p.Text, want)
		}
	}
	for _, sid := range []string{g1.sid, g2.sid} {
		if !slices.Contains(socketOf(t, g.srv, "/", sid).Rooms(), "joined-by-emitter") {
			t.Errorf("%s did not join joined-by-emitter", sid)
		}
	}
	if s := siotest.Recv(t, events, "server-side event"); s != `{"n":1}` {
		t.Fatalf("server-side event %q", s)
	}
}
