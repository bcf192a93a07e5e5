// Binary attachments: an image arrives byte for byte, one over the limit
// is refused with a clear error, and a voice clip recorded with
// MediaRecorder (Chromium's fake microphone) plays on the other side.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import { TEST_TIMEOUT, URL, blobHash, launch, makePNG, noErrors, openChat, unique } from "./lib.mjs";

let browser;
before(async () => {
  // A fake microphone (a beep), granted without a prompt.
  browser = await launch(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]);
});
after(async () => {
  await browser?.close();
});

test("an image attachment arrives intact", { timeout: TEST_TIMEOUT }, async () => {
  const room = unique("media");
  const ada = await openChat(await browser.newContext(), { name: "Ada", room });
  const bob = await openChat(await browser.newContext(), { name: "Bob", room });

  const png = await makePNG(ada, 320, 200);
  const want = createHash("sha256").update(png).digest("hex");
  await ada.locator("#file-input").setInputFiles({ name: "gradient.png", mimeType: "image/png", buffer: png });

  const img = bob.locator("#messages li.msg img");
  await img.waitFor();
  assert.equal(await blobHash(bob, img), want, "the receiver's image bytes");
  assert.equal(await img.getAttribute("alt"), "gradient.png");
  assert.equal(await img.evaluate((i) => i.decode().then(() => `${i.naturalWidth}x${i.naturalHeight}`)), "320x200");
  await ada.locator("#messages li.msg.delivered img").waitFor();

  // Over the limit: refused in the page, with the sizes.
  const cfg = await (await fetch(`${URL}/config.json`)).json();
  const big = Buffer.concat([png, Buffer.alloc(cfg.maxAttachment)]);
  await ada.locator("#file-input").setInputFiles({ name: "huge.png", mimeType: "image/png", buffer: big });
  await ada.locator("#composer-error", { hasText: "huge.png is" }).waitFor();
  const limit = `${(cfg.maxAttachment / 1024).toFixed(1)} KiB`;
  assert.match(await ada.locator("#composer-error").textContent(), new RegExp(`^huge\\.png is [\\d.]+ KiB; the limit is ${limit}\\.$`));
  assert.equal(await bob.locator("#messages li.msg img").count(), 1);
  noErrors(ada);
  noErrors(bob);
});

test("a recorded voice clip is sent as a binary attachment", { timeout: TEST_TIMEOUT }, async () => {
  const room = unique("voice");
  const ada = await openChat(await browser.newContext(), { name: "Ada", room });
  const bob = await openChat(await browser.newContext(), { name: "Bob", room });

  await ada.locator("#record").click();
  await ada.locator('#record[aria-pressed="true"]').waitFor();
  await ada.waitForTimeout(1200);
  await ada.locator("#record").click();

  const sentAudio = ada.locator("#messages li.msg.delivered audio");
  await sentAudio.waitFor();
  const gotAudio = bob.locator("#messages li.msg audio");
  await gotAudio.waitFor();
  const size = Number(await gotAudio.getAttribute("data-size"));
  assert.ok(size > 100, `voice clip of ${size} bytes`);
  assert.equal(await blobHash(bob, gotAudio), await blobHash(ada, sentAudio), "the receiver's clip is the sender's");
  // It is a WebM/Opus clip the browser can play.
  const duration = await gotAudio.evaluate((a) => new Promise((resolve, reject) => {
    if (a.readyState >= 1) resolve(a.duration);
    a.onloadedmetadata = () => resolve(a.duration);
    a.onerror = () => reject(new Error(`audio error ${a.error?.code}`));
  }));
  assert.ok(duration > 0, `duration ${duration}`);
  noErrors(ada);
  noErrors(bob);
});
