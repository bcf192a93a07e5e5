package main

import "github.com/siogate/siogate/hub"

// benchEvents registers the events only the benchmarks use
// (bench/cmd/siobench; bench/node/server.mjs has the same):
//
//   - "bench:room" (room, arg): emits "bcast" with arg to every socket of
//     the room, the sender included if it is a member.
func benchEvents(nsp *hub.Namespace) {
	nsp.On("bench:room", func(_ *hub.Socket, m *hub.Message) {
		var room string
		if m.Len() < 2 || m.Decode(&room) != nil || !validRoom(room) {
			ack(m, map[string]string{"error": "invalid room"})
			return
		}
		_ = nsp.To(room).Emit("bcast", m.Arg(1))
	})
}
