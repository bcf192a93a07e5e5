// Ping timeout: raw clients that stop answering the server's pings. The
// server pings pingInterval (300 ms) after the handshake and closes the
// session pingTimeout (200 ms) later without a pong.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once as onceEvent } from "node:events";
import WebSocket from "ws";
import { FAST_URL, PATH, request, serverClosed } from "./helpers.mjs";

const SLACK = 400; // ms allowed for scheduling on a loaded machine

function parseOpen(body) {
  assert.equal(body[0], "0", `expected an open packet, got ${JSON.stringify(body)}`);
  const h = JSON.parse(body.slice(1));
  assert.deepEqual(Object.keys(h).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
  return h;
}

test("websocket: a client that never answers the ping is closed", { timeout: 10_000 }, async (t) => {
  const ws = new WebSocket(`${FAST_URL.replace(/^http/, "ws")}${PATH}?EIO=4&transport=websocket`);
  t.after(() => ws.terminate());
  const frames = [];
  ws.on("message", (data, isBinary) => {
    frames.push({ at: Date.now(), data: isBinary ? data : data.toString() });
  });
  await onceEvent(ws, "open", { signal: AbortSignal.timeout(5000) });
  const closing = onceEvent(ws, "close", { signal: AbortSignal.timeout(5000) });
  const [code] = await closing;
  const closedAt = Date.now();

  const h = parseOpen(frames[0].data);
  assert.deepEqual(h.upgrades, []);
  // Times from the open packet, which the server sends as it arms the timer.
  const base = frames[0].at;
  const pings = frames.slice(1).map((f) => ({ ...f, at: f.at - base }));
  const elapsed = closedAt - base;
  assert.deepEqual(
    pings.map((f) => f.data),
    ["2"],
    "after the open packet the server sends exactly one ping, then closes",
  );
  const deadline = h.pingInterval + h.pingTimeout;
  assert.ok(pings[0].at >= h.pingInterval - 50, `ping after ${pings[0].at} ms, before pingInterval ${h.pingInterval}`);
  assert.ok(elapsed >= deadline - 50, `closed after ${elapsed} ms, before pingInterval+pingTimeout ${deadline}`);
  assert.ok(elapsed <= deadline + SLACK, `closed after ${elapsed} ms, want <= ${deadline + SLACK}`);
  t.diagnostic(`after the open packet: ping at ${pings[0].at} ms, close frame ${code} at ${elapsed} ms`);
  const info = await serverClosed(FAST_URL, h.sid);
  assert.equal(info.reason, "ping timeout");
});

test("polling: a client that stops polling after the handshake times out", { timeout: 10_000 }, async (t) => {
  const res = await request("GET", `${FAST_URL}${PATH}?EIO=4&transport=polling`);
  assert.equal(res.status, 200);
  const h = parseOpen(res.body);
  assert.deepEqual(h.upgrades, ["websocket"]);
  const info = await serverClosed(FAST_URL, h.sid, 3000);
  assert.equal(info.reason, "ping timeout");
  const deadline = h.pingInterval + h.pingTimeout;
  assert.ok(info.lifetimeMs >= deadline - 20, `closed after ${info.lifetimeMs} ms, before ${deadline}`);
  assert.ok(info.lifetimeMs <= deadline + SLACK, `closed after ${info.lifetimeMs} ms, want <= ${deadline + SLACK}`);
  t.diagnostic(`session lived ${info.lifetimeMs} ms`);

  // The session is gone: its sid is unknown now.
  const late = await request("GET", `${FAST_URL}${PATH}?EIO=4&transport=polling&sid=${h.sid}`);
  assert.equal(late.status, 400);
  assert.deepEqual(JSON.parse(late.body), { code: 1, message: "Session ID unknown" });
});

test("polling: a client that polls but never sends the pong gets the close packet", { timeout: 10_000 }, async (t) => {
  const res = await request("GET", `${FAST_URL}${PATH}?EIO=4&transport=polling`);
  const h = parseOpen(res.body);
  const poll = `${FAST_URL}${PATH}?EIO=4&transport=polling&sid=${h.sid}`;
  const start = Date.now();
  const ping = await request("GET", poll);
  assert.equal(ping.status, 200);
  assert.equal(ping.body, "2");
  // No pong: the next GET waits and is answered with the close packet.
  const close = await request("GET", poll);
  const elapsed = Date.now() - start;
  assert.equal(close.status, 200);
  assert.equal(close.body, "1");
  assert.ok(elapsed <= h.pingInterval + h.pingTimeout + SLACK, `close after ${elapsed} ms`);
  const info = await serverClosed(FAST_URL, h.sid);
  assert.equal(info.reason, "ping timeout");
  t.diagnostic(`close packet ${elapsed} ms after the first poll, session lived ${info.lifetimeMs} ms`);
});
