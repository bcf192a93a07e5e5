package hub_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/siotest"
)

// A chat server in the style of python-socketio's walkthrough: an
// authenticated connect, rooms, a broadcast that skips the sender, Send,
// an emit to one socket id and acknowledgements both ways. The clients are
// the package's small test client (testclient_test.go), speaking the wire
// protocol over real WebSockets.
func Example() {
	srv, err := hub.New(hub.Options{})
	if err != nil {
		panic(err)
	}
	left := make(chan struct{}, 2)

	srv.OnConnect(func(s *hub.Socket, auth hub.Raw) error {
		var a struct{ User, Token string }
		if err := auth.Decode(&a); err != nil || a.Token != "secret" {
			return &hub.ConnectError{Message: "unauthorized", Data: map[string]string{"hint": "check your token"}}
		}
		s.Set("user", a.User)
		fmt.Println("server: connect", a.User)
		return nil
	})
	srv.On("join", func(s *hub.Socket, m *hub.Message) {
		var room string
		if err := m.Decode(&room); err != nil {
			_ = m.Ack(hub.Err(err))
			return
		}
		s.Join(room)
		_ = s.To(room).Emit("joined", s.Get("user"), room) // the room, not the sender
		_ = m.Ack("welcome to " + room)
	})
	srv.On("say", func(s *hub.Socket, m *hub.Message) {
		var room, text string
		if err := m.Decode(&room, &text); err != nil {
			_ = m.Ack(hub.Err(err))
			return
		}
		_ = s.To(room).Emit("said", s.Get("user"), text)
		_ = m.Ack("delivered")
	})
	srv.On("whisper", func(s *hub.Socket, m *hub.Message) {
		var to, text string
		if err := m.Decode(&to, &text); err == nil {
			_ = srv.To(to).Emit("whisper", s.Get("user"), text) // a socket id is a room
		}
	})
	srv.OnDisconnect(func(s *hub.Socket, reason hub.Reason) {
		fmt.Println("server: disconnect", s.Get("user"), reason)
		left <- struct{}{}
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() { _ = srv.Serve(ln, nil) }()
	addr := ln.Addr().String()

	// show prints what a client received.
	show := func(who string, p packet) {
		switch p.Type {
		case '2':
			name, args := p.Event()
			var b strings.Builder
			for i, a := range args {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.Write(a)
			}
			fmt.Printf("%s: %s %s\n", who, name, b.String())
		case '3':
			fmt.Printf("%s: ack %s\n", who, p.Data)
		case '4':
			fmt.Printf("%s: connect_error %s\n", who, p.Data)
		}
	}
	newClient := func(user, token string) (*client, packet) {
		c, err := siotest.DialClient(addr, func(f string, a ...any) { panic(fmt.Sprintf(f, a...)) })
		if err != nil {
			panic(err)
		}
		return c, c.Connect("/", `{"user":"`+user+`","token":"`+token+`"}`)
	}

	mallory, reply := newClient("mallory", "guess")
	show("mallory", reply)
	mallory.Close()

	alice, _ := newClient("alice", "secret")
	bob, reply := newClient("bob", "secret")
	bobSID := strings.TrimSuffix(strings.TrimPrefix(reply.Data, `{"sid":"`), `"}`)

	alice.Emit("/", 1, "join", "lobby")
	show("alice", alice.Next())
	bob.Emit("/", 1, "join", "lobby")
	show("bob", bob.Next())
	show("alice", alice.Next()) // bob joined

	alice.Emit("/", 2, "say", "lobby", "hi bob")
	show("alice", alice.Next()) // the ack: alice does not get her own message
	show("bob", bob.Next())

	_ = srv.Send("server news")
	show("alice", alice.Next())
	show("bob", bob.Next())

	alice.Emit("/", -1, "whisper", bobSID, "psst")
	show("bob", bob.Next())

	// The server asks bob and waits for his answer.
	answer := make(chan string)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		reply, err := srv.Of("/").Socket(bobSID).EmitWithAck(ctx, "quiz", "2+2?")
		if err != nil {
			answer <- err.Error()
			return
		}
		answer <- reply.Arg(0).String()
	}()
	q := bob.Next()
	show("bob", q)
	bob.Ack("/", q.ID, 4)
	fmt.Println("server: quiz answer", <-answer)

	alice.Close()
	<-left
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	<-left
	bob.Close()

	// Output:
	// mallory: connect_error {"message":"unauthorized","data":{"hint":"check your token"}}
	// server: connect alice
	// server: connect bob
	// alice: ack ["welcome to lobby"]
	// bob: ack ["welcome to lobby"]
	// alice: joined "bob" "lobby"
	// alice: ack ["delivered"]
	// bob: said "alice" "hi bob"
	// alice: message "server news"
	// bob: message "server news"
	// bob: whisper "alice" "psst"
	// bob: quiz "2+2?"
	// server: quiz answer 4
	// server: disconnect alice transport close
	// server: disconnect bob server shutting down
}
