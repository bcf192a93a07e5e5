// 1,000 messages sent in one burst come back complete and in order.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client, MAIN_URL, POLLING_ONLY, WEBSOCKET_ONLY, once, serverSession } from "./helpers.mjs";

const COUNT = 1000;

/** Message i: text "m-<i>", every 7th a 4-byte big-endian binary i. */
function message(i) {
  if (i % 7 === 3) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(i);
    return b;
  }
  return `m-${i}`;
}

/** Asserts got is exactly message(0..COUNT-1), reporting the first gap. */
function assertSequence(got) {
  assert.equal(got.length, COUNT);
  for (let i = 0; i < COUNT; i++) {
    const want = message(i);
    if (typeof want === "string") {
      assert.equal(got[i], want, `message ${i} out of order or altered`);
    } else {
      assert.ok(Buffer.isBuffer(got[i]), `message ${i} should be binary, got ${JSON.stringify(got[i])}`);
      assert.equal(got[i].readUInt32BE(0), i, `binary message ${i} out of order`);
    }
  }
}

const cases = [
  ["websocket-only", WEBSOCKET_ONLY, "websocket"],
  ["polling-only", POLLING_ONLY, "polling"],
];

for (const [name, opts, transport] of cases) {
  test(`burst of ${COUNT} on ${name}`, { timeout: 20_000 }, async (t) => {
    const c = new Client(MAIN_URL, opts);
    t.after(() => c.close());
    const sid = await c.open();
    const start = Date.now();
    for (let i = 0; i < COUNT; i++) c.send(message(i));
    assertSequence(await c.take(COUNT, 15_000));
    assert.equal(c.socket.transport.name, transport);
    assert.equal(c.socket.id, sid);
    const info = await serverSession(MAIN_URL, sid);
    assert.equal(info.open, true);
    t.diagnostic(`${COUNT} echoes in ${Date.now() - start} ms` + (transport === "polling" ? `, ${info.posts} POSTs` : ""));
  });
}

test(`burst of ${COUNT} across the upgrade`, { timeout: 20_000 }, async (t) => {
  const c = new Client(MAIN_URL);
  t.after(() => c.close());
  const upgrade = once(c.socket, "upgrade", 10_000);
  // The first half goes out from the "open" handler, over polling, just
  // before the probe starts; the second half from "upgrading", buffered by
  // the client until it switches to WebSocket. Echoes of the first half may
  // still be queued for polling when the server switches transports.
  let next = 0;
  const sendHalf = () => {
    for (const end = next + COUNT / 2; next < end; next++) c.send(message(next));
  };
  c.socket.on("open", sendHalf);
  c.socket.on("upgrading", sendHalf);
  const sid = await c.open();
  await upgrade;
  assertSequence(await c.take(COUNT, 15_000));
  assert.equal(c.socket.transport.name, "websocket");
  assert.equal(c.socket.id, sid);
});
