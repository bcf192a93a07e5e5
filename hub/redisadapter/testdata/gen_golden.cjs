// Generates golden.json: the bytes @socket.io/redis-adapter 8.3.0 and
// @socket.io/redis-emitter 5.1.0 (notepack.io 3.0.1) publish, captured by
// driving the real packages with fake Redis clients, plus what
// socket.io-parser would send to clients for each broadcast packet.
//
//	node hub/redisadapter/testdata/gen_golden.cjs > hub/redisadapter/testdata/golden.json
//
// The packages come from e2e/node_modules (`make deps`).
"use strict";

const path = require("node:path");
const e2e = require("node:module").createRequire(
  path.join(__dirname, "..", "..", "..", "e2e", "package.json"),
);
const { RedisAdapter } = e2e("@socket.io/redis-adapter");
const { Emitter } = e2e("@socket.io/redis-emitter");
const msgpack = e2e("notepack.io");
const parser = e2e("socket.io-parser");

const versions = {};
for (const p of ["@socket.io/redis-adapter", "@socket.io/redis-emitter", "notepack.io", "socket.io-parser"]) {
  const dir = path.join(__dirname, "..", "..", "..", "e2e", "node_modules", p);
  versions[p] = JSON.parse(require("node:fs").readFileSync(path.join(dir, "package.json"), "utf8")).version;
}

// A Redis client that records what is published (node-redis v4 shape).
function fakeClient(published) {
  return {
    publish(channel, msg) {
      published.push({ channel, msg: Buffer.isBuffer(msg) ? msg : Buffer.from(msg) });
      return Promise.resolve(1);
    },
    pSubscribe() {},
    subscribe() {},
    sSubscribe() {},
    pUnsubscribe() {},
    unsubscribe() {},
    on() {},
    off() {},
    sendCommand(args) {
      return Promise.resolve([args[2], "2"]); // PUBSUB NUMSUB: two nodes
    },
  };
}

function fakeNamespace(name) {
  return { name, server: { encoder: new parser.Encoder() }, sockets: new Map(), _ids: 0 };
}

function newAdapter(nsp, published) {
  const client = fakeClient(published);
  return new RedisAdapter(nsp, client, client, { requestsTimeout: 20 });
}

// parserOutput is what socket.io-parser sends to clients for packet: the
// text, then each attachment in hex.
function parserOutput(packet) {
  const out = new parser.Encoder().encode({ type: packet.type, data: packet.data, nsp: packet.nsp });
  return out.map((x) => (typeof x === "string" ? x : Buffer.from(x).toString("hex")));
}

const cases = [];

function add(name, kind, pub, extra = {}) {
  const c = { name, kind, channel: pub.channel };
  if (pub.msg[0] === 0x7b) {
    c.json = pub.msg.toString();
  } else {
    c.msgpack = pub.msg.toString("hex");
  }
  if (kind === "broadcast") {
    const [, packet] = msgpack.decode(pub.msg);
    c.parser = parserOutput(packet);
  }
  if (kind === "broadcast-request") {
    const req = msgpack.decode(pub.msg);
    c.parser = parserOutput(req.packet);
  }
  cases.push(Object.assign(c, extra));
}

function broadcast(name, nspName, data, rooms, except, flags, extra) {
  const published = [];
  const a = newAdapter(fakeNamespace(nspName), published);
  a.broadcast({ type: 2, data }, { rooms: new Set(rooms), except: new Set(except), flags });
  add(name, "broadcast", published[0], extra);
}

const big = (n, c) => c.repeat(n);

broadcast("plain", "/", ["hello", "world", 1, -1, 2.5, true, false, null, { a: [1, 2, { b: "c" }] }], [], [], {});
broadcast("one room, except", "/", ["ev", "x"], ["room1"], ["sidX", "sidX"], {});
broadcast("two rooms", "/", ["ev"], ["r1", "r2"], [], {});
broadcast("volatile", "/", ["ev", {}], [], [], { volatile: true });
broadcast("namespace", "/chat", ["ev", []], ["room"], [], {});
broadcast("binary", "/", ["bin", Buffer.from([1, 2, 3]), { nested: Buffer.from([4, 5]), list: [Buffer.alloc(0), "s"] }], [], [], {});
broadcast("typed arrays", "/", ["bin", new Uint8Array([9, 8]), new Uint8Array([7]).buffer, Buffer.alloc(300, 1)], [], [], {});
broadcast("numbers", "/", ["n", 0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -32, -33, -128, -129,
  -32768, -32769, -2147483648, -2147483649, 9007199254740991, -9007199254740991, 0.1, -1.5, 1e-7, 123e-20, 5e-324], [], [], {});
broadcast("strings", "/", ["s", "", big(31, "a"), big(32, "b"), big(255, "c"), big(256, "d"), big(300, "e"),
  "é€😀", "quote\"back\\slash\n\t<>&\u2028\u0001"], [], [], {});
broadcast("collections", "/", ["c", Array.from({ length: 16 }, (_, i) => i),
  Object.fromEntries(Array.from({ length: 16 }, (_, i) => ["k" + i, i])), [[[]]], { "": { "x y": null } }], [], [], {});
