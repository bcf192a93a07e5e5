// Two people (two browser contexts: separate storage, like two machines)
// meet in a room: messages both ways with the delivery tick, presence,
// the typing indicator, and the screenshot of both windows.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  TEST_TIMEOUT, delivered, launch, makePNG, messageWith, noErrors, openChat, say, screenshotSideBySide, unique,
} from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("two contexts join a room and exchange messages", { timeout: TEST_TIMEOUT }, async () => {
  // The first test of the run, so the room list is short for the screenshot.
  const room = "lobby";
  const viewport = { width: 1000, height: 660 };
  const ada = await openChat(await browser.newContext({ viewport }), { name: "Ada", room });
  for (const other of ["design", "random"]) {
    await ada.locator("#room-input").fill(other);
    await ada.locator("#room-input").press("Enter");
    await ada.locator(`#room-list li.current[data-room="${other}"]`).waitFor();
  }
  await ada.locator(`#room-list li[data-room="${room}"] button`).click();
  const bob = await openChat(await browser.newContext({ viewport }), { name: "Bob", room });

  // Presence: Ada sees Bob arrive, both lists show both.
  await ada.locator("#messages li.system", { hasText: "Bob joined" }).waitFor();
  for (const page of [ada, bob]) {
    await page.locator("#members li").nth(1).waitFor();
    assert.deepEqual(await page.locator("#members li .name").allTextContents(),
      page === ada ? ["Ada (you)", "Bob"] : ["Ada", "Bob (you)"]);
    assert.equal(await page.locator("#conv-sub").textContent(), "2 members online");
  }
  assert.equal(await bob.locator(`#room-list li[data-room="design"] .count`).textContent(), "1");

  await say(ada, "Hi Bob! Ready for the demo?");
  await messageWith(bob, "Hi Bob! Ready for the demo?").waitFor();
  await delivered(ada, "Hi Bob! Ready for the demo?");
  assert.equal(await messageWith(bob, "Hi Bob!").locator(".from").textContent(), "Ada");

  // Typing: Bob types, Ada sees it.
  await bob.locator("#text").pressSequentially("Almost", { delay: 20 });
  await ada.locator("#typing", { hasText: "Bob is typing…" }).waitFor();
  await bob.locator("#text").fill("");
  await say(bob, "Yes! Rooms, DMs, images and voice clips, all over Socket.IO.");
  await messageWith(ada, "Rooms, DMs, images").waitFor();
  await delivered(bob, "Rooms, DMs, images");
  // A message from Bob ends his typing indicator at once.
  assert.equal(await ada.locator("#typing").textContent(), "");

  await say(ada, "Here is the new banner:");
  await delivered(ada, "Here is the new banner:");
  const png = await makePNG(ada, 360, 150);
  await ada.locator("#file-input").setInputFiles({ name: "banner.png", mimeType: "image/png", buffer: png });
  await bob.locator("#messages li.msg img").waitFor();
  await ada.locator("#messages li.msg.delivered img").waitFor();
  await say(bob, "Looks great, ship it!");
  await messageWith(ada, "Looks great").waitFor();
  await bob.locator("#text").pressSequentially("On my way", { delay: 20 });
  await ada.locator("#typing", { hasText: "Bob is typing…" }).waitFor();
  for (const page of [ada, bob]) {
    await page.locator("#messages img").evaluate((img) => img.decode());
  }

  const path = await screenshotSideBySide(browser, [ada, bob], "chat.png");
  console.log(`screenshot: ${path}`);

  // Bob leaves: Ada sees it, and the count drops.
  await bob.locator("#leave").click();
  await ada.locator("#messages li.system", { hasText: "Bob left" }).waitFor();
  await ada.locator("#conv-sub", { hasText: "1 member online" }).waitFor();
  noErrors(ada);
  noErrors(bob);
});

test("history: a late joiner sees the last messages once", { timeout: TEST_TIMEOUT }, async () => {
  const room = unique("history");
  const ada = await openChat(await browser.newContext(), { name: "Ada", room });
  for (const t of ["one", "two", "three"]) {
    await say(ada, `message ${t}`);
    await delivered(ada, `message ${t}`);
  }
  const cy = await openChat(await browser.newContext(), { name: "Cy", room });
  await messageWith(cy, "message three").waitFor();
  assert.deepEqual(await cy.locator("#messages li.msg .text").allTextContents(), ["message one", "message two", "message three"]);
  assert.equal(await cy.locator("#messages li.msg.history").count(), 3);
  noErrors(cy);
});

test("server-side validation reaches the page", { timeout: TEST_TIMEOUT }, async () => {
  const room = unique("rules");
  const ada = await openChat(await browser.newContext(), { name: "Ada", room });
  // A room name the server refuses.
  await ada.locator("#room-input").fill("no/slashes");
  await ada.locator("#room-input").press("Enter");
  await ada.locator("#room-error", { hasText: "use letters, digits" }).waitFor();
  // A nickname the server refuses keeps the login form up with its reason.
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${process.env.SIOGATE_URL}/?name=${encodeURIComponent("<script>")}`);
  await page.locator("#login-error", { hasText: "use letters, digits" }).waitFor();
  assert.equal(await page.locator("#app").getAttribute("data-view"), "login");
  noErrors(ada);
});
