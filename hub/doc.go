// Package hub is siogate's Socket.IO v5 server API, in the spirit of
// python-socketio and named like the Node reference: namespaces, event
// handlers, acknowledgements both ways, binary attachments, rooms and
// broadcasts, on a netpoll reactor where an idle connection owns no
// goroutine.
//
//	srv, _ := hub.New(hub.Options{})
//
//	srv.OnConnect(func(s *hub.Socket, auth hub.Raw) error {
//		var a struct{ Token string }
//		if err := auth.Decode(&a); err != nil || a.Token == "" {
//			return &hub.ConnectError{Message: "unauthorized", Data: map[string]string{"hint": "pass auth.token"}}
//		}
//		return nil // the client gets its CONNECT reply
//	})
//
//	srv.On("join", func(s *hub.Socket, m *hub.Message) {
//		var room string
//		if err := m.Decode(&room); err != nil {
//			m.Ack(hub.Err(err))
//			return
//		}
//		s.Join(room)                                   // enter_room
//		s.To(room).Emit("joined", s.ID())              // the room, skipping the sender
//		m.Ack(s.Rooms())                               // the handler's answer = the ack
//	})
//
//	srv.On("chat", func(s *hub.Socket, m *hub.Message) {
//		srv.Emit("chat", m.Arg(0))                     // every socket of "/", same bytes
//		srv.To("lobby").Except(s.ID()).Emit("chat", m.Arg(0))
//	})
//
//	srv.On("whisper", func(s *hub.Socket, m *hub.Message) {
//		var to string
//		_ = m.Decode(&to)
//		srv.To(to).Send("psst") // a socket id is a room; Send emits "message"
//	})
//
//	log.Fatal(srv.ListenAndServe("127.0.0.1:3000"))
//
// # Concurrency
//
// Each connection's packets are decoded on the goroutine of the transport
// that carried them, then its events run on a bounded worker pool one at a
// time, in arrival order; different connections run in parallel. A handler
// may therefore block (EmitWithAck waits for the client) without holding up
// anyone else. Emit, Send and every broadcast never block: they queue bytes
// that the reactor writes with non-blocking writev; a client whose queue
// passes Options.MaxQueuedBytes is disconnected as a slow consumer
// (volatile emits are dropped first).
//
// Acknowledgements from clients are resolved on the transport goroutine, so
// a handler may wait for an acknowledgement from its own client.
//
// # Broadcasts
//
// To, In, Except, Volatile, Local and Timeout return immutable
// BroadcastOperator values. A broadcast encodes the packet once: every
// WebSocket member gets the same frame bytes, every polling member the same
// payload element. Rooms live in the namespace's Adapter: the in-memory one
// by default, a Redis one for several nodes.
//
// # Connection state recovery
//
// With Options.Recovery set, a socket that loses its connection (not one
// that leaves on purpose) is kept for MaxDisconnectionDuration; when its
// client comes back (the official clients send {pid, offset} by
// themselves) it gets its id, rooms and data back and the broadcasts it
// missed, in order, and Socket.Recovered reports it. Every recorded packet
// carries its offset as one more last argument. The default MemoryStore
// keeps the record in this process; hub/redisadapter.Store shares it
// between nodes and restarts. See docs/recovery.md.
//
// # Running it
//
// ListenAndServe runs the server standalone on the reactor (both
// transports and the polling -> WebSocket upgrade on one port). To add HTTP
// routes on the same port, pass them to Serve; to mount the endpoint in a
// poller.Server of your own, use ServeHTTP (polling) and Upgrade (the
// reactor's upgrade callback).
package hub
