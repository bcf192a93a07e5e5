// Disconnections: the server's "bye" (namespace DISCONNECT, no reconnect)
// and a lost transport (the client reconnects by itself).
import { describe } from "node:test";
import assert from "node:assert/strict";
import { TRANSPORTS, assertGone, call, connect, connectMultiplexed, it, once, sleep, upgraded, waitConnected } from "./lib.mjs";

// Fast reconnection so a test does not wait the default 1-5 s.
const RECONNECT = { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200, randomizationFactor: 0 };

// The three transports run side by side, each one test at a time (no test
// here broadcasts to a whole namespace), so their 1.5 s waits do not add
// up.
describe("disconnect", { concurrency: true }, () => {
  for (const [name, transport] of Object.entries(TRANSPORTS)) {
    describe(`disconnect over ${name}`, { concurrency: 1 }, () => {
      it("bye: 'io server disconnect' and no reconnection", async (t) => {
        const socket = await connect(t, "/", { ...transport, ...RECONNECT });
        const attempts = [];
        socket.io.on("reconnect_attempt", (n) => attempts.push(n));
        const connects = [];
        socket.on("connect", () => connects.push(Date.now()));
        const disconnected = once(socket, "disconnect");
        // The ack is sent before the DISCONNECT packet.
        assert.deepEqual(await call(socket, "bye"), { ok: true });
        const [reason] = await disconnected;
        assert.equal(reason, "io server disconnect");
        assert.equal(socket.connected, false);
        await sleep(1500);
        assert.equal(socket.connected, false, "the socket must stay disconnected");
        assert.deepEqual(connects, [], "no new connect");
        assert.deepEqual(attempts, [], "no reconnection attempt");
      });

      it("bye on one multiplexed namespace leaves the other connected", async (t) => {
        const [root, custom] = await connectMultiplexed(t, ["/", "/custom"], { ...transport, ...RECONNECT });
        const probe = await connect(t, "/custom", transport);
        const customSid = custom.id;
        const disconnected = once(custom, "disconnect");
        assert.deepEqual(await call(custom, "bye"), { ok: true });
        assert.equal((await disconnected)[0], "io server disconnect");
        assert.equal(root.connected, true);
        assert.equal(await call(root, "echo", "alive"), "alive");
        // The server forgot the socket that left.
        await assertGone(probe, customSid);
      });

      // engine.close() is the Engine.IO socket closing ("forced close" on the
      // client); engine.transport.close() is the transport dying under it
      // ("transport close"). Either way the manager reconnects.
      for (const [how, kill, wantReason] of [
        ["engine.close()", (engine) => engine.close(), "forced close"],
        ["engine.transport.close()", (engine) => engine.transport.close(), "transport close"],
      ]) {
        it(`${how}: the client reconnects by itself and works again`, async (t) => {
          const socket = await connect(t, "/", { ...transport, ...RECONNECT, auth: { again: true } });
          const probe = await connect(t, "/", transport);
          if (name === "upgrade") {
            // engine.io-client ignores transport.close() while polling is
            // paused for the upgrade: kill the transport once it has moved.
            await upgraded(socket);
          }
          const oldSid = socket.id;
          const oldEngine = socket.io.engine;
          const disconnected = once(socket, "disconnect");
          const reconnected = once(socket.io, "reconnect", 5000);
          t.expectLoss = true;
          kill(oldEngine);
          const [reason] = await disconnected;
          assert.equal(reason, wantReason);
          await reconnected;
          t.expectLoss = false;
          await waitConnected(socket);
          assert.notEqual(socket.io.engine, oldEngine);
          assert.notEqual(socket.id, oldSid, "a new socket id after reconnection");
          assert.deepEqual(await call(socket, "whoami"), { sid: socket.id, nsp: "/", auth: { again: true } });
          assert.equal(await call(socket, "echo", "back"), "back");
          // The server dropped the old socket and knows the new one.
          await assertGone(probe, oldSid);
          assert.deepEqual(await call(probe, "dm", { to: socket.id, text: "y" }), { ok: true });
        });
      }

      it("client disconnect() then connect() again on the same socket", async (t) => {
        const socket = await connect(t, "/custom", transport);
        const first = socket.id;
        socket.disconnect();
        assert.equal(socket.connected, false);
        socket.connect();
        await waitConnected(socket);
        assert.notEqual(socket.id, first);
        assert.deepEqual((await call(socket, "whoami")).sid, socket.id);
      });
    });
  }
});
