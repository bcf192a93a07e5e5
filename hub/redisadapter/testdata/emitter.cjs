// Publishes with @socket.io/redis-emitter 5.1 into a siogate node, for
// node_test.go. The packages come from e2e/node_modules (`make deps`).
//
//	node emitter.cjs <redis-url> <key> <sid>
"use strict";

const path = require("node:path");
const e2e = require("node:module").createRequire(
  path.join(__dirname, "..", "..", "..", "e2e", "package.json"),
);
const { Emitter } = e2e("@socket.io/redis-emitter");
const { createClient } = e2e("redis");

const [redisURL, key, sid] = process.argv.slice(2);

(async () => {
  const client = createClient({ url: redisURL });
  client.on("error", (e) => console.error("redis:", e.message));
  await client.connect();
  const emitter = new Emitter(client, { key });
  emitter.to("r").emit("emitted", "to room", Buffer.from([1, 2]));
  emitter.to(sid).emit("emitted", "to sid");
  emitter.to("r").except(sid).volatile.emit("emitted", "to room except sid");
  emitter.of("/chat").emit("emitted", "chat");
  emitter.in("r").socketsJoin("joined-by-emitter");
  emitter.serverSideEmit("from-emitter", { n: 1 });
  emitter.emit("emitted", "last");
  await client.quit(); // after every publish above
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
