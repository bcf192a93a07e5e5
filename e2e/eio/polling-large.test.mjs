// Large messages over polling: each POST carries a body of several hundred
// KB on a new connection, as engine.io-client sends it in Node.
import { test } from "node:test";
import { Client, MAIN_URL, POLLING_ONLY, assertBytes, bytes } from "./helpers.mjs";

test("polling-only: large binary and text messages arrive whole", { timeout: 30_000 }, async (t) => {
  const c = new Client(MAIN_URL, POLLING_ONLY);
  t.after(() => c.close());
  await c.open();
  for (let i = 0; i < 20; i++) {
    const big = bytes(200 * 1024 + i, i + 1);
    assertBytes(await c.request(big), big, `binary #${i}`);
    const text = "x".repeat(300_000 + i);
    const got = await c.request(text);
    if (got !== text) {
      throw new Error(`text #${i}: got ${got?.length} chars, want ${text.length}`);
    }
  }
});
