// Run with k6 v1.8.1 against siogate's cmd/conformance and the Node
// reference (bench/node/server.mjs); see README.md.
//
// A Socket.IO load test for your own deployment, over WebSocket only: each
// virtual user opens a socket (Engine.IO handshake, Socket.IO CONNECT of a
// namespace), answers the server's pings, optionally joins a room, and emits
// "echo" with an acknowledgement every INTERVAL_MS, timing the ack.
//
//   k6 run -e URL=ws://127.0.0.1:3000 -e VUS=500 -e DURATION=1m bench/k6/socketio.js
//
// The server must answer "echo" by acknowledging with the same arguments
// (siogate's cmd/conformance and bench/node/server.mjs do). Parameters (-e):
//   URL          ws:// or wss:// base URL (default ws://127.0.0.1:3000)
//   SIO_PATH     endpoint path (default /socket.io/; not PATH, which k6 fills
//                from the environment)
//   NSP          namespace (default /)
//   VUS          virtual users = sockets (default 100)
//   DURATION     test length (default 30s)
//   INTERVAL_MS  time between two echoes of one socket (default 1000)
//   SIZE         echo payload length in bytes (default 64)
//   ROOM         if set, emit "join" {room: ROOM} once connected
//   HOLD_MS      how long each socket stays open before k6 starts the
//                iteration again with a new one (default 30000)
//   P99_MS       threshold on the ack latency p99 (default 50)

import ws from "k6/ws";
import { check } from "k6";
import { Counter, Rate, Trend } from "k6/metrics";

const URL = __ENV.URL || "ws://127.0.0.1:3000";
const PATH = __ENV.SIO_PATH || "/socket.io/";
const NSP = __ENV.NSP || "/";
const INTERVAL_MS = Number(__ENV.INTERVAL_MS || 1000);
const SIZE = Number(__ENV.SIZE || 64);
const ROOM = __ENV.ROOM || "";
const P99_MS = Number(__ENV.P99_MS || 50);
const HOLD_MS = Number(__ENV.HOLD_MS || 30000);

const ackLatency = new Trend("sio_ack_latency", true);
const connectTime = new Trend("sio_connect_time", true);
const connected = new Rate("sio_connected");
const pings = new Counter("sio_pings");
const unanswered = new Counter("sio_unanswered_acks");

export const options = {
  vus: Number(__ENV.VUS || 100),
  duration: __ENV.DURATION || "30s",
  thresholds: {
    sio_connected: ["rate>0.99"],
    sio_ack_latency: [`p(99)<${P99_MS}`],
    checks: ["rate>0.99"],
  },
};

// nspPrefix is what goes between the packet type and the data.
const nspPrefix = NSP === "/" ? "" : NSP + ",";

export default function () {
  const url = `${URL}${PATH}?EIO=4&transport=websocket`;
  const started = Date.now();
  const pending = new Map(); // ack id -> send time
  let nextAck = 0;
  let ready = false;

  const res = ws.connect(url, {}, (socket) => {
    socket.on("message", (data) => {
      if (data === "2") {
        socket.send("3"); // pong
        pings.add(1);
        return;
      }
      if (data.startsWith("0")) {
        socket.send("40" + nspPrefix); // Engine.IO open -> Socket.IO CONNECT
        return;
      }
      if (data.startsWith("40" + nspPrefix)) {
        ready = true;
        connected.add(1);
        connectTime.add(Date.now() - started);
        if (ROOM) socket.send(`42${nspPrefix}["join",${JSON.stringify({ room: ROOM })}]`);
        socket.setInterval(() => {
          const id = nextAck++;
          pending.set(id, Date.now());
          const payload = "x".repeat(SIZE);
          socket.send(`42${nspPrefix}${id}["echo",${JSON.stringify(payload)}]`);
        }, INTERVAL_MS);
        return;
      }
      if (data.startsWith("44" + nspPrefix)) {
        connected.add(0); // CONNECT_ERROR
        socket.close();
        return;
      }
      const ack = data.match(/^43(?:\/[^,]*,)?(\d+)\[/);
      if (ack) {
        const id = Number(ack[1]);
        const sent = pending.get(id);
        if (sent !== undefined) {
          ackLatency.add(Date.now() - sent);
          pending.delete(id);
        }
      }
    });
    socket.on("error", () => connected.add(0));
    // End this VU's socket after HOLD_MS; k6 starts the iteration again.
    socket.setTimeout(() => {
      unanswered.add(pending.size);
      socket.close();
    }, HOLD_MS);
  });
  check(res, { "upgrade answered 101": (r) => r && r.status === 101 });
  if (!ready) connected.add(0);
}
