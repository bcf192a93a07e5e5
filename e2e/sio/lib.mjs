// Helpers shared by the Socket.IO end-to-end tests. The Go driver
// (e2e/sio_test.go) builds and starts cmd/conformance and passes its base
// URL in SIOGATE_URL; run these files through `go test ./e2e/ -run Sio`.
//
// The server is the conformance fixture: namespaces "/" and "/custom" with
// the chat contract of cmd/conformance/sio_fixture.go, pingInterval 1 s,
// pingTimeout 5 s.
import assert from "node:assert/strict";
import { test } from "node:test";
import { io, Manager } from "socket.io-client";
import { pattern } from "../common/pattern.mjs";
import { once, sleep, withTimeout } from "../common/timing.mjs";

export { once, pattern, sleep, withTimeout };

const url = process.env.SIOGATE_URL;
if (!url) {
  throw new Error('SIOGATE_URL is not set: run these tests through "go test ./e2e/ -run Sio"');
}

/** Base URL of the fixture, e.g. http://127.0.0.1:PORT (no trailing slash). */
export const URL = url.replace(/\/+$/, "");

/**
 * The three ways a client reaches the server. "upgrade" is the client's
 * default: long-polling first, then the upgrade to WebSocket.
 */
export const TRANSPORTS = {
  websocket: { transports: ["websocket"] },
  polling: { transports: ["polling"] },
  upgrade: { transports: ["polling", "websocket"], upgrade: true },
};

/** Per-test timeout for node:test, in ms (both attempts of an `it`). */
export const TEST_TIMEOUT = 30_000;

/**
 * Disconnect reasons that mean the connection was lost rather than closed
 * on purpose ("io client disconnect", "io server disconnect" and the
 * client's own "forced close" are on purpose).
 */
const LOST = new Set(["ping timeout", "transport close", "transport error", "parse error"]);

/**
 * What a test body gets instead of node:test's context: after() and
 * diagnostic() as on the context, plus the record of connections lost.
 * Everything registered with after() runs when the attempt ends.
 */
class Attempt {
  constructor(t) {
    this.t = t;
    this.cleanups = [];
    this.closed = false;
    this.lost = [];
    this.expectLoss = false; // set by a test that breaks its own transport
    this.onLost = null;
  }

  after(fn) {
    if (this.closed) {
      throw new Error("attempt already ended");
    }
    this.cleanups.push(fn);
  }

  diagnostic(msg) {
    this.t.diagnostic(msg);
  }

  lose(what) {
    this.lost.push(what);
    this.onLost?.(what);
  }

  async close() {
    this.closed = true;
    for (const fn of this.cleanups.reverse()) {
      await fn();
    }
  }
}

/**
 * Declares a test. Its body gets an Attempt whose sockets are closed when
 * the body ends. A connection the test did not close ("ping timeout",
 * "transport close"...: a heartbeat missed by an overloaded machine with
 * a loaded machine) aborts the attempt; the test then runs once
 * more, with a "RETRY" diagnostic the Go driver reports. A failure without
 * a lost connection, or a second loss, fails the test.
 */
export function it(name, body, opts = {}) {
  test(name, { timeout: TEST_TIMEOUT, ...opts }, async (t) => {
    for (let attempt = 1; ; attempt++) {
      const a = new Attempt(t);
      const lost = new Promise((_, reject) => {
        a.onLost = (what) => reject(new Error(`connection lost: ${what}`));
      });
      lost.catch(() => {});
      const run = Promise.resolve().then(() => body(a));
      run.catch(() => {}); // an aborted attempt may still settle later
      try {
        await Promise.race([run, lost]);
        return;
      } catch (err) {
        if (attempt >= 2 || a.lost.length === 0) {
          throw err;
        }
        t.diagnostic(`RETRY after a lost connection (${a.lost.join("; ")}); first attempt: ${err.message}`);
      } finally {
        await a.close();
      }
    }
  });
}

/**
 * Collects the first argument of every `event` on socket. `next(n)` resolves
 * once n have arrived in total (rejects after ms).
 */
export function collect(socket, event) {
  const got = [];
  let waiter = null;
  socket.on(event, (...args) => {
    got.push(args.length === 1 ? args[0] : args);
    if (waiter && got.length >= waiter.n) {
      waiter.resolve();
      waiter = null;
    }
  });
  return {
    got,
    async next(n, ms = 5000) {
      if (got.length < n) {
        await withTimeout(new Promise((resolve) => (waiter = { n, resolve })), ms, `${n} "${event}" events (got ${got.length})`);
      }
      return got;
    },
  };
}

/**
 * Creates a socket on namespace nsp over its own connection (forceNew),
 * watched and closed when the attempt a ends. Reconnection is off unless
 * opts says otherwise, so that a lost connection shows instead of healing
 * silently.
 */
