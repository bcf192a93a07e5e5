// A puppet of socket.io-client sockets for the gateway tests
// (cmd/siogate/*_test.go): the Go test writes one JSON command per line on
// stdin and reads one JSON event per line on stdout. The official
// socket.io-client comes from e2e/node_modules (SIOGATE_E2E_DIR), installed
// by `make deps`.
//
// Commands:
//   {"op":"connect","id":"a","url":"http://127.0.0.1:PORT","nsp":"/","token":"...",
//    "transports":["websocket"],"reconnection":false,"ackReply":{...},"noAck":false}
//   {"op":"emit","id":"a","ref":1,"event":"x","args":[...],"ack":true,"timeout":3000}
//   {"op":"close","id":"a"}
//   {"op":"exit"}
// Events: ready, connect {sid, transport}, connect_error {message, data},
// disconnect {reason, code}, event {event, args} (events asking for an ack
// are answered with ackReply, unless noAck), ack {ref, err, args}, closed,
// error {message}.
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";

const e2e = process.env.SIOGATE_E2E_DIR;
if (!e2e) {
  throw new Error("SIOGATE_E2E_DIR is not set: run this through go test ./cmd/siogate/");
}
const require = createRequire(join(e2e, "package.json"));
const { io } = require("socket.io-client");

const sockets = new Map();
const out = (id, type, fields = {}) => process.stdout.write(JSON.stringify({ id, type, ...fields }) + "\n");

function connect(cmd) {
  const opts = {
    forceNew: true,
    transports: cmd.transports ?? ["websocket"],
    reconnection: cmd.reconnection ?? false,
    reconnectionDelay: 100,
    reconnectionDelayMax: 300,
    randomizationFactor: 0,
    timeout: 5000,
    auth: cmd.token !== undefined ? { token: cmd.token, ...(cmd.auth ?? {}) } : (cmd.auth ?? {}),
  };
  const socket = io(cmd.url + (cmd.nsp ?? "/"), opts);
  sockets.set(cmd.id, socket);
  socket.on("connect", () => out(cmd.id, "connect", { sid: socket.id, transport: socket.io.engine.transport.name }));
  socket.on("connect_error", (err) => out(cmd.id, "connect_error", { message: err.message, data: err.data ?? null }));
  socket.on("disconnect", (reason, details) => out(cmd.id, "disconnect", { reason, code: details?.context?.code ?? 0 }));
  socket.onAny((event, ...args) => {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args.pop();
      if (!cmd.noAck) last(cmd.ackReply ?? { from: cmd.id });
    }
    out(cmd.id, "event", { event, args });
  });
}

function emit(cmd) {
  const socket = sockets.get(cmd.id);
  if (!socket) return out(cmd.id, "error", { message: "no socket " + cmd.id });
  const args = cmd.args ?? [];
  if (!cmd.ack) {
    socket.emit(cmd.event, ...args);
    return;
  }
  socket.timeout(cmd.timeout ?? 5000).emit(cmd.event, ...args, (err, ...res) => {
    out(cmd.id, "ack", { ref: cmd.ref, err: err ? err.message : "", args: res });
  });
}

const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    return out("", "error", { message: "bad command: " + e.message });
  }
  switch (cmd.op) {
    case "connect":
      return connect(cmd);
    case "emit":
      return emit(cmd);
    case "close":
      sockets.get(cmd.id)?.disconnect();
      return out(cmd.id, "closed");
    case "exit":
      for (const s of sockets.values()) s.disconnect();
      process.exit(0);
    default:
      return out(cmd.id ?? "", "error", { message: "unknown op " + cmd.op });
  }
});
rl.on("close", () => {
  for (const s of sockets.values()) s.disconnect();
  process.exit(0);
});
out("", "ready");
