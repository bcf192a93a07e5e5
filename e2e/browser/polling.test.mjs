// A client forced onto HTTP long-polling chats with a WebSocket client;
// each page shows the transport it uses.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TEST_TIMEOUT, delivered, launch, messageWith, noErrors, openChat, say, unique } from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("a long-polling client chats with a WebSocket client", { timeout: TEST_TIMEOUT }, async () => {
  const room = unique("transports");
  const poll = await openChat(await browser.newContext(), { name: "Polly", room, transports: "polling" });
  const ws = await openChat(await browser.newContext(), { name: "Wes", room, transports: "websocket" });
  assert.equal(await poll.locator("#transport").textContent(), "polling");
  assert.equal(await ws.locator("#transport").textContent(), "websocket");

  await say(poll, "Hello from long-polling");
  await messageWith(ws, "Hello from long-polling").waitFor();
  await delivered(poll, "Hello from long-polling");
  await say(ws, "Hello from a WebSocket");
  await messageWith(poll, "Hello from a WebSocket").waitFor();
  await delivered(ws, "Hello from a WebSocket");
  // Typing crosses transports too (volatile emits).
  await ws.locator("#text").pressSequentially("hm", { delay: 20 });
  await poll.locator("#typing", { hasText: "Wes is typing…" }).waitFor();
  // Still polling: forced transports never upgrade.
  assert.equal(await poll.locator("#status").getAttribute("data-transport"), "polling");
  noErrors(poll);
  noErrors(ws);
});

test("the default client starts on polling and upgrades to WebSocket", { timeout: TEST_TIMEOUT }, async () => {
  const page = await openChat(await browser.newContext(), { name: "Uma", room: unique("upgrade") });
  await page.locator('#status[data-transport="websocket"]').waitFor();
  assert.equal(await page.locator("#transport").textContent(), "websocket");
  noErrors(page);
});
