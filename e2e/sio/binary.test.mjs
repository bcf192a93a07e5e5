// Binary arguments (Socket.IO BINARY_EVENT / BINARY_ACK with attachments):
// the bytes the client sends come back exactly, in events and in acks.
import { describe } from "node:test";
import assert from "node:assert/strict";
import { TRANSPORTS, assertBytes, bytes, collect, connect, it, once, pattern, withTimeout } from "./lib.mjs";

/** Emits event with args and resolves with every ack argument. */
function emitAck(socket, event, ...args) {
  return withTimeout(new Promise((resolve) => socket.emit(event, ...args, (...reply) => resolve(reply))), 5000, `${event} ack`);
}

for (const [name, transport] of Object.entries(TRANSPORTS)) {
  describe(`binary over ${name}`, () => {
    it("message -> message-back with a Buffer, exact bytes", async (t) => {
      const socket = await connect(t, "/", transport);
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const back = once(socket, "message-back");
      socket.emit("message", all);
      const [got] = await back;
      assertBytes(got, all);
    });

    it("message -> message-back with a Uint8Array, an empty buffer and JSON around them", async (t) => {
      const socket = await connect(t, "/custom", transport);
      const u8 = new Uint8Array([0, 1, 2, 253, 254, 255]);
      const back = once(socket, "message-back");
      socket.emit("message", "before", u8, { empty: new Uint8Array(0), n: 7 }, "after");
      const [before, a, obj, after] = await back;
      assert.equal(before, "before");
      assertBytes(a, u8);
      assert.equal(obj.n, 7);
      assert.equal(bytes(obj.empty).length, 0);
      assert.equal(after, "after");
    });

    it("several attachments nested in objects and arrays keep their order", async (t) => {
      const socket = await connect(t, "/", transport);
      const bufs = [pattern(10, 1), pattern(1000, 2), pattern(3, 3), pattern(70000, 4)];
      const back = once(socket, "message-back");
      socket.emit("message", { first: bufs[0], list: [bufs[1], { inner: bufs[2] }] }, bufs[3]);
      const [obj, last] = await back;
      assertBytes(obj.first, bufs[0], "first");
      assertBytes(obj.list[0], bufs[1], "list[0]");
      assertBytes(obj.list[1].inner, bufs[2], "list[1].inner");
      assertBytes(last, bufs[3], "last");
    });

    it("message-with-ack: binary ack", async (t) => {
      const socket = await connect(t, "/", transport);
      const payload = pattern(4096, 9);
      const [text, bin, nested] = await emitAck(socket, "message-with-ack", "x", payload, { b: Buffer.from("é✓") });
      assert.equal(text, "x");
      assertBytes(bin, payload);
      assertBytes(nested.b, Buffer.from("é✓"));
    });

    it("echo with binary via emitWithAck", async (t) => {
      const socket = await connect(t, "/custom", transport);
      const payload = pattern(200_000, 5);
      const got = await socket.timeout(5000).emitWithAck("echo", payload);
      assertBytes(got, payload);
    });

    it("binary and text events interleaved stay in order", async (t) => {
      const socket = await connect(t, "/", transport);
      const backs = collect(socket, "message-back");
      const n = 60;
      for (let i = 0; i < n; i++) {
        socket.emit("message", i % 2 ? pattern(i + 1, i) : { seq: i });
      }
      const got = await backs.next(n);
      for (let i = 0; i < n; i++) {
        if (i % 2) {
          assertBytes(got[i], pattern(i + 1, i), `event ${i}`);
        } else {
          assert.deepEqual(got[i], { seq: i });
        }
      }
    });

    it("broadcast with a binary argument reaches every socket with the bytes", async (t) => {
      const a = await connect(t, "/", transport);
      const b = await connect(t, "/", transport);
      const payload = pattern(512, 77);
      const onA = once(a, "bcast");
      const onB = once(b, "bcast");
      assert.deepEqual(await a.timeout(5000).emitWithAck("broadcast", "bin", payload), { ok: true });
      for (const [label, p] of [["sender", onA], ["other", onB]]) {
        const [tag, bin] = await p;
        assert.equal(tag, "bin", label);
        assertBytes(bin, payload, label);
      }
    });
  });
}
