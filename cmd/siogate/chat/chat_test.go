package chat_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/siogate/siogate/cmd/siogate/chat"
)

// pngBytes encodes a w x h PNG whose pixels depend on seed, padded with a
// text chunk to at least min bytes.
func pngBytes(t *testing.T, w, h int, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x) ^ seed, uint8(y) + seed, seed, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestConnectNames(t *testing.T) {
	addr, _ := startChat(t, chat.Options{MaxNameLen: 8})
	for _, tc := range []struct{ auth, want string }{
		{`{}`, "nickname is missing"},
		{`{"name": "   "}`, "nickname is missing"},
		{`{"name": 42}`, `auth must be an object like {"name": "ada"}`},
		{`{"name": "much too long"}`, "nickname is too long (13 characters; at most 8)"},
		{`{"name": "<b>x</b>"}`, "use letters, digits"},
		{`{"user": "guest:ada"}`, "keeps for guests"},
	} {
		t.Run(tc.auth, func(t *testing.T) {
			if got := refused(t, addr, tc.auth); !strings.Contains(got, tc.want) {
				t.Fatalf("refused with %q, want %q", got, tc.want)
			}
		})
	}

	var hello struct{ Me chat.Member }
	join(t, addr, `{"name": " Zoë "}`).ok("hello", nil, &hello)
	if want := (chat.Member{ID: "guest:Zoë", Name: "Zoë"}); hello.Me != want {
		t.Fatalf("guest: hello says %+v, want %+v", hello.Me, want)
	}
	join(t, addr, `{"user": "u-17", "name": "ignored"}`).ok("hello", nil, &hello)
	if want := (chat.Member{ID: "u-17", Name: "u-17", Verified: true}); hello.Me != want {
		t.Fatalf("signed in: hello says %+v, want %+v", hello.Me, want)
	}
}

