package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siogate/siogate/hub/siotest"
)

// chatBundleBuilt reports whether `make chat-assets` put the chat page's
// socket.io-client bundle in place, so that the gateway binary embeds it.
func chatBundleBuilt() bool {
	_, err := os.Stat(filepath.Join("chat", "web", "vendor", "socket.io.min.js"))
	return err == nil
}

// chatPageServed reports whether r is the chat page, or (in a build
// without its bundle) the 503 that says how to get it.
func chatPageServed(r apiResult) bool {
	if chatBundleBuilt() {
		return r.status == 200 && strings.Contains(string(r.raw), "<title>siogate chat</title>")
	}
	return r.status == 503 && strings.Contains(string(r.raw), "make chat-assets")
}

// TestChatGateway: the chat is on by default, behind the gateway's JWT
// check: a signed-in user is named by its token, a guest by its nickname,
// direct messages reach the user's user:<id> room, -chat-history bounds
// the replay.
func TestChatGateway(t *testing.T) {
	t.Parallel()
	p := startGateway(t, "", "-jwt-secret", testSecret, "-allow-anonymous", "-chat-history", "2")
	if r := p.call(t, "GET", "/", "", nil); !chatPageServed(r) {
		t.Errorf("GET /: %d %s", r.status, r.raw)
	}
	if warned := strings.Contains(p.out.String(), "chat page unavailable"); warned == chatBundleBuilt() {
		t.Errorf("startup warning about the chat bundle: %v, bundle built: %v\n%s", warned, chatBundleBuilt(), p.out.String())
	}
	if chatBundleBuilt() {
		r := p.call(t, "GET", "/config.json", "", nil)
		if r.status != 200 || r.body["namespace"] != chatNamespace || r.body["path"] != "/socket.io/" || r.body["maxAttachment"] != float64(512<<10) {
			t.Errorf("GET /config.json: %d %s", r.status, r.raw)
		}
	}
	if r := p.call(t, "GET", "/nothing-here", "", nil); r.status != 404 {
		t.Errorf("GET /nothing-here: %d", r.status)
	}

	pp := startPuppet(t)
	chatOpts := map[string]any{"nsp": chatNamespace}
	if ev := pp.connect("alice", p.base, userToken(t, testSecret, "alice"), chatOpts); ev.Type != "connect" {
		t.Fatalf("alice: %s %s", ev.Type, ev.Message)
	}
	if ev := pp.connect("bad", p.base, "not.a.jwt", chatOpts); ev.Type != "connect_error" || !strings.HasPrefix(ev.Message, "unauthorized") {
		t.Errorf("bad token on %s: %s %q, want the gateway's connect_error", chatNamespace, ev.Type, ev.Message)
	}
	if ev := pp.connect("gus", p.base, "", map[string]any{"nsp": chatNamespace, "auth": map[string]string{"name": "Gus"}}); ev.Type != "connect" {
		t.Fatalf("guest: %s %s", ev.Type, ev.Message)
	}
	call := func(id string, ref int, event string, arg any) json.RawMessage {
		t.Helper()
		pp.do(map[string]any{"op": "emit", "id": id, "ref": ref, "event": event, "args": []any{arg}, "ack": true})
		ev := pp.next(id, "ack", 10*time.Second)
		if ev.Err != "" || len(ev.Args) == 0 || strings.Contains(string(ev.Args[0]), `"error"`) {
			t.Fatalf("%s %s: %s %s", id, event, ev.Err, ev.Args)
		}
		return ev.Args[0]
	}
	if got := call("alice", 1, "hello", nil); !jsonEq(got, []byte(`{"me":{"id":"alice","name":"alice","verified":true}}`)) {
		t.Errorf("alice's hello: %s", got)
	}
	if got := call("gus", 1, "hello", nil); !jsonEq(got, []byte(`{"me":{"id":"guest:Gus","name":"Gus"}}`)) {
		t.Errorf("guest's hello: %s", got)
	}

	call("alice", 2, "join", map[string]string{"room": "lobby"})
	for i, text := range []string{"one", "two", "three"} {
		call("alice", 3+i, "send", map[string]string{"room": "lobby", "text": text})
	}
	var joined struct{ History int }
	_ = json.Unmarshal(call("gus", 2, "join", map[string]string{"room": "lobby"}), &joined)
	if joined.History != 2 {
		t.Errorf("-chat-history 2: join replayed %d messages", joined.History)
	}
	for _, want := range []string{"two", "three"} {
		ev := pp.next("gus", "event", 10*time.Second)
		var msg struct{ Text string }
		if ev.Event != "message" || json.Unmarshal(ev.Args[0], &msg) != nil || msg.Text != want {
			t.Fatalf("history: %s %s, want message %q", ev.Event, ev.Args, want)
		}
	}
	pp.next("alice", "event", 10*time.Second) // presence: Gus joined

	call("gus", 3, "dm", map[string]string{"to": "alice", "text": "hi alice"})
	ev := pp.next("alice", "event", 10*time.Second)
	if ev.Event != "message" || !strings.Contains(string(ev.Args[0]), `"text":"hi alice"`) {
		t.Errorf("alice got %s %s, want the direct message", ev.Event, ev.Args)
	}
}

// TestChatOff: -chat=false serves the plain index and no chat namespace.
func TestChatOff(t *testing.T) {
	t.Parallel()
	p := startGateway(t, "", "-chat=false")
	if r := p.call(t, "GET", "/", "", nil); r.status != 200 || !strings.Contains(string(r.raw), "Socket.IO endpoint at /socket.io/") {
		t.Errorf("GET /: %d %s", r.status, r.raw)
	}
	if r := p.call(t, "GET", "/config.json", "", nil); r.status != 404 {
		t.Errorf("GET /config.json: %d, want 404", r.status)
	}
	pp := startPuppet(t)
	if ev := pp.connect("a", p.base, "", map[string]any{"nsp": chatNamespace}); ev.Type != "connect_error" || ev.Message != "Invalid namespace" {
		t.Errorf("%s with -chat=false: %s %q", chatNamespace, ev.Type, ev.Message)
	}
	if strings.Contains(p.out.String(), "chat page unavailable") {
		t.Errorf("a warning about the chat with -chat=false:\n%s", p.out.String())
	}
}

// TestChatFlagsAndConflicts: -h documents the chat flags; /chat among
// -namespaces is refused at startup while the chat is on.
func TestChatFlagsAndConflicts(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(gatewayBinary(t), "-h").CombinedOutput()
	if err != nil {
		t.Fatalf("-h: %v\n%s", err, out)
	}
	for _, f := range []string{"chat", "chat-history"} {
		if !strings.Contains(string(out), "\n  -"+f+" ") && !strings.Contains(string(out), "\n  -"+f+"\n") || !strings.Contains(string(out), envName(f)) {
			t.Errorf("-h does not document -%s / %s:\n%s", f, envName(f), out)
		}
	}
	cmd := exec.Command(gatewayBinary(t), "-addr", siotest.FreeAddr(t), "-namespaces", "/,/chat")
	cmd.Env = cleanEnv()
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "-namespaces: /chat is the chat's namespace") {
		t.Errorf("-namespaces /,/chat: %v\n%s", err, out)
	}
	// With the chat off, /chat is an ordinary gateway namespace.
	p := startGateway(t, "", "-namespaces", "/,/chat", "-chat=false")
	pp := startPuppet(t)
	if ev := pp.connect("a", p.base, "", map[string]any{"nsp": chatNamespace}); ev.Type != "connect" {
		t.Errorf("%s as a gateway namespace: %s %q", chatNamespace, ev.Type, ev.Message)
	}
}
