// Package chat is the instant-messaging app that cmd/siogate serves at /:
// a page in plain HTML, CSS and JavaScript on the official socket.io-client,
// and its server side written only on the public hub API, as an example of
// that API.
//
//	srv, _ := hub.New(hub.Options{})
//	c, _ := chat.New(chat.Options{History: 50})
//	c.Mount(srv.Of("/chat"))
//	mux := http.NewServeMux()
//	mux.Handle("GET /", c.Handler())
//	ln, _ := net.Listen("tcp", ":3000")
//	log.Fatal(srv.Serve(ln, mux))
//
// Guests pick a nickname (auth {"name": "ada"}); with Options.User, a
// socket that a middleware authenticated uses its user id instead. A
// member can be in rooms (create, join, leave, list with member counts),
// write to a room or directly to another member (every socket of that
// member gets it: the hub room user:<id>), and send images and voice clips
// as binary attachments. Joining a room replays its last messages; the room
// hears join and leave notices, and typing indicators travel as volatile
// emits. Every event is checked (types, lengths, media types, a token
// bucket per socket) and answered through its acknowledgement: the result,
// or {"error": "..."}.
//
// The events and their payloads are listed in docs/chat.md. The chat's
// state is in memory: with a multi-node adapter, messages reach the sockets
// of every node, but each node keeps its own history, room list and
// presence.
package chat