// TestValidation sends every kind of bad event and checks the error
// answer; the socket stays connected throughout.
func TestValidation(t *testing.T) {
	addr, _ := startChat(t, chat.Options{MaxMessageLen: 10, MaxNameLen: 8, MaxAttachment: 1000, Burst: 1000})
	a := join(t, addr, `{"name": "ada"}`)
	a.ok("join", map[string]string{"room": "lobby"}, nil)
	join(t, addr, `{"name": "bob"}`).ok("hello", nil, nil) // online, for DMs

	for _, tc := range []struct {
		event string
		arg   any
		want  string
	}{
		{"join", nil, `join needs an argument like {"room": "lobby"}`},
		{"join", "lobby", `join needs an argument like {"room": "lobby"}`},
		{"join", map[string]any{"room": 5}, `join needs an argument like`},
		{"join", map[string]string{"room": ""}, "room is missing"},
		{"join", map[string]string{"room": "123456789"}, "room is too long (9 characters; at most 8)"},
		{"join", map[string]string{"room": "a/b"}, `room "a/b": use letters, digits`},
		{"create", map[string]string{"room": "lobby"}, `room "lobby" already exists`},
		{"leave", map[string]string{"room": "other"}, `you are not in room "other"`},
		{"send", map[string]string{"room": "other", "text": "hi"}, `join room "other" before writing to it`},
		{"send", map[string]string{"room": "lobby"}, "empty message"},
		{"send", map[string]string{"room": "lobby", "text": "  \n "}, "empty message"},
		{"send", map[string]string{"room": "lobby", "text": "12345678901"}, "text is too long (11 characters; at most 10)"},
		{"send", map[string]string{"room": "lobby", "text": "a\x07"}, "control character U+0007"},
		{"send", map[string]any{"room": "lobby", "text": 1}, `send needs an argument like {"room": "lobby", "text": "hi"}`},
		{"send", map[string]any{"room": "lobby", "file": map[string]string{"type": "image/png"}}, "file needs exactly one binary attachment (data), got 0"},
		{"dm", map[string]string{"text": "hi"}, "to is missing"},
		{"dm", map[string]string{"to": "guest:nobody", "text": "hi"}, `"guest:nobody" is not online`},
		{"typing", map[string]string{"room": "other"}, `you are not in room "other"`},
		{"typing", map[string]string{"to": "guest:nobody"}, "is not online"},
		{"shout", map[string]string{"text": "hi"}, `unknown event "shout"`},
	} {
		t.Run(fmt.Sprintf("%s %v", tc.event, tc.arg), func(t *testing.T) {
			a.t = t
			wantError(t, a.call(tc.event, tc.arg), tc.want)
		})
	}
	a.t = t

	img := pngBytes(t, 4, 4, 1)
	for _, tc := range []struct {
		name, obj string
		atts      [][]byte
		want      string
	}{
		{"no description", `{"room": "lobby", "data": ` + placeholder(0) + `}`, [][]byte{img}, "binary data without a description"},
		{"two attachments", `{"room": "lobby", "file": {"type": "image/png"}, "data": [` + placeholder(0) + `,` + placeholder(1) + `]}`, [][]byte{img, img}, "exactly one binary attachment (data), got 2"},
		{"svg", `{"room": "lobby", "file": {"type": "image/svg+xml"}, "data": ` + placeholder(0) + `}`, [][]byte{[]byte("<svg/>")}, `file.type "image/svg+xml" is not accepted`},
		{"bad type", `{"room": "lobby", "file": {"type": "not a type"}, "data": ` + placeholder(0) + `}`, [][]byte{img}, "is not a media type"},
		{"empty", `{"room": "lobby", "file": {"type": "image/png"}, "data": ` + placeholder(0) + `}`, [][]byte{{}}, "the image is empty"},
		{"too large", `{"room": "lobby", "file": {"type": "image/png"}, "data": ` + placeholder(0) + `}`, [][]byte{append(bytes.Clone(img), make([]byte, 1000)...)}, "the image is too large ("},
		{"not png", `{"room": "lobby", "file": {"type": "image/png"}, "data": ` + placeholder(0) + `}`, [][]byte{[]byte("GIF89a not a png")}, "the bytes are not image/png (they look like image/gif)"},
		{"long name", `{"room": "lobby", "file": {"type": "image/png", "name": "` + strings.Repeat("x", 101) + `"}, "data": ` + placeholder(0) + `}`, [][]byte{img}, "file.name is too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a.t = t
			wantError(t, a.callBinary("send", tc.obj, tc.atts...), tc.want)
		})
	}
	a.t = t
	// Still connected and able to send.
	var s struct{ ID string }
	a.ok("send", map[string]string{"room": "lobby", "text": "still here"}, &s)
	if s.ID == "" {
		t.Fatal("send answered without an id")
	}
}

// TestRoomMessages: a room message reaches the other members (text and
// attachment intact) but not its sender, whose ack carries the id.
func TestRoomMessages(t *testing.T) {
	addr, _ := startChat(t, chat.Options{})
	a := join(t, addr, `{"name": "ada"}`)
	b := join(t, addr, `{"name": "bob"}`)
	outside := join(t, addr, `{"name": "cy"}`)
	a.ok("join", map[string]string{"room": "lobby"}, nil)
	b.ok("join", map[string]string{"room": "lobby"}, nil)
	outside.ok("hello", nil, nil)

	var sent struct {
		ID string
		TS int64
	}
	a.ok("send", map[string]string{"room": "lobby", "text": " hello\nworld "}, &sent)
	msg, _ := b.message()
	if msg.ID != sent.ID || msg.Text != "hello\nworld" || msg.Room != "lobby" || msg.From.Name != "ada" || msg.TS != sent.TS || msg.History {
		t.Fatalf("bob got %+v; ada's ack was %+v", msg, sent)
	}

	img := pngBytes(t, 40, 30, 7)
	raw := a.callBinary("send", `{"room": "lobby", "text": "look", "file": {"type": "image/png", "name": "C:\\pics\\cat.png"}, "data": `+placeholder(0)+`}`, img)
	if e := errorText(raw); e != "" {
		t.Fatalf("send image: %s", e)
	}
	msg, data := b.message()
	if !bytes.Equal(data, img) {
		t.Fatalf("image: got %d bytes, want the %d sent", len(data), len(img))
	}
	if want := (chat.File{Name: "cat.png", Type: "image/png", Size: len(img)}); msg.File == nil || *msg.File != want {
		t.Fatalf("file %+v, want %+v", msg.File, want)
	}
	a.quiet("message")
	outside.quiet("message")
}

