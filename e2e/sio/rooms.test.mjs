// Rooms and broadcasts: join / leave / rooms, say (room minus sender),
// shout (namespace minus sender), dm (one sid), broadcast (whole namespace,
// sender included), and namespaces that do not share rooms or broadcasts.
import { describe } from "node:test";
import assert from "node:assert/strict";
import { TRANSPORTS, call, collect, connect, connectMultiplexed, it, room, sleep } from "./lib.mjs";

// After a positive delivery proved a send happened, how long the other
// sockets get to show that they wrongly received it too.
const SETTLE_MS = 150;

for (const [name, transport] of Object.entries(TRANSPORTS)) {
  describe(`rooms over ${name}`, () => {
    it("join, leave and rooms list the socket's rooms (sorted, own id excluded)", async (t) => {
      const s = await connect(t, "/", transport);
      assert.deepEqual(await call(s, "rooms"), []);
      assert.deepEqual(await call(s, "join", { room: "b" }), ["b"]);
      assert.deepEqual(await call(s, "join", { room: "a" }), ["a", "b"]);
      assert.deepEqual(await call(s, "join", { room: "a" }), ["a", "b"], "joining twice is a no-op");
      assert.deepEqual(await call(s, "rooms"), ["a", "b"]);
      assert.deepEqual(await call(s, "leave", { room: "b" }), ["a"]);
      assert.deepEqual(await call(s, "leave", { room: "not-joined" }), ["a"]);
      assert.deepEqual(await call(s, "rooms"), ["a"]);
      assert.deepEqual(await call(s, "join", { room: "" }), { error: "invalid room" });
      assert.deepEqual(await call(s, "join", "not an object"), { error: "invalid room" });
    });

    it("say reaches the room's other members, not the sender nor non-members", async (t) => {
      const r = room("say");
      const [sender, member1, member2, outsider] = await Promise.all(
        Array.from({ length: 4 }, () => connect(t, "/", transport)),
      );
      for (const s of [sender, member1, member2]) {
        assert.deepEqual(await call(s, "join", { room: r }), [r]);
      }
      const got = new Map([sender, member1, member2, outsider].map((s) => [s, collect(s, "said")]));

      assert.deepEqual(await call(sender, "say", { room: r, text: { hello: "room" } }), { ok: true });
      const want = [[{ room: r, from: sender.id, text: { hello: "room" } }, null]];
      assert.deepEqual(await got.get(member1).next(1), want);
      assert.deepEqual(await got.get(member2).next(1), want);
      await sleep(SETTLE_MS);
      assert.deepEqual(got.get(sender).got, [], "the sender must not get its own say");
      assert.deepEqual(got.get(outsider).got, [], "a non-member must not get the say");
      assert.equal(got.get(member1).got.length, 1, "exactly one delivery");

      // After leaving, member2 no longer hears the room.
      assert.deepEqual(await call(member2, "leave", { room: r }), []);
      assert.deepEqual(await call(sender, "say", { room: r, text: "second" }), { ok: true });
      await got.get(member1).next(2);
      await sleep(SETTLE_MS);
      assert.equal(got.get(member2).got.length, 1, "a socket that left must not get the say");
    });

    it("say to a room with a binary text carries the bytes as the second argument", async (t) => {
      const r = room("saybin");
      const sender = await connect(t, "/", transport);
      const member = await connect(t, "/", transport);
      await call(member, "join", { room: r });
      const got = collect(member, "said");
      const bin = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
      assert.deepEqual(await call(sender, "say", { room: r, text: bin }), { ok: true });
      const [[meta, bytes]] = await got.next(1);
      assert.deepEqual(meta, { room: r, from: sender.id, text: null });
      assert.ok(Buffer.from(bytes).equals(bin));
    });

    it("shout reaches every other socket of the namespace, not the sender", async (t) => {
      const [sender, a, b] = await Promise.all(Array.from({ length: 3 }, () => connect(t, "/custom", transport)));
      const rootSocket = await connect(t, "/", transport);
      const got = new Map([sender, a, b, rootSocket].map((s) => [s, collect(s, "shouted")]));
      assert.deepEqual(await call(sender, "shout", { text: "hey all" }), { ok: true });
      const want = { from: sender.id, text: "hey all" };
      for (const s of [a, b]) {
        await got.get(s).next(1);
        assert.deepEqual(got.get(s).got, [[want, null]]);
      }
      await sleep(SETTLE_MS);
      assert.deepEqual(got.get(sender).got, [], "shout excludes the sender");
      assert.deepEqual(got.get(rootSocket).got, [], "shout on /custom must not reach /");
    });

    it("dm reaches exactly the addressed sid; unknown sid is refused", async (t) => {
      const [from, to, other] = await Promise.all(Array.from({ length: 3 }, () => connect(t, "/", transport)));
      const got = new Map([from, to, other].map((s) => [s, collect(s, "dm")]));
      assert.deepEqual(await call(from, "dm", { to: to.id, text: "psst" }), { ok: true });
      assert.deepEqual(await got.get(to).next(1), [[{ from: from.id, text: "psst" }, null]]);
      await sleep(SETTLE_MS);
      assert.deepEqual(got.get(from).got, []);
      assert.deepEqual(got.get(other).got, []);
      assert.deepEqual(await call(from, "dm", { to: "no-such-sid", text: "x" }), { ok: false, error: "unknown sid" });
      // A dm to oneself is delivered (nsp.To(sid) does not skip the sender).
      assert.deepEqual(await call(from, "dm", { to: from.id, text: "me" }), { ok: true });
      assert.deepEqual(await got.get(from).next(1), [[{ from: from.id, text: "me" }, null]]);
    });

    it("broadcast reaches every socket of the namespace, sender included, with all arguments", async (t) => {
      const [sender, a] = await Promise.all([connect(t, "/", transport), connect(t, "/", transport)]);
      const custom = await connect(t, "/custom", transport);
      const got = new Map([sender, a, custom].map((s) => [s, collect(s, "bcast")]));
      const tag = room("bcast");
      assert.deepEqual(await call(sender, "broadcast", tag, { n: 1 }, [true]), { ok: true });
      for (const s of [sender, a]) {
        await got.get(s).next(1);
        assert.deepEqual(got.get(s).got, [[tag, { n: 1 }, [true]]]);
      }
      await sleep(SETTLE_MS);
      assert.deepEqual(got.get(custom).got, [], "a broadcast on / must not reach /custom");
    });

    it("namespaces are independent: a room of '/' is not a room of '/custom'", async (t) => {
      const r = room("shared-name");
      const rootSender = await connect(t, "/", transport);
      const rootMember = await connect(t, "/", transport);
      const [customSender, customMember] = await Promise.all([connect(t, "/custom", transport), connect(t, "/custom", transport)]);
      await call(rootMember, "join", { room: r });
      await call(customMember, "join", { room: r });
      assert.deepEqual(await call(customSender, "rooms"), []);
      const rootGot = collect(rootMember, "said");
      const customGot = collect(customMember, "said");

      await call(rootSender, "say", { room: r, text: "root" });
      await rootGot.next(1);
      await call(customSender, "say", { room: r, text: "custom" });
      await customGot.next(1);
      await sleep(SETTLE_MS);
      assert.deepEqual(rootGot.got, [[{ room: r, from: rootSender.id, text: "root" }, null]]);
      assert.deepEqual(customGot.got, [[{ room: r, from: customSender.id, text: "custom" }, null]]);

      // A socket id of one namespace is not addressable from the other.
      assert.deepEqual(await call(customSender, "dm", { to: rootMember.id, text: "x" }), { ok: false, error: "unknown sid" });
    });

    it("multiplexed sockets of one connection keep their own rooms", async (t) => {
      const r = room("mux");
      const sender = await connect(t, "/", transport);
      const [root, custom] = await connectMultiplexed(t, ["/", "/custom"], transport);
      await call(custom, "join", { room: r });
      assert.deepEqual(await call(root, "rooms"), []);
      assert.deepEqual(await call(custom, "rooms"), [r]);
      const rootGot = collect(root, "said");
      const customGot = collect(custom, "said");
      // "/" has no member in r: nobody hears this one.
      await call(sender, "say", { room: r, text: "nobody" });
      await call(root, "join", { room: r });
      await call(sender, "say", { room: r, text: "root only" });
      await rootGot.next(1);
      await sleep(SETTLE_MS);
      assert.deepEqual(rootGot.got, [[{ room: r, from: sender.id, text: "root only" }, null]]);
      assert.deepEqual(customGot.got, []);
    });
  });
}
