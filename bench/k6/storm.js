// Run with k6 v1.8.1 against siogate's cmd/conformance and the Node
// reference (bench/node/server.mjs); see README.md.
//
// A connect-storm and churn test for your own Socket.IO deployment, over
// WebSocket only, needing no event handler on the server: each iteration of
// a virtual user opens a socket (Engine.IO handshake, Socket.IO CONNECT of a
// namespace), times the handshake, holds the socket HOLD_MS (answering
// pings), then disconnects the way socket.io-client does (Socket.IO
// DISCONNECT, then a WebSocket close) and starts again. With HOLD_MS=0 it
// is a churn of connect/disconnect cycles; with many VUs and a short ramp
// it is a connect storm.
//
//   k6 run -e URL=ws://127.0.0.1:3000 -e VUS=1000 -e DURATION=1m -e HOLD_MS=5000 bench/k6/storm.js
//
// Parameters (-e):
//   URL               ws:// or wss:// base URL (default ws://127.0.0.1:3000)
//   SIO_PATH          endpoint path (default /socket.io/; not PATH, which k6
//                     fills from the environment)
//   NSP               namespace (default /)
//   AUTH              JSON sent as the CONNECT's auth payload (default none)
//   VUS               virtual users = sockets at once (default 100)
//   DURATION          test length (default 30s)
//   RAMP              time to reach VUS (default 0s: every VU at once, a storm)
//   HOLD_MS           how long each socket stays connected (default 1000)
//   HANDSHAKE_P99_MS  threshold on the handshake p99 (default 1000)

import ws from "k6/ws";
import { check } from "k6";
import { Counter, Rate, Trend } from "k6/metrics";

const URL = __ENV.URL || "ws://127.0.0.1:3000";
const PATH = __ENV.SIO_PATH || "/socket.io/";
const NSP = __ENV.NSP || "/";
const AUTH = __ENV.AUTH || "";
const HOLD_MS = Number(__ENV.HOLD_MS || 1000);
const VUS = Number(__ENV.VUS || 100);
const DURATION = __ENV.DURATION || "30s";
const RAMP = __ENV.RAMP || "0s";
const HANDSHAKE_P99_MS = Number(__ENV.HANDSHAKE_P99_MS || 1000);

const handshake = new Trend("sio_handshake_time", true);
const connected = new Rate("sio_connected");
const refused = new Counter("sio_connect_refused");
const cycles = new Counter("sio_cycles");

export const options = {
  scenarios: {
    storm: {
      executor: "ramping-vus",
      startVUs: RAMP === "0s" ? VUS : 0,
      stages: [
        { duration: RAMP, target: VUS },
        { duration: DURATION, target: VUS },
      ],
      gracefulRampDown: "5s",
    },
  },
  thresholds: {
    sio_connected: ["rate>0.99"],
    sio_handshake_time: [`p(99)<${HANDSHAKE_P99_MS}`],
  },
};

// nspPrefix is what goes between the packet type and the data.
const nspPrefix = NSP === "/" ? "" : NSP + ",";

export default function () {
  const url = `${URL}${PATH}?EIO=4&transport=websocket`;
  const started = Date.now();
  let ready = false;

  const res = ws.connect(url, {}, (socket) => {
    socket.on("message", (data) => {
      if (data === "2") {
        socket.send("3"); // pong
        return;
      }
      if (data.startsWith("0")) {
        socket.send("40" + nspPrefix + AUTH); // Engine.IO open -> Socket.IO CONNECT
        return;
      }
      if (!ready && data.startsWith("40" + nspPrefix)) {
        ready = true;
        handshake.add(Date.now() - started);
        connected.add(1);
        socket.setTimeout(() => {
          socket.send("41" + nspPrefix); // Socket.IO DISCONNECT
          cycles.add(1);
          socket.close(1000);
        }, Math.max(HOLD_MS, 1));
        return;
      }
      if (data.startsWith("44" + nspPrefix)) {
        refused.add(1); // CONNECT_ERROR: the middleware said no
        socket.close(1000);
      }
    });
    // A handshake that never completes counts as a failure.
    socket.setTimeout(() => {
      if (!ready) socket.close(1000);
    }, 10000);
  });
  check(res, { "upgrade answered 101": (r) => r && r.status === 101 });
  if (!ready) connected.add(0);
}
