// A session that stays on HTTP long-polling (transports: ["polling"],
// upgrade: false).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Client,
  MAIN_HANDSHAKE,
  MAIN_URL,
  POLLING_ONLY,
  closeFromServer,
  echoThroughHeartbeats,
  serverClosed,
  serverSession,
} from "./helpers.mjs";

test("polling-only: handshake announces the upgrade and the timings", { timeout: 10_000 }, async (t) => {
  const c = new Client(MAIN_URL, POLLING_ONLY);
  t.after(() => c.close());
  const sid = await c.open();
  assert.equal(c.socket.transport.name, "polling");
  assert.match(sid, /^[A-Za-z0-9_-]{20}$/);
  assert.deepEqual(c.handshake, {
    sid,
    upgrades: ["websocket"],
    ...MAIN_HANDSHAKE,
  });
  assert.equal(await c.request("hello"), "hello");
  assert.equal(await c.request("héllo ✓ 😀"), "héllo ✓ 😀");
  // Text that looks like a base64 binary element of a polling payload.
  assert.equal(await c.request("bAQIDBA=="), "bAQIDBA==");
  assert.equal(await c.request("transport?"), "transport:polling");
});

test("polling-only: the session outlives several heartbeats, echoes in between, sid unchanged", { timeout: 15_000 }, async (t) => {
  const c = new Client(MAIN_URL, POLLING_ONLY);
  t.after(() => c.close());
  const sid = await c.open();
  const { start, echoes } = await echoThroughHeartbeats(c, sid, { intervals: 5, pauseMs: 60 });
  assert.equal(c.socket.transport.name, "polling");
  const live = await serverSession(MAIN_URL, sid);
  assert.equal(live.open, true);
  assert.equal(live.transport, "polling");
  t.diagnostic(`${c.pings} pings in ${Date.now() - start} ms, ${echoes} echoes, ${live.posts} POSTs`);
});

test("polling-only: close from the client", { timeout: 10_000 }, async (t) => {
  const c = new Client(MAIN_URL, POLLING_ONLY);
  t.after(() => c.close());
  const sid = await c.open();
  assert.equal(await c.request("bye"), "bye");
  c.close();
  assert.equal((await c.waitClose()).reason, "forced close");
  const info = await serverClosed(MAIN_URL, sid);
  assert.equal(info.reason, "transport close");
});

test("polling-only: server-side close", { timeout: 10_000 }, async (t) => {
  const c = new Client(MAIN_URL, POLLING_ONLY);
  t.after(() => c.close());
  const sid = await c.open();
  assert.equal(await c.request("before"), "before");
  const closed = await closeFromServer(t, c, sid);
  assert.equal(closed.description?.description, "transport closed by the server");
});
