// A Node socket.io 4.8 server with @socket.io/redis-adapter 8.3, the peer
// of the mixed-cluster test (node_test.go). The packages come from
// e2e/node_modules (`make deps`).
//
//	node node_server.cjs <redis-url> <key> [publishOnSpecificResponseChannel]
//
// It prints "listening <port>" when it serves, and exits when stdin
// closes. A test client drives it with events, each answered through its
// acknowledgement ({error, responses} when the operation failed).
"use strict";

const http = require("node:http");
const path = require("node:path");
const e2e = require("node:module").createRequire(
  path.join(__dirname, "..", "..", "..", "e2e", "package.json"),
);
const { Server } = e2e("socket.io");
const { createAdapter } = e2e("@socket.io/redis-adapter");
const { createClient } = e2e("redis");

const [redisURL, key, specific] = process.argv.slice(2);

const failure = (e) => ({ error: e.message, responses: e.responses });

(async () => {
  const pub = createClient({ url: redisURL });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) {
    c.on("error", (e) => console.error("redis:", e.message));
  }
  await Promise.all([pub.connect(), sub.connect()]);

  const io = new Server({ adapter: createAdapter(pub, sub, {
    key,
    requestsTimeout: 3000,
    publishOnSpecificResponseChannel: specific === "true",
  }) });
  const heard = []; // server-side events from other servers

  io.on("hello", (...args) => heard.push(args));
  io.on("ping", (n, cb) => cb({ pong: n + 1, from: "node" }));

  io.on("connection", (socket) => {
    socket.data.user = "node";
    socket.on("join", (room, ack) => {
      socket.join(room);
      ack(socket.id);
    });
    socket.on("emit-room", (room, ...args) => {
      const ack = args.pop();
      io.to(room).emit(...args);
      ack();
    });
    socket.on("emit-room-binary", (room, ack) => {
      io.to(room).emit("from-node-binary", Buffer.from([5, 6, 7]), { n: 1 });
      ack();
    });
    socket.on("fetch", async (room, ack) => {
      try {
        const sockets = await io.in(room).fetchSockets();
        ack(sockets.map((s) => ({ id: s.id, rooms: [...s.rooms], data: s.data, query: s.handshake.query })));
      } catch (e) {
        ack(failure(e));
      }
    });
    socket.on("all-rooms", async (ack) => {
      try {
        ack([...(await io.of("/").adapter.allRooms())]);
      } catch (e) {
        ack(failure(e));
      }
    });
    socket.on("ask-room", async (room, ack) => {
      try {
        ack(await io.to(room).timeout(3000).emitWithAck("q", "from node"));
      } catch (e) {
        ack(failure(e));
      }
    });
    socket.on("server-side", async (ack) => {
      io.serverSideEmit("hello", "from node", 1);
      try {
        ack(await io.serverSideEmitWithAck("ping", 1));
      } catch (e) {
        ack(failure(e));
      }
    });
    socket.on("heard", (ack) => ack(heard));
    socket.on("sockets-join", (target, room, ack) => {
      io.in(target).socketsJoin(room);
      ack();
    });
    socket.on("disconnect-sockets", (target, ack) => {
      io.in(target).disconnectSockets(true);
      ack();
    });
  });

  const server = http.createServer();
  io.attach(server);
  server.listen(0, "127.0.0.1", () => {
    console.log("listening " + server.address().port);
  });

  process.stdin.resume();
  process.stdin.on("end", async () => {
    io.close();
    await Promise.allSettled([pub.quit(), sub.quit()]);
    process.exit(0);
  });
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
