// A session opened directly over WebSocket (transports: ["websocket"]).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Client,
  MAIN_HANDSHAKE,
  MAIN_URL,
  WEBSOCKET_ONLY,
  assertBytes,
  closeFromServer,
  echoThroughHeartbeats,
  serverClosed,
  serverSession,
} from "./helpers.mjs";

test("websocket-only: handshake, echo of text and binary, close from the client", { timeout: 10_000 }, async (t) => {
  const c = new Client(MAIN_URL, WEBSOCKET_ONLY);
  t.after(() => c.close());
  const sid = await c.open();
  assert.equal(c.socket.transport.name, "websocket");
  assert.match(sid, /^[A-Za-z0-9_-]{20}$/);
  assert.deepEqual(c.handshake, {
    sid,
    upgrades: [],
    ...MAIN_HANDSHAKE,
  });

  assert.equal(await c.request("hello"), "hello");
  assert.equal(await c.request("héllo ✓ 😀"), "héllo ✓ 😀");
  // An empty text message is the packet "4"; engine.io-parser decodes it
  // with no data at all.
  assert.equal(await c.request(""), undefined);
  assert.equal(await c.request("4 looks like a packet"), "4 looks like a packet");
  assertBytes(await c.request(Uint8Array.from([1, 2, 3])), [1, 2, 3]);
  assertBytes(await c.request(Buffer.from("buffer bytes")), Buffer.from("buffer bytes"));
  assert.equal(await c.request("transport?"), "transport:websocket");

  const live = await serverSession(MAIN_URL, sid);
  assert.equal(live.open, true);
  assert.equal(live.transport, "websocket");

  c.close();
  const closed = await c.waitClose();
  assert.equal(closed.reason, "forced close");
  const info = await serverClosed(MAIN_URL, sid);
  assert.equal(info.reason, "transport close");
  t.diagnostic(`server reason after client close: ${info.reason}`);
});

test("websocket-only: the session outlives several heartbeats", { timeout: 10_000 }, async (t) => {
  const c = new Client(MAIN_URL, WEBSOCKET_ONLY);
  t.after(() => c.close());
  const sid = await c.open();
  const { start, echoes } = await echoThroughHeartbeats(c, sid, { intervals: 4, pauseMs: 50 });
  assert.equal((await serverSession(MAIN_URL, sid)).open, true);
  t.diagnostic(`${c.pings} pings in ${Date.now() - start} ms, ${echoes} echoes`);
});

test("websocket-only: server-side close", { timeout: 10_000 }, async (t) => {
  const c = new Client(MAIN_URL, WEBSOCKET_ONLY);
  t.after(() => c.close());
  const sid = await c.open();
  assert.equal(await c.request("before"), "before");
  const closed = await closeFromServer(t, c, sid);
  assert.equal(closed.description?.description, "websocket connection closed");
  assert.equal(closed.description?.context?.code, 1000);
});
