// Default client: the session opens over polling and upgrades to WebSocket.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Client,
  MAIN_URL,
  PATH,
  assertBytes,
  closeFromServer,
  once,
  request,
  serverClosed,
  serverSession,
} from "./helpers.mjs";

/** Compares echoed messages with what was sent, text and binary. */
function assertSameSequence(got, want) {
  assert.equal(got.length, want.length, "message count");
  for (let i = 0; i < want.length; i++) {
    if (typeof want[i] === "string") {
      assert.equal(got[i], want[i], `message ${i}`);
    } else {
      assertBytes(got[i], want[i], `message ${i}`);
    }
  }
}

/** Opens a default client and waits for its upgrade to WebSocket. */
async function upgraded(t) {
  const c = new Client(MAIN_URL);
  t.after(() => c.close());
  const upgrade = once(c.socket, "upgrade", 5000);
  const sid = await c.open();
  assert.equal(c.socket.transport.name, "polling");
  await upgrade;
  assert.equal(c.socket.transport.name, "websocket");
  assert.equal(c.socket.id, sid);
  return { c, sid };
}

test("upgrade: sid kept, transport websocket, messages before, during and after it in order", { timeout: 15_000 }, async (t) => {
  const c = new Client(MAIN_URL);
  t.after(() => c.close());
  const sent = [];
  const phases = [];
  let n = 0;
  const send = (phase) => {
    const i = n++;
    const m = i % 3 === 2 ? Buffer.from(`${phase}-${i}`) : `${phase}-${i}`;
    sent.push(m);
    c.send(m);
  };
  // The client starts its probe right after emitting "open", so these go
  // over polling; "upgrading" fires once the probe is answered (the client
  // buffers until the switch); a timer keeps sending all along.
  c.socket.on("open", () => {
    phases.push(`open:${c.socket.transport.name}`);
    for (let k = 0; k < 10; k++) send("before");
  });
  c.socket.on("upgrading", (transport) => {
    phases.push(`upgrading:${transport.name}`);
    for (let k = 0; k < 10; k++) send("during");
  });
  c.socket.on("upgradeError", (err) => phases.push(`upgradeError:${err.message}`));
  const upgrade = once(c.socket, "upgrade", 5000);
  const ticker = setInterval(() => send("tick"), 2);
  t.after(() => clearInterval(ticker));

  const sid = await c.open();
  const [transport] = await upgrade;
  clearInterval(ticker);
  phases.push(`upgrade:${transport.name}`);
  assert.deepEqual(phases, ["open:polling", "upgrading:websocket", "upgrade:websocket"]);
  assert.equal(c.socket.transport.name, "websocket");
  assert.equal(c.socket.id, sid);
  for (let k = 0; k < 10; k++) send("after");

  assertSameSequence(await c.take(sent.length, 10_000), sent);
  assert.equal(await c.request("transport?"), "transport:websocket");
  const live = await serverSession(MAIN_URL, sid);
  assert.equal(live.open, true);
  assert.equal(live.transport, "websocket");
  // The polling side of the session is gone: a GET with its sid is refused.
  const stale = await request("GET", `${MAIN_URL}${PATH}?EIO=4&transport=polling&sid=${sid}`);
  assert.equal(stale.status, 400);
  assert.deepEqual(JSON.parse(stale.body), { code: 3, message: "Bad request" });
  assert.equal(await c.request("still here"), "still here");
  t.diagnostic(`${sent.length} messages in order across the upgrade (${n - 30} from the timer), ${live.posts} POSTs before it`);
});

test("upgrade: close from the client after the upgrade", { timeout: 10_000 }, async (t) => {
  const { c, sid } = await upgraded(t);
  assert.equal(await c.request("ping me"), "ping me");
  c.close();
  assert.equal((await c.waitClose()).reason, "forced close");
  assert.equal((await serverClosed(MAIN_URL, sid)).reason, "transport close");
});

test("upgrade: server-side close after the upgrade", { timeout: 10_000 }, async (t) => {
  const { c, sid } = await upgraded(t);
  const closed = await closeFromServer(t, c, sid);
  assert.equal(closed.description?.context?.code, 1000);
});
