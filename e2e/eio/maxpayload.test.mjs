// maxPayload: the server at SMALL_URL announces 1000 bytes. Over polling
// the client splits its writes into POST bodies of at most maxPayload bytes
// and the server answers a larger body with 413; over WebSocket a message
// (frame payload, type digit included) above it closes the session (1009).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Client,
  POLLING_ONLY,
  SMALL_URL,
  WEBSOCKET_ONLY,
  assertBytes,
  bytes,
  describeClose,
  serverClosed,
  serverSession,
} from "./helpers.mjs";

const MAX = 1000;

test("polling: the client batches by maxPayload, every message comes back", { timeout: 10_000 }, async (t) => {
  const c = new Client(SMALL_URL, POLLING_ONLY);
  t.after(() => c.close());
  const sid = await c.open();
  assert.equal(c.handshake.maxPayload, MAX);
  const sent = Array.from({ length: 12 }, (_, i) => `${i}`.padEnd(400, "."));
  for (const m of sent) c.send(m);
  assert.deepEqual(await c.take(sent.length), sent);
  const info = await serverSession(SMALL_URL, sid);
  assert.equal(info.open, true);
  assert.ok(info.maxPostBytes <= MAX, `largest POST body ${info.maxPostBytes} > ${MAX}`);
  assert.ok(info.posts >= 6, `12 messages of 400 bytes fit in no fewer than 6 POSTs, saw ${info.posts}`);
  t.diagnostic(`${info.posts} POSTs, largest body ${info.maxPostBytes} bytes`);
});

test("polling: a body of exactly maxPayload is accepted", { timeout: 10_000 }, async (t) => {
  const c = new Client(SMALL_URL, POLLING_ONLY);
  t.after(() => c.close());
  const sid = await c.open();
  const m = "y".repeat(MAX - 1); // body "4" + 999 bytes
  assert.equal(await c.request(m), m);
  const info = await serverSession(SMALL_URL, sid);
  assert.equal(info.maxPostBytes, MAX);
  assert.equal(info.open, true);
});

test("polling: a body above maxPayload gets 413 and ends the session", { timeout: 10_000 }, async (t) => {
  const c = new Client(SMALL_URL, POLLING_ONLY);
  t.after(() => c.close());
  const sid = await c.open();
  c.send("z".repeat(MAX)); // body "4" + 1000 bytes: one message is never split
  const closed = await c.waitClose();
  t.diagnostic(`client saw: ${describeClose(closed)}`);
  // The server ends the session as it answers 413, so the parked GET gets
  // the close packet at the same moment: the client reports whichever
  // answer it handles first. (The Node reference server answers 413 and
  // leaves the session open; its client always reports the POST error.)
  if (closed.reason === "transport error") {
    assert.equal(closed.description?.message, "xhr post error");
    assert.equal(closed.description?.description, 413);
  } else {
    assert.equal(closed.reason, "transport close");
    assert.equal(closed.description?.description, "transport closed by the server");
  }
  const info = await serverClosed(SMALL_URL, sid);
  assert.equal(info.reason, "transport error");
  assert.match(info.err, /payload too large/);
});

test("websocket: text and binary messages of exactly maxPayload are echoed", { timeout: 10_000 }, async (t) => {
  const c = new Client(SMALL_URL, WEBSOCKET_ONLY);
  t.after(() => c.close());
  await c.open();
  const text = "t".repeat(MAX - 1); // frame "4" + 999 bytes
  assert.equal(await c.request(text), text);
  const bin = bytes(MAX, 3); // a binary frame carries no type digit
  assertBytes(await c.request(bin), bin);
  assert.equal(c.closed, null);
});

for (const [kind, payload] of [
  ["text", "u".repeat(MAX)], // frame "4" + 1000 bytes
  ["binary", bytes(MAX + 1, 4)],
]) {
  test(`websocket: a ${kind} message above maxPayload closes the session with 1009`, { timeout: 10_000 }, async (t) => {
    const c = new Client(SMALL_URL, WEBSOCKET_ONLY);
    t.after(() => c.close());
    const sid = await c.open();
    c.send(payload);
    const closed = await c.waitClose();
    t.diagnostic(`client saw: ${describeClose(closed)}`);
    assert.equal(closed.reason, "transport close");
    assert.equal(closed.description?.description, "websocket connection closed");
    assert.equal(closed.description?.context?.code, 1009);
    assert.equal(c.inbox.length, 0, "the oversized message must not be echoed");
    const info = await serverClosed(SMALL_URL, sid);
    assert.equal(info.reason, "transport error");
  });
}
