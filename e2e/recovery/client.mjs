// A socket.io-client driven by e2e/recovery_test.go: it connects to
// SIOGATE_URL with the options in SIOGATE_OPTS (JSON, merged over
// WebSocket-only transport and short reconnection delays) and reports, one
// JSON object per line on stdout, what the socket sees:
//
//   {"type":"connect","id":"...","recovered":true}   socket.recovered as the client computes it
//   {"type":"disconnect","reason":"transport close"}
//   {"type":"connect_error","message":"..."}
//   {"type":"event","event":"tick","args":[1,"<offset>"]}  every argument, the offset included
//
// It exits when stdin ends or sends {"op":"exit"}.
import readline from "node:readline";
import { io } from "socket.io-client";

const url = process.env.SIOGATE_URL;
if (!url) {
  throw new Error("SIOGATE_URL is not set: run this through go test ./e2e/ -run Recovery");
}
const opts = JSON.parse(process.env.SIOGATE_OPTS || "{}");

const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");

const socket = io(url, {
  transports: ["websocket"],
  reconnectionDelay: 200,
  reconnectionDelayMax: 1000,
  ...opts,
});
socket.on("connect", () => out({ type: "connect", id: socket.id, recovered: socket.recovered }));
socket.on("disconnect", (reason) => out({ type: "disconnect", reason }));
socket.on("connect_error", (err) => out({ type: "connect_error", message: err.message }));
socket.onAny((event, ...args) => out({ type: "event", event, args }));

const exit = () => {
  socket.close();
  process.exit(0);
};
const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (JSON.parse(line).op === "exit") {
    exit();
  }
});
rl.on("close", exit);
