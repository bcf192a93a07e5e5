// Helpers shared by the Engine.IO end-to-end tests. The Go driver
// (e2e/eio_test.go) starts the servers and passes their base URLs in the
// environment; run these files through `go test ./e2e/`.
import assert from "node:assert/strict";
import http from "node:http";
import { Socket } from "engine.io-client";
import { pattern } from "../common/pattern.mjs";
import { once, sleep, withTimeout } from "../common/timing.mjs";

export { once, sleep, withTimeout };

/** n deterministic pseudo-random bytes (see common/pattern.mjs). */
export const bytes = pattern;

function env(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run these tests through "go test ./e2e/"`);
  }
  return v;
}

/** pingInterval 300 ms, pingTimeout 1000 ms, maxPayload 1,000,000. */
export const MAIN_URL = env("SIOGATE_URL");
/** The handshake the server at MAIN_URL sends, less the sid. */
export const MAIN_HANDSHAKE = { pingInterval: 300, pingTimeout: 1000, maxPayload: 1000000 };
/** pingInterval 300 ms, pingTimeout 200 ms (the official suites' timings). */
export const FAST_URL = env("SIOGATE_FAST_URL");
/** maxPayload 1000, WebSocket message limit 1000. */
export const SMALL_URL = env("SIOGATE_SMALL_URL");
/** maxPayload 1000 on a poller with the default WebSocket message limit. */
export const LOOSE_URL = env("SIOGATE_LOOSE_URL");
export const PATH = "/engine.io/";

export const WEBSOCKET_ONLY = { transports: ["websocket"] };
export const POLLING_ONLY = { transports: ["polling"], upgrade: false };

/**
 * Client wraps an engine.io-client Socket: it records the handshake, queues
 * received messages in order and remembers how the socket closed.
 */
export class Client {
  constructor(url, opts = {}) {
    this.socket = new Socket(url, { path: PATH, ...opts });
    this.inbox = [];
    this.handshake = null;
    this.closed = null; // { reason, description } once closed
    this.pings = 0;
    this._waiter = null;
    this.socket.on("handshake", (h) => {
      this.handshake = h;
    });
    this.socket.on("ping", () => {
      this.pings++;
    });
    this.socket.on("message", (m) => {
      this.inbox.push(m);
      this._waiter?.();
    });
    this._closedPromise = new Promise((resolve) => {
      this.socket.on("close", (reason, description) => {
        this.closed = { reason, description };
        resolve(this.closed);
        this._waiter?.();
      });
    });
    this._openPromise = new Promise((resolve, reject) => {
      this.socket.once("open", resolve);
      this.socket.once("close", (reason) => reject(new Error(`closed before open: ${reason}`)));
    });
    this._openPromise.catch(() => {});
  }

  /** Waits for the "open" event. */
  async open(ms = 5000) {
    await withTimeout(this._openPromise, ms, "open");
    return this.socket.id;
  }

  send(data) {
    this.socket.send(data);
  }

  /** The next n messages, in arrival order. */
  take(n, ms = 10000) {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this._waiter = null;
      };
      const check = () => {
        if (this.inbox.length >= n) {
          done();
          resolve(this.inbox.splice(0, n));
        } else if (this.closed) {
          done();
          reject(new Error(`socket closed (${this.closed.reason}) with ${this.inbox.length}/${n} messages received`));
        }
      };
      const timer = setTimeout(() => {
        this._waiter = null;
        reject(new Error(`timed out after ${ms} ms with ${this.inbox.length}/${n} messages received`));
      }, ms);
      this._waiter = check;
      check();
    });
  }

  async next(ms = 5000) {
    return (await this.take(1, ms))[0];
  }

  /** Sends data and returns the next message. */
  async request(data, ms = 5000) {
    this.send(data);
    return this.next(ms);
  }

  /** Resolves with { reason, description } once the socket has closed. */
  async waitClose(ms = 5000) {
    return withTimeout(this._closedPromise, ms, "close");
  }

  close() {
    this.socket.close();
  }
}

/**
 * What the Go side saw of session sid: { known, open, transport, closed,
 * closes, reason, err, lifetimeMs, posts, maxPostBytes }. With waitClose, the
 * server answers once the session has closed (or after timeoutMs).
 */
export async function serverSession(baseURL, sid, { waitClose = false, timeoutMs = 5000 } = {}) {
  const q = new URLSearchParams({ sid });
  if (waitClose) {
    q.set("wait", "close");
    q.set("timeout", String(timeoutMs));
  }
  const res = await request("GET", `${baseURL}/_e2e/session?${q}`);
  assert.equal(res.status, 200, `/_e2e/session answered ${res.status}`);
  return JSON.parse(res.body);
}

/**
 * One HTTP request on a fresh connection (no keep-alive, so nothing keeps
 * the test process alive): resolves with { status, headers, body } where
 * body is a string.
 */
export function request(method, url, body, ms = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, timeout: ms }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no answer within ${ms} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Waits for the Go side to close sid and returns its record. */
export async function serverClosed(baseURL, sid, timeoutMs = 5000) {
  const info = await serverSession(baseURL, sid, { waitClose: true, timeoutMs });
  assert.ok(info.known, `server never opened session ${sid}`);
  assert.ok(info.closed, `server did not close session ${sid} within ${timeoutMs} ms`);
  assert.equal(info.closes, 1, "OnClose must run exactly once");
  return info;
}

/**
 * Echoes "tick-<i>" through client c every pauseMs until `intervals` ping
 * intervals have passed and at least 3 pings were answered, then asserts
 * that c is still open on session sid. Resolves with { start, echoes }
 * (start: Date.now() before the first echo).
 */
export async function echoThroughHeartbeats(c, sid, { intervals, pauseMs }) {
  const start = Date.now();
  let echoes = 0;
  while (Date.now() - start < intervals * c.handshake.pingInterval || c.pings < 3) {
    assert.equal(await c.request(`tick-${echoes}`), `tick-${echoes}`);
    echoes++;
    await sleep(pauseMs);
  }
  assert.ok(c.pings >= 3, `pings answered: ${c.pings}`);
  assert.equal(c.closed, null);
  assert.equal(c.socket.id, sid);
  return { start, echoes };
}

/**
 * Has the server at MAIN_URL close session sid of client c (the fixture
 * closes a session that sends "server-close") and waits for both sides:
 * the client must report "transport close" and the server "forced close".
 * Resolves with how the client closed, { reason, description }.
 */
export async function closeFromServer(t, c, sid) {
  c.send("server-close");
  const closed = await c.waitClose();
  t.diagnostic(`client saw: ${describeClose(closed)}`);
  assert.equal(closed.reason, "transport close");
  const info = await serverClosed(MAIN_URL, sid);
  assert.equal(info.reason, "forced close");
  return closed;
}

/** Asserts that got is a Buffer holding exactly the bytes of want. */
export function assertBytes(got, want, what = "binary message") {
  assert.ok(Buffer.isBuffer(got), `${what}: got ${typeof got} ${got?.constructor?.name}, want a Buffer`);
  const w = Buffer.from(want.buffer ?? want, want.byteOffset ?? 0, want.byteLength);
  assert.equal(got.length, w.length, `${what}: length`);
  assert.ok(got.equals(w), `${what}: bytes differ`);
}

/** Describes how a client closed, for t.diagnostic. */
export function describeClose({ reason, description }) {
  const parts = [`reason=${JSON.stringify(reason)}`];
  if (description?.description !== undefined) {
    parts.push(`description=${JSON.stringify(description.description)}`);
  }
  if (description?.message !== undefined) {
    parts.push(`error=${JSON.stringify(description.message)}`);
  }
  if (description?.context?.code !== undefined) {
    parts.push(`wsCode=${description.context.code}`);
  }
  return parts.join(" ");
}
