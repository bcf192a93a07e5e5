// Package redisadapter joins siogate nodes, Node socket.io servers and
// @socket.io/redis-emitter publishers on one Redis pub/sub bus, speaking
// the wire format of @socket.io/redis-adapter 8.3 (its classic, non-sharded
// adapter) and @socket.io/redis-emitter 5.1.
//
//	bus, err := redisadapter.New(redisadapter.Options{URL: "redis://127.0.0.1:6379"})
//	if err != nil { ... }
//	srv, err := hub.New(hub.Options{NewAdapter: bus.NewAdapter})
//	if err != nil { ... }
//	srv.To("room").Emit("news", "hello") // every node's sockets in "room"
//	infos, err := srv.Of("/").In("room").FetchSockets(ctx)
//	...
//	_ = srv.Shutdown(ctx)
//	_ = bus.Close()
//
// # Wire format
//
// With key the prefix ("socket.io") and nsp the namespace name ("/"):
//
//   - A broadcast is the msgpack array [uid, packet, opts] published on
//     key#nsp# or, when it targets exactly one room, key#nsp#room#. uid is
//     the sending node's 6-character id ("emitter" from the emitter),
//     packet is {type: 2, data: [event, ...args], nsp} with binary
//     arguments as msgpack bin, opts is {rooms, except, flags}. Every node
//     PSUBSCRIBEs key#nsp#* and drops its own messages and, before
//     decoding the packet, those for a room with no member here.
//   - Requests go to key-request#nsp#, answers to key-response#nsp# (or,
//     with PublishOnSpecificResponseChannel, the requester's
//     key-response#nsp#uid#; every node listens on both). They are JSON,
//     except BROADCAST (an acknowledged broadcast) and BROADCAST_ACK, which
//     are msgpack: a receiver looks at the first byte. Types: 0 SOCKETS,
//     1 ALL_ROOMS, 2 REMOTE_JOIN, 3 REMOTE_LEAVE, 4 REMOTE_DISCONNECT,
//     5 REMOTE_FETCH, 6 SERVER_SIDE_EMIT, 7 BROADCAST, 8
//     BROADCAST_CLIENT_COUNT, 9 BROADCAST_ACK. This package answers all of
//     them, so Node peers never wait for it in vain.
//   - The number of nodes serving a namespace is PUBSUB NUMSUB of its
//     request channel (summed over the masters of a Redis Cluster).
//
// msgpack values follow notepack.io 3: integral numbers are the smallest
// integer encoding, other numbers float64, binary is bin. Values only
// JavaScript writes are read too: undefined (dropped from objects, null in
// arrays), Dates (ISO strings, as JSON.stringify writes them), ArrayBuffer
// extensions (binary).
//
// # Semantics and limits
//
// A broadcast reaches the local sockets at once and is published without
// waiting: if Redis is down or slow the local delivery is unaffected and
// the publish is counted as failed in Stats. Bulk operations (SocketsJoin,
// SocketsLeave, DisconnectSockets) are applied locally and published
// likewise. Requests that wait for answers (FetchSockets, ServerCount,
// ServerSideEmitWithAck) fail fast with ErrUnavailable while Redis is down
// and with ErrRequestTimeout, returning what they gathered, when a node
// does not answer within Options.RequestTimeout (5 s).
//
// As with Node's adapter: messages published while a node is cut off are
// lost to it (pub/sub keeps nothing); an acknowledgement relayed from
// another node carries only the first argument the client acknowledged
// with; server-side emits carry JSON only; rooms are strings (a Node room
// that is a number is matched by its decimal text on the channel but not
// by Node's own room lookup).
//
// # Connection state recovery
//
// The adapter does not record packets (neither does Node's classic one);
// Store, in this package, is a hub.SessionStore in Redis that works beside
// it (or beside any adapter): sessions are keys with a TTL, packets go to a
// Redis Stream per namespace, so a socket recovers on any node and across
// restarts. See Store and docs/recovery.md.
package redisadapter
