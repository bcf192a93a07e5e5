package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// acks, joins, leaves, listings and a disconnect.
func TestUserReachableThroughAPI(t *testing.T) {
	t.Parallel()
	p := startGateway(t, "", "-jwt-secret", testSecret, "-api-key", testKey)
	pp := startPuppet(t)
	a := pp.connect("a", p.base, userToken(t, testSecret, "alice"), nil)
	b := pp.connect("b", p.base, userToken(t, testSecret, "alice"), map[string]any{"transports": []string{"polling"}})
	c := pp.connect("c", p.base, userToken(t, testSecret, "bob"), nil)
	for _, ev := range []clientEvent{a, b, c} {
		if ev.Type != "connect" {
			t.Fatalf("socket %s: %s %s", ev.ID, ev.Type, ev.Message)
		}
	}

	// Both of alice's sockets are listed, with the user and the user room.
	r := p.call(t, "GET", "/api/v1/users/alice/sockets", testKey, nil)
	if r.status != 200 {
		t.Fatalf("user sockets: %d %s", r.status, r.raw)
	}
	var listed struct {
		Sockets []socketJSON `json:"sockets"`
	}
	_ = json.Unmarshal(r.raw, &listed)
	var sids []string
	for _, s := range listed.Sockets {
		sids = append(sids, s.SID)
		if s.User == nil || *s.User != "alice" || !slices.Contains(s.Rooms, "user:alice") {
			t.Errorf("socket %+v: want user alice in room user:alice", s)
		}
	}
	slices.Sort(sids)
	want := []string{a.SID, b.SID}
	slices.Sort(want)
	if !slices.Equal(sids, want) {
		t.Fatalf("alice's sockets: %v, want %v", sids, want)
	}

	// Emit to the user: both devices, not bob.
	if r := p.call(t, "POST", "/api/v1/emit", testKey, map[string]any{"users": []string{"alice"}, "event": "news", "args": []any{map[string]int{"n": 1}, "two"}}); r.status != 200 {
		t.Fatalf("emit: %d %s", r.status, r.raw)
	}
	for _, id := range []string{"a", "b"} {
		ev := pp.next(id, "event", 5*time.Second)
		// A third argument: the connection state recovery offset (-recovery is on by default).
		if ev.Event != "news" || len(ev.Args) != 3 || !jsonEq(ev.Args[0], []byte(`{"n":1}`)) || !jsonEq(ev.Args[1], []byte(`"two"`)) {
			t.Errorf("socket %s got %+v", id, ev)
		}
	}
	// Except a sid: only the polling device; then to bob by sid.
	if r := p.call(t, "POST", "/api/v1/emit", testKey, map[string]any{"users": []string{"alice"}, "except_sids": []string{a.SID}, "event": "only-b"}); r.status != 200 {
		t.Fatalf("emit except: %d %s", r.status, r.raw)
	}
	if r := p.call(t, "POST", "/api/v1/emit", testKey, map[string]any{"sids": []string{c.SID}, "event": "to-c", "volatile": true}); r.status != 200 {
		t.Fatalf("emit to sid: %d %s", r.status, r.raw)
	}
	if ev := pp.next("b", "event", 5*time.Second); ev.Event != "only-b" {
		t.Errorf("b got %q, want only-b", ev.Event)
	}
	if ev := pp.next("c", "event", 5*time.Second); ev.Event != "to-c" {
		t.Errorf("c got %q, want to-c (news must not reach bob)", ev.Event)
	}
	pp.none("a", "event", 200*time.Millisecond)

	// Emit with acks to the user: one answer per device.
	r = p.call(t, "POST", "/api/v1/emit", testKey, map[string]any{"users": []string{"alice"}, "event": "ping", "ack": true, "timeout_ms": 3000})
	if r.status != 200 || r.body["complete"] != true {
		t.Fatalf("emit with ack: %d %s", r.status, r.raw)
	}
	var acked struct {
		Acks []ackReply `json:"acks"`
	}
	_ = json.Unmarshal(r.raw, &acked)
	got := map[string]string{}
	for _, ack := range acked.Acks {
		if len(ack.Args) == 1 {
			got[ack.SID] = string(ack.Args[0])
		}
	}
	if len(got) != 2 || !jsonEq([]byte(got[a.SID]), []byte(`{"from":"a"}`)) || !jsonEq([]byte(got[b.SID]), []byte(`{"from":"b"}`)) {
		t.Errorf("acks: %s", r.raw)
	}
	pp.next("a", "event", 5*time.Second)
	pp.next("b", "event", 5*time.Second)

	// Join the user to a room, list it, emit to it, leave it.
	if r := p.call(t, "POST", "/api/v1/join", testKey, map[string]any{"users": []string{"alice"}, "join": []string{"vip"}}); r.status != 200 || r.body["sockets"] != 2.0 {
		t.Fatalf("join: %d %s", r.status, r.raw)
	}
	if r := p.call(t, "GET", "/api/v1/rooms/vip/sockets", testKey, nil); r.status != 200 || len(r.body["sockets"].([]any)) != 2 {
		t.Fatalf("room sockets: %d %s", r.status, r.raw)
	}
	r = p.call(t, "GET", "/api/v1/rooms", testKey, nil)
	rooms, _ := r.body["rooms"].([]any)
	if r.status != 200 || !slices.Contains(rooms, any("vip")) || !slices.Contains(rooms, any("user:alice")) || !slices.Contains(rooms, any("user:bob")) {
		t.Fatalf("rooms: %d %s", r.status, r.raw)
	}
	if r := p.call(t, "POST", "/api/v1/emit", testKey, map[string]any{"rooms": []string{"vip"}, "except_users": []string{"bob"}, "event": "vip-news"}); r.status != 200 {
		t.Fatalf("emit to room: %d %s", r.status, r.raw)
	}
	pp.next("a", "event", 5*time.Second)
	pp.next("b", "event", 5*time.Second)
	if r := p.call(t, "POST", "/api/v1/leave", testKey, map[string]any{"sids": []string{a.SID}, "leave": []string{"vip"}}); r.status != 200 || r.body["sockets"] != 1.0 {
		t.Fatalf("leave: %d %s", r.status, r.raw)
	}
	if r := p.call(t, "GET", "/api/v1/sockets/"+b.SID, testKey, nil); r.status != 200 || r.body["transport"] != "polling" {
		t.Fatalf("socket: %d %s", r.status, r.raw)
	}

	// Disconnect the other user: the client sees the server's DISCONNECT.
	if r := p.call(t, "POST", "/api/v1/disconnect", testKey, map[string]any{"users": []string{"bob"}}); r.status != 200 || r.body["sockets"] != 1.0 {
		t.Fatalf("disconnect: %d %s", r.status, r.raw)
	}
	if ev := pp.next("c", "disconnect", 5*time.Second); ev.Reason != "io server disconnect" {
		t.Errorf("c disconnected with %q", ev.Reason)
	}
	if r := p.call(t, "GET", "/api/v1/users/bob/sockets", testKey, nil); r.status != 200 || len(r.body["sockets"].([]any)) != 0 {
		t.Errorf("bob's sockets after disconnect: %d %s", r.status, r.raw)
	}
	// close: true ends the whole connection: a transport close, after
	// which socket.io-client would reconnect.
	if r := p.call(t, "POST", "/api/v1/disconnect", testKey, map[string]any{"sids": []string{a.SID}, "close": true}); r.status != 200 {
		t.Fatalf("disconnect close: %d %s", r.status, r.raw)
	}
	if ev := pp.next("a", "disconnect", 5*time.Second); ev.Reason != "transport close" {
		t.Errorf("a disconnected with %q, want transport close", ev.Reason)
	}
	pp.none("b", "disconnect", 100*time.Millisecond)
}