broadcast("javascript only", "/", ["js", undefined, { a: undefined, b: 1, f() {} }, [undefined],
  new Date(1700000000123), new Date(0), new Date(-1500), new Date(Date.UTC(2500, 0, 1)), -0, NaN, Infinity],
  [], [], {}, { decodeOnly: true });
broadcast("numeric room", "/", ["ev"], [42], [7], {}, { decodeOnly: true });

// Acknowledged broadcast (BROADCAST request).
{
  const published = [];
  const a = newAdapter(fakeNamespace("/"), published);
  a.broadcastWithAck({ type: 2, data: ["ask", 1, Buffer.from([0xff])] },
    { rooms: new Set(["room1"]), except: new Set(["sid1"]), flags: { timeout: 5000 } }, () => {}, () => {});
  add("broadcast with ack", "broadcast-request", published[0]);
}

// Emitter broadcasts (uid "emitter", opts keys in another order).
{
  const published = [];
  const em = new Emitter(fakeClient(published));
  em.to("room1").emit("news", "hi", Buffer.from([1]));
  em.of("/chat").except("sid9").volatile.emit("all", { n: 1 });
  em.to(["a", "b"]).emit("two");
  add("emitter to room", "broadcast", published[0], { decodeOnly: true });
  add("emitter namespace", "broadcast", published[1], { decodeOnly: true });
  add("emitter two rooms", "broadcast", published[2], { decodeOnly: true });
}

// Emitter requests.
{
  const published = [];
  const em = new Emitter(fakeClient(published));
  em.in("room1").socketsJoin(["r2", "r3"]);
  em.except("x").socketsLeave("r2");
  em.in("room1").disconnectSockets(true);
  em.serverSideEmit("hello", 1, { a: "b" });
  add("emitter socketsJoin", "request", published[0]);
  add("emitter socketsLeave", "request", published[1]);
  add("emitter disconnectSockets", "request", published[2]);
  add("emitter serverSideEmit", "request", published[3]);
}

// The adapter's own requests.
async function requests() {
  const published = [];
  const a = newAdapter(fakeNamespace("/"), published);
  a.addSockets({ rooms: new Set(["room1"]), except: new Set(["sid1"]) }, ["r2"]);
  a.delSockets({ rooms: new Set(), except: new Set() }, ["r2", "r3"]);
  a.disconnectSockets({ rooms: new Set(["room1"]), except: new Set() }, false);
  a.serverSideEmit(["hello", "world", 2]);
  await a.fetchSockets({ rooms: new Set(["room1"]), except: new Set(["sid1"]), flags: {} }).catch(() => {});
  await a.allRooms().catch(() => {});
  await a.serverSideEmitWithAck(["ping", 1, () => {}]);
  for (const [i, name] of ["addSockets", "delSockets", "disconnectSockets", "serverSideEmit",
    "fetchSockets", "allRooms", "serverSideEmitWithAck"].entries()) {
    add("adapter " + name, "request", published[i], { uid: a.uid });
  }
}

// What a Node node answers to other nodes' requests.
async function answers() {
  const published = [];
  const nsp = fakeNamespace("/");
  const a = newAdapter(nsp, published);
  nsp.sockets.set("sid1", {
    id: "sid1",
    handshake: {
      headers: { host: "example.com", "user-agent": "ua", cookie: "a=1; b=2" },
      time: "Tue Nov 14 2023 22:13:20 GMT+0000 (Coordinated Universal Time)",
      address: "::1",
      xdomain: false,
      secure: false,
      issued: 1700000000123,
      url: "/socket.io/?EIO=4&transport=websocket",
      query: { EIO: "4", transport: "websocket", t: ["1", "2"] },
      auth: { token: "abc" },
      sessionStore: { circular: true },
    },
    rooms: new Set(["sid1", "room1"]),
    data: { user: "ann", n: 1 },
  });
  a.addAll("sid1", new Set(["sid1", "room1"]));
  const ask = (req) => a.onrequest(a.requestChannel, Buffer.from(JSON.stringify(req)));
  await ask({ uid: "other1", requestId: "req001", type: 5, opts: { rooms: ["room1"], except: [] } });
  await ask({ uid: "other1", requestId: "req002", type: 1 });
  await ask({ uid: "other1", requestId: "req003", type: 0, rooms: ["room1"] });
  add("answer fetchSockets", "response", published[0]);
  add("answer allRooms", "response", published[1]);
  add("answer sockets", "response", published[2]);

  // Acknowledgements as the adapter relays them.
  const ack = (requestId, packet) => ({ channel: a.responseChannel, msg: msgpack.encode({ type: 9, requestId, packet }) });
  add("answer broadcast ack", "response", ack("req004", "ok"));
  add("answer broadcast ack binary", "response", ack("req005", { a: Buffer.from([1, 2]) }));
  add("answer broadcast ack undefined", "response", ack("req006", undefined));
  add("answer client count", "response", {
    channel: a.responseChannel,
    msg: Buffer.from(JSON.stringify({ type: 8, requestId: "req007", clientCount: 3 })),
  });
}

(async () => {
  await requests();
  await answers();
  process.stdout.write(JSON.stringify({ versions, cases }, null, 1) + "\n");
  process.exit(0);
})();
