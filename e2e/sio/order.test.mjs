// Ordering and volume: 1,000 events keep their order on every transport,
// including events emitted while the transport upgrades, and large payloads
// come back whole.
import { describe } from "node:test";
import assert from "node:assert/strict";
import { TRANSPORTS, call, collect, connect, it, open, upgraded } from "./lib.mjs";

const N = 1000;
const seqs = (n) => Array.from({ length: n }, (_, i) => i);

for (const [name, transport] of Object.entries(TRANSPORTS)) {
  describe(`order over ${name}`, () => {
    it(`${N} message -> message-back events arrive in order`, async (t) => {
      const socket = await connect(t, "/", transport);
      const backs = collect(socket, "message-back");
      for (let i = 0; i < N; i++) {
        socket.emit("message", { seq: i });
      }
      const got = await backs.next(N, 10_000);
      assert.deepEqual(
        got.map((m) => m.seq),
        seqs(N),
      );
    });

    it(`${N} echo acks resolve in order with their own values`, async (t) => {
      const socket = await connect(t, "/custom", transport);
      const order = [];
      const replies = await Promise.all(
        seqs(N).map((i) =>
          socket
            .timeout(10_000)
            .emitWithAck("echo", i)
            .then((v) => {
              order.push(v);
              return v;
            }),
        ),
      );
      assert.deepEqual(replies, seqs(N));
      assert.deepEqual(order, seqs(N), "acks resolve in emit order");
    });

    it("a 600 kB string round-trips whole (maxPayload is 1 MB)", async (t) => {
      const socket = await connect(t, "/", transport);
      const big = "é✓x".repeat(100_000); // 300,000 characters, 600 kB of UTF-8
      assert.equal(await socket.timeout(10_000).emitWithAck("echo", big), big);
    });
  });
}

describe("order across the upgrade", () => {
  it("events emitted from before the connect on, through the upgrade, arrive in order", async (t) => {
    const socket = open(t, "/", TRANSPORTS.upgrade);
    const backs = collect(socket, "message-back");
    let sent = 0;
    let upgradedAt = -1;
    socket.io.on("open", () => socket.io.engine.once("upgrade", () => (upgradedAt = sent)));
    // Emits start before the CONNECT (the client buffers them) and go on,
    // 10 per millisecond, until 200 more have followed the upgrade (at
    // least N in all), so some travel by polling, some during the upgrade
    // (probe, pause of polling, drain) and some by WebSocket.
    await new Promise((resolve) => {
      const tick = () => {
        for (let k = 0; k < 10; k++, sent++) {
          socket.emit("message", sent);
        }
        const more = sent < N || upgradedAt < 0 || sent < upgradedAt + 200;
        if (more && sent < 10 * N) {
          setTimeout(tick, 1);
        } else {
          resolve();
        }
      };
      tick();
    });
    assert.ok(upgradedAt > 0, `upgrade after ${upgradedAt} emits`);
    const got = await backs.next(sent, 10_000);
    assert.deepEqual(got, seqs(sent));
    await upgraded(socket);
    assert.equal(await call(socket, "echo", "on websocket"), "on websocket");
    t.diagnostic(`upgrade completed after ${upgradedAt} of ${sent} emits`);
  });
});