// TestHistoryBounds: a joiner gets the last History messages in order,
// and attachments past HistoryBytes are dropped from the history first.
func TestHistoryBounds(t *testing.T) {
	addr, _ := startChat(t, chat.Options{History: 3, HistoryBytes: 2000, MaxAttachment: 1000})
	a := join(t, addr, `{"name": "ada"}`)
	a.ok("join", map[string]string{"room": "lobby"}, nil)
	for i := range 5 {
		a.ok("send", map[string]string{"room": "lobby", "text": fmt.Sprint("text ", i)}, nil)
	}
	b := join(t, addr, `{"name": "bob"}`)
	var ack struct{ History int }
	b.ok("join", map[string]string{"room": "lobby"}, &ack)
	if ack.History != 3 {
		t.Fatalf("join replayed %d messages, want 3", ack.History)
	}
	for i := 2; i < 5; i++ {
		msg, _ := b.message()
		if want := fmt.Sprint("text ", i); msg.Text != want || !msg.History {
			t.Fatalf("history: got %+v, want %q marked history", msg, want)
		}
	}
	b.quiet("message")

	// Three images of about 800 bytes: the budget (2000) holds two.
	var imgs [][]byte
	for i := range 3 {
		img := append(pngBytes(t, 2, 2, uint8(i)), make([]byte, 700)...)
		imgs = append(imgs, img)
		raw := a.callBinary("send", `{"room": "lobby", "file": {"type": "image/png"}, "data": `+placeholder(0)+`}`, img)
		if e := errorText(raw); e != "" {
			t.Fatalf("image %d: %s", i, e)
		}
	}
	c := join(t, addr, `{"name": "cy"}`)
	c.ok("join", map[string]string{"room": "lobby"}, nil)
	for i := range 3 {
		msg, data := c.message()
		switch {
		case msg.File == nil:
			t.Fatalf("history %d: no file in %+v", i, msg)
		case i == 0 && (!msg.File.Expired || data != nil):
			t.Fatalf("oldest image: %+v with %d bytes, want it expired", msg.File, len(data))
		case i > 0 && !bytes.Equal(data, imgs[i]):
			t.Fatalf("image %d: %d bytes, not the ones sent (file %+v)", i, len(data), msg.File)
		}
	}

	// No history at all.
	addr, _ = startChat(t, chat.Options{History: -1})
	a = join(t, addr, `{"name": "ada"}`)
	a.ok("join", map[string]string{"room": "lobby"}, nil)
	a.ok("send", map[string]string{"room": "lobby", "text": "gone"}, nil)
	b = join(t, addr, `{"name": "bob"}`)
	b.ok("join", map[string]string{"room": "lobby"}, &ack)
	if ack.History != 0 {
		t.Fatalf("History -1: join replayed %d messages", ack.History)
	}
	b.quiet("message")
}

type presence struct {
	Room    string
	Action  string
	User    chat.Member
	Members int
}

