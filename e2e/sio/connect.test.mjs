// Namespace connection: the CONNECT handshake on "/" and "/custom", the auth
// payload, multiplexing, unknown namespaces and the client leaving.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { TRANSPORTS, assertGone, call, connect, connectMultiplexed, it, once, open, sleep, upgraded, watch } from "./lib.mjs";

for (const [name, transport] of Object.entries(TRANSPORTS)) {
  describe(`connect over ${name}`, () => {
    it("'/' and '/custom' give separate sids; whoami reports sid, nsp and auth", async (t) => {
      const auth = { token: "tok-é✓", n: 42, nested: { list: [1, "two", null] } };
      const root = open(t, "/", { auth, ...transport });
      const custom = open(t, "/custom", { auth: { who: "custom" }, ...transport });
      // The fixture emits "auth" 20 ms after the CONNECT reply: listen first.
      const rootAuth = once(root, "auth");
      const customAuth = once(custom, "auth");
      await Promise.all([once(root, "connect"), once(custom, "connect")]);

      assert.equal(typeof root.id, "string");
      assert.ok(root.id.length > 0);
      assert.notEqual(root.id, custom.id);
      // Socket.IO v5: the socket id is not the Engine.IO session id.
      assert.notEqual(root.id, root.io.engine.id);

      assert.deepEqual(await call(root, "whoami"), { sid: root.id, nsp: "/", auth });
      assert.deepEqual(await call(custom, "whoami"), { sid: custom.id, nsp: "/custom", auth: { who: "custom" } });
      assert.deepEqual(await rootAuth, [auth]);
      assert.deepEqual(await customAuth, [{ who: "custom" }]);
      if (name === "upgrade") {
        await upgraded(root);
        assert.deepEqual(await call(root, "whoami"), { sid: root.id, nsp: "/", auth });
      }
    });

    it("no auth gives {}; an auth function is called", async (t) => {
      const plain = await connect(t, "/", transport);
      assert.deepEqual((await call(plain, "whoami")).auth, {});
      const fn = await connect(t, "/custom", { ...transport, auth: (cb) => cb({ from: "function" }) });
      assert.deepEqual((await call(fn, "whoami")).auth, { from: "function" });
    });

    it("'/' and '/custom' multiplexed over one Engine.IO connection", async (t) => {
      const [root, custom] = await connectMultiplexed(t, ["/", "/custom"], transport, {
        "/": { auth: { ns: "root" } },
        "/custom": { auth: { ns: "custom" } },
      });
      assert.equal(root.io, custom.io);
      assert.notEqual(root.id, custom.id);
      const [a, b] = await Promise.all([call(root, "whoami"), call(custom, "whoami")]);
      assert.deepEqual(a, { sid: root.id, nsp: "/", auth: { ns: "root" } });
      assert.deepEqual(b, { sid: custom.id, nsp: "/custom", auth: { ns: "custom" } });

      // Leaving one namespace leaves the other connected on the same session.
      root.disconnect();
      await sleep(50);
      assert.equal(custom.connected, true);
      assert.deepEqual(await call(custom, "echo", "still here"), "still here");
    });

    it("unknown namespace: connect_error 'Invalid namespace'", async (t) => {
      const socket = open(t, "/nope", transport);
      const [err] = await once(socket, "connect_error");
      assert.ok(err instanceof Error);
      assert.equal(err.message, "Invalid namespace");
      assert.equal(socket.connected, false);
    });

    it("unknown namespace next to a valid one on the same connection", async (t) => {
      const [root] = await connectMultiplexed(t, ["/"], transport);
      const bad = root.io.socket("/does-not-exist");
      t.after(() => bad.disconnect());
      watch(t, bad).connect();
      const [err] = await once(bad, "connect_error");
      assert.equal(err.message, "Invalid namespace");
      // The session and its other namespace are unaffected.
      assert.equal(root.connected, true);
      assert.equal(await call(root, "echo", 1), 1);
    });

    it("a socket that disconnects is gone from the server", async (t) => {
      const leaving = await connect(t, "/", transport);
      const other = await connect(t, "/", transport);
      const sid = leaving.id;
      assert.deepEqual(await call(other, "dm", { to: sid, text: "hi" }), { ok: true });
      leaving.disconnect();
      await assertGone(other, sid);
    });
  });
}

for (const [name, transport] of Object.entries(TRANSPORTS)) {
  describe(`middleware over ${name}`, () => {
    it("a refused CONNECT gets connect_error with the middleware's message and data", async (t) => {
      const socket = open(t, "/protected", { ...transport, auth: { token: "wrong" } });
      const [err] = await once(socket, "connect_error");
      assert.equal(err.message, "unauthorized");
      assert.deepEqual(err.data, { reason: "bad token" });
      assert.equal(socket.connected, false);
    });

    it("the right token passes the middleware", async (t) => {
      const socket = await connect(t, "/protected", { ...transport, auth: { token: "letmein" } });
      assert.deepEqual(await call(socket, "whoami"), { sid: socket.id, nsp: "/protected", auth: { token: "letmein" } });
    });
  });
}
