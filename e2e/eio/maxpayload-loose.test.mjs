// maxPayload over WebSocket on the server at LOOSE_URL: eio.Options.MaxPayload
// is 1000 there, but the poller it is mounted on keeps its default
// WebSocket message limit (1,000,000). eio.Options documents MaxPayload as
// "the largest message (WebSocket) or POST body (polling) a client may send".
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client, LOOSE_URL, WEBSOCKET_ONLY, serverClosed } from "./helpers.mjs";

const MAX = 1000;

test("websocket: maxPayload holds even when the poller allows larger messages", { timeout: 10_000 }, async (t) => {
  const c = new Client(LOOSE_URL, WEBSOCKET_ONLY);
  t.after(() => c.close());
  const sid = await c.open();
  assert.equal(c.handshake.maxPayload, MAX);
  let echoed = false;
  c.next(3000).then(() => { echoed = true; }, () => {});
  c.send("v".repeat(MAX));
  const closed = await c.waitClose(3000);
  assert.ok(!echoed, `a ${MAX + 1}-byte frame over maxPayload ${MAX} was accepted and echoed`);
  assert.equal(closed.reason, "transport close");
  assert.equal((await serverClosed(LOOSE_URL, sid)).reason, "transport error");
});
