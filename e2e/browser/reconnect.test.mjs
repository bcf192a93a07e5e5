// The gateway dies and comes back on the same port: the page shows
// "reconnecting", then "connected", rejoins its room and chats again.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TEST_TIMEOUT, control, delivered, launch, messageWith, openChat, say, unique } from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("killing and restarting the server shows reconnecting, then connected", { timeout: TEST_TIMEOUT }, async () => {
  const room = unique("restart");
  const ada = await openChat(await browser.newContext(), { name: "Ada", room, transports: "websocket" });
  const bob = await openChat(await browser.newContext(), { name: "Bob", room, transports: "polling" });

  await control("kill");
  for (const page of [ada, bob]) {
    await page.locator('#status[data-state="reconnecting"]').waitFor();
    assert.equal(await page.locator("#status-text").textContent(), "reconnecting");
  }
  await control("start");
  for (const page of [ada, bob]) {
    await page.locator('#status[data-state="connected"]').waitFor();
  }
  assert.equal(await ada.locator("#transport").textContent(), "websocket");
  assert.equal(await bob.locator("#transport").textContent(), "polling");

  // The pages joined their room again on the new server.
  await ada.locator("#members li").nth(1).waitFor();
  await bob.locator("#members li").nth(1).waitFor();
  await say(ada, "Back after the restart");
  await messageWith(bob, "Back after the restart").waitFor();
  await delivered(ada, "Back after the restart");
});
