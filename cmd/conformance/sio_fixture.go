package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/siogate/siogate/hub"
)

// setupSocketIO registers the Socket.IO fixture on "/" and "/custom": what
// the official socket.io-protocol suite expects, plus the small chat
// contract our end-to-end tests and benchmarks use.
func setupSocketIO(srv *hub.Server, authDelay time.Duration) {
	for _, name := range []string{"/", "/custom"} {
		nsp := srv.Of(name)
		nsp.OnConnect(func(s *hub.Socket, auth hub.Raw) error {
			// The suite's client drops frames that arrive in the same read as
			// the CONNECT reply, so "auth" goes out a little later. The
			// benchmarks turn it off: the Node fixture has no such event.
			if authDelay >= 0 {
				time.AfterFunc(authDelay, func() { _ = s.EmitRaw("auth", [][]byte{auth}, nil) })
			}
			return nil
		})
		nsp.On("message", func(s *hub.Socket, m *hub.Message) {
			_ = s.EmitRaw("message-back", m.RawArgs(), m.Attachments())
		})
		nsp.On("message-with-ack", func(_ *hub.Socket, m *hub.Message) {
			_ = m.AckRaw(m.RawArgs(), m.Attachments())
		})
		chat(nsp)
	}
	// "/protected" shows middleware: a CONNECT without auth.token "letmein"
	// is refused with a message and data. The official suite only checks
	// that "/random" is unknown, so an extra namespace is harmless.
	protected := srv.Of("/protected")
	protected.Use(func(_ *hub.Socket, auth hub.Raw) error {
		var a struct {
			Token string `json:"token"`
		}
		_ = auth.Decode(&a)
		if a.Token != "letmein" {
			return &hub.ConnectError{Message: "unauthorized", Data: map[string]string{"reason": "bad token"}}
		}
		return nil
	})
	chat(protected)
}

// validRoom: 1-64 printable characters.
func validRoom(r string) bool {
	if r == "" || len(r) > 64 {
		return false
	}
	for _, c := range r {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

func ownRooms(s *hub.Socket) []string {
	rooms := slices.DeleteFunc(s.Rooms(), func(r string) bool { return r == s.ID() })
	slices.Sort(rooms)
	if rooms == nil {
		rooms = []string{}
	}
	return rooms
}

func ack(m *hub.Message, v any) {
	if m.WantsAck() {
		_ = m.Ack(v)
	}
}

// text returns argument key "text" raw (any JSON), or the first attachment.
type roomArg struct {
	Room string          `json:"room"`
	Text json.RawMessage `json:"text"`
	To   string          `json:"to"`
}

func chat(nsp *hub.Namespace) {
	nsp.On("whoami", func(s *hub.Socket, m *hub.Message) {
		ack(m, map[string]any{"sid": s.ID(), "nsp": nsp.Name(), "auth": s.Auth()})
	})
	nsp.On("rooms", func(s *hub.Socket, m *hub.Message) { ack(m, ownRooms(s)) })
	roomOp := func(join bool) hub.EventHandler {
		return func(s *hub.Socket, m *hub.Message) {
			var a roomArg
			if err := m.Decode(&a); err != nil || !validRoom(a.Room) {
				ack(m, map[string]string{"error": "invalid room"})
				return
			}
			if join {
				s.Join(a.Room)
			} else {
				s.Leave(a.Room)
			}
			ack(m, ownRooms(s))
		}
	}
	nsp.On("join", roomOp(true))
	nsp.On("leave", roomOp(false))
	nsp.On("say", func(s *hub.Socket, m *hub.Message) {
		var a roomArg
		if err := m.Decode(&a); err != nil || !validRoom(a.Room) {
			ack(m, map[string]string{"error": "invalid room"})
			return
		}
		payload := payloadOf(m, a.Text)
		_ = s.To(a.Room).Emit("said", map[string]any{"room": a.Room, "from": s.ID(), "text": payload}, attachment(m))
		ack(m, map[string]bool{"ok": true})
	})
	nsp.On("shout", func(s *hub.Socket, m *hub.Message) {
		var a roomArg
		_ = m.Decode(&a)
		_ = s.Broadcast().Emit("shouted", map[string]any{"from": s.ID(), "text": payloadOf(m, a.Text)}, attachment(m))
		ack(m, map[string]bool{"ok": true})
	})
	nsp.On("dm", func(s *hub.Socket, m *hub.Message) {
		var a roomArg
		if err := m.Decode(&a); err != nil || nsp.Socket(a.To) == nil {
			ack(m, map[string]any{"ok": false, "error": "unknown sid"})
			return
		}
		_ = nsp.To(a.To).Emit("dm", map[string]any{"from": s.ID(), "text": payloadOf(m, a.Text)}, attachment(m))
		ack(m, map[string]bool{"ok": true})
	})
	nsp.On("roundtrip", func(s *hub.Socket, m *hub.Message) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		reply, err := s.EmitWithAck(ctx, "question", m.Arg(0))
		if err != nil {
			ack(m, map[string]string{"error": "timeout"})
			return
		}
		ack(m, map[string]hub.Raw{"answer": reply.Arg(0)})
	})
	nsp.On("bye", func(s *hub.Socket, m *hub.Message) {
		ack(m, map[string]bool{"ok": true})
		s.Disconnect(false)
	})
	nsp.On("echo", func(_ *hub.Socket, m *hub.Message) {
		if m.WantsAck() {
			_ = m.AckRaw(m.RawArgs(), m.Attachments())
		}
	})
	nsp.On("broadcast", func(_ *hub.Socket, m *hub.Message) {
		_ = emitRawAll(nsp, m.RawArgs(), m.Attachments())
		ack(m, map[string]bool{"ok": true})
	})
	benchEvents(nsp)
}

// payloadOf returns the "text" field, or null when the text is binary (it
// then travels as the second argument).
func payloadOf(m *hub.Message, text json.RawMessage) any {
	if len(m.Attachments()) > 0 || len(text) == 0 {
		return nil
	}
	return hub.Raw(text)
}

// attachment returns the message's first binary attachment, or nil.
func attachment(m *hub.Message) any {
	if atts := m.Attachments(); len(atts) > 0 {
		return atts[0]
	}
	return nil
}

// emitRawAll re-emits raw arguments (binary included) to the namespace.
func emitRawAll(nsp *hub.Namespace, raw [][]byte, atts [][]byte) error {
	args := make([]any, 0, len(raw))
	for _, r := range raw {
		if n, ok := placeholderNum(r); ok && n < len(atts) {
			args = append(args, atts[n])
			continue
		}
		args = append(args, hub.Raw(r))
	}
	return nsp.Emit("bcast", args...)
}

func placeholderNum(r []byte) (int, bool) {
	var p struct {
		Placeholder bool `json:"_placeholder"`
		Num         int  `json:"num"`
	}
	if !strings.Contains(string(r), "_placeholder") || json.Unmarshal(r, &p) != nil || !p.Placeholder {
		return 0, false
	}
	return p.Num, true
}
