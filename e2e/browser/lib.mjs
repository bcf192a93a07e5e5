// Helpers of the browser tests of the chat page (cmd/siogate/chat). The Go
// driver (e2e/browser_test.go) builds and starts cmd/siogate and runs each
// browser/*.test.mjs file with node, passing:
//
//   SIOGATE_URL        the gateway, e.g. http://127.0.0.1:PORT
//   SIOGATE_CHROMIUM   the Chromium executable (Debian's /usr/bin/chromium)
//   SIOGATE_ARTIFACTS  a folder for screenshots
//
// Lines starting with "@@" on stdout are requests to the driver (see
// control()); everything else is the test report.
import assert from "node:assert/strict";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

for (const k of ["SIOGATE_URL", "SIOGATE_CHROMIUM", "SIOGATE_ARTIFACTS"]) {
  if (!process.env[k]) {
    throw new Error(`${k} is not set: run these tests through "go test ./e2e/ -run Browser"`);
  }
}

/** Base URL of the gateway (no trailing slash). */
export const URL = process.env.SIOGATE_URL.replace(/\/+$/, "");
/** Where screenshots go. */
export const ARTIFACTS = process.env.SIOGATE_ARTIFACTS;
/** Bound of every wait for the page, ms: generous, the tests assert what happens, not how fast. */
export const WAIT = 20_000;
/** Per-test timeout for node:test, ms. */
export const TEST_TIMEOUT = 60_000;

/**
 * Launches Debian's Chromium headless (never a downloaded browser).
 * Playwright gives every launch a fresh, temporary user-data-dir.
 */
export async function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.SIOGATE_CHROMIUM,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
      "--no-first-run", "--disable-component-update", "--disable-sync", ...extraArgs,
    ],
    timeout: WAIT,
  });
}

/** A name unique to this run, for rooms and nicknames. */
export function unique(prefix) {
  return `${prefix}-${Math.random().toString(36).slice(2, 7)}`;
}

/**
 * Opens the chat in a new page of ctx as nickname `name`, entering `room`
 * (query parameters of the page; `transports` forces one), and waits until
 * it is connected with the room open. Page errors fail the test.
 */
export async function openChat(ctx, { name, room, transports }) {
  const page = await ctx.newPage();
  page.setDefaultTimeout(WAIT);
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(new Error(`console: ${m.text()}`));
  });
  page.errors = errors;
  const q = new URLSearchParams({ name, room });
  if (transports) q.set("transports", transports);
  await page.goto(`${URL}/?${q}`);
  await page.locator('#status[data-state="connected"]').waitFor();
  await page.locator(`#room-list li.current[data-room="${room}"]`).waitFor();
  return page;
}

/** Asserts that the page reported no error (script or console). */
export function noErrors(page) {
  assert.deepEqual(page.errors.map(String), [], "page errors");
}

/** Types text in the composer and sends it with Enter. */
export async function say(page, text) {
  await page.locator("#text").fill(text);
  await page.locator("#text").press("Enter");
}

/** The message item (li.msg) showing text, in the open conversation. */
export function messageWith(page, text) {
  return page.locator("#messages li.msg", { has: page.locator(".text", { hasText: text }) });
}

/** Waits for the sender's tick on its message showing text. */
export async function delivered(page, text) {
  await messageWith(page, text).and(page.locator(".delivered")).waitFor();
}

/**
 * Saves one PNG of several pages side by side (a page that shows their
 * screenshots) and returns its path.
 */
export async function screenshotSideBySide(browser, pages, file) {
  const shots = [];
  for (const p of pages) shots.push((await p.screenshot()).toString("base64"));
  const { width, height } = pages[0].viewportSize();
  const ctx = await browser.newContext({ viewport: { width: width * pages.length + 24 * (pages.length + 1), height: height + 48 } });
  const page = await ctx.newPage();
  const imgs = shots.map((s) => `<img src="data:image/png;base64,${s}" width="${width}" height="${height}">`).join("");
  await page.setContent(`<body style="margin:0;padding:24px;display:flex;gap:24px;background:#c9d1e0">
    <style>img{border-radius:10px;box-shadow:0 8px 30px rgba(0,0,0,.25)}</style>${imgs}</body>`);
  await page.waitForFunction(() => [...document.images].every((i) => i.complete));
  const path = `${ARTIFACTS}/${file}`;
  await page.screenshot({ path });
  await ctx.close();
  return path;
}

/** A PNG drawn by the browser in page (a gradient with a circle), as a Buffer. */
export async function makePNG(page, w, h) {
  const b64 = await page.evaluate(async ([w, h]) => {
    const c = new OffscreenCanvas(w, h);
    const g = c.getContext("2d");
    const grad = g.createLinearGradient(0, 0, w, h);
    grad.addColorStop(0, "#2f6fed");
    grad.addColorStop(1, "#1fa65a");
    g.fillStyle = grad;
    g.fillRect(0, 0, w, h);
    g.fillStyle = "#fff";
    g.beginPath();
    g.arc(w / 2, h / 2, Math.min(w, h) / 4, 0, 2 * Math.PI);
    g.fill();
    const blob = await c.convertToBlob({ type: "image/png" });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  }, [w, h]);
  return Buffer.from(b64, "base64");
}

/** SHA-256 (hex) of the bytes behind a blob: URL, computed in the page. */
export async function blobHash(page, locator) {
  const src = await locator.getAttribute("src");
  return page.evaluate(async (url) => {
    const buf = await (await fetch(url)).arrayBuffer();
    const digest = await crypto.subtle.digest("SHA-256", buf);
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  }, src);
}

/**
 * Asks the Go driver to act on the gateway ("kill" or "start") and waits
 * for its answer line on stdin.
 */
export async function control(what) {
  const rl = createInterface({ input: process.stdin });
  try {
    const answer = new Promise((resolve, reject) => {
      rl.once("line", resolve);
      rl.once("close", () => reject(new Error(`the driver closed stdin instead of answering @@${what}`)));
    });
    process.stdout.write(`@@${what}\n`);
    assert.equal((await answer).trim(), `${what}: ok`, `the driver's answer to @@${what}`);
  } finally {
    rl.close(); // else stdin keeps node running after the tests
  }
}
