// Direct messages: every tab of the recipient gets them, and so do the
// sender's other tabs.
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

test("a direct message reaches both tabs of one user", { timeout: TEST_TIMEOUT }, async () => {
  const room = unique("dm");
  const carolCtx = await browser.newContext(); // one person, two tabs
  const carol1 = await openChat(carolCtx, { name: "Carol", room });
  const carol2 = await openChat(carolCtx, { name: "Carol", room });
  const dave = await openChat(await browser.newContext(), { name: "Dave", room });

  // Dave opens a conversation with Carol from the member list.
  await dave.locator('#members li[data-id="guest:Carol"] button').click();
  await dave.locator("#conv-title", { hasText: "Carol" }).waitFor();
  assert.equal(await dave.locator("#conv-sub").textContent(), "direct message");
  await say(dave, "Psst, Carol: the release is at five.");
  await delivered(dave, "the release is at five");

  // Both of Carol's tabs get it: the conversation appears with an unread badge.
  for (const tab of [carol1, carol2]) {
    const item = tab.locator('#dm-list li[data-key="@guest:Dave"]');
    await item.locator(".badge", { hasText: "1" }).waitFor();
    await item.locator("button").click();
    await messageWith(tab, "the release is at five").waitFor();
  }

  // Carol answers from tab 1: Dave gets it, and so does her tab 2 (as hers).
  await say(carol1, "Thanks Dave!");
  await delivered(carol1, "Thanks Dave!");
  await messageWith(dave, "Thanks Dave!").waitFor();
  const mine = messageWith(carol2, "Thanks Dave!");
  await mine.waitFor();
  assert.ok(await mine.evaluate((li) => li.classList.contains("mine") && li.classList.contains("delivered")));
  // The room did not get it.
  await dave.locator(`#room-list li[data-room="${room}"] button`).click();
  assert.equal(await messageWith(dave, "Thanks Dave!").count(), 0);
  for (const p of [carol1, carol2, dave]) noErrors(p);
});
