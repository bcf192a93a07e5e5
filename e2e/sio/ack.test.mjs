// Acknowledgements both ways: client -> server (echo, message-with-ack),
// server -> client (roundtrip makes the server emit "question" with an ack)
// and the client's own ack timeout.
import { describe } from "node:test";
import assert from "node:assert/strict";
import { TRANSPORTS, call, connect, it, once, withTimeout } from "./lib.mjs";

// The three transports run side by side, each one test at a time (no test
// here broadcasts to a whole namespace), so their 2 s ack timeouts do not
// add up.
describe("acks", { concurrency: true }, () => {
  for (const [name, transport] of Object.entries(TRANSPORTS)) {
    describe(`acks over ${name}`, { concurrency: 1 }, () => {
      it("echo acks with the arguments unchanged (callback form, several arguments)", async (t) => {
        const socket = await connect(t, "/", transport);
        const args = [
          "text",
          0,
          -1.5e300,
          true,
          null,
          [],
          {},
          { deep: { list: [1, [2, [3]]], s: "quote\" backslash\\ newline\n tab\t" } },
          "unicode é ✓ 日本語 🎉 \u2028",
        ];
        const got = await withTimeout(
          new Promise((resolve) => socket.emit("echo", ...args, (...reply) => resolve(reply))),
          5000,
          "echo ack",
        );
        assert.deepEqual(got, args);
      });

      it("an event with no arguments is acked with no arguments", async (t) => {
        const socket = await connect(t, "/", transport);
        const got = await withTimeout(
          new Promise((resolve) => socket.emit("echo", (...reply) => resolve(reply))),
          5000,
          "echo ack",
        );
        assert.deepEqual(got, []);
        assert.equal(await socket.timeout(5000).emitWithAck("echo"), undefined);
      });

      it("message-with-ack acks with the arguments", async (t) => {
        const socket = await connect(t, "/custom", transport);
        const got = await withTimeout(
          new Promise((resolve) => socket.emit("message-with-ack", 1, "2", [3], (...reply) => resolve(reply))),
          5000,
          "message-with-ack ack",
        );
        assert.deepEqual(got, [1, "2", [3]]);
      });

      it("timeout(ms).emitWithAck resolves with the first ack argument", async (t) => {
        const socket = await connect(t, "/", transport);
        assert.deepEqual(await socket.timeout(2000).emitWithAck("echo", { a: 1 }, "ignored"), { a: 1 });
        // Without a timeout too.
        assert.equal(await socket.emitWithAck("echo", "plain"), "plain");
      });

      it("timeout(ms).emitWithAck rejects when the server never acks", async (t) => {
        const socket = await connect(t, "/", transport);
        // "message" is answered with a "message-back" event, never with an ack.
        const back = once(socket, "message-back");
        const started = Date.now();
        await assert.rejects(socket.timeout(300).emitWithAck("message", "no ack"), {
          message: "operation has timed out",
        });
        assert.ok(Date.now() - started >= 290, `rejected after ${Date.now() - started} ms`);
        assert.deepEqual(await back, ["no ack"]);
        // The connection is still usable.
        assert.equal(await call(socket, "echo", "after"), "after");
      });

      it("server -> client ack: roundtrip returns the client's answer", async (t) => {
        const socket = await connect(t, "/", transport);
        const questions = [];
        socket.on("question", (q, ack) => {
          questions.push(q);
          assert.equal(typeof ack, "function", "question must carry an ack callback");
          ack({ answered: q, by: socket.id });
        });
        assert.deepEqual(await call(socket, "roundtrip", { q: 1 }), { answer: { answered: { q: 1 }, by: socket.id } });
        assert.deepEqual(await call(socket, "roundtrip", "two"), { answer: { answered: "two", by: socket.id } });
        assert.deepEqual(questions, [{ q: 1 }, "two"]);
      });

      it("server -> client ack answered asynchronously", async (t) => {
        const socket = await connect(t, "/custom", transport);
        socket.on("question", (q, ack) => setTimeout(() => ack(q * 2), 100));
        assert.deepEqual(await call(socket, "roundtrip", 21), { answer: 42 });
      });

      it("server -> client ack never answered: {error: 'timeout'} after ~2 s", async (t) => {
        const socket = await connect(t, "/", transport);
        let asked = 0;
        socket.on("question", () => {
          asked++; // never acks
        });
        const started = Date.now();
        const reply = await socket.timeout(6000).emitWithAck("roundtrip", "silence");
        const took = Date.now() - started;
        assert.deepEqual(reply, { error: "timeout" });
        assert.equal(asked, 1);
        assert.ok(took >= 1900 && took < 4000, `timeout branch took ${took} ms, want ~2000`);
        // A late answer to an expired question must not break anything.
        assert.equal(await call(socket, "echo", "after timeout"), "after timeout");
      });

      it("many acks in flight resolve to their own ids", async (t) => {
        const socket = await connect(t, "/", transport);
        const n = 200;
        const replies = await Promise.all(Array.from({ length: n }, (_, i) => call(socket, "echo", { i })));
        assert.deepEqual(
          replies,
          Array.from({ length: n }, (_, i) => ({ i })),
        );
      });
    });
  }
});
