// The Node reference server of the benchmarks: socket.io 4.8.4 with its
// default options (pingInterval 25000, pingTimeout 20000, both transports,
// no compression), implementing the same events as siogate's
// cmd/conformance fixture on the namespaces "/" and "/custom":
//
//   - "echo": acknowledges with the arguments it got;
//   - "broadcast": emits "bcast" with the same arguments to every socket of
//     the namespace, the sender included (and acknowledges {ok: true} if
//     asked);
//   - "join" {room}: joins the room and acknowledges with the socket's
//     rooms (its own id left out), or {error: "invalid room"};
//   - "bench:room" (room, arg): emits "bcast" with arg to every socket of
//     the room.
//
// socket.io is loaded from e2e/node_modules (`cd e2e && npm ci`), or from
// the directory given by SIOGATE_E2E.
//
//   node --expose-gc bench/node/server.mjs --addr 127.0.0.1:3000
//
// Plain HTTP on the same port, for the harness (bench/cmd/siobench):
//   GET /debug/gc     runs global.gc() when started with --expose-gc and
//                     answers "ok" (or "no-gc" without the flag);
//   GET /debug/stats  {"rss":..., "heapUsed":..., "sockets":..., "pid":...,
//                     "disconnects": {reason: count}} (no collection).
// It prints one line "listening <addr>" on stdout once it accepts, and stops
// on SIGTERM or SIGINT.

import { createServer } from "node:http";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import path from "node:path";

const { values } = parseArgs({
  options: {
    addr: { type: "string", default: "127.0.0.1:3000" },
    e2e: { type: "string" },
  },
});

const here = path.dirname(fileURLToPath(import.meta.url));
const e2e = values.e2e ?? process.env.SIOGATE_E2E ?? path.join(here, "..", "..", "e2e");
const require = createRequire(path.join(e2e, "package.json"));
const { Server } = require("socket.io");

const [host, port] = splitAddr(values.addr);

const http = createServer((req, res) => {
  if (req.url === "/debug/gc") {
    if (typeof global.gc === "function") {
      global.gc();
      res.end("ok\n");
    } else {
      res.end("no-gc\n");
    }
    return;
  }
  if (req.url === "/debug/stats") {
    const m = process.memoryUsage();
    res.setHeader("Content-Type", "application/json");
    res.end(
      JSON.stringify({
        pid: process.pid,
        rss: m.rss,
        heapUsed: m.heapUsed,
        external: m.external,
        sockets: io.of("/").sockets.size + io.of("/custom").sockets.size,
        disconnects,
      }) + "\n",
    );
    return;
  }
  // socket.io answers its own path before this handler runs.
  res.statusCode = 404;
  res.end("Not Found\n");
});

const io = new Server(http); // default options, as users run it

// Sockets disconnected since start, by reason ("ping timeout", "transport
// close", ...).
const disconnects = {};

for (const name of ["/", "/custom"]) {
  const nsp = io.of(name);
  nsp.on("connection", (socket) => {
    socket.on("disconnect", (reason) => {
      disconnects[reason] = (disconnects[reason] ?? 0) + 1;
    });
    socket.on("echo", (...args) => {
      const ack = typeof args.at(-1) === "function" ? args.pop() : null;
      if (ack) ack(...args);
    });
    socket.on("broadcast", (...args) => {
      const ack = typeof args.at(-1) === "function" ? args.pop() : null;
      nsp.emit("bcast", ...args);
      if (ack) ack({ ok: true });
    });
    socket.on("join", (arg, ack) => {
      const room = arg?.room;
      const reply = typeof ack === "function" ? ack : () => {};
      if (typeof room !== "string" || room.length === 0 || room.length > 64) {
        reply({ error: "invalid room" });
        return;
      }
      socket.join(room);
      reply([...socket.rooms].filter((r) => r !== socket.id).sort());
    });
    socket.on("bench:room", (room, arg) => {
      if (typeof room === "string") nsp.to(room).emit("bcast", arg);
    });
  });
}

http.listen(port, host, () => {
  process.stdout.write(`listening ${host}:${http.address().port}\n`);
});

for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    io.close();
    http.close();
    setTimeout(() => process.exit(0), 1000).unref();
  });
}

function splitAddr(a) {
  const i = a.lastIndexOf(":");
  if (i < 0) throw new Error(`--addr ${a}: want host:port`);
  return [a.slice(0, i), Number(a.slice(i + 1))];
}