export function open(a, nsp = "/", opts = {}) {
  const socket = io(URL + nsp, { forceNew: true, reconnection: false, autoConnect: false, ...opts });
  a.after(() => socket.disconnect());
  watch(a, socket);
  return socket.connect();
}

/** open, then resolves once the socket is connected. */
export async function connect(a, nsp = "/", opts = {}) {
  const socket = open(a, nsp, opts);
  await waitConnected(socket);
  return socket;
}

/**
 * Reports every disconnection of socket that the test did not ask for as
 * a diagnostic, and a lost connection (see LOST) to the attempt.
 */
export function watch(a, socket) {
  return socket.on("disconnect", (reason, details) => {
    if (reason === "io client disconnect" || a.closed) {
      return;
    }
    // For a transport error, details is engine.io-client's TransportError:
    // message ("xhr poll error"...), description (HTTP status or cause) and
    // context (for polling, the request, whose responseText says more).
    const why = [details?.message, details?.description?.message ?? details?.description, details?.context?.responseText]
      .filter((v) => v !== undefined && v !== "")
      .join(" ");
    const what = `${socket.nsp} disconnected: ${reason} ${why}`.trim();
    a.diagnostic(what);
    if (LOST.has(reason) && !a.expectLoss) {
      a.lose(what);
    }
  });
}

/** Resolves when socket is connected; rejects on connect_error or after ms. */
export function waitConnected(socket, ms = 5000) {
  if (socket.connected) {
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
    };
    const onConnect = () => {
      cleanup();
      resolve();
    };
    const onError = (err) => {
      cleanup();
      reject(new Error(`connect_error on ${socket.nsp}: ${err.message}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${ms} ms waiting for ${socket.nsp} to connect`));
    }, ms);
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
  });
}

/**
 * Sockets on namespaces nsps multiplexed over one Manager (one Engine.IO
 * connection), resolved once all are connected. The manager closes itself
 * when the last socket is disconnected, which happens when the attempt a
 * ends.
 */
export async function connectMultiplexed(a, nsps, opts = {}, socketOpts = {}) {
  const m = new Manager(URL, { reconnection: false, autoConnect: false, ...opts });
  const sockets = nsps.map((nsp) => m.socket(nsp, socketOpts[nsp] || {}));
  a.after(() => sockets.forEach((s) => s.disconnect()));
  sockets.forEach((s) => watch(a, s).connect());
  await Promise.all(sockets.map((s) => waitConnected(s)));
  return sockets;
}

/** Resolves once the socket's Engine.IO connection runs over WebSocket. */
export async function upgraded(socket, ms = 5000) {
  const engine = socket.io.engine;
  if (engine.transport.name !== "websocket") {
    await once(engine, "upgrade", ms);
  }
  assert.equal(engine.transport.name, "websocket");
}

/** Emits with the client's ack timeout and resolves with the first ack argument. */
export function call(socket, event, ...args) {
  return socket.timeout(5000).emitWithAck(event, ...args);
}

/**
 * Asserts that the server forgets socket id sid within ms: probe (another
 * socket of the same namespace) asks for a "dm" to sid until the fixture
 * answers "unknown sid". The server removes a socket after it tells the
 * client, so allow a moment.
 */
export async function assertGone(probe, sid, ms = 2000) {
  const deadline = Date.now() + ms;
  let reply;
  do {
    reply = await call(probe, "dm", { to: sid, text: "are you there?" });
    if (!reply.ok) {
      break;
    }
    await sleep(20);
  } while (Date.now() < deadline);
  assert.deepEqual(reply, { ok: false, error: "unknown sid" }, `socket ${sid} still known to the server after ${ms} ms`);
}

/** The bytes of a Buffer, typed array or ArrayBuffer, as a Buffer. */
export function bytes(v) {
  if (Buffer.isBuffer(v)) {
    return v;
  }
  if (v instanceof ArrayBuffer) {
    return Buffer.from(v);
  }
  if (ArrayBuffer.isView(v)) {
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
  throw new assert.AssertionError({ message: `expected binary, got ${typeof v}: ${JSON.stringify(v)}` });
}

/** Asserts that binary value got holds exactly the bytes of want. */
export function assertBytes(got, want, what = "bytes") {
  assert.ok(bytes(got).equals(bytes(want)), `${what}: got ${bytes(got).toString("hex").slice(0, 64)}, want ${bytes(want).toString("hex").slice(0, 64)}`);
}

/** A unique room name per call. */
let rooms = 0;
export function room(prefix = "room") {
  rooms++;
  return `${prefix}-${process.pid}-${rooms}`;
}
