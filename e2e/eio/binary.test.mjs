// Binary messages both ways on each transport, checked byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client, MAIN_URL, POLLING_ONLY, WEBSOCKET_ONLY, assertBytes, bytes, once } from "./helpers.mjs";

const allByteValues = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const cases = [
  ["websocket-only", WEBSOCKET_ONLY, "websocket"],
  ["polling-only", POLLING_ONLY, "polling"],
  ["upgraded", {}, "websocket"],
];

for (const [name, opts, transport] of cases) {
  test(`binary on ${name}: exact bytes both ways, text stays text`, { timeout: 15_000 }, async (t) => {
    const c = new Client(MAIN_URL, opts);
    t.after(() => c.close());
    const upgrade = transport === "websocket" && !opts.transports ? once(c.socket, "upgrade", 5000) : null;
    await c.open();
    await upgrade;
    assert.equal(c.socket.transport.name, transport);

    assertBytes(await c.request(allByteValues), allByteValues, "all 256 byte values");
    assertBytes(await c.request(Uint8Array.from([0, 255, 0, 255])), [0, 255, 0, 255], "Uint8Array");
    const ab = new ArrayBuffer(5);
    new Uint8Array(ab).set([5, 4, 3, 2, 1]);
    assertBytes(await c.request(ab), ab, "ArrayBuffer");
    assertBytes(await c.request(Buffer.alloc(1)), Buffer.alloc(1), "one zero byte");
    assertBytes(await c.request(Buffer.alloc(0)), Buffer.alloc(0), "empty binary");
    const big = bytes(200 * 1024, 7);
    assertBytes(await c.request(big), big, "200 KiB");

    // Interleaved text and binary keep their kinds and their order.
    const mixed = [
      "text",
      Buffer.from("text"),
      "AQID", // base64-looking text
      Buffer.from([1, 2, 3]),
      "4",
      Buffer.from("4"),
      "b",
      bytes(3000, 9),
    ];
    for (const m of mixed) c.send(m);
    const got = await c.take(mixed.length);
    mixed.forEach((m, i) => {
      if (typeof m === "string") {
        assert.equal(got[i], m, `mixed ${i}`);
      } else {
        assertBytes(got[i], m, `mixed ${i}`);
      }
    });
    assert.equal(c.socket.transport.name, transport);
  });
}