// the list, and echoes request ids.
func TestAPIKey(t *testing.T) {
	t.Parallel()
	p := startGateway(t, "", "-api-key", "old-key,"+testKey)
	for _, tc := range []struct {
		name, header string
		status       int
		code         string
	}{
		{"missing", "", 401, "missing_api_key"},
		{"not bearer", "Basic dXNlcjpwYXNz", 401, "missing_api_key"},
		{"wrong", "Bearer nope", 401, "invalid_api_key"},
		{"prefix of a key", "Bearer test-api", 401, "invalid_api_key"},
		{"current", "Bearer " + testKey, 200, ""},
		{"old", "Bearer old-key", 200, ""},
	} {
		req, _ := http.NewRequest("GET", p.base+"/api/v1/stats", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		req.Header.Set("X-Request-Id", "req-"+strings.ReplaceAll(tc.name, " ", "-"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.code != "" && body["error"] != tc.code) {
			t.Errorf("%s: %d %v, want %d %s", tc.name, resp.StatusCode, body, tc.status, tc.code)
		}
		if got := resp.Header.Get("X-Request-Id"); got != req.Header.Get("X-Request-Id") {
			t.Errorf("%s: X-Request-Id %q, want the caller's", tc.name, got)
		}
		if tc.code != "" && body["request_id"] != req.Header.Get("X-Request-Id") {
			t.Errorf("%s: error body without the request id: %v", tc.name, body)
		}
	}
	mfs := p.metrics(t)
	if v := metricValue(t, mfs, "siogate_api_requests_total", map[string]string{"route": "GET /api/v1/stats", "code": "401"}); v != 4 {
		t.Errorf("siogate_api_requests_total{code=401} = %v, want 4", v)
	}
}

// not disturbed.
func TestAPIBadInput(t *testing.T) {
	t.Parallel()
	p := startGateway(t, "", "-api-key", testKey, "-api-max-body", "1024", "-api-max-ack-timeout", "2s")
	pp := startPuppet(t)
	a := pp.connect("a", p.base, "", nil)
	if a.Type != "connect" {
		t.Fatalf("connect: %+v", a)
	}
	big := `{"event":"x","all":true,"args":["` + strings.Repeat("x", 2000) + `"]}`
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code, message      string
	}{
		{"malformed", "POST", "/api/v1/emit", `{"event": "x", "rooms": ["a"`, 400, "bad_json", "malformed JSON"},
		{"syntax", "POST", "/api/v1/emit", `{"event": x}`, 400, "bad_json", "malformed JSON at byte"},
		{"empty", "POST", "/api/v1/emit", ``, 400, "bad_json", "empty body"},
		{"wrong type", "POST", "/api/v1/emit", `{"event": 5, "all": true}`, 400, "bad_json", `field "event"`},
		{"unknown field", "POST", "/api/v1/emit", `{"event": "x", "room": "a"}`, 400, "bad_json", `unknown field "room"`},
		{"trailing", "POST", "/api/v1/emit", `{"event": "x", "all": true} {}`, 400, "bad_json", "trailing data"},
		{"oversized", "POST", "/api/v1/emit", big, 413, "body_too_large", "1024-byte limit"},
		{"no target", "POST", "/api/v1/emit", map[string]any{"event": "x"}, 400, "no_target", "name rooms, sids or users"},
		{"no event", "POST", "/api/v1/emit", map[string]any{"all": true}, 400, "bad_request", `"event" is required`},
		{"reserved", "POST", "/api/v1/emit", map[string]any{"event": "disconnect", "all": true}, 400, "reserved_event", "reserved"},
		{"ack volatile", "POST", "/api/v1/emit", map[string]any{"event": "x", "all": true, "ack": true, "volatile": true}, 400, "bad_request", "exclude each other"},
		{"ack timeout", "POST", "/api/v1/emit", map[string]any{"event": "x", "all": true, "ack": true, "timeout_ms": 60000}, 400, "bad_request", "between 1 and 2000"},
		{"empty room name", "POST", "/api/v1/emit", map[string]any{"event": "x", "rooms": []string{""}}, 400, "bad_request", "rooms[0]"},
		{"unknown sid", "POST", "/api/v1/emit", map[string]any{"event": "x", "sids": []string{a.SID, "nope"}}, 404, "unknown_sid", "1 of the sids"},
		{"unknown nsp", "POST", "/api/v1/emit", map[string]any{"event": "x", "all": true, "nsp": "/nope"}, 404, "unknown_namespace", `"/nope"`},
		{"join unknown sid", "POST", "/api/v1/join", map[string]any{"sids": []string{"nope"}, "join": []string{"r"}}, 404, "unknown_sid", ""},
		{"join nobody", "POST", "/api/v1/join", map[string]any{"rooms": []string{"empty"}, "join": []string{"r"}}, 404, "no_sockets", ""},
		{"join no room", "POST", "/api/v1/join", map[string]any{"sids": []string{a.SID}}, 400, "bad_request", `"join"`},
		{"disconnect nobody", "POST", "/api/v1/disconnect", map[string]any{"users": []string{"ghost"}}, 404, "no_sockets", ""},
		{"unknown room", "GET", "/api/v1/rooms/nope/sockets", nil, 404, "unknown_room", `"nope"`},
		{"unknown socket", "GET", "/api/v1/sockets/nope", nil, 404, "unknown_sid", ""},
		{"bad limit", "GET", "/api/v1/rooms?limit=0", nil, 400, "bad_request", "limit"},
		{"wrong method", "GET", "/api/v1/emit", nil, 405, "method_not_allowed", "use POST"},
		{"no route", "GET", "/api/v1/nope", nil, 404, "not_found", ""},
	}
	for _, tc := range cases {
		r := p.call(t, tc.method, tc.path, testKey, tc.body)
		msg, _ := r.body["message"].(string)
		if r.status != tc.status || r.body["error"] != tc.code || !strings.Contains(msg, tc.message) || r.body["request_id"] == nil {
			t.Errorf("%s: %d %s, want %d %s containing %q", tc.name, r.status, r.raw, tc.status, tc.code, tc.message)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
	}
	if r := p.call(t, "POST", "/api/v1/emit", testKey, map[string]any{"event": "x", "sids": []string{a.SID, "nope"}}); r.body["details"] == nil ||
		!strings.Contains(string(r.raw), `"sids":["nope"]`) {
		t.Errorf("unknown sid details: %s", r.raw)
	}
	// Nothing of the above reached or disturbed the client.
	pp.none("a", "event", 100*time.Millisecond)
	if r := p.call(t, "POST", "/api/v1/emit", testKey, map[string]any{"event": "still-here", "sids": []string{a.SID}}); r.status != 200 {
		t.Fatalf("emit after bad input: %d %s", r.status, r.raw)
	}
	if ev := pp.next("a", "event", 5*time.Second); ev.Event != "still-here" {
		t.Errorf("a got %+v", ev)
	}
	pp.none("a", "disconnect", 100*time.Millisecond)
}