// TestPresence: join and leave notices go out once per member (not per
// tab), member lists and counts follow.
func TestPresence(t *testing.T) {
	addr, n := startChat(t, chat.Options{})
	a := join(t, addr, `{"name": "ada"}`)
	a.ok("join", map[string]string{"room": "lobby"}, nil)

	b1 := join(t, addr, `{"name": "bob"}`)
	var ack struct{ Members []chat.Member }
	b1.ok("join", map[string]string{"room": "lobby"}, &ack)
	if len(ack.Members) != 2 || ack.Members[0].Name != "ada" || ack.Members[1].Name != "bob" {
		t.Fatalf("members %+v, want ada and bob", ack.Members)
	}
	var ev presence
	_, args := a.event("presence")
	_ = json.Unmarshal(args[0], &ev)
	if want := (presence{"lobby", "join", chat.Member{ID: "guest:bob", Name: "bob"}, 2}); ev != want {
		t.Fatalf("presence %+v, want %+v", ev, want)
	}

	// bob's second tab: no notice, one member more in no list.
	b2 := join(t, addr, `{"name": "bob"}`)
	b2.ok("join", map[string]string{"room": "lobby"}, &ack)
	if len(ack.Members) != 2 {
		t.Fatalf("members with two tabs of bob: %+v", ack.Members)
	}
	a.quiet("presence")
	var list struct{ Rooms []chat.RoomInfo }
	a.ok("rooms", nil, &list)
	if len(list.Rooms) != 1 || list.Rooms[0] != (chat.RoomInfo{Name: "lobby", Members: 2}) {
		t.Fatalf("rooms %+v, want lobby with 2 members", list.Rooms)
	}

	// One tab goes: bob is still there.
	b1.close()
	waitSockets(t, n, 2)
	a.quiet("presence")
	// The other leaves: now bob left.
	b2.ok("leave", map[string]string{"room": "lobby"}, nil)
	_, args = a.event("presence")
	_ = json.Unmarshal(args[0], &ev)
	if want := (presence{"lobby", "leave", chat.Member{ID: "guest:bob", Name: "bob"}, 1}); ev != want {
		t.Fatalf("presence %+v, want %+v", ev, want)
	}
	// A member that disconnects leaves every room.
	c := join(t, addr, `{"name": "cy"}`)
	c.ok("join", map[string]string{"room": "lobby"}, nil)
	a.event("presence")
	c.close()
	_, args = a.event("presence")
	_ = json.Unmarshal(args[0], &ev)
	if ev.Action != "leave" || ev.User.Name != "cy" || ev.Members != 1 {
		t.Fatalf("after cy disconnected: %+v", ev)
	}
	a.ok("rooms", nil, &list)
	if list.Rooms[0].Members != 1 {
		t.Fatalf("rooms %+v, want lobby with 1 member", list.Rooms)
	}
}

// TestDirectMessages: a DM reaches every socket of its recipient and the
// sender's other sockets, with its attachment; nobody else.
func TestDirectMessages(t *testing.T) {
	addr, n := startChat(t, chat.Options{})
	alice1 := join(t, addr, `{"user": "alice"}`)
	alice2 := join(t, addr, `{"user": "alice"}`)
	bob1 := join(t, addr, `{"user": "bob"}`)
	bob2 := join(t, addr, `{"user": "bob"}`)
	guest := join(t, addr, `{"name": "bob"}`) // a guest called bob is not user bob
	for _, m := range []*member{alice2, bob1, bob2, guest} {
		m.ok("hello", nil, nil)
	}

	var sent struct{ ID string }
	alice1.ok("dm", map[string]string{"to": "bob", "text": "psst"}, &sent)
	for i, m := range []*member{bob1, bob2, alice2} {
		msg, _ := m.message()
		if msg.ID != sent.ID || msg.Text != "psst" || msg.From.ID != "alice" || !msg.From.Verified || msg.To == nil || msg.To.ID != "bob" {
			t.Fatalf("socket %d got %+v (to %+v)", i, msg, msg.To)
		}
	}
	alice1.quiet("message")
	guest.quiet("message")

	img := pngBytes(t, 10, 10, 3)
	raw := bob2.callBinary("dm", `{"to": "guest:bob", "file": {"type": "image/png", "name": "x.png"}, "data": `+placeholder(0)+`}`, img)
	if e := errorText(raw); e != "" {
		t.Fatal(e)
	}
	msg, data := guest.message()
	if !bytes.Equal(data, img) || msg.From.ID != "bob" {
		t.Fatalf("guest got %+v with %d bytes", msg, len(data))
	}
	msg, data = bob1.message() // bob's other tab sees what bob sent
	if !bytes.Equal(data, img) || msg.To.ID != "guest:bob" {
		t.Fatalf("bob's other tab got %+v with %d bytes", msg, len(data))
	}

	// Offline once every socket is gone.
	guest.close()
	waitSockets(t, n, 4)
	wantError(t, alice1.call("dm", map[string]string{"to": "guest:bob", "text": "hi"}), `"guest:bob" is not online`)
}

