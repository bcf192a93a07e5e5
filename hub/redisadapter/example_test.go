package redisadapter_test

import (
	"context"
	"log"
	"time"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/redisadapter"
)

// A siogate node on a Redis bus shared with other siogate or Node nodes.
func Example() {
	bus, err := redisadapter.New(redisadapter.Options{URL: "redis://127.0.0.1:6379"})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := hub.New(hub.Options{NewAdapter: bus.NewAdapter})
	if err != nil {
		log.Fatal(err)
	}
	srv.On("join", func(s *hub.Socket, m *hub.Message) {
		var room string
		if err := m.Decode(&room); err == nil {
			s.Join(room)
		}
	})
	// Every node's sockets in "news" get it.
	_ = srv.To("news").Emit("headline", "hello")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if sockets, err := srv.In("news").FetchSockets(ctx); err == nil {
		log.Printf("%d readers across the cluster", len(sockets))
	}
	// Questions to the other servers, answered by their OnServerSideEmit.
	replies, err := srv.ServerSideEmitWithAck(ctx, "load")
	log.Print(replies, err)

	_ = srv.Shutdown(ctx)
	_ = bus.Close()
	log.Print(bus.Stats())
}