// TestTyping: typing indicators reach the room or the recipient, never
// the typist's own sockets.
func TestTyping(t *testing.T) {
	addr, _ := startChat(t, chat.Options{})
	a1 := join(t, addr, `{"name": "ada"}`)
	a2 := join(t, addr, `{"name": "ada"}`)
	b := join(t, addr, `{"name": "bob"}`)
	for _, m := range []*member{a1, a2, b} {
		m.ok("join", map[string]string{"room": "lobby"}, nil)
	}
	a1.ok("typing", map[string]string{"room": "lobby"}, nil)
	p, args := b.event("typing")
	var ev struct {
		Room string
		User chat.Member
	}
	_ = json.Unmarshal(args[0], &ev)
	if ev.Room != "lobby" || ev.User.ID != "guest:ada" {
		t.Fatalf("typing %q", p.Text)
	}
	a2.quiet("typing")

	b.ok("typing", map[string]string{"to": "guest:ada"}, nil)
	for _, m := range []*member{a1, a2} {
		_, args := m.event("typing")
		ev.Room = ""
		_ = json.Unmarshal(args[0], &ev)
		if ev.Room != "" || ev.User.ID != "guest:bob" {
			t.Fatalf("dm typing %s", args[0])
		}
	}
}

// TestRateLimit: past the burst, events are refused until tokens refill.
func TestRateLimit(t *testing.T) {
	addr, _ := startChat(t, chat.Options{Rate: 0.001, Burst: 3})
	a := join(t, addr, `{"name": "ada"}`)
	for range 3 {
		a.ok("hello", nil, nil)
	}
	wantError(t, a.call("hello", nil), "too many messages: slow down")
	wantError(t, a.call("join", map[string]string{"room": "lobby"}), "slow down")
	// Another socket has its own bucket.
	join(t, addr, `{"name": "ada"}`).ok("hello", nil, nil)
}

// TestRoomLimits: MaxJoined per socket, MaxRooms overall (idle empty rooms
// make way for new ones).
func TestRoomLimits(t *testing.T) {
	addr, _ := startChat(t, chat.Options{MaxRooms: 2, MaxJoined: 1})
	a := join(t, addr, `{"name": "ada"}`)
	a.ok("create", map[string]string{"room": "one"}, nil)
	wantError(t, a.call("join", map[string]string{"room": "two"}), "one tab may be in 1 rooms at most")
	b := join(t, addr, `{"name": "bob"}`)
	b.ok("join", map[string]string{"room": "two"}, nil)
	c := join(t, addr, `{"name": "cy"}`)
	wantError(t, c.call("join", map[string]string{"room": "three"}), "there are 2 rooms already")

	b.ok("leave", map[string]string{"room": "two"}, nil) // "two" is empty now: it makes way
	c.ok("join", map[string]string{"room": "three"}, nil)
	var list struct{ Rooms []chat.RoomInfo }
	c.ok("rooms", nil, &list)
	if len(list.Rooms) != 2 || list.Rooms[0].Name != "one" || list.Rooms[1].Name != "three" {
		t.Fatalf("rooms %+v, want one and three", list.Rooms)
	}
}

func TestOptions(t *testing.T) {
	c, err := chat.New(chat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if o := c.Options(); o.History != chat.DefaultHistory || o.MaxAttachment != chat.DefaultMaxAttachment || o.Rate != chat.DefaultRate {
		t.Fatalf("defaults not filled: %+v", o)
	}
	for _, o := range []chat.Options{
		{MaxMessageLen: -1},
		{Rate: -1},
		{HistoryBytes: 100, MaxAttachment: 200},
	} {
		if _, err := chat.New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	if _, err := chat.New(chat.Options{History: -1, HistoryBytes: 100, MaxAttachment: 200}); err != nil {
		t.Errorf("no history, small HistoryBytes: %v", err)
	}
}
